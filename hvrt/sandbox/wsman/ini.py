"""INI files the way the node edits them (nova.conf, neutron agent configs).

Same rules as ``Set-HvrtIniValues`` in hvrt's PowerShell module, chosen so that
oslo.config (which reads these files) returns exactly the value written:

* lines are read as oslo.config's parser reads them: a section is a line that
  starts with ``[`` and ends with ``]`` (its name is what lies between), a line
  that starts with a space or a tab continues the value above it, ``#`` and ``;``
  start comments, and a key ends at the first ``=`` or ``:``;
* sections are matched the way oslo.config groups them (:func:`hvrt.ini.oslo_group_key`):
  ``DEFAULT`` exactly, any other name without regard to case, so ``OVS`` from the
  config lands in an existing ``[ovs]``; keys are matched exactly;
* every assignment of the key in every section of its group is found: the first is
  rewritten in place (with its continuation lines), the others are removed, so the
  file ends up with exactly one; a missing key goes at the end of the group's last
  section, a missing section at the end of the file; comments, blank lines and the
  order of everything else are kept;
* a value is written so that oslo.config reads it back unchanged: wrapped in double
  quotes when it starts or ends with white space or with a pair of quotes (which
  oslo.config strips), and a value with line breaks as indented continuation lines.
  A value oslo.config could not read back (a CR, a NUL, an empty or indented second
  line) is refused; the config loader already refuses line breaks in INI values.
"""
from __future__ import annotations

from dataclasses import dataclass

from hvrt.ini import oslo_group_key
from hvrt.sandbox.wsman.fn_files import FunctionError

INDENT = "    "


@dataclass(frozen=True)
class Assignment:
    """``key = value`` at ``lines[start:stop]`` (continuation lines included), in ``section``."""

    section: str
    key: str
    value: str
    start: int
    stop: int


@dataclass(frozen=True)
class Section:
    """A section header at ``lines[header]``; its body runs up to ``lines[end]`` (exclusive)."""

    name: str
    header: int
    end: int


def check_key(section: str, key: str) -> str | None:
    """Why ``section``/``key`` cannot be written to an INI file, or None."""
    if not section or any(c in section for c in "\r\n\x00]["):
        return f"invalid INI section name {section!r}"
    if (not key or key != key.strip() or any(c in key for c in "\r\n\x00=:") or key[0] in "#;["):
        return f"invalid INI key {key!r} in section [{section}]"
    return None


def check_value(section: str, key: str, value: str) -> str | None:
    """Why oslo.config could not read ``value`` back from ``[section] key``, or None."""
    lines = value.split("\n")
    if "\x00" in value or any(len(("x" + line + "x").splitlines()) != 1 for line in lines):
        return f"the value of [{section}] {key} holds a CR, NUL or other line-breaking character"
    for number, line in enumerate(lines[1:], 2):
        if not line or line != line.strip():
            return (f"line {number} of the value of [{section}] {key} is empty or starts or ends with white "
                    f"space; oslo.config would not read it back")
    return None


def format_value(key: str, value: str) -> list[str]:
    """The lines of ``key = value`` (continuation lines indented)."""
    lines = value.split("\n")
    first = lines[0]
    if first != first.strip() or (first[:1] in ("'", '"') and first[0] == first[-1]):
        first = f'"{first}"'
    head = f"{key} = {first}" if first else f"{key} ="
    return [head] + [INDENT + line for line in lines[1:]]


def split_lines(text: str) -> list[str]:
    """``text`` cut into lines the way Python's text files (and so oslo.config) cut them."""
    if not text:
        return []
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    return lines[:-1] if lines[-1] == "" else lines


def layout(lines: list[str]) -> tuple[list[Section], list[Assignment]]:
    """The sections and the assignments of ``lines``, as oslo.config's parser sees them."""
    sections: list[Section] = []
    assignments: list[Assignment] = []
    current: str | None = None
    header = -1
    open_key: tuple[str, list[str], int] | None = None

    def close(stop: int) -> None:
        nonlocal open_key
        if open_key is not None and current is not None:
            key, parts, start = open_key
            assignments.append(Assignment(current, key, "\n".join(parts), start, stop))
        open_key = None

    for i, raw in enumerate(lines):
        line = raw.rstrip()
        if line and line[0] in " \t":
            if open_key is not None:
                open_key[1].append(line.lstrip())
            continue
        close(i)
        if not line or line[0] in "#;":
            continue
        if line[0] == "[":
            if line.endswith("]") and len(line) > 2:
                if current is not None:
                    sections.append(Section(current, header, i))
                current, header = line[1:-1], i
            continue
        key, value = _split_key_value(line)
        if key and current is not None:
            open_key = (key, [value], i)
    close(len(lines))
    if current is not None:
        sections.append(Section(current, header, len(lines)))
    return sections, assignments


def _split_key_value(line: str) -> tuple[str, str]:
    cuts = [i for i in (line.find("="), line.find(":")) if i >= 0]
    if not cuts:
        return "", ""
    cut = min(cuts)
    key, value = line[:cut].strip(), line[cut + 1:].strip()
    if value and value[0] == value[-1] and value[0] in ("'", '"'):
        value = value[1:-1]
    return key, value


def parse(text: str) -> dict[str, dict[str, str]]:
    """``section -> key -> value`` as oslo.config reads ``text``.

    Sections of one oslo group are merged under the first spelling found, and for a
    key assigned more than once the last assignment wins, as in oslo.config.
    """
    sections, assignments = layout(split_lines(text))
    spelling: dict[str, str] = {}
    result: dict[str, dict[str, str]] = {}
    for section in sections:
        result.setdefault(spelling.setdefault(oslo_group_key(section.name), section.name), {})
    for assignment in assignments:
        result[spelling[oslo_group_key(assignment.section)]][assignment.key] = assignment.value
    return result


def update(text: str, values: dict[str, dict[str, str]]) -> tuple[str, int]:
    """``text`` with ``values`` applied; returns the new text and how many keys changed.

    Raises :class:`FunctionError` (nothing written) when a name or a value cannot be
    written so that oslo.config reads it back.
    """
    for section, pairs in values.items():
        for key, value in pairs.items():
            problem = check_key(section, key) or check_value(section, key, str(value))
            if problem:
                raise FunctionError(problem, "InvalidArgument")
    lines = split_lines(text)
    changed = 0
    for section, pairs in values.items():
        for key, value in pairs.items():
            changed += _set(lines, section, key, str(value))
    return ("\n".join(lines) + "\n") if lines else "", changed


def _set(lines: list[str], section: str, key: str, value: str) -> int:
    """Set ``[section] key`` in ``lines`` (changed in place); 1 if anything changed, else 0."""
    group = oslo_group_key(section)
    sections, assignments = layout(lines)
    found = [a for a in assignments if a.key == key and oslo_group_key(a.section) == group]
    if len(found) == 1 and found[0].value == value:
        return 0
    new = format_value(key, value)
    if found:
        for extra in reversed(found[1:]):
            del lines[extra.start:extra.stop]
        lines[found[0].start:found[0].stop] = new
        return 1
    matching = [s for s in sections if oslo_group_key(s.name) == group]
    if not matching:
        if lines and lines[-1].strip():
            lines.append("")
        lines.extend([f"[{section}]", *new])
        return 1
    target = matching[-1]
    last = target.header
    for i in range(target.header + 1, target.end):
        if lines[i].strip():
            last = i
    lines[last + 1:last + 1] = new
    return 1
