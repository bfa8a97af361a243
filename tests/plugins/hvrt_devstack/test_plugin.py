"""The DevStack deployer end to end: real sshd controller, the git DevStack stand-in,
the simulated status API of the sandbox."""
from __future__ import annotations

import functools
import json
import threading
from collections.abc import Iterator
from dataclasses import replace
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from hvrt.config.model import RepoOverride
from hvrt.errors import InfrastructureError
from hvrt.sandbox.sshd import SshdServer


def deploy(ctx):  # type: ignore[no-untyped-def]
    """The deploy stage, then the start stage's check (nodes are already in service here)."""
    deployment = ctx.run.pm.hook.hvrt_deploy(ctx=ctx)
    if deployment is not None:
        ctx.run.pm.hook.hvrt_check_deployment(ctx=ctx, deployment=deployment)
    return deployment


pytestmark = [pytest.mark.sshd, pytest.mark.slow]
UP = {"nova-compute": "Running", "neutron-hyperv-agent": "Running"}


@pytest.fixture
def image(controller_sshd: SshdServer) -> str:
    path = controller_sshd.user_dir / "images-src" / "cirros-0.3.4-x86_64.vhdx.gz"
    path.parent.mkdir(exist_ok=True)
    path.write_bytes(b"not really a vhdx\n" * 64)
    path.chmod(0o644)
    return f"file://{path}"


@pytest.fixture
def http_images(tmp_path: Path) -> Iterator[str]:
    """A loopback HTTP server holding image files (the runner's side, like a mirror)."""
    (tmp_path / "www").mkdir()
    (tmp_path / "www" / "cirros.vhd.gz").write_bytes(b"vhd bytes " * 100)
    (tmp_path / "www" / "heat.vhd.gz").write_bytes(b"heat bytes " * 100)
    handler = functools.partial(SimpleHTTPRequestHandler, directory=str(tmp_path / "www"))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def controller_checks(ctx) -> list[dict]:
    groups = ctx.run.pm.hook.hvrt_preflight_host(host=ctx.controller, run=ctx.run,
                                                 transport=ctx.transport(ctx.controller), timeout=30)
    return [r for group in groups if group for r in group]


def nodes_ctx(make_ctx, lab, profile, services: dict[str, dict[str, str]], **kwargs):
    dirs = [lab.node_dir(name, state) for name, state in services.items()]
    settings = kwargs.pop("settings", {})
    localrc = {"HVRT_SANDBOX_NODES": ",".join(map(str, dirs)), **settings.pop("localrc", {})}
    ctx = make_ctx(profile, nodes=[lab.node_host(n) for n in services],
                   settings={"localrc": localrc, **settings}, **kwargs)
    return ctx, dirs


def scan_for_secret(root: Path, secret: str) -> list[str]:
    return [p.as_posix() for p in root.rglob("*") if p.is_file() and secret in p.read_text(errors="replace")]


def test_deploy_vlan_scenario_end_to_end(make_ctx, lab, image: str) -> None:
    profile = lab.profiles(image)["HyperV2012r2_VHDX"]
    ctx, _ = nodes_ctx(make_ctx, lab, profile, {"NUCHV12R201": UP, "NUCHV12R202": UP},
                       repos={"nova": RepoOverride("nova", repo="file:///srv/vendor/nova", branch="hyperv-fix")})
    records = {r["check"]: r for r in controller_checks(ctx)}
    assert list(records) == ["reachable", "host_key", "auth", "sudo", "git", "free_disk"]
    assert all(records[c]["ok"] for c in ("reachable", "host_key", "auth", "git", "free_disk"))
    # the test user is not root; without passwordless sudo the fix says how to grant it
    sudo = records["sudo"]
    assert sudo["ok"] or f"give {ctx.controller.user} passwordless sudo" in sudo["fix"], sudo
    deployment = deploy(ctx)
    dest = ctx.state["test_dest"]
    assert deployment.controller == "ctl01"
    assert deployment.password.reveal() == lab.password
    assert deployment.tempest_conf == f"{dest}/tempest/etc/tempest.conf"
    assert deployment.workdir == f"{dest}/tempest"
    assert deployment.extra["sandbox"] is True
    assert ctx.result.facts["devstack"]["ref"] == "refs/heads/master"
    # the stand-in saw the repo override of local.conf and the cached image
    seen = json.loads((dest / "data" / "repos.json").read_text())
    assert seen["NOVA_REPO"] == "file:///srv/vendor/nova" and seen["NOVA_BRANCH"] == "hyperv-fix"
    assert (dest / "images" / "cirros-0.3.4-x86_64.vhdx.gz").stat().st_size == 18 * 64
    log = (ctx.dir / "logs/ctl01/stack.sh.log").read_text()
    assert "==> step services" in log and "stack.sh completed" in log
    assert "logs/ctl01/stack.sh.log" in ctx.result.artifacts
    saved_conf = (ctx.dir / "config/ctl01/local.conf").read_text()
    assert "ADMIN_PASSWORD=***" in saved_conf and "NOVA_BRANCH=hyperv-fix" in saved_conf
    health = json.loads((ctx.dir / "logs/ctl01/health.json").read_text())
    assert sorted(health["nodes"]) == ["NUCHV12R201", "NUCHV12R202"]
    # the controller's agents judged are the ones local.conf enables
    assert health["controller_agents"] == ["neutron-dhcp-agent", "neutron-l3-agent", "neutron-metadata-agent",
                                           "neutron-openvswitch-agent"]
    # the hyperv mechanism driver's package came through the plugin DevStack cloned and ran
    assert "enable_plugin hvrt-networking-hyperv file://" in saved_conf
    assert "plugin hvrt-networking-hyperv from file://" in log
    assert (dest / "data" / "pip-installed").read_text().split() == ["networking-hyperv"]
    # once the computes were up, the stand-in's nova-manage mapped them into the cell
    calls = [json.loads(line) for line in (dest / "data" / "nova-manage.calls").read_text().splitlines()]
    assert calls == [["cell_v2", "discover_hosts", "--verbose"]]
    assert sorted(ctx.result.facts["cells"]["mapped"]) == ["NUCHV12R201", "NUCHV12R202"]
    assert "Creating host mapping for compute host 'NUCHV12R201'" in (
        ctx.dir / "logs/ctl01/discover_hosts.log").read_text()


