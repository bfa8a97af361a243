"""``load_config``: read hvrt.yaml, check everything, return the frozen :class:`Config`.

Called by every verb that needs the config (run, plan, profiles, config validate).
All problems of one file are collected and raised together as
:class:`~hvrt.errors.ConfigErrors`, each naming file:line:column and key path.
Profiles come from ``profiles:``, then ``matrix:``, then ``extra_profiles`` (the
mappings plugins return from ``hvrt_profiles``), in that order.

The ``settings:`` blocks and the tool blocks of lab hosts are checked against what
plugins declare (``hvrt_config_schema``). Unless the caller passes ``schemas``, the
loader asks the plugins the file enables itself, through the plugin manager factory
a run uses (:func:`hvrt.config.registry.discover`), so every caller gets the same
checks; a plugin that cannot be loaded is an error at its entry in ``plugins:``.
"""
from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

from hvrt.config.check import (
    Problems,
    as_list,
    as_map,
    check_keys,
    did_you_mean,
    read_bool,
    read_str_list,
    type_name,
)
from hvrt.config.inherit import RawProfile, parents_of, resolve_extends
from hvrt.config.lab import read_coordination, read_lab
from hvrt.config.matrix import expand_matrix
from hvrt.config.model import Config, Host, Profile, Source
from hvrt.config.profiles import check_name, read_profile, read_timeouts
from hvrt.config.registry import Schemas, discover
from hvrt.config.release import read_release
from hvrt.config.rules import check_profile
from hvrt.config.schema import Block, validate
from hvrt.config.secrets import SecretStore
from hvrt.config.yamlsrc import LList, LMap, Meta, from_plain, load_yaml_file
from hvrt.errors import ConfigError, PluginLoadError

SECTIONS = ("version", "lab", "release", "plugins", "settings", "timeouts", "profiles", "matrix")
VERSIONS = (1,)
DEFAULT_PLUGINS = ("winrm", "devstack", "tempest", "html")
PLUGIN_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]*")


def load_config(
    path: str | Path,
    *,
    extra_profiles: Iterable[Mapping[str, Any]] = (),
    environ: Mapping[str, str] | None = None,
    schemas: Schemas | Iterable[Block] | None = None,
    extra_plugins: Iterable[tuple[str, object]] = (),
) -> Config:
    """Load and validate ``path``; raise :class:`ConfigError` (or ``ConfigErrors``) on any problem.

    :param extra_profiles: raw profile mappings (each with a ``name``) that plugins
        contribute; validated like the file's own.
    :param environ: where ``${env:NAME}`` looks (default: ``os.environ``).
    :param schemas: the blocks to check ``settings:`` and host blocks against; by
        default those declared by the plugins the file enables (loaded for real).
    :param extra_plugins: ``(name, plugin)`` pairs registered besides the enabled
        plugins when the loader asks for schemas (what a run passes to the engine).
    """
    file = str(path)
    tree = load_yaml_file(path)
    if tree is None:
        raise ConfigError("the file is empty; it needs at least the sections lab: and profiles:",
                          file=file, line=1, column=1)
    if not isinstance(tree, LMap):
        raise ConfigError(f"expected a mapping of sections at the top, got {type_name(tree)}",
                          file=file, line=1, column=1)
    p = Problems()
    check_keys(tree, SECTIONS, p, what="section")
    base_dir = Path(file).resolve().parent
    store = SecretStore(base_dir, p, os.environ if environ is None else environ)
    _check_version(tree, p)
    plugins = _plugins(tree, p)
    known = _schemas(tree, plugins, schemas, extra_plugins, p)
    controllers, nodes = _lab(tree, p, store, base_dir, known)
    coordination = read_coordination(tree["lab"], p, store) if isinstance(tree.get("lab"), LMap) else None
    release = read_release(as_map(tree.get("release"), tree.meta_of("release"), p), p, store, base_dir)
    settings = _settings(tree, p, store, known)
    timeouts = read_timeouts(tree, "timeouts", p)
    raws = _raw_profiles(tree, list(extra_profiles), p)
    profiles = _profiles(raws, p, base_dir, nodes, controllers)
    p.raise_if_any()
    return Config(
        path=file, controllers=controllers, nodes=nodes, release=release, profiles=profiles,
        plugins=plugins, settings=settings, timeouts=timeouts, secrets=tuple(store.secrets),
        warnings=tuple(p.warnings), coordination=coordination,
    )


def _check_version(tree: LMap, p: Problems) -> None:
    if "version" in tree and (type(tree["version"]) is not int or tree["version"] not in VERSIONS):
        meta = tree.meta_of("version")
        p.error(f"unsupported version {tree['version']!r} (this hvrt reads version 1)", meta.source, meta.path)


def _lab(tree: LMap, p: Problems, store: SecretStore, base_dir: Path,
         schemas: Schemas) -> tuple[dict[str, Host], dict[str, Host]]:
    lab = as_map(tree.get("lab"), tree.meta_of("lab"), p)
    if lab is None:
        if "lab" not in tree or tree["lab"] is None:
            p.error("missing required section (lab: with controllers: and nodes:)", tree.source, "lab")
        return {}, {}
    return read_lab(lab, p, store, base_dir, schemas)


