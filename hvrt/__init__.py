"""hvrt — Hyper-V Release Tests.

Runs OpenStack's integration tests (Tempest) over a matrix of Hyper-V scenarios:
provision, configure, deploy, test, collect and report, one pipeline per scenario.
Plugins implement the stages through the hooks in :mod:`hvrt.hookspecs`; mark
implementations with :data:`hvrt.hookimpl`.
"""
from __future__ import annotations

import pluggy

PROJECT_NAME = "hvrt"
"""Pluggy project name, entry-point group and hook prefix, in one string."""

__version__ = "0.1.0"

hookimpl = pluggy.HookimplMarker(PROJECT_NAME)
"""Marker for hook implementations: ``@hvrt.hookimpl def hvrt_collect(ctx): ...``."""

__all__ = ["PROJECT_NAME", "__version__", "hookimpl"]
