"""Configuration: loading hvrt.yaml into the typed model of :mod:`hvrt.config.model`.

:func:`load_config` reads and validates a file; :func:`select_scenarios` picks the
scenarios of a run or plan. Both raise :class:`~hvrt.errors.ConfigError` subclasses,
which the CLI turns into exit code 2.
"""
from __future__ import annotations

from hvrt.config.loader import load_config
from hvrt.config.select import scenario_for, select_scenarios

__all__ = ["load_config", "scenario_for", "select_scenarios"]
