"""What a PowerShell script uses: commands, named parameters and version-bound language features.

Used by the compatibility check (and by ``refresh`` to know which commands to look up).
The script is parsed with the tree-sitter PowerShell grammar; nothing is run. Functions
the script defines are kept apart from the commands it calls, so that only external
commands are looked up in the reference. A ``# hvrt-compat: SPEC`` comment right above
a function (or in the comment block that opens the file) and ``#requires -Version`` /
``#requires -Modules Hyper-V`` restrict the targets a code path is checked for.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

import tree_sitter
import tree_sitter_powershell

ANNOTATION = re.compile(r"^#\s*hvrt-compat:\s*(?P<spec>.+?)\s*$", re.IGNORECASE)
REQUIRES = re.compile(r"^#requires\s+(?P<args>.+)$", re.IGNORECASE)
NATIVE = re.compile(r"[\\/:]|\.(exe|com|cmd|bat|ps1)$", re.IGNORECASE)
IN_OPERATORS = {"-in", "-notin", "-iin", "-inotin", "-cin", "-cnotin"}
PREFERENCE_PARAMETERS = {"erroraction", "ea", "warningaction", "wa"}


@dataclass(frozen=True)
class Restriction:
    """Where a code path may run: an annotation's target spec and a ``#requires`` version."""

    specs: tuple[str, ...] = ()
    min_powershell: str | None = None
    needs_hyperv: bool = False

    def narrowed(self, other: Restriction) -> Restriction:
        ps = max((v for v in (self.min_powershell, other.min_powershell) if v), default=None, key=_version)
        specs = self.specs + tuple(spec for spec in other.specs if spec not in self.specs)
        return Restriction(specs, ps, self.needs_hyperv or other.needs_hyperv)


@dataclass(frozen=True)
class Usage:
    """One thing a script uses, at a 1-based line and column."""

    kind: str  # "command", "parameter" or "feature"
    name: str  # command as written, parameter without its dash, or a feature id
    line: int
    column: int
    command: str = ""  # for a parameter: the command it was given to
    value: str = ""  # for a parameter: its literal argument, when it has one
    restriction: Restriction = Restriction()


@dataclass
class Scan:
    """The result of scanning one script."""

    path: str
    usages: list[Usage] = field(default_factory=list)
    functions: set[str] = field(default_factory=set)  # lower-cased names the script defines
    spans: dict[str, tuple[int, int]] = field(default_factory=dict)  # function -> first, last line
    restrictions: dict[str, Restriction] = field(default_factory=dict)  # function -> where it may run
    base: Restriction = field(default_factory=Restriction)  # what the whole script says (header, #requires)
    errors: list[str] = field(default_factory=list)  # parse errors (line: text)


def _version(value: str) -> tuple[int, ...]:
    return tuple(int(part) for part in re.findall(r"\d+", value)[:2]) or (0,)


def _parser() -> tree_sitter.Parser:
    return tree_sitter.Parser(tree_sitter.Language(tree_sitter_powershell.language()))


def _text(node: tree_sitter.Node) -> str:
    return (node.text or b"").decode("utf-8", "replace")


def parse_requires(args: str) -> Restriction:
    version = re.search(r"-version\s+(\d+(?:\.\d+)?)", args, re.IGNORECASE)
    modules = re.search(r"-modules\s+(.+)$", args, re.IGNORECASE)
    hyperv = bool(modules and re.search(r"\bhyper-v\b", modules.group(1), re.IGNORECASE))
    return Restriction((), version.group(1) if version else None, hyperv)


def _comment_restriction(lines: list[str]) -> Restriction:
    result = Restriction()
    for line in lines:
        match = ANNOTATION.match(line.strip())
        if match:
            result = result.narrowed(Restriction((match.group("spec"),)))
    return result


