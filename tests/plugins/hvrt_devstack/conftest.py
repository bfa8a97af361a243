"""Fixtures of the DevStack deployer tests: a real sshd controller, the stand-in
DevStack repository, simulated node state folders and a scenario context builder."""
from __future__ import annotations

import json
import logging
import os
import pwd
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from hvrt.config.model import Config, Host, Image, Network, Profile, Release, RepoOverride, Scenario, Secret
from hvrt.context import RunContext, ScenarioContext
from hvrt.plugins import create_plugin_manager
from hvrt.redact import Redactor
from hvrt.results import ScenarioResult
from hvrt.sandbox.devstack_repo import build_devstack_repo
from hvrt.sandbox.sshd import SshdServer, sshd_available

PASSWORD = "Stack-Pw-" + uuid.uuid4().hex[:12]


@pytest.fixture(scope="session")
def controller_sshd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SshdServer]:
    if not sshd_available():
        pytest.skip("OpenSSH server not installed (apt-get install openssh-server)")
    with SshdServer(tmp_path_factory.mktemp("controller-sshd"), address="127.0.0.1") as server:
        yield server


def chown_to(server: SshdServer, path: Path) -> None:
    entry = pwd.getpwnam(server.user)
    for folder, dirs, files in os.walk(path):
        for name in [folder, *(os.path.join(folder, n) for n in dirs + files)]:
            os.lchown(name, entry.pw_uid, entry.pw_gid)


@pytest.fixture(scope="session")
def devstack_origin(controller_sshd: SshdServer) -> Path:
    """The stand-in DevStack repository, readable by the controller's user."""
    entry = pwd.getpwnam(controller_sshd.user)
    return build_devstack_repo(controller_sshd.user_dir / "devstack-origin.git",
                               owner=(entry.pw_uid, entry.pw_gid))


def make_node_dir(server: SshdServer, name: str, services: dict[str, str]) -> Path:
    folder = server.user_dir / "nodes" / f"{name}-{uuid.uuid4().hex[:6]}"
    folder.mkdir(parents=True)
    (folder / "services.json").write_text(json.dumps(services))
    (folder / "state.json").write_text(json.dumps({"computer_name": name}))
    for path in folder.iterdir():
        path.chmod(0o644)
    return folder


def controller_host(server: SshdServer) -> Host:
    return Host(name="ctl01", role="controller", address=server.address, transport="ssh",
                user=server.user, key_file=str(server.client_key),
                options={"ssh": {"port": server.port, "known_hosts": str(server.known_hosts),
                                 "allow_agent": False, "connect_timeout": 5}})


def node_host(name: str, os_label: str = "2012r2") -> Host:
    return Host(name=name, role="node", address="127.0.0.1", transport="winrm", labels={"os": os_label})


def legacy_profiles(image_url: str, heat_url: str | None = None) -> dict[str, Profile]:
    """Profiles equivalent to the legacy config's scenarios (loopback addresses only)."""
    vhdx = Image(format="vhdx", type="dynamic", url=image_url, heat_url=heat_url)
    return {
        "HyperV2012r2_VHDX": Profile(name="HyperV2012r2_VHDX", os="2012r2", image=vhdx, live_migration=True,
                                     allow_resize_to_same_host=False, network=Network(type="vlan")),
        "HyperV2016_OVS_VXLAN_VHDX": Profile(
            name="HyperV2016_OVS_VXLAN_VHDX", os="2016", image=vhdx, live_migration=True,
            allow_resize_to_same_host=False,
            network=Network(type="ovs-vxlan", tunnel_endpoint="127.0.0.3"),
            devstack_vars={"Q_ML2_TENANT_NETWORK_TYPE": "vxlan"}),
        "HyperV2016_VHDX_flat": Profile(name="HyperV2016_VHDX_flat", os="2016", image=vhdx,
                                        live_migration=False, allow_resize_to_same_host=True,
                                        network=Network(type="flat", physical_network="physnet1")),
    }


ContextFactory = Callable[..., ScenarioContext]


@pytest.fixture
def make_ctx(controller_sshd: SshdServer, devstack_origin: Path, tmp_path: Path) -> Iterator[ContextFactory]:
    contexts: list[ScenarioContext] = []

    def build(profile: Profile, *, nodes: list[Host], settings: dict[str, Any] | None = None,
              branch: str = "master", repos: dict[str, RepoOverride] | None = None,
              deploy: dict[str, Any] | None = None) -> ScenarioContext:
        secret = Secret(PASSWORD, "env:HVRT_TEST_PASSWORD")
        controller = controller_host(controller_sshd)
        release = Release(name="test", devstack_repo=str(devstack_origin), devstack_branch=branch,
                          repos=repos or {}, password=secret)
        dest = controller_sshd.user_dir / f"stack-{uuid.uuid4().hex[:8]}"
        devstack = {"dest": str(dest), "min_free_disk_mb": 1, "health_timeout": 10,
                    "health_interval": 0.5, **(settings or {})}
        config = Config(
            path="hvrt.yaml", controllers={controller.name: controller},
            nodes={n.name: n for n in nodes}, release=release, profiles={profile.name: profile},
            plugins=("devstack",), settings={"devstack": devstack, "deploy": deploy or {"deployer": "devstack"}},
            secrets=(secret,),
        )
        pm = create_plugin_manager(enabled=["devstack", "existing"])
        run = RunContext(config=config, pm=pm, run_id="r1", run_dir=tmp_path / "results",
                         redactor=Redactor([PASSWORD]))
        scenario = Scenario(name=profile.name, profile=profile, candidate_nodes=tuple(n.name for n in nodes),
                            candidate_controllers=(controller.name,))
        ctx = ScenarioContext(run=run, scenario=scenario, nodes=nodes, controller=controller,
                              dir=tmp_path / "results" / profile.name, result=ScenarioResult(profile.name),
                              log=logging.getLogger(f"hvrt.test.{profile.name}"))
        ctx.state["test_dest"] = dest
        contexts.append(ctx)
        return ctx

    yield build
    for ctx in contexts:
        dest = ctx.state["test_dest"]
        try:
            if (dest / "devstack" / "unstack.sh").exists():
                ctx.transport(ctx.controller).run(["./unstack.sh"], cwd=str(dest / "devstack"), timeout=30)
        finally:
            ctx.close_transports()


class Lab:
    """Helpers of the deployer tests (test modules cannot import conftest)."""

    password = PASSWORD

    def __init__(self, server: SshdServer) -> None:
        self.server = server

    def node_dir(self, name: str, services: dict[str, str]) -> Path:
        return make_node_dir(self.server, name, services)

    def chown(self, path: Path) -> None:
        chown_to(self.server, path)

    node_host = staticmethod(node_host)
    profiles = staticmethod(legacy_profiles)


@pytest.fixture
def lab(controller_sshd: SshdServer) -> Lab:
    return Lab(controller_sshd)
