"""The simulated node's OS is as strict as Windows: a module function whose code path uses
a command or parameter the node's OS lacks fails there, as PowerShell fails.

Why: the node implements hvrt's module functions in Python, so without this it would
accept everything on any OS, and a script that only works on PowerShell 5.1 would pass
every sandbox run. What the OS lacks is not written here: it is computed from the module's
text with the compat scanner and ``commands.json`` (:mod:`hvrt_winrm.compat`), the same
Microsoft reference ``python -m hvrt_winrm.compat check`` uses.

A function is refused on a target when its own body, or a module function it calls,
uses something the target lacks. Annotations (``# hvrt-compat:``) are honoured the way
the module's OS branches mean them: a call into a function annotated away from the
target is taken to sit behind a branch that the target never enters, so it is not
followed; a function called directly is checked whatever its annotation says (calling
it there breaks the annotation's promise, and PowerShell would fail on it). Code outside
every function runs when the module is imported, so a finding there refuses the import.
Every call reaches the module through ``Invoke-HvrtRequest``, which is checked too.
"""
from __future__ import annotations

import dataclasses
import functools
import hashlib
import logging
from dataclasses import dataclass

log = logging.getLogger(__name__)

DISPATCHER = "invoke-hvrtrequest"
NOT_RECOGNIZED = ("The term '{0}' is not recognized as the name of a cmdlet, function, script file, or operable "
                  "program. Check the spelling of the name, or if a path was included, verify that the path is "
                  "correct and try again.")
NO_PARAMETER = "A parameter cannot be found that matches parameter name '{0}'."


@dataclass(frozen=True)
class Refusal:
    """How PowerShell fails on the first missing thing of a code path."""

    message: str
    category: str
    line: int


def _refusal(finding: object) -> Refusal:
    kind, subject, line = finding.kind, finding.subject, finding.line  # type: ignore[attr-defined]
    if kind == "command":
        return Refusal(NOT_RECOGNIZED.format(subject.split(" ")[0]), "ObjectNotFound", line)
    if kind in ("parameter", "ambiguous-parameter"):
        parameter = subject.rsplit(" -", 1)[-1]
        if kind == "ambiguous-parameter":
            return Refusal(f"Parameter cannot be processed because the parameter name '{parameter}' is ambiguous.",
                           "InvalidArgument", line)
        return Refusal(NO_PARAMETER.format(parameter), "InvalidArgument", line)
    return Refusal(f"{subject} is not supported by this version of Windows PowerShell.", "ParserError", line)


@dataclass(frozen=True)
class Gate:
    """What one script text may run on one target."""

    target: str
    functions: dict[str, Refusal | None]  # lower-cased function -> why it fails (None: it runs)
    top_level: Refusal | None  # a finding outside every function (import or script start fails)

    def refusal(self, function: str) -> Refusal | None:
        """Why calling ``function`` (through the dispatcher) fails on the target, or None."""
        for name in (DISPATCHER, function.lower()):
            found = self.functions.get(name)
            if found is not None:
                return found
        return None


@functools.lru_cache(maxsize=32)
def _gate(digest: str, text: str, target: str) -> Gate:
    from hvrt_winrm.compat.check import Checker
    from hvrt_winrm.compat.reference import Reference
    from hvrt_winrm.compat.scan import Restriction, scan_source
    from hvrt_winrm.compat.sources import Unit

    reference = _reference(Reference)
    scan = scan_source(text, "<module>")
    unconditional = [dataclasses.replace(u, restriction=Restriction()) for u in scan.usages]
    checker = Checker(reference, [target])
    findings = [f for f in checker.check_unit(Unit("<module>", None, unconditional))
                if f.kind not in ("unknown-command", "annotation", "parse")]
    checker_functions = set(scan.functions)

    def owner(line: int) -> str | None:
        inside = [(end - start, name) for name, (start, end) in scan.spans.items() if start <= line <= end]
        return min(inside)[1] if inside else None

    direct: dict[str, list[Refusal]] = {name: [] for name in scan.functions}
    top: list[Refusal] = []
    for finding in sorted(findings, key=lambda f: (f.line, f.column)):
        (direct[name] if (name := owner(finding.line)) else top).append(_refusal(finding))
    calls: dict[str, list[str]] = {name: [] for name in scan.functions}
    for usage in scan.usages:
        callee = usage.name.lower()
        caller = owner(usage.line)
        if usage.kind != "command" or callee not in checker_functions or caller is None or callee == caller:
            continue
        own = scan.restrictions.get(callee, scan.base)  # the callee's annotation, less the file's
        own = Restriction(tuple(x for x in own.specs if x not in scan.base.specs),
                          None if own.min_powershell == scan.base.min_powershell else own.min_powershell,
                          own.needs_hyperv and not scan.base.needs_hyperv)
        if target in reference.allowed(own):
            calls[caller].append(callee)

    @functools.cache
    def broken(name: str, seen: frozenset[str] = frozenset()) -> Refusal | None:
        if direct.get(name):
            return direct[name][0]
        for callee in calls.get(name, []):
            if callee not in seen and (found := broken(callee, seen | {name})) is not None:
                return found
        return None

    return Gate(target, {name: broken(name) for name in scan.functions}, top[0] if top else None)


@functools.cache
def _reference(cls: type) -> object:
    return cls.load()  # type: ignore[attr-defined]


def gate(text: str, target: str) -> Gate:
    """The gate of a script text on a compat target (cached by the text's hash).

    Without the compat scanner's parser (``pip install hvrt[compat]``: tree-sitter) the
    node cannot know what its OS lacks; it then accepts everything and says so once in
    its log, rather than failing every module load."""
    try:
        return _gate(hashlib.sha256(text.encode("utf-8")).hexdigest(), text, target)
    except ImportError as exc:
        _warn_lenient(str(exc))
        return Gate(target, {}, None)


@functools.cache
def _warn_lenient(reason: str) -> None:
    log.warning("simulated node: OS strictness is off (%s); install hvrt[compat]", reason)
