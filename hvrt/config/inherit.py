"""Profile inheritance: ``extends:`` (one name or a list) and ``abstract:``.

A profile is its parents deep-merged left to right, then its own keys on top:
mappings merge key by key at every level, anything else (lists, scalars, ``null``)
replaces. ``extends`` and ``abstract`` are not inherited. Merged values keep the
location where they were written, so an error in an inherited value points at the
parent's line.
"""
from __future__ import annotations

from dataclasses import dataclass

from hvrt.config.check import Problems, did_you_mean, scalar_str, type_name
from hvrt.config.yamlsrc import LList, LMap, Meta

NOT_INHERITED = ("extends", "abstract")
MAX_DEPTH = 32
"""The longest chain of ``extends:`` (a profile, its parent, its grandparent, ...)."""


@dataclass
class RawProfile:
    """A profile as written: its body and where its name was defined."""

    name: str
    body: LMap
    defined: Meta


def deep_merge(base: LMap, over: LMap) -> LMap:
    """``base`` with ``over`` on top; neither input is changed."""
    out = LMap(over.path, over.source)
    for key, value in base.items():
        out.put(key, value, base.meta_of(key))
    for key, value in over.items():
        below = out.get(key)
        if isinstance(value, LMap) and isinstance(below, LMap):
            out.put(key, deep_merge(below, value), over.meta_of(key))
        else:
            out.put(key, value, over.meta_of(key))
    return out


def parents_of(raw: RawProfile, p: Problems) -> list[tuple[str, Meta]]:
    """The names ``extends:`` lists, each with the location it was written at."""
    value = raw.body.get("extends")
    meta = raw.body.meta_of("extends")
    if value is None:
        return []
    if isinstance(value, LList):
        out = []
        for item, item_meta in zip(value, value.meta, strict=True):
            name = scalar_str(item, item_meta, p)
            if name is not None:
                out.append((name, item_meta))
        return out
    if isinstance(value, LMap):
        p.error(f"expected a profile name or a list of names, got {type_name(value)}", meta.source, meta.path)
        return []
    name = scalar_str(value, meta, p)
    return [(name, meta)] if name is not None else []


def resolve_extends(raws: dict[str, RawProfile], p: Problems) -> dict[str, LMap]:
    """Every profile with its ancestors merged in, in the order of ``raws``."""
    resolved: dict[str, LMap] = {}
    reported_cycles: set[frozenset[str]] = set()

    def visit(name: str, chain: list[str]) -> LMap:
        if name in resolved:
            return resolved[name]
        raw = raws[name]
        merged = LMap(raw.body.path, raw.body.source)
        for parent, meta in parents_of(raw, p):
            if parent == name:
                p.error(f"profile '{name}' extends itself", meta.source, meta.path)
                continue
            if parent not in raws:
                p.error(f"unknown profile '{parent}'{did_you_mean(parent, raws)}", meta.source, meta.path)
                continue
            if parent in chain:
                cycle = [*chain[chain.index(parent):], name, parent]
                if frozenset(cycle) not in reported_cycles:
                    reported_cycles.add(frozenset(cycle))
                    p.error(f"extends cycle: {' -> '.join(cycle)}", meta.source, meta.path)
                continue
            if len(chain) >= MAX_DEPTH:
                p.error(f"extends chain longer than {MAX_DEPTH} profiles", meta.source, meta.path)
                continue
            merged = deep_merge(merged, visit(parent, [*chain, name]))
        own = LMap(raw.body.path, raw.body.source)
        for key, value in raw.body.items():
            if key not in NOT_INHERITED:
                own.put(key, value, raw.body.meta_of(key))
        resolved[name] = deep_merge(merged, own)
        return resolved[name]

    for name in raws:
        visit(name, [])
    return {name: resolved[name] for name in raws}
