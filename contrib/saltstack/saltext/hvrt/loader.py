"""The ``salt.loader`` entry point of ``saltext.hvrt``: which folders Salt loads.

Salt calls :func:`get_loader_dirs` whenever it builds a loader (minion functions,
states, runners, ...) and takes the folders listed under that loader's type; a
type missing from the answer is not extended. The per-type functions are the same
answer one type at a time, for code and tests that want one.
"""
from __future__ import annotations

from saltext.hvrt import PACKAGE_ROOT

#: Salt's loader type -> this extension's folder of such modules.
LOADER_TYPES = {"modules": "modules", "states": "states", "runners": "runners"}


def get_module_dirs() -> list[str]:
    """Folders of execution modules (``salt '*' hvrt.run``)."""
    return [str(PACKAGE_ROOT / LOADER_TYPES["modules"])]


def get_states_dirs() -> list[str]:
    """Folders of state modules (``hvrt.scenario_passed``)."""
    return [str(PACKAGE_ROOT / LOADER_TYPES["states"])]


def get_runner_dirs() -> list[str]:
    """Folders of runner modules (``salt-run hvrt.run``)."""
    return [str(PACKAGE_ROOT / LOADER_TYPES["runners"])]


def get_loader_dirs() -> dict[str, list[str]]:
    """Salt's loader type -> folders (the entry point ``saltext.hvrt``)."""
    return {"modules": get_module_dirs(), "states": get_states_dirs(), "runners": get_runner_dirs()}
