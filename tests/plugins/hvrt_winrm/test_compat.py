"""The PowerShell compatibility check: its reference data, its scanner and its findings."""
from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest
from hvrt_winrm.compat.__main__ import main, used_commands
from hvrt_winrm.compat.check import Checker, Finding
from hvrt_winrm.compat.reference import Reference, SpecError
from hvrt_winrm.compat.refresh import REPOS, parse_page, refresh
from hvrt_winrm.compat.scan import scan_source
from hvrt_winrm.compat.sources import SourceError, Unit, file_units, repo_root, shipped_units
from hvrt_winrm.support import SUPPORT, compat_target

DATA = Path(__file__).parent / "data" / "compat"
ROOT = repo_root()
MIRRORS = Path(os.environ.get("HVRT_DOCS_MIRRORS", "/work/.mirror"))


@pytest.fixture(scope="module")
def reference() -> Reference:
    return Reference.load()


def check(reference: Reference, *names: str, targets: list[str] | None = None) -> list[Finding]:
    return Checker(reference, targets).check(file_units([DATA / name for name in names]))


def keys(findings: list[Finding]) -> set[tuple[str, str]]:
    return {(f.subject, f.target) for f in findings}


# ------------------------------------------------------------------ reference data

def _sources(node: object) -> list[dict]:
    """Every dict under a "source" or an absent_parameters / absent_source key."""
    found: list[dict] = []
    if isinstance(node, dict):
        for key, value in node.items():
            if key in ("source", "absent_source"):
                found.append(value)
            elif key == "absent_parameters":
                found.extend(value.values())
            else:
                found.extend(_sources(value))
    elif isinstance(node, list):
        for item in node:
            found.extend(_sources(item))
    return found


def test_every_fact_names_its_source(reference):
    data = reference.data
    known_repos = set(data["repos"])
    assert known_repos == {repo for repo, _ in REPOS.values()}
    assert all(re.fullmatch(r"[0-9a-f]{40}", commit) for commit in data["repos"].values())
    facts = [fact for command in data["commands"].values() for fact in command["targets"].values()]
    facts += [fact for target in data["targets"].values() for fact in target["facts"]]
    facts += list(data["features"].values()) + list(data["notes"].values())
    facts += [v for k, v in data["common_parameters"].items() if k != "aliases"]
    for fact in facts:
        assert "source" in fact, fact
    sources = _sources(data)
    assert len(sources) >= len(facts)
    for source in sources:
        if "url" in source:
            assert source["url"].startswith("https://") and source["evidence"]
        else:
            assert source["repo"] in known_repos and source["path"] and source["evidence"], source


def test_every_target_has_every_command(reference):
    for name, command in reference.data["commands"].items():
        assert set(command["targets"]) == set(reference.order), name
        for target, fact in command["targets"].items():
            assert isinstance(fact["present"], bool)
            assert fact["present"] == ("parameters" in fact), (name, target)


def test_targets_are_the_claimed_windows_versions(reference):
    assert reference.order == ["2008r2", "2008r2-wmf51", "2012", "2012-wmf51", "2012r2", "2012r2-wmf51",
                               "2016", "2019", "2022"]
    powershell = {t: reference.targets[t]["powershell"] for t in reference.order}
    assert powershell == {"2008r2": "2.0", "2008r2-wmf51": "5.1", "2012": "3.0", "2012-wmf51": "5.1", "2012r2": "4.0",
                          "2012r2-wmf51": "5.1", "2016": "5.1", "2019": "5.1", "2022": "5.1"}
    assert reference.targets["2012-wmf51"]["hyperv_module"] == reference.targets["2012"]["hyperv_module"] == "1.0"
    assert reference.targets["2008r2-wmf51"]["hyperv_module"] is None


def test_known_facts_from_the_docs(reference):
    # Get-FileHash came with PowerShell 4.0; the 2012 Hyper-V module has no migration performance option.
    assert not reference.command("Get-FileHash", "2012").present
    assert reference.command("Get-FileHash", "2012r2").present
    assert not reference.parameter("Set-VMHost", "2012", "VirtualMachineMigrationPerformanceOption").present
    assert reference.parameter("Set-VMHost", "2012r2", "VirtualMachineMigrationPerformanceOption").present
    assert not reference.command("Get-VMHost", "2008r2-wmf51").present
    assert not reference.parameter("ConvertFrom-Json", "2022", "Depth").present
    assert not reference.parameter("Get-ChildItem", "2008r2", "File").present


