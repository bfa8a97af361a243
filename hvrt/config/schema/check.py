"""Checking a block as written against its declaration, and reading it with defaults.

:func:`validate` records located errors in a :class:`~hvrt.config.check.Problems`
(the loader's pass over the file); :func:`read_block` runs the same checks on plain
data and raises, for a plugin reading a block of a host built in code.
"""
from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any

from hvrt.config.check import Problems, as_map, check_keys, did_you_mean, type_name
from hvrt.config.model import Secret, Source
from hvrt.config.schema.types import Block, Field, Requires
from hvrt.config.values import NUMBER_RULES, REFERENCE, RULES, number_text, one_line
from hvrt.config.yamlsrc import LList, LMap, Meta, from_plain, join

ANY = Field("", "any")

def validate(block: Block, value: Any, meta: Meta, p: Problems, *, transport: str | None = None) -> bool:
    """Record every way ``value`` (the block as written) breaks ``block``; ``True`` if none."""
    before = len(p.errors)
    tree = as_map(value, meta, p)
    if tree is None:
        return len(p.errors) == before
    _check_fields(block.fields, tree, p)
    for need in block.requires:
        _check_requires(block, need, tree, p)
    if block.check is not None and len(p.errors) == before:
        for key, message in block.check(values(block.fields, tree), transport):
            where = tree.meta_of(key) if key in tree else Meta(join(tree.path, key), tree.source, tree.source)
            p.error(message, where.source if key in tree else tree.source, where.path)
    return len(p.errors) == before


def read_block(block: Block, raw: Any, *, path: str, source: Source | None,
               transport: str | None = None) -> dict[str, Any]:
    """``raw`` (plain data) checked against ``block``, with defaults filled in.

    Raises :class:`~hvrt.errors.ConfigError` (or ``ConfigErrors``) naming ``source``
    and the key path under ``path``.
    """
    where = source or Source("<config>", 0, 0)
    tree = from_plain({} if raw is None else raw, path, where)
    p = Problems()
    validate(block, tree, Meta(path, where, where), p, transport=transport)
    p.raise_if_any()
    return values(block.fields, tree)


def values(fields: tuple[Field, ...], tree: Mapping[str, Any]) -> dict[str, Any]:
    """The fields' values as plain data: written ones (strings for string fields), else defaults."""
    out: dict[str, Any] = {}
    for f in fields:
        value = tree.get(f.name)
        if f.type == "block":
            out[f.name] = values(f.fields, value if isinstance(value, Mapping) else {})
        elif value is None:
            out[f.name] = f.default
        else:
            out[f.name] = _plain(f, value, tree.meta_of(f.name) if isinstance(tree, LMap) else None)
    return out


def _plain(f: Field, value: Any, meta: Meta | None) -> Any:
    if f.type == "block" and isinstance(value, Mapping):
        return values(f.fields, value)
    if isinstance(value, LMap):
        return {k: _plain(f.item or ANY, v, value.meta_of(k)) for k, v in value.items()}
    if isinstance(value, LList):
        return [_plain(f.item or ANY, v, m) for v, m in zip(value, value.meta, strict=True)]
    if f.type == "list":  # one value where a list may be given
        return [_plain(f.item or ANY, value, meta)]
    if f.type == "string" and isinstance(value, (int, float)) and not isinstance(value, bool):
        return meta.raw if meta is not None and meta.raw is not None else str(value)
    return value


def _check_fields(fields: tuple[Field, ...], tree: LMap, p: Problems) -> None:
    check_keys(tree, tuple(f.name for f in fields), p)
    for f in fields:
        if tree.get(f.name) is None:
            if f.required:
                p.error("missing required key" + (f" ({f.doc})" if f.doc else ""), tree.source,
                        join(tree.path, f.name))
            continue
        _check_value(f, tree[f.name], tree.meta_of(f.name), p)
    for f in fields:
        if f.above is not None:
            _check_above(fields, f, tree, p)


def _check_above(fields: tuple[Field, ...], f: Field, tree: LMap, p: Problems) -> None:
    other = next((g for g in fields if g.name == f.above), None)
    mine = tree.get(f.name) if tree.get(f.name) is not None else f.default
    theirs = tree.get(f.above) if tree.get(f.above) is not None else (other.default if other else None)
    if not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in (mine, theirs)):
        return
    if mine > theirs:
        return
    key = f.name if tree.get(f.name) is not None else f.above
    meta = tree.meta_of(key)
    p.error(f"{f.name} ({number_text(mine)}) must be greater than {f.above} ({number_text(theirs)})",
            meta.source, meta.path)


def _check_requires(block: Block, need: Requires, tree: LMap, p: Problems) -> None:
    f = block.field(need.when)
    given = tree.get(need.when)
    current = given if given is not None else (f.default if f else None)
    if current != need.equals:
        return
    for name in need.needs:
        if tree.get(name) is None:
            source = tree.meta_of(need.when).source if given is not None else tree.source
            p.error(need.reason or f"{need.when} {need.equals} needs {name}", source, join(tree.path, name))


