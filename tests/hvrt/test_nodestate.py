"""The node state: what a node gets, computed once from (config, scenario, node)."""
from __future__ import annotations

import json
from dataclasses import replace

import pytest

from hvrt import nodestate
from hvrt.config.model import Config, Host, Installer, Memory, Network, Profile, Release, Secret
from hvrt.errors import ConfigError, ConfigurationFailed

CONTROLLER = Host("ctl", "controller", "127.0.0.5", "ssh")
RELEASE_PW = Secret("release-pw-2718", "env:RELEASE")
NODE_PW = Secret("node-pw-1618", "env:NODE")
NODE = Host("hv1", "node", "127.0.0.11", "winrm", user="Administrator", password=NODE_PW, labels={"os": "2016"})


def state(profile: Profile | None = None, node: Host = NODE, *, installer: Installer | None = None,
          settings: dict | None = None) -> nodestate.NodeState:
    profile = profile or Profile(name="p", os="2016")
    config = Config("/srv/hvrt.yaml", {"ctl": CONTROLLER}, {node.name: node},
                    Release(installer=installer or Installer(), password=RELEASE_PW), {profile.name: profile},
                    settings=settings or {})
    return nodestate.build(config, profile, node, CONTROLLER, scenario="s1")


def on(node: Host = NODE, **hyperv: object) -> Host:
    return replace(node, options={**node.options, "hyperv": hyperv})


def test_defaults_follow_the_legacy_installer_call() -> None:
    s = state()
    assert s.features == ("HyperVNovaCompute", "NeutronHyperVAgent", "iSCSISWInitiator", "FreeRDP")
    assert s.optional_features == ("CeilometerComputeAgent",)
    assert s.services == ("nova-compute", "neutron-hyperv-agent") and s.optional_services == ("ceilometer-polling",)
    props = s.msi_properties()
    assert props["INSTALLDIR"] == "C:\\OpenStack\\cloudbase\\nova" and props["LOGDIR"] == "C:\\OpenStack\\Log"
    assert props["ADDVSWITCH"] == "0" and props["VSWITCHNAME"] == "external"
    assert props["GLANCEHOST"] == "http://127.0.0.5" and props["RDPCONSOLEURL"] == "http://127.0.0.5:8000"
    assert props["NEUTRONADMINAUTHURL"] == props["PLACEMENTAUTHURL"] == "http://127.0.0.5/identity/v3"
    assert props["RPCBACKENDPASSWORD"] == props["CEILOMETERADMINPASSWORD"] == "release-pw-2718"
    assert props["NOVACOMPUTESERVICEUSER"] == "hv1\\Administrator"
    assert props["NOVACOMPUTESERVICEPASSWORD"] == "node-pw-1618"
    assert "LIVEMIGRAUTHTYPE" not in props and not s.live_migration.managed
    assert s.vswitch == nodestate.VSwitch(name="external", type="External", create=False)
    assert s.ini == {}


def test_seed_dimensions_go_to_msi_properties_or_ini_with_their_origin() -> None:
    profile = Profile(name="p", os="2016", cow=False, utils_api="v1", remotefx=True, allow_resize_to_same_host=True,
                      memory=Memory(mode="dynamic", dynamic_ratio=2.5))
    s = state(profile)
    assert s.msi_properties()["USECOWIMAGES"] == "0" and s.msi_properties()["DYNAMICMEMORYRATIO"] == "2.5"
    nova = s.ini["nova.conf"]
    assert nova.path == "C:\\OpenStack\\cloudbase\\nova\\etc\\nova.conf"
    assert nova.sections["DEFAULT"]["allow_resize_to_same_host"] == nodestate.IniValue(
        "True", "seed:allow_resize_to_same_host")
    assert {k: (v.value, v.origin) for k, v in nova.sections["hyperv"].items()} == {
        "force_hyperv_utils_v1": ("True", "seed:utils_api"), "force_volumeutils_v1": ("True", "seed:utils_api"),
        "enable_remotefx": ("True", "seed:remotefx")}
    assert state(Profile(name="p", memory=Memory(mode="dynamic"))).msi_properties()["DYNAMICMEMORYRATIO"] == "1.5"


def test_the_node_override_beats_the_profiles_which_beats_the_seed() -> None:
    profile = Profile(name="p", utils_api="v1", ini={
        "*": {"nova.conf": {"hyperv": {"force_hyperv_utils_v1": "False", "a": "profile"}}},
        "hv1": {"nova.conf": {"HYPERV": {"a": "node"}}},
        "hv2": {"nova.conf": {"hyperv": {"a": "other node"}}}})
    sections = state(profile).ini["nova.conf"].sections
    # one group whatever the spelling, named as first written (the seed's)
    assert list(sections) == ["hyperv"]
    assert sections["hyperv"]["force_hyperv_utils_v1"] == nodestate.IniValue("False", "profile")
    assert sections["hyperv"]["a"] == nodestate.IniValue("node", "node")


