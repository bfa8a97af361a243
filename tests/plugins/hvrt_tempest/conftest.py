"""Fixtures of the Tempest runner's tests: one real Keystone for the whole session,
a Tempest-ready tempest.conf for it, and builders of scenario contexts.

Without the venvs of :mod:`hvrt.sandbox.venvs` the tests that need them are
skipped, unless ``HVRT_REQUIRE_CLOUD`` is set (CI sets it): then they fail.
"""
from __future__ import annotations

import logging
import os
import pwd
import secrets
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from hvrt.config.model import Config, Host, Profile, Release, Scenario, Secret, TempestSuite
from hvrt.context import Deployment, RunContext, ScenarioContext
from hvrt.plugins import create_plugin_manager
from hvrt.redact import Redactor
from hvrt.results import ScenarioResult
from hvrt.sandbox import venvs
from hvrt.sandbox.keystone import KeystoneServer, write_tempest_conf
from hvrt.sandbox.sshd import SshdServer, sshd_available

KEYSTONE_ADDRESS = "127.0.0.71"
SSHD_ADDRESS = "127.0.0.75"
DATA = Path(__file__).resolve().parents[2] / "data"
SAMPLE_SUITE = DATA / "subunit" / "suite"
LEGACY = Path("/work/shared/fixtures/legacy-cloudbase")
TEMPEST_BIN = str(venvs.venv_bin("tempest", "tempest"))


def require_cloud() -> None:
    """Skip (or fail, when ``HVRT_REQUIRE_CLOUD`` is set) without the venvs."""
    if venvs.all_ready():
        return
    message = (
        f"the Keystone and Tempest venvs are missing under {venvs.cache_dir() / 'venvs'} "
        "(create them with: python3 -m hvrt.sandbox.venvs ensure)"
    )
    if os.environ.get("HVRT_REQUIRE_CLOUD"):
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture
def cloud_venvs() -> None:
    require_cloud()


@dataclass
class Cloud:
    server: KeystoneServer
    password: Secret
    tempest_conf: Path

    @property
    def auth_url(self) -> str:
        return self.server.auth_url


@pytest.fixture(scope="session")
def keystone(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cloud]:
    """A real Keystone on 127.0.0.71 for every test of the session."""
    require_cloud()
    state = tmp_path_factory.mktemp("keystone")
    password = Secret(secrets.token_urlsafe(18), "test")
    server = KeystoneServer(state, KEYSTONE_ADDRESS, 0, password)
    server.start()
    try:
        conf = write_tempest_conf(state / "tempest" / "tempest.conf", server.auth_url, password)
        yield Cloud(server, password, conf)
    finally:
        server.stop()


def make_context(
    tmp_path: Path,
    *,
    suite: TempestSuite,
    deployment: Deployment,
    settings: dict[str, Any] | None = None,
    profile: dict[str, Any] | None = None,
    config_path: Path | None = None,
    secrets_: tuple[Secret, ...] = (),
    controller: Host | None = None,
) -> ScenarioContext:
    """A ScenarioContext (with a ``local`` controller unless given), built without the engine."""
    controller = controller or Host(name="controller", role="controller", address="127.0.0.1", transport="local")
    prof = Profile(name="identity", tempest=suite, **(profile or {}))
    config = Config(
        path=str(config_path or tmp_path / "hvrt.yaml"),
        controllers={"controller": controller},
        nodes={},
        release=Release(name="test"),
        profiles={prof.name: prof},
        plugins=("tempest",),
        settings={"tempest": {"workspace_root": str(tmp_path / "controller"), **(settings or {})}},
        secrets=secrets_,
    )
    redactor = Redactor(s.reveal() for s in secrets_)
    run = RunContext(
        config=config, pm=create_plugin_manager(enabled=["tempest"]), run_id="run-1",
        run_dir=tmp_path / "results", redactor=redactor,
    )
    scenario = Scenario(name=prof.name, profile=prof, candidate_nodes=(), candidate_controllers=("controller",))
    folder = run.run_dir / scenario.name
    folder.mkdir(parents=True)
    return ScenarioContext(
        run=run, scenario=scenario, nodes=[], controller=controller, dir=folder,
        result=ScenarioResult(name=scenario.name), log=logging.getLogger("hvrt.test.tempest"),
    )


@pytest.fixture(scope="session")
def ssh_controller(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Host]:
    """The controller as a lab host reached over real SSH (a loopback OpenSSH server
    logging in as the current user, who owns the Tempest venv)."""
    if not sshd_available():
        pytest.skip("OpenSSH server not installed")
    user = pwd.getpwuid(os.geteuid()).pw_name
    with SshdServer(tmp_path_factory.mktemp("sshd"), SSHD_ADDRESS, user=user) as server:
        yield Host(
            name="controller", role="controller", address=server.address, transport="ssh",
            port=server.port, user=server.user, key_file=str(server.client_key),
            options={"ssh": {"known_hosts": str(server.known_hosts), "allow_agent": False}},
        )


@pytest.fixture
def scenario_factory(tmp_path: Path) -> Callable[..., ScenarioContext]:
    return lambda **kwargs: make_context(tmp_path, **kwargs)


@pytest.fixture
def context_builder() -> Callable[..., ScenarioContext]:
    """:func:`make_context` itself, for a test that needs several contexts (each in its own folder)."""
    return make_context


@pytest.fixture
def keystone_deployment(keystone: Cloud) -> Deployment:
    """How a deployer would hand the session's Keystone to the runner."""
    cloud = keystone
    return Deployment(
        controller="controller", auth_url=cloud.auth_url, username="admin", password=cloud.password,
        tempest_conf=str(cloud.tempest_conf), tempest_command=(TEMPEST_BIN,),
    )


@pytest.fixture
def sample_deployment(tmp_path: Path, cloud_venvs: None) -> Deployment:
    """A deployment for the sample suite (its tests need no cloud; the conf is unused)."""
    conf = tmp_path / "sample-tempest.conf"
    password = Secret("sample-password-1", "test")
    write_tempest_conf(conf, "http://127.0.0.72:9/v3", password)
    return Deployment(
        controller="controller", auth_url="http://127.0.0.72:9/v3", username="admin", password=password,
        tempest_conf=str(conf), tempest_command=(TEMPEST_BIN,),
    )


@pytest.fixture
def sample_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """Runner settings pointing the workspace at the sample suite, with a fresh
    folder for its once-only failures (passed in the Tempest commands' environment)."""
    monkeypatch.delenv("HVRT_SAMPLE_STATE", raising=False)
    monkeypatch.delenv("HVRT_SAMPLE_BROKEN", raising=False)
    return {
        "test_path": str(SAMPLE_SUITE / "hvrt_sample"), "top_dir": str(SAMPLE_SUITE),
        "env": {"HVRT_SAMPLE_STATE": str(tmp_path / "sample-state")},
    }