def _check_value(f: Field, value: Any, meta: Meta, p: Problems) -> bool:
    kind = f.type
    if kind == "any":
        return True
    if kind == "string":
        return _check_string(f, value, meta, p)
    if kind == "setting":
        if isinstance(value, (bool, int, float, str, Secret)) and not _is_nonfinite(value):
            text = value if isinstance(value, str) else None
            return text is None or _text_rules(f, text, meta, p)
        return _wrong(p, meta, "a plain value (string, number or boolean)", value)
    if kind == "boolean":
        return isinstance(value, bool) or _wrong(p, meta, "true or false", value)
    if kind in ("integer", "number"):
        return _check_number(f, value, meta, p)
    if kind == "list":
        if not isinstance(value, list):
            if f.single and not isinstance(value, dict):
                return _check_value(f.item or Field(f.name), value, meta, p)
            what = "a list or one value" if f.single else "a list"
            return _wrong(p, meta, what, value)
        ok = True
        items = value.meta if isinstance(value, LList) else [meta] * len(value)
        for item, item_meta in zip(value, items, strict=True):
            if item is None:
                p.error("empty list item", item_meta.source, item_meta.path)
                ok = False
            elif f.item is not None:
                ok = _check_value(f.item, item, item_meta, p) and ok
        return ok
    if not isinstance(value, LMap):
        return _wrong(p, meta, "a mapping", value)
    if kind == "block":
        before = len(p.errors)
        _check_fields(f.fields, value, p)
        return len(p.errors) == before
    return _check_mapping(f, value, p)


def _check_mapping(f: Field, value: LMap, p: Problems) -> bool:
    ok = True
    for key, item in value.items():
        item_meta = value.meta_of(key)
        if f.key_pattern is not None and not re.fullmatch(f.key_pattern, key):
            p.error(f"{key!r} is not a valid name here (expected {f.key_pattern})",
                    item_meta.key_source, item_meta.path)
            ok = False
            continue
        if item is None:
            p.error("missing value (write '' for an empty string)", item_meta.source, item_meta.path)
            ok = False
        elif f.item is not None:
            ok = _check_value(f.item, item, item_meta, p) and ok
    return ok


def _check_string(f: Field, value: Any, meta: Meta, p: Problems) -> bool:
    if isinstance(value, Secret):
        return True
    if isinstance(value, bool):
        return _wrong(p, meta, "a string", value, hint=f" (quote it: '{meta.raw}')" if meta.raw else "")
    if isinstance(value, (int, float)):
        if _is_nonfinite(value):
            return _wrong(p, meta, "a string", value)
        value = meta.raw if meta.raw is not None else str(value)
    if not isinstance(value, str):
        return _wrong(p, meta, "a string", value)
    if REFERENCE.fullmatch(value.strip()):
        return True  # a ${env:...} / ${file:...} reference: the secret store checks it
    return _text_rules(f, value, meta, p)


def _text_rules(f: Field, text: str, meta: Meta, p: Problems) -> bool:
    problem = None if f.multiline else one_line(text)
    if problem is None and f.choices and text not in f.choices:
        shown = ", ".join(str(c) for c in f.choices)
        problem = f"{text!r} is not one of: {shown}{did_you_mean(text, [str(c) for c in f.choices])}"
    if problem is None and f.pattern is not None and not re.fullmatch(f.pattern, text):
        problem = f"{text!r} is not {f.pattern_doc or 'of the form ' + f.pattern}"
    if problem is None and f.rule is not None and f.rule not in NUMBER_RULES:
        problem = RULES[f.rule](text)
    if problem is not None:
        p.error(problem, meta.source, meta.path)
        return False
    return True


def _check_number(f: Field, value: Any, meta: Meta, p: Problems) -> bool:
    integer = f.type == "integer"
    if isinstance(value, bool) or not isinstance(value, int if integer else (int, float)):
        return _wrong(p, meta, "an integer" if integer else "a number", value)
    problem = None
    if _is_nonfinite(value):
        problem = f"must be a finite number, got {value}"
    elif f.choices and value not in f.choices:
        problem = f"{value!r} is not one of: {', '.join(str(c) for c in f.choices)}"
    elif f.rule in NUMBER_RULES:
        problem = RULES[f.rule](value)
    elif (f.minimum is not None and value < f.minimum) or (f.maximum is not None and value > f.maximum):
        problem = f"must be {bounds_text(f.minimum, f.maximum)}, got {number_text(value)}"
    if problem is not None:
        p.error(problem, meta.source, meta.path)
        return False
    return True


def bounds_text(low: float | None, high: float | None) -> str:
    if low is not None and high is not None:
        return f"between {low:g} and {high:g}"
    return f"at least {low:g}" if low is not None else f"at most {high:g}"


def _is_nonfinite(value: Any) -> bool:
    return isinstance(value, float) and not math.isfinite(value)


def _wrong(p: Problems, meta: Meta, expected: str, value: Any, *, hint: str = "") -> bool:
    p.error(f"expected {expected}, got {type_name(value)}{hint}", meta.source, meta.path)
    return False
