"""The declaration types of a block: :class:`Block`, its :class:`Field` s and :class:`Requires` rules.

Plain frozen data: a plugin builds them at import time and returns them from
``hvrt_config_schema``; two equal declarations compare equal.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from hvrt.config.values import RULES

TYPES = ("string", "integer", "number", "boolean", "setting", "list", "mapping", "block", "any")
"""``setting``: a plain value bound for an INI file or local.conf (string, number or boolean)."""
SCOPES = ("settings", "host", "node", "controller")
"""Where a block is written: ``settings: <name>:``, or a block of every lab host, of
nodes only, or of controllers only."""

Custom = Callable[[Mapping[str, Any], "str | None"], Iterable[tuple[str, str]]]
"""A block's own check: ``(values with defaults, host transport or None) -> (key, message)...``."""


@dataclass(frozen=True)
class Field:
    """One key of a block.

    :param type: one of :data:`TYPES`.
    :param rule: a value rule of :data:`hvrt.config.values.RULES` (``path``, ``timeout``,
        ``url:repo``, ``git-ref``, ...).
    :param item: the schema of each list item (``list``) or each value (``mapping``).
    :param fields: the keys of a nested block (``block``).
    :param single: a ``list`` also accepts one plain value (as a one-item list).
    :param above: the value must be greater than this sibling field's (or its default).
    :param multiline: a ``string`` may hold line breaks.
    """

    name: str
    type: str = "string"
    doc: str = ""
    default: Any = None
    required: bool = False
    choices: tuple[Any, ...] = ()
    minimum: float | None = None
    maximum: float | None = None
    rule: str | None = None
    pattern: str | None = None
    pattern_doc: str = ""
    item: Field | None = None
    fields: tuple[Field, ...] = ()
    key_pattern: str | None = None
    single: bool = False
    above: str | None = None
    multiline: bool = False

    def __post_init__(self) -> None:
        if self.type not in TYPES:
            raise ValueError(f"field {self.name!r}: unknown type {self.type!r} (types: {', '.join(TYPES)})")
        if self.rule is not None and self.rule not in RULES:
            raise ValueError(f"field {self.name!r}: unknown rule {self.rule!r} (rules: {', '.join(RULES)})")


@dataclass(frozen=True)
class Requires:
    """When field ``when`` has the value ``equals``, the fields ``needs`` must be given."""

    when: str
    equals: Any
    needs: tuple[str, ...]
    reason: str = ""


@dataclass(frozen=True)
class Block:
    """The keys a plugin reads from one block of the config.

    :param scope: one of :data:`SCOPES`.
    :param name: ``devstack`` for ``settings: devstack:``; ``winrm`` for a host's ``winrm:``.
    :param check: a last check of the whole block for rules fields cannot say
        (called only when every field is valid).
    """

    scope: str
    name: str
    fields: tuple[Field, ...]
    doc: str = ""
    requires: tuple[Requires, ...] = ()
    check: Custom | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        if self.scope not in SCOPES:
            raise ValueError(f"block {self.name!r}: unknown scope {self.scope!r} (scopes: {', '.join(SCOPES)})")

    @property
    def where(self) -> str:
        return f"settings.{self.name}" if self.scope == "settings" else f"{self.scope} block {self.name}:"

    def field(self, name: str) -> Field | None:
        return next((f for f in self.fields if f.name == name), None)
