"""Health check of a deployed cloud: is every Hyper-V node of the scenario in service?

Called at the end of the ``deploy`` stage (DevStack and ``existing`` deployers). From
the runner, through openstacksdk: one :class:`openstack.connection.Connection` (one
keystoneauth session, so one Keystone token) serves the whole check; each poll lists
Compute's services and hypervisors and Network's agents, the endpoints found in the
token's catalog (or given as overrides) and Compute's microversion negotiated by the
SDK. Every HTTP call has the session's timeout and at most :data:`RETRIES` retries
(connection failures, HTTP 503).

A node is healthy when its ``nova-compute`` service is enabled and up, its hypervisor
is listed enabled and up, and its Neutron agent (Hyper-V agent, or the Open vSwitch
agent when the scenario uses OVS) is alive and administratively up. The controller
is healthy when its DHCP, L3 and Open vSwitch agents that the cloud registers (and
any required by ``CloudAccess.controller_agents``) are alive and up; the controller
is ``CloudAccess.controller_host``, else every host of a DHCP or L3 agent that is not
a node of the scenario. The check polls until all are healthy or its time runs out,
then raises :class:`~hvrt.errors.InfrastructureError` naming each host, what is
wrong and, for the controller, its agent list.
"""
from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from hvrt.config.model import Secret
from hvrt.errors import InfrastructureError

if TYPE_CHECKING:
    from openstack.config.cloud_region import CloudRegion
    from openstack.connection import Connection

log = logging.getLogger(__name__)

AGENT_BINARIES = {False: "neutron-hyperv-agent", True: "neutron-openvswitch-agent"}
NETWORK_NODE_AGENTS = ("neutron-dhcp-agent", "neutron-l3-agent")
CONTROLLER_AGENTS = (*NETWORK_NODE_AGENTS, "neutron-openvswitch-agent")
RETRIES = 2
"""Retries of one HTTP call after a connection failure or an HTTP 503 (keystoneauth backs off)."""


@dataclass
class CloudAccess:
    """How to reach the cloud's APIs; ``compute_url``/``network_url`` override the catalog.

    ``load_region``, when set (the ``existing`` deployer: a clouds.yaml entry), gives
    the cloud's openstacksdk ``CloudRegion`` for the check's own options (timeout,
    retries, endpoint overrides) and wins over the credential fields. Without it and
    without ``auth_url`` the APIs are called unauthenticated at the two URLs.
    """

    auth_url: str | None
    username: str = "admin"
    password: Secret | None = None
    project: str = "admin"
    domain: str = "Default"
    compute_url: str | None = None
    network_url: str | None = None
    region: str | None = None
    verify: bool | str = True
    user_domain: str | None = None
    project_domain: str | None = None
    interface: str = "public"
    controller_host: str | None = None
    controller_agents: tuple[str, ...] = ()
    load_region: Callable[..., CloudRegion] | None = None


def cloud_region(access: CloudAccess, call_timeout: float) -> CloudRegion:
    """The openstacksdk configuration of one check: the access's credentials, a timeout on
    every call, bounded retries, the endpoint overrides."""
    import openstack.config

    options: dict[str, Any] = {"api_timeout": call_timeout, "connect_retries": RETRIES,
                               "status_code_retries": RETRIES}
    if access.compute_url:
        options["compute_endpoint_override"] = access.compute_url
    if access.network_url:
        options["network_endpoint_override"] = access.network_url
    if access.load_region is not None:
        return access.load_region(**options)
    if isinstance(access.verify, str):
        options["cacert"] = access.verify
    else:
        options["verify"] = access.verify
    if access.auth_url:
        options.update(auth_type="password", auth={
            "auth_url": access.auth_url, "username": access.username,
            "password": access.password.reveal() if access.password else "",
            "project_name": access.project, "user_domain_name": access.user_domain or access.domain,
            "project_domain_name": access.project_domain or access.domain})
    elif access.compute_url and access.network_url:
        options["auth_type"] = "none"
    else:
        raise InfrastructureError("no Keystone URL, and no compute_url and network_url to call without one",
                                  step="health")
    return openstack.config.get_cloud_region(load_yaml_config=False, load_envvars=False,
                                             region_name=access.region, interface=access.interface, **options)


