"""Shared fixtures of hvrt's own tests (the ``hvrt.testing`` plugin adds the engine ones)."""
from __future__ import annotations

import os
from collections.abc import Iterator

import pytest


@pytest.fixture(autouse=True, scope="session")
def _own_lease_folder(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Host leases of this test session in a folder of its own (the default is the
    user's state folder, shared by every hvrt process of the runner host), so two
    sessions on one machine never queue behind each other's leases."""
    saved = {name: os.environ.get(name) for name in ("XDG_STATE_HOME", "HVRT_COORDINATION")}
    os.environ["XDG_STATE_HOME"] = str(tmp_path_factory.mktemp("state"))
    os.environ.pop("HVRT_COORDINATION", None)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
