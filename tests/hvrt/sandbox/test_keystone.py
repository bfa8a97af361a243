"""The sandbox's real Keystone: started by the CLI (daemonised), used over HTTP with
real tokens, stopped; and the Tempest workspace prepared for it."""
from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from hvrt.errors import InfrastructureError
from hvrt.sandbox import venvs
from hvrt.sandbox.keystone import (
    STATE_FILE,
    KeystoneServer,
    stop_state_dir,
    tempest_init,
    write_tempest_conf,
)

pytestmark = pytest.mark.keystone

ADDRESS = "127.0.0.73"


def _require_venvs() -> None:
    if venvs.all_ready():
        return
    message = "Keystone/Tempest venvs missing (python3 -m hvrt.sandbox.venvs ensure)"
    if os.environ.get("HVRT_REQUIRE_CLOUD"):
        pytest.fail(message)
    pytest.skip(message)


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "hvrt.sandbox.keystone", *args], capture_output=True, text=True, timeout=300
    )


@dataclass
class Running:
    state: Path
    auth_url: str
    pid: int
    password: str


@pytest.fixture(scope="module")
def running(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    _require_venvs()
    base = tmp_path_factory.mktemp("ks")
    password = secrets.token_urlsafe(16)
    (base / "pw").write_text(password + "\n")
    up = _cli("up", "--state-dir", str(base / "state"), "--address", ADDRESS, "--port", "0",
              "--password-file", str(base / "pw"))
    assert up.returncode == 0, up.stderr
    info = json.loads(up.stdout)
    try:
        yield Running(base / "state", info["auth_url"], info["pid"], password)
    finally:
        _cli("down", "--state-dir", str(base / "state"))


def _token(auth_url: str, password: str) -> tuple[int, str | None]:
    body = {"auth": {
        "identity": {"methods": ["password"], "password": {"user": {
            "name": "admin", "domain": {"id": "default"}, "password": password}}},
        "scope": {"project": {"name": "admin", "domain": {"id": "default"}}},
    }}
    request = urllib.request.Request(
        f"{auth_url}/auth/tokens", data=json.dumps(body).encode(), method="POST",
        headers={"Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as resp:
            return resp.status, resp.headers.get("X-Subject-Token")
    except urllib.error.HTTPError as exc:
        return exc.code, None


def test_up_daemonises_and_serves_identity_v3(running: Running) -> None:
    assert running.auth_url.startswith(f"http://{ADDRESS}:") and running.auth_url.endswith("/v3")
    with urllib.request.urlopen(running.auth_url, timeout=10) as resp:
        version = json.load(resp)["version"]
    assert version["id"].startswith("v3.") and version["status"] == "stable"
    cmdline = Path(f"/proc/{running.pid}/cmdline").read_bytes().split(b"\0")
    assert b"--no-control-socket" in cmdline and b"1" in cmdline


def test_admin_password_gets_a_fernet_token_and_a_wrong_one_does_not(running: Running) -> None:
    status, token = _token(running.auth_url, running.password)
    assert status == 201 and token and len(token) > 100  # a fernet token
    assert _token(running.auth_url, running.password + "x") == (401, None)


def test_warm_up_reads_what_tempest_reads_first_and_a_wrong_password_warms_nothing(running: Running) -> None:
    from hvrt.sandbox import keystone_warm

    assert keystone_warm.warm_up(running.auth_url, running.password) == 2 + len(keystone_warm.LISTS)
    assert keystone_warm.warm_up(running.auth_url, running.password + "x") == 0


def test_up_again_reports_the_running_one(running: Running, tmp_path: Path) -> None:
    again = _cli("up", "--state-dir", str(running.state), "--address", ADDRESS, "--port", "0",
                 "--password-file", str(tmp_path / "never-read"))
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout) == {"auth_url": running.auth_url, "pid": running.pid}
    with pytest.raises(InfrastructureError, match="already runs"):
        KeystoneServer(running.state, ADDRESS, 0, "another-pw").start()


def test_password_is_written_nowhere_in_the_state_folder(running: Running) -> None:
    secret = running.password.encode()
    files = [p for p in running.state.rglob("*") if p.is_file()]
    assert any(p.name == "keystone.log" for p in files)
    for path in files:
        assert secret not in path.read_bytes(), path
    conf = (running.state / "etc" / "keystone.conf").read_text()
    for needle in ("[fernet_tokens]", "[fernet_receipts]", "[credential]", "password_hash_rounds = 4",
                   "backend = dogpile.cache.memory", "sqlite_synchronous = false"):
        assert needle in conf


def test_tempest_workspace_writes_nothing_under_home(
    running: Running, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv(venvs.CACHE_ENV, str(venvs.cache_dir()))
    monkeypatch.setenv("HOME", str(home))
    conf = write_tempest_conf(tmp_path / "src" / "tempest.conf", running.auth_url, running.password)
    assert oct(conf.stat().st_mode & 0o777) == "0o600"
    workspace_conf = tempest_init(tmp_path / "ws", conf.parent)
    text = workspace_conf.read_text()
    assert f"uri_v3 = {running.auth_url}" in text and "use_dynamic_credentials = true" in text
    assert "lock_path" in text and (tmp_path / "ws" / ".stestr.conf").is_file()
    assert (tmp_path / "workspace.yaml").is_file()
    assert list(home.iterdir()) == []


def test_down_stops_it_and_a_second_down_is_harmless(tmp_path: Path, running: Running) -> None:
    # a state folder whose pid file names a process that is not its Keystone
    stale = tmp_path / "stale"
    stale.mkdir()
    (stale / STATE_FILE).write_text(json.dumps({"pid": os.getpid()}))
    assert stop_state_dir(stale) is False
    assert not (stale / STATE_FILE).exists()

    down = _cli("down", "--state-dir", str(running.state))
    assert down.returncode == 0 and json.loads(down.stdout) == {"stopped": True}
    assert not Path(f"/proc/{running.pid}").exists() or "Z" in Path(f"/proc/{running.pid}/stat").read_text().split()[2]
    assert json.loads(_cli("down", "--state-dir", str(running.state)).stdout) == {"stopped": False}


def test_only_loopback_addresses_are_accepted(tmp_path: Path) -> None:
    with pytest.raises(InfrastructureError, match="loopback"):
        KeystoneServer(tmp_path, "0.0.0.0", 5000, "pw-12345")
    with pytest.raises(InfrastructureError, match="admin password"):
        KeystoneServer(tmp_path, ADDRESS, 0, "")
