"""Real coordination services for tests of host leases: a Redis and an etcd of this
test session, on loopback ports of their own, in throw-away folders.

Used by hvrt's own lease tests and open to plugin authors through the ``hvrt.testing``
pytest plugin (fixtures ``redis_server`` and ``etcd_server``, one of each per session,
started on first use). A fixture skips its tests when the server binary is missing
(Debian packages ``redis-server`` and ``etcd-server``; tooz talks to etcd through the
``etcd3gw`` Python package). :func:`wipe_etcd` empties the etcd between tests: unlike
Redis (``?namespace=``), tooz's etcd driver has no key prefix of its own.
"""
from __future__ import annotations

import base64
import json
import shutil
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

START_SECONDS = 10.0
"""How long a server may take to answer its first request."""
HTTP_SECONDS = 5.0


def free_port() -> int:
    """A loopback TCP port nobody listens on right now (a server may still race for it:
    :func:`_start` tries again with another port)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def _start(argv: Callable[[int, int], list[str]], ready: Callable[[int], bool], log: Path) -> Iterator[int]:
    """Start ``argv(port, peer_port)`` until one answers ``ready(port)``; yields the port."""
    for _attempt in range(3):
        port, peer = free_port(), free_port()
        proc = subprocess.Popen(argv(port, peer), stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + START_SECONDS
        while proc.poll() is None and time.monotonic() < deadline and not ready(port):
            time.sleep(0.02)
        if proc.poll() is None and ready(port):
            break
        proc.kill()
        proc.wait(10)
    else:
        text = log.read_text(errors="replace")[-4000:] if log.is_file() else "(no log)"
        raise RuntimeError(f"{argv(0, 0)[0]} did not start on loopback: {text}")
    try:
        yield port
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)


# ---------------------------------------------------------------------- Redis

def _redis_ready(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False


@contextmanager
def redis(folder: Path, binary: str = "redis-server") -> Iterator[str]:
    """``redis://127.0.0.1:PORT``: a redis-server that keeps nothing on disk."""
    log = folder / "redis.log"

    def argv(port: int, _peer: int) -> list[str]:
        return [binary, "--bind", "127.0.0.1", "--port", str(port), "--dir", str(folder), "--save", "",
                "--appendonly", "no", "--daemonize", "no", "--protected-mode", "yes", "--logfile", str(log)]

    with _start(argv, _redis_ready, log) as port:
        yield f"redis://127.0.0.1:{port}"


# ---------------------------------------------------------------------- etcd

def _etcd_post(base: str, path: str, body: dict) -> dict:
    request = urllib.request.Request(f"{base}/v3/{path}", data=json.dumps(body).encode(),
                                     headers={"Content-Type": "application/json"}, method="POST")
    with urllib.request.urlopen(request, timeout=HTTP_SECONDS) as answer:  # noqa: S310 -- loopback http
        return json.loads(answer.read() or b"{}")


def _etcd_ready(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=1) as answer:  # noqa: S310
            return json.loads(answer.read()).get("health") == "true"
    except (OSError, ValueError):
        return False


def _http_base(url: str) -> str:
    """``etcd3+http://h:p?...`` -> ``http://h:p`` (what the JSON gateway answers on)."""
    rest = url.split("+", 1)[1]
    return rest.split("?", 1)[0].rstrip("/")


def etcd_leases(url: str) -> list[int]:
    """The IDs of every lease the etcd at ``url`` holds (the gateway's LeaseLeases)."""
    return [int(item["ID"]) for item in _etcd_post(_http_base(url), "lease/leases", {}).get("leases", [])]


def wipe_etcd(url: str) -> None:
    """Every key and every lease of the etcd at ``url`` gone (what a test starts from)."""
    base = _http_base(url)
    everything = base64.b64encode(b"\0").decode()
    _etcd_post(base, "kv/deleterange", {"key": everything, "range_end": everything})
    for lease in etcd_leases(url):
        try:
            _etcd_post(base, "lease/revoke", {"ID": lease})
        except urllib.error.HTTPError:  # expired between the listing and the revoke
            pass


@contextmanager
def etcd(folder: Path, binary: str = "etcd") -> Iterator[str]:
    """``etcd3+http://127.0.0.1:PORT``: a one-member etcd with a throw-away data folder.

    Its raft ticks are short (10 ms heartbeat, 50 ms election), so it elects itself in
    well under a second and grants leases from one second up.
    """
    log = folder / "etcd.log"

    def argv(port: int, peer: int) -> list[str]:
        client, peer_url = f"http://127.0.0.1:{port}", f"http://127.0.0.1:{peer}"
        data = folder / f"data-{port}"
        return [binary, "--name", "hvrt-test", "--data-dir", str(data),
                "--listen-client-urls", client, "--advertise-client-urls", client,
                "--listen-peer-urls", peer_url, "--initial-advertise-peer-urls", peer_url,
                "--initial-cluster", f"hvrt-test={peer_url}", "--initial-cluster-state", "new",
                "--heartbeat-interval", "10", "--election-timeout", "50",
                "--logger", "zap", "--log-outputs", str(log)]

    with _start(argv, _etcd_ready, log) as port:
        yield f"etcd3+http://127.0.0.1:{port}"


# ---------------------------------------------------------------------- fixtures

def _binary(name: str, package: str) -> str:
    found = shutil.which(name)
    if found is None:
        pytest.skip(f"{name} is not installed (Debian package {package})")
    return found


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``redis://127.0.0.1:PORT`` of a redis-server of this session (give each test its
    own ``?namespace=``)."""
    binary = _binary("redis-server", "redis-server")
    with redis(tmp_path_factory.mktemp("redis"), binary) as url:
        yield url


@pytest.fixture(scope="session")
def etcd_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``etcd3+http://127.0.0.1:PORT`` of an etcd of this session (call :func:`wipe_etcd`
    before a test that must start from an empty one). Skips without ``etcd`` or the
    ``etcd3gw`` client tooz needs."""
    binary = _binary("etcd", "etcd-server")
    pytest.importorskip("etcd3gw", reason="tooz's etcd3+http:// driver needs the etcd3gw package")
    with etcd(tmp_path_factory.mktemp("etcd"), binary) as url:
        yield url
