"""The sandbox lab: bring up, check and tear down the simulated lab a config describes.

What ``hvrt sandbox up`` starts, from the config's own ``lab:`` and the
``settings: sandbox:`` block (``state_dir``, default ``/var/tmp/hvrt-sandbox``):

* every ``winrm`` node as a simulated Hyper-V node (:mod:`hvrt.sandbox.wsman`), all
  in one background process, HTTPS with the sandbox CA (``<state>/tls/ca.pem``);
* every ``ssh`` controller as a real OpenSSH server on its loopback address, logging
  in as the user running hvrt with the key ``<state>/ssh/<name>/id_ed25519``;
* the DevStack stand-in repository (``<state>/devstack.git``) and the compute
  installer the nodes accept (``<state>/installer/HyperVNovaCompute.msi``); both are
  brought up to date at every ``up`` when this hvrt would make them differently (new
  commits in the same repository, so the controllers' clones fetch the new scripts);
* the Keystone and Tempest venvs (created once, then reused).

Keystone itself is started by the stand-in's ``stack.sh`` during a run, on the
controller's address. Everything listens on loopback only.
"""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from hvrt.config.model import Config, Host
from hvrt.errors import InfrastructureError
from hvrt.sandbox.sshd import SshdServer

DEFAULT_STATE_DIR = "/var/tmp/hvrt-sandbox"
INSTALLER_VERSION = "29.0.0.1"
START_TIMEOUT = 60.0


@dataclass
class Component:
    kind: str
    name: str
    endpoint: str
    running: bool
    pid: int | None = None

    def row(self) -> tuple[str, str, str, str, str]:
        return (self.kind, self.name, self.endpoint, "up" if self.running else "down", str(self.pid or "-"))


def state_dir_of(config: Config) -> Path:
    raw = config.plugin_settings("sandbox").get("state_dir") or DEFAULT_STATE_DIR
    return Path(os.path.expanduser(str(raw))).absolute()


