"""Typed readers over located YAML, collecting every problem of one load in one pass.

Each ``read_*`` function takes a mapping and a key, returns the typed value (or the
default when the key is absent or ``null``), and records a located error in
:class:`Problems` instead of raising, so a user sees all the mistakes of a file at once.
"""
from __future__ import annotations

import difflib
import math
from collections.abc import Iterable, Sequence
from typing import Any

from hvrt.config.model import Source
from hvrt.config.values import REFERENCE, number_text, one_line
from hvrt.config.yamlsrc import LList, LMap, Meta
from hvrt.errors import ConfigError, ConfigErrors


class Problems:
    """Errors and warnings found while loading; duplicates (same spot, same text) are dropped."""

    def __init__(self) -> None:
        self.errors: list[ConfigError] = []
        self.warnings: list[str] = []
        self._seen: set[str] = set()

    def error(self, message: str, source: Source, path: str | None) -> None:
        err = ConfigError(message, file=source.file, line=source.line or None,
                          column=source.column or None, key=path or None)
        text = str(err)
        if text not in self._seen:
            self._seen.add(text)
            self.errors.append(err)

    def warn(self, message: str, source: Source, path: str | None) -> None:
        text = str(ConfigError(message, file=source.file, line=source.line or None,
                               column=source.column or None, key=path or None))
        if text not in self.warnings:
            self.warnings.append(text)

    def raise_if_any(self) -> None:
        self.errors.sort(key=lambda e: (e.file or "", e.line or 0, e.column or 0))
        if len(self.errors) == 1:
            raise self.errors[0]
        if self.errors:
            raise ConfigErrors(list(self.errors))


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """`` (did you mean 'x'?)`` for the closest choice, or an empty string."""
    close = difflib.get_close_matches(str(word), [str(c) for c in choices], n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""


def type_name(value: Any) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return "an integer"
    if isinstance(value, float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return "null"


def check_keys(m: LMap, allowed: Sequence[str], p: Problems, what: str = "key") -> None:
    """Report every key of ``m`` that is not in ``allowed``, with a did-you-mean."""
    for key in m:
        if key not in allowed:
            meta = m.meta_of(key)
            hint = did_you_mean(key, allowed) or f" (allowed: {', '.join(allowed)})"
            p.error(f"unknown {what}{hint}", meta.key_source, meta.path)


def as_map(value: Any, meta: Meta, p: Problems, *, allow_null: bool = True) -> LMap | None:
    """``value`` if it is a mapping; ``None`` (and an error unless null is allowed) otherwise."""
    if isinstance(value, LMap):
        return value
    if value is None and allow_null:
        return None
    p.error(f"expected a mapping, got {type_name(value)}", meta.source, meta.path)
    return None


def as_list(value: Any, meta: Meta, p: Problems) -> LList | None:
    if isinstance(value, LList):
        return value
    if value is None:
        return None
    p.error(f"expected a list, got {type_name(value)}", meta.source, meta.path)
    return None


def scalar_str(value: Any, meta: Meta, p: Problems, *, multiline: bool = False) -> str | None:
    """A string field: numbers keep the text as written; booleans and collections are errors.

    Unless ``multiline``, the text must be one line (no CR, LF, NUL or other control
    character): names, paths and values end up in files and command lines.
    """
    if isinstance(value, bool):
        p.error(f"expected a string, got a boolean (quote it: '{meta.raw}')", meta.source, meta.path)
        return None
    if isinstance(value, (int, float)) and not isinstance(value, str):
        if isinstance(value, float) and not math.isfinite(value):
            p.error(f"expected a string, got {value} (quote it: '{meta.raw}')", meta.source, meta.path)
            return None
        return meta.raw if meta.raw is not None else str(value)
    if not isinstance(value, str):
        p.error(f"expected a string, got {type_name(value)}", meta.source, meta.path)
        return None
    problem = None if multiline else one_line(value)
    if problem is None and REFERENCE.search(value):
        problem = ("a ${env:...} or ${file:...} reference is read only in password:, settings: "
                   "and the tool blocks of hosts")
    if problem is not None:
        p.error(problem, meta.source, meta.path)
        return None
    return value


def setting_text(value: Any, meta: Meta, p: Problems) -> str | None:
    """A value bound for an INI file or local.conf: ``True``/``False``, numbers as written, one line."""
    if isinstance(value, bool):
        return "True" if value else "False"
    if isinstance(value, (int, float, str)):
        return scalar_str(value, meta, p)
    p.error(f"expected a plain value (string, number or boolean), got {type_name(value)}",
            meta.source, meta.path)
    return None


def read_str(m: LMap, key: str, p: Problems, default: str | None = None, *,
             required: bool = False, multiline: bool = False) -> str | None:
    if m.get(key) is None:
        if required:
            p.error("missing required key", m.source, m.meta_of(key).path)
        return default
    value = scalar_str(m[key], m.meta_of(key), p, multiline=multiline)
    return default if value is None else value


def read_bool(m: LMap, key: str, p: Problems, default: bool | None) -> bool | None:
    value = m.get(key)
    if value is None:
        return default
    if not isinstance(value, bool):
        meta = m.meta_of(key)
        p.error(f"expected true or false, got {type_name(value)}", meta.source, meta.path)
        return default
    return value


def read_int(m: LMap, key: str, p: Problems, default: int | None, *,
             minimum: int | None = None, maximum: int | None = None) -> int | None:
    value = m.get(key)
    if value is None:
        return default
    meta = m.meta_of(key)
    if isinstance(value, bool) or not isinstance(value, int):
        p.error(f"expected an integer, got {type_name(value)}", meta.source, meta.path)
        return default
    if (minimum is not None and value < minimum) or (maximum is not None and value > maximum):
        bounds = f"at least {minimum}" if maximum is None else f"between {minimum} and {maximum}"
        p.error(f"must be {bounds}, got {value}", meta.source, meta.path)
        return default
    return value


def read_number(m: LMap, key: str, p: Problems, default: float | None, *,
                above: float | None = None, maximum: float | None = None) -> float | None:
    """A finite number, greater than ``above`` and at most ``maximum`` when given."""
    value = m.get(key)
    if value is None:
        return default
    meta = m.meta_of(key)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        p.error(f"expected a number, got {type_name(value)}", meta.source, meta.path)
        return default
    if not math.isfinite(value):
        p.error(f"must be a finite number, got {meta.raw or value}", meta.source, meta.path)
        return default
    if above is not None and value <= above:
        p.error(f"must be greater than {above:g}, got {number_text(value)}", meta.source, meta.path)
        return default
    if maximum is not None and value > maximum:
        p.error(f"must be at most {maximum:g}, got {number_text(value)}", meta.source, meta.path)
        return default
    return float(value)


def read_enum(m: LMap, key: str, p: Problems, choices: Sequence[Any], default: Any) -> Any:
    """A value from ``choices``; numbers written without quotes match their text (``os: 2012``)."""
    value = m.get(key)
    if value is None:
        return default
    meta = m.meta_of(key)
    for choice in choices:
        if value == choice and type(value) is type(choice):
            return choice
        if isinstance(choice, str) and not isinstance(value, bool) and isinstance(value, (int, float)) \
                and meta.raw == choice:
            return choice
    shown = ", ".join(str(c) for c in choices)
    hint = did_you_mean(str(meta.raw if meta.raw is not None else value), [str(c) for c in choices])
    p.error(f"{value!r} is not one of: {shown}{hint}", meta.source, meta.path)
    return default


def read_str_list(m: LMap, key: str, p: Problems) -> tuple[str, ...]:
    meta = m.meta_of(key)
    items = as_list(m.get(key), meta, p)
    if items is None:
        return ()
    out = []
    for item, item_meta in zip(items, items.meta, strict=True):
        if item is None:
            p.error("empty list item", item_meta.source, item_meta.path)
            continue
        text = scalar_str(item, item_meta, p)
        if text is not None:
            out.append(text)
    return tuple(out)


def read_str_map(m: LMap, key: str, p: Problems, *, setting: bool = False) -> dict[str, str]:
    """A flat ``name: value`` mapping; values stringified as settings or as plain strings."""
    sub = as_map(m.get(key), m.meta_of(key), p)
    if sub is None:
        return {}
    out = {}
    for name, value in sub.items():
        meta = sub.meta_of(name)
        if value is None:
            p.error("missing value (write '' for an empty string)", meta.source, meta.path)
            continue
        text = setting_text(value, meta, p) if setting else scalar_str(value, meta, p)
        if text is not None:
            out[str(name)] = text
    return out
