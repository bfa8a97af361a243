"""Settings and per-host option blocks, declared as data and checked when the config loads.

A plugin says what it reads -- its ``settings: <name>:`` block and blocks of lab
hosts such as ``winrm:`` or ``salt:`` -- as :class:`Block` objects returned from the
``hvrt_config_schema`` hook. :func:`validate` checks a block of the file against its
declaration (unknown keys with a "did you mean", types, finite numbers and ranges,
choices, patterns, value rules of :mod:`hvrt.config.values`, required fields) and
records located errors. A plugin turns a block into values with :func:`read_block`,
which runs the same checks on plain data (a host built in code has no file
positions; errors then point at the host) and fills in the defaults. So each block is
checked one way, in one place.

Example::

    Block("settings", "devstack", doc="the DevStack deployer", fields=(
        Field("dest", rule="path", default="/opt/stack", doc="DEST on the controller"),
        Field("stack_timeout", "number", rule="timeout", default=7200.0),
        Field("localrc", "mapping", item=Field("", "setting"), key_pattern=r"[A-Za-z_][A-Za-z0-9_]*"),
    ))
"""
from __future__ import annotations

from hvrt.config.schema.check import read_block, validate, values
from hvrt.config.schema.doc import describe
from hvrt.config.schema.types import SCOPES, TYPES, Block, Custom, Field, Requires

__all__ = ["SCOPES", "TYPES", "Block", "Custom", "Field", "Requires", "describe", "read_block", "validate",
           "values"]
