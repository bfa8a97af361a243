"""The DevStack deployer end to end: real sshd controller, the git DevStack stand-in,
the simulated status API of the sandbox."""
from __future__ import annotations

from pathlib import Path

import pytest

from hvrt.sandbox.sshd import SshdServer

pytestmark = [pytest.mark.sshd, pytest.mark.slow]


@pytest.fixture
def image(controller_sshd: SshdServer, tmp_path: Path) -> str:
    path = controller_sshd.user_dir / "images-src" / "cirros-0.3.4-x86_64.vhdx.gz"
    path.parent.mkdir(exist_ok=True)
    path.write_bytes(b"not really a vhdx\n" * 64)
    path.chmod(0o644)
    return f"file://{path}"


def test_deploy_vlan_scenario_end_to_end(make_ctx, lab, image: str) -> None:
    profile = lab.profiles(image)["HyperV2012r2_VHDX"]
    up = {"nova-compute": "Running", "neutron-hyperv-agent": "Running"}
    dirs = [lab.node_dir(n, up) for n in ("NUCHV12R201", "NUCHV12R202")]
    ctx = make_ctx(profile, nodes=[lab.node_host("NUCHV12R201"), lab.node_host("NUCHV12R202")],
                   settings={"localrc": {"HVRT_SANDBOX_NODES": ",".join(map(str, dirs))}})
    records = ctx.run.pm.hook.hvrt_provision(ctx=ctx)
    assert {r["check"] for rs in records for r in rs} >= {"reachable", "git", "free_disk"}
    deployment = ctx.run.pm.hook.hvrt_deploy(ctx=ctx)
    assert deployment.controller == "ctl01"
    assert deployment.password.reveal() == lab.password
    log = (ctx.dir / "logs/ctl01/stack.sh.log").read_text()
    assert "stack.sh completed" in log
    ctx.run.pm.hook.hvrt_collect(ctx=ctx)
    saved = sorted(p.relative_to(ctx.dir).as_posix() for p in ctx.dir.rglob("*") if p.is_file())
    print("\n".join(saved))
    for path in ctx.dir.rglob("*"):
        if path.is_file():
            assert lab.password not in path.read_text(errors="replace"), path
