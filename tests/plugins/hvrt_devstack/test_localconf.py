"""local.conf / local.sh rendering, checked against reviewed golden files."""
from __future__ import annotations

import os
import shlex
import subprocess
from pathlib import Path

import pytest
from hvrt_devstack import localconf

from hvrt.config.model import Image, Network, Profile, Release, RepoOverride
from hvrt.errors import ConfigError

GOLDEN = Path(__file__).parent / "golden"
PASSWORD = "golden-Pa55word"


def profiles() -> dict[str, Profile]:
    """The legacy config's VLAN and OVS/VXLAN scenarios, and a flat variant (loopback addresses)."""
    vhdx = Image(format="vhdx", url="https://images.invalid/cirros-0.3.4-x86_64.vhdx.gz",
                 heat_url="https://images.invalid/Fedora-x86_64-20-20140618-sda.vhdx.gz")
    return {
        "HyperV2012r2_VHDX": Profile(name="HyperV2012r2_VHDX", os="2012r2", image=vhdx, live_migration=True,
                                     allow_resize_to_same_host=False),
        "HyperV2016_OVS_VXLAN_VHDX": Profile(
            name="HyperV2016_OVS_VXLAN_VHDX", os="2016", image=vhdx, live_migration=True,
            allow_resize_to_same_host=False, network=Network(type="ovs-vxlan", tunnel_endpoint="127.0.0.3")),
        "HyperV2016_VHDX_flat": Profile(name="HyperV2016_VHDX_flat", os="2016", image=vhdx,
                                        vm_generation=2, network=Network(type="flat")),
    }


def inputs(**overrides: object) -> localconf.StackInputs:
    values: dict[str, object] = {
        "host_ip": "127.0.0.1", "password": PASSWORD, "dest": "/opt/stack", "logdir": "/opt/stack/logs",
        "image_paths": ["/opt/stack/images/cirros-0.3.4-x86_64.vhdx.gz"],
        "heat_image_path": "/opt/stack/images/Fedora-x86_64-20-20140618-sda.vhdx.gz",
        **overrides,
    }
    return localconf.StackInputs(**values)  # type: ignore[arg-type]


def check_golden(name: str, text: str) -> None:
    path = GOLDEN / name
    if os.environ.get("HVRT_REGEN_GOLDEN") == "1":
        path.write_text(text)
    assert text == path.read_text(), f"{name} differs from its golden file"


@pytest.mark.parametrize("name", sorted(profiles()))
def test_local_conf_matches_golden(name: str) -> None:
    release = Release(name="2024.1", devstack_branch="stable/2024.1")
    text = localconf.render_local_conf(profiles()[name], release, inputs())
    check_golden(f"{name}.local.conf", text)
    check_golden(f"{name}.local.sh", localconf.render_local_sh(profiles()[name]))


def sourced(text: str) -> dict[str, str]:
    """Source the localrc part with bash, as DevStack does, and read the variables back."""
    rc = text.split("[[local|localrc]]\n", 1)[1].split("\n[[", 1)[0]
    names = [line.split("=", 1)[0] for line in rc.splitlines() if "=" in line and not line.startswith("#")]
    script = ("enable_service() { :; }; disable_service() { :; }\n" + rc + "\n"
              + "".join(f'printf "%s\\0" "${{{n}}}"\n' for n in names))
    out = subprocess.run(["bash", "-c", script], capture_output=True, check=True).stdout.decode()
    return dict(zip(names, out.split("\0")[:-1], strict=True))


def test_values_survive_bash_literally() -> None:
    nasty = "pa'ss \"w$(touch /tmp/hvrt-localconf-pwned);`id` $HOME"
    profile = Profile(name="p", devstack_vars={"EXTRA_OPTS": "a b; c", "EMPTY": ""})
    values = sourced(localconf.render_local_conf(profile, Release(), inputs(password=nasty)))
    assert values["ADMIN_PASSWORD"] == nasty
    assert values["EXTRA_OPTS"] == "a b; c"
    assert values["EMPTY"] == ""
    assert not Path("/tmp/hvrt-localconf-pwned").exists()


