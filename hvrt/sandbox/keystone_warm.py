"""Warm a Keystone that has just started, before anyone measures or tests it.

When: right after the sandbox Keystone first answers (:meth:`KeystoneServer.start`).
Why: a fresh gunicorn worker imports much of Keystone lazily and fills its
in-memory cache (tokens, catalog, roles) on the first request of each kind, so the
first test run against it pays seconds that later runs do not; a DevStack Keystone
that served its own stack.sh is warm by the time Tempest starts. One token, its
validation and the list calls Tempest's dynamic credentials make are enough.
"""
from __future__ import annotations

import json
import urllib.error
import urllib.request

LISTS = ("projects", "users", "roles", "domains", "role_assignments", "services", "endpoints")
"""Collections Tempest's credential set-up and identity tests read first."""


def _call(url: str, *, token: str | None = None, data: bytes | None = None, subject: str | None = None,
          timeout: float = 10.0) -> tuple[int, str | None]:
    headers = {"Content-Type": "application/json"}
    if token:
        headers["X-Auth-Token"] = token
    if subject:
        headers["X-Subject-Token"] = subject
    request = urllib.request.Request(url, data=data, headers=headers, method="POST" if data else "GET")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as resp:  # noqa: S310 - a loopback URL
            resp.read()
            return resp.status, resp.headers.get("X-Subject-Token")
    except (urllib.error.URLError, OSError):
        return 0, None


def warm_up(auth_url: str, password: str, timeout: float = 10.0) -> int:
    """Authenticate as the bootstrap admin, validate the token, read each of :data:`LISTS`;
    the number of requests that answered 2xx (failures are not errors: warming is best effort)."""
    body = {"auth": {
        "identity": {"methods": ["password"], "password": {"user": {
            "name": "admin", "domain": {"id": "default"}, "password": password}}},
        "scope": {"project": {"name": "admin", "domain": {"id": "default"}}},
    }}
    status, token = _call(f"{auth_url}/auth/tokens", data=json.dumps(body).encode(), timeout=timeout)
    if not token:
        return 0
    ok = int(200 <= status < 300)
    ok += int(200 <= _call(f"{auth_url}/auth/tokens", token=token, subject=token, timeout=timeout)[0] < 300)
    for name in LISTS:
        ok += int(200 <= _call(f"{auth_url}/{name}", token=token, timeout=timeout)[0] < 300)
    return ok
