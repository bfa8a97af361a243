"""A SIMULATED Compute/Network status API for the sandbox cloud.

Real Nova and Neutron cannot run here, yet the DevStack deployer's health check must
ask a cloud, through openstacksdk, whether every Hyper-V node's ``nova-compute``
service, hypervisor and Neutron agent are up. This small HTTP server answers what the
SDK sends for that, with the JSON shapes and headers of the real APIs:

* Compute under ``/compute`` (Keystone catalog URL ``BASE/compute/v2.1``): the version
  documents (``GET /compute/``, ``GET /compute/v2.1/``, min 2.1, max
  :data:`MAX_MICROVERSION`), and with microversions (``OpenStack-API-Version:
  compute X.Y`` or ``X-OpenStack-Nova-API-Version``; answered in both headers, ids
  become UUIDs from 2.53) ``GET /os-services`` (filters ``binary``, ``host``),
  ``GET /os-hypervisors`` and ``GET /os-hypervisors/detail``.
* Network under ``/networking`` (catalog URL ``BASE/networking``): ``GET /`` (versions),
  ``GET /v2.0/`` (resources) and ``GET /v2.0/agents`` (filters on the agent fields).

The answers come from the simulated Hyper-V nodes' state folders (see
:mod:`hvrt.sandbox.wsman.host`): each folder's ``services.json`` maps
``nova-compute``, ``neutron-hyperv-agent`` and ``neutron-ovs-agent`` to ``Running``
(up / alive), ``Disabled`` (nova-compute disabled) or anything else (down / dead),
read on every request, so stopping a service on a simulated node shows at once. The
controller's own services and agents are up unless ``controller_dir``'s
``services.json`` maps their binary (``neutron-dhcp-agent``...) to something else.
With ``token_check`` the API calls (not the version documents) want an
``X-Auth-Token`` and, when ``keystone_url`` is set, have Keystone validate it. Nothing
else of Nova or Neutron is simulated; :mod:`hvrt.sandbox.catalog` registers the two
endpoints in Keystone's catalog.

    python -m hvrt.sandbox.cloudapi up --state-dir D --node DIR [--node DIR ...]
    python -m hvrt.sandbox.cloudapi down --state-dir D

It needs only the standard library, so the DevStack stand-in runs it as a script
(``python3 .../cloudapi.py``) with whatever Python the controller has.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import signal
import socket
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

try:
    from hvrt.errors import InfrastructureError
except ImportError:  # run as a script (DevStack stand-in) by a Python without hvrt's dependencies
    InfrastructureError = RuntimeError  # type: ignore[misc,assignment]

STATE_FILE = "cloudapi.json"
COMPUTE, NETWORK = "/compute", "/networking"
MIN_MICROVERSION, MAX_MICROVERSION = (2, 1), (2, 96)
AGENTS = {
    "neutron-hyperv-agent": ("HyperV agent", "neutron-hyperv-agent"),
    "neutron-ovs-agent": ("Open vSwitch agent", "neutron-openvswitch-agent"),
}
CONTROLLER_SERVICES = ("nova-scheduler", "nova-conductor")
CONTROLLER_AGENTS = (("DHCP agent", "neutron-dhcp-agent"), ("L3 agent", "neutron-l3-agent"),
                     ("Metadata agent", "neutron-metadata-agent"),
                     ("Open vSwitch agent", "neutron-openvswitch-agent"))
DOWN_FOR = timedelta(minutes=5)
"""How old the last report of a stopped service or dead agent is."""
_UUIDS = uuid.UUID("9b1e7d3c-4f7a-4a8e-9a49-6b1f0c5d2e11")


def _stamp(up: bool, sep: str = "T") -> str:
    at = datetime.now(timezone.utc) - (timedelta(0) if up else DOWN_FOR)
    return at.strftime(f"%Y-%m-%d{sep}%H:%M:%S.000000")


def _uuid(*parts: str) -> str:
    return str(uuid.uuid5(_UUIDS, "/".join(parts)))


def _read_json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


class CloudStatus:
    """Reads the simulated nodes' state folders and shapes the API answers."""

    def __init__(self, node_dirs: list[Path], controller_host: str = "controller",
                 controller_dir: Path | None = None) -> None:
        self.node_dirs = [Path(d) for d in node_dirs]
        self.controller_host = controller_host
        self.controller_dir = Path(controller_dir) if controller_dir is not None else None

    def nodes(self) -> list[tuple[str, dict[str, str], dict[str, Any]]]:
        """(computer name, services.json, state.json) of each node."""
        found = []
        for folder in self.node_dirs:
            state = _read_json(folder / "state.json")
            found.append((str(state.get("computer_name") or folder.name), _read_json(folder / "services.json"), state))
        return found

    def _controller_up(self, binary: str) -> bool:
        if self.controller_dir is None:
            return True
        return _read_json(self.controller_dir / "services.json").get(binary, "Running") == "Running"

    # ------------------------------------------------------------- compute
    def os_services(self, version: tuple[int, int], query: dict[str, str]) -> dict[str, Any]:
        rows = [(b, self.controller_host, "internal", "Running" if self._controller_up(b) else "Stopped")
                for b in CONTROLLER_SERVICES]
        rows += [("nova-compute", host, "nova", services["nova-compute"])
                 for host, services, _ in self.nodes() if "nova-compute" in services]
        listed = []
        for index, (binary, host, zone, state) in enumerate(rows, 1):
            service = {"id": _uuid("service", host, binary) if version >= (2, 53) else index, "binary": binary,
                       "host": host, "zone": zone, "status": "disabled" if state == "Disabled" else "enabled",
                       "state": "up" if state == "Running" else "down", "updated_at": _stamp(state == "Running"),
                       "disabled_reason": "disabled on the node" if state == "Disabled" else None}
            if version >= (2, 11):
                service["forced_down"] = False
            if all(str(service.get(k)) == v for k, v in query.items() if k in ("binary", "host")):
                listed.append(service)
        return {"services": listed}

    def os_hypervisors(self, version: tuple[int, int], query: dict[str, str], detail: bool) -> dict[str, Any]:
        listed = []
        pattern = query.get("hypervisor_hostname_pattern", "").lower() if version >= (2, 53) else ""
        computes = [(h, s, st) for h, s, st in self.nodes() if "nova-compute" in s]
        for index, (host, services, state) in enumerate(computes, 1):
            if pattern not in host.lower():
                continue
            status = services["nova-compute"]
            big = version >= (2, 53)
            row: dict[str, Any] = {"id": _uuid("hypervisor", host) if big else index, "hypervisor_hostname": host,
                                   "state": "up" if status == "Running" else "down",
                                   "status": "disabled" if status == "Disabled" else "enabled"}
            if detail:
                major, minor = (str((state.get("os") or {}).get("version") or "6.3").split(".") + ["0"])[:2]
                row.update(hypervisor_type="hyperv", hypervisor_version=int(major) * 1000 + int(minor),
                           host_ip=str(state.get("address") or "127.0.0.1"),
                           service={"host": host, "id": _uuid("service", host, "nova-compute") if big else index,
                                    "disabled_reason": None})
                if version >= (2, 88):
                    row["uptime"] = None
                else:
                    row.update(vcpus=8, memory_mb=32768, local_gb=500, vcpus_used=0, memory_mb_used=512,
                               local_gb_used=0, free_ram_mb=32256, free_disk_gb=500, current_workload=0,
                               running_vms=0, disk_available_least=480,
                               cpu_info={} if version >= (2, 28) else "{}")
            listed.append(row)
        return {"hypervisors": listed}

    # ------------------------------------------------------------- network
    def agents(self, query: dict[str, str] | None = None) -> dict[str, Any]:
        rows = [(t, b, self.controller_host, self._controller_up(b)) for t, b in CONTROLLER_AGENTS]
        for host, services, _ in self.nodes():
            rows += [(t, b, host, services[name] == "Running") for name, (t, b) in AGENTS.items() if name in services]
        listed = []
        for agent_type, binary, host, alive in rows:
            agent = {"id": _uuid("agent", host, binary), "agent_type": agent_type, "binary": binary, "host": host,
                     "alive": alive, "admin_state_up": True, "topic": "N/A", "availability_zone": None,
                     "heartbeat_timestamp": _stamp(alive, " "), "started_at": _stamp(False, " "),
                     "created_at": _stamp(False, " "), "description": None, "resources_synced": None,
                     "configurations": {}}
            if all(_matches(agent[k], v) for k, v in (query or {}).items() if k in agent):
                listed.append(agent)
        return {"agents": listed}