def test_collection_redacts_every_secret(make_ctx, lab, image: str) -> None:
    profile = lab.profiles(image)["HyperV2016_VHDX_flat"]
    ctx, _ = nodes_ctx(make_ctx, lab, profile, {"NUCHV1601": UP})
    deploy(ctx)
    # the controller really holds the password in its files
    assert lab.password in (ctx.state["test_dest"] / "etc" / "nova" / "nova.conf").read_text()
    ctx.run.pm.hook.hvrt_collect(ctx=ctx)
    nova = (ctx.dir / "config/ctl01/etc/nova/nova.conf").read_text()
    assert "password = ***" in nova and "stackrabbit:***@" in nova
    assert (ctx.dir / "config/ctl01/tempest.deployed.conf").exists()
    assert (ctx.dir / "logs/ctl01/devstack/stack.sh.log").exists()
    assert scan_for_secret(ctx.dir, lab.password) == []


def test_failing_stack_sh_raises_with_its_log_tail(make_ctx, lab, image: str) -> None:
    profile = lab.profiles(image)["HyperV2012r2_VHDX"]
    ctx, _ = nodes_ctx(make_ctx, lab, profile, {"NUCHV12R201": UP, "NUCHV12R202": UP},
                       settings={"localrc": {"HVRT_SANDBOX_FAIL_AT": "accounts"}})
    with pytest.raises(InfrastructureError, match=r"stack\.sh failed \(exit 1\)") as info:
        deploy(ctx)
    assert info.value.host == "ctl01"
    assert "ERROR: step accounts failed" in info.value.detail
    assert "==> step services" in info.value.detail
    assert "step images" not in (ctx.dir / "logs/ctl01/stack.sh.log").read_text()
    ctx.run.pm.hook.hvrt_collect(ctx=ctx)  # collection after a failure still works
    assert (ctx.dir / "logs/ctl01/devstack/stack.sh.log").exists()
    assert scan_for_secret(ctx.dir, lab.password) == []


def test_health_check_fails_when_a_node_compute_service_is_stopped(make_ctx, lab, image: str) -> None:
    profile = lab.profiles(image)["HyperV2012r2_VHDX"]
    stopped = {"nova-compute": "Stopped", "neutron-hyperv-agent": "Running"}
    ctx, _ = nodes_ctx(make_ctx, lab, profile, {"NUCHV12R201": UP, "NUCHV12R202": stopped},
                       settings={"health_timeout": 2, "health_interval": 0.5})
    with pytest.raises(InfrastructureError, match="NUCHV12R202: nova-compute is enabled/down") as info:
        deploy(ctx)
    assert "NUCHV12R201" not in str(info.value)


def test_a_dead_controller_agent_fails_the_check_before_any_cell_mapping(make_ctx, lab, image: str) -> None:
    # the metadata agent is judged only because local.conf enables q-meta
    controller = lab.node_dir("controller", {"neutron-metadata-agent": "Stopped"})
    profile = lab.profiles(image)["HyperV2016_VHDX_flat"]
    ctx, _ = nodes_ctx(make_ctx, lab, profile, {"NUCHV1601": UP}, settings={
        "health_timeout": 1, "health_interval": 0.3, "localrc": {"HVRT_SANDBOX_CONTROLLER_DIR": str(controller)}})
    with pytest.raises(InfrastructureError, match=r"controller .*: neutron-metadata-agent \(Metadata agent\) "
                                                  r"is not alive"):
        deploy(ctx)
    assert (ctx.state["test_dest"] / "data" / "nova-manage.calls").read_text() == ""
    assert "cells" not in ctx.result.facts


