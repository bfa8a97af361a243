"""Simulated-node fixtures shared by the sandbox's WS-Man tests and the winrm plugin's.

The test folders are not packages (pytest runs with ``--import-mode=importlib``), so
``tests/hvrt/sandbox/wsman/conftest.py`` and ``tests/plugins/hvrt_winrm/conftest.py``
load this file by its path and take its fixtures into their namespace.
"""
from __future__ import annotations

import faulthandler
import secrets
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from hvrt.sandbox.wsman import SimulatedNode

TEST_TIME_LIMIT = 120


@pytest.fixture(autouse=True)
def _bounded_time() -> Iterator[None]:
    """No test may hang: past the limit the traceback is dumped and the run ends."""
    faulthandler.dump_traceback_later(TEST_TIME_LIMIT, exit=True)
    yield
    faulthandler.cancel_dump_traceback_later()


@pytest.fixture(scope="session")
def node_password() -> str:
    """The Administrator password of every simulated node of the session."""
    return "Node-" + secrets.token_urlsafe(12) + "!#$%"


@contextmanager
def simulated_nodes(factory: pytest.TempPathFactory, password: str,
                    nodes: Mapping[str, tuple[str, Mapping[str, Any]]]) -> Iterator[dict[str, SimulatedNode]]:
    """Start ``{name: (address, SimulatedNode options)}``, each with its own state folder."""
    started: dict[str, SimulatedNode] = {}
    try:
        for name, (address, options) in nodes.items():
            state = Path(factory.mktemp(f"node-{name}"))
            started[name] = SimulatedNode(name, address, 0, state, users={"Administrator": password},
                                          **options).start()
        yield started
    finally:
        for node in started.values():
            node.stop()
