"""The Tempest runner's ``settings: tempest:`` block, declared as a schema.

Checked when the config loads (``hvrt_config_schema``): a misspelt key or a
timeout of ``.inf`` stops ``hvrt config validate`` instead of a run. The runner
(:mod:`hvrt_tempest.runner`) reads the values; ``conf`` and ``validation`` shape the
scenario's tempest.conf (:mod:`hvrt_tempest.tempestconf`).
"""
from __future__ import annotations

from hvrt import hookimpl
from hvrt.config.schema import Block, Field

SETTINGS = Block("settings", "tempest", (
    Field("workspace_root", rule="path",
          doc="where Tempest workspaces go on the controller (default next to the deployment's workdir)"),
    Field("list_timeout", "number", rule="timeout", default=900.0, doc="seconds `tempest run --list-tests` may take"),
    Field("run_timeout", "number", rule="timeout", default=14400.0, doc="seconds one `tempest run` phase may take"),
    Field("list_cache", "boolean", default=True,
          doc="keep `tempest run --list-tests` output and Tempest's plugin cache on the controller between runs"),
    Field("test_path", rule="path", doc="stestr test_path (default Tempest's own)"),
    Field("top_dir", rule="path", doc="stestr top_dir (default the folder above test_path)"),
    Field("env", "mapping", item=Field("", "setting"), key_pattern=r"[A-Za-z_][A-Za-z0-9_]*",
          doc="environment variables of the Tempest commands"),
    Field("validation", "boolean", doc="[validation] run_validation (SSH into the test servers)"),
    Field("conf", "mapping", key_pattern=r"[^\s\[\]](?:[^\[\]]*[^\s\[\]])?",
          item=Field("", "mapping", key_pattern=r"[^\s\[\]=:](?:[^\[\]=:]*[^\s\[\]=:])?", item=Field("", "setting")),
          doc="tempest.conf overrides: section -> key -> value"),
), doc="the Tempest runner")


@hookimpl
def hvrt_config_schema() -> list[Block]:
    """The block the Tempest runner reads: ``settings.tempest``."""
    return [SETTINGS]
