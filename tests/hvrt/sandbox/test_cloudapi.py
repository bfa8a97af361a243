"""The simulated Compute/Network status API, over real HTTP on loopback."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from hvrt.errors import InfrastructureError
from hvrt.sandbox.cloudapi import CloudApiHTTPServer, CloudStatus
from hvrt.sandbox.wsman.host import HostModel


@pytest.fixture
def nodes(tmp_path: Path) -> list[Path]:
    first = HostModel(tmp_path / "n1", "HV-ONE")
    first.set_service("nova-compute", "Running")
    first.set_service("neutron-hyperv-agent", "Running")
    second = HostModel(tmp_path / "n2", "HV-TWO")
    second.set_service("nova-compute", "Stopped")
    second.set_service("neutron-ovs-agent", "Running")
    return [first.root, second.root]


@pytest.fixture
def api(nodes: list[Path]):
    server = CloudApiHTTPServer(("127.0.0.1", 0), CloudStatus(nodes, "ctl"), token_check=True)
    server.start_background()
    yield server
    server.shutdown()
    server.server_close()


def test_os_services_in_the_compute_api_shape(api: CloudApiHTTPServer) -> None:
    body = requests.get(f"{api.url}/v2.1/os-services", headers={"X-Auth-Token": "t"}, timeout=5).json()
    computes = {s["host"]: s for s in body["services"] if s["binary"] == "nova-compute"}
    assert computes["HV-ONE"]["state"] == "up" and computes["HV-ONE"]["status"] == "enabled"
    assert computes["HV-TWO"]["state"] == "down"
    assert {"id", "zone", "updated_at", "forced_down"} <= set(computes["HV-ONE"])
    assert any(s["binary"] == "nova-scheduler" and s["host"] == "ctl" for s in body["services"])


def test_agents_in_the_network_api_shape_follow_node_state(api: CloudApiHTTPServer, nodes: list[Path]) -> None:
    def agents() -> dict[tuple[str, str], dict]:
        body = requests.get(f"{api.url}/v2.0/agents", headers={"X-Auth-Token": "t"}, timeout=5).json()
        return {(a["host"], a["binary"]): a for a in body["agents"]}

    found = agents()
    assert found[("HV-ONE", "neutron-hyperv-agent")]["agent_type"] == "HyperV agent"
    assert found[("HV-TWO", "neutron-openvswitch-agent")]["alive"] is True
    HostModel(nodes[1], "HV-TWO").set_service("neutron-ovs-agent", "Stopped")
    assert agents()[("HV-TWO", "neutron-openvswitch-agent")]["alive"] is False


def test_token_is_required_when_checking(api: CloudApiHTTPServer) -> None:
    assert requests.get(f"{api.url}/v2.0/agents", timeout=5).status_code == 401
    assert requests.get(f"{api.url}/v2.1/servers", headers={"X-Auth-Token": "t"}, timeout=5).status_code == 404


def test_only_loopback(nodes: list[Path]) -> None:
    with pytest.raises(InfrastructureError, match="loopback"):
        CloudApiHTTPServer(("192.0.2.3", 0), CloudStatus(nodes))


def test_up_and_down_as_a_plain_script(tmp_path: Path, nodes: list[Path]) -> None:
    """The DevStack stand-in runs the module as a script with the system Python."""
    script = Path(__file__).resolve().parents[3] / "hvrt" / "sandbox" / "cloudapi.py"
    state = tmp_path / "state"
    proc = subprocess.Popen([sys.executable, "-S", str(script), "up", "--state-dir", str(state),
                             "--node", str(nodes[0])], stdout=subprocess.PIPE, text=True)
    try:
        info = json.loads(proc.stdout.readline())
        body = requests.get(f"{info['compute_url']}/os-services", timeout=5).json()
        assert [s["host"] for s in body["services"] if s["binary"] == "nova-compute"] == ["HV-ONE"]
        subprocess.run([sys.executable, "-S", str(script), "down", "--state-dir", str(state)], check=True,
                       timeout=20)
        assert proc.wait(timeout=10) == 0
        assert not (state / "cloudapi.json").exists()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
