"""INI files the way the node edits them (nova.conf, neutron agent configs).

Same rules as ``Set-HvrtIniValues`` in hvrt's PowerShell module: a key is replaced in
place (with its continuation lines), a missing key is added at the end of its
section, a missing section at the end of the file. A value holding line breaks is
written as continuation lines (indented), which oslo.config reads back as one value.
"""
from __future__ import annotations

import re

_SECTION = re.compile(r"^\s*\[(?P<name>[^\]]+)\]\s*$")
_KEY = re.compile(r"^(?P<key>[^\s=#;\[][^=]*?)\s*=\s?(?P<value>.*)$")
INDENT = "    "


def check_key(section: str, key: str) -> str | None:
    """Why ``section``/``key`` cannot be written to an INI file, or None."""
    if not section or any(c in section for c in "\r\n]["):
        return f"invalid INI section name {section!r}"
    if not key or key != key.strip() or any(c in key for c in "\r\n=") or key[0] in "#;[":
        return f"invalid INI key {key!r} in section [{section}]"
    return None


def format_value(key: str, value: str) -> list[str]:
    lines = value.replace("\r\n", "\n").split("\n")
    return [f"{key} = {lines[0]}"] + [INDENT + line for line in lines[1:]]


def parse(text: str) -> dict[str, dict[str, str]]:
    result: dict[str, dict[str, str]] = {}
    section: str | None = None
    key: str | None = None
    for line in text.splitlines():
        if section is not None and key is not None and line[:1] in (" ", "\t") and line.strip():
            prefix = INDENT if line.startswith(INDENT) else line[: len(line) - len(line.lstrip())]
            result[section][key] += "\n" + line[len(prefix):]
            continue
        key = None
        match = _SECTION.match(line)
        if match:
            section = match.group("name").strip()
            result.setdefault(section, {})
            continue
        if section is None or not line.strip() or line.lstrip()[:1] in "#;":
            continue
        kv = _KEY.match(line)
        if kv:
            key = kv.group("key").strip()
            result[section][key] = kv.group("value")
    return result


def update(text: str, values: dict[str, dict[str, str]]) -> tuple[str, int]:
    """``text`` with ``values`` applied; returns the new text and how many keys changed."""
    lines = text.splitlines()
    changed = 0
    current = parse(text)
    for section, pairs in values.items():
        for key, value in pairs.items():
            if current.get(section, {}).get(key) == value:
                continue
            lines = _set(lines, section, key, value)
            changed += 1
    return "\n".join(lines) + "\n", changed


def _set(lines: list[str], section: str, key: str, value: str) -> list[str]:
    start = end = None
    for i, line in enumerate(lines):
        match = _SECTION.match(line)
        if match:
            if start is not None and end is None:
                end = i
            if match.group("name").strip() == section and start is None:
                start = i
    new = format_value(key, value)
    if start is None:
        tail = [""] if lines and lines[-1].strip() else []
        return lines + tail + [f"[{section}]"] + new
    end = len(lines) if end is None else end
    last_content = start
    for i in range(start + 1, end):
        kv = _KEY.match(lines[i]) if lines[i][:1] not in (" ", "\t") else None
        if kv and kv.group("key").strip() == key:
            j = i + 1
            while j < end and lines[j][:1] in (" ", "\t") and lines[j].strip():
                j += 1
            return lines[:i] + new + lines[j:]
        if lines[i].strip():
            last_content = i
    return lines[: last_content + 1] + new + lines[last_content + 1:]
