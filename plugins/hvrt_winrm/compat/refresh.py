"""Rebuild ``commands.json`` from git copies of Microsoft's PowerShell reference.

Run by a maintainer when hvrt's PowerShell starts using a new command (the check then
reports it as "not in the reference"): ``python -m hvrt_winrm.compat refresh
--mirrors DIR`` where DIR holds bare clones named ``Owner+Name/repo`` of the three
repositories in :data:`REPOS`, each read at the pinned commit. Every fact written names
the repository, commit and file it was read from (and the line, for a note).

How each fact is read:
- a command exists on a target when its page is in the target's reference folder; its
  parameters are the ``-Name`` tokens of the page's SYNTAX block;
- PowerShell 2.0 has no reference in these repositories, so the 3.0 page stands for it:
  a command or parameter whose 3.0 text says it was introduced in 3.0 is absent on 2.0,
  as are the FileSystem provider parameters about_FileSystem_Provider marks the same way
  and the CIM cmdlets (about_WQL); everything else on the 3.0 page is taken as present;
- Hyper-V cmdlets come from each Windows Server docset; Windows Server 2008 R2 has none.
"""
from __future__ import annotations

import json
import re
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPOS = {
    "ps": ("MicrosoftDocs/PowerShell-Docs", "27138b21b41de3e2b43cfcac4a56861ca419d5eb"),
    "archive": ("MicrosoftDocs/PowerShell-Docs-archive", "82428d6411948bdda3cc53f5bdc3ea2792fa3a1c"),
    "windows": ("MicrosoftDocs/windows-powershell-docs", "93986fd2fff9f5b715ad56418b50192ccc7c5128"),
}
CORE = {"3.0": ("archive", "archived-reference/3.0"), "4.0": ("archive", "archived-reference/4.0"),
        "5.0": ("archive", "archived-reference/5.0"), "5.1": ("ps", "reference/5.1")}
HYPERV = {"2012": "docset/winserver2012-ps/hyper-v", "2012r2": "docset/winserver2012r2-ps/hyper-v",
          "2016": "docset/winserver2016-ps/hyper-v", "2019": "docset/winserver2019-ps/hyper-v",
          "2022": "docset/winserver2022-ps/hyper-v"}
WMF_OVERVIEW = ("ps", "reference/docs-conceptual/windows-powershell/wmf-overview.md")
REQUIREMENTS = ("archive", "archived-reference/docs-conceptual/windows-powershell/install/"
                "Windows-PowerShell-System-Requirements.md")
V1_NAMESPACE_URL = "https://blogs.msdn.microsoft.com/virtual_pc_guy/2012/05/30/the-v2-wmi-namespace-in-hyper-v-on-windows-8/"
PS20_AUTOMATIC_URL = "https://learn.microsoft.com/en-us/previous-versions/dd347675(v=technet.10)"


@dataclass(frozen=True)
class TargetSpec:
    name: str
    os: str
    os_order: int
    powershell: str
    hyperv: str | None  # key of HYPERV, None when the OS has no Hyper-V module
    hyperv_module: str | None
    wmf: str  # how the PowerShell version got there
    row: str  # the OS's row in the WMF overview table


TARGETS = [
    TargetSpec("2008r2", "Windows Server 2008 R2 SP1", 1, "2.0", None, None, "included", "Windows Server 2008 R2 SP1"),
    TargetSpec("2008r2-wmf51", "Windows Server 2008 R2 SP1", 1, "5.1", None, None, "WMF 5.1", "Windows Server 2008 R2 SP1"),
    TargetSpec("2012", "Windows Server 2012", 2, "3.0", "2012", "1.0", "included", "Windows Server 2012 "),
    TargetSpec("2012-wmf51", "Windows Server 2012", 2, "5.1", "2012", "1.0", "WMF 5.1", "Windows Server 2012 "),
    TargetSpec("2012r2", "Windows Server 2012 R2", 3, "4.0", "2012r2", "1.1", "included", "Windows Server 2012 R2"),
    TargetSpec("2012r2-wmf51", "Windows Server 2012 R2", 3, "5.1", "2012r2", "1.1", "WMF 5.1", "Windows Server 2012 R2"),
    TargetSpec("2016", "Windows Server 2016", 4, "5.1", "2016", "2.0", "included", "Windows Server 2016"),
    TargetSpec("2019", "Windows Server 2019", 5, "5.1", "2019", "2.0", "included", "Windows Server 2019"),
    TargetSpec("2022", "Windows Server 2022", 6, "5.1", "2022", "2.0", "included", "Windows Server 2022"),
]

