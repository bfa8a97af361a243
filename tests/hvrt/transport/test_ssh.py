"""The SSH transport against a real OpenSSH server on loopback."""
from __future__ import annotations

import contextlib
import logging
import os
import signal
import threading
import time
from pathlib import Path

import pytest

from hvrt.config.model import Host, Secret
from hvrt.errors import RemoteTimeout, TransportError
from hvrt.redact import Redactor
from hvrt.sandbox.sshd import SshdServer, generate_key, known_hosts_line
from hvrt.transport.ssh import SSHTransport, build_command

from .processes import gone, wait_for

pytestmark = pytest.mark.sshd


def make(server: SshdServer, **kwargs: object) -> SSHTransport:
    options = {"port": server.port, "user": server.user, "key_file": str(server.client_key),
               "known_hosts": server.known_hosts, "allow_agent": False, **kwargs}
    return SSHTransport("controller", server.address, **options)  # type: ignore[arg-type]


@pytest.fixture
def ssh(sshd_server: SshdServer):
    transport = make(sshd_server)
    yield transport
    transport.close()


def test_runs_a_command_and_reports_exit_code_and_streams(ssh: SSHTransport) -> None:
    result = ssh.run(["sh", "-c", "echo out; echo err >&2; exit 3"])
    assert (result.exit_code, result.stdout, result.stderr) == (3, "out\n", "err\n")
    with pytest.raises(TransportError, match="exited 3") as info:
        ssh.run(["sh", "-c", "echo boom-tail; exit 3"], check=True)
    assert "boom-tail" in info.value.detail


def test_values_pass_through_literally(ssh: SSHTransport, sshd_server: SshdServer) -> None:
    nasty = "it's \"q\" $(touch /tmp/hvrt-pwned) ; `id` && echo x | y\nsecond line $HOME \\ *"
    result = ssh.run(["printf", "%s", nasty], check=True)
    assert result.stdout == nasty
    env_result = ssh.run(["sh", "-c", 'printf %s "$NASTY"'], env={"NASTY": nasty}, check=True)
    assert env_result.stdout == nasty
    odd_dir = sshd_server.user_dir / "dir with 'quote' and $(x)"
    odd_dir.mkdir(exist_ok=True)
    os.chown(odd_dir, sshd_server.user_dir.stat().st_uid, -1)
    assert ssh.run(["pwd"], cwd=str(odd_dir), check=True).stdout == f"{odd_dir}\n"
    assert not Path("/tmp/hvrt-pwned").exists()
    assert ssh.run(["cat"], stdin=nasty.encode()).stdout == nasty


def test_bad_command_inputs_are_refused_before_sending() -> None:
    with pytest.raises(TransportError, match="empty command"):
        build_command([])
    with pytest.raises(TransportError, match="invalid environment variable"):
        build_command(["true"], env={"A;rm -rf /": "x"})


def test_output_is_streamed_while_the_command_runs(ssh: SSHTransport) -> None:
    seen: list[tuple[float, str, str]] = []
    started = time.monotonic()
    result = ssh.run(
        ["sh", "-c", "for i in 1 2 3; do echo line$i; echo warn$i >&2; sleep 0.4; done"],
        on_output=lambda stream, line: seen.append((time.monotonic() - started, stream, line)),
    )
    finished = result.duration
    assert [line for _, s, line in seen if s == "stdout"] == ["line1", "line2", "line3"]
    assert [line for _, s, line in seen if s == "stderr"] == ["warn1", "warn2", "warn3"]
    first = min(t for t, _, line in seen if line == "line1")
    assert first < finished - 0.6, (first, finished)


def test_command_timeout_kills_the_remote_process(ssh: SSHTransport) -> None:
    marker = "hvrt-timeout-marker-7731"
    started = time.monotonic()
    with pytest.raises(RemoteTimeout, match="did not finish within 1s"):
        ssh.run(["sh", "-c", f"sleep 30; echo {marker}", marker], timeout=1)
    assert time.monotonic() - started < 5
    left = ssh.run(["sh", "-c", f"ps -eo args | grep -c '^sh -c sleep 30; echo {marker}' || true"])
    assert left.stdout.strip() == "0"


def test_dropped_connection_fails_the_command_then_reconnects(
        ssh: SSHTransport, sshd_server: SshdServer) -> None:
    assert ssh.run(["true"]).ok
    assert ssh.connections == 1
    killer = threading.Timer(0.5, sshd_server.drop_sessions)
    killer.start()
    with pytest.raises(TransportError, match="connection lost"):
        ssh.run(["sleep", "10"], timeout=20)
    killer.join()
    assert ssh.run(["echo", "back"]).stdout == "back\n"
    assert ssh.connections == 2


