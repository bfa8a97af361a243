"""The health check through openstacksdk: a real Keystone (its catalog lists the sandbox's
simulated Compute/Network API), one token per check, bounded calls, agents named when down."""
from __future__ import annotations

import http.client
import json
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from hvrt_devstack import health

from hvrt.config.model import Secret
from hvrt.errors import InfrastructureError
from hvrt.sandbox import catalog, venvs
from hvrt.sandbox.cloudapi import CloudApiHTTPServer, CloudStatus
from hvrt.sandbox.wsman.host import HostModel

PASSWORD = "Health-Pw-" + uuid.uuid4().hex[:10]
needs_keystone = [pytest.mark.keystone, pytest.mark.slow,
                  pytest.mark.skipif(not venvs.is_ready("keystone"), reason="Keystone venv not built")]


class _Forward(BaseHTTPRequestHandler):
    server: KeystoneTap
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - stdlib signature
        pass

    def forward(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else None
        self.server.seen.append((self.command, self.path.split("?", 1)[0].rstrip("/")))
        upstream = http.client.HTTPConnection(*self.server.target, timeout=30)
        try:  # the Host header goes as sent, so Keystone's links name this tap
            upstream.request(self.command, self.path, body=body,
                             headers={k: v for k, v in self.headers.items() if k.lower() != "connection"})
            answer = upstream.getresponse()
            data = answer.read()
        finally:
            upstream.close()
        self.send_response(answer.status)
        for name, value in answer.getheaders():
            if name.lower() not in ("connection", "content-length", "transfer-encoding", "server", "date"):
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = do_HEAD = do_DELETE = do_PATCH = do_PUT = forward


class KeystoneTap(ThreadingHTTPServer):
    """Passes every request on to the real Keystone and records it: each ``POST
    /v3/auth/tokens`` is one authentication."""

    daemon_threads = True

    def __init__(self, keystone_url: str) -> None:
        super().__init__(("127.0.0.1", 0), _Forward)
        target = keystone_url.split("//", 1)[1].split("/", 1)[0].split(":")
        self.target = (target[0], int(target[1]))
        self.seen: list[tuple[str, str]] = []

    @property
    def auth_url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/v3"

    def authentications(self) -> int:
        return self.seen.count(("POST", "/v3/auth/tokens"))


@pytest.fixture(scope="module")
def keystone(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    from hvrt.sandbox.keystone import KeystoneServer

    with KeystoneServer(tmp_path_factory.mktemp("keystone"), admin_password=PASSWORD) as server:
        yield server


class Cloud:
    """Simulated nodes and controller behind the status API, listed in Keystone's catalog."""

    def __init__(self, root: Path, keystone_url: str | None) -> None:
        self.root = root
        self.controller = root / "ctl"
        self.controller.mkdir()
        self.nodes: dict[str, HostModel] = {}
        self.status = CloudStatus([], "ctl", self.controller)
        self.log = root / "api.log"
        self.api = CloudApiHTTPServer(("127.0.0.1", 0), self.status, token_check=keystone_url is not None,
                                      keystone_url=keystone_url, log_path=self.log)
        self.api.start_background()

    def node(self, name: str, **services: str) -> HostModel:
        model = HostModel(self.root / name, name)
        for service, state in services.items():
            model.set_service(service.replace("_", "-"), state)
        self.nodes[name] = model
        self.status.node_dirs.append(model.root)
        return model

    def controller_services(self, **states: str) -> None:
        (self.controller / "services.json").write_text(json.dumps({k.replace("_", "-"): v for k, v in states.items()}))

    def polls(self) -> int:
        return self.log.read_text().count("/os-services ") if self.log.exists() else 0

    def close(self) -> None:
        self.api.shutdown()
        self.api.server_close()


@pytest.fixture
def cloud(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Cloud]:
    """The status API in the real Keystone's catalog (no Keystone: called without auth)."""
    keystone = request.getfixturevalue("keystone") if request.node.get_closest_marker("keystone") else None
    found = Cloud(tmp_path, keystone.auth_url if keystone is not None else None)
    if keystone is not None:
        catalog.register(keystone.auth_url, PASSWORD,
                         {"compute": found.api.compute_url, "network": found.api.network_url})
    yield found
    found.close()


@pytest.fixture
def tap(keystone) -> Iterator[KeystoneTap]:
    server = KeystoneTap(keystone.auth_url)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server
    server.shutdown()
    server.server_close()


def access(tap: KeystoneTap, password: str = PASSWORD, **extra: object) -> health.CloudAccess:
    return health.CloudAccess(auth_url=tap.auth_url, username="admin", password=Secret(password, "test"),
                              project="admin", **extra)


UP = {"nova_compute": "Running", "neutron_hyperv_agent": "Running"}


def keystone_test(fn):
    """A test against the real Keystone (the ``cloud`` fixture then lists the API in its catalog)."""
    for mark in needs_keystone:
        fn = mark(fn)
    return fn


@keystone_test
def test_one_authentication_serves_every_poll_and_the_catalog_names_the_apis(cloud: Cloud, tap: KeystoneTap) -> None:
    cloud.node("HV-A", **UP)
    late = cloud.node("HV-B", nova_compute="Running", neutron_hyperv_agent="Stopped")
    timer = threading.Timer(1.5, lambda: late.set_service("neutron-hyperv-agent", "Running"))
    timer.start()
    try:
        record = health.wait_healthy(access(tap), ["HV-A", "hv-b"], uses_ovs=False, timeout=30, interval=0.3)
    finally:
        timer.cancel()
    assert cloud.polls() >= 3, "the check polled several times"
    assert tap.authentications() == 1, tap.seen
    assert record["compute_url"].rstrip("/") == cloud.api.compute_url  # found in the catalog, no override
    assert record["network_url"].startswith(cloud.api.network_url)
    assert record["controller_hosts"] == ["ctl"]
    assert {h["hypervisor_hostname"] for h in record["hypervisors"]} == {"HV-A", "HV-B"}
    assert json.dumps(record)  # saved as health.json
    assert "compute 2.69" in cloud.log.read_text(), "the SDK negotiated Nova's microversion"


@keystone_test
def test_a_dead_node_agent_is_named(cloud: Cloud, tap: KeystoneTap) -> None:
    cloud.node("HV-A", **UP)
    cloud.node("HV-B", nova_compute="Running", neutron_hyperv_agent="Stopped")
    with pytest.raises(InfrastructureError) as info:
        health.wait_healthy(access(tap), ["HV-A", "HV-B"], uses_ovs=False, timeout=1.5, interval=0.3)
    message = str(info.value)
    assert "HV-B: neutron-hyperv-agent is not alive (last heartbeat 20" in message
    assert "HV-A" not in message
    assert tap.authentications() == 1


@keystone_test
def test_a_dead_controller_agent_is_named_with_the_agent_list(cloud: Cloud, tap: KeystoneTap) -> None:
    cloud.node("HV-OVS", nova_compute="Running", neutron_ovs_agent="Running")
    cloud.controller_services(neutron_dhcp_agent="Stopped")
    with pytest.raises(InfrastructureError) as info:
        health.wait_healthy(access(tap), ["HV-OVS"], uses_ovs=True, timeout=1, interval=0.3)
    message = str(info.value)
    assert "controller ctl: neutron-dhcp-agent (DHCP agent) is not alive (last heartbeat 20" in message
    assert ("agents: neutron-dhcp-agent not alive, neutron-l3-agent up, neutron-openvswitch-agent up"
            in message)
    assert "HV-OVS" not in message


@keystone_test
def test_a_required_controller_agent_that_never_registered(cloud: Cloud, tap: KeystoneTap) -> None:
    cloud.node("HV-A", **UP)
    wanted = access(tap, controller_host="ctl", controller_agents=("neutron-dhcp-agent", "neutron-metering-agent"))
    with pytest.raises(InfrastructureError, match="controller ctl: no neutron-metering-agent registered"):
        health.wait_healthy(wanted, ["HV-A"], uses_ovs=False, timeout=1, interval=0.3)


@keystone_test
def test_refused_credentials_name_keystone_not_the_password(cloud: Cloud, tap: KeystoneTap) -> None:
    cloud.node("HV-A", **UP)
    wrong = "Not-" + PASSWORD
    with pytest.raises(InfrastructureError, match=r"Keystone at http://127\.0\.0\.1:\d+/v3 refused the "
                                                  r"credentials \(HTTP 401\)") as info:
        health.wait_healthy(access(tap, wrong), ["HV-A"], uses_ovs=False, timeout=1, interval=0.3)
    assert wrong not in str(info.value) and cloud.polls() == 0


def test_without_keystone_the_apis_are_called_at_the_given_urls(cloud: Cloud) -> None:
    cloud.node("HV-A", **UP)
    record = health.wait_healthy(
        health.CloudAccess(auth_url=None, compute_url=cloud.api.compute_url, network_url=cloud.api.network_url),
        ["HV-A"], uses_ovs=False, timeout=10, interval=0.3)
    assert record["services"] and record["agents"]
    stopped = cloud.node("HV-B", nova_compute="Disabled", neutron_hyperv_agent="Running")
    assert stopped.services()["nova-compute"] == "Disabled"
    with pytest.raises(InfrastructureError, match=r"HV-B: nova-compute is disabled/down \(disabled on the node\), "
                                                  "hypervisor is disabled/down"):
        health.wait_healthy(health.CloudAccess(auth_url=None, compute_url=cloud.api.compute_url,
                                               network_url=cloud.api.network_url),
                            ["HV-B"], uses_ovs=False, timeout=1, interval=0.3)


def test_a_silent_api_costs_one_bounded_call_timeout(cloud: Cloud) -> None:
    """A Compute API that accepts connections and never answers: each call ends at its timeout,
    its retries are bounded, and the check ends soon after its own time."""
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(16)
    port = silent.getsockname()[1]
    accepted: list[socket.socket] = []

    def accept() -> None:
        while True:
            try:
                accepted.append(silent.accept()[0])
            except OSError:
                return

    threading.Thread(target=accept, daemon=True).start()
    try:
        started = time.monotonic()
        with pytest.raises(InfrastructureError) as info:
            health.wait_healthy(
                health.CloudAccess(auth_url=None, compute_url=f"http://127.0.0.1:{port}/v2.1",
                                   network_url=cloud.api.network_url),
                ["HV-A"], uses_ovs=False, timeout=1, interval=0.3, call_timeout=0.5)
        elapsed = time.monotonic() - started
    finally:
        silent.close()
        for conn in accepted:
            conn.close()
    assert f"127.0.0.1:{port}" in str(info.value), info.value  # discovery or the call gave up on it
    assert 1 <= len(accepted) <= 2 * (health.RETRIES + 1), len(accepted)
    # one poll fits in the second: its calls of 0.5 s, their bounded retries and back-off
    assert elapsed < 2 * (health.RETRIES + 1) * 0.5 + (0.5 + 1.0) + 2, elapsed
