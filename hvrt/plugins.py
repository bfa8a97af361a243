"""Build the plugin manager: core plugins, then the entry-point plugins config enables.

Discovery is stevedore over the ``hvrt`` entry-point group, where hvrt's own
plugins (winrm, devstack, tempest, html) are declared exactly like third-party ones.
A name declared twice, a module that fails to import, or an implementation of a
hook that does not exist stops everything with :class:`PluginLoadError`.
``HVRT_DISABLE_PLUGINS=name,name`` blocks plugins by name.
"""
from __future__ import annotations

import importlib
import os
from collections.abc import Iterable
from dataclasses import dataclass
from importlib import metadata
from types import ModuleType
from typing import Any

import pluggy
from stevedore import ExtensionManager

from hvrt import PROJECT_NAME, hookspecs
from hvrt.errors import PluginLoadError

CORE_PLUGINS = {"core": "hvrt.stages", "transports": "hvrt.transport.plugin"}
"""Modules every manager registers first: the stage dispatcher and ssh/local transports."""

DISABLE_ENV = "HVRT_DISABLE_PLUGINS"
MODULES_ENV = "HVRT_PLUGINS"
"""Comma-separated importable module names registered as plugins without installing
them (for plugin authors trying a plugin, and for tests that run ``hvrt`` itself)."""


@dataclass(frozen=True)
class PluginInfo:
    name: str
    module: str
    distribution: str
    version: str
    hooks: tuple[str, ...]


def disabled_plugins(environ: dict[str, str] | None = None) -> set[str]:
    raw = (environ if environ is not None else os.environ).get(DISABLE_ENV, "")
    return {name.strip() for name in raw.split(",") if name.strip()}


def available_entry_points() -> dict[str, metadata.EntryPoint]:
    """Every entry point of the ``hvrt`` group; a name declared twice is an error."""
    found: dict[str, metadata.EntryPoint] = {}
    for ep in metadata.entry_points(group=PROJECT_NAME):
        previous = found.get(ep.name)
        if previous is not None and previous.value != ep.value:
            raise PluginLoadError(
                ep.name, f"declared twice: by {previous.value!r} and by {ep.value!r}"
            )
        found[ep.name] = ep
    return found


def _load_extensions(names: Iterable[str]) -> dict[str, ModuleType]:
    wanted = list(dict.fromkeys(names))
    known = available_entry_points()
    for name in wanted:
        if name not in known:
            hint = ", ".join(sorted(known)) or "none installed"
            raise PluginLoadError(name, f"no such plugin (available: {hint})")
    errors: list[PluginLoadError] = []

    def on_failure(_manager: Any, ep: metadata.EntryPoint, exc: BaseException) -> None:
        errors.append(PluginLoadError(ep.name, f"{type(exc).__name__}: {exc}"))

    # stevedore keeps entry points per namespace for the process's life; a fresh
    # manager must see what is installed now, as available_entry_points() did.
    ExtensionManager.ENTRY_POINT_CACHE.pop(PROJECT_NAME, None)
    manager = ExtensionManager(
        namespace=PROJECT_NAME,
        invoke_on_load=False,
        on_load_failure_callback=on_failure,
    )
    if errors:
        failing = [e for e in errors if e.name in wanted]
        if failing:
            raise failing[0]
    loaded = {ext.name: ext.plugin for ext in manager.extensions}
    return {name: loaded[name] for name in wanted}


def create_plugin_manager(
    enabled: Iterable[str] = ("winrm", "devstack", "tempest", "html"),
    *,
    extra: Iterable[tuple[str, object]] = (),
    environ: dict[str, str] | None = None,
) -> pluggy.PluginManager:
    """A fresh manager with the core plugins, the enabled entry-point plugins and
    ``extra`` (name, plugin object) pairs (used by tests and ``hvrt.testing``).

    Never a global: the engine passes the manager along explicitly.
    """

    pm = pluggy.PluginManager(PROJECT_NAME)
    pm.add_hookspecs(hookspecs)
    blocked = disabled_plugins(environ)
    for name, module_name in CORE_PLUGINS.items():
        _register(pm, name, importlib.import_module(module_name))
    names = [n for n in enabled if n not in blocked]
    for name, module in _load_extensions(names).items():
        _register(pm, name, module)
    env = environ if environ is not None else os.environ
    for module_name in filter(None, (m.strip() for m in env.get(MODULES_ENV, "").split(","))):
        if module_name in blocked:
            continue
        try:
            module = importlib.import_module(module_name)
        except Exception as exc:
            raise PluginLoadError(module_name, f"{type(exc).__name__}: {exc}") from None
        _register(pm, module_name, module)
    for name, plugin in extra:
        if name in blocked:
            continue
        _register(pm, name, plugin)
    try:
        pm.check_pending()
    except pluggy.PluginValidationError as exc:
        raise PluginLoadError(pm.get_name(exc.plugin) or "?", str(exc)) from None
    return pm


def _register(pm: pluggy.PluginManager, name: str, plugin: object) -> None:
    if pm.has_plugin(name):
        raise PluginLoadError(name, "a plugin of that name is already registered")
    try:
        pm.register(plugin, name=name)
    except (pluggy.PluginValidationError, ValueError) as exc:
        raise PluginLoadError(name, str(exc)) from None


def describe_plugins(pm: pluggy.PluginManager) -> list[PluginInfo]:
    """Name, distribution, version and implemented hooks of every registered plugin."""
    dists = {}
    for dist in metadata.distributions():
        for ep in dist.entry_points:
            if ep.group == PROJECT_NAME:
                dists[ep.name] = (dist.metadata["Name"], dist.version)
    infos = []
    for name, plugin in pm.list_name_plugin():
        hooks = tuple(sorted(h.name for h in pm.get_hookcallers(plugin) or []))
        module = getattr(plugin, "__name__", type(plugin).__module__)
        dist, version = dists.get(name, ("hvrt" if module.startswith("hvrt") else "-", "-"))
        if dist == "hvrt" and version == "-":
            from hvrt import __version__

            version = __version__
        infos.append(PluginInfo(name, module, dist, version, hooks))
    return infos
