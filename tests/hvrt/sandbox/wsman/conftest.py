"""Simulated nodes shared by the sandbox tests (one HTTPS and one HTTP node per session)."""
from __future__ import annotations

import importlib.util
from collections.abc import Iterator
from pathlib import Path

import pytest

from hvrt.sandbox.wsman import SimulatedNode

_spec = importlib.util.spec_from_file_location("hvrt_tests_simnode", Path(__file__).parents[3] / "simnode.py")
simnode = importlib.util.module_from_spec(_spec)  # type: ignore[arg-type]
_spec.loader.exec_module(simnode)  # type: ignore[union-attr]
_bounded_time, node_password = simnode._bounded_time, simnode.node_password


@pytest.fixture(scope="session")
def https_node(tmp_path_factory: pytest.TempPathFactory, node_password: str) -> Iterator[SimulatedNode]:
    with simnode.simulated_nodes(tmp_path_factory, node_password, {"hv-sim-1": ("127.0.0.11", {})}) as nodes:
        yield nodes["hv-sim-1"]


@pytest.fixture(scope="session")
def http_node(tmp_path_factory: pytest.TempPathFactory, node_password: str) -> Iterator[SimulatedNode]:
    specs = {"hv-sim-2": ("127.0.0.12", {"https": False})}
    with simnode.simulated_nodes(tmp_path_factory, node_password, specs) as nodes:
        yield nodes["hv-sim-2"]
