"""Pre-flight checks of a DevStack controller, each with its fix.

Called by the deployer's ``hvrt_preflight_host`` (``hvrt preflight``, the start of a
run, each ``provision`` stage): reachable (TCP to sshd), SSH host key and login,
passwordless sudo, git, free disk under DEST. Never raises for a failed check.
"""
from __future__ import annotations

import socket
import time
from typing import Any

from hvrt.config.model import Host
from hvrt.errors import HvrtError
from hvrt.transport.base import Transport
from hvrt_devstack.settings import DevstackSettings


def _ssh_port(host: Host) -> int:
    return int((host.options.get("ssh") or {}).get("port") or host.port or 22)


def _ssh_fix(host: Host, message: str) -> tuple[str, str]:
    """The check an SSH connection failure belongs to, and its fix."""
    ssh = host.options.get("ssh") or {}
    known = ssh.get("known_hosts") or "~/.ssh/known_hosts"
    where = f"lab.controllers.{host.name}"
    if "unknown host key" in message:
        return "host_key", (f"check the key's fingerprint, then record it: ssh-keyscan -p {_ssh_port(host)} "
                            f"{host.address} >> {known} (or set {where}.ssh.trust_on_first_use: true)")
    if "does not match" in message:
        return "host_key", (f"the controller's host key changed: if it was reinstalled, remove the old key "
                            f"(ssh-keygen -R {host.address} -f {known}) and record the new one; otherwise do not "
                            "connect")
    if "authentication" in message:
        return "auth", (f"check {where}.user and key_file: the public key must be in "
                        f"~{host.user or 'USER'}/.ssh/authorized_keys on the controller")
    return "auth", f"check that sshd on {host.address}:{_ssh_port(host)} accepts logins ({where})"


def _record(host: Host, check: str, ok: bool | None, detail: str, fix: str = "") -> dict[str, Any]:
    return {"host": host.name, "check": check, "ok": ok, "detail": detail, "fix": "" if ok else fix}


CONTROLLER_CHECKS = ("reachable", "host_key", "auth", "sudo", "git", "free_disk")


def preflight(host: Host, transport: Transport, settings: DevstackSettings, timeout: float) -> list[dict[str, Any]]:
    """The controller's pre-flight checks, each with its fix; never raises for a failure.

    reachable (TCP to sshd), host_key and auth (the SSH login against known_hosts),
    sudo (DevStack's stack.sh needs passwordless sudo unless it runs as root), git, and
    free disk under DEST. A failed connection leaves the later checks not run.
    """
    deadline = time.monotonic() + timeout

    def left() -> float:
        return max(1.0, deadline - time.monotonic())

    records: list[dict[str, Any]] = []

    def not_run(after: str) -> list[dict[str, Any]]:
        rest = CONTROLLER_CHECKS[CONTROLLER_CHECKS.index(after) + 1:]
        return records + [_record(host, c, None, f"not checked: {after} failed") for c in rest]

    if host.transport == "ssh":
        port = _ssh_port(host)
        try:
            with socket.create_connection((host.address, port), timeout=max(0.5, min(10.0, timeout))):
                pass
        except OSError as exc:
            records.append(_record(host, "reachable", False, f"{host.address}:{port}: {exc.strerror or type(exc).__name__}",
                                   f"start the controller or its sshd, or correct lab.controllers.{host.name}.address "
                                   "/ port"))
            return not_run("reachable")
        records.append(_record(host, "reachable", True, f"ssh {host.address}:{port} open"))
    try:
        probe = transport.run(["true"], timeout=left())
    except HvrtError as exc:
        message = str(getattr(exc, "message", exc))
        check, fix = _ssh_fix(host, message) if host.transport == "ssh" else ("auth", "check the controller's transport")
        if host.transport != "ssh":
            records.append(_record(host, "reachable", False, message, fix))
            return not_run("reachable")
        if check == "auth":
            records.append(_record(host, "host_key", True, "known"))
        records.append(_record(host, check, False, message, fix))
        return not_run(check)
    if host.transport == "ssh":
        records.append(_record(host, "host_key", True, "matches known_hosts"))
        records.append(_record(host, "auth", probe.ok, f"logged on as {host.user or 'the local user'}",
                               "check the user's login shell on the controller"))
    else:
        records.append(_record(host, "reachable", probe.ok, f"{host.transport} transport"))
    sudo = transport.run(["sh", "-c", 'if [ "$(id -u)" = 0 ]; then echo root; else sudo -n true && echo sudo; fi'],
                         timeout=left())
    user = host.user or "the user"
    records.append(_record(host, "sudo", sudo.ok,
                           {"root": "root (sudo not needed)", "sudo": "passwordless sudo"}.get(sudo.stdout.strip(),
                                                                                               sudo.tail(2).strip()),
                           f"give {user} passwordless sudo (stack.sh needs it): echo '{user} ALL=(ALL) NOPASSWD: ALL'"
                           f" > /etc/sudoers.d/{user}"))
    git = transport.run(["git", "--version"], timeout=left())
    records.append(_record(host, "git", git.ok, git.stdout.strip() or "git not found",
                           "install git on the controller (apt-get install -y git)"))
    # df on the deepest folder of DEST that exists already
    df = transport.run(["sh", "-c", 'd=$1; while [ ! -e "$d" ]; do d=$(dirname "$d"); done; df -Pk "$d"',
                        "sh", settings.dest], timeout=left())
    try:
        free_mb = int(df.stdout.splitlines()[-1].split()[3]) // 1024
    except (IndexError, ValueError):
        records.append(_record(host, "free_disk", False, f"cannot read free disk space: {df.tail(2).strip()}",
                               "check that df works on the controller"))
        return records
    need = settings.min_free_disk_mb
    records.append(_record(host, "free_disk", free_mb >= need,
                           f"{free_mb} MiB free under {settings.dest}, {need} needed",
                           f"free {need - free_mb} MiB under {settings.dest}, or point devstack: dest at a larger "
                           "disk"))
    return records
