"""A SIMULATED Compute/Network status API for the sandbox cloud.

Real Nova and Neutron cannot run here, yet the DevStack deployer's health check must
ask a cloud whether every Hyper-V node's ``nova-compute`` service and Neutron agent
are up. This small HTTP server answers the two calls the check makes, in the JSON
shapes of the real APIs:

* ``GET /v2.1/os-services`` (Compute): ``{"services": [{"binary", "host", "status",
  "state", "zone", "updated_at", ...}]}``
* ``GET /v2.0/agents`` (Network): ``{"agents": [{"binary", "agent_type", "host",
  "alive", "admin_state_up", ...}]}``

The answers come from the simulated Hyper-V nodes' state folders (see
:mod:`hvrt.sandbox.wsman.host`): each folder's ``services.json`` maps
``nova-compute``, ``neutron-hyperv-agent`` and ``neutron-ovs-agent`` to ``Running``
(up / alive) or anything else (down / dead), read on every request, so stopping a
service on a simulated node shows at once. The controller's own services are listed
as always up. With ``token_check`` the server wants an ``X-Auth-Token`` header and, when
``keystone_url`` is set, has Keystone validate it. Nothing else of Nova or Neutron is
simulated.

    python -m hvrt.sandbox.cloudapi up --state-dir D --node DIR [--node DIR ...]
    python -m hvrt.sandbox.cloudapi down --state-dir D

It needs only the standard library, so the DevStack stand-in runs it as a script
(``python3 .../cloudapi.py``) with whatever Python the controller has.
"""
from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import sys
import threading
import time
import urllib.error
import urllib.request
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

try:
    from hvrt.errors import InfrastructureError
except ImportError:  # run as a script (DevStack stand-in) by a Python without hvrt's dependencies
    InfrastructureError = RuntimeError  # type: ignore[misc,assignment]

STATE_FILE = "cloudapi.json"
AGENTS = {
    "neutron-hyperv-agent": ("HyperV agent", "neutron-hyperv-agent"),
    "neutron-ovs-agent": ("Open vSwitch agent", "neutron-openvswitch-agent"),
}
CONTROLLER_SERVICES = ("nova-scheduler", "nova-conductor")
CONTROLLER_AGENTS = (("DHCP agent", "neutron-dhcp-agent"), ("L3 agent", "neutron-l3-agent"),
                     ("Metadata agent", "neutron-metadata-agent"),
                     ("Open vSwitch agent", "neutron-openvswitch-agent"))


def _now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.000000")


class CloudStatus:
    """Reads the simulated nodes' state folders and shapes the API answers."""

    def __init__(self, node_dirs: list[Path], controller_host: str = "controller") -> None:
        self.node_dirs = [Path(d) for d in node_dirs]
        self.controller_host = controller_host

    def nodes(self) -> list[tuple[str, dict[str, str]]]:
        found = []
        for folder in self.node_dirs:
            try:
                services = json.loads((folder / "services.json").read_text())
            except (OSError, ValueError):
                services = {}
            name = folder.name
            try:
                name = json.loads((folder / "state.json").read_text()).get("computer_name") or name
            except (OSError, ValueError):
                pass
            found.append((name, services))
        return found

    def os_services(self) -> dict[str, Any]:
        services: list[dict[str, Any]] = []
        for binary in CONTROLLER_SERVICES:
            services.append(self._service(len(services) + 1, binary, self.controller_host, "internal", True))
        for host, state in self.nodes():
            if "nova-compute" in state:
                services.append(self._service(len(services) + 1, "nova-compute", host, "nova",
                                              state["nova-compute"] == "Running",
                                              disabled=state["nova-compute"] == "Disabled"))
        return {"services": services}

    @staticmethod
    def _service(ident: int, binary: str, host: str, zone: str, up: bool, disabled: bool = False) -> dict[str, Any]:
        return {"id": ident, "binary": binary, "host": host, "zone": zone,
                "status": "disabled" if disabled else "enabled", "state": "up" if up else "down",
                "updated_at": _now(), "disabled_reason": "disabled on the node" if disabled else None,
                "forced_down": False}

    def agents(self) -> dict[str, Any]:
        agents: list[dict[str, Any]] = []
        for agent_type, binary in CONTROLLER_AGENTS:
            agents.append(self._agent(len(agents) + 1, agent_type, binary, self.controller_host, True))
        for host, state in self.nodes():
            for service, (agent_type, binary) in AGENTS.items():
                if service in state:
                    agents.append(self._agent(len(agents) + 1, agent_type, binary, host,
                                              state[service] == "Running"))
        return {"agents": agents}

    @staticmethod
    def _agent(ident: int, agent_type: str, binary: str, host: str, alive: bool) -> dict[str, Any]:
        return {"id": f"00000000-0000-4000-8000-{ident:012d}", "agent_type": agent_type, "binary": binary,
                "host": host, "alive": alive, "admin_state_up": True, "topic": "N/A",
                "heartbeat_timestamp": _now().replace("T", " "), "availability_zone": None,
                "configurations": {}}


