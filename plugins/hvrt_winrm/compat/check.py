"""Compare what hvrt's PowerShell uses with what each Windows Server target has.

Called by ``python -m hvrt_winrm.compat check`` and by the tests. Each usage is checked
on the targets its code path may run on (all of them, less what annotations and
``#requires`` exclude). A command missing on a target is reported once, without its
parameters; a command the reference does not know is reported as such (the reference
must be refreshed), so that nothing hvrt sends goes unchecked.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass

from hvrt_winrm.compat.reference import Reference, SpecError, source_text
from hvrt_winrm.compat.scan import Scan, Usage, scan_source
from hvrt_winrm.compat.sources import Unit, repo_root

ANY_TARGET = "*"


@dataclass(frozen=True, order=True)
class Finding:
    path: str
    line: int
    column: int
    target: str
    kind: str  # command, parameter, feature, unknown-command, ambiguous-parameter, annotation, parse
    subject: str
    source: str

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}:{self.column}"
        if self.kind == "unknown-command":
            return f"{where} {self.subject} is not in the reference data ({self.source})"
        if self.kind in ("annotation", "parse"):
            return f"{where} {self.subject}"
        if self.kind == "ambiguous-parameter":
            return f"{where} {self.subject} is ambiguous on {self.target} (source: {self.source})"
        return f"{where} {self.subject} missing on {self.target} (source: {self.source})"

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


class Checker:
    def __init__(self, reference: Reference, targets: Iterable[str] | None = None) -> None:
        self.reference = reference
        self.targets = [t for t in reference.order if targets is None or t in set(targets)]
        self._scans: dict[str, Scan] = {}

    def scan(self, unit: Unit) -> Scan:
        if unit.label not in self._scans:
            if unit.text is None:
                scan = Scan(unit.label, list(unit.usages))
            else:
                scan = scan_source(unit.text, unit.label)
            self._scans[unit.label] = scan
        return self._scans[unit.label]

    def defined_functions(self, unit: Unit) -> set[str]:
        functions = set(self.scan(unit).functions)
        for label in unit.companions:
            path = repo_root() / label
            companion = Unit(label, path.read_text(encoding="utf-8"))
            functions |= self.scan(companion).functions
        return functions

    def check(self, units: Iterable[Unit]) -> list[Finding]:
        findings: list[Finding] = []
        for unit in units:
            findings.extend(self.check_unit(unit))
        return sorted(set(findings))

    def check_unit(self, unit: Unit) -> list[Finding]:
        scan = self.scan(unit)
        found = [Finding(unit.label, int(e.split(":")[0]), 1, ANY_TARGET, "parse", f"does not parse: {e}", "")
                 for e in scan.errors]
        functions = self.defined_functions(unit)
        bad_specs: set[str] = set()
        for usage in scan.usages:
            try:
                targets = [t for t in self.targets if t in self.reference.allowed(usage.restriction)]
            except SpecError as error:
                message = f"bad hvrt-compat annotation: {error}"
                if message not in bad_specs:
                    bad_specs.add(message)
                    found.append(Finding(unit.label, usage.line, usage.column, ANY_TARGET, "annotation", message, ""))
                continue
            if usage.kind == "feature":
                found.extend(self._feature(unit.label, usage, targets))
            elif usage.kind == "command":
                found.extend(self._command(unit.label, usage, targets, functions))
            elif usage.kind == "parameter":
                found.extend(self._parameter(unit.label, usage, targets, functions))
        return found

    def _feature(self, path: str, usage: Usage, targets: list[str]) -> list[Finding]:
        found = []
        for target in targets:
            lookup = self.reference.feature(usage.name, target)
            if not lookup.present:
                found.append(Finding(path, usage.line, usage.column, target, "feature", lookup.name,
                                     source_text(lookup.source)))
        return found

    def _command(self, path: str, usage: Usage, targets: list[str], functions: set[str]) -> list[Finding]:
        if usage.name.lower() in functions:
            return []
        if self.reference.resolve(usage.name) is None:
            return [Finding(path, usage.line, usage.column, ANY_TARGET, "unknown-command", usage.name,
                            "add it to the reference with 'python -m hvrt_winrm.compat refresh'")]
        found = []
        for target in targets:
            lookup = self.reference.command(usage.name, target)
            if not lookup.present:
                label = usage.name if usage.name == lookup.name else f"{usage.name} ({lookup.name})"
                found.append(Finding(path, usage.line, usage.column, target, "command", label,
                                     source_text(lookup.source)))
        return found

    def _parameter(self, path: str, usage: Usage, targets: list[str], functions: set[str]) -> list[Finding]:
        if usage.command.lower() in functions:
            return []
        command = self.reference.resolve(usage.command)
        if command is None:
            return []  # already reported as an unknown command
        found = []
        for target in targets:
            if not self.reference.command(command, target).present:
                continue
            lookup = self.reference.parameter(command, target, usage.name)
            if lookup.present:
                continue
            subject = f"{command} -{usage.name}"
            kind = "ambiguous-parameter" if lookup.ambiguous else "parameter"
            source = source_text(lookup.source)
            if lookup.ambiguous:
                source += "; matches " + ", ".join("-" + n for n in lookup.ambiguous)
            found.append(Finding(path, usage.line, usage.column, target, kind, subject, source))
        return found