def test_repo_overrides_and_eol_pins() -> None:
    release = Release(repos={
        "nova": RepoOverride("nova", repo="https://git.invalid/vendor/nova.git", branch="hyperv/2024.1"),
        "networking-hyperv": RepoOverride("networking-hyperv", branch="stable/2024.1"),
    })
    values = sourced(localconf.render_local_conf(profiles()["HyperV2012r2_VHDX"], release,
                                                 inputs(checkout="newton-eol", checkout_is_tag=True)))
    assert values["NOVA_REPO"] == "https://git.invalid/vendor/nova.git"
    assert values["NOVA_BRANCH"] == "hyperv/2024.1"
    assert values["NETWORKING_HYPERV_BRANCH"] == "stable/2024.1"
    assert values["NEUTRON_BRANCH"] == values["KEYSTONE_BRANCH"] == "newton-eol"
    plain = sourced(localconf.render_local_conf(profiles()["HyperV2012r2_VHDX"], Release(), inputs()))
    assert "NOVA_REPO" not in plain and "NEUTRON_BRANCH" not in plain


def test_scenario_flags() -> None:
    single = Profile(name="single", live_migration=False)
    text = localconf.render_local_conf(single, Release(), inputs())
    values = sourced(text)
    assert values["LIVE_MIGRATION_AVAILABLE"] == "False"
    assert "allow_resize_to_same_host = True" in text
    assert localconf.same_host_resize(Profile(name="two", live_migration=True)) is False
    flags = localconf.tempest_flags(Profile(name="x", os="2012r2", live_migration=True))
    assert flags["compute-feature-enabled"]["live_migration"] == "true"
    assert flags["compute-feature-enabled"]["interface_attach"] == "false"
    assert flags["compute"]["min_compute_nodes"] == "2" and flags["compute"]["flavor_ref"] == "42"
    sh = localconf.render_local_sh(Profile(name="g2", vm_generation=2))
    assert "hw_machine_type=hyperv-gen2" in sh
    assert subprocess.run(["bash", "-n"], input=sh.encode()).returncode == 0


def test_devstack_vars_override_generated_ones_in_place() -> None:
    profile = Profile(name="o", devstack_vars={"TENANT_VLAN_RANGE": "100:200"})
    text = localconf.render_local_conf(profile, Release(), inputs())
    assert text.count("TENANT_VLAN_RANGE=") == 1
    assert sourced(text)["TENANT_VLAN_RANGE"] == "100:200"


@pytest.mark.parametrize("bad", [
    {"devstack_vars": {"BAD NAME": "x"}},
    {"devstack_vars": {"X;rm": "x"}},
])
def test_bad_variable_names_are_config_errors(bad: dict[str, dict[str, str]]) -> None:
    with pytest.raises(ConfigError):
        localconf.render_local_conf(Profile(name="b", **bad), Release(), inputs())


def test_unsupported_network_and_multiline_post_config_are_errors() -> None:
    with pytest.raises(ConfigError, match="network type"):
        localconf.render_local_conf(Profile(name="n", network=Network(type="gre")), Release(), inputs())
    with pytest.raises(ConfigError, match="span lines"):
        localconf.render_local_conf(Profile(name="m"), Release(),
                                    inputs(post_config={"$NOVA_CONF": {"DEFAULT": {"x": "a\nb"}}}))


def test_local_sh_quotes_every_value() -> None:
    sh = localconf.render_local_sh(profiles()["HyperV2016_VHDX_flat"])
    dynamic = [line for line in sh.splitlines() if line.startswith("iniset") and "$(" in line]
    for line in sh.splitlines():
        if line.startswith("iniset") and line not in dynamic:
            assert len(shlex.split(line)) == 5, line
    # only the image paths are read back from the file DevStack wrote
    assert [shlex.split(line)[2:4] for line in dynamic] == [["scenario", "img_file"], ["compute", "image_ref_alt"]]
    given = localconf.render_local_sh(profiles()["HyperV2016_VHDX_flat"], image="/opt/stack/images/c.vhdx.gz")
    assert "iniset \"$TEMPEST_CONFIG\" scenario img_file /opt/stack/images/cirros-0.3.4-x86_64.vhdx" in given
