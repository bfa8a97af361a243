"""Command line: ``python -m hvrt_winrm.compat check|table|refresh``.

``check [FILES...] [--target SPEC ...] [--json]`` prints one line per command,
parameter or language feature missing on a target and exits 1, or exits 0 when clean;
without FILES it checks every script hvrt ships. ``table`` prints, as Markdown, every
command and parameter hvrt uses against every target. ``refresh --mirrors DIR``
rebuilds the reference from git copies of Microsoft's documentation repositories.
Exit 2 means the check could not run (unknown target, missing file, bad reference).
"""
from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from hvrt_winrm.compat.check import Checker
from hvrt_winrm.compat.reference import Reference, SpecError, source_text
from hvrt_winrm.compat.sources import SourceError, Unit, file_units, shipped_units


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m hvrt_winrm.compat", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="verb", required=True)
    check = sub.add_parser("check", help="report what the scripts use that a target lacks (exit 1 if anything)")
    check.add_argument("files", nargs="*", type=Path, help="scripts to check (default: every script hvrt ships)")
    check.add_argument("--target", action="append", default=[], metavar="SPEC",
                       help="target or spec (2012r2, 2016+, ps5.1+, hyperv, all); repeatable; default all")
    check.add_argument("--json", action="store_true", help="print the findings as JSON")
    check.add_argument("--reference", type=Path, help="a commands.json other than the packaged one")
    table = sub.add_parser("table", help="Markdown table of every command and parameter used, per target")
    table.add_argument("--reference", type=Path)
    refresh = sub.add_parser("refresh", help="rebuild commands.json from the documentation repositories")
    refresh.add_argument("--mirrors", type=Path, required=True, help="folder of Owner+Name/repo bare git copies")
    refresh.add_argument("--output", type=Path, default=Path(__file__).with_name("commands.json"))
    return parser


def _targets(reference: Reference, specs: Sequence[str]) -> list[str] | None:
    if not specs:
        return None
    chosen: set[str] = set()
    for spec in specs:
        chosen |= reference.select(spec)
    return [t for t in reference.order if t in chosen]


def used_commands(units: Sequence[Unit]) -> list[str]:
    """External commands the units call (their own and their companions' functions left out)."""
    checker = Checker(Reference({"targets": {}, "commands": {}, "aliases": {"map": {}}}))
    names: set[str] = set()
    for unit in units:
        if unit.text is None:
            continue
        functions = checker.defined_functions(unit)
        names |= {u.name for u in checker.scan(unit).usages if u.kind == "command" and u.name.lower() not in functions}
    return sorted(names, key=str.lower)


def _check(args: argparse.Namespace) -> int:
    reference = Reference.load(args.reference)
    targets = _targets(reference, args.target)
    units = file_units(args.files) if args.files else shipped_units()
    findings = Checker(reference, targets).check(units)
    if args.json:
        print(json.dumps({"targets": targets or reference.order, "files": [u.label for u in units],
                          "findings": [f.as_dict() for f in findings]}, indent=1))
    else:
        for finding in findings:
            print(finding)
        print(f"{len(findings)} finding(s) in {len(units)} file(s) for {', '.join(targets or reference.order)}",
              file=sys.stderr)
    return 1 if findings else 0


def _table(args: argparse.Namespace) -> int:
    reference = Reference.load(args.reference)
    checker = Checker(reference)
    rows: dict[tuple[str, str], set[str]] = {}
    for unit in shipped_units():
        functions = checker.defined_functions(unit)
        for usage in checker.scan(unit).usages:
            if usage.kind == "feature":
                rows.setdefault(("feature", usage.name), set()).add(unit.label)
                continue
            command = usage.name if usage.kind == "command" else usage.command
            if command.lower() in functions or reference.resolve(command) is None:
                continue
            canonical = reference.resolve(command) or command
            key = canonical if usage.kind == "command" else f"{canonical} -{usage.name}"
            rows.setdefault(("command" if usage.kind == "command" else "parameter", key), set()).add(unit.label)
    print("| used | " + " | ".join(reference.order) + " | source of a 'missing' |")
    print("|---|" + "---|" * len(reference.order) + "---|")
    for kind, key in sorted(rows, key=lambda r: (r[1].split(" ")[0].lower(), r[0] != "command", r[1].lower())):
        cells, sources = [], []
        for target in reference.order:
            if kind == "feature":
                lookup = reference.feature(key, target)
            elif kind == "command":
                lookup = reference.command(key, target)
            else:
                command, parameter = key.split(" -", 1)
                if not reference.command(command, target).present:
                    cells.append("(no command)")
                    continue
                lookup = reference.parameter(command, target, parameter)
            cells.append("yes" if lookup.present else "**missing**")
            if not lookup.present and source_text(lookup.source) not in sources:
                sources.append(source_text(lookup.source))
        label = reference.data["features"][key]["title"] if kind == "feature" else key
        print(f"| `{label}` | " + " | ".join(cells) + " | " + "<br>".join(sources) + " |")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        if args.verb == "check":
            return _check(args)
        if args.verb == "table":
            return _table(args)
        from hvrt_winrm.compat.refresh import refresh

        data = refresh(args.mirrors, used_commands(shipped_units()), args.output)
        print(f"wrote {args.output}: {len(data['commands'])} commands for {len(data['targets'])} targets")
        return 0
    except (SpecError, SourceError, OSError, KeyError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
