"""``hvrt import-legacy`` on the real legacy inputs, through the console script:
golden output, the output loads, and ``hvrt plan`` shows the 16 legacy scenarios as the
legacy tool ran them, but for the Nano Server one: it is kept as an abstract profile
(Nano Server has no msiexec)."""
from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from hvrt.testing import run_cli

REPO = Path(__file__).resolve().parents[3]
GOLDEN = REPO / "examples" / "legacy"
LEGACY = GOLDEN / "source"  # the legacy tool's real inputs, unchanged
SHARED = Path("/work/shared/fixtures/legacy-cloudbase")
NANO = "HyperVNano2016_VHDX"  # its hosts run Nano Server: refused by the winrm plugin
ENV = {"HVRT_NODE_PASSWORD": "node-pw", "HVRT_ADMIN_PASSWORD": "admin-pw"}


@pytest.mark.skipif(not SHARED.is_dir(), reason="the shared fixture folder is not on this machine")
def test_the_copy_in_the_repo_is_the_real_legacy_input() -> None:
    for path in LEGACY.glob("*.*"):
        if path.name != "README.md":
            assert path.read_bytes() == (SHARED / path.name).read_bytes(), path.name


def hvrt(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return run_cli(*args, cwd=cwd, env=env, timeout=120)


@pytest.fixture(scope="module")
def imported(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out_dir = tmp_path_factory.mktemp("imported")
    proc = hvrt("import-legacy", str(LEGACY / "config.yaml"), "--tests-dir", str(LEGACY),
                "-o", "hvrt.yaml", cwd=out_dir)
    assert proc.returncode == 0, proc.stderr
    assert "15 scenarios, 8 nodes, 6 list files" in proc.stdout
    assert f"hvrt: warning: {NANO} is imported as an abstract profile: Nano Server has no msiexec" in proc.stderr
    return out_dir / "hvrt.yaml"


@pytest.fixture(scope="module")
def plan(imported: Path) -> dict:
    proc = hvrt("plan", "-c", str(imported), "--all", "--json", cwd=imported.parent, env=ENV)
    assert proc.returncode == 0, proc.stderr
    return {s["name"]: s for s in json.loads(proc.stdout)["scenarios"]}


def test_output_matches_the_golden_file(imported: Path) -> None:
    assert imported.read_text() == (GOLDEN / "hvrt.yaml").read_text()


def test_list_files_are_copied_unchanged(imported: Path) -> None:
    copied = sorted(p.name for p in (imported.parent / "tempest-lists").iterdir())
    assert copied == sorted(p.name for p in LEGACY.glob("*-tests-*.txt"))
    for name in copied:
        assert (imported.parent / "tempest-lists" / name).read_bytes() == (LEGACY / name).read_bytes()


def test_plan_shows_the_legacy_scenarios_in_legacy_order(plan: dict) -> None:
    import yaml

    legacy = yaml.safe_load((LEGACY / "config.yaml").read_text())
    assert list(plan) == [name for name in legacy if name != NANO]
    assert len(plan) == 15


def test_the_nano_scenario_is_kept_but_never_planned(imported: Path) -> None:
    from hvrt.config import load_config

    config = load_config(imported, environ=ENV)
    assert config.profiles[NANO].abstract
    proc = hvrt("plan", "-c", str(imported), "--profile", NANO, cwd=imported.parent, env=ENV)
    assert proc.returncode == 2
    assert f"profile '{NANO}' is abstract" in proc.stderr


def test_every_scenario_keeps_hosts_suite_live_migration_and_ini(plan: dict) -> None:
    import yaml

    legacy = yaml.safe_load((LEGACY / "config.yaml").read_text())
    for name, old in legacy.items():
        if name == NANO:
            continue
        got = plan[name]
        assert got["candidate_nodes"] == list(old["hosts"]), name
        assert got["nodes_needed"] == len(old["hosts"])
        profile = got["profile"]
        assert profile["tempest"]["suite"] == old["test_suite"]
        assert profile["live_migration"] is old["devstack"]["live_migration"]
        assert profile["allow_resize_to_same_host"] is old["devstack"]["allow_resize_to_same_host"]
        assert profile["include_default"] is old.get("include_default", True)
        assert profile["image"]["url"] == old["devstack"]["image_url"]
        for host, files in old["hosts"].items():
            for fname, sections in files.items():
                for section, values in sections.items():
                    for key, value in values.items():
                        want = str(value) if not isinstance(value, bool) else ("True" if value else "False")
                        want = want.replace("\\\\", "\\")  # the legacy tool's bash eval halved backslashes
                        assert got["ini_by_node"][host][fname][section][key] == want, (name, host, key)


def test_typed_fields_inferred_from_the_legacy_values(plan: dict) -> None:
    def prof(name: str) -> dict:
        return plan[name]["profile"]

    assert prof("HyperV2016_VHDX")["os"] == "2016"
    assert prof("HyperV2012_VHDX")["os"] == "2012"
    assert prof("HyperV2012r2_VHD_fixed")["image"] | {"url": None, "heat_url": None} == \
        {"format": "vhd", "type": "fixed", "url": None, "heat_url": None}
    assert prof("HyperV2012r2_VHDX_fixed_no_CoW")["cow"] is False
    assert prof("HyperV2012r2_VHDX")["cow"] is True
    assert prof("HyperV2012r2_dynamic_memory")["memory"] == {"mode": "dynamic", "dynamic_ratio": 1.5}
    assert prof("HyperV2012_VHD_v1")["utils_api"] == "v1"
    ovs = prof("HyperV2016_OVS_VXLAN_VHDX")
    assert ovs["network"]["type"] == "ovs-vxlan" and ovs["live_migration"] is True
    assert ovs["network"]["tunnel_endpoint"] == "14.14.14.3"
    assert ovs["devstack"] == {"OVS_ENABLE_TUNNELING": "True"}
    assert prof("HyperV2012r2_VHDX")["network"]["type"] == "vlan"
    assert plan["HyperV2012r2MultipleCSVS_Mitaka_VHDX"]["ini_by_node"]["NUCHV12R201"]["nova.conf"]["DEFAULT"][
        "instances_path"] == "C:\\ClusterStorage\\Volume1\\2012r2\\Instances\\"  # one backslash each
    lists = prof("HyperV2012r2_VHDX")["tempest"]["list_files"]
    assert set(lists) == {"include", "exclude", "isolated"}
    assert set(prof("HyperV2012r2_VHD_fixed")["tempest"]["list_files"]) == {"include"}


def test_placeholder_addresses_are_loopback(imported: Path) -> None:
    import ipaddress

    from hvrt.config import load_config

    config = load_config(imported, environ=ENV)
    assert len(config.nodes) == 8
    for host in config.hosts.values():
        assert ipaddress.ip_address(host.address).is_loopback
    assert config.nodes["NUC-NANO-01"].labels == {"os": "2016", "edition": "nano"}
    assert {s.origin for s in config.secrets} == {"env:HVRT_NODE_PASSWORD", "env:HVRT_ADMIN_PASSWORD"}


def test_the_controller_nic_is_the_legacy_one(imported: Path) -> None:
    from hvrt.config import load_config

    assert load_config(imported, environ=ENV).settings["devstack"]["physical_interface"] == "eth1"  # utils.sh:427


def test_default_run_is_the_legacy_default_set(imported: Path) -> None:
    proc = hvrt("plan", "-c", str(imported), "--json", cwd=imported.parent, env=ENV)
    names = [s["name"] for s in json.loads(proc.stdout)["scenarios"]]
    assert "HyperV2016_VHDX" not in names and "HyperV2012r2_VHDX" in names
    assert len(names) == 13


def test_lab_template_supplies_real_hosts(tmp_path: Path) -> None:
    template = tmp_path / "lab.yaml"
    template.write_text("""\
lab:
  controllers:
    ctl: {address: 127.0.0.3, transport: local}
  nodes:
    NUCHV1601: {address: 127.0.0.77, labels: {os: 2016}, configurator: salt}
plugins: [winrm]
""")
    proc = hvrt("import-legacy", str(LEGACY / "config.yaml"), "-o", "out/hvrt.yaml",
                "--lab-template", str(template), cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "NUCHV1601" not in proc.stdout.split("edit the placeholder addresses of:")[1]
    from hvrt.config import load_config

    config = load_config(tmp_path / "out" / "hvrt.yaml", environ=ENV)
    assert config.nodes["NUCHV1601"].address == "127.0.0.77"
    assert config.nodes["NUCHV1601"].configurator == "salt"
    assert list(config.controllers) == ["ctl"] and config.plugins == ("winrm",)
    assert "127.0.0.77" not in {h.address for n, h in config.nodes.items() if n != "NUCHV1601"}


def test_installer_and_branch_are_placeholders_that_validate_names(imported: Path) -> None:
    """The legacy config.yaml has neither (run.sh took them from its command line): the import
    leaves commented placeholders and validate names them until a run passes them."""
    text = imported.read_text()
    release = text.split("\nrelease:\n", 1)[1].split("\nprofiles:", 1)[0]
    assert "  # (run.sh MSI_URL BRANCH)" in release
    assert "  #   url: https://REPLACE-ME/HyperVNovaCompute.msi" in release and "  #   branch: REPLACE-ME" in release
    proc = hvrt("config", "validate", "-c", str(imported), cwd=imported.parent, env=ENV)
    assert proc.returncode == 2
    assert "release.installer: not set; pass --installer URL or set release.installer.url" in proc.stderr
    assert "release.devstack.branch: not set; pass --devstack-branch REF" in proc.stderr
    proc = hvrt("config", "validate", "-c", str(imported), "--installer", "https://example.invalid/a.msi",
                "--devstack-branch", "stable/pike", cwd=imported.parent, env=ENV)
    assert (proc.returncode, proc.stdout.strip()) == (0, "ok: 17 profiles, 15 scenarios"), proc.stderr


def test_a_template_release_with_installer_and_branch_needs_no_placeholder(tmp_path: Path) -> None:
    template = tmp_path / "lab.yaml"
    template.write_text("""\
lab:
  controllers:
    ctl: {address: 127.0.0.3, transport: local}
release:
  name: pike-rc
  installer: {url: https://example.invalid/HyperVNovaCompute.msi}
  devstack: {branch: stable/pike}
""")
    proc = hvrt("import-legacy", str(LEGACY / "config.yaml"), "-o", "hvrt.yaml", "--lab-template", str(template),
                cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "REPLACE-ME" not in (tmp_path / "hvrt.yaml").read_text() and "set release." not in proc.stdout


def test_refuses_to_overwrite_without_force(imported: Path) -> None:
    proc = hvrt("import-legacy", str(LEGACY / "config.yaml"), "-o", str(imported), cwd=imported.parent)
    assert proc.returncode == 2 and "--force" in proc.stderr and "Traceback" not in proc.stderr


def test_bad_legacy_input_is_a_located_error(tmp_path: Path) -> None:
    (tmp_path / "config.yaml").write_text(
        "WeirdScenario:\n  test_suite: default\n  hosts: {h1: {}}\n"
        "HyperV2012_X:\n  test_suite: nosuch\n  use_ovz: true\n  hosts: {h2: {}}\n")
    (tmp_path / "include-tests-default.txt").write_text("tempest.api.\n")
    proc = hvrt("import-legacy", "config.yaml", "-o", "out.yaml", cwd=tmp_path)
    assert proc.returncode == 2, proc.stderr
    assert "config.yaml:2:3: WeirdScenario: cannot tell the Windows Server version" in proc.stderr
    assert "config.yaml:5:15: HyperV2012_X.test_suite: no include-tests-nosuch.txt" in proc.stderr
    assert "config.yaml:6:3: HyperV2012_X.use_ovz: unknown key (did you mean 'use_ovs'?)" in proc.stderr
    assert not (tmp_path / "out.yaml").exists()