def _version_doc(href: str, ident: str, status: str, **extra: str) -> dict[str, Any]:
    return {"id": ident, "status": status, "links": [{"rel": "self", "href": href}], **extra}


def _compute_version(base: str, ident: str) -> dict[str, Any]:
    """Nova's document of one major version (v2.0 is the legacy API, without microversions)."""
    if ident == "v2.0":
        return _version_doc(f"{base}/v2/", ident, "SUPPORTED", version="", min_version="",
                            updated="2011-01-21T11:33:21Z")
    return _version_doc(f"{base}/v2.1/", ident, "CURRENT", version=_text(MAX_MICROVERSION),
                        min_version=_text(MIN_MICROVERSION), updated="2013-07-23T11:33:21Z")


def _matches(value: Any, wanted: str) -> bool:
    """A Neutron list filter: booleans in any case, everything else as text."""
    if isinstance(value, bool):
        return str(value).lower() == wanted.lower()
    return str(value) == wanted


def _text(version: tuple[int, int]) -> str:
    return f"{version[0]}.{version[1]}"


class MicroversionRefused(Exception):
    """Nova refuses the requested microversion: ``code`` 400 (malformed) or 406 (out of range)."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code


def parse_microversion(headers: Any) -> tuple[int, int]:
    """The compute microversion a request asks for (2.1 when it names none)."""
    wanted = None
    for item in (headers.get("OpenStack-API-Version") or "").split(","):
        service, _, value = item.strip().partition(" ")
        if service.lower() == "compute":
            wanted = value.strip()
    wanted = wanted or (headers.get("X-OpenStack-Nova-API-Version") or "").strip() or "2.1"
    if wanted.lower() == "latest":
        return MAX_MICROVERSION
    match = re.fullmatch(r"(\d+)\.(\d+)", wanted)
    if not match:
        raise MicroversionRefused(400, f"API Version String {wanted} is of invalid format. Must be of format "
                                       "MajorNum.MinorNum.")
    version = (int(match.group(1)), int(match.group(2)))
    if not MIN_MICROVERSION <= version <= MAX_MICROVERSION:
        raise MicroversionRefused(406, f"Version {wanted} is not supported by the API. Minimum is "
                                       f"{_text(MIN_MICROVERSION)} and maximum is {_text(MAX_MICROVERSION)}.")
    return version


class _Handler(BaseHTTPRequestHandler):
    server: CloudApiHTTPServer
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        if self.server.log_path is not None:
            with open(self.server.log_path, "a", encoding="utf-8") as fh:
                fh.write(f"{self.address_string()} {format % args} {self.headers.get('OpenStack-API-Version', '')}\n")

    def do_GET(self) -> None:  # noqa: N802 - stdlib name
        split = urllib.parse.urlsplit(self.path)
        path = split.path.rstrip("/")
        query = {k: v[-1] for k, v in urllib.parse.parse_qs(split.query).items()}
        base = f"http://{self.headers.get('Host') or self.server.url.removeprefix('http://')}"
        if path == COMPUTE or path.startswith(COMPUTE + "/"):
            self._compute(path.removeprefix(COMPUTE), query, base + COMPUTE)
        elif path == NETWORK or path.startswith(NETWORK + "/"):
            self._network(path.removeprefix(NETWORK), query, base + NETWORK)
        else:
            self._send(404, {"error": {"code": 404, "message": f"no service at {path}"}})

    def _compute(self, path: str, query: dict[str, str], base: str) -> None:
        if path == "":
            self._send(200, {"versions": [_compute_version(base, "v2.0"), _compute_version(base, "v2.1")]})
            return
        if path == "/v2.1":
            doc = _compute_version(base, "v2.1")
            doc["media-types"] = [{"base": "application/json",
                                   "type": "application/vnd.openstack.compute+json;version=2.1"}]
            self._send(200, {"version": doc})
            return
        routes = {"/v2.1/os-services": lambda v: self.server.status.os_services(v, query),
                  "/v2.1/os-hypervisors": lambda v: self.server.status.os_hypervisors(v, query, False),
                  "/v2.1/os-hypervisors/detail": lambda v: self.server.status.os_hypervisors(v, query, True)}
        if self._refused():  # keystonemiddleware answers before Nova reads the version
            return
        try:
            version = parse_microversion(self.headers)
        except MicroversionRefused as exc:
            name = "badRequest" if exc.code == 400 else "computeFault"
            self._send(exc.code, {name: {"code": exc.code, "message": str(exc)}})
            return
        headers = {"OpenStack-API-Version": f"compute {_text(version)}",
                   "X-OpenStack-Nova-API-Version": _text(version),
                   "Vary": "OpenStack-API-Version, X-OpenStack-Nova-API-Version"}
        if path not in routes:
            self._send(404, {"itemNotFound": {"code": 404, "message": "The resource could not be found."}}, headers)
            return
        self._send(200, routes[path](version), headers)

    def _network(self, path: str, query: dict[str, str], base: str) -> None:
        if path == "":
            self._send(200, {"versions": [_version_doc(f"{base}/v2.0/", "v2.0", "CURRENT")]})
            return
        if self._refused():
            return
        if path == "/v2.0":
            self._send(200, {"resources": [{"name": "agent", "collection": "agents",
                                            "links": [{"rel": "self", "href": f"{base}/v2.0/agents"}]}]})
        elif path == "/v2.0/agents":
            self._send(200, self.server.status.agents(query))
        else:
            self._send(404, {"NeutronError": {"type": "HTTPNotFound", "detail": "",
                                              "message": "The resource could not be found."}})

    def _refused(self) -> bool:
        """Answer 401 (as keystonemiddleware does) when the token is missing or invalid."""
        if self.server.token_ok(self.headers.get("X-Auth-Token")):
            return False
        self._send(401, {"error": {"code": 401, "title": "Unauthorized",
                                   "message": "The request you have made requires authentication."}},
                   {"WWW-Authenticate": f"Keystone uri=\"{self.server.keystone_url or ''}\""})
        return True

    def _send(self, code: int, body: dict[str, Any], headers: dict[str, str] | None = None) -> None:
        data = json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
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

    @property
    def compute_url(self) -> str:
        """The Compute endpoint as Keystone's catalog lists it."""
        return f"{self.url}{COMPUTE}/v2.1"

    @property
    def network_url(self) -> str:
        """The Network endpoint as Keystone's catalog lists it."""
        return f"{self.url}{NETWORK}"

    def token_ok(self, token: str | None) -> bool:
        if not self.token_check:
            return True
        if not token:
            return False
        if self.keystone_url is None or self._valid.get(token, 0) > time.monotonic():
            return True
        request = urllib.request.Request(
            f"{self.keystone_url.rstrip('/').removesuffix('/v3')}/v3/auth/tokens",
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
    status = CloudStatus([Path(n) for n in args.node], controller_host=args.controller_host,
                         controller_dir=Path(args.controller_dir) if args.controller_dir else None)
    server = CloudApiHTTPServer((args.address, args.port), status, token_check=args.token_check,
                                keystone_url=args.keystone_url, log_path=state_dir / "cloudapi.log")
    info = {"url": server.url, "compute_url": server.compute_url, "network_url": server.network_url,
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
    up.add_argument("--controller-dir", help="folder whose services.json holds the controller's service states")
    up.add_argument("--token-check", action="store_true")
    up.add_argument("--keystone-url")
    down = sub.add_parser("down", help="stop the server of a state folder")
    down.add_argument("--state-dir", required=True)
    args = parser.parse_args(argv)
    return _up(args) if args.command == "up" else _down(args)


if __name__ == "__main__":
    sys.exit(main())
