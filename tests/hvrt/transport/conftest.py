"""Fixtures for the SSH tests: one real OpenSSH server on loopback per test session."""
from __future__ import annotations

from collections.abc import Iterator

import pytest

from hvrt.sandbox.sshd import SshdServer, sshd_available


@pytest.fixture(scope="session")
def sshd_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SshdServer]:
    """A running :class:`SshdServer` on 127.0.0.1 (user ``hvrt``, key auth)."""
    if not sshd_available():
        pytest.skip("OpenSSH server not installed (apt-get install openssh-server)")
    server = SshdServer(tmp_path_factory.mktemp("sshd"), address="127.0.0.1")
    server.start()
    yield server
    server.stop()