def _rows(resources: Any) -> list[dict[str, Any]]:
    """SDK resources as the API's JSON objects (the API's own field names)."""
    return [r.to_dict(computed=False, original_names=True) for r in resources]


def _same_host(name: Any, node: str) -> bool:
    text = str(name or "").lower()
    return text == node.lower() or text.split(".", 1)[0] == node.lower()


def node_problems(services: list[dict[str, Any]], agents: list[dict[str, Any]], nodes: Sequence[str],
                  uses_ovs: bool, hypervisors: list[dict[str, Any]] | None = None) -> dict[str, list[str]]:
    """What keeps each node from being healthy (an empty dict: all healthy)."""
    wanted_agent = AGENT_BINARIES[uses_ovs]
    problems: dict[str, list[str]] = {}
    for node in nodes:
        found = [s for s in services if s.get("binary") == "nova-compute" and _same_host(s.get("host"), node)]
        issues = []
        if not found:
            issues.append("no nova-compute service registered")
        elif not any(s.get("status") == "enabled" and s.get("state") == "up" for s in found):
            issues.append("nova-compute is " + ", ".join(
                f"{s.get('status')}/{s.get('state')}" + (f" ({s['disabled_reason']})" if s.get("disabled_reason")
                                                         else "") for s in found))
        if hypervisors is not None and found:
            mine = [h for h in hypervisors if _same_host(h.get("hypervisor_hostname"), node)]
            if not mine:
                issues.append("no hypervisor listed (nova-compute has not reported the host)")
            elif not any(h.get("status") == "enabled" and h.get("state") == "up" for h in mine):
                issues.append("hypervisor is " + ", ".join(f"{h.get('status')}/{h.get('state')}" for h in mine))
        agent = [a for a in agents if a.get("binary") == wanted_agent and _same_host(a.get("host"), node)]
        if not agent:
            issues.append(f"no {wanted_agent} registered")
        elif not any(a.get("alive") and a.get("admin_state_up", True) for a in agent):
            issues.append(f"{wanted_agent} is {_agent_state(agent[0])}")
        if issues:
            problems[node] = issues
    return problems


def _agent_state(agent: dict[str, Any]) -> str:
    if not agent.get("alive"):
        return f"not alive (last heartbeat {agent.get('heartbeat_timestamp') or 'never'})"
    if not agent.get("admin_state_up", True):
        return "administratively down"
    return "up"


def controller_hosts(agents: list[dict[str, Any]], nodes: Sequence[str], controller_host: str | None) -> list[str]:
    """The hosts whose own agents the check judges (see the module's docstring)."""
    if controller_host:
        return [controller_host]
    hosts = {str(a.get("host")) for a in agents if a.get("binary") in NETWORK_NODE_AGENTS}
    return sorted(h for h in hosts if not any(_same_host(h, n) for n in nodes))


def controller_problems(agents: list[dict[str, Any]], hosts: Sequence[str],
                        required: Sequence[str] = ()) -> dict[str, list[str]]:
    """What is wrong with the controller's DHCP, L3 and Open vSwitch agents, per host; each
    host's entry ends with its agent list."""
    problems: dict[str, list[str]] = {}
    for host in hosts:
        mine = [a for a in agents if a.get("binary") in (*CONTROLLER_AGENTS, *required)
                and _same_host(a.get("host"), host)]
        issues = [f"no {binary} registered" for binary in required if not any(a.get("binary") == binary for a in mine)]
        issues += [f"{a.get('binary')} ({a.get('agent_type')}) is {_agent_state(a)}" for a in mine
                   if _agent_state(a) != "up"]
        if issues:
            listed = ", ".join(f"{a.get('binary')} {_agent_state(a).split(' (')[0]}" for a in mine) or "none"
            problems[f"controller {host}"] = [*issues, f"agents: {listed}"]
    return problems