def test_default_is_kept_apart_and_keys_differing_in_case_are_refused() -> None:
    with pytest.raises(ConfigurationFailed, match="cannot be sent"):
        state(Profile(name="p", ini={"*": {"nova.conf": {"DEFAULT": {"a": "1"}, "default": {"b": "2"}}}}))
    with pytest.raises(ConfigurationFailed, match="cannot be sent"):
        state(Profile(name="p", ini={"*": {"nova.conf": {"DEFAULT": {"debug": "1", "Debug": "2"}}}}))


def test_vxlan_uses_the_nodes_own_tunnel_address_never_the_controllers() -> None:
    profile = Profile(name="p", network=Network(type="ovs-vxlan", tunnel_endpoint="127.0.0.9"))
    first = state(profile, on(tunnel_address="127.0.0.31"))
    second = state(profile, on(replace(NODE, name="hv2"), tunnel_address="127.0.0.32"))
    for s, address in ((first, "127.0.0.31"), (second, "127.0.0.32")):
        ovs = s.ini["neutron_ovs_agent.conf"].sections["ovs"]
        assert ovs["local_ip"] == nodestate.IniValue(address, "host:tunnel_address")
        assert "127.0.0.9" not in json.dumps(s.to_dict())
        assert s.features[1] == "NeutronOVSAgent" and s.services == ("nova-compute", "neutron-ovs-agent")
    with pytest.raises(ConfigurationFailed, match="needs this node's own tunnel address") as info:
        state(profile)
    assert info.value.host == "hv1" and "lab.nodes.hv1.hyperv.tunnel_address" in info.value.message
    # a profile override of local_ip also names the node's own address
    override = replace(profile, ini={"hv1": {"neutron_ovs_agent.conf": {"OVS": {"local_ip": "127.0.0.41"}}}})
    assert state(override).ini_values()["neutron_ovs_agent.conf"]["ovs"]["local_ip"] == "127.0.0.41"


def test_an_ovs_vlan_node_maps_its_physical_network_to_the_switch_bridge() -> None:
    s = state(Profile(name="p", network=Network(type="ovs-vlan", physical_network="phys2")),
              on(vswitch={"name": "trunk"}))
    assert s.ini_values()["neutron_ovs_agent.conf"]["ovs"] == {"integration_bridge": "br-int",
                                                               "bridge_mappings": "phys2:br-trunk"}


def test_the_switch_is_created_only_when_the_config_says_how() -> None:
    assert state(node=on(vswitch={"create": "internal", "name": "lab"})).vswitch == nodestate.VSwitch(
        name="lab", type="Internal", create=True)
    made = state(node=on(vswitch={"create": "external", "adapter": "Ethernet 2", "allow_management_os": False}))
    assert made.vswitch == nodestate.VSwitch("external", "External", True, "Ethernet 2", False)
    with pytest.raises(ConfigurationFailed, match="needs vswitch.adapter"):
        state(node=on(vswitch={"create": "external"}))
    with pytest.raises(ConfigError, match="hyperv.vswitch.create"):
        state(node=on(vswitch={"create": "External"}))


def test_lab_wide_settings_merge_under_the_nodes_own() -> None:
    settings = {"winrm": {"vswitch": {"name": "trunk", "create": "internal"}, "max_migrations": 4,
                          "max_clock_skew": 60}}
    s = state(Profile(name="p", live_migration=True), on(vswitch={"create": "private"}, domain="LAB"),
              settings=settings)
    assert s.vswitch == nodestate.VSwitch(name="trunk", type="Private", create=True)
    assert s.live_migration.max_migrations == 4 and s.msi_properties()["MAXACTIVEVSMIGR"] == "4"


def test_live_migration_feature_where_it_applies() -> None:
    migrating = Profile(name="p", live_migration=True)
    s = state(migrating, on(domain="LAB", live_migration_networks=["192.0.2.0/24"], live_migration_auth="CredSSP"))
    assert s.features[-1] == "LiveMigration" and s.live_migration.managed
    props = s.msi_properties()
    assert (props["LIVEMIGRAUTHTYPE"], props["MAXACTIVEVSMIGR"], props["MAXACTIVESTORAGEMIGR"],
            props["MIGRNETWORKSANY"]) == ("0", "8", "8", "0")
    assert props["NOVACOMPUTESERVICEUSER"] == "LAB\\Administrator"
    assert s.live_migration.networks == ("192.0.2.0/24",)
    clustered = state(migrating, on(domain="LAB", clustered=True))
    assert "LiveMigration" not in clustered.features and not clustered.live_migration.managed
    assert "cluster" in clustered.live_migration.reason
    assert clustered.msi_properties()["NOVACOMPUTESERVICEUSER"] == "hv1\\Administrator"
    assert "LIVEMIGRAUTHTYPE" not in clustered.msi_properties()


