"""The winrm plugin's hooks end to end against simulated nodes: pre-flight, configure, collect."""
from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest
from hvrt_winrm import settings as S

from hvrt.config.model import Installer, Memory, Profile, Secret
from hvrt.errors import ConfigurationFailed, InfrastructureError
from hvrt.sandbox.wsman.ini import parse

NASTY = ["it's", 'say "hi"', "$(Remove-Item C:\\ -Recurse)", "a;b", "`whoami`", "line1\nline2",
         "@{x=1}", "${env:PATH}", "& calc.exe", "| Out-File x", "#not-a-comment", "%PATH%", "[section]"]


def files_under(path: Path) -> list[Path]:
    return [p for p in path.rglob("*") if p.is_file()]


def scan_for(secrets: list[str], roots: list[Path]) -> list[str]:
    hits = []
    for root in roots:
        for path in files_under(root):
            data = path.read_bytes()
            hits += [f"{path}: {s[:3]}..." for s in secrets if s.encode() in data]
    return hits


def preflight_of(ctx, host, timeout: float = 30.0) -> dict[str, dict]:
    groups = ctx.run.pm.hook.hvrt_preflight_host(host=host, run=ctx.run, transport=ctx.transport(host),
                                                 timeout=timeout)
    return {c["check"]: c for group in groups if group for c in group}


def test_preflight_records_every_check_of_a_healthy_node(sim_nodes, make_ctx):
    ctx = make_ctx([sim_nodes["hv-01"]])
    checks = preflight_of(ctx, ctx.nodes[0])
    assert list(checks) == ["reachable", "auth", "os", "powershell", "hyperv", "clock_skew", "free_disk",
                            "max_envelope"]
    assert all(c["ok"] is True and c["host"] == "hv-01" and c["fix"] == "" for c in checks.values())
    assert "PowerShell 4.0" in checks["powershell"]["detail"]  # 2012 R2 answers its own 4.0
    assert "MaxEnvelopeSizekb=500" in checks["max_envelope"]["detail"]


def test_preflight_names_clock_skew_and_its_fix(sim_nodes, make_ctx):
    node = sim_nodes["hv-02"]
    ctx = make_ctx([node])
    node.faults.clock_skew(400)
    try:
        checks = preflight_of(ctx, ctx.nodes[0])
    finally:
        node.faults.clear()
    assert checks["clock_skew"]["ok"] is False and "+400" in checks["clock_skew"]["detail"]
    assert "w32tm /resync" in checks["clock_skew"]["fix"]
    assert all(c["ok"] for name, c in checks.items() if name != "clock_skew")


def test_provision_stage_fails_on_the_same_checks(sim_nodes, make_ctx):
    node = sim_nodes["hv-02"]
    ctx = make_ctx([node])
    node.faults.clock_skew(-900)
    try:
        with pytest.raises(InfrastructureError) as info:
            ctx.run.pm.hook.hvrt_stage(ctx=ctx, stage="provision")
    finally:
        node.faults.clear()
    assert info.value.host == "hv-02" and "clock_skew" in str(info.value) and "w32tm" in str(info.value)
    recorded = {c["check"]: c["ok"] for c in ctx.result.facts["preflight"] if c["host"] == "hv-02"}
    assert recorded["clock_skew"] is False and recorded["auth"] is True


def test_small_envelope_and_full_disk_fail_with_their_fixes(sim_nodes, make_ctx):
    node = sim_nodes["hv-01"]
    before = node.model.state()
    node.model.update(winrm={**before["winrm"], "max_envelope_kb": 100}, free_disk_bytes=3 * 1024**3)
    ctx = make_ctx([node])
    try:
        checks = preflight_of(ctx, ctx.nodes[0])
    finally:
        node.model.update(winrm=before["winrm"], free_disk_bytes=before["free_disk_bytes"])
    assert checks["max_envelope"]["ok"] is False
    assert checks["max_envelope"]["fix"] == (
        'set MaxEnvelopeSizekb to 8192: winrm set winrm/config @{MaxEnvelopeSizekb="8192"}')
    assert checks["free_disk"]["ok"] is False and "3.0 GiB free" in checks["free_disk"]["detail"]


