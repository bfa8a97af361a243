"""The per-target PowerShell reference (``commands.json``) and the lookups the check makes.

Loaded once per check. Targets are ordered by Windows Server release, then PowerShell
version. A target spec (from ``--target`` or a ``# hvrt-compat:`` annotation) is a list
of tokens, any of which may match: a target name (``2012r2``), ``NAME+`` (that target
and every later one with at least its PowerShell), ``psX.Y+`` (PowerShell at least
X.Y), ``hyperv`` (has a Hyper-V module) or ``all``.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from hvrt_winrm.compat.scan import Restriction


class SpecError(ValueError):
    """A target spec names no known target."""


def version(value: str) -> tuple[int, ...]:
    return tuple(int(part) for part in value.split("."))


def source_text(source: dict[str, Any]) -> str:
    """``repo/path#Lline [evidence]`` for a message."""
    where = source.get("url") or f"{source['repo']}/{source['path']}"
    if source.get("line"):
        where += f"#L{source['line']}"
    evidence = source.get("evidence", "syntax")
    return where if evidence == "syntax" else f"{where} [{evidence}]"


@dataclass(frozen=True)
class Lookup:
    """What the reference says about one command or parameter on one target."""

    present: bool
    source: dict[str, Any]
    name: str  # the canonical name it resolved to (or as written when unresolved)
    ambiguous: tuple[str, ...] = ()


class Reference:
    def __init__(self, data: dict[str, Any]) -> None:
        self.data = data
        self.targets: dict[str, dict[str, Any]] = data["targets"]
        self.order = sorted(self.targets, key=lambda t: (self.targets[t]["os_order"],
                                                         version(self.targets[t]["powershell"])))
        self.commands = {name.lower(): name for name in data["commands"]}
        self.aliases = {alias: name for alias, name in data["aliases"]["map"].items()}

    @classmethod
    def load(cls, path: Path | None = None) -> Reference:
        if path is None:
            text = resources.files("hvrt_winrm.compat").joinpath("commands.json").read_text(encoding="utf-8")
        else:
            text = path.read_text(encoding="utf-8")
        return cls(json.loads(text))

    # ----------------------------------------------------------------- targets

    def powershell(self, target: str) -> tuple[int, ...]:
        return version(self.targets[target]["powershell"])

    def select(self, spec: str) -> set[str]:
        chosen: set[str] = set()
        for token in re.split(r"[\s,]+", spec.strip()):
            if not token:
                continue
            lower = token.lower()
            if lower == "all":
                chosen |= set(self.order)
            elif lower == "hyperv":
                chosen |= {t for t in self.order if self.targets[t]["hyperv_module"]}
            elif m := re.fullmatch(r"ps(\d+(?:\.\d+)?)\+", lower):
                chosen |= {t for t in self.order if self.powershell(t) >= version(m.group(1))}
            elif lower.endswith("+") and lower[:-1] in self.targets:
                base = self.targets[lower[:-1]]
                chosen |= {t for t in self.order if self.targets[t]["os_order"] >= base["os_order"]
                           and self.powershell(t) >= version(base["powershell"])}
            elif lower in self.targets:
                chosen.add(lower)
            else:
                raise SpecError(f"unknown target {token!r} (known: {', '.join(self.order)}, NAME+, psX.Y+, hyperv, all)")
        return chosen

    def allowed(self, restriction: Restriction) -> set[str]:
        """The targets a code path under this restriction runs on."""
        chosen = set(self.order)
        for spec in restriction.specs:
            chosen &= self.select(spec)
        if restriction.min_powershell:
            chosen &= {t for t in self.order if self.powershell(t) >= version(restriction.min_powershell)}
        if restriction.needs_hyperv:
            chosen &= self.select("hyperv")
        return chosen

    # ---------------------------------------------------------------- commands

    def resolve(self, name: str) -> str | None:
        lower = name.lower()
        if lower in self.commands:
            return self.commands[lower]
        alias = self.aliases.get(lower)
        return alias if alias and alias.lower() in self.commands else None

    def command(self, name: str, target: str) -> Lookup:
        canonical = self.resolve(name)
        if canonical is None:
            raise KeyError(name)
        fact = self.data["commands"][canonical]["targets"][target]
        return Lookup(fact["present"], fact["source"], canonical)

    def parameter(self, command: str, target: str, name: str) -> Lookup:
        """Resolve ``-name`` as PowerShell binds it: full name, alias, then unique prefix."""
        entry = self.data["commands"][command]
        fact = entry["targets"][target]
        names = list(fact.get("parameters", []))
        aliases = dict(fact.get("parameter_aliases", {}))
        if entry["module"] != "powershell.exe":
            common = self.data["common_parameters"][self.targets[target]["powershell"]]["parameters"]
            names += [c for c in common if c not in names]
            aliases.update({a: p for a, p in self.data["common_parameters"]["aliases"]["map"].items() if a not in aliases})
        lower = name.lower()
        by_lower = {n.lower(): n for n in names}
        if lower in by_lower:
            return Lookup(True, fact["source"], by_lower[lower])
        alias_target = {a.lower(): p for a, p in aliases.items()}.get(lower)
        if alias_target and alias_target.lower() in by_lower:
            return Lookup(True, fact["source"], alias_target)
        prefixed = sorted({n for n in names if n.lower().startswith(lower)}
                          | {p for a, p in aliases.items() if a.lower().startswith(lower) and p in names})
        if len(prefixed) == 1:
            return Lookup(True, fact["source"], prefixed[0])
        absent = fact.get("absent_parameters", {})
        for absent_name, source in absent.items():
            if absent_name.lower() == lower or (not prefixed and absent_name.lower().startswith(lower)):
                return Lookup(False, source, absent_name)
        return Lookup(False, fact["source"], name, tuple(prefixed) if len(prefixed) > 1 else ())

    def feature(self, ident: str, target: str) -> Lookup:
        feature = self.data["features"][ident]
        present = self.powershell(target) >= version(feature["introduced"])
        source = feature["source"]
        if not present and self.targets[target]["powershell"] == "2.0" and "absent_source" in feature:
            source = feature["absent_source"]
        return Lookup(present, source, feature["title"])