def test_the_release_can_name_its_features_and_properties() -> None:
    installer = Installer(url="https://downloads.invalid/x.msi", features=("HyperVNovaCompute", "FreeRDP"),
                          properties={"LOGDIR": "D:\\Logs", "PLACEMENTPASSWORD": "inline-pw-99"})
    s = state(installer=installer)
    assert s.features == ("HyperVNovaCompute", "FreeRDP") and s.optional_features == ()
    assert s.services == ("nova-compute",)
    assert s.msi_properties()["LOGDIR"] == "D:\\Logs"
    assert isinstance(s.properties["PLACEMENTPASSWORD"], Secret) and "inline-pw-99" in s.secret_texts()


def test_the_identity_url_follows_the_devstack_setting() -> None:
    s = state(settings={"devstack": {"auth_url": "http://127.0.0.5:35357/"}})
    assert s.msi_properties()["NEUTRONADMINAUTHURL"] == "http://127.0.0.5:35357/v3"


def test_a_service_account_can_be_given() -> None:
    s = state(node=on(service_user="LAB\\svc-nova", service_password="svc-pw-4242"))
    assert s.msi_properties()["NOVACOMPUTESERVICEUSER"] == "LAB\\svc-nova"
    assert isinstance(s.properties["NOVACOMPUTESERVICEPASSWORD"], Secret)
    no_password = state(node=replace(NODE, password=None))
    assert "NOVACOMPUTESERVICEUSER" not in no_password.properties  # the MSI's LocalSystem


def test_windows_paths_keep_single_backslashes() -> None:
    from hvrt_winrm.quoting import msiexec_install_arguments

    from hvrt.sandbox.wsman.cmdline import split_msiexec

    path = "C:\\ClusterStorage\\Volume1\\Instances\\"
    s = state(Profile(name="p", ini={"*": {"nova.conf": {"DEFAULT": {"instances_path": path}}}}),
              on(instances_path="C:\\Instances Here\\"))
    assert s.ini_values()["nova.conf"]["DEFAULT"]["instances_path"] == path
    assert s.msi_properties()["INSTANCESPATH"] == "C:\\Instances Here\\"
    assert json.loads(json.dumps(s.to_dict()))["ini"]["nova.conf"]["sections"]["DEFAULT"]["instances_path"][
        "value"] == path
    # and msiexec reads the property back as it was
    line = msiexec_install_arguments("C:\\w\\x.msi", "C:\\w\\log.txt", [], s.msi_properties())
    assert "INSTANCESPATH=C:\\Instances Here\\" in split_msiexec(line)


def test_the_json_form_is_stable_and_masks_every_secret() -> None:
    profile = Profile(name="p", ini={"*": {"nova.conf": {"keystone_authtoken": {"password": "ini-pw-5555",
                                                                                "username": "nova"}}}})
    shown = state(profile).to_dict()
    assert list(shown) == ["version", "node", "scenario", "profile", "os", "installer", "ini", "config_dir",
                           "vswitch", "live_migration", "services", "optional_services"]
    assert shown["version"] == 1 and shown["scenario"] == "s1" and shown["node"] == "hv1"
    assert list(shown["installer"]) == ["product", "install_dir", "log_dir", "features", "optional_features",
                                        "properties"]
    text = json.dumps(shown)
    for secret in ("release-pw-2718", "node-pw-1618", "ini-pw-5555"):
        assert secret not in text
    assert shown["ini"]["nova.conf"]["sections"]["keystone_authtoken"] == {
        "password": {"value": "***", "origin": "profile"}, "username": {"value": "nova", "origin": "profile"}}
    assert shown["installer"]["properties"]["CONFIGDRIVEINJECTPASSWORD"] == "1"  # a flag, not a secret
    assert set(state(profile).secret_texts()) == {"release-pw-2718", "node-pw-1618", "ini-pw-5555"}


def test_what_no_node_can_be_given_fails_before_the_node() -> None:
    with pytest.raises(ConfigurationFailed, match="generation 2"):
        state(Profile(name="p", vm_generation=2), replace(NODE, labels={"os": "2012"}))
    with pytest.raises(ConfigurationFailed, match="is missing"):
        state(Profile(name="p", ini={"*": {"nova.conf": {"DEFAULT": {"stale": None}}}}))