def test_wrong_port_is_unreachable_and_the_rest_not_run(sim_nodes, make_ctx):
    ctx = make_ctx([sim_nodes["hv-01"]])
    host = ctx.nodes[0]
    closed = replace(host, options={"winrm": {**host.options["winrm"], "port": 1, "retries": 0}})
    checks = preflight_of(ctx, closed, timeout=10)
    assert checks["reachable"]["ok"] is False and "127.0.0.21:1" in checks["reachable"]["detail"]
    assert "winrm quickconfig" in checks["reachable"]["fix"]
    assert {c["ok"] for name, c in checks.items() if name != "reachable"} == {None}


def test_wrong_password_fails_auth_with_the_fix(sim_nodes, make_ctx):
    node = sim_nodes["hv-01"]
    ctx = make_ctx([node])
    wrong = replace(ctx.nodes[0], password=Secret("not-the-password", "env:WRONG"))
    checks = preflight_of(ctx, wrong, timeout=20)
    assert checks["reachable"]["ok"] is True
    assert checks["auth"]["ok"] is False and "rejected" in checks["auth"]["detail"]
    assert "password of lab.nodes.hv-01" in checks["auth"]["fix"]
    assert checks["clock_skew"]["ok"] is None


def test_hosts_of_other_transports_are_not_checked(sim_nodes, make_ctx):
    ctx = make_ctx([sim_nodes["hv-01"]])
    assert preflight_of(ctx, ctx.controller) == {}


