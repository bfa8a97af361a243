"""The ``salt`` configurator in mode ``ssh``: real ``salt-ssh`` to the test lab's sshd.

The sshd (``hvrt.sandbox.sshd``) listens on a loopback address with its own host key
and logs in a test user whose shell is ``/bin/sh``; salt-ssh deploys its thin Salt
there, checks the host key against the server's ``known_hosts`` and applies the
shipped states to a folder the test user owns.
"""
from __future__ import annotations

import configparser
import json
import os
from pathlib import Path

import hvrt_saltstack.plugin as salt_plugin
import pytest

pytestmark = [pytest.mark.salt, pytest.mark.sshd, pytest.mark.slow]

sshd = pytest.importorskip("hvrt.sandbox.sshd")


@pytest.fixture(scope="module")
def salt_cache(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("hvrt-cache")


@pytest.fixture(autouse=True)
def _cache(salt_cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HVRT_CACHE", str(salt_cache))


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    if not sshd.sshd_available() or os.geteuid() != 0:
        pytest.skip("needs OpenSSH's server and root")
    with sshd.SshdServer(tmp_path_factory.mktemp("salt-sshd"), address="127.0.0.1") as running:
        yield running


def ssh_lab(saltkit, server, etc: str, **salt: object) -> str:
    node = {
        "address": server.address, "port": server.port, "user": server.user, "transport": "ssh",
        "key_file": str(server.client_key), "labels": {"os": "2019"}, "configurator": "salt",
        "salt": {"mode": "ssh", "known_hosts": str(server.known_hosts), "config_dir": etc,
                 "roster": {"thin_dir": str(server.user_dir / "salt-thin")}, **salt},
    }
    ini = {"*": {"nova.conf": {"DEFAULT": {"compute_driver": "compute_hyperv.driver.HyperVDriver"},
                               "hyperv": {"enable_instance_metrics_collection": "True"}}}}
    return saltkit.lab_yaml(nodes={"hv1": node}, profiles={"2019-ssh": {"os": "2019", "hosts": ["hv1"], "ini": ini}})


def test_salt_ssh_applies_the_states_as_the_test_user(
    saltkit, saltlab, server, hvrt_run, tmp_path, salt_cache
) -> None:
    etc = server.user_dir / "salt-etc"
    cfg = tmp_path / "hvrt.yaml"
    cfg.write_text(ssh_lab(saltkit, server, str(etc)))
    plugins = [("salt", salt_plugin), ("saltlab", saltlab)]
    outcome = hvrt_run(cfg, profiles=["2019-ssh"], plugins=plugins)
    assert outcome.exit_code == 0, outcome.summary.scenarios[0].error
    nova = configparser.RawConfigParser(default_section="__none__")
    assert nova.read(etc / "nova.conf")
    assert nova["DEFAULT"]["compute_driver"] == "compute_hyperv.driver.HyperVDriver"
    assert nova["hyperv"]["enable_instance_metrics_collection"] == "True"
    # written over SSH by the test user, not by this (root) process
    assert (etc / "nova.conf").stat().st_uid == server_uid(server)
    state = json.loads((outcome.run_dir / "2019-ssh" / "config" / "hv1" / "salt-state.json").read_text())
    assert state["mode"] == "ssh" and state["ok"] and state["changed"] == 2

    second = hvrt_run(cfg, profiles=["2019-ssh"], plugins=plugins)
    assert second.exit_code == 0
    again = json.loads((second.run_dir / "2019-ssh" / "config" / "hv1" / "salt-state.json").read_text())
    assert again["changed"] == 0 and len(again["states"]) == 2

    # the thin tarball is kept for the next call; returns and pillar are not
    cache = salt_cache / "salt-ssh" / "hv1"
    assert list((cache / "thin").glob("thin.tgz"))
    kept = b"".join(p.read_bytes() for p in cache.rglob("*") if p.is_file() and p.suffix != ".tgz")
    assert b"HyperVDriver" not in kept


def test_an_unknown_host_key_stops_salt_ssh(saltkit, saltlab, server, hvrt_run, tmp_path) -> None:
    wrong = tmp_path / "known_hosts"
    wrong.write_text(f"[{server.address}]:{server.port} ssh-ed25519 "
                     "AAAAC3NzaC1lZDI1NTE5AAAAIGq1uVbq1b7m2L0n1V1cJ2pQ0C7lQ2m3Xj8lq9Yc0m5G\n")
    cfg = tmp_path / "hvrt.yaml"
    cfg.write_text(ssh_lab(saltkit, server, str(server.user_dir / "never"), known_hosts=str(wrong)))
    outcome = hvrt_run(cfg, profiles=["2019-ssh"], plugins=[("salt", salt_plugin), ("saltlab", saltlab)])
    assert outcome.exit_code == 3
    assert "salt-ssh" in outcome.summary.scenarios[0].error
    assert not (server.user_dir / "never").exists()


def server_uid(server) -> int:
    import pwd

    return pwd.getpwnam(server.user).pw_uid
