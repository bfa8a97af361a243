"""``matrix:``: generate profiles from axes (a cross product) minus excludes.

Each entry::

    - name: "{os}-{image_format}-{cow}"   # a template over the axis names
      extends: base                        # one name or a list, as in profiles
      axes: {os: [2012, 2012r2], image_format: [vhd, vhdx], cow: [true, {value: false, name: nocow}]}
      exclude: [{os: 2012, cow: false}]
      set: {tempest: {suite: default}}     # profile keys every generated profile gets

An axis is a profile field, written dotted (``image.format``, ``devstack.FOO``) or
by a short alias (:data:`AXIS_ALIASES`). An axis value is a scalar, or
``{value: ..., name: ...}`` to choose the text the name template shows. Scalars
show as written (``true`` stays ``true``).
"""
from __future__ import annotations

import itertools
import math
import re
from typing import Any

from hvrt.config.check import Problems, as_list, as_map, check_keys, did_you_mean, scalar_str
from hvrt.config.inherit import RawProfile, deep_merge
from hvrt.config.profiles import FREE, PROFILE_SCHEMA, check_name
from hvrt.config.yamlsrc import LList, LMap, Meta, join

ENTRY_KEYS = ("name", "extends", "axes", "exclude", "set", "description")
AXIS_ALIASES = {
    "image_format": "image.format", "image_type": "image.type", "network": "network.type",
    "memory": "memory.mode", "memory_ratio": "memory.dynamic_ratio", "suite": "tempest.suite",
    "concurrency": "tempest.concurrency",
}
PLACEHOLDER = re.compile(r"\{([^{}]+)\}")
MAX_COMBINATIONS = 10_000
"""The most combinations one matrix entry may expand to (before excludes)."""
NOT_AXES = ("extends", "abstract", "ini", "hosts", "image", "network", "memory", "tempest", "devstack", "timeouts")


class AxisValue:
    """One value of an axis: the value itself, its display text, where it was written."""

    def __init__(self, value: Any, label: str, meta: Meta) -> None:
        self.value, self.label, self.meta = value, label, meta

    def matches(self, wanted: Any, wanted_meta: Meta) -> bool:
        text = wanted_meta.raw if wanted_meta.raw is not None else str(wanted)
        return _norm(self.value, self.meta) == _norm(wanted, wanted_meta) or self.label == text


def _norm(value: Any, meta: Meta) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    return meta.raw if meta.raw is not None else str(value)


def axis_field(axis: str) -> str | None:
    """The dotted profile field an axis sets, or ``None`` when it names none."""
    dotted = AXIS_ALIASES.get(axis, axis)
    head, _, tail = dotted.partition(".")
    if head not in PROFILE_SCHEMA:
        return None
    schema = PROFILE_SCHEMA[head]
    if not tail:
        return None if head in NOT_AXES else dotted
    if schema is FREE and "." not in tail:
        return dotted
    if isinstance(schema, dict) and schema is not FREE and tail in schema and schema[tail] is None:
        return dotted
    return None


def known_axes() -> list[str]:
    simple = [k for k, v in PROFILE_SCHEMA.items() if v is None and k not in NOT_AXES]
    nested = [f"{k}.{s}" for k, v in PROFILE_SCHEMA.items() if isinstance(v, dict) and v is not FREE
              for s, sv in v.items() if sv is None]
    return [*AXIS_ALIASES, *simple, *nested]


def expand_matrix(matrix: LList, p: Problems) -> list[RawProfile]:
    """All generated profiles, in entry order then axis order."""
    out: list[RawProfile] = []
    for entry, meta in zip(matrix, matrix.meta, strict=True):
        m = as_map(entry, meta, p, allow_null=False)
        if m is not None:
            out.extend(_expand_entry(m, p))
    return out


