"""Simulated nodes shared by the sandbox tests (one HTTPS and one HTTP node per session)."""
from __future__ import annotations

import faulthandler
import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest

from hvrt.sandbox.wsman import SimulatedNode

TEST_TIME_LIMIT = 120


@pytest.fixture(autouse=True)
def _bounded_time():
    """No test here may hang: past the limit the traceback is dumped and the run ends."""
    faulthandler.dump_traceback_later(TEST_TIME_LIMIT, exit=True)
    yield
    faulthandler.cancel_dump_traceback_later()


@pytest.fixture(scope="session")
def node_password() -> str:
    return "Pw-" + secrets.token_urlsafe(12) + "!#%"


@pytest.fixture(scope="session")
def https_node(tmp_path_factory: pytest.TempPathFactory, node_password: str) -> Iterator[SimulatedNode]:
    state = Path(tmp_path_factory.mktemp("wsman-https"))
    with SimulatedNode("hv-sim-1", "127.0.0.11", 0, state, users={"Administrator": node_password}) as node:
        yield node


@pytest.fixture(scope="session")
def http_node(tmp_path_factory: pytest.TempPathFactory, node_password: str) -> Iterator[SimulatedNode]:
    state = Path(tmp_path_factory.mktemp("wsman-http"))
    with SimulatedNode("hv-sim-2", "127.0.0.12", 0, state, https=False,
                       users={"Administrator": node_password}) as node:
        yield node
