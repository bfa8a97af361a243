"""``hvrt plan`` through the console script: text and JSON, selection, plugin profiles."""
from __future__ import annotations

import json
import subprocess
import textwrap
from pathlib import Path

import pytest

from hvrt.testing import run_cli

EXAMPLE = Path(__file__).resolve().parents[3] / "examples" / "hvrt.yaml"
ENV = {"HVRT_NODE_PASSWORD": "node-pw", "HVRT_ADMIN_PASSWORD": "admin-pw"}


def hvrt(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return run_cli(*args, cwd=cwd, env=env, timeout=120)


@pytest.fixture(scope="module")
def plan_json(tmp_path_factory: pytest.TempPathFactory) -> dict:
    proc = hvrt("plan", "-c", str(EXAMPLE), "--all", "--json", cwd=tmp_path_factory.mktemp("plan"), env=ENV)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def test_json_lists_every_scenario_with_its_needs(plan_json: dict) -> None:
    assert plan_json["schema"] == 1 and plan_json["release"] == "2024.1-rc1"
    scenarios = {s["name"]: s for s in plan_json["scenarios"]}
    assert len(scenarios) == 12 and "base" not in scenarios
    ovs = scenarios["2012r2-ovs-vxlan"]
    assert ovs["nodes_needed"] == 2 and ovs["candidate_nodes"] == ["hv-2012r2-a", "hv-2012r2-b"]
    assert ovs["candidate_controllers"] == ["devstack"]
    assert ovs["configurators"] == {"hv-2012r2-a": "winrm", "hv-2012r2-b": "winrm"}
    assert ovs["profile"]["network"]["type"] == "ovs-vxlan" and ovs["profile"]["live_migration"] is True
    assert ovs["ini_by_node"]["hv-2012r2-b"]["neutron_ovs_agent.conf"]["OVS"]["local_ip"] == "127.0.0.12"
    assert ovs["ini_by_node"]["hv-2012r2-b"]["nova.conf"]["DEFAULT"] == {
        "debug": "True", "allow_resize_to_same_host": "False"}
    assert set(ovs["profile"]["tempest"]["list_files"]) == {"include", "exclude", "isolated"}
    dm = scenarios["2016-dynamic-memory"]["profile"]
    assert dm["memory"] == {"mode": "dynamic", "dynamic_ratio": 1.5} and dm["vm_generation"] == 2
    assert "node-pw" not in json.dumps(plan_json) and "admin-pw" not in json.dumps(plan_json)


def test_text_form(tmp_path: Path) -> None:
    proc = hvrt("plan", "-c", str(EXAMPLE), "-p", "2012-vhdx", "-p", "2012r2-vhd-fixed-nocow", cwd=tmp_path, env=ENV)
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert out.startswith("release 2024.1-rc1: 2 scenario(s) from ")
    assert out.index("\n2012r2-vhd-fixed-nocow - ") < out.index("\n2012-vhdx - ")  # config order
    assert "  nodes:           2 of hv-2012r2-a, hv-2012r2-b (labelled os: 2012r2)\n" in out
    assert "  image:           vhd/fixed, no copy-on-write (" in out
    assert "  live migration:  yes\n" in out
    assert "  hyper-v:         utils api v1, VM generation 1, RemoteFX no\n" in out
    assert "  tempest:         suite images, concurrency 4, attempts 2 (include-tests-images.txt)\n" in out
    assert "      nova.conf [hyperv] force_hyperv_utils_v1 = True\n" in out


def test_default_selection_is_include_default(tmp_path: Path) -> None:
    proc = hvrt("plan", "-c", str(EXAMPLE), "--json", cwd=tmp_path, env=ENV)
    names = [s["name"] for s in json.loads(proc.stdout)["scenarios"]]
    assert names == ["2012r2-vhdx", "2012r2-vhd-fixed-nocow", "2012-vhdx", "2012r2-ovs-vxlan"]


def test_unknown_profile_and_missing_secret_exit_2(tmp_path: Path) -> None:
    proc = hvrt("plan", "-c", str(EXAMPLE), "-p", "2012r2-vhdk", cwd=tmp_path, env=ENV)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert proc.stderr.strip() == ("hvrt: error: unknown profile '2012r2-vhdk' (did you mean '2012r2-vhdx'?); "
                                   "`hvrt profiles` lists them")
    proc = hvrt("plan", "-c", str(EXAMPLE), cwd=tmp_path, env={"HVRT_NODE_PASSWORD": "x"})
    assert proc.returncode == 2
    assert "release.password: environment variable HVRT_ADMIN_PASSWORD is not set" in proc.stderr


def test_profiles_contributed_by_a_plugin_are_planned(tmp_path: Path) -> None:
    (tmp_path / "hvrt_extra_profiles.py").write_text(textwrap.dedent("""\
        import hvrt

        @hvrt.hookimpl
        def hvrt_profiles(config):
            return [{"name": "from-plugin", "extends": "base", "os": "2016", "node_count": 2,
                     "include_default": False}]
        """))
    env = {**ENV, "HVRT_PLUGINS": "hvrt_extra_profiles", "PYTHONPATH": str(tmp_path)}
    proc = hvrt("plan", "-c", str(EXAMPLE), "-p", "from-plugin", "--json", cwd=tmp_path, env=env)
    assert proc.returncode == 0, proc.stderr
    (scenario,) = json.loads(proc.stdout)["scenarios"]
    assert scenario["candidate_nodes"] == ["hv-2016-a", "hv-2016-b"] and scenario["nodes_needed"] == 2
    assert scenario["profile"]["extends"] == ["base"]
    assert scenario["profile"]["tempest"]["concurrency"] == 4  # inherited from the file's base


# ------------------------------------------------------------------ --effective

@pytest.fixture(scope="module")
def effective(tmp_path_factory: pytest.TempPathFactory) -> dict:
    proc = hvrt("plan", "-c", str(EXAMPLE), "-p", "2012r2-ovs-vxlan", "--effective", "--json",
                "--installer", "https://example.invalid/override.msi", "--devstack-branch", "stable/2025.1",
                cwd=tmp_path_factory.mktemp("effective"), env=ENV)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def test_effective_shows_the_release_with_the_overrides(effective: dict) -> None:
    assert effective["schema"] == 1
    release = effective["effective"]
    assert release["installer"]["url"] == "https://example.invalid/override.msi"
    assert release["installer"]["source"] == "--installer"
    assert release["devstack"] == {"repo": "https://opendev.org/openstack/devstack", "branch": "stable/2025.1",
                                   "source": "--devstack-branch"}
    assert release["missing"] == []


def test_effective_node_states_with_origins_and_masked_secrets(effective: dict) -> None:
    (scenario,) = effective["scenarios"]
    eff = scenario["effective"]
    assert eff["controller"] == "devstack" and set(eff["nodes"]) == {"hv-2012r2-a", "hv-2012r2-b"}
    b = eff["nodes"]["hv-2012r2-b"]
    assert b["installer"]["properties"]["RPCBACKENDPASSWORD"] == "***"
    assert b["installer"]["properties"]["RPCBACKENDHOST"] == "127.0.0.2"
    ovs = b["ini"]["neutron_ovs_agent.conf"]["sections"]
    origins = {k: v["origin"] for section in ovs.values() for k, v in section.items()}
    assert origins["integration_bridge"] == "seed:network" and origins["local_ip"] in ("node", "host:tunnel_address")
    assert b["vswitch"]["name"] and "managed" in b["live_migration"]
    assert "admin-pw" not in json.dumps(effective) and "node-pw" not in json.dumps(effective)


def test_effective_local_conf_and_tempest_values(effective: dict) -> None:
    eff = effective["scenarios"][0]["effective"]
    conf = eff["local_conf"]
    assert conf.startswith("# local.conf of scenario 2012r2-ovs-vxlan") and "ADMIN_PASSWORD=***" in conf
    assert "Q_ML2_PLUGIN_MECHANISM_DRIVERS" in conf or "Q_AGENT" in conf
    tempest = eff["tempest_conf"]
    assert tempest["compute-feature-enabled"]["live_migration"] == "true"
    assert tempest["compute"]["min_compute_nodes"] == "2"


def test_effective_text_and_a_missing_release(tmp_path: Path) -> None:
    text = EXAMPLE.read_text()
    cfg = tmp_path / "hvrt.yaml"
    cfg.write_text(text.replace("    branch: stable/2024.1\n", "", 1))
    if (EXAMPLE.parent / "tempest-lists").exists():
        (tmp_path / "tempest-lists").symlink_to(EXAMPLE.parent / "tempest-lists")
    proc = hvrt("plan", "-c", str(cfg), "-p", "2012r2-vhdx", "--effective", cwd=tmp_path, env=ENV)
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert "missing:         release.devstack.branch: not set; pass --devstack-branch REF" in out
    assert "RPCBACKENDPASSWORD=***" in out and "(profile)" in out and "local.conf:" in out
    assert "tempest.conf values:" in out and "admin-pw" not in out