def _expand_entry(m: LMap, p: Problems) -> list[RawProfile]:
    check_keys(m, ENTRY_KEYS, p)
    template = scalar_str(m["name"], m.meta_of("name"), p) if m.get("name") is not None else None
    if template is None:
        p.error("missing required key (a name template such as \"{os}-{image_format}\")",
                m.source, m.meta_of("name").path)
    axes = _read_axes(m, p)
    if template is None or axes is None:
        return []
    name_meta = m.meta_of("name")
    for field in PLACEHOLDER.findall(template):
        if field not in axes:
            hint = did_you_mean(field, axes) or f" (axes: {', '.join(axes)})"
            p.error(f"name template uses '{{{field}}}', which is not an axis{hint}", name_meta.source, name_meta.path)
            return []
    as_map(m.get("set"), m.meta_of("set"), p)
    count = math.prod(len(values) for values in axes.values())
    if count > MAX_COMBINATIONS:
        meta = m.meta_of("axes")
        p.error(f"the axes make {count} combinations; at most {MAX_COMBINATIONS} are allowed",
                meta.source, meta.path)
        return []
    excludes = _read_excludes(m, axes, p)
    used = [False] * len(excludes)
    out: list[RawProfile] = []
    seen: dict[str, str] = {}
    for combo in itertools.product(*axes.values()):
        chosen = dict(zip(axes, combo, strict=True))
        hit = [i for i, ex in enumerate(excludes)
               if all(a in chosen and chosen[a].matches(v, vm) for a, (v, vm) in ex.items())]
        for i in hit:
            used[i] = True
        if hit:
            continue
        name = PLACEHOLDER.sub(lambda match, c=chosen: c[match.group(1)].label, template)
        described = ", ".join(f"{a}={v.label}" for a, v in chosen.items())
        if name in seen:
            p.error(f"generates the name '{name}' twice ({seen[name]} and {described}); "
                    "put every axis in the template", name_meta.source, name_meta.path)
            continue
        seen[name] = described
        if not check_name(name, Meta(name_meta.path, name_meta.source, name_meta.source), p,
                          what="generated profile name"):
            continue
        out.append(RawProfile(name, _body(m, chosen), Meta(m.path, name_meta.source, name_meta.source)))
    exclude_list = m.get("exclude")
    for i, was_used in enumerate(used):
        if not was_used:
            em = exclude_list.meta[i]  # type: ignore[union-attr]
            p.error("this exclude matches no combination of the axes", em.source, em.path)
    return out


def _read_axes(m: LMap, p: Problems) -> dict[str, list[AxisValue]] | None:
    meta = m.meta_of("axes")
    axes = as_map(m.get("axes"), meta, p)
    if not axes:
        p.error("missing required key (axes: {axis: [values, ...]})" if axes is None else "no axes",
                m.source if axes is None else meta.source, meta.path)
        return None
    out: dict[str, list[AxisValue]] = {}
    for axis, values in axes.items():
        ameta = axes.meta_of(axis)
        if axis_field(axis) is None:
            p.error(f"unknown axis{did_you_mean(axis, known_axes())}", ameta.key_source, ameta.path)
            continue
        items = as_list(values, ameta, p)
        if not items:
            if items is not None or values is None:
                p.error("an axis needs a non-empty list of values", ameta.source, ameta.path)
            continue
        out[axis] = [v for v in (_axis_value(item, imeta, p) for item, imeta in zip(items, items.meta, strict=True))
                     if v is not None]
    return out if len(out) == len(axes) else None


def _axis_value(item: Any, meta: Meta, p: Problems) -> AxisValue | None:
    if isinstance(item, LMap):
        check_keys(item, ("value", "name"), p)
        if "value" not in item or item.get("name") is None:
            p.error("an axis value mapping needs 'value' and 'name'", meta.source, meta.path)
            return None
        label = scalar_str(item["name"], item.meta_of("name"), p)
        return AxisValue(item["value"], label, item.meta_of("value")) if label else None
    if isinstance(item, LList) or item is None:
        p.error("an axis value is a plain value or {value: ..., name: ...}", meta.source, meta.path)
        return None
    return AxisValue(item, _norm(item, meta), meta)


def _read_excludes(m: LMap, axes: dict[str, list[AxisValue]], p: Problems) -> list[dict[str, tuple[Any, Meta]]]:
    excludes = as_list(m.get("exclude"), m.meta_of("exclude"), p)
    out: list[dict[str, tuple[Any, Meta]]] = []
    for item, meta in zip(excludes or [], getattr(excludes, "meta", []), strict=True):
        ex = as_map(item, meta, p, allow_null=False)
        if ex is None:
            out.append({"": (None, meta)})  # never matches; error already recorded
            continue
        check_keys(ex, tuple(axes), p, what="axis")
        out.append({a: (v, ex.meta_of(a)) for a, v in ex.items() if a in axes})
    return out


def _body(m: LMap, chosen: dict[str, AxisValue]) -> LMap:
    body = LMap(m.path, m.source)
    for key in ("extends", "description"):
        if key in m:
            body.put(key, m[key], m.meta_of(key))
    preset = m.get("set")
    if isinstance(preset, LMap):
        body = deep_merge(body, preset)
    for axis, value in chosen.items():
        _put_dotted(body, axis_field(axis) or axis, value.value, value.meta)
    return body


def _put_dotted(m: LMap, dotted: str, value: Any, meta: Meta) -> None:
    head, _, tail = dotted.partition(".")
    if not tail:
        m.put(head, value, Meta(meta.path, meta.source, meta.source, meta.raw))
        return
    below = m.get(head)
    sub = LMap(join(m.path, head), meta.source)
    if isinstance(below, LMap):  # copy: the same ``set:`` mapping feeds every generated profile
        sub = deep_merge(below, sub)
    _put_dotted(sub, tail, value, meta)
    m.put(head, sub, m.meta_of(head) if head in m.meta else Meta(sub.path, meta.source, meta.source))