class _Handler(BaseHTTPRequestHandler):
    server: CloudApiHTTPServer
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        if self.server.log_path is not None:
            with open(self.server.log_path, "a", encoding="utf-8") as fh:
                fh.write(f"{self.address_string()} {format % args}\n")

    def do_GET(self) -> None:  # noqa: N802 - stdlib name
        path = self.path.split("?", 1)[0].rstrip("/")
        routes = {"/v2.1/os-services": self.server.status.os_services,
                  "/v2.0/agents": self.server.status.agents}
        if path not in routes:
            self._send(404, {"itemNotFound": {"code": 404, "message": f"no route {path}"}})
            return
        if not self.server.token_ok(self.headers.get("X-Auth-Token")):
            self._send(401, {"error": {"code": 401, "title": "Unauthorized",
                                       "message": "The request you have made requires authentication."}})
            return
        self._send(200, routes[path]())

    def _send(self, code: int, body: dict[str, Any]) -> None:
        data = json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


class CloudApiHTTPServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], status: CloudStatus, *, token_check: bool = False,
                 keystone_url: str | None = None, log_path: Path | None = None) -> None:
        if not address[0].startswith("127."):
            raise InfrastructureError(f"the simulated cloud API listens on loopback only, not {address[0]!r}")
        super().__init__(address, _Handler)
        self.status = status
        self.token_check = token_check
        self.keystone_url = keystone_url
        self.log_path = log_path
        self._valid: dict[str, float] = {}

    def server_bind(self) -> None:
        self.socket.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        super().server_bind()

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host}:{port}"

    def token_ok(self, token: str | None) -> bool:
        if not self.token_check:
            return True
        if not token:
            return False
        if self.keystone_url is None or self._valid.get(token, 0) > time.monotonic():
            return True
        request = urllib.request.Request(
            f"{self.keystone_url.rstrip('/')}/v3/auth/tokens",
            headers={"X-Auth-Token": token, "X-Subject-Token": token},
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                ok = response.status == 200
        except (urllib.error.URLError, OSError):
            ok = False
        if ok:
            self._valid[token] = time.monotonic() + 60
        return ok

    def start_background(self) -> threading.Thread:
        thread = threading.Thread(target=self.serve_forever, name="hvrt-cloudapi", daemon=True)
        thread.start()
        return thread


def _up(args: argparse.Namespace) -> int:
    state_dir = Path(args.state_dir)
    state_dir.mkdir(parents=True, exist_ok=True)
    status = CloudStatus([Path(n) for n in args.node], controller_host=args.controller_host)
    server = CloudApiHTTPServer((args.address, args.port), status, token_check=args.token_check,
                                keystone_url=args.keystone_url, log_path=state_dir / "cloudapi.log")
    info = {"url": server.url, "compute_url": f"{server.url}/v2.1", "network_url": server.url,
            "pid": os.getpid()}
    (state_dir / STATE_FILE).write_text(json.dumps(info))
    print(json.dumps(info), flush=True)
    signal.signal(signal.SIGTERM, lambda *_: threading.Thread(target=server.shutdown).start())
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
        (state_dir / STATE_FILE).unlink(missing_ok=True)
    return 0


def _down(args: argparse.Namespace) -> int:
    state_file = Path(args.state_dir) / STATE_FILE
    try:
        pid = int(json.loads(state_file.read_text())["pid"])
    except (OSError, ValueError, KeyError):
        return 0
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        cmdline = b""
    if b"cloudapi" not in cmdline:  # gone, and the pid may belong to someone else now
        state_file.unlink(missing_ok=True)
        return 0
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        state_file.unlink(missing_ok=True)
        return 0
    deadline = time.monotonic() + 10
    while state_file.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m hvrt.sandbox.cloudapi",
                                     description="Simulated Compute/Network status API of the sandbox.")
    sub = parser.add_subparsers(dest="command", required=True)
    up = sub.add_parser("up", help="serve in the foreground (put it in the background yourself)")
    up.add_argument("--state-dir", required=True)
    up.add_argument("--node", action="append", default=[], help="a simulated node's state folder")
    up.add_argument("--address", default="127.0.0.1")
    up.add_argument("--port", type=int, default=0)
    up.add_argument("--controller-host", default="controller")
    up.add_argument("--token-check", action="store_true")
    up.add_argument("--keystone-url")
    down = sub.add_parser("down", help="stop the server of a state folder")
    down.add_argument("--state-dir", required=True)
    args = parser.parse_args(argv)
    return _up(args) if args.command == "up" else _down(args)


if __name__ == "__main__":
    sys.exit(main())