# ---------------------------------------------------------------------- planted

def test_five_one_only_call_in_a_path_restricted_to_2012(reference):
    findings = check(reference, "restricted_2012.ps1")
    assert keys(findings) == {("Compress-Archive", "2012"), ("ConvertFrom-Json -Depth", "2012")}
    assert {f.line for f in findings} == {12, 13}
    text = {str(f) for f in findings}
    assert any("Compress-Archive missing on 2012 (source: MicrosoftDocs/PowerShell-Docs-archive/archived-reference/3.0"
               in line for line in text)


def test_hyperv_cmdlet_in_a_2008r2_path(reference):
    findings = check(reference, "hyperv_2008r2.ps1")
    assert keys(findings) == {("Get-VM", "2008r2")}
    assert "root\\virtualization" in findings[0].source


def test_language_features_by_version(reference):
    found = keys(check(reference, "features.ps1"))
    v3 = {"[ordered] hash tables", "[pscustomobject]@{...}", "[Type]@{...} object creation", "-in / -notin",
          "$using: scope modifier", "$PSItem", "-ErrorAction Ignore", "stop-parsing symbol --%"}
    v5 = {"[Type]::new()", "class definitions", "enum definitions"}
    assert found == {(f, "2008r2") for f in v3 | v5} | {(f, t) for f in v5 for t in ("2012", "2012r2")}


def test_requires_version_limits_the_targets(reference):
    assert check(reference, "requires_51.ps1") == []
    scan = scan_source((DATA / "requires_51.ps1").read_text())
    assert reference.allowed(scan.usages[0].restriction) == {t for t in reference.order if t.endswith("wmf51")
                                                             or t in ("2016", "2019", "2022")}


def test_aliases_abbreviations_unknown_commands_and_bad_annotations(reference):
    findings = check(reference, "resolution.ps1")
    kinds = {(f.kind, f.subject, f.target) for f in findings}
    # -Fi matches -File and -Filter from PowerShell 3.0 on; on 2.0 it can only mean -Filter
    assert ("ambiguous-parameter", "Get-ChildItem -Fi", "2012") in kinds
    assert not any(f.target == "2008r2" and f.subject == "Get-ChildItem -Fi" for f in findings)
    assert not any("LiteralP" in f.subject or "-ea" in f.subject for f in findings)
    assert ("unknown-command", "Invoke-PlantedUnknownThing", "*") in kinds
    assert len([f for f in findings if f.kind == "annotation"]) == 1


def test_annotations_restrict_only_their_function(reference):
    source = """
function Get-Wide { Get-FileHash -LiteralPath x }

# hvrt-compat: 2012r2+
function Get-Narrow { Get-FileHash -LiteralPath x }
"""
    findings = Checker(reference).check([Unit("inline.ps1", source)])
    assert {(f.line, f.target) for f in findings} == {(2, "2008r2"), (2, "2012")}


def test_target_specs(reference):
    assert reference.select("2016+") == {"2016", "2019", "2022"}
    assert reference.select("2012-wmf51+") == {"2012-wmf51", "2012r2-wmf51", "2016", "2019", "2022"}
    assert reference.select("ps4.0+") == reference.select("all") - {"2008r2", "2012"}
    assert reference.select("hyperv") == reference.select("all") - {"2008r2", "2008r2-wmf51"}
    assert reference.select("2012, 2019") == {"2012", "2019"}
    with pytest.raises(SpecError):
        reference.select("2003")


# --------------------------------------------------------------- shipped scripts

def test_every_script_hvrt_sends_is_found():
    labels = {u.label for u in shipped_units()}
    assert {"plugins/hvrt_winrm/HvrtHyperV.psm1", "plugins/hvrt_winrm/HostLoop.ps1", "plugins/hvrt_winrm/OneShot.ps1",
            "plugins/hvrt_winrm/transport.py",
            "contrib/saltstack/hvrt_saltstack/file_root/hvrt/compute/files/install_msi.ps1",
            "contrib/saltstack/hvrt_saltstack/file_root/hvrt/compute/files/live_migration.ps1",
            "contrib/puppet/modules/hvrt/files/live_migration.ps1",
            "contrib/puppet/modules/hvrt/manifests/live_migration.pp"} <= labels
    transport = next(u for u in shipped_units() if u.label == "plugins/hvrt_winrm/transport.py")
    assert [u.name for u in transport.usages if u.kind == "parameter"] == [
        "NoProfile", "NonInteractive", "ExecutionPolicy", "EncodedCommand"]