class _Walker:
    def __init__(self, source: str, scan: Scan) -> None:
        self.lines = source.splitlines()
        self.scan = scan
        self.comment_rows = {i for i, line in enumerate(self.lines) if line.lstrip().startswith("#")}

    def comments_above(self, row: int) -> list[str]:
        found: list[str] = []
        row -= 1
        while row >= 0 and row in self.comment_rows:
            found.insert(0, self.lines[row])
            row -= 1
        return found

    def file_restriction(self, root: tree_sitter.Node) -> Restriction:
        result = Restriction()
        head: list[str] = []
        for line in self.lines:
            stripped = line.strip()
            if stripped and not stripped.startswith("#"):
                break
            head.append(stripped)
        result = result.narrowed(_comment_restriction(head))
        for line in self.lines:
            match = REQUIRES.match(line.strip())
            if match:
                result = result.narrowed(parse_requires(match.group("args")))
        return result

    def add(self, kind: str, name: str, node: tree_sitter.Node, restriction: Restriction, **extra: str) -> None:
        row, col = node.start_point
        self.scan.usages.append(Usage(kind, name, row + 1, col + 1, restriction=restriction, **extra))

    def walk(self, node: tree_sitter.Node, restriction: Restriction) -> None:
        kind = node.type
        if kind == "ERROR" or node.is_missing:
            self.scan.errors.append(f"{node.start_point[0] + 1}: {_text(node)[:60]!r}")
        if kind == "function_statement":
            name = next((c for c in node.children if c.type == "function_name"), None)
            restriction = restriction.narrowed(_comment_restriction(self.comments_above(node.start_point[0])))
            if name is not None:
                lowered = _text(name).lower()
                self.scan.functions.add(lowered)
                self.scan.spans[lowered] = (node.start_point[0] + 1, node.end_point[0] + 1)
                self.scan.restrictions[lowered] = restriction
        elif kind == "command":
            self.command(node, restriction)
        elif kind == "class_statement":
            self.add("feature", "class", node, restriction)
        elif kind == "enum_statement":
            self.add("feature", "enum", node, restriction)
        elif kind == "stop_parsing":
            self.add("feature", "stop-parsing", node, restriction)
        elif kind == "comparison_operator" and _text(node).lower() in IN_OPERATORS:
            self.add("feature", "in-operator", node, restriction)
        elif kind == "variable":
            text = _text(node).lower()
            if text == "$psitem":
                self.add("feature", "psitem", node, restriction)
            elif text.startswith("$using:"):
                self.add("feature", "using-scope", node, restriction)
        elif kind == "cast_expression":
            self.cast(node, restriction)
        elif kind == "invokation_expression":
            names = [c for c in node.children if c.type == "member_name"]
            if any(c.type == "::" for c in node.children) and names and _text(names[0]).lower() == "new":
                self.add("feature", "static-new", node, restriction)
        for child in node.children:
            self.walk(child, restriction)

    def cast(self, node: tree_sitter.Node, restriction: Restriction) -> None:
        children = [c for c in node.children if c.is_named]
        if len(children) < 2 or children[0].type != "type_literal":
            return
        type_name = _text(children[0]).strip("[]").replace(" ", "").lower()
        operand = children[1]
        is_hash = operand.type == "hash_literal_expression" or (
            operand.type == "unary_expression" and any(c.type == "hash_literal_expression" for c in operand.children))
        if type_name == "ordered":
            self.add("feature", "ordered", children[0], restriction)
        elif not is_hash or type_name in ("hashtable", "system.collections.hashtable"):
            return
        elif type_name in ("pscustomobject", "system.management.automation.pscustomobject"):
            self.add("feature", "pscustomobject", children[0], restriction)
        else:
            self.add("feature", "hashtable-cast", children[0], restriction)

    def command(self, node: tree_sitter.Node, restriction: Restriction) -> None:
        name_node = next((c for c in node.children if c.type == "command_name"), None)
        if name_node is None:
            return  # invoked through an expression (& $name, & (Join-Path ...)): not resolvable statically
        name = _text(name_node)
        if name.lower() == "using":
            self.add("feature", "using-statement", node, restriction)
            return
        if NATIVE.search(name):
            return
        self.add("command", name, name_node, restriction)
        elements = next((c for c in node.children if c.type == "command_elements"), None)
        if elements is None:
            return
        items = [c for c in elements.children if c.type != "command_argument_sep"]
        for index, item in enumerate(items):
            if item.type != "command_parameter":
                continue
            parameter = _text(item).lstrip("-").rstrip(":")
            value = ""
            if index + 1 < len(items) and items[index + 1].type in ("generic_token", "string_literal"):
                value = _text(items[index + 1]).strip("'\"")
            self.add("parameter", parameter, item, restriction, command=name, value=value)
            if parameter.lower() in PREFERENCE_PARAMETERS and value.lower() == "ignore":
                self.add("feature", "erroraction-ignore", item, restriction)


def scan_source(source: str, path: str = "<script>", restriction: Restriction | None = None) -> Scan:
    """Scan one script's text. ``restriction`` applies on top of what the script itself says."""
    scan = Scan(path)
    tree = _parser().parse(source.encode("utf-8"))
    walker = _Walker(source, scan)
    base = walker.file_restriction(tree.root_node)
    if restriction is not None:
        base = base.narrowed(restriction)
    scan.base = base
    walker.walk(tree.root_node, base)
    return scan
