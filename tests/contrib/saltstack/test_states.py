"""The shipped Salt tree (``file_root/hvrt/compute``) compiled by real Salt for a
Windows minion, and the PowerShell scripts it runs.

Windows cannot run here: ``state.show_sls`` with the grain ``os_family: Windows``
makes Salt render and compile the states a Windows node would get (MSI, INI files,
live migration, services) without running them; tree-sitter-powershell proves the
scripts parse. The Linux half runs for real in test_plugin.py and test_via_*.py.
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from hvrt_saltstack import pillar as pillars
from hvrt_saltstack.applier import FILE_ROOT
from hvrt_saltstack.options import SaltOptions

from hvrt import nodestate
from hvrt.config.model import Config, Host, Installer, Profile, Release

pytestmark = [pytest.mark.salt]

TRICKY = 'a "quoted" {{ jinja }} $(Get-Date) \'single\' ; & | %PATH%'


def windows_pillar(**hyperv: object) -> dict:
    node = Host(name="hv1", role="node", address="127.0.0.11", transport="winrm", labels={"os": "2019"},
                configurator="salt", options={"salt": {"mode": "local"}, "hyperv": hyperv})
    profile = Profile(name="2019-vhdx", os="2019", live_migration=True,
                      ini={"*": {"nova.conf": {"DEFAULT": {"use_cow_images": "True"}},
                                 "neutron_hyperv_agent.conf": {"AGENT": {"enable_metrics_collection": "False"}}}})
    installer = Installer(url="https://downloads.invalid/HyperVNovaCompute.msi", sha256="AB" * 32,
                          features=("HyperVNovaCompute", "NeutronHyperVAgent"),
                          properties={"RPCBACKENDHOST": "127.0.0.1", "ODDVALUE": TRICKY})
    controller = Host("ctl", "controller", "127.0.0.1", "local")
    config = Config("/srv/hvrt/hvrt.yaml", {"ctl": controller}, {"hv1": node}, Release(installer=installer),
                    {profile.name: profile})
    state = nodestate.build(config, profile, node, controller, scenario="2019-vhdx")
    options = SaltOptions.for_host(node, "/srv/hvrt/hvrt.yaml")
    return pillars.build(state=state, node=node, options=options, installer=installer,
                         installer_source=installer.url)


def show_sls(saltkit, tmp_path: Path, pillar: dict) -> dict:
    (tmp_path / "conf").mkdir()
    (tmp_path / "pillar").mkdir()
    (tmp_path / "pillar" / "top.sls").write_text(pillars.PILLAR_TOP)
    (tmp_path / "pillar" / "hvrt_scenario.sls").write_text(pillars.pillar_file(pillar))
    minion = {"file_client": "local", "root_dir": str(tmp_path / "root"), "grains": {"os_family": "Windows"},
              "file_roots": {"base": [str(FILE_ROOT)]}, "pillar_roots": {"base": [str(tmp_path / "pillar")]}}
    (tmp_path / "conf" / "minion").write_text(json.dumps(minion))
    done = saltkit.run(["salt-call", "--config-dir", str(tmp_path / "conf"), "--local", "--out", "json",
                        "--log-level", "error", "state.show_sls", "hvrt.compute"], timeout=120)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)["local"]


def args_of(state: dict) -> tuple[str, dict]:
    module = next(k for k in state if not k.startswith("__"))
    items = state[module]
    fun = next(i for i in items if isinstance(i, str))
    merged: dict = {}
    for item in items:
        if isinstance(item, dict):
            merged.update(item)
    return f"{module}.{fun}", merged


def test_a_windows_node_gets_msi_ini_live_migration_and_services(saltkit, tmp_path) -> None:
    pillar = windows_pillar()
    states = show_sls(saltkit, tmp_path, pillar)
    etc = r"C:\OpenStack\cloudbase\nova\etc"
    nova, agent = etc + r"\nova.conf", etc + r"\neutron_hyperv_agent.conf"
    compiled = {sid: args_of(s) for sid, s in states.items()}
    assert {sid: fun for sid, (fun, _) in compiled.items()} == {
        "hvrt-vswitch": "cmd.script",
        "hvrt-installer-fetched": "file.managed",
        "hvrt-installer": "cmd.script",
        f"hvrt-dir {etc}": "file.directory",
        f"hvrt-ini {nova}": "ini.options_present",
        f"hvrt-ini {agent}": "ini.options_present",
        "hvrt-live-migration": "cmd.script",
        "hvrt-service nova-compute": "service.running",
        "hvrt-service neutron-hyperv-agent": "service.running",
    }
    fetched = compiled["hvrt-installer-fetched"][1]
    assert fetched["name"] == r"C:\ProgramData\hvrt\salt\installer.msi"
    assert fetched["source"] == "https://downloads.invalid/HyperVNovaCompute.msi"
    assert fetched["source_hash"] == "sha256=" + "ab" * 32

    install = compiled["hvrt-installer"][1]
    assert install["shell"] == "powershell" and install["stateful"] is True
    assert install["require"] == [{"cmd": "hvrt-vswitch"}, {"file": "hvrt-installer-fetched"}]
    # every value reaches the script as data, byte for byte
    sent = json.loads(install["env"][0]["HVRT_MSI"])
    assert sent == pillar["hvrt"]["installer"]
    assert sent["properties"]["ODDVALUE"] == TRICKY
    assert sent["features"] == ["HyperVNovaCompute", "NeutronHyperVAgent"]
    assert sent["sha256"] == "ab" * 32 and sent["properties"]["RPCBACKENDHOST"] == "127.0.0.1"
    switch = json.loads(compiled["hvrt-vswitch"][1]["env"][0]["HVRT_VSWITCH"])
    assert switch == {"name": "external", "type": "External", "create": False, "adapter": None,
                      "allow_management_os": True}

    ini = compiled[f"hvrt-ini {nova}"][1]
    assert ini["sections"] == {"DEFAULT": {"use_cow_images": "True"}}
    assert ini["require"] == [{"file": f"hvrt-dir {etc}"}]
    assert compiled[f"hvrt-dir {etc}"][1]["require"] == [{"cmd": "hvrt-installer"}]
    migration = json.loads(compiled["hvrt-live-migration"][1]["env"][0]["HVRT_LIVE_MIGRATION"])
    assert migration == {"enabled": True, "authentication": "Kerberos", "max_migrations": 8, "networks": []}
    service = compiled["hvrt-service nova-compute"][1]
    assert service["enable"] is True
    assert service["watch"] == [{"ini": f"hvrt-ini {agent}"}, {"ini": f"hvrt-ini {nova}"},
                                {"cmd": "hvrt-installer"}]


def test_a_cluster_member_gets_no_live_migration_state(saltkit, tmp_path) -> None:
    states = show_sls(saltkit, tmp_path, windows_pillar(clustered=True))
    assert "hvrt-live-migration" not in states and "hvrt-vswitch" in states


@pytest.mark.parametrize("script", sorted((FILE_ROOT / "hvrt" / "compute" / "files").glob("*.ps1")),
                         ids=lambda p: p.name)
def test_powershell_scripts_parse(script: Path) -> None:
    tree_sitter = pytest.importorskip("tree_sitter")
    grammar = pytest.importorskip("tree_sitter_powershell")
    parser = tree_sitter.Parser(tree_sitter.Language(grammar.language()))
    tree = parser.parse(script.read_bytes())
    assert not tree.root_node.has_error, script.name
    broken = parser.parse(script.read_bytes() + b"\nif ($done {\n")
    assert broken.root_node.has_error  # the check can fail
