"""The shipped module ``hvrt`` has the layout Puppet's tools expect of a module.

``metadata.json`` is checked against the Forge's metadata rules (by the checker
below, and by Puppet's own metadata parser), the module's Hiera 5 data holds the
parameters' defaults, ``REFERENCE.md`` is what puppet-strings makes of the
manifests' comments today, and ``CHANGELOG.md`` names the module's version.
"""
from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

pytestmark = [pytest.mark.puppet]

MODULE_NAME = re.compile(r"\A[a-z0-9]+[-/][a-z][a-z0-9_]*\Z")
SEMVER = re.compile(r"\A(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)"
                    r"(?:-[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?(?:\+[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?\Z")
COMPARATOR = re.compile(r"\A(>=|<=|>|<|=)?\s*(\d+\.\d+\.\d+)\Z")
SPDX_ID = re.compile(r"\A[A-Za-z0-9][A-Za-z0-9.+-]*\Z")
URL = re.compile(r"\A(https?|git|ssh)://[A-Za-z0-9.-]+(:\d+)?(/\S*)?\Z")
REQUIRED = ("name", "version", "author", "summary", "license", "source", "dependencies")


def _version(text: str) -> tuple[int, int, int]:
    major, minor, patch = text.split(".")
    return int(major), int(minor), int(patch)


def range_problems(where: str, text: object) -> list[str]:
    """A bounded version range: ``>= A.B.C < X.Y.Z`` (clauses separated by spaces)."""
    if not isinstance(text, str) or not text.strip():
        return [f"{where}: not a version range: {text!r}"]
    clauses = re.findall(r"(?:>=|<=|>|<|=)?\s*[^\s<>=]+", text.strip())
    parsed = [COMPARATOR.match(c.strip()) for c in clauses]
    if not all(parsed):
        return [f"{where}: not a version range: {text!r}"]
    ops = {m.group(1) or "=" for m in parsed if m}
    if "=" not in ops and not (ops & {">", ">="} and ops & {"<", "<="}):
        return [f"{where}: {text!r} needs a lower and an upper bound"]
    return []


def in_range(version: str, text: str) -> bool:
    have = _version(version.split("-")[0])
    checks = {">=": lambda a, b: a >= b, "<=": lambda a, b: a <= b, ">": lambda a, b: a > b,
              "<": lambda a, b: a < b, "=": lambda a, b: a == b}
    for clause in re.findall(r"(?:>=|<=|>|<|=)?\s*[^\s<>=]+", text.strip()):
        m = COMPARATOR.match(clause.strip())
        assert m, clause
        if not checks[m.group(1) or "="](have, _version(m.group(2))):
            return False
    return True


def metadata_problems(meta: Any) -> list[str]:
    """What breaks the Forge's rules for ``metadata.json``; empty when none does."""
    if not isinstance(meta, dict):
        return ["metadata.json must hold one JSON object"]
    problems = [f"missing {key!r}" for key in REQUIRED if key not in meta]
    name = meta.get("name", "")
    if not isinstance(name, str) or not MODULE_NAME.match(name):
        problems.append(f"name {name!r} is not <author>-<module> (lower case, module starts with a letter)")
    elif meta.get("author") and not str(meta["author"]).strip():
        problems.append("author is empty")
    if not isinstance(meta.get("version"), str) or not SEMVER.match(meta["version"]):
        problems.append(f"version {meta.get('version')!r} is not a semantic version")
    summary = meta.get("summary")
    if not isinstance(summary, str) or not summary.strip() or len(summary) > 144:
        problems.append("summary must be 1 to 144 characters")
    if not isinstance(meta.get("license"), str) or not SPDX_ID.match(meta["license"]):
        problems.append(f"license {meta.get('license')!r} is not an SPDX identifier")
    if not isinstance(meta.get("source"), str) or not URL.match(meta["source"]):
        problems.append(f"source {meta.get('source')!r} is not a URL")
    seen: set[str] = set()
    for i, dep in enumerate(meta.get("dependencies", [])):
        dep_name = dep.get("name", "") if isinstance(dep, dict) else ""
        if not MODULE_NAME.match(dep_name):
            problems.append(f"dependencies[{i}]: name {dep_name!r} is not <author>/<module>")
        elif dep_name.replace("-", "/") in seen:
            problems.append(f"dependencies[{i}]: {dep_name} is listed twice")
        seen.add(dep_name.replace("-", "/"))
        problems += range_problems(f"dependencies[{i}] ({dep_name})",
                                   dep.get("version_requirement") if isinstance(dep, dict) else None)
    oses = meta.get("operatingsystem_support")
    if not isinstance(oses, list) or not oses:
        problems.append("operatingsystem_support must list the supported systems")
    else:
        for i, entry in enumerate(oses):
            releases = entry.get("operatingsystemrelease", []) if isinstance(entry, dict) else None
            if not isinstance(entry, dict) or not isinstance(entry.get("operatingsystem"), str) \
                    or not isinstance(releases, list) or not all(isinstance(r, str) for r in releases):
                problems.append(f"operatingsystem_support[{i}] needs operatingsystem and a list of releases")
    puppet = [r for r in meta.get("requirements", []) if isinstance(r, dict) and r.get("name") == "puppet"]
    if len(puppet) != 1:
        problems.append("requirements must name puppet once")
    else:
        problems += range_problems("requirements (puppet)", puppet[0].get("version_requirement"))
    return problems


