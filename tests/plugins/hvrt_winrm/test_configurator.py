"""The WinRM configurator's rules on a simulated node: the vSwitch is used, never removed or
retyped; the installer is checked before anything runs; optional features follow the package."""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from typing import Any

import pytest
from hvrt_winrm import settings as S

from hvrt.config.model import Installer, Profile
from hvrt.errors import ConfigurationFailed
from hvrt.sandbox.wsman import SimulatedNode, make_installer


@contextmanager
def switches(node: SimulatedNode, value: dict[str, Any]) -> Iterator[None]:
    """The node's virtual switches set to ``value`` for one test (restored afterwards)."""
    before = node.model.state()["vmswitches"]
    node.model.update(vmswitches=value)
    try:
        yield
    finally:
        node.model.update(vmswitches=before)


def with_hyperv(ctx: Any, **hyperv: Any) -> Any:
    host = ctx.nodes[0]
    ctx.nodes[0] = replace(host, options={**host.options, "hyperv": hyperv})
    return ctx.nodes[0]


def configure(ctx: Any, node: Any = None) -> dict[str, Any]:
    try:
        return ctx.run.pm.hook.hvrt_configure_node(ctx=ctx, node=node or ctx.nodes[0])
    finally:
        ctx.close_transports()  # the simulated nodes are shared: give their shells back


def start(ctx: Any, node: Any = None) -> dict[str, Any]:
    """The start stage on one node: its services restarted once the cloud exists."""
    try:
        return ctx.run.pm.hook.hvrt_start_node(ctx=ctx, node=node or ctx.nodes[0])
    finally:
        ctx.close_transports()


INTERNAL = {"external": {"name": "external", "type": "Internal", "adapter": None, "allow_management_os": True}}
EXTERNAL = {"external": {"name": "external", "type": "External", "adapter": "Ethernet0",
                         "allow_management_os": True}}


def test_an_existing_external_switch_is_kept_as_it_is(sim_nodes, make_ctx):
    node = sim_nodes["hv-01"]
    with switches(node, EXTERNAL):
        record = configure(make_ctx([node]))
        assert node.model.state()["vmswitches"] == EXTERNAL
    step = record["steps"][0]
    assert step["step"] == "vswitch" and step["created"] is False and step["type"] == "External"


def test_a_switch_of_another_type_is_a_clear_error_and_stays(sim_nodes, make_ctx):
    node = sim_nodes["hv-01"]
    ctx = make_ctx([node])
    with switches(node, INTERNAL):
        started = len(node.model.processes())
        products = node.model.state()["products"]
        with pytest.raises(ConfigurationFailed) as info:
            configure(ctx)
        assert node.model.state()["vmswitches"] == INTERNAL  # untouched
        assert node.model.processes()[started:] == []  # nothing uninstalled, nothing installed
        assert node.model.state()["products"] == products
    error = info.value
    assert error.host == "hv-01" and error.step == "vswitch"
    assert "virtual switch 'external' is Internal but the configuration needs External" in error.message
    assert "never changes or removes" in error.message and "lab.nodes.hv-01.hyperv.vswitch" in error.message


def test_a_missing_switch_without_create_is_a_clear_error(sim_nodes, make_ctx):
    node = sim_nodes["hv-01"]
    ctx = make_ctx([node])
    with switches(node, {}):
        with pytest.raises(ConfigurationFailed) as info:
            configure(ctx)
        assert node.model.state()["vmswitches"] == {}
    assert info.value.host == "hv-01" and info.value.step == "vswitch"
    assert "virtual switch 'external' does not exist" in info.value.message
    assert "lab.nodes.hv-01.hyperv.vswitch.create" in info.value.message


@pytest.mark.parametrize(("create", "adapter", "kind"), [("internal", None, "Internal"),
                                                         ("external", "Ethernet 2", "External")])
def test_a_missing_switch_is_created_when_the_config_says_how(sim_nodes, make_ctx, create, adapter, kind):
    node = sim_nodes["hv-02"]
    ctx = make_ctx([node])
    vswitch = {"name": "hvrt lab", "create": create, **({"adapter": adapter} if adapter else {})}
    with_hyperv(ctx, vswitch=vswitch)
    with switches(node, EXTERNAL):
        record = configure(ctx)
        created = node.model.state()["vmswitches"]
    assert record["steps"][0] == {**record["steps"][0], "vswitch": "hvrt lab", "type": kind, "created": True}
    assert created["hvrt lab"]["type"] == kind and created["hvrt lab"]["adapter"] == adapter
    assert created["external"] == EXTERNAL["external"]  # the lab's own switch is still there
    msi_log = node.model.path(S.MSI_LOG).read_text()
    assert "Adding VSWITCHNAME property. Its value is 'hvrt lab'" in msi_log
    assert "Adding ADDVSWITCH property. Its value is '0'" in msi_log