def _schemas(tree: LMap, plugins: tuple[str, ...], given: Schemas | Iterable[Block] | None,
             extra: Iterable[tuple[str, object]], p: Problems) -> Schemas:
    """The declared blocks: given by the caller, else asked from the enabled plugins."""
    if isinstance(given, Schemas):
        return given
    if given is not None:
        return Schemas(tuple(given), plugins=frozenset(plugins))
    try:
        return discover([name for name in plugins if PLUGIN_NAME.fullmatch(name)], extra)
    except PluginLoadError as exc:
        listed = tree.get("plugins")
        metas = [m for item, m in zip(listed, listed.meta, strict=True) if item == exc.name] \
            if isinstance(listed, LList) else []
        meta = metas[0] if metas else tree.meta_of("plugins")
        p.error(str(exc), meta.source if metas or "plugins" in tree else tree.source, meta.path)
        return Schemas(plugins=frozenset(plugins))


def _settings(tree: LMap, p: Problems, store: SecretStore, schemas: Schemas) -> dict[str, Any]:
    """``settings:``, each block checked against the plugin's declaration.

    A block no loaded plugin declares is kept unchecked: silently when it is named
    after a loaded plugin (which then checks it itself), with a warning otherwise,
    and as an error when its name is close to a known block (a typo).
    """
    meta = tree.meta_of("settings")
    section = as_map(tree.get("settings"), meta, p)
    if not section:
        return {}
    for name, body in section.items():
        block_meta = section.meta_of(name)
        block = schemas.settings_block(name)
        if block is not None:
            validate(block, body, block_meta, p)
            continue
        if body is not None and as_map(body, block_meta, p) is None:
            continue  # a settings block is a mapping, whoever reads it
        if name in schemas.plugins:
            continue
        known = sorted({*schemas.settings, *schemas.plugins})
        hint = did_you_mean(name, known)
        if hint:
            p.error(f"unknown settings block{hint}", block_meta.key_source, block_meta.path)
        else:
            p.warn(f"no loaded plugin declares settings.{name}, so it is not checked "
                   f"(blocks plugins declare: {', '.join(sorted(schemas.settings)) or 'none'})",
                   block_meta.key_source, block_meta.path)
    return store.plain(section, meta, reveal=True)


def _plugins(tree: LMap, p: Problems) -> tuple[str, ...]:
    if "plugins" not in tree:
        return DEFAULT_PLUGINS
    names = read_str_list(tree, "plugins", p)
    listed = tree.get("plugins")
    for name, meta in zip(names, getattr(listed, "meta", []), strict=False):
        if not PLUGIN_NAME.fullmatch(name):
            p.error(f"bad plugin name {name!r}", meta.source, meta.path)
        elif names.count(name) > 1:
            p.error(f"plugin '{name}' listed twice", meta.source, meta.path)
    return tuple(dict.fromkeys(names))


def _raw_profiles(tree: LMap, extra: list[Mapping[str, Any]], p: Problems) -> dict[str, RawProfile]:
    raws: dict[str, RawProfile] = {}

    def add(raw: RawProfile) -> None:
        if raw.name in raws:
            first = raws[raw.name].defined.key_source
            p.error(f"profile '{raw.name}' is already defined at {first}", raw.defined.key_source, raw.defined.path)
            return
        raws[raw.name] = raw

    section = as_map(tree.get("profiles"), tree.meta_of("profiles"), p)
    for name, body in (section or {}).items():
        meta = section.meta_of(name)  # type: ignore[union-attr]
        if not check_name(name, meta, p):
            continue
        m = as_map(body, meta, p)
        add(RawProfile(name, m if m is not None else LMap(meta.path, meta.source), meta))
    matrix = as_list(tree.get("matrix"), tree.meta_of("matrix"), p)
    for raw in expand_matrix(matrix or LList("matrix"), p):
        add(raw)
    for index, item in enumerate(extra):
        src = Source(f"<profile {index + 1} from a plugin>", 0, 0)
        name = item.get("name") if isinstance(item, Mapping) else None
        if not isinstance(name, str):
            p.error("a plugin profile needs a string 'name'", src, None)
            continue
        body = from_plain({k: v for k, v in item.items() if k != "name"}, f"profiles.{name}", src)
        meta = Meta(f"profiles.{name}", src, src)
        if check_name(name, meta, p):
            add(RawProfile(name, body, meta))
    if not raws and not p.errors:
        p.error("missing required section (profiles: or matrix: must define at least one profile)",
                tree.source, "profiles")
    return raws


def _profiles(raws: dict[str, RawProfile], p: Problems, base_dir: Path,
              nodes: dict[str, Host], controllers: dict[str, Host]) -> dict[str, Profile]:
    merged = resolve_extends(raws, p)
    out: dict[str, Profile] = {}
    for name, raw in raws.items():
        abstract = bool(read_bool(raw.body, "abstract", p, False))
        profile = read_profile(name, merged[name], p, base_dir, nodes, raw.defined)
        parents = tuple(parent for parent, _ in parents_of(raw, Problems()))
        profile = replace(profile, abstract=abstract, extends=parents)
        if not abstract and nodes:
            check_profile(profile, merged[name], raw.defined, p, nodes, controllers)
        out[name] = profile
    return out