def test_configure_and_collect_end_to_end(sim_nodes, make_ctx, node_password, release_password, tmp_path):
    profile = Profile(name="2012r2-lm", live_migration=True, cow=False, utils_api="v1",
                      memory=Memory(mode="dynamic", dynamic_ratio=1.5),
                      ini={"*": {"nova.conf": {"DEFAULT": {"debug": "True"}}},
                           "hv-02": {"nova.conf": {"hyperv": {"mounted_disk_query_retry_count": "20"}}}})
    nodes = [sim_nodes["hv-01"], sim_nodes["hv-02"]]
    ctx = make_ctx(nodes, profile, version="29.1.0")
    switches = nodes[1].model.state()["vmswitches"]
    assert switches["external"]["type"] == "External"  # the lab's switch
    records = {}
    for host in ctx.nodes:
        records[host.name] = ctx.run.pm.hook.hvrt_configure_node(ctx=ctx, node=host)
    rec = records["hv-02"]
    assert rec["configurator"] == "winrm" and rec["product_version"] == "29.1.0"
    assert len(rec["installer_sha256"]) == 64
    assert [s["step"] for s in rec["steps"]] == ["vswitch", "upload_installer", "uninstall", "install", "ini",
                                                 "live_migration"]
    calls_before = len(nodes[1].model.calls())
    started = {host.name: ctx.run.pm.hook.hvrt_start_node(ctx=ctx, node=host) for host in ctx.nodes}
    assert [s["step"] for s in started["hv-02"]["steps"]] == ["services"]
    assert [c["function"] for c in nodes[1].model.calls()[calls_before:]] == ["Restart-HvrtServices"]
    assert rec["steps"][0]["created"] is False and rec["steps"][0]["type"] == "External"
    assert set(rec["features"]) == {"HyperVNovaCompute", "NeutronHyperVAgent", "CeilometerComputeAgent",
                                    "iSCSISWInitiator", "FreeRDP", "LiveMigration"}
    model = nodes[1].model
    conf = parse((model.path(S.CONFIG_FILES["nova.conf"])).read_text())
    # copy-on-write and the memory ratio reach nova.conf through the MSI's properties
    assert conf["DEFAULT"]["use_cow_images"] == "false" and conf["DEFAULT"]["debug"] == "True"
    assert conf["hyperv"]["force_hyperv_utils_v1"] == "True" and conf["hyperv"]["dynamic_memory_ratio"] == "1.5"
    assert conf["hyperv"]["mounted_disk_query_retry_count"] == "20"
    assert "mounted_disk_query_retry_count" not in parse(nodes[0].model.path(S.CONFIG_FILES["nova.conf"]).read_text())["hyperv"]
    assert conf["DEFAULT"]["transport_url"].startswith(f"rabbit://stackrabbit:{release_password}@127.0.0.1")
    assert conf["DEFAULT"]["instances_path"] == "C:\\OpenStack\\Instances"
    state = model.state()
    assert state["live_migration"]["enabled"] and state["live_migration"]["max_storage_migrations"] == 8
    assert state["vmswitches"] == switches  # the lab's switch, as it was
    assert model.services()["nova-compute"] == "Running" and model.services()["neutron-hyperv-agent"] == "Running"
    assert model.services()["ceilometer-polling"] == "Running"
    assert state["products"][S.PRODUCT]["install_dir"] == "C:\\OpenStack\\cloudbase\\nova"
    assert state["products"][S.PRODUCT]["service_user"] == "hv-02\\Administrator"
    saved = json.loads((ctx.dir / "config" / "hv-02" / "node-state.json").read_text())
    assert saved["installer"]["properties"]["RPCBACKENDPASSWORD"] == "***" and saved["node"] == "hv-02"
    assert state["products"][S.PRODUCT]["installer_sha256"] == rec["installer_sha256"]

    ctx.run.pm.hook.hvrt_collect(ctx=ctx)
    out = ctx.dir
    for node in ("hv-01", "hv-02"):
        assert "KB2919355" in (out / f"hosts/{node}/hotfixes.txt").read_text()
        assert any(h["HotFixID"] == "KB3000850" for h in json.loads((out / f"hosts/{node}/hotfixes.json").read_text()))
        assert "Hyper-V Server 2012 R2" in (out / f"hosts/{node}/systeminfo.txt").read_text()
        assert json.loads((out / f"hosts/{node}/systeminfo.json").read_text())["Host Name"] == node.upper()
        nova = (out / f"config/{node}/nova.conf").read_text()
        assert "transport_url = rabbit://stackrabbit:***@127.0.0.1" in nova and "password = ***" in nova
        msi = (out / f"logs/{node}/msi-install.log").read_text()
        assert "Installation completed successfully" in msi and "RPCBACKENDPASSWORD property. Its value is '***'" in msi
        assert (out / f"logs/{node}/nova-compute.log").exists()
    assert "hosts/hv-01/hotfixes.txt" in ctx.result.artifacts
    user_files = [n.ntlm_user_file.parent for n in nodes]  # the simulated nodes' NTLM users: hashes only
    assert scan_for([release_password, node_password], [tmp_path, *user_files]) == []

    # a second configure uninstalls the first install and leaves one product
    again = ctx.run.pm.hook.hvrt_configure_node(ctx=ctx, node=ctx.nodes[0])
    assert again["steps"][2]["removed"] == [S.PRODUCT]


def test_failed_msi_names_node_and_step(sim_nodes, make_ctx, release_password):
    node = sim_nodes["hv-01"]
    ctx = make_ctx([node])
    node.faults.fail_msi(1603)
    try:
        with pytest.raises(ConfigurationFailed) as info:
            ctx.run.pm.hook.hvrt_configure_node(ctx=ctx, node=ctx.nodes[0])
    finally:
        node.faults.clear()
    assert info.value.host == "hv-01" and info.value.step == "install" and "1603" in str(info.value)
    assert "Installation failed" in info.value.detail and release_password not in info.value.detail


