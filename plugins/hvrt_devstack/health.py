"""Health check of a deployed cloud: is every Hyper-V node of the scenario in service?

Called at the end of the ``deploy`` stage (DevStack and ``existing`` deployers). From
the runner, with ``requests``: a Keystone v3 token and catalog, then the Compute API's
``os-services`` and the Network API's ``agents``. A node is healthy when its
``nova-compute`` service is enabled and up and its Neutron agent (Hyper-V agent, or
the Open vSwitch agent when the scenario uses OVS) is alive and administratively up.
The check polls until every node is healthy or its time runs out, then raises
:class:`~hvrt.errors.InfrastructureError` naming each node and what is wrong.
"""
from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import requests

from hvrt.config.model import Secret
from hvrt.errors import InfrastructureError

log = logging.getLogger(__name__)

AGENT_BINARIES = {False: "neutron-hyperv-agent", True: "neutron-openvswitch-agent"}


@dataclass
class CloudAccess:
    """How to reach the cloud's APIs; ``compute_url``/``network_url`` override the catalog."""

    auth_url: str | None
    username: str = "admin"
    password: Secret | None = None
    project: str = "admin"
    domain: str = "Default"
    compute_url: str | None = None
    network_url: str | None = None
    region: str | None = None
    verify: bool | str = True
    token: str | None = field(default=None, repr=False)


def authenticate(access: CloudAccess, timeout: float) -> list[dict[str, Any]]:
    """Get a project-scoped token (kept on ``access``); returns the service catalog."""
    if not access.auth_url:
        return []
    url = access.auth_url.rstrip("/")
    url = url if url.endswith("/v3") else f"{url}/v3"
    body = {"auth": {
        "identity": {"methods": ["password"], "password": {"user": {
            "name": access.username, "domain": {"name": access.domain},
            "password": access.password.reveal() if access.password else ""}}},
        "scope": {"project": {"name": access.project, "domain": {"name": access.domain}}},
    }}
    try:
        response = requests.post(f"{url}/auth/tokens", json=body, timeout=timeout, verify=access.verify)
    except requests.RequestException as exc:
        raise InfrastructureError(f"Keystone at {url} unreachable: {type(exc).__name__}", step="health") from None
    if response.status_code != 201:
        raise InfrastructureError(f"Keystone at {url} refused the credentials (HTTP {response.status_code})",
                                  step="health")
    access.token = response.headers.get("X-Subject-Token")
    return list(response.json().get("token", {}).get("catalog", []))


def endpoint(catalog: list[dict[str, Any]], service_type: str, region: str | None = None,
             interface: str = "public") -> str | None:
    """The URL of a service in a Keystone v3 catalog (``None`` when absent)."""
    for service in catalog:
        if service.get("type") != service_type:
            continue
        for ep in service.get("endpoints", []):
            if ep.get("interface") == interface and (region is None or ep.get("region_id") == region):
                return str(ep["url"])
    return None


def node_problems(services: list[dict[str, Any]], agents: list[dict[str, Any]],
                  nodes: Sequence[str], uses_ovs: bool) -> dict[str, list[str]]:
    """What keeps each node from being healthy (an empty dict: all healthy)."""
    wanted_agent = AGENT_BINARIES[uses_ovs]
    problems: dict[str, list[str]] = {}
    for node in nodes:
        key = node.lower()
        found = [s for s in services if s.get("binary") == "nova-compute" and str(s.get("host", "")).lower() == key]
        issues = []
        if not found:
            issues.append("no nova-compute service registered")
        elif not any(s.get("status") == "enabled" and s.get("state") == "up" for s in found):
            issues.append("nova-compute is " + ", ".join(f"{s.get('status')}/{s.get('state')}" for s in found))
        mine = [a for a in agents if a.get("binary") == wanted_agent and str(a.get("host", "")).lower() == key]
        if not mine:
            issues.append(f"no {wanted_agent} registered")
        elif not any(a.get("alive") and a.get("admin_state_up", True) for a in mine):
            issues.append(f"{wanted_agent} is not alive")
        if issues:
            problems[node] = issues
    return problems


def _get(url: str, access: CloudAccess, timeout: float) -> dict[str, Any]:
    headers = {"Accept": "application/json"}
    if access.token:
        headers["X-Auth-Token"] = access.token
    response = requests.get(url, headers=headers, timeout=timeout, verify=access.verify)
    if response.status_code != 200:
        raise InfrastructureError(f"GET {url} answered HTTP {response.status_code}", step="health")
    return dict(response.json())


def wait_healthy(access: CloudAccess, nodes: Sequence[str], *, uses_ovs: bool, timeout: float,
                 interval: float = 5.0, call_timeout: float = 30.0) -> dict[str, Any]:
    """Poll the APIs until every node is healthy; returns the last answers as a record."""
    deadline = time.monotonic() + timeout
    last_error = ""
    problems: dict[str, list[str]] = {}
    while True:
        per_call = max(1.0, min(call_timeout, deadline - time.monotonic()))
        try:
            catalog = authenticate(access, per_call)
            compute = access.compute_url or endpoint(catalog, "compute", access.region)
            network = access.network_url or endpoint(catalog, "network", access.region)
            if not compute or not network:
                raise InfrastructureError("the catalog lists no compute or network endpoint", step="health")
            services = _get(f"{compute.rstrip('/')}/os-services", access, per_call)["services"]
            agents = _get(f"{network.rstrip('/')}/v2.0/agents", access, per_call)["agents"]
            problems = node_problems(services, agents, nodes, uses_ovs)
            last_error = ""
            if not problems:
                return {"nodes": list(nodes), "services": services, "agents": agents,
                        "compute_url": compute, "network_url": network}
        except (InfrastructureError, requests.RequestException, KeyError, ValueError) as exc:
            last_error = str(exc) if isinstance(exc, InfrastructureError) else f"{type(exc).__name__}: {exc}"
        if time.monotonic() + interval > deadline:
            break
        log.info("waiting for the cloud: %s", last_error or problems)
        time.sleep(interval)
    detail = last_error or "; ".join(f"{n}: {', '.join(p)}" for n, p in problems.items())
    raise InfrastructureError(f"cloud not healthy after {timeout:.0f}s: {detail}", step="health")