# Commands looked up besides those hvrt's scripts use, so that a script adding one of
# these common version-bound commands gets a precise finding.
EXTRA_COMMANDS = ["Compress-Archive", "Expand-Archive", "Invoke-RestMethod", "Get-WmiObject", "New-TemporaryFile",
                  "Write-Information", "Get-VM", "Get-VMNetworkAdapter", "Set-VMSwitch", "Get-FileHash"]

# Language features: (id, title, version introduced, repo key, path, pattern that the
# page must contain, which is the fact's evidence).
FEATURES = [
    ("ordered", "[ordered] hash tables", "3.0", "archive",
     "archived-reference/3.0/Microsoft.PowerShell.Core/About/about_Hash_Tables.md", r"\[ordered\] attribute was introduced in PowerShell 3\.0"),
    ("pscustomobject", "[pscustomobject]@{...}", "3.0", "ps",
     "reference/5.1/Microsoft.PowerShell.Core/About/about_PSCustomObject.md", r"type accelerator was added in PowerShell 3\.0"),
    ("hashtable-cast", "[Type]@{...} object creation", "3.0", "ps",
     "reference/5.1/Microsoft.PowerShell.Core/About/about_Object_Creation.md", r"This feature was added in PowerShell version 3\.0"),
    ("in-operator", "-in / -notin", "3.0", "archive",
     "archived-reference/3.0/Microsoft.PowerShell.Core/About/about_Comparison_Operators.md", r"`-in` operator was introduced in PowerShell 3\.0"),
    ("using-scope", "$using: scope modifier", "3.0", "archive",
     "archived-reference/3.0/Microsoft.PowerShell.Core/About/about_scopes.md", r"Using scope modifier is introduced in PowerShell 3\.0"),
    ("stop-parsing", "stop-parsing symbol --%", "3.0", "archive",
     "archived-reference/3.0/Microsoft.PowerShell.Core/About/about_Parsing.md", r"introduced in PowerShell 3\.0"),
    ("erroraction-ignore", "-ErrorAction Ignore", "3.0", "archive",
     "archived-reference/3.0/Microsoft.PowerShell.Core/About/about_CommonParameters.md", r"\*\*Ignore\*\* value is introduced in"),
    ("psitem", "$PSItem", "3.0", "archive",
     "archived-reference/3.0/Microsoft.PowerShell.Core/About/about_Automatic_Variables.md", r"^### \$PSItem"),
    ("static-new", "[Type]::new()", "5.0", "ps",
     "reference/5.1/Microsoft.PowerShell.Core/About/about_Object_Creation.md", r"This feature was added in PowerShell 5\.0"),
    ("class", "class definitions", "5.0", "archive",
     "archived-reference/5.0/Microsoft.PowerShell.Core/About/about_classes.md", r"^# About Classes|^# about_Classes"),
    ("enum", "enum definitions", "5.0", "archive",
     "archived-reference/5.0/Microsoft.PowerShell.Core/About/about_Enum.md", r"^# About Enum|^# about_Enum"),
    ("using-statement", "using namespace / using module", "5.0", "archive",
     "archived-reference/5.0/Microsoft.PowerShell.Core/About/About_Using.md", r"^# About Using|^# about_Using"),
]
FIRST_TOPIC = {"class": "about_classes.md", "enum": "about_Enum.md", "using-statement": "About_Using.md"}