def test_health_check_waits_for_a_late_agent(make_ctx, lab, image: str) -> None:
    profile = lab.profiles(image)["HyperV2016_OVS_VXLAN_VHDX"]
    ovs_up = {"nova-compute": "Running", "neutron-ovs-agent": "Running"}
    late = {"nova-compute": "Running", "neutron-ovs-agent": "Stopped"}
    ctx, dirs = nodes_ctx(make_ctx, lab, profile, {"NUC01HV2016OVS": ovs_up, "NUC02HV2016OVS": late},
                          settings={"health_timeout": 20, "health_interval": 0.3})
    timer = threading.Timer(1.5, lambda: (dirs[1] / "services.json").write_text(json.dumps(ovs_up)))
    timer.start()
    try:
        deployment = deploy(ctx)
    finally:
        timer.cancel()
    assert deployment.extra["network_url"].startswith("http://127.0.0.1:")


def test_images_from_http_and_eol_branch(make_ctx, lab, http_images: str) -> None:
    profile = lab.profiles(f"{http_images}/cirros.vhd.gz", f"{http_images}/heat.vhd.gz")["HyperV2012r2_VHDX"]
    ctx, _ = nodes_ctx(make_ctx, lab, profile, {"NUCHV12R201": UP, "NUCHV12R202": UP}, branch="stable/newton")
    deploy(ctx)
    dest = ctx.state["test_dest"]
    assert (dest / "images" / "cirros.vhd.gz").read_bytes() == b"vhd bytes " * 100
    assert (dest / "images" / "heat.vhd.gz").read_bytes() == b"heat bytes " * 100
    assert ctx.result.facts["devstack"]["ref"] == "refs/tags/newton-eol"
    conf = (ctx.dir / "config/ctl01/local.conf").read_text()
    assert "NOVA_BRANCH=newton-eol" in conf
    assert f"IMAGE_URLS=file://{dest}/images/cirros.vhd.gz" in conf
    assert "HVRT_SANDBOX" in conf


def test_other_deployer_selected_means_no_action(make_ctx, lab, image: str) -> None:
    ctx = make_ctx(lab.profiles(image)["HyperV2012r2_VHDX"], nodes=[lab.node_host("N1")],
                   deploy={"deployer": "somethingelse"})
    assert deploy(ctx) is None
    assert controller_checks(ctx) == []
    assert list(ctx._transports) == ["ctl01"]  # opened for the hook, never used


def test_preflight_refuses_too_little_disk(make_ctx, lab, image: str) -> None:
    ctx = make_ctx(lab.profiles(image)["HyperV2012r2_VHDX"], nodes=[lab.node_host("N1")],
                   settings={"min_free_disk_mb": 10**12})
    disk = {r["check"]: r for r in controller_checks(ctx)}["free_disk"]
    assert disk["ok"] is False and "MiB free" in disk["detail"] and "devstack: dest" in disk["fix"]


def test_preflight_names_an_unknown_host_key_and_how_to_record_it(make_ctx, lab, image: str, tmp_path) -> None:
    ctx = make_ctx(lab.profiles(image)["HyperV2012r2_VHDX"], nodes=[lab.node_host("N1")])
    empty = tmp_path / "known_hosts"
    empty.write_text("")
    host = ctx.controller
    stranger = replace(host, options={**host.options, "ssh": {**host.options["ssh"], "known_hosts": str(empty)}})
    checks = {r["check"]: r for r in ctx.run.pm.hook.hvrt_preflight_host(
        host=stranger, run=ctx.run, transport=ctx.transport(stranger), timeout=20)[0]}
    assert checks["reachable"]["ok"] is True
    assert checks["host_key"]["ok"] is False and "unknown host key" in checks["host_key"]["detail"]
    assert f"ssh-keyscan -p {host.options['ssh']['port']} {host.address} >> {empty}" in checks["host_key"]["fix"]
    assert {checks[c]["ok"] for c in ("auth", "sudo", "git", "free_disk")} == {None}


def test_preflight_of_a_closed_port_is_unreachable(make_ctx, lab, image: str) -> None:
    ctx = make_ctx(lab.profiles(image)["HyperV2012r2_VHDX"], nodes=[lab.node_host("N1")])
    host = ctx.controller
    closed = replace(host, options={**host.options, "ssh": {**host.options["ssh"], "port": 1}})
    checks = {r["check"]: r for r in ctx.run.pm.hook.hvrt_preflight_host(
        host=closed, run=ctx.run, transport=ctx.transport(closed), timeout=10)[0]}
    assert checks["reachable"]["ok"] is False and checks["host_key"]["ok"] is None
