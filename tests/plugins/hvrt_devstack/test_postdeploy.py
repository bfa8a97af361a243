"""The deploy's last phase on its own: controller agents from local.conf, and
``nova-manage cell_v2 discover_hosts`` run through a real (local) transport."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from hvrt_devstack import postdeploy

from hvrt.errors import InfrastructureError
from hvrt.transport.local import LocalTransport

STAND_IN = Path(__file__).resolve().parents[3] / "hvrt" / "sandbox" / "data" / "devstack" / "nova-manage"
LOCAL_CONF = """\
[[local|localrc]]
HOST_IP=192.0.2.10
enable_service rabbit q-svc q-agt
enable_service q-dhcp,q-l3
#enable_service q-meta
enable_service q-meta
disable_service q-meta
enable_service neutron-metadata-agent

[[post-config|$NEUTRON_CONF]]
[DEFAULT]
enable_service = q-fake
"""


def test_enabled_services_follow_devstack_order_and_disables() -> None:
    assert postdeploy.enabled_services(LOCAL_CONF) == ["rabbit", "q-svc", "q-agt", "q-dhcp", "q-l3",
                                                       "neutron-metadata-agent"]
    assert postdeploy.controller_agents(LOCAL_CONF) == (
        "neutron-dhcp-agent", "neutron-l3-agent", "neutron-metadata-agent", "neutron-openvswitch-agent")
    assert postdeploy.controller_agents("[[local|localrc]]\nenable_service q-svc\n") == ()


def stand_in_dest(tmp_path: Path, nodes: list[str]) -> Path:
    dest = tmp_path / "stack"
    (dest / "bin").mkdir(parents=True)
    (dest / "data").mkdir()
    shutil.copy2(STAND_IN, dest / "bin" / "nova-manage")
    (dest / "bin" / "nova-manage").chmod(0o755)
    folders = []
    for name in nodes:
        folder = tmp_path / "nodes" / name
        folder.mkdir(parents=True)
        (folder / "state.json").write_text(json.dumps({"computer_name": name}))
        folders.append(str(folder))
    (dest / "data" / "nodes.list").write_text("".join(f"{f}\n" for f in folders))
    return dest


def script(path: Path, body: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("#!/bin/sh\n" + body)
    path.chmod(0o755)
    return path


@pytest.fixture
def ctx(make_ctx, lab):
    profile = lab.profiles("file:///nonexistent/cirros.vhdx.gz")["HyperV2012r2_VHDX"]
    return make_ctx(profile, nodes=[lab.node_host("NUCHV12R201")])


def test_discover_hosts_maps_each_compute_once(ctx, tmp_path: Path) -> None:
    dest = stand_in_dest(tmp_path, ["NUCHV12R201", "NUCHV12R202"])
    command = postdeploy.nova_manage_command(str(dest), [str(dest / "bin" / "nova-manage")])
    first = postdeploy.discover_hosts(ctx, LocalTransport(), command, timeout=30)
    assert first == {"mapped": ["NUCHV12R201", "NUCHV12R202"], "exit_code": 0}
    assert postdeploy.discover_hosts(ctx, LocalTransport(), command, timeout=30)["mapped"] == []
    calls = (dest / "data" / "nova-manage.calls").read_text().splitlines()
    assert [json.loads(c) for c in calls] == [["cell_v2", "discover_hosts", "--verbose"]] * 2
    assert "(exit 0)" in (ctx.dir / "logs/ctl01/discover_hosts.log").read_text()


def test_default_command_falls_back_to_devstacks_virtualenv(ctx, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("PATH", "/usr/bin:/bin")  # no nova-manage on PATH
    dest = tmp_path / "stack"
    script(dest / "data" / "venv" / "bin" / "nova-manage",
           "echo \"Creating host mapping for compute host 'NUCHV12R201': $*\"\n")
    result = postdeploy.discover_hosts(ctx, LocalTransport(), postdeploy.nova_manage_command(str(dest)), timeout=30)
    assert result["mapped"] == ["NUCHV12R201"]


def test_a_nova_manage_before_ocata_is_skipped(ctx, tmp_path: Path) -> None:
    old = script(tmp_path / "nova-manage", "echo \"nova-manage cell_v2: error: argument action: invalid choice: "
                 "'discover_hosts' (choose from 'map_cell0', 'simple_cell_setup')\" >&2\nexit 2\n")
    result = postdeploy.discover_hosts(ctx, LocalTransport(), [str(old)], timeout=30)
    assert result["skipped"] and result["mapped"] == []


def test_a_failing_discover_hosts_raises_naming_its_log(ctx, tmp_path: Path) -> None:
    broken = script(tmp_path / "nova-manage", "echo 'Cannot connect to the nova_api database' >&2\nexit 1\n")
    with pytest.raises(InfrastructureError, match=r"discover_hosts failed \(exit 1\).*discover_hosts\.log") as info:
        postdeploy.discover_hosts(ctx, LocalTransport(), [str(broken)], timeout=30)
    assert "nova_api database" in info.value.detail
