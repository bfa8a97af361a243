"""Which coordination service holds the host leases: the URL, its checks, its default.

Read when the config loads (``lab.coordination`` is checked here, so a bad URL is a
config error naming file and line) and when a run or ``hvrt leases`` connects. No
tooz import: the config loader uses this module too.

Precedence: ``$HVRT_COORDINATION`` (what ``hvrt.run`` from Salt passes), then
``lab.coordination``, then a ``file://`` folder of this runner host
(:func:`default_url`) that every hvrt process of the same user shares.
"""
from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Mapping
from pathlib import Path
from urllib.parse import SplitResult, parse_qsl, urlencode, urlsplit, urlunsplit

ENV = "HVRT_COORDINATION"
"""The environment variable that overrides ``lab.coordination``."""

SCHEMES = (
    "file", "redis", "rediss", "etcd3+http", "etcd3+https", "zookeeper", "kazoo", "memcached",
    "mysql", "postgresql", "ipc", "kubernetes",
)
"""The tooz drivers a URL may name; ``rediss`` is Redis over TLS (``redis://...?ssl=true``)."""

_NO_HOST = ("file", "ipc", "kubernetes")
_ETCD = ("etcd3+http", "etcd3+https")
_ETCD_SECONDS = ("timeout", "lock_timeout", "membership_timeout")
"""Options tooz's etcd driver reads as whole seconds (``int()``: ``1.5`` would stop the run)."""
_SAFE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,62}")
_BREAK = re.compile(r"[\x00-\x1f\x7f]")
LOCK_PREFIX = "hvrt-host-"


def problem(url: str, *, from_secret: bool = False) -> str | None:
    """What is wrong with a coordination URL, or None.

    :param from_secret: the URL came from ``${env:...}``/``${file:...}``, so it may hold
        a password (written inline it may not: the config file is not a secret store).
    """
    if not url:
        return "is empty; give a coordination URL such as redis://host:6379 or file:///var/lib/hvrt/leases"
    if _BREAK.search(url) or any(c.isspace() for c in url):
        return "contains white space or a control character"
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 -- raises ValueError for a bad port
    except ValueError as exc:
        return f"is not a URL ({exc})"
    scheme = parts.scheme.lower()
    allowed = ", ".join(f"{s}://" for s in SCHEMES)
    if "://" not in url or not scheme:
        return f"is not a URL; use one of {allowed}"
    if scheme == "etcd3":
        return ("etcd3:// is tooz's gRPC etcd driver, whose client (python etcd3) cannot load with "
                "the protobuf releases hvrt runs with; use etcd3+http://host:2379 (the etcd3gw client)")
    if scheme not in SCHEMES:
        return f"scheme {scheme}:// is not a coordination driver; use one of {allowed}"
    if parts.fragment:
        return "has a #fragment; tooz reads options from the ?query only"
    if parts.password is not None and not from_secret:
        return ("holds a password; write the whole URL as ${env:NAME} or ${file:PATH} so the "
                "password stays out of the config file")
    if scheme == "file":
        if parts.netloc not in ("", "localhost") or not parts.path.startswith("/"):
            return "a file:// URL needs an absolute folder (file:///var/lib/hvrt/leases)"
        return None
    if scheme in ("redis", "rediss") and not parts.hostname:
        if parts.path.startswith("/"):
            return None  # a Unix socket: redis:///run/redis/redis.sock
        return f"a {scheme}:// URL needs a host (redis://host:6379) or a socket path (redis:///run/redis.sock)"
    if scheme not in _NO_HOST and not parts.hostname:
        return f"a {scheme}:// URL needs a host"
    if scheme in _ETCD:
        for key, value in parse_qsl(parts.query, keep_blank_values=True):
            if key in _ETCD_SECONDS and not (value.isdigit() and int(value) >= 1):
                return f"?{key}={value}: the etcd driver takes whole seconds, 1 or more"
    return None


def default_url(environ: Mapping[str, str] | None = None) -> str:
    """``file://`` under the user's state folder: ``$XDG_STATE_HOME/hvrt/leases``, else
    ``~/.local/state/hvrt/leases``, else (no home) ``/var/tmp/hvrt-leases-<uid>``."""
    return "file://" + str(default_folder(environ))


def default_folder(environ: Mapping[str, str] | None = None) -> Path:
    env = os.environ if environ is None else environ
    state = env.get("XDG_STATE_HOME", "")
    if state.startswith("/"):
        return Path(state) / "hvrt" / "leases"
    home = env.get("HOME", "")
    if home.startswith("/") and home != "/":
        return Path(home) / ".local" / "state" / "hvrt" / "leases"
    return Path("/var/tmp") / f"hvrt-leases-{os.getuid()}"


def resolve(configured: str | None, environ: Mapping[str, str] | None = None) -> tuple[str, str]:
    """The URL to use and where it came from (``$HVRT_COORDINATION``, ``lab.coordination``
    or ``default``). Raises ValueError naming the source for a bad URL."""
    env = os.environ if environ is None else environ
    for url, origin in ((env.get(ENV, ""), f"${ENV}"), (configured or "", "lab.coordination")):
        if url:
            bad = problem(url, from_secret=True)
            if bad is not None:
                raise ValueError(f"{origin} {display(url)} {bad}")
            return url, origin
    return default_url(env), "default"


def driver_url(url: str) -> str:
    """The URL tooz loads: ``rediss://`` becomes ``redis://`` with ``ssl=true``."""
    parts = urlsplit(url)
    if parts.scheme.lower() != "rediss":
        return url
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != "ssl"]
    query.append(("ssl", "true"))
    return urlunsplit(SplitResult("redis", parts.netloc, parts.path, urlencode(query), ""))


def display(url: str) -> str:
    """The URL with any password replaced by ``***`` (for messages and ``hvrt leases``)."""
    try:
        parts = urlsplit(url)
        if parts.password is None:
            return url
    except ValueError:
        return "<unreadable URL>"
    user = parts.username or ""
    host = parts.netloc.rsplit("@", 1)[1]
    return urlunsplit(parts._replace(netloc=f"{user}:***@{host}"))


def lock_name(host: str) -> str:
    """The tooz lock (and group) of a lab host: ``hvrt-host-<name>`` for a safe name
    (every name the config accepts), else a digest, so no name can leave the folder."""
    if _SAFE_NAME.fullmatch(host) and ".." not in host:
        return LOCK_PREFIX + host
    return LOCK_PREFIX + "sha1-" + hashlib.sha1(host.encode("utf-8")).hexdigest()