def test_close_aborts_a_running_command(ssh: SSHTransport) -> None:
    threading.Timer(0.5, ssh.close).start()
    started = time.monotonic()
    with pytest.raises(TransportError, match="transport closed"):
        ssh.run(["sleep", "20"])
    assert time.monotonic() - started < 10
    with pytest.raises(TransportError, match="closed"):
        ssh.run(["true"])


def test_changed_host_key_is_refused_even_with_trust_on_first_use(
        sshd_server: SshdServer, tmp_path: Path) -> None:
    other = generate_key(tmp_path / "impostor")
    known = tmp_path / "known_hosts"
    known.write_text(known_hosts_line(sshd_server.address, sshd_server.port, other) + "\n")
    transport = make(sshd_server, known_hosts=known, trust_on_first_use=True)
    with pytest.raises(TransportError, match="does not match"):
        transport.run(["true"])
    assert known.read_text().count("\n") == 1


def test_unknown_host_key_is_refused_unless_trusted(sshd_server: SshdServer, tmp_path: Path) -> None:
    known = tmp_path / "ssh" / "known_hosts"
    with pytest.raises(TransportError, match="unknown host key"):
        make(sshd_server, known_hosts=known).run(["true"])
    assert not known.exists()
    trusting = make(sshd_server, known_hosts=known, trust_on_first_use=True)
    assert trusting.run(["true"]).ok
    trusting.close()
    assert known.read_text().split() == sshd_server.host_key_line.split()
    strict = make(sshd_server, known_hosts=known)
    assert strict.run(["true"]).ok
    strict.close()


def test_folder_upload_and_download_round_trip(ssh: SSHTransport, sshd_server: SshdServer,
                                               tmp_path: Path) -> None:
    source = tmp_path / "tree"
    (source / "sub" / "deeper").mkdir(parents=True)
    (source / "a.txt").write_text("alpha\n")
    (source / "sub" / "bin.dat").write_bytes(bytes(range(256)) * 100)
    (source / "sub" / "deeper" / "empty").write_bytes(b"")
    (source / "run.sh").write_text("#!/bin/sh\necho ran\n")
    (source / "run.sh").chmod(0o755)
    remote = f"{sshd_server.user_dir}/upload/nested/tree"
    ssh.put(source, remote)
    assert ssh.run([f"{remote}/run.sh"]).stdout == "ran\n"
    listing = ssh.run(["find", remote, "-type", "f"], check=True).stdout.split()
    assert sorted(Path(p).relative_to(remote).as_posix() for p in listing) == [
        "a.txt", "run.sh", "sub/bin.dat", "sub/deeper/empty"]
    back = tmp_path / "back"
    ssh.get(remote, back)
    for path in source.rglob("*"):
        copy = back / path.relative_to(source)
        if path.is_file():
            assert copy.read_bytes() == path.read_bytes()
            assert copy.stat().st_mode & 0o7777 == 0o644  # downloads never keep remote mode bits
        else:
            assert copy.stat().st_mode & 0o7777 == 0o755
    assert ssh.run(["stat", "-c", "%a", f"{remote}/run.sh"]).stdout == "755\n"  # uploads keep them
    ssh.put(source / "a.txt", f"{sshd_server.user_dir}/single/a.txt")
    ssh.get(f"{sshd_server.user_dir}/single/a.txt", tmp_path / "one" / "a.txt")
    assert (tmp_path / "one" / "a.txt").read_text() == "alpha\n"
    with pytest.raises(TransportError, match="no such file"):
        ssh.get(f"{sshd_server.user_dir}/missing", tmp_path / "missing")


def test_for_host_reads_the_ssh_options(sshd_server: SshdServer) -> None:
    host = Host(
        name="ctl", role="controller", address=sshd_server.address, transport="ssh",
        user=sshd_server.user, key_file=str(sshd_server.client_key),
        options={"ssh": {"port": sshd_server.port, "known_hosts": str(sshd_server.known_hosts),
                         "connect_timeout": 3, "keepalive": 7, "allow_agent": False}},
    )
    transport = SSHTransport.for_host(host)
    try:
        assert (transport.port, transport.connect_timeout, transport.keepalive) == (sshd_server.port, 3.0, 7)
        assert transport.run(["id", "-un"]).stdout.strip() == sshd_server.user
        paramiko_transport = transport._client.get_transport()  # type: ignore[union-attr]
        assert paramiko_transport.packetizer._Packetizer__keepalive_interval == 7
    finally:
        transport.close()


def test_connection_refused_is_a_transport_error(sshd_server: SshdServer, tmp_path: Path) -> None:
    from hvrt.sandbox.keystone import free_port

    transport = make(sshd_server, port=free_port("127.0.0.1"), connect_timeout=2)
    with pytest.raises(TransportError, match="cannot connect"):
        transport.run(["true"])


@pytest.fixture(scope="module")
def password_server(tmp_path_factory: pytest.TempPathFactory):
    secret = "Pw-'9$(x)\"Zq-" + os.urandom(4).hex()
    with SshdServer(tmp_path_factory.mktemp("sshd-pw"), user="hvrtpw", password=secret) as srv:
        yield srv, secret


