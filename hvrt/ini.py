"""INI sections the way oslo.config groups them, for the values hvrt sends to a node.

Used on the runner before INI values leave it (the WinRM configurator's request, the
Salt pillar, the Puppet data). oslo.config, which reads nova.conf and the neutron
agent files, files every section under a group: ``DEFAULT`` exactly as written, any
other name lower-cased, so ``[OVS]`` and ``[ovs]`` are one group and the last
assignment of a key in the file wins. Option names stay case-sensitive.

Two spellings of one group must also never travel in one request: Windows
PowerShell 5.1's ``ConvertFrom-Json`` refuses an object whose keys differ only in
case. :func:`merge_files` folds them into one section (the first spelling is kept,
later values win, as they would in the file) and refuses what cannot be sent at all:
two keys of one section that differ only in case, or ``DEFAULT`` beside another
spelling of ``default`` (which oslo.config reads as a different, unused group).
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from hvrt.errors import ConfigurationFailed

DEFAULT_GROUP = "DEFAULT"

Sections = dict[str, dict[str, str]]


def oslo_group_key(section: str) -> str:
    """The group oslo.config files ``section`` under: ``DEFAULT`` as is, any other name lower-cased."""
    return section if section == DEFAULT_GROUP else section.lower()


def merge_sections(sections: Mapping[str, Mapping[str, Any]], *, file: str = "", host: str | None = None) -> Sections:
    """One file's ``section -> key -> value`` with the spellings of one oslo group merged.

    The first spelling of a group names the merged section; for a key given under two
    spellings the later one wins. Values become text. Raises :class:`ConfigurationFailed`
    (step ``ini``) when the result would still hold two keys of one mapping that differ
    only in case.
    """
    merged: Sections = {}
    spelling: dict[str, str] = {}
    for section, values in sections.items():
        name = spelling.setdefault(oslo_group_key(str(section)), str(section))
        target = merged.setdefault(name, {})
        for key, value in values.items():
            target[str(key)] = str(value)
    clashes = [clash.replace(" of <top>", "").replace("keys '", "sections '", 1) if clash.endswith("<top>")
               else clash.replace(" of ", " of [", 1) + "]" for clash in case_clashes(merged)]
    if clashes:
        where = f" of {file}" if file else ""
        raise ConfigurationFailed(
            f"INI values{where} cannot be sent: {'; '.join(clashes)} differ only in case (Windows PowerShell "
            f"cannot decode such keys in one request; oslo.config reads option names case-sensitively and "
            f"[DEFAULT] and [default] as different groups)", host=host, step="ini")
    return merged


def merge_files(files: Mapping[str, Mapping[str, Mapping[str, Any]]], *, host: str | None = None) -> dict[str, Sections]:
    """:func:`merge_sections` for every file of ``file -> section -> key -> value``."""
    return {str(fname): merge_sections(sections, file=str(fname), host=host) for fname, sections in files.items()}


def case_clashes(payload: Any, path: str = "") -> list[str]:
    """Where ``payload`` (JSON-like data) holds a mapping with two keys that differ only in case.

    Each entry names the mapping (a dotted path, ``<top>`` for the payload itself) and
    the clashing keys; an empty list means PowerShell 5.1 can decode the payload.
    """
    found: list[str] = []
    if isinstance(payload, Mapping):
        seen: dict[str, str] = {}
        for key in payload:
            folded = str(key).casefold()
            if folded in seen:
                found.append(f"keys {seen[folded]!r} and {str(key)!r} of {path or '<top>'}")
            else:
                seen[folded] = str(key)
        for key, value in payload.items():
            found += case_clashes(value, f"{path}.{key}" if path else str(key))
    elif isinstance(payload, (list, tuple)):
        for index, item in enumerate(payload):
            found += case_clashes(item, f"{path}[{index}]")
    return found
