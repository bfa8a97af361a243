"""Markdown rows documenting a block (``docs/config.md`` holds them for the built-in blocks)."""
from __future__ import annotations

from hvrt.config.schema.check import bounds_text
from hvrt.config.schema.types import Block, Field
from hvrt.config.values import number_text


def describe(block: Block) -> list[str]:
    """Markdown table rows (``| key | value | default | meaning |``) documenting a block.

    ``docs/config.md`` holds these rows for the core's and the built-in plugins' blocks;
    a test keeps them equal.
    """
    return [f"| `{f.name}` | {_kind(f)} | {_default(f)} | {f.doc} |" for f in block.fields]


def _kind(f: Field) -> str:
    if f.choices:
        return "one of " + ", ".join(f"`{c}`" for c in f.choices)
    text = {"setting": "plain value", "block": "mapping"}.get(f.type, f.type)
    if f.type == "list" and f.item is not None:
        text = f"list of {_kind(f.item)}" + (" (or one)" if f.single else "")
    if f.type == "mapping" and f.item is not None:
        text = f"mapping of {_kind(f.item)}"
    if f.type == "block":
        text += " of " + ", ".join(f"`{g.name}`" for g in f.fields)
    if f.rule is not None:
        text += f" ({f.rule})"
    if f.pattern_doc:
        text += f" ({f.pattern_doc})"
    if f.minimum is not None or f.maximum is not None:
        text += f", {bounds_text(f.minimum, f.maximum)}"
    if f.above is not None:
        text += f", above `{f.above}`"
    return text


def _default(f: Field) -> str:
    if f.required:
        return "required"
    if f.default in (None, "", (), [], {}):
        return ""
    if isinstance(f.default, bool):
        return f"`{str(f.default).lower()}`"
    if isinstance(f.default, float):
        return f"`{number_text(f.default)}`"
    return f"`{f.default}`"