def test_installer_from_url_and_hash_check(sim_nodes, make_ctx, tmp_path):
    import functools
    import http.server
    import threading

    from hvrt.sandbox.wsman import make_installer

    (tmp_path / "www").mkdir()
    sha = make_installer(tmp_path / "www" / "nova.msi", "30.0.0")
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(tmp_path / "www"))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/nova.msi"
        ctx = make_ctx([sim_nodes["hv-02"]], installer=Installer(url=url, sha256=sha))
        record = ctx.run.pm.hook.hvrt_configure_node(ctx=ctx, node=ctx.nodes[0])
        assert record["product_version"] == "30.0.0" and record["installer_sha256"] == sha
        bad = make_ctx([sim_nodes["hv-02"]], installer=Installer(url=url, sha256="AB" * 32))
        model = sim_nodes["hv-02"].model
        started = len(model.processes())
        with pytest.raises(ConfigurationFailed, match="does not match") as info:
            bad.run.pm.hook.hvrt_configure_node(ctx=bad, node=bad.nodes[0])
        assert info.value.host == "hv-02" and info.value.step == "download_installer"
        assert "msiexec was not started" in str(info.value)
        # no msiexec at all: neither the uninstall of what was there nor the install
        assert model.processes()[started:] == []
        assert model.state()["products"][S.PRODUCT]["version"] == "30.0.0"
        assert not model.path(f"{S.WORK_DIR}\\installer\\nova.msi").exists()  # the bad download is gone
    finally:
        server.shutdown()


def test_values_are_stored_literally_never_executed(sim_nodes, make_ctx, tmp_path):
    node = sim_nodes["hv-01"]
    values = {f"key_{i}": v for i, v in enumerate(NASTY)}
    profile = Profile(name="inject",
                      ini={"*": {"nova.conf": {"hyperv": values, "s$(t);`u'": {"k": "v"}}}})
    weird_name = "hv'$(calc);`x`\n[y]"
    ctx = make_ctx([node], profile, names=[weird_name], installer=Installer(
        path=str(_msi(tmp_path)), properties={"EXTRA": "a\"b\"\" $(c) ; `d`", "NOTE": "x&y|z"}))
    before = set(node.model.state()) | {"services"}
    record = ctx.run.pm.hook.hvrt_configure_node(ctx=ctx, node=ctx.nodes[0])
    assert record["product_version"] == "1.0"
    conf = parse(node.model.path(S.CONFIG_FILES["nova.conf"]).read_text())
    assert {k: conf["hyperv"][k] for k in values} == values
    assert conf["s$(t);`u'"] == {"k": "v"}
    agent = parse(node.model.path(S.CONFIG_FILES["neutron_hyperv_agent.conf"]).read_text())
    assert agent["AGENT"]["physical_network_vswitch_mappings"] == "*:external"  # written by the MSI
    msi_log = node.model.path(S.MSI_LOG).read_text()
    assert "Adding EXTRA property. Its value is 'a\"b\"\" $(c) ; `d`'." in msi_log
    assert "Adding NOTE property. Its value is 'x&y|z'." in msi_log
    assert set(node.model.state()) | {"services"} == before  # nothing new appeared on the node
    ctx.run.pm.hook.hvrt_collect(ctx=ctx)
    folders = [p.name for p in (ctx.dir / "hosts").iterdir()]
    assert len(folders) == 1 and "/" not in folders[0] and "\n" not in folders[0]


@pytest.mark.parametrize("key", ["bad\nkey", "a=b", "[x", ""])
def test_ini_keys_that_cannot_be_written_are_refused(sim_nodes, make_ctx, key):
    profile = Profile(name="badkey", ini={"*": {"nova.conf": {"DEFAULT": {key: "v"}}}})
    ctx = make_ctx([sim_nodes["hv-01"]], profile)
    with pytest.raises(ConfigurationFailed) as info:
        ctx.run.pm.hook.hvrt_configure_node(ctx=ctx, node=ctx.nodes[0])
    assert info.value.step == "ini" and "invalid INI key" in str(info.value)


