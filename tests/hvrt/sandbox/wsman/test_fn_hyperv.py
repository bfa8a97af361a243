"""The simulated node's Hyper-V functions against its host model: the lab's switch, switches
never removed or retyped, the installer hash checked before msiexec, and process-start records."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from hvrt.sandbox.wsman import fn_hyperv
from hvrt.sandbox.wsman.fn_files import FunctionError
from hvrt.sandbox.wsman.host import LAB_SWITCH, HostModel


@dataclass
class Node:
    model: HostModel

    def request_reboot(self, delay: float) -> None:  # pragma: no cover - not used here
        raise AssertionError("no reboot expected")


@pytest.fixture
def node(tmp_path: Path) -> Node:
    return Node(HostModel(tmp_path / "hv", "hv"))


def put_msi(node: Node, name: str = "nova.msi", **kwargs: object) -> tuple[str, str]:
    path = node.model.path(f"C:\\w\\{name}")
    path.parent.mkdir(parents=True, exist_ok=True)
    return f"C:\\w\\{name}", fn_hyperv.make_installer(path, "40.0.0", **kwargs)


def test_a_new_host_has_the_labs_external_switch(node: Node) -> None:
    assert node.model.state()["vmswitches"] == {"external": LAB_SWITCH} and LAB_SWITCH["type"] == "External"


def test_an_existing_switch_is_used_and_never_retyped(node: Node) -> None:
    done = fn_hyperv.set_vmswitch(node, {"name": "external", "type": "External"})
    assert done == {"name": "external", "type": "External", "created": False}
    with pytest.raises(FunctionError, match="'external' is External, the configuration needs Internal"):
        fn_hyperv.set_vmswitch(node, {"name": "external", "type": "Internal", "create": True})
    assert node.model.state()["vmswitches"] == {"external": LAB_SWITCH}


def test_a_missing_switch_is_created_only_when_asked(node: Node) -> None:
    with pytest.raises(FunctionError, match="does not exist"):
        fn_hyperv.set_vmswitch(node, {"name": "lab", "type": "Internal"})
    with pytest.raises(FunctionError, match="NetAdapterName"):
        fn_hyperv.set_vmswitch(node, {"name": "lab", "type": "External", "create": True})
    assert set(node.model.state()["vmswitches"]) == {"external"}
    assert fn_hyperv.set_vmswitch(node, {"name": "lab", "type": "Internal", "create": True})["created"] is True
    assert node.model.state()["vmswitches"]["lab"]["type"] == "Internal"


def test_msiexec_never_starts_on_a_hash_mismatch(node: Node) -> None:
    package, sha = put_msi(node)
    arguments = f'/i "{package}" /qn /l*v "C:\\w\\log.txt"'
    with pytest.raises(FunctionError, match="does not match the expected .*msiexec was not started"):
        fn_hyperv.install_msi(node, {"package": package, "arguments": arguments, "sha256": "00" * 32,
                                     "features": ["HyperVNovaCompute"]})
    assert node.model.processes() == []
    assert not node.model.path(package).exists()  # the bad package is gone
    package, sha = put_msi(node)
    done = fn_hyperv.install_msi(node, {"package": package, "arguments": arguments, "sha256": sha.lower(),
                                        "features": ["HyperVNovaCompute"]})
    assert done["exit_code"] == 0 and done["sha256"] == sha
    [run] = node.model.processes()
    assert run["file"] == fn_hyperv.MSIEXEC and run["arguments"] == arguments + " ADDLOCAL=HyperVNovaCompute"


def test_optional_features_follow_the_packages_feature_table(node: Node) -> None:
    package, _ = put_msi(node, features=["HyperVNovaCompute", "FreeRDP"])
    assert fn_hyperv.get_msi_features(node, {"path": package}) == ["HyperVNovaCompute", "FreeRDP"]
    done = fn_hyperv.install_msi(node, {"package": package, "arguments": f'/i "{package}" /qn',
                                        "features": ["HyperVNovaCompute"],
                                        "optional_features": ["CeilometerComputeAgent", "FreeRDP"]})
    assert done["features"] == ["HyperVNovaCompute", "FreeRDP"] and done["exit_code"] == 0
    missing = fn_hyperv.install_msi(node, {"package": package, "arguments": f'/i "{package}" /qn',
                                           "features": ["NeutronOVSAgent"]})
    assert missing["exit_code"] == 1603


def test_the_msi_honours_its_properties(node: Node) -> None:
    from hvrt.sandbox.wsman.ini import parse

    package, _ = put_msi(node)
    arguments = (f'/i "{package}" /qn INSTALLDIR="C:\\OpenStack\\cloudbase\\nova" LOGDIR="C:\\OpenStack\\Log" '
                 'USECOWIMAGES="0" DYNAMICMEMORYRATIO="1.5" ENABLELOGGING="1" VSWITCHNAME="lab" '
                 'LIVEMIGRAUTHTYPE="0" MAXACTIVEVSMIGR="4" MAXACTIVESTORAGEMIGR="3" MIGRNETWORKSANY="1" '
                 'NOVACOMPUTESERVICEUSER="LAB\\Administrator"')
    fn_hyperv.install_msi(node, {"package": package, "arguments": arguments,
                                 "features": ["HyperVNovaCompute", "NeutronHyperVAgent", "LiveMigration"]})
    nova = parse(node.model.path("C:\\OpenStack\\cloudbase\\nova\\etc\\nova.conf").read_text())
    assert nova["DEFAULT"]["use_cow_images"] == "false" and nova["hyperv"]["dynamic_memory_ratio"] == "1.5"
    assert nova["DEFAULT"]["log_dir"] == "C:\\OpenStack\\Log"
    agent = parse(node.model.path("C:\\OpenStack\\cloudbase\\nova\\etc\\neutron_hyperv_agent.conf").read_text())
    assert agent["AGENT"]["physical_network_vswitch_mappings"] == "*:lab"
    state = node.model.state()
    assert state["live_migration"]["authentication"] == "CredSSP"
    assert (state["live_migration"]["max_migrations"], state["live_migration"]["max_storage_migrations"]) == (4, 3)
    assert state["products"][fn_hyperv.PRODUCT_NAME]["service_user"] == "LAB\\Administrator"


def test_an_uninstall_records_its_msiexec(node: Node) -> None:
    package, _ = put_msi(node)
    fn_hyperv.install_msi(node, {"package": package, "arguments": f'/i "{package}" /qn',
                                 "features": ["HyperVNovaCompute"]})
    [product] = fn_hyperv.get_product(node, {"name_like": "Nova"})
    fn_hyperv.uninstall(node, {"name_like": fn_hyperv.PRODUCT_NAME})
    starts = [p["arguments"] for p in node.model.processes()]
    assert starts[1:] == [f'/x "{product["code"]}" /qn /norestart']
    assert fn_hyperv.get_product(node, {"name_like": "Nova"}) == []
