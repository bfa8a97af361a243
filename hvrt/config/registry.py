"""The blocks one config may hold: the core's own and those its plugins declare.

``load_config`` gets them itself: :func:`discover` builds a plugin manager for the
plugins the file enables, with the factory a run uses
(:func:`hvrt.plugins.create_plugin_manager`), and collects what their
``hvrt_config_schema`` implementations return (:func:`collect`). Callers that
already hold a plugin manager may pass its blocks to ``load_config(schemas=...)``.

The core declares the ``ssh:`` block of lab hosts (the ssh transport is part of the
core); everything else comes from plugins. Two different declarations of one block
are an error, the same declaration made twice (a module registered under two names)
is kept once.
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import pluggy

from hvrt.config.schema import Block, Field
from hvrt.errors import PluginLoadError

SSH = Block("host", "ssh", doc="options of the ssh transport (``transport: ssh``)", fields=(
    Field("known_hosts", rule="path", doc="known_hosts file checked for the host key (default ~/.ssh/known_hosts)"),
    Field("trust_on_first_use", "boolean", default=False,
          doc="accept and record an unknown host key instead of refusing it"),
    Field("connect_timeout", "number", rule="timeout", default=15.0, doc="seconds to connect and authenticate"),
    Field("keepalive", "integer", default=15, minimum=0, maximum=3600, doc="seconds between keep-alive packets"),
    Field("port", "integer", minimum=1, maximum=65535, doc="SSH port (default the host's port, else 22)"),
    Field("allow_agent", "boolean", default=True, doc="use keys of a running ssh-agent"),
    Field("timeout", "number", rule="timeout", default=600.0, doc="default seconds a remote command may take"),
))
CORE_BLOCKS: tuple[Block, ...] = (SSH,)
ROLES = ("node", "controller")


class SchemaConflict(PluginLoadError):
    """Two plugins declare the same block differently."""


@dataclass
class Schemas:
    """The declared blocks by scope and name, and the plugins that were asked.

    :param plugins: names of the plugins whose declarations these are (the enabled
        ones and any registered otherwise); a block named after one of them that it
        did not declare is the plugin's own business and stays unchecked.
    :param installed: names of every installed plugin (entry points of ``hvrt``).
    """

    blocks: Iterable[Block] = ()
    plugins: frozenset[str] = frozenset()
    installed: frozenset[str] = frozenset()
    settings: dict[str, Block] = field(default_factory=dict, init=False)
    hosts: dict[str, dict[str, Block]] = field(default_factory=dict, init=False)

    def __post_init__(self) -> None:
        self.hosts = {role: {} for role in ROLES}
        for block in (*CORE_BLOCKS, *self.blocks):
            self._add(block)
        self.blocks = tuple(self.blocks)

    def _add(self, block: Block) -> None:
        if not isinstance(block, Block):
            raise SchemaConflict("?", f"hvrt_config_schema returned {type(block).__name__}, not a Block")
        if block.scope == "settings":
            targets = [self.settings]
        else:
            targets = [self.hosts[r] for r in ROLES if block.scope in ("host", r)]
        for target in targets:
            known = target.get(block.name)
            if known is None:
                target[block.name] = block
            elif known != block:
                raise SchemaConflict(block.name, f"{block.where} is declared twice, differently")

    def settings_block(self, name: str) -> Block | None:
        return self.settings.get(name)

    def host_block(self, role: str, name: str) -> Block | None:
        return self.hosts[role].get(name)


def collect(pm: pluggy.PluginManager) -> list[Block]:
    """Every block the plugins of ``pm`` declare (plugins registered later included)."""
    found: list[Block] = []

    def keep(result: Any) -> None:
        found.extend(result or ())

    pm.hook.hvrt_config_schema.call_historic(result_callback=keep, kwargs={})
    return found


def discover(plugins: Sequence[str], extra: Iterable[tuple[str, object]] = ()) -> Schemas:
    """The schemas of the named plugins (plus ``extra`` plugin objects), loaded for real.

    Raises :class:`~hvrt.errors.PluginLoadError` when a plugin cannot be loaded.
    """
    from hvrt.plugins import available_entry_points, create_plugin_manager

    pm = create_plugin_manager(plugins, extra=extra)
    try:
        installed = frozenset(available_entry_points())
    except PluginLoadError:
        installed = frozenset()
    registered = frozenset(name for name, _ in pm.list_name_plugin())
    return Schemas(collect(pm), plugins=frozenset(plugins) | registered, installed=installed)