# Facts the check does not test but that bear on hvrt's JSON protocol.
NOTES = [
    ("convertto-json-depth", "ConvertTo-Json: -Depth defaults to 2 and takes 1 to 100", "ps",
     "reference/5.1/Microsoft.PowerShell.Utility/ConvertTo-Json.md", r"The default value is `2`"),
    ("convertto-json-depth-3.0", "ConvertTo-Json in 3.0: -Depth defaults to 2", "archive",
     "archived-reference/3.0/Microsoft.PowerShell.Utility/ConvertTo-Json.md", r"default (value )?is 2"),
    ("convertfrom-json-depth", "ConvertFrom-Json: -Depth only from PowerShell 6.2 (not on any target)", "ps",
     "reference/7.4/Microsoft.PowerShell.Utility/ConvertFrom-Json.md", r"introduced in PowerShell 6\.2"),
    ("convertfrom-json-ashashtable", "ConvertFrom-Json: -AsHashtable only from PowerShell 6.0 (not on any target)",
     "ps", "reference/7.4/Microsoft.PowerShell.Utility/ConvertFrom-Json.md", r"introduced in PowerShell 6\.0"),
    ("member-enumeration", "(collection).Property enumerates members only from PowerShell 3.0 (not checked)", "ps",
     "reference/5.1/Microsoft.PowerShell.Core/About/about_Properties.md", r"Starting in PowerShell 3\.0, when you use the member-access"),
    ("wmf51-dotnet", "WMF 5.1 needs .NET Framework 4.5 or later", "archive", REQUIREMENTS[1],
     r"requires the full installation of Microsoft \.NET Framework 4\.5"),
    ("ps20-clr2", "the PowerShell 2.0 engine runs on .NET Framework 2.0/3.5 (CLR 2.0)", "archive", REQUIREMENTS[1],
     r"2\.0 engine's minimum requirement is Microsoft \.NET Framework 2\.0"),
]

INTRODUCED_30 = re.compile(r"(introduced|added) in (Windows )?PowerShell 3\.0", re.IGNORECASE)
CMDLET_INTRODUCED_30 = re.compile(r"\b(this|the \W*[\w-]+\W*) cmdlet (is|was) (introduced|added) in (Windows )?PowerShell 3\.0",
                                  re.IGNORECASE)
PARAMETER_INTRODUCED_30 = re.compile(r"\b(this|the \W*[\w-]+\W*) (parameter|switch) (is|was) (introduced|added) in "
                                     r"(Windows )?PowerShell 3\.0", re.IGNORECASE)
PARAM_TOKEN = re.compile(r"(?:^|[\s\[|])-([A-Za-z][A-Za-z0-9]*)")


class Docs:
    """One repository at one commit, read from a bare git directory."""

    def __init__(self, key: str, mirrors: Path) -> None:
        self.repo, self.commit = REPOS[key]
        self.git_dir = mirrors / self.repo.replace("/", "+") / "repo"
        if not self.git_dir.is_dir():
            raise FileNotFoundError(f"no git copy of {self.repo} at {self.git_dir}")
        self._files: list[str] | None = None
        self._cache: dict[str, str | None] = {}

    def files(self) -> list[str]:
        if self._files is None:
            out = subprocess.run(["git", f"--git-dir={self.git_dir}", "ls-tree", "-r", "--name-only", self.commit],
                                 check=True, capture_output=True, text=True).stdout
            self._files = out.splitlines()
        return self._files

    def find(self, folder: str, name: str) -> str | None:
        wanted = f"/{name}.md".lower()
        prefix = folder.lower().rstrip("/") + "/"
        for path in self.files():
            lower = path.lower()
            if lower.startswith(prefix) and lower.endswith(wanted) and "/about/" not in lower:
                return path
        return None

    def show(self, path: str) -> str | None:
        if path not in self._cache:
            done = subprocess.run(["git", f"--git-dir={self.git_dir}", "show", f"{self.commit}:{path}"],
                                  capture_output=True, text=True)
            self._cache[path] = done.stdout if done.returncode == 0 else None
        return self._cache[path]

    def source(self, path: str, line: int | None = None, evidence: str = "syntax") -> dict[str, Any]:
        found: dict[str, Any] = {"repo": self.repo, "path": path, "evidence": evidence}
        if line is not None:
            found["line"] = line
        return found


