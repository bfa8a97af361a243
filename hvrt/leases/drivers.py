"""What differs between tooz's drivers, and what a lease service does about it.

Called by :class:`hvrt.leases.service.LeaseService` when it starts (the folder of a
``file://`` URL, a quick reachability check of a network service) and around every
lock attempt. The etcd driver (``etcd3+http://``, etcd3gw) needs two things the others
do not: its blocking ``acquire`` raises when the wait is over instead of returning
False, so a wait there is a non-blocking try every poll; and every try grants an etcd
lease of the lock TTL that outlives a failed try and a release, so the lease of each
such try is revoked at once rather than left to expire.
"""
from __future__ import annotations

import logging
import os
import socket
import time
from typing import Any
from urllib.parse import urlsplit

from hvrt.leases import url as urls

log = logging.getLogger("hvrt.leases")

CONNECT_SECONDS = 5.0
"""How long the reachability check waits for a TCP connection."""
PORTS = {"redis": 6379, "rediss": 6379, "etcd3+http": 2379, "etcd3+https": 2379}
"""The network drivers checked before tooz starts, with their default ports."""
POLLED = ("etcd3+http", "etcd3+https")
"""Drivers whose waits are non-blocking tries (their blocking acquire raises when it gives up)."""


def scheme(url: str) -> str:
    return url.split(":", 1)[0].lower()


def prepare_folder(url: str) -> str | None:
    """Create the folder of a ``file://`` URL, private to its user; what went wrong, or None."""
    parts = urlsplit(url)
    if parts.scheme != "file":
        return None
    try:
        os.makedirs(parts.path, mode=0o700, exist_ok=True)
    except OSError as exc:
        return f"cannot create the lease folder {parts.path}: {exc}"
    return None


def unreachable(url: str) -> str | None:
    """Why a Redis or etcd server cannot be reached, said in seconds (tooz's Redis driver
    would retry for about a minute, its etcd driver wait for its 30 s timeout), or None."""
    parts = urlsplit(url)
    default = PORTS.get(scheme(url))
    if default is None or not parts.hostname:
        return None  # another driver, or a Unix socket
    port = parts.port or default
    try:
        with socket.create_connection((parts.hostname, port), timeout=CONNECT_SECONDS):
            return None
    except OSError as exc:
        return (f"coordination service {urls.display(url)}: cannot connect to {parts.hostname}:{port}: "
                f"{exc.strerror or exc}")


def attempt(lock: Any, wait: float, polled: bool) -> bool:
    """One try at a tooz lock that gives up after about ``wait`` seconds; the driver's own
    exceptions pass through. A polled driver sleeps first, so whoever failed can be told
    the holder right after the try."""
    if not polled:
        return bool(lock.acquire(blocking=wait if wait > 0 else False))
    time.sleep(wait)
    if lock.acquire(blocking=False):
        return True
    drop_lease(lock, polled)
    return False


def drop_lease(lock: Any, polled: bool) -> None:
    """Revoke the etcd lease of a lock's last try (a failed try, or a released lock: no
    key of ours is left on it). Other drivers' locks have none."""
    if not polled:
        return
    lease = getattr(lock, "_lease", None)  # where tooz's Etcd3Lock keeps its try's lease
    revoke = getattr(lease, "revoke", None)
    if revoke is None:
        return
    try:
        revoke()
    except Exception as exc:  # noqa: BLE001 -- already expired, or the TTL ends it
        log.debug("revoking the lease of a lock try: %s", exc)
