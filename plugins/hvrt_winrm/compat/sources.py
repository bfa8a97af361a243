"""Every piece of PowerShell hvrt sends to a node, found in the source tree.

Used by the compatibility check when no files are named. hvrt's PowerShell lives in
four places: the WinRM plugin's module and scripts, the scripts Salt states run with
``shell: powershell``, the scripts Puppet's ``exec`` resources run with
``powershell.exe -File``, and ``powershell.exe`` command lines built in Python. Each
becomes a :class:`Unit`: a script to parse, or command-line usages already extracted.
A state or manifest that names a script which is not there is an error, so the check
can never silently skip one.
"""
from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field
from pathlib import Path

from hvrt_winrm.compat.scan import Usage

POWERSHELL_EXE = "powershell.exe"
STOP_FLAGS = {"-file", "-command", "-encodedcommand", "-f", "-c", "-ec"}
SALT_SOURCE = re.compile(r"^\s*-\s*source:\s*['\"]?salt://(?P<path>[^'\"\s]+)", re.MULTILINE)
SALT_SHELL = re.compile(r"^\s*-\s*shell:\s*['\"]?powershell", re.MULTILINE | re.IGNORECASE)
PUPPET_SOURCE = re.compile(r"puppet:///modules/(?P<module>[\w-]+)/(?P<path>[^'\"\s]+)")
PUPPET_FLAGS = re.compile(r"powershell[^\"']*?\S*\s+(?P<flags>(?:-\w+(?:\s+(?!-)[\w.]+)?\s*)+)", re.IGNORECASE)


class SourceError(Exception):
    """A state or manifest refers to a PowerShell script that does not exist."""


@dataclass
class Unit:
    """One PowerShell text to scan, or usages found without a parser (command lines)."""

    label: str  # path relative to the repository root, as findings print it
    text: str | None = None
    usages: list[Usage] = field(default_factory=list)
    companions: tuple[str, ...] = ()  # labels whose functions this unit may call


def repo_root() -> Path:
    return Path(__file__).resolve().parents[3]


def _label(path: Path, root: Path) -> str:
    try:
        return path.resolve().relative_to(root).as_posix()
    except ValueError:
        return path.as_posix()


def _flag_usages(flags: list[str], line: int, column: int) -> list[Usage]:
    found: list[Usage] = []
    for index, flag in enumerate(flags):
        if not flag.startswith("-"):
            continue
        value = flags[index + 1] if index + 1 < len(flags) and not flags[index + 1].startswith("-") else ""
        found.append(Usage("parameter", flag.lstrip("-"), line, column, command=POWERSHELL_EXE, value=value))
        if flag.lower() in STOP_FLAGS:
            break
    return found


def python_command_lines(path: Path, root: Path) -> list[Unit]:
    """``powershell.exe`` started from Python with a literal argument list."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    usages: list[Usage] = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        args = list(node.args)
        for index, arg in enumerate(args):
            if not (isinstance(arg, ast.Constant) and isinstance(arg.value, str)
                    and arg.value.lower() in ("powershell", POWERSHELL_EXE)):
                continue
            if index + 1 < len(args) and isinstance(args[index + 1], ast.List):
                flags = [e.value for e in args[index + 1].elts if isinstance(e, ast.Constant) and isinstance(e.value, str)]
                usages.append(Usage("command", POWERSHELL_EXE, arg.lineno, arg.col_offset + 1))
                usages.extend(_flag_usages(flags, arg.lineno, arg.col_offset + 1))
    return [Unit(_label(path, root), usages=usages)] if usages else []


def salt_state_units(state: Path, file_root: Path, root: Path) -> list[Unit]:
    """The PowerShell scripts one state runs with ``shell: powershell``."""
    text = state.read_text(encoding="utf-8")
    if not SALT_SHELL.search(text):
        return []
    units: list[Unit] = []
    for match in SALT_SOURCE.finditer(text):
        script = file_root / match.group("path")
        if not script.name.lower().endswith(".ps1"):
            continue
        if not script.is_file():
            raise SourceError(f"{_label(state, root)} runs salt://{match.group('path')}, which does not exist")
        units.append(Unit(_label(script, root), script.read_text(encoding="utf-8")))
    return units


def salt_units(file_root: Path, root: Path) -> list[Unit]:
    units: list[Unit] = []
    for state in sorted(file_root.rglob("*.sls")):
        units.extend(salt_state_units(state, file_root, root))
    return units


def puppet_command_lines(manifest: Path, root: Path) -> list[Unit]:
    """``powershell.exe`` flags in a manifest's command strings (an ``exec`` running a script)."""
    usages: list[Usage] = []
    for number, line in enumerate(manifest.read_text(encoding="utf-8").splitlines(), 1):
        flags = PUPPET_FLAGS.search(line)
        if flags:
            usages.append(Usage("command", POWERSHELL_EXE, number, flags.start() + 1))
            usages.extend(_flag_usages(flags.group("flags").split(), number, flags.start("flags") + 1))
    return [Unit(_label(manifest, root), usages=usages)] if usages else []