@dataclass
class Page:
    parameters: list[str]
    aliases: dict[str, str]  # parameter alias -> parameter
    sections: dict[str, tuple[int, str]]  # parameter -> (first line, text)
    description: tuple[int, str]
    command_aliases: list[str] = field(default_factory=list)


def _section(lines: list[str], heading: re.Pattern[str]) -> tuple[int, list[str]]:
    for index, line in enumerate(lines):
        if heading.match(line):
            end = next((j for j in range(index + 1, len(lines)) if lines[j].startswith("## ")), len(lines))
            return index + 1, lines[index + 1:end]
    return 0, []


def parse_page(text: str) -> Page:
    """Parameters (SYNTAX block and PARAMETERS headings), their aliases, and notes of a cmdlet page."""
    lines = text.splitlines()
    _, syntax = _section(lines, re.compile(r"^##\s+syntax\s*$", re.IGNORECASE))
    names: list[str] = []
    inside = False
    for line in syntax:
        if line.startswith("```"):
            inside = not inside
            continue
        if inside:
            for token in PARAM_TOKEN.findall(line):
                if token not in names and token.lower() != "commonparameters":
                    names.append(token)
    start, body = _section(lines, re.compile(r"^##\s+parameters\s*$", re.IGNORECASE))
    sections: dict[str, tuple[int, str]] = {}
    aliases: dict[str, str] = {}
    current: str | None = None
    for offset, line in enumerate(body):
        heading = re.match(r"^###\s+-(\w+)", line)
        if heading:
            current = heading.group(1)
            sections[current] = (start + offset + 1, "")
            continue
        if current is not None:
            first, so_far = sections[current]
            sections[current] = (first, so_far + line + "\n")
            alias = re.match(r"^Aliases:\s*(.+)$", line)
            if alias and alias.group(1).strip().lower() != "none":
                for item in alias.group(1).split(","):
                    if item.strip():
                        aliases[item.strip()] = current
    desc_start, description = _section(lines, re.compile(r"^##\s+description\s*$", re.IGNORECASE))
    command_aliases: list[str] = []
    for index, line in enumerate(lines):
        if re.search(r"following aliases for", line, re.IGNORECASE):
            for follow in lines[index + 1:index + 12]:
                item = re.match(r"^\s*-\s+`([^`]+)`", follow)
                if item:
                    command_aliases.append(item.group(1))
                elif follow.strip() and not follow.strip().startswith("-"):
                    break
    return Page(names, aliases, sections, (desc_start, "\n".join(description)), command_aliases)


def _line_of(text: str, pattern: str) -> int | None:
    for number, line in enumerate(text.splitlines(), 1):
        if re.search(pattern, line, re.IGNORECASE | re.MULTILINE):
            return number
    return None