def poll(conn: Connection, access: CloudAccess, nodes: Sequence[str], uses_ovs: bool) -> tuple[dict[str, Any],
                                                                                               dict[str, list[str]]]:
    """One look at the cloud: the API answers as a record, and what is unhealthy."""
    services = _rows(conn.compute.services())
    hypervisors = _rows(conn.compute.hypervisors(details=False))
    agents = _rows(conn.network.agents())
    hosts = controller_hosts(agents, nodes, access.controller_host)
    problems = node_problems(services, agents, nodes, uses_ovs, hypervisors)
    problems.update(controller_problems(agents, hosts, access.controller_agents))
    record = {"nodes": list(nodes), "controller_hosts": hosts, "services": services,
              "hypervisors": hypervisors, "agents": agents,
              "compute_url": conn.compute.get_endpoint(), "network_url": conn.network.get_endpoint()}
    return record, problems


def describe(exc: Exception) -> str:
    """An SDK or keystoneauth error as one line naming the service (never a credential)."""
    from keystoneauth1 import exceptions as ksa
    from openstack import exceptions as sdk

    if isinstance(exc, InfrastructureError):
        return exc.message
    if isinstance(exc, sdk.HttpException):
        return f"{exc.url or 'the cloud'} answered HTTP {exc.status_code}"
    if isinstance(exc, ksa.EndpointNotFound):
        return f"the catalog lists no such endpoint: {exc}"
    if isinstance(exc, ksa.ConnectionError):
        return f"unreachable: {type(exc).__name__}: {exc}"
    return f"{type(exc).__name__}: {exc}"


def authenticate(conn: Connection, access: CloudAccess) -> None:
    """Get the session's token (its one authentication); raises naming Keystone."""
    from keystoneauth1 import exceptions as ksa

    where = f"Keystone at {access.auth_url or 'the clouds.yaml auth_url'}"
    try:
        conn.session.get_token()
    except ksa.HttpError as exc:
        raise InfrastructureError(f"{where} refused the credentials (HTTP {exc.http_status})",
                                  step="health") from None
    except (ksa.ConnectionError, ksa.DiscoveryFailure) as exc:
        raise InfrastructureError(f"{where} unreachable: {type(exc).__name__}", step="health") from None
    except ksa.ClientException as exc:
        raise InfrastructureError(f"{where}: {type(exc).__name__}: {exc}", step="health") from None


def wait_healthy(access: CloudAccess, nodes: Sequence[str], *, uses_ovs: bool, timeout: float,
                 interval: float = 5.0, call_timeout: float = 30.0) -> dict[str, Any]:
    """Poll the APIs until every node and the controller are healthy; returns the last
    answers as a record. One connection (one token) serves every poll."""
    from keystoneauth1 import exceptions as ksa
    from openstack import exceptions as sdk

    deadline = time.monotonic() + timeout
    conn = _connect(access, min(call_timeout, max(1.0, timeout)))
    last_error = ""
    problems: dict[str, list[str]] = {}
    authenticated = False
    try:
        while True:
            try:
                if not authenticated:
                    authenticate(conn, access)
                    authenticated = True
                record, problems = poll(conn, access, nodes, uses_ovs)
                last_error = ""
                if not problems:
                    return record
            except (InfrastructureError, sdk.SDKException, ksa.ClientException) as exc:
                last_error = describe(exc)
            if time.monotonic() + interval > deadline:
                break
            log.info("waiting for the cloud: %s", last_error or problems)
            time.sleep(interval)
    finally:
        conn.close()
    detail = last_error or "; ".join(f"{n}: {', '.join(p)}" for n, p in problems.items())
    raise InfrastructureError(f"cloud not healthy after {timeout:.0f}s: {detail}", step="health")


def _connect(access: CloudAccess, call_timeout: float) -> Connection:
    from openstack.connection import Connection

    return Connection(config=cloud_region(access, call_timeout))