def test_named_states_manifests_and_python_files_yield_their_powershell():
    salt = ROOT / "contrib/saltstack/hvrt_saltstack/file_root/hvrt/compute/install.sls"
    puppet = ROOT / "contrib/puppet/modules/hvrt/manifests/live_migration.pp"
    units = file_units([salt, puppet, ROOT / "plugins/hvrt_winrm/transport.py"])
    assert [u.label for u in units] == [
        "contrib/saltstack/hvrt_saltstack/file_root/hvrt/compute/files/install_msi.ps1",
        "contrib/puppet/modules/hvrt/manifests/live_migration.pp", "plugins/hvrt_winrm/transport.py"]
    flags = [u.name for u in units[1].usages if u.kind == "parameter"]
    assert flags == ["NoProfile", "NonInteractive", "ExecutionPolicy", "File"]


def test_a_state_naming_a_missing_script_is_an_error(tmp_path):
    state = tmp_path / "contrib" / "saltstack" / "pkg" / "file_root" / "x" / "init.sls"
    state.parent.mkdir(parents=True)
    state.write_text("run:\n  cmd.script:\n    - source: salt://x/files/gone.ps1\n    - shell: powershell\n")
    (tmp_path / "plugins" / "hvrt_winrm").mkdir(parents=True)
    with pytest.raises(SourceError, match="gone.ps1"):
        shipped_units(tmp_path)


def test_shipped_scripts_are_clean_on_2016_2019_2022(capsys):
    assert main(["check", "--target", "2016", "--target", "2019", "--target", "2022"]) == 0
    assert capsys.readouterr().out == ""


def test_the_winrm_plugins_scripts_are_clean_on_every_target(reference):
    """2012 runs the module on stock PowerShell 3.0; 2008 R2 is refused at load (docs/winrm.md)."""
    units = [u for u in shipped_units() if u.label.startswith("plugins/")]
    assert {u.label for u in units} >= {"plugins/hvrt_winrm/HvrtHyperV.psm1", "plugins/hvrt_winrm/HostLoop.ps1"}
    assert Checker(reference).check(units) == []


def test_the_module_and_host_loop_never_claim_2008r2(reference):
    checker = Checker(reference)
    for unit in shipped_units():
        if unit.label not in ("plugins/hvrt_winrm/HvrtHyperV.psm1", "plugins/hvrt_winrm/HostLoop.ps1"):
            continue
        usages = checker.scan(unit).usages
        assert usages
        for usage in usages:
            allowed = reference.allowed(usage.restriction)
            assert allowed and not {"2008r2", "2008r2-wmf51"} & allowed, (unit.label, usage)


def test_the_2012_r2_only_performance_option_sits_in_an_annotated_function(reference):
    module = next(u for u in shipped_units() if u.label == "plugins/hvrt_winrm/HvrtHyperV.psm1")
    [usage] = [u for u in Checker(reference).scan(module).usages
               if u.kind == "parameter" and u.name == "VirtualMachineMigrationPerformanceOption"]
    allowed = reference.allowed(usage.restriction)
    assert "2012r2" in allowed and not {"2012", "2012-wmf51"} & allowed


def _supported_targets() -> set[str]:
    """The compat targets of every Windows the winrm plugin accepts, with and without WMF 5.1."""
    return {compat_target(name, powershell) for name, os in SUPPORT.items() if not os.refused
            for powershell in os.powershell_choices()}


def _contrib_units() -> list[Unit]:
    units = [u for u in shipped_units() if u.label.startswith("contrib/")]
    assert {u.label.rsplit("/", 1)[-1] for u in units if u.label.endswith(".ps1")} == {
        "install_msi.ps1", "live_migration.ps1", "vswitch.ps1"}
    return units


def test_the_contrib_scripts_are_clean_on_every_supported_target(reference):
    """The Salt states' and the Puppet module's PowerShell runs wherever the winrm plugin does."""
    supported = _supported_targets()
    assert supported == {"2012", "2012-wmf51", "2012r2", "2012r2-wmf51", "2016", "2019", "2022"}
    units = _contrib_units()
    assert [str(f) for f in Checker(reference, sorted(supported)).check(units)] == []
    # and no script is clean there by being annotated away from a supported target
    checker = Checker(reference)
    for unit in units:
        assert reference.allowed(checker.scan(unit).base) >= supported, unit.label