def puppet_units(modules: Path, root: Path) -> list[Unit]:
    units: list[Unit] = []
    for manifest in sorted(modules.rglob("*.pp")):
        for match in PUPPET_SOURCE.finditer(manifest.read_text(encoding="utf-8")):
            if not match.group("path").lower().endswith(".ps1"):
                continue
            script = modules / match.group("module") / "files" / match.group("path")
            if not script.is_file():
                raise SourceError(f"{_label(manifest, root)} installs {match.group(0)}, which does not exist")
            units.append(Unit(_label(script, root), script.read_text(encoding="utf-8")))
        units.extend(puppet_command_lines(manifest, root))
    return units


def shipped_units(root: Path | None = None) -> list[Unit]:
    """Every PowerShell script and command line hvrt ships, in a stable order."""
    root = (root or repo_root()).resolve()
    plugin = root / "plugins" / "hvrt_winrm"
    units: list[Unit] = []
    modules = sorted(plugin.glob("*.psm1"))
    module_labels = tuple(_label(m, root) for m in modules)
    for path in modules:
        units.append(Unit(_label(path, root), path.read_text(encoding="utf-8")))
    for path in sorted(plugin.glob("*.ps1")):
        units.append(Unit(_label(path, root), path.read_text(encoding="utf-8"), companions=module_labels))
    for path in sorted(plugin.glob("*.py")):
        units.extend(python_command_lines(path, root))
    for file_root in sorted((root / "contrib" / "saltstack").glob("*/file_root")):
        units.extend(salt_units(file_root, root))
    for modules_dir in sorted((root / "contrib" / "puppet").glob("modules")):
        units.extend(puppet_units(modules_dir, root))
    seen: set[str] = set()
    unique: list[Unit] = []
    for unit in units:
        key = unit.label + ("" if unit.text is not None else "#cmdline")
        if key not in seen:
            seen.add(key)
            unique.append(unit)
    return unique


def file_units(paths: list[Path], root: Path | None = None) -> list[Unit]:
    """Named files: PowerShell scripts, or Python, Salt (.sls) or Puppet (.pp) files to take PowerShell from."""
    root = (root or repo_root()).resolve()
    shipped = {u.label: u for u in shipped_units(root)}
    units: list[Unit] = []
    for path in paths:
        label = _label(path, root)
        if path.suffix == ".py":
            units.extend(python_command_lines(path, root))
        elif path.suffix == ".pp":
            units.extend(puppet_command_lines(path, root))
        elif path.suffix == ".sls":
            file_root = next((p for p in path.resolve().parents if p.name == "file_root"), path.resolve().parent)
            units.extend(salt_state_units(path, file_root, root))
        elif label in shipped and shipped[label].text is not None:
            units.append(shipped[label])
        else:
            units.append(Unit(label, path.read_text(encoding="utf-8")))
    return units