@pytest.fixture(scope="module")
def module(module_path: Path) -> Path:
    return module_path / "hvrt"


@pytest.fixture(scope="module")
def meta(module: Path) -> dict[str, Any]:
    return json.loads((module / "metadata.json").read_text(encoding="utf-8"))


def test_metadata_follows_the_forge_rules(meta: dict[str, Any]) -> None:
    assert metadata_problems(meta) == []
    assert meta["name"] == "hvrt-hvrt" and meta["author"] == "hvrt"
    assert [d["name"] for d in meta["dependencies"]] == ["puppetlabs/inifile"]
    assert {o["operatingsystem"] for o in meta["operatingsystem_support"]} == {"windows", "Debian"}


@pytest.mark.parametrize(("change", "complaint"), [
    ({"name": "hvrt"}, "name 'hvrt'"),
    ({"name": "hvrt-Hvrt"}, "name 'hvrt-Hvrt'"),
    ({"version": "0.1"}, "version '0.1'"),
    ({"summary": "x" * 145}, "summary"),
    ({"license": "Apache 2.0"}, "license"),
    ({"source": "contrib/puppet in the hvrt repository"}, "source"),
    ({"dependencies": [{"name": "puppetlabs/inifile", "version_requirement": ">= 4.0.0"}]}, "upper bound"),
    ({"dependencies": [{"name": "puppetlabs/inifile", "version_requirement": "four"}]}, "not a version range"),
    ({"dependencies": [{"name": "puppetlabs/inifile", "version_requirement": ">= 4.0.0 < 7.0.0"},
                       {"name": "puppetlabs-inifile", "version_requirement": ">= 4.0.0 < 7.0.0"}]}, "twice"),
    ({"operatingsystem_support": []}, "operatingsystem_support"),
    ({"requirements": []}, "requirements must name puppet"),
    ({"author": None}, None),
])
def test_the_metadata_checker_catches_each_broken_rule(meta: dict[str, Any], change: dict[str, Any],
                                                        complaint: str | None) -> None:
    broken = {**meta, **change}
    if complaint is None:  # a missing key
        broken = {k: v for k, v in broken.items() if v is not None}
        complaint = "missing 'author'"
    problems = metadata_problems(broken)
    assert any(complaint in p for p in problems), problems


