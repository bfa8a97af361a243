"""Simulated Hyper-V nodes and scenario contexts for the winrm plugin's tests.

The contexts are built directly from ``hvrt.context`` (no engine): a config with the
nodes, a controller, an installer made by the sandbox, and the run's redactor that
knows the secrets, exactly as the engine hands them to hooks.
"""
from __future__ import annotations

import importlib.util
import logging
import secrets
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from hvrt_winrm.options import WinRMOptions
from hvrt_winrm.transport import WinRMTransport

from hvrt.config.model import Config, Host, Installer, Profile, Release, Scenario, Secret
from hvrt.context import RunContext, ScenarioContext
from hvrt.plugins import create_plugin_manager
from hvrt.redact import Redactor
from hvrt.results import ScenarioResult
from hvrt.sandbox.wsman import SimulatedNode, make_installer

_spec = importlib.util.spec_from_file_location("hvrt_tests_simnode", Path(__file__).parents[2] / "simnode.py")
simnode = importlib.util.module_from_spec(_spec)  # type: ignore[arg-type]
_spec.loader.exec_module(simnode)  # type: ignore[union-attr]
_bounded_time, node_password = simnode._bounded_time, simnode.node_password


@pytest.fixture(scope="session")
def release_password() -> str:
    return "Rel-" + secrets.token_urlsafe(12)


@pytest.fixture(scope="session")
def sim_nodes(tmp_path_factory: pytest.TempPathFactory, node_password: str) -> Iterator[dict[str, SimulatedNode]]:
    specs = {"hv-01": ("127.0.0.21", {}), "hv-02": ("127.0.0.22", {})}
    with simnode.simulated_nodes(tmp_path_factory, node_password, specs) as nodes:
        yield nodes


@pytest.fixture(scope="session")
def os_nodes(tmp_path_factory: pytest.TempPathFactory, node_password: str) -> Iterator[dict[str, SimulatedNode]]:
    """Nodes of the older releases, each as strict as its Windows (``os_release``)."""
    specs = {"hv-2012": ("127.0.0.31", {"os_release": "2012"}),
             "hv-2008r2": ("127.0.0.32", {"os_release": "2008r2"}),
             "hv-2008r2-wmf": ("127.0.0.33", {"os_release": "2008r2-wmf51"})}
    with simnode.simulated_nodes(tmp_path_factory, node_password, specs) as nodes:
        yield nodes


def host_for(node: SimulatedNode, password: str, name: str | None = None, os: str = "2012r2",
             **options: Any) -> Host:
    winrm = {"port": node.port, "ca_bundle": node.ca_bundle, "scheme": node.scheme, **options}
    return Host(name=name or node.name, role="node", address=node.address, transport="winrm",
                user="Administrator", password=Secret(password, "env:HV_PASSWORD"), labels={"os": os},
                options={"winrm": winrm})


@pytest.fixture
def transport(sim_nodes, node_password) -> Iterator[WinRMTransport]:
    node = sim_nodes["hv-01"]
    t = WinRMTransport("hv-01", node.address, user="Administrator", password=Secret(node_password, "env:X"),
                       options=WinRMOptions(port=node.port, ca_bundle=node.ca_bundle, backoff=0.1))
    yield t
    t.close()


@pytest.fixture
def make_ctx(tmp_path: Path, node_password: str, release_password: str) -> Callable[..., ScenarioContext]:
    def build(nodes: list[SimulatedNode], profile: Profile | None = None, *, names: list[str] | None = None,
              installer: Installer | None = None, version: str = "29.0.1") -> ScenarioContext:
        profile = profile or Profile(name="2012r2-vhdx")
        hosts = [host_for(n, node_password, (names or [])[i] if names else None) for i, n in enumerate(nodes)]
        if installer is None:
            msi = tmp_path / "HyperVNovaCompute.msi"
            make_installer(msi, version)
            installer = Installer(path=str(msi))
        controller = Host(name="ctl", role="controller", address="127.0.0.1", transport="local")
        release_secret = Secret(release_password, "env:RELEASE_PASSWORD")
        config = Config(
            path=str(tmp_path / "hvrt.yaml"), controllers={"ctl": controller},
            nodes={h.name: h for h in hosts},
            release=Release(name="test", installer=installer, password=release_secret),
            profiles={profile.name: profile}, plugins=("winrm",),
            secrets=(release_secret, *(h.password for h in hosts if h.password)),
        )
        run = RunContext(config=config, pm=create_plugin_manager(enabled=["winrm"]), run_id="r1",
                         run_dir=tmp_path / "results" / "r1",
                         redactor=Redactor(s.reveal() for s in config.secrets))
        scenario = Scenario(profile.name, profile, tuple(config.nodes), ("ctl",))
        return ScenarioContext(run=run, scenario=scenario, nodes=hosts, controller=controller,
                               dir=run.run_dir / profile.name, result=ScenarioResult(profile.name),
                               log=logging.getLogger("hvrt.test"))

    return build