def test_the_contrib_scripts_never_claim_2008r2(reference):
    checker = Checker(reference)
    scripts = [u for u in _contrib_units() if u.label.endswith(".ps1")]
    for unit in scripts:
        assert not {"2008r2", "2008r2-wmf51"} & reference.allowed(checker.scan(unit).base), unit.label
    assert Checker(reference, ["2008r2", "2008r2-wmf51"]).check(scripts) == []


def test_the_puppet_performance_option_sits_in_a_2012r2_function(reference):
    script = next(u for u in _contrib_units() if u.label == "contrib/puppet/modules/hvrt/files/live_migration.ps1")
    scan = Checker(reference).scan(script)
    [usage] = [u for u in scan.usages if u.kind == "parameter" and u.name == "VirtualMachineMigrationPerformanceOption"]
    allowed = reference.allowed(usage.restriction)
    assert "2012r2" in allowed and not {"2012", "2012-wmf51"} & allowed
    assert not [u for u in scan.usages if u.kind == "command" and u.name == "Get-FileHash"]


def test_the_salt_install_script_hashes_without_get_filehash(reference):
    script = next(u for u in _contrib_units() if u.label.endswith("/compute/files/install_msi.ps1"))
    assert not [u for u in Checker(reference).scan(script).usages if u.name == "Get-FileHash"]
    assert "[System.Security.Cryptography.SHA256]::Create()" in (script.text or "")


def test_the_docs_table_is_current(capsys):
    assert main(["table"]) == 0
    table = capsys.readouterr().out.splitlines()
    doc = (ROOT / "docs" / "powershell-compat.md").read_text(encoding="utf-8").splitlines()
    missing = [row for row in table if row not in doc]
    assert missing == [], "regenerate the table with 'python -m hvrt_winrm.compat table'"


# ------------------------------------------------------------------------- CLI

def test_cli_lists_findings_and_exits_1(capsys):
    assert main(["check", str(DATA / "restricted_2012.ps1")]) == 1
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 2
    assert re.fullmatch(r"tests/plugins/hvrt_winrm/data/compat/restricted_2012\.ps1:12:5 Compress-Archive missing on "
                        r"2012 \(source: MicrosoftDocs/.+\)", lines[0])


def test_cli_json(capsys):
    assert main(["check", str(DATA / "hyperv_2008r2.ps1"), "--target", "2008r2", "--json"]) == 1
    out = json.loads(capsys.readouterr().out)
    assert out["targets"] == ["2008r2"]
    assert [(f["subject"], f["line"], f["kind"]) for f in out["findings"]] == [("Get-VM", 7, "command")]


def test_cli_rejects_an_unknown_target(capsys):
    assert main(["check", "--target", "2003"]) == 2
    assert "unknown target" in capsys.readouterr().err


# --------------------------------------------------------------------- refresh

def test_parse_page_reads_syntax_aliases_and_notes():
    page = parse_page("""# Get-Thing

## SYNOPSIS
Gets a thing.

## SYNTAX

### One (Default)
```
Get-Thing [[-Name] <String>] [-Fast] [<CommonParameters>]
```

### Two
```
Get-Thing -LiteralName <String> [-Fast] [<CommonParameters>]
```

## DESCRIPTION
Gets things. This cmdlet was introduced in Windows PowerShell 3.0.

## PARAMETERS

### -Fast
Goes fast. This parameter was introduced in Windows PowerShell 3.0.

```yaml
Aliases: quick
```

## NOTES

Windows PowerShell includes the following aliases for `Get-Thing`:

- `gth`
""")
    assert page.parameters == ["Name", "Fast", "LiteralName"]
    assert page.aliases == {"quick": "Fast"}
    assert page.command_aliases == ["gth"]
    assert "introduced in Windows PowerShell 3.0" in page.description[1]


@pytest.mark.skipif(not all((MIRRORS / repo.replace("/", "+") / "repo").is_dir() for repo, _ in REPOS.values()),
                    reason="needs git copies of Microsoft's documentation repositories (HVRT_DOCS_MIRRORS)")
def test_refresh_reproduces_the_shipped_reference(tmp_path):
    output = tmp_path / "commands.json"
    refresh(MIRRORS, used_commands(shipped_units()), output)
    shipped = ROOT / "plugins" / "hvrt_winrm" / "compat" / "commands.json"
    assert output.read_text(encoding="utf-8") == shipped.read_text(encoding="utf-8")