def test_an_existing_switch_is_not_retyped_even_when_create_is_given(sim_nodes, make_ctx):
    node = sim_nodes["hv-02"]
    ctx = make_ctx([node])
    with_hyperv(ctx, vswitch={"create": "internal"})
    with switches(node, EXTERNAL):
        with pytest.raises(ConfigurationFailed, match="is External but the configuration needs Internal"):
            configure(ctx)
        assert node.model.state()["vmswitches"] == EXTERNAL


def test_an_external_switch_to_create_needs_an_adapter(sim_nodes, make_ctx):
    ctx = make_ctx([sim_nodes["hv-02"]])
    with_hyperv(ctx, vswitch={"create": "external"})
    with pytest.raises(ConfigurationFailed, match="vswitch.create: external needs vswitch.adapter") as info:
        configure(ctx)
    assert info.value.step == "settings"


def test_the_node_refuses_to_retype_a_switch_itself(sim_nodes, transport):
    """The module function is the last line: asked directly, it fails and changes nothing."""
    from hvrt_winrm.transport import RemoteCallError

    node = sim_nodes["hv-01"]
    with switches(node, EXTERNAL):
        with pytest.raises(RemoteCallError, match="is External, the configuration needs Internal"):
            transport.invoke("Set-HvrtVMSwitch", {"name": "external", "type": "Internal", "create": True},
                             timeout=30)
        assert node.model.state()["vmswitches"] == EXTERNAL


def test_a_local_installer_with_the_wrong_hash_never_leaves_the_runner(sim_nodes, make_ctx, tmp_path):
    node = sim_nodes["hv-01"]
    msi = tmp_path / "nova.msi"
    make_installer(msi, "31.0.0")
    ctx = make_ctx([node], installer=Installer(path=str(msi), sha256="ab" * 32))
    started = len(node.model.processes())
    with pytest.raises(ConfigurationFailed, match="has SHA-256") as info:
        configure(ctx)
    assert info.value.host == "hv-01" and info.value.step == "install"
    assert node.model.processes()[started:] == []
    assert not node.model.path(f"{S.WORK_DIR}\\installer\\nova.msi").exists()


def test_msiexec_starts_only_after_the_hash_matched(sim_nodes, make_ctx):
    node = sim_nodes["hv-02"]
    started = len(node.model.processes())
    record = configure(make_ctx([node], version="31.0.1"))
    runs = node.model.processes()[started:]
    assert [r["file"] for r in runs] == ["C:\\Windows\\System32\\msiexec.exe"] * len(runs)
    assert runs[-1]["arguments"].startswith('/i "C:\\ProgramData\\hvrt\\installer\\HyperVNovaCompute.msi"')
    assert record["installer_sha256"] == node.model.state()["products"][S.PRODUCT]["installer_sha256"]


def test_an_optional_feature_the_package_lacks_is_left_out(sim_nodes, make_ctx, tmp_path):
    node = sim_nodes["hv-02"]
    msi = tmp_path / "no-ceilometer.msi"
    make_installer(msi, "32.0.0", features=["HyperVNovaCompute", "NeutronHyperVAgent", "iSCSISWInitiator",
                                            "FreeRDP", "LiveMigration"])
    ctx = make_ctx([node], Profile(name="p", live_migration=True), installer=Installer(path=str(msi)))
    record = configure(ctx)
    assert record["features"] == ["HyperVNovaCompute", "NeutronHyperVAgent", "iSCSISWInitiator", "FreeRDP",
                                  "LiveMigration"]
    assert "ceilometer-polling" not in node.model.services()
    started = start(ctx)
    assert [s["step"] for s in started["steps"]] == ["services"]
    assert set(started["steps"][-1]["services"]) == {"nova-compute", "neutron-hyperv-agent"}


def test_a_feature_the_package_lacks_fails_like_msiexec(sim_nodes, make_ctx, tmp_path):
    node = sim_nodes["hv-02"]
    msi = tmp_path / "small.msi"
    make_installer(msi, "32.0.1", features=["HyperVNovaCompute", "NeutronHyperVAgent"])
    with pytest.raises(ConfigurationFailed, match="msiexec exited 1603") as info:
        configure(make_ctx([node], installer=Installer(path=str(msi))))
    assert "2711" in info.value.detail and "iSCSISWInitiator" in info.value.detail


def test_a_cluster_member_keeps_its_migration_settings(sim_nodes, make_ctx):
    node = sim_nodes["hv-01"]
    ctx = make_ctx([node], Profile(name="lm", live_migration=True))
    with_hyperv(ctx, clustered=True)
    before = node.model.state()["live_migration"]
    record = configure(ctx)
    assert "live_migration" not in [s["step"] for s in record["steps"]]
    assert "LiveMigration" not in record["features"]
    assert node.model.state()["live_migration"] == before