def _alive(pid: int | None) -> bool:
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _read_pid(path: Path) -> int | None:
    try:
        return int(path.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None


class SandboxLab:
    """Start, inspect and stop the sandbox described by ``config``; every call is idempotent."""

    def __init__(self, config: Config) -> None:
        self.config = config
        self.state = state_dir_of(config)
        self.nodes = {n: h for n, h in config.nodes.items() if h.transport == "winrm"}
        self.controllers = {n: h for n, h in config.controllers.items() if h.transport == "ssh"}

    # ----------------------------------------------------------------- paths
    @property
    def nodes_pidfile(self) -> Path:
        return self.state / "nodes.pid"

    @property
    def nodes_ready(self) -> Path:
        return self.state / "nodes.json"

    def node_dir(self, name: str) -> Path:
        return self.state / "nodes" / name

    def ssh_dir(self, name: str) -> Path:
        return self.state / "ssh" / name

    @property
    def installer(self) -> Path:
        return self.state / "installer" / "HyperVNovaCompute.msi"

    @property
    def devstack_repo(self) -> Path:
        return self.state / "devstack.git"

    # ------------------------------------------------------------------- up
    def up(self, *, venvs: bool = True, log=print) -> list[Component]:  # type: ignore[no-untyped-def]
        self.state.mkdir(parents=True, exist_ok=True)
        if venvs:
            self._ensure_venvs(log)
        self._ensure_installer()
        self._ensure_images()
        self._ensure_devstack_repo(log)
        self._ensure_nodes(log)
        for name, host in self.controllers.items():
            self._ensure_sshd(name, host, log)
        return self.status()

    def _ensure_venvs(self, log) -> None:  # type: ignore[no-untyped-def]
        from hvrt.sandbox import venvs

        missing = [n for n in ("keystone", "tempest") if not venvs.is_ready(n)]
        if missing:
            log(f"creating the {' and '.join(missing)} venv(s) (first time only, about a minute)")
            for name in missing:
                venvs.ensure(name)

    def _ensure_installer(self) -> None:
        """The simulated MSI, rewritten when this hvrt version would make it differently."""
        from hvrt.sandbox.wsman.fn_hyperv import make_installer

        self.installer.parent.mkdir(parents=True, exist_ok=True)
        fresh = self.installer.with_name(self.installer.name + ".new")
        make_installer(fresh, INSTALLER_VERSION)
        _keep_or_replace(self.installer, fresh)

    def _ensure_images(self) -> None:
        """Small stand-in image files for the profiles' ``file://`` URLs under the state dir."""
        for profile in self.config.profiles.values():
            for url in (profile.image.url, profile.image.heat_url):
                if not url or not url.startswith("file://"):
                    continue
                path = Path(url.removeprefix("file://"))
                if path.is_relative_to(self.state):
                    path.parent.mkdir(parents=True, exist_ok=True)
                    fresh = path.with_name(path.name + ".new")
                    fresh.write_bytes(b"hvrt sandbox image " + path.name.encode() + b"\n" * 64)
                    _keep_or_replace(path, fresh)

    def _ensure_devstack_repo(self, log) -> None:  # type: ignore[no-untyped-def]
        """Build the stand-in repository, or commit the package's current scripts into it
        when they changed since it was built (running controllers' clones fetch them)."""
        from hvrt.sandbox.devstack_repo import ensure_devstack_repo

        outcome = ensure_devstack_repo(self.devstack_repo)
        if outcome != "current":
            log(f"DevStack stand-in repository {outcome} in {self.devstack_repo}")

    def fingerprint(self) -> str:
        """What the running nodes were started from (addresses, users, passwords), hashed."""
        import hashlib

        digest = hashlib.sha256()
        for name, host in sorted(self.nodes.items()):
            secret = host.password.reveal() if host.password else ""
            digest.update(repr((name, host.address, host.port, host.user, host.options.get("winrm"), secret)).encode())
        return digest.hexdigest()

    def _nodes_current(self) -> bool:
        if not _alive(_read_pid(self.nodes_pidfile)) or not self.nodes_ready.exists():
            return False
        return json.loads(self.nodes_ready.read_text()).get("fingerprint") == self.fingerprint()

    def _ensure_nodes(self, log) -> None:  # type: ignore[no-untyped-def]
        if not self.nodes or self._nodes_current():
            return
        _stop_pidfile(self.nodes_pidfile, expect=b"hvrt.sandbox.lab")  # another config or password
        self.nodes_ready.unlink(missing_ok=True)
        log_file = open(self.state / "nodes.log", "ab")  # noqa: SIM115 - handed to the child
        proc = subprocess.Popen(
            [sys.executable, "-m", "hvrt.sandbox.lab", "serve-nodes", "--config", self.config.path],
            stdin=subprocess.DEVNULL, stdout=log_file, stderr=log_file, start_new_session=True,
            env={**os.environ, **{f"HVRT_SANDBOX_PW_{i}": h.password.reveal()
                                  for i, h in enumerate(self.nodes.values()) if h.password}},
        )
        log_file.close()
        self.nodes_pidfile.write_text(str(proc.pid))
        deadline = time.monotonic() + START_TIMEOUT
        while not self.nodes_ready.exists():
            if proc.poll() is not None or time.monotonic() > deadline:
                tail = (self.state / "nodes.log").read_text(errors="replace")[-2000:]
                raise InfrastructureError("the simulated nodes did not start", step="sandbox", detail=tail)
            time.sleep(0.05)
        log(f"simulated Hyper-V nodes up: {', '.join(self.nodes)}")

    def _ensure_sshd(self, name: str, host: Host, log) -> None:  # type: ignore[no-untyped-def]
        workdir = self.ssh_dir(name)
        if _alive(_read_pid(workdir / "sshd.pid")):
            return
        user = host.user or "root"
        server = SshdServer(workdir, host.address, host.port or 22, user=user)
        server.start()  # sshd runs in its own session and outlives this process
        log(f"controller {name}: sshd on {host.address}:{server.port} as {server.user}")

    # ---------------------------------------------------------------- status
    def status(self) -> list[Component]:
        rows = []
        nodes_pid = _read_pid(self.nodes_pidfile)
        ready = json.loads(self.nodes_ready.read_text()) if self.nodes_ready.exists() else {}
        endpoints, current = ready.get("endpoints", {}), self._nodes_current()
        for name, host in self.nodes.items():
            rows.append(Component("node", name, endpoints.get(name, f"{host.address}:{host.port or 5986}"),
                                  current and name in endpoints, nodes_pid))
        for name, host in self.controllers.items():
            pid = _read_pid(self.ssh_dir(name) / "sshd.pid")
            rows.append(Component("controller", name, f"ssh://{host.address}:{host.port or 22}", _alive(pid), pid))
        return rows

    def is_up(self) -> bool:
        return all(c.running for c in self.status())

    # ------------------------------------------------------------------ down
    def down(self, log=print) -> None:  # type: ignore[no-untyped-def]
        from hvrt.sandbox import cloudapi
        from hvrt.sandbox.keystone import stop_state_dir

        for data in sorted(self.state.glob("controllers/*/stack/data")):
            stop_state_dir(data / "keystone")
            cloudapi.main(["down", "--state-dir", str(data / "cloudapi")])
        _stop_pidfile(self.nodes_pidfile, expect=b"hvrt.sandbox.lab")
        self.nodes_ready.unlink(missing_ok=True)
        for name in self.controllers:
            _stop_pidfile(self.ssh_dir(name) / "sshd.pid", expect=b"sshd")
        log("sandbox stopped")


def _keep_or_replace(path: Path, fresh: Path) -> None:
    """Put ``fresh`` at ``path`` unless ``path`` already holds the same bytes (an
    unchanged file keeps its inode and time; a changed one is swapped atomically)."""
    try:
        same = path.read_bytes() == fresh.read_bytes()
    except FileNotFoundError:
        same = False
    if same:
        fresh.unlink()
    else:
        os.replace(fresh, path)


def _stop_pidfile(path: Path, timeout: float = 10.0, expect: bytes = b"") -> None:
    """Stop the process a pid file names, if it still runs ``expect`` (a stale pid
    may belong to another process by now)."""
    pid = _read_pid(path)
    if not _alive(pid):
        return
    try:
        if expect and expect not in Path(f"/proc/{pid}/cmdline").read_bytes():
            return
    except OSError:
        return
    assert pid is not None
    try:
        os.killpg(pid, signal.SIGTERM)
    except (ProcessLookupError, PermissionError):
        try:
            os.kill(pid, signal.SIGTERM)
        except ProcessLookupError:
            return
    deadline = time.monotonic() + timeout
    while _alive(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    if _alive(pid):
        os.kill(pid, signal.SIGKILL)


FAULTS = {
    "fail-msi": lambda node, value: node.faults.fail_msi(int(value or 1603)),
    "clock-skew": lambda node, value: node.faults.clock_skew(float(value or 400)),
    "reboot": lambda node, value: node.faults.reboot(float(value or 2)),
    "drop": lambda node, value: node.faults.drop(int(value or 1)),
    "http-500": lambda node, value: node.faults.http_500(int(value or 1)),
    "clear": lambda node, value: node.faults.clear(),
}
"""Faults ``hvrt sandbox fault NODE KIND [VALUE]`` arms on a running simulated node."""


def request_fault(lab: SandboxLab, node: str, kind: str, value: str | None = None, timeout: float = 10.0) -> None:
    """Ask the nodes process to arm a fault; returns once it has been armed."""
    if node not in lab.nodes:
        raise InfrastructureError(f"no simulated node {node!r} (nodes: {', '.join(lab.nodes)})", step="sandbox")
    if kind not in FAULTS:
        raise InfrastructureError(f"unknown fault {kind!r} (known: {', '.join(FAULTS)})", step="sandbox")
    folder = lab.state / "faults"
    folder.mkdir(parents=True, exist_ok=True)
    request = folder / f"{node}.{time.monotonic_ns()}.json"
    tmp = request.with_suffix(".tmp")
    tmp.write_text(json.dumps({"node": node, "kind": kind, "value": value}))
    tmp.rename(request)
    deadline = time.monotonic() + timeout
    while request.exists():
        if time.monotonic() > deadline:
            request.unlink(missing_ok=True)
            raise InfrastructureError("the simulated nodes did not take the fault (are they up?)", step="sandbox")
        time.sleep(0.05)


def _arm_requested_faults(lab: SandboxLab, nodes: dict[str, object]) -> None:
    for request in sorted((lab.state / "faults").glob("*.json")):
        try:
            data = json.loads(request.read_text())
            FAULTS[data["kind"]](nodes[data["node"]], data.get("value"))
        except (OSError, ValueError, KeyError) as exc:
            print(f"fault request {request.name} ignored: {exc}", file=sys.stderr, flush=True)
        request.unlink(missing_ok=True)


def _os_release(host: Host) -> str:
    """The simulated node's OS: the host's ``os`` label, ``-wmf51`` when its ``winrm:
    powershell: 5.1`` says WMF 5.1 is installed (the node then answers PowerShell 5.1)."""
    release = host.os or "2012r2"
    declared = (host.options.get("winrm") or {}).get("powershell")
    return f"{release}-wmf51" if declared is not None and str(declared) == "5.1" else release


def serve_nodes(config: Config) -> int:
    """Run every winrm node of ``config`` as a simulated node until SIGTERM."""
    import threading

    from hvrt.sandbox.wsman.server import SimulatedNode

    lab = SandboxLab(config)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    started: list[SimulatedNode] = []
    try:
        for name, host in lab.nodes.items():
            options = host.options.get("winrm") or {}
            node = SimulatedNode(
                name, host.address, int(options.get("port") or host.port or 5986), lab.node_dir(name),
                https=options.get("scheme", "https") == "https",
                users={host.user or "Administrator": host.password.reveal() if host.password else ""},
                os_release=_os_release(host), cert_dir=lab.state / "tls",
            )
            started.append(node.start())
        lab.nodes_ready.write_text(json.dumps({"endpoints": {n.name: n.endpoint for n in started},
                                               "fingerprint": lab.fingerprint()}))
        by_name = {n.name: n for n in started}
        while not stop.wait(0.1):
            _arm_requested_faults(lab, by_name)
    finally:
        for node in started:
            node.stop()
    return 0


def main(argv: list[str] | None = None) -> int:
    import argparse

    from hvrt.config import load_config

    parser = argparse.ArgumentParser(prog="python -m hvrt.sandbox.lab")
    parser.add_argument("verb", choices=["serve-nodes"])
    parser.add_argument("--config", required=True)
    args = parser.parse_args(argv)
    return serve_nodes(load_config(args.config))


if __name__ == "__main__":
    sys.exit(main())