def test_password_auth_never_logs_the_password(password_server, caplog: pytest.LogCaptureFixture,
                                               capfd: pytest.CaptureFixture[str]) -> None:
    server, secret = password_server
    caplog.set_level(logging.DEBUG)
    logging.getLogger("paramiko").setLevel(logging.DEBUG)
    redactor = Redactor([secret])
    good = SSHTransport("pwhost", server.address, port=server.port, user=server.user,
                        password=Secret(secret, "env:PW"), known_hosts=server.known_hosts,
                        allow_agent=False, redactor=redactor)
    try:
        assert good.run(["echo", secret]).stdout == secret + "\n"
        with pytest.raises(TransportError) as info:
            good.run(["sh", "-c", f"echo {secret}; exit 4"], check=True)
        assert secret not in str(info.value) + info.value.detail
    finally:
        good.close()
    bad = SSHTransport("pwhost", server.address, port=server.port, user=server.user,
                       password=Secret(secret + "-wrong", "env:PW"), known_hosts=server.known_hosts,
                       allow_agent=False, redactor=redactor)
    with pytest.raises(TransportError, match="authentication .* failed") as failed:
        bad.run(["true"])
    assert secret not in str(failed.value)
    assert any(r.name.startswith("paramiko") and r.levelno == logging.DEBUG for r in caplog.records)
    assert "hvrt.transport.ssh" in {r.name for r in caplog.records}
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert secret not in logged
    out, err = capfd.readouterr()
    assert secret not in out + err


class _ClosedBeforeRegistering(SSHTransport):
    """close() runs between opening the command's channel and registering it."""

    def _session(self):  # type: ignore[no-untyped-def]
        chan = super()._session()
        closer = threading.Thread(target=self.close)
        closer.start()
        closer.join()
        return chan


class _ClosedBeforeThePid(SSHTransport):
    """close() starts after the command was sent and before its pid is known."""

    closer: threading.Thread | None = None

    def _note_pid(self, key: int, pid: int) -> None:
        self.noted = pid
        self.closer = threading.Thread(target=self.close)
        self.closer.start()
        wait_for(lambda: self._closed, "close() did not start")
        super()._note_pid(key, pid)


def test_close_before_a_command_is_registered_stops_it(sshd_server: SshdServer) -> None:
    options = {"port": sshd_server.port, "user": sshd_server.user, "key_file": str(sshd_server.client_key),
               "known_hosts": sshd_server.known_hosts, "allow_agent": False}
    transport = _ClosedBeforeRegistering("controller", sshd_server.address, **options)  # type: ignore[arg-type]
    marker = sshd_server.user_dir / f"ran-{os.getpid()}"  # writable by the server's user
    marker.unlink(missing_ok=True)
    with pytest.raises(TransportError, match=r"\[controller\].*aborted: transport closed"):
        transport.run(["touch", str(marker)])
    assert not transport._running and not marker.exists()


def test_close_before_the_pid_is_known_kills_the_command(sshd_server: SshdServer) -> None:
    options = {"port": sshd_server.port, "user": sshd_server.user, "key_file": str(sshd_server.client_key),
               "known_hosts": sshd_server.known_hosts, "allow_agent": False}
    transport = _ClosedBeforeThePid("controller", sshd_server.address, **options)  # type: ignore[arg-type]
    pidfile = sshd_server.user_dir / f"child-{os.getpid()}.pid"  # writable by the server's user
    pidfile.unlink(missing_ok=True)
    script = f"sleep 30 & echo $! > {pidfile}.tmp && mv {pidfile}.tmp {pidfile}; wait"
    errors: list[BaseException] = []

    def run() -> None:
        try:
            transport.run(["sh", "-c", script], timeout=60)
        except BaseException as exc:  # noqa: BLE001 - handed to the test thread
            errors.append(exc)

    runner = threading.Thread(target=run, daemon=True)
    runner.start()
    wait_for(lambda: pidfile.exists(), "the command never started its child")
    wait_for(lambda: transport.closer is not None, "close() never ran")
    child = int(pidfile.read_text())
    try:
        # Well under the child's 30 s: a command close() did not kill would still be sleeping.
        wait_for(lambda: gone(child), f"the remote sleep {child} outlived close()", limit=15)
        wait_for(lambda: gone(transport.noted), "the remote shell outlived close()", limit=15)
    finally:
        for pid in (child, getattr(transport, "noted", 0)):
            if pid > 1:
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.kill(pid, signal.SIGKILL)
    runner.join(timeout=15)
    assert transport.closer is not None
    transport.closer.join(timeout=15)
    assert len(errors) == 1 and "aborted: transport closed" in str(errors[0]), errors
    assert not transport._running
    pidfile.unlink()
