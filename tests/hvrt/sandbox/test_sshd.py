"""The loopback OpenSSH server, checked with OpenSSH's own client."""
from __future__ import annotations

import os
import pwd
import subprocess
import time
from pathlib import Path

import pytest

from hvrt.errors import InfrastructureError
from hvrt.sandbox.sshd import SshdServer, generate_key, known_hosts_line, sshd_available

pytestmark = [
    pytest.mark.sshd,
    pytest.mark.skipif(not sshd_available(), reason="OpenSSH server not installed"),
]


def ssh(server: SshdServer, command: str, *, known_hosts: Path | None = None, key: Path | None = None,
        extra: tuple[str, ...] = ()) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["ssh", "-F", "/dev/null", "-i", str(key or server.client_key),
         "-o", f"UserKnownHostsFile={known_hosts or server.known_hosts}",
         "-o", "StrictHostKeyChecking=yes", "-o", "BatchMode=yes", "-o", "ConnectTimeout=5",
         "-o", "IdentitiesOnly=yes", *extra,
         "-p", str(server.port), f"{server.user}@{server.address}", command],
        capture_output=True, text=True, timeout=30,
    )


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory):
    with SshdServer(tmp_path_factory.mktemp("sshd"), address="127.0.0.1") as srv:
        yield srv


def test_key_login_runs_commands_as_the_test_user_with_sh(server: SshdServer) -> None:
    result = ssh(server, "id -un; readlink /proc/$$/exe")
    assert result.returncode == 0, result.stderr
    user, shell = result.stdout.split()
    assert user == server.user
    assert shell == os.path.realpath("/bin/sh")
    assert pwd.getpwnam(server.user).pw_shell == "/bin/sh"


def test_known_hosts_file_verifies_the_host_key(server: SshdServer, tmp_path: Path) -> None:
    assert server.known_hosts.read_text().strip() == server.host_key_line
    assert server.host_key_line.startswith(f"[127.0.0.1]:{server.port} ssh-ed25519 ")
    other = generate_key(tmp_path / "other")
    wrong = tmp_path / "wrong_known_hosts"
    wrong.write_text(known_hosts_line(server.address, server.port, other) + "\n")
    refused = ssh(server, "true", known_hosts=wrong)
    assert refused.returncode == 255
    assert "HOST IDENTIFICATION HAS CHANGED" in refused.stderr
    copy = server.write_known_hosts(tmp_path / "copy" / "known_hosts")
    assert ssh(server, "true", known_hosts=copy).returncode == 0


def test_unauthorised_key_is_refused(server: SshdServer, tmp_path: Path) -> None:
    generate_key(tmp_path / "stranger")
    result = ssh(server, "true", key=tmp_path / "stranger")
    assert result.returncode == 255
    assert "Permission denied" in result.stderr


def test_user_dir_is_writable_by_the_user(server: SshdServer) -> None:
    target = server.user_dir / "made-by-user"
    result = ssh(server, f"echo ok > {target}")
    assert result.returncode == 0, result.stderr
    assert target.read_text() == "ok\n"
    assert target.stat().st_uid == server.user_dir.stat().st_uid


def test_sftp_subsystem_serves_files(server: SshdServer, tmp_path: Path) -> None:
    source = tmp_path / "payload.txt"
    source.write_text("through sftp\n")
    batch = tmp_path / "batch"
    batch.write_text(f"put {source} {server.user_dir}/payload.txt\n")
    result = subprocess.run(
        ["sftp", "-F", "/dev/null", "-i", str(server.client_key), "-b", str(batch),
         "-o", f"UserKnownHostsFile={server.known_hosts}", "-o", "StrictHostKeyChecking=yes",
         "-P", str(server.port), f"{server.user}@{server.address}"],
        capture_output=True, text=True, timeout=30,
    )
    assert result.returncode == 0, result.stderr
    assert (server.user_dir / "payload.txt").read_text() == "through sftp\n"


def test_drop_sessions_kills_an_open_connection(server: SshdServer) -> None:
    proc = subprocess.Popen(
        ["ssh", "-F", "/dev/null", "-i", str(server.client_key),
         "-o", f"UserKnownHostsFile={server.known_hosts}", "-o", "BatchMode=yes",
         "-p", str(server.port), f"{server.user}@{server.address}", "sleep 30"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 10
        while not server.session_pids() and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(0.3)  # let the session start its command
        assert server.drop_sessions() >= 1
        assert proc.wait(timeout=10) == 255
    finally:
        proc.kill()
        proc.wait()
    assert server.running


def test_two_servers_on_distinct_loopback_addresses(tmp_path: Path) -> None:
    with SshdServer(tmp_path / "a", address="127.0.0.21") as a, \
            SshdServer(tmp_path / "b", address="127.0.0.22") as b:
        assert ssh(a, "true").returncode == 0
        assert ssh(b, "true").returncode == 0
        assert a.host_key_line.split()[2] != b.host_key_line.split()[2]
    assert not a.running and not b.running
    assert not a.user_dir.exists()


def test_taken_fixed_port_is_an_error(server: SshdServer, tmp_path: Path) -> None:
    clash = SshdServer(tmp_path / "clash", address=server.address, port=server.port)
    with pytest.raises(InfrastructureError, match="sshd did not start"):
        clash.start()
    assert not clash.running


def test_non_loopback_address_is_refused_before_any_io(tmp_path: Path) -> None:
    with pytest.raises(InfrastructureError, match="loopback"):
        SshdServer(tmp_path / "x", address="192.0.2.1")
    assert not (tmp_path / "x").exists()


def test_password_login_for_a_dedicated_user(tmp_path: Path) -> None:
    with SshdServer(tmp_path / "pw", user="hvrtpw", password="S3cret-'pw\"") as srv:
        askpass = tmp_path / "askpass.sh"
        askpass.write_text("#!/bin/sh\nprintf '%s\\n' 'S3cret-'\"'\"'pw\"'\n")
        askpass.chmod(0o755)
        result = subprocess.run(
            ["ssh", "-F", "/dev/null", "-o", f"UserKnownHostsFile={srv.known_hosts}",
             "-o", "PubkeyAuthentication=no", "-o", "PreferredAuthentications=password",
             "-p", str(srv.port), f"{srv.user}@{srv.address}", "id -un"],
            capture_output=True, text=True, timeout=30, stdin=subprocess.DEVNULL,
            env={"SSH_ASKPASS": str(askpass), "SSH_ASKPASS_REQUIRE": "force", "DISPLAY": ":0",
                 "PATH": "/usr/bin:/bin"},
        )
        assert result.returncode == 0, result.stderr
        assert result.stdout.strip() == "hvrtpw"