def test_the_installed_puppet_meets_the_requirement_and_accepts_the_metadata(
        module: Path, meta: dict[str, Any], tmp_path: Path) -> None:
    if shutil.which("puppet") is None or shutil.which("ruby") is None:
        pytest.skip("needs puppet")
    # Puppet's own metadata parser (the one `puppet module` uses) reads it the same way
    script = ("require 'json'; require 'puppet'; require 'puppet/module_tool'; "
              "m = Puppet::ModuleTool::Metadata.new.update(JSON.parse(File.read(ARGV[0]))); "
              "puts JSON.generate([m.full_module_name, m.version.to_s, m.dependencies.map(&:full_module_name), "
              "Puppet.version])")
    proc = subprocess.run(["ruby", "-e", script, str(module / "metadata.json")], capture_output=True, text=True,
                          timeout=60)
    assert proc.returncode == 0, proc.stderr
    name, version, dependencies, installed = json.loads(proc.stdout)
    assert (name, version, dependencies) == ("hvrt-hvrt", meta["version"], ["puppetlabs/inifile"])
    (requirement,) = [r["version_requirement"] for r in meta["requirements"] if r["name"] == "puppet"]
    assert in_range(installed, requirement), (installed, requirement)
    assert not in_range("9.0.0", requirement) and in_range("7.23.0", requirement)
    # and it rejects a version that is not semantic
    bad = tmp_path / "metadata.json"
    bad.write_text(json.dumps({**meta, "version": "0.1"}), encoding="utf-8")
    proc = subprocess.run(["ruby", "-e", script, str(bad)], capture_output=True, text=True, timeout=60)
    assert proc.returncode != 0 and "version" in proc.stderr


def test_module_hiera_is_version_5_and_holds_every_parameter_default(module: Path) -> None:
    hiera = yaml.safe_load((module / "hiera.yaml").read_text(encoding="utf-8"))
    assert hiera["version"] == 5
    paths = [level["path"] for level in hiera["hierarchy"]]
    assert paths == ["os/%{facts.os.family}.yaml", "common.yaml"]
    datadir = module / hiera["defaults"]["datadir"]
    common = yaml.safe_load((datadir / "common.yaml").read_text(encoding="utf-8"))
    windows = yaml.safe_load((datadir / "os" / "windows.yaml").read_text(encoding="utf-8"))
    assert windows == {"hvrt::manage_package": True, "hvrt::manage_services": True}
    assert common["hvrt::manage_package"] is False and common["hvrt::manage_services"] is False
    # every class parameter without a default in the code has one in the data
    for manifest, klass in (("init.pp", "hvrt"), ("settings.pp", "hvrt::settings")):
        text = (module / "manifests" / manifest).read_text(encoding="utf-8")
        params = re.search(rf"class {re.escape(klass)} \((.*?)\n\) {{", text, re.S)
        assert params, manifest
        without_default = re.findall(r"\$(\w+),\n", params.group(1) + "\n")
        assert without_default, manifest
        missing = [p for p in without_default if f"{klass}::{p}" not in common]
        assert missing == [], manifest


def test_the_changelog_names_the_module_version(module: Path, meta: dict[str, Any]) -> None:
    changelog = (module / "CHANGELOG.md").read_text(encoding="utf-8")
    assert changelog.startswith("# Changelog")
    assert f"\n## {meta['version']}\n" in changelog


def test_reference_md_is_what_puppet_strings_makes_of_the_manifests(module: Path, tmp_path: Path) -> None:
    if shutil.which("puppet") is None:
        pytest.skip("needs puppet")
    probe = subprocess.run(["puppet", "strings", "--help"], capture_output=True, text=True, timeout=60)
    if probe.returncode != 0:
        pytest.skip("needs puppet-strings (Debian: apt-get install puppet-strings)")
    copy = tmp_path / "hvrt"
    shutil.copytree(module, copy, ignore=shutil.ignore_patterns("REFERENCE.md", ".yardoc", "__pycache__"))
    proc = subprocess.run(["puppet", "strings", "generate", "--format", "markdown", "--out", "REFERENCE.md"],
                          cwd=copy, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    fresh = (copy / "REFERENCE.md").read_text(encoding="utf-8")
    assert "### <a name=\"hvrt\"></a>`hvrt`" in fresh and "`hvrt::settings`" in fresh
    assert (module / "REFERENCE.md").read_text(encoding="utf-8") == fresh, (
        "REFERENCE.md is stale: run `puppet strings generate --format markdown --out REFERENCE.md` "
        "in contrib/puppet/modules/hvrt")