class Builder:
    def __init__(self, mirrors: Path) -> None:
        self.docs = {key: Docs(key, mirrors) for key in REPOS}

    # ------------------------------------------------------------------ lookups

    def core_page(self, version: str, name: str) -> tuple[str | None, Page | None]:
        docs, folder = self.docs[CORE[version][0]], CORE[version][1]
        path = docs.find(folder, name)
        text = docs.show(path) if path else None
        return path, (parse_page(text) if text else None)

    def module_of(self, name: str) -> str | None:
        path, _ = self.core_page("5.1", name)
        if path:
            return "core"
        for folder in HYPERV.values():
            if self.docs["windows"].find(folder, name):
                return "hyperv"
        return None

    def fs_provider_notes(self) -> dict[str, int]:
        docs = self.docs["archive"]
        path = "archived-reference/3.0/Microsoft.PowerShell.Core/About/about_FileSystem_Provider.md"
        notes: dict[str, int] = {}
        for number, line in enumerate((docs.show(path) or "").splitlines(), 1):
            match = re.search(r"`-(\w+)` parameter was introduced in Windows PowerShell 3\.0", line)
            if match:
                notes[match.group(1)] = number
        return notes

    # -------------------------------------------------------------------- facts

    def core_fact(self, version: str, name: str) -> dict[str, Any]:
        if version == "2.0":
            return self.core_fact_20(name)
        docs, folder = self.docs[CORE[version][0]], CORE[version][1]
        path, page = self.core_page(version, name)
        if page is None or path is None:
            return {"present": False, "source": docs.source(folder, evidence=f"no {name}.md in the {version} reference")}
        return {"present": True, "source": docs.source(path), "parameters": sorted(page.parameters),
                "parameter_aliases": dict(sorted(page.aliases.items()))}

    def core_fact_20(self, name: str) -> dict[str, Any]:
        docs = self.docs["archive"]
        path, page = self.core_page("3.0", name)
        if page is None or path is None:
            return {"present": False, "source": docs.source(CORE["3.0"][1], evidence=f"no {name}.md in the 3.0 reference")}
        if "/CimCmdlets/" in path:
            about = "archived-reference/3.0/Microsoft.PowerShell.Core/About/about_WQL.md"
            line = _line_of(docs.show(about) or "", r"CIM cmdlets, introduced")
            return {"present": False, "source": docs.source(about, line, "note: the CIM cmdlets were introduced in 3.0")}
        start, description = page.description
        for offset, line in enumerate(description.splitlines()):
            if CMDLET_INTRODUCED_30.search(line):
                return {"present": False, "source": docs.source(path, start + offset + 1, "note: introduced in 3.0")}
        removed: dict[str, dict[str, Any]] = {}
        for parameter, (first, text) in page.sections.items():
            for offset, line in enumerate(text.splitlines()):
                if PARAMETER_INTRODUCED_30.search(line):
                    removed[parameter] = docs.source(path, first + offset + 1, "note: introduced in 3.0")
                    break
        if name.lower() == "get-childitem":
            about = "archived-reference/3.0/Microsoft.PowerShell.Core/About/about_FileSystem_Provider.md"
            for parameter, line in self.fs_provider_notes().items():
                removed[parameter] = docs.source(about, line, "note: introduced in 3.0")
        kept = sorted(p for p in page.parameters if p not in removed)
        return {"present": True,
                "source": docs.source(path, evidence="3.0 page without an 'introduced in 3.0' note"),
                "parameters": kept, "parameter_aliases": {a: p for a, p in sorted(page.aliases.items()) if p in kept},
                "absent_parameters": dict(sorted(removed.items()))}

    def hyperv_fact(self, target: TargetSpec, name: str) -> dict[str, Any]:
        docs = self.docs["windows"]
        if target.hyperv is None:
            return {"present": False, "source": docs.source(
                "docset", evidence="no Windows Server 2008 R2 docset: the Hyper-V module starts with winserver2012-ps "
                "(2008 R2 manages Hyper-V through WMI root\\virtualization)")}
        folder = HYPERV[target.hyperv]
        path = docs.find(folder, name)
        text = docs.show(path) if path else None
        if path is None or text is None:
            return {"present": False, "source": docs.source(folder, evidence=f"no {name}.md in {folder}")}
        page = parse_page(text)
        return {"present": True, "source": docs.source(path), "parameters": sorted(page.parameters),
                "parameter_aliases": dict(sorted(page.aliases.items()))}

    def powershell_exe_fact(self, version: str) -> dict[str, Any]:
        key, folder = CORE["3.0" if version == "2.0" else version]
        docs = self.docs[key]
        path = f"{folder}/Microsoft.PowerShell.Core/About/about_PowerShell_exe.md"
        text = docs.show(path) or ""
        lines = text.splitlines()
        start = next(i for i, line in enumerate(lines) if re.match(r"^#+\s+syntax\s*$", line, re.IGNORECASE))
        fence = [i for i in range(start, len(lines)) if lines[i].startswith("```")][:2]
        names: list[str] = []
        for line in lines[fence[0] + 1:fence[1]]:
            for token in PARAM_TOKEN.findall(line):
                if token not in names and token.lower() not in ("args", "help"):
                    names.append(token)
        if version != "2.0":
            return {"present": True, "source": docs.source(path), "parameters": sorted(names), "parameter_aliases": {}}
        removed: dict[str, dict[str, Any]] = {}
        current = None
        for number, line in enumerate(lines, 1):
            heading = re.match(r"^#+\s+-(\w+)", line)
            if heading:
                current = heading.group(1)
            elif current and INTRODUCED_30.search(line):
                removed[current] = docs.source(path, number, "note: introduced in 3.0")
        return {"present": True, "source": docs.source(path, evidence="3.0 page without an 'introduced in 3.0' note"),
                "parameters": sorted(n for n in names if n not in removed), "parameter_aliases": {},
                "absent_parameters": removed}

    def common_parameters(self, version: str) -> dict[str, Any]:
        key, folder = CORE["3.0" if version == "2.0" else version]
        docs = self.docs[key]
        path = f"{folder}/Microsoft.PowerShell.Core/About/about_CommonParameters.md"
        sections: dict[str, str] = {}
        current = None
        for line in (docs.show(path) or "").splitlines():
            heading = re.match(r"^#{3,4}\s+-?([A-Z]\w+)\s*$", line)
            if heading and heading.group(1).upper() != heading.group(1):
                current = heading.group(1)
                sections[current] = ""
            elif line.startswith("## "):
                current = None
            elif current:
                sections[current] += " " + line.strip()
        names = sorted(n for n, text in sections.items() if not re.search(r"added in PowerShell 7", text))
        evidence = "3.0 page (no common parameter is marked as introduced in 3.0)" if version == "2.0" else "headings"
        return {"parameters": names, "source": docs.source(path, evidence=evidence)}

    def common_aliases(self) -> dict[str, Any]:
        """Aliases of the common parameters; only the 5.1 page lists them."""
        docs = self.docs["ps"]
        path = "reference/5.1/Microsoft.PowerShell.Core/About/about_CommonParameters.md"
        aliases: dict[str, str] = {}
        current = None
        for line in (docs.show(path) or "").splitlines():
            heading = re.match(r"^###\s+-(\w+)", line)
            if heading:
                current = heading.group(1)
            elif current and (alias := re.match(r"^Aliases:\s*(\w+)", line)):
                aliases[alias.group(1)] = current
        return {"map": aliases, "source": docs.source(path, evidence="Aliases: lines")}

    def target_facts(self, target: TargetSpec) -> list[dict[str, Any]]:
        facts = []
        docs = self.docs[WMF_OVERVIEW[0]]
        line = _line_of(docs.show(WMF_OVERVIEW[1]) or "", r"^\|\s*" + re.escape(target.row))
        if line is None:
            raise ValueError(f"no row for {target.os} in {WMF_OVERVIEW[1]}")
        facts.append({"fact": f"PowerShell {target.powershell} ({target.wmf})", "source": docs.source(
            WMF_OVERVIEW[1], line, "WMF availability table")})
        if target.hyperv:
            facts.append({"fact": f"Hyper-V module reference {HYPERV[target.hyperv]}",
                          "source": self.docs["windows"].source(HYPERV[target.hyperv] + "/Hyper-V.md", evidence="module page")})
        else:
            facts.append({"fact": "no Hyper-V PowerShell module; Hyper-V is managed through WMI root\\virtualization",
                          "source": {"url": V1_NAMESPACE_URL, "evidence": "root\\virtualization is the 2008 R2 namespace"}})
        return facts

    # --------------------------------------------------------------------- build

    def build(self, commands: list[str]) -> dict[str, Any]:
        data: dict[str, Any] = {
            "about": "PowerShell commands, parameters and language features per Windows Server target, read from "
                     "Microsoft's published reference. Rebuilt by 'python -m hvrt_winrm.compat refresh'.",
            "repos": {repo: commit for repo, commit in REPOS.values()},
            "targets": {}, "common_parameters": {}, "commands": {}, "aliases": {}, "features": {}, "notes": {},
        }
        for target in TARGETS:
            data["targets"][target.name] = {
                "os": target.os, "os_order": target.os_order, "powershell": target.powershell,
                "hyperv_module": target.hyperv_module, "facts": self.target_facts(target)}
        for version in ("2.0", "3.0", "4.0", "5.1"):
            data["common_parameters"][version] = self.common_parameters(version)
        data["common_parameters"]["aliases"] = self.common_aliases()
        wanted = sorted({c for c in commands + EXTRA_COMMANDS}, key=str.lower)
        alias_map: dict[str, str] = {}
        alias_pages: dict[str, str] = {}
        for name in wanted:
            path, page = self.core_page("5.1", name)
            if page is None or path is None:
                continue
            for alias in page.command_aliases:
                if re.fullmatch(r"[\w?%-]+", alias):
                    alias_map[alias.lower()] = name
                    alias_pages[name] = path
        data["aliases"] = {"map": dict(sorted(alias_map.items())),
                           "source": self.docs["ps"].source("reference/5.1", evidence="the NOTES of each command's page"),
                           "pages": dict(sorted(alias_pages.items()))}
        for name in wanted:
            resolved = alias_map.get(name.lower(), name)
            if resolved.lower() in (c.lower() for c in data["commands"]):
                continue
            kind = self.module_of(resolved)
            if kind is None:
                raise ValueError(f"{resolved}: no page in any reference (an hvrt function not defined in the scanned scripts?)")
            entry: dict[str, Any] = {"module": "Hyper-V" if kind == "hyperv" else "core", "targets": {}}
            for target in TARGETS:
                if kind == "hyperv":
                    entry["targets"][target.name] = self.hyperv_fact(target, resolved)
                else:
                    entry["targets"][target.name] = self.core_fact(target.powershell, resolved)
            data["commands"][resolved] = entry
        exe: dict[str, Any] = {"module": "powershell.exe", "targets": {}}
        for target in TARGETS:
            exe["targets"][target.name] = self.powershell_exe_fact(target.powershell)
        data["commands"]["powershell.exe"] = exe
        for ident, title, introduced, key, path, pattern in FEATURES:
            docs = self.docs[key]
            line = _line_of(docs.show(path) or "", pattern)
            if line is None:
                raise ValueError(f"{ident}: {docs.repo}:{path} does not say /{pattern}/")
            evidence = "note" if ident not in FIRST_TOPIC else f"topic first in the {introduced} reference"
            if ident in FIRST_TOPIC and self.docs["archive"].find("archived-reference/4.0", FIRST_TOPIC[ident][:-3]):
                raise ValueError(f"{ident}: its topic is already in the 4.0 reference")
            feature = {"title": title, "introduced": introduced, "source": docs.source(path, line, evidence)}
            if ident == "psitem":
                feature["absent_source"] = {"url": PS20_AUTOMATIC_URL,
                                            "evidence": "the 2.0 about_Automatic_Variables lists $_ but no $PSItem"}
            data["features"][ident] = feature
        for ident, title, key, path, pattern in NOTES:
            docs = self.docs[key]
            line = _line_of(docs.show(path) or "", pattern)
            if line is None:
                raise ValueError(f"note {ident}: {docs.repo}:{path} does not say /{pattern}/")
            data["notes"][ident] = {"title": title, "source": docs.source(path, line, "note")}
        return data


def refresh(mirrors: Path, commands: list[str], output: Path) -> dict[str, Any]:
    data = Builder(mirrors).build(commands)
    text = json.dumps(data, indent=1)
    # one line per list of names keeps the file readable and its diffs small
    text = re.sub(r"\[\n\s*((?:\"[^\"\n]*\",?\n\s*)+)\]",
                  lambda m: "[" + ", ".join(x.strip().rstrip(",") for x in m.group(1).split("\n") if x.strip()) + "]", text)
    output.write_text(text + "\n", encoding="utf-8")
    return data
