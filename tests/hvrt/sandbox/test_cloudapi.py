"""The simulated Compute/Network status API, over real HTTP on loopback: the shapes, headers
and microversions of Nova and Neutron, and openstacksdk's own calls against it."""
from __future__ import annotations

import json
import subprocess
import sys
import uuid
from pathlib import Path

import openstack
import pytest
import requests

from hvrt.errors import InfrastructureError
from hvrt.sandbox.cloudapi import MAX_MICROVERSION, CloudApiHTTPServer, CloudStatus
from hvrt.sandbox.wsman.host import HostModel

TOKEN = {"X-Auth-Token": "t"}


@pytest.fixture
def nodes(tmp_path: Path) -> list[Path]:
    first = HostModel(tmp_path / "n1", "HV-ONE")
    first.set_service("nova-compute", "Running")
    first.set_service("neutron-hyperv-agent", "Running")
    second = HostModel(tmp_path / "n2", "HV-TWO", os_release="2016")
    second.set_service("nova-compute", "Stopped")
    second.set_service("neutron-ovs-agent", "Running")
    return [first.root, second.root]


@pytest.fixture
def controller_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "ctl"
    folder.mkdir()
    return folder


@pytest.fixture
def api(nodes: list[Path], controller_dir: Path, tmp_path: Path):
    server = CloudApiHTTPServer(("127.0.0.1", 0), CloudStatus(nodes, "ctl", controller_dir), token_check=True,
                                log_path=tmp_path / "api.log")
    server.start_background()
    yield server
    server.shutdown()
    server.server_close()


def get(api: CloudApiHTTPServer, path: str, version: str | None = None, **headers: str) -> requests.Response:
    if version is not None:
        headers["OpenStack-API-Version"] = f"compute {version}"
    return requests.get(f"{api.url}{path}", headers={**TOKEN, **headers}, timeout=5)


def test_version_documents_as_nova_and_neutron_answer_them_without_a_token(api: CloudApiHTTPServer) -> None:
    root = requests.get(f"{api.url}/compute/", timeout=5)
    assert root.status_code == 200
    versions = {v["id"]: v for v in root.json()["versions"]}
    assert versions["v2.1"]["status"] == "CURRENT" and versions["v2.1"]["min_version"] == "2.1"
    assert versions["v2.1"]["version"] == "{}.{}".format(*MAX_MICROVERSION)
    assert versions["v2.1"]["links"][0] == {"rel": "self", "href": f"{api.url}/compute/v2.1/"}
    assert versions["v2.0"]["status"] == "SUPPORTED" and versions["v2.0"]["version"] == ""
    one = requests.get(api.compute_url, timeout=5).json()["version"]
    assert one["id"] == "v2.1" and one["media-types"][0]["base"] == "application/json"
    net = requests.get(f"{api.network_url}/", timeout=5).json()["versions"]
    assert net == [{"id": "v2.0", "status": "CURRENT", "links": [{"rel": "self", "href": f"{api.network_url}/v2.0/"}]}]
    assert requests.get(f"{api.network_url}/v2.0/", timeout=5).status_code == 401
    assert get(api, "/networking/v2.0/").json()["resources"][0]["collection"] == "agents"


def test_os_services_follow_the_microversion(api: CloudApiHTTPServer) -> None:
    old = get(api, "/compute/v2.1/os-services")
    assert old.headers["OpenStack-API-Version"] == "compute 2.1"
    assert old.headers["X-OpenStack-Nova-API-Version"] == "2.1"
    assert "OpenStack-API-Version" in old.headers["Vary"]
    computes = {s["host"]: s for s in old.json()["services"] if s["binary"] == "nova-compute"}
    assert computes["HV-ONE"]["state"] == "up" and computes["HV-ONE"]["status"] == "enabled"
    assert computes["HV-TWO"]["state"] == "down"
    assert isinstance(computes["HV-ONE"]["id"], int) and "forced_down" not in computes["HV-ONE"]
    assert {"zone", "updated_at", "disabled_reason"} <= set(computes["HV-ONE"])
    new = get(api, "/compute/v2.1/os-services", "2.53")
    assert new.headers["OpenStack-API-Version"] == "compute 2.53"
    service = new.json()["services"][0]
    assert uuid.UUID(service["id"]) and service["forced_down"] is False
    legacy = get(api, "/compute/v2.1/os-services", **{"X-OpenStack-Nova-API-Version": "2.11"})
    assert legacy.headers["X-OpenStack-Nova-API-Version"] == "2.11"
    assert get(api, "/compute/v2.1/os-services", "latest").headers["X-OpenStack-Nova-API-Version"] == (
        "{}.{}".format(*MAX_MICROVERSION))
    only = get(api, "/compute/v2.1/os-services?binary=nova-compute&host=HV-TWO").json()["services"]
    assert [(s["binary"], s["host"]) for s in only] == [("nova-compute", "HV-TWO")]
    assert any(s["binary"] == "nova-scheduler" and s["host"] == "ctl" for s in old.json()["services"])


def test_microversions_nova_refuses(api: CloudApiHTTPServer) -> None:
    too_new = get(api, "/compute/v2.1/os-services", "2.999")
    assert too_new.status_code == 406 and "maximum is" in too_new.json()["computeFault"]["message"]
    bad = get(api, "/compute/v2.1/os-services", "two")
    assert bad.status_code == 400 and "invalid format" in bad.json()["badRequest"]["message"]
    assert get(api, "/compute/v2.1/servers").status_code == 404


