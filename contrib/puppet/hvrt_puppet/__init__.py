"""hvrt-puppet: Puppet as the configurator of hvrt's compute nodes (entry point ``puppet``).

A node with ``configurator: puppet`` is configured by ``puppet apply`` of the
shipped ``hvrt`` Puppet module (or a site's own code base), with the scenario's
settings passed as Hiera data. See ``docs/puppet.md``.
"""
from __future__ import annotations

from pathlib import Path

__version__ = "0.1.0"


def shipped_modules() -> Path:
    """The folder holding the shipped Puppet module ``hvrt`` (a module path entry)."""
    from importlib import resources

    return Path(str(resources.files("hvrt_puppet.modules")))