def test_generation_2_needs_2012r2(sim_nodes, make_ctx):
    ctx = make_ctx([sim_nodes["hv-01"]], Profile(name="g2", vm_generation=2))
    node = replace(ctx.nodes[0], labels={"os": "2012"})
    with pytest.raises(ConfigurationFailed, match="generation 2"):
        ctx.run.pm.hook.hvrt_configure_node(ctx=ctx, node=node)


def test_other_configurators_are_left_alone(sim_nodes, make_ctx):
    ctx = make_ctx([sim_nodes["hv-01"]])
    salt_node = replace(ctx.nodes[0], configurator="salt")
    assert ctx.run.pm.hook.hvrt_configure_node(ctx=ctx, node=salt_node) is None


def test_collect_from_unreachable_node_does_not_raise(make_ctx, tmp_path, node_password):
    from hvrt.sandbox.wsman import SimulatedNode

    node = SimulatedNode("hv-down", "127.0.0.27", 0, tmp_path / "n", users={"Administrator": node_password})
    node.start()
    node.stop()
    ctx = make_ctx([node])
    ctx.nodes[0] = replace(ctx.nodes[0], options={"winrm": {**ctx.nodes[0].options["winrm"], "retries": 0}})
    ctx.run.pm.hook.hvrt_collect(ctx=ctx)
    assert ctx.result.artifacts == []


def _msi(tmp_path: Path) -> Path:
    from hvrt.sandbox.wsman import make_installer

    path = tmp_path / "inject.msi"
    make_installer(path, "1.0")
    return path


# ------------------------------------------------------------------ teardown

def _configured(ctx) -> None:
    for host in ctx.nodes:
        ctx.run.pm.hook.hvrt_configure_node(ctx=ctx, node=host)
    ctx.result.stage("configure").status = "ok"


@pytest.mark.parametrize(("destroy", "status", "removed"), [
    (None, "passed", True), ("always", "error", True), ("never", "passed", False),
    ("passing", "failed", False), ("passing", "passed", True),
])
def test_teardown_uninstalls_the_product_under_the_destroy_policy(sim_nodes, make_ctx, destroy, status,
                                                                  removed) -> None:
    from hvrt.results import ScenarioStatus

    node = sim_nodes["hv-01"]
    ctx = make_ctx([node])
    _configured(ctx)
    assert S.PRODUCT in node.model.state()["products"]
    ctx.run.options.destroy = destroy
    ctx.result.status = ScenarioStatus(status)
    ctx.run.pm.hook.hvrt_teardown(ctx=ctx)
    assert (S.PRODUCT not in node.model.state()["products"]) is removed
    teardown = ctx.result.facts["teardown"]
    if removed:
        (entry,) = teardown["hosts"]["hv-01"]
        assert entry["action"] == "uninstall" and entry["ok"] is True and entry["removed"] == [S.PRODUCT]
        # the next scenario's configure installs again on the same node
        ctx.close_transports()
        again = make_ctx([node])
        _configured(again)
        assert S.PRODUCT in node.model.state()["products"]
    else:
        assert "hosts" not in teardown or not teardown["hosts"]
        assert "stays up" in teardown["stages"]["configure"]


def test_teardown_of_an_unreachable_node_is_recorded_not_raised(sim_nodes, make_ctx) -> None:
    node = sim_nodes["hv-02"]
    ctx = make_ctx([node])
    _configured(ctx)
    ctx.close_transports()
    bad = make_ctx([node])  # the same node, reached at a closed loopback port
    bad.nodes[0] = replace(bad.nodes[0], address="127.0.0.1", port=1, options={**bad.nodes[0].options,
                                                                                 "winrm": {"port": 1, "retries": 1}})
    bad.result.stage("configure").status = "ok"
    bad.run.pm.hook.hvrt_teardown(ctx=bad)  # must not raise
    (entry,) = bad.result.facts["teardown"]["hosts"][bad.nodes[0].name]
    assert entry["ok"] is False and entry["action"] == "uninstall" and entry["detail"]
    assert S.PRODUCT in node.model.state()["products"]  # the real node was never touched