def test_hypervisors_list_and_detail(api: CloudApiHTTPServer, nodes: list[Path]) -> None:
    listed = get(api, "/compute/v2.1/os-hypervisors", "2.53").json()["hypervisors"]
    assert {h["hypervisor_hostname"]: (h["status"], h["state"]) for h in listed} == {
        "HV-ONE": ("enabled", "up"), "HV-TWO": ("enabled", "down")}
    assert set(listed[0]) == {"id", "hypervisor_hostname", "state", "status"} and uuid.UUID(listed[0]["id"])
    old = {h["hypervisor_hostname"]: h for h in get(api, "/compute/v2.1/os-hypervisors/detail").json()["hypervisors"]}
    assert old["HV-ONE"]["hypervisor_type"] == "hyperv" and old["HV-ONE"]["hypervisor_version"] == 6003
    assert old["HV-TWO"]["hypervisor_version"] == 10000 and isinstance(old["HV-ONE"]["id"], int)
    assert old["HV-ONE"]["cpu_info"] == "{}" and "vcpus" in old["HV-ONE"]
    new = get(api, "/compute/v2.1/os-hypervisors/detail?hypervisor_hostname_pattern=one", "2.88").json()
    assert [h["hypervisor_hostname"] for h in new["hypervisors"]] == ["HV-ONE"]
    assert "vcpus" not in new["hypervisors"][0] and "uptime" in new["hypervisors"][0]
    HostModel(nodes[1], "HV-TWO").remove_service("nova-compute")  # never started: no compute node
    assert [h["hypervisor_hostname"] for h in get(api, "/compute/v2.1/os-hypervisors").json()["hypervisors"]] == [
        "HV-ONE"]


def test_agents_in_the_network_api_shape_follow_node_and_controller_state(
        api: CloudApiHTTPServer, nodes: list[Path], controller_dir: Path) -> None:
    def agents(query: str = "") -> dict[tuple[str, str], dict]:
        body = get(api, f"/networking/v2.0/agents{query}").json()
        return {(a["host"], a["binary"]): a for a in body["agents"]}

    found = agents()
    assert found[("HV-ONE", "neutron-hyperv-agent")]["agent_type"] == "HyperV agent"
    assert found[("HV-TWO", "neutron-openvswitch-agent")]["alive"] is True
    assert found[("ctl", "neutron-dhcp-agent")]["alive"] is True
    assert {"id", "admin_state_up", "heartbeat_timestamp", "configurations", "topic"} <= set(
        found[("ctl", "neutron-l3-agent")])
    HostModel(nodes[1], "HV-TWO").set_service("neutron-ovs-agent", "Stopped")
    (controller_dir / "services.json").write_text(json.dumps({"neutron-dhcp-agent": "Stopped"}))
    found = agents()
    dead = found[("HV-TWO", "neutron-openvswitch-agent")]
    assert dead["alive"] is False and dead["heartbeat_timestamp"] < found[("ctl", "neutron-l3-agent")][
        "heartbeat_timestamp"]
    assert found[("ctl", "neutron-dhcp-agent")]["alive"] is False
    assert set(agents("?alive=False&host=ctl")) == {("ctl", "neutron-dhcp-agent")}


def test_token_is_required_when_checking(api: CloudApiHTTPServer) -> None:
    refused = requests.get(f"{api.network_url}/v2.0/agents", timeout=5)
    assert refused.status_code == 401 and refused.headers["WWW-Authenticate"].startswith("Keystone uri=")
    assert requests.get(f"{api.compute_url}/os-services", timeout=5).status_code == 401
    assert requests.get(f"{api.url}/v2.1/os-services", headers=TOKEN, timeout=5).status_code == 404


def test_openstacksdk_negotiates_microversions_and_reads_every_answer(api: CloudApiHTTPServer,
                                                                      tmp_path: Path) -> None:
    """The SDK's own calls (no Keystone here: endpoint overrides, no auth)."""
    api.token_check = False
    conn = openstack.connect(load_yaml_config=False, load_envvars=False, auth_type="none", api_timeout=5,
                             compute_endpoint_override=api.compute_url,
                             network_endpoint_override=api.network_url)
    try:
        services = {(s.binary, s.host): s for s in conn.compute.services()}
        hypervisors = {h.name: h for h in conn.compute.hypervisors(details=True)}
        agents = {(a.binary, a.host): a for a in conn.network.agents()}
        dhcp = list(conn.network.agents(binary="neutron-dhcp-agent"))
    finally:
        conn.close()
    assert services[("nova-compute", "HV-TWO")].state == "down"
    assert services[("nova-compute", "HV-ONE")].is_forced_down is False
    assert hypervisors["HV-ONE"].hypervisor_type == "hyperv" and hypervisors["HV-ONE"].state == "up"
    assert agents[("neutron-hyperv-agent", "HV-ONE")].is_alive is True
    assert [a.host for a in dhcp] == ["ctl"]
    log = (tmp_path / "api.log").read_text()
    assert '"GET /compute/v2.1/os-services HTTP/1.1" 200 - compute 2.69' in log  # the Service resource's max
    assert '"GET /compute/v2.1/os-hypervisors/detail HTTP/1.1" 200 - compute 2.88' in log


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
        assert info["compute_url"] == f"{info['url']}/compute/v2.1"
        body = requests.get(f"{info['compute_url']}/os-services", timeout=5).json()
        assert [s["host"] for s in body["services"] if s["binary"] == "nova-compute"] == ["HV-ONE"]
        agents = requests.get(f"{info['network_url']}/v2.0/agents", timeout=5).json()["agents"]
        assert any(a["binary"] == "neutron-hyperv-agent" for a in agents)
        subprocess.run([sys.executable, "-S", str(script), "down", "--state-dir", str(state)], check=True,
                       timeout=20)
        assert proc.wait(timeout=10) == 0
        assert not (state / "cloudapi.json").exists()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
