"""A real OpenSSH server on a loopback address, for the sandbox controller and tests.

The sandbox lab reaches its controller over genuine SSH when OpenSSH's server is
installed, and every test of an SSH-based piece (the transport, the DevStack
deployer, salt-ssh, Puppet over SSH) talks to the same kind of server. One
:class:`SshdServer` owns everything it needs in one work folder: its own host key,
an ``sshd_config`` (``UsePAM no``, ``StrictModes no``, internal SFTP), a client key
pair that is authorised for the test user, and a ``known_hosts`` file naming its
host key. Nothing of the machine's own sshd is touched.

Run as root (CI and the sandbox's usual case) it logs in as a test user whose shell
is ``/bin/sh`` (created with ``useradd`` when missing; a login shell with heavier
start-up files costs ~0.3 s per command). Files the user must read or write live in
:attr:`SshdServer.user_dir`, a folder owned by that user, because the work folder
may sit under a directory only root can enter. Run as another user, sshd can only
log that same user in, so ``user`` is ignored.

Usage::

    with SshdServer(tmp_path / "sshd") as server:
        ssh(server.address, server.port, server.user, key=server.client_key,
            known_hosts=server.known_hosts)

    python -m hvrt.sandbox.sshd up --workdir D    # foreground, prints JSON, Ctrl-C stops
"""
from __future__ import annotations

import argparse
import json
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from hvrt.errors import InfrastructureError

SSHD = "/usr/sbin/sshd"
SSH_KEYGEN = "ssh-keygen"
PRIVSEP_DIR = Path("/run/sshd")
START_TIMEOUT = 15.0


def sshd_available() -> bool:
    """True when OpenSSH's server and ``ssh-keygen`` are installed."""
    return os.access(SSHD, os.X_OK) and shutil.which(SSH_KEYGEN) is not None


def _free_port(address: str) -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((address, 0))
        return int(sock.getsockname()[1])


def _run(argv: list[str], *, stdin: str | None = None, timeout: float = 30.0) -> str:
    try:
        proc = subprocess.run(argv, input=stdin, capture_output=True, text=True, timeout=timeout)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise InfrastructureError(f"{argv[0]} failed: {exc}", step="sshd") from None
    if proc.returncode != 0:
        raise InfrastructureError(
            f"{argv[0]} exited {proc.returncode}", step="sshd", detail=(proc.stdout + proc.stderr)[-2000:]
        )
    return proc.stdout


def generate_key(path: Path, kind: str = "ed25519", comment: str = "hvrt") -> str:
    """Create an unencrypted key pair at ``path`` (and ``path.pub``); return the public line."""
    path.parent.mkdir(parents=True, exist_ok=True)
    for old in (path, path.with_name(path.name + ".pub")):
        old.unlink(missing_ok=True)
    _run([SSH_KEYGEN, "-q", "-t", kind, "-N", "", "-C", comment, "-f", str(path)])
    path.chmod(0o600)
    return path.with_name(path.name + ".pub").read_text().strip()


def known_hosts_line(address: str, port: int, public_line: str) -> str:
    """A known_hosts entry for a server's public key line (``type base64 [comment]``)."""
    kind, blob = public_line.split()[:2]
    host = address if port == 22 else f"[{address}]:{port}"
    return f"{host} {kind} {blob}"


def ensure_user(user: str, password: str | None = None) -> pwd.struct_passwd:
    """Create ``user`` (shell ``/bin/sh``) when missing; make key (or password) login work.

    Without PAM, sshd refuses a user whose password field is locked (``!``), even
    for key authentication; ``*`` means "no password" and lets keys in.
    """
    try:
        entry = pwd.getpwnam(user)
    except KeyError:
        proc = subprocess.run(
            ["useradd", "--create-home", "--shell", "/bin/sh", user],
            capture_output=True, text=True, timeout=30,
        )
        if proc.returncode not in (0, 9):  # 9: created meanwhile by another process
            raise InfrastructureError(f"useradd {user} failed: {proc.stderr.strip()}", step="sshd") from None
        entry = pwd.getpwnam(user)
    if password is not None:
        _run(["chpasswd"], stdin=f"{user}:{password}\n")
    elif _password_locked(user):
        _run(["usermod", "-p", "*", user])
    return entry


def _password_locked(user: str) -> bool:
    try:
        with open("/etc/shadow", encoding="utf-8") as fh:
            for line in fh:
                name, _, rest = line.partition(":")
                if name == user:
                    return rest.startswith("!")
    except OSError:
        return False
    return False


class SshdServer:
    """One OpenSSH server on ``address:port`` with its own keys, config and test user.

    Call order: construct (no I/O) -> :meth:`start` -> use :attr:`client_key`,
    :attr:`known_hosts`, :attr:`user_dir` -> :meth:`stop` (or use it as a context
    manager). ``port=0`` picks a free port. ``password``, when given, is set on the
    user and enables password authentication (the user is shared by every server
    that names it, so give password tests a user of their own).
    """

    def __init__(
        self,
        workdir: Path | str,
        address: str = "127.0.0.1",
        port: int = 0,
        user: str = "hvrt",
        *,
        password: str | None = None,
        extra_config: dict[str, str] | None = None,
    ) -> None:
        if not address.startswith("127."):
            raise InfrastructureError(f"the test sshd listens on loopback only, not {address!r}")
        self.workdir = Path(workdir).absolute()
        self.address = address
        self.port = port
        self.is_root = os.geteuid() == 0
        self.user = user if self.is_root else pwd.getpwuid(os.geteuid()).pw_name
        self.password = password
        self.extra_config = dict(extra_config or {})
        self.host_key = self.workdir / "ssh_host_ed25519_key"
        self.client_key = self.workdir / "id_ed25519"
        self.known_hosts = self.workdir / "known_hosts"
        self.config_file = self.workdir / "sshd_config"
        self.log_file = self.workdir / "sshd.log"
        self.host_public_line = ""
        self.user_dir: Path = self.workdir / "user"
        self._proc: subprocess.Popen[bytes] | None = None
        self._log_fh: object | None = None

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> SshdServer:
        if self._proc is not None:
            return self
        if not sshd_available():
            raise InfrastructureError(f"OpenSSH server not installed ({SSHD})", step="sshd")
        self.workdir.mkdir(parents=True, exist_ok=True)
        entry = ensure_user(self.user, self.password) if self.is_root else pwd.getpwuid(os.geteuid())
        self.host_public_line = generate_key(self.host_key, comment="hvrt-sshd-host")
        client_public = generate_key(self.client_key, comment=f"hvrt-client@{self.address}")
        self._make_user_dir(entry)
        authorized = self.user_dir / "authorized_keys"
        authorized.write_text(client_public + "\n")
        authorized.chmod(0o644)
        if self.is_root:
            PRIVSEP_DIR.mkdir(mode=0o755, exist_ok=True)
        last_error = ""
        for _attempt in range(5):
            port = self.port or _free_port(self.address)
            self.config_file.write_text(self._config_text(port, authorized))
            try:
                self._spawn(port)
            except InfrastructureError as exc:
                last_error = str(exc)
                if self.port:  # a fixed port that is taken will not free itself
                    break
                continue
            self.port = port
            self.known_hosts.write_text(self.host_key_line + "\n")
            return self
        raise InfrastructureError(f"sshd did not start: {last_error}", step="sshd", detail=self.log_tail())

    def stop(self) -> None:
        proc, self._proc = self._proc, None
        if proc is not None:
            for pid in self.session_pids():
                _kill(pid, signal.SIGTERM)
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        if self._log_fh is not None:
            self._log_fh.close()  # type: ignore[attr-defined]
            self._log_fh = None
        if self.user_dir != self.workdir / "user":
            shutil.rmtree(self.user_dir, ignore_errors=True)

    def __enter__(self) -> SshdServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ------------------------------------------------------------------ details

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc is not None else None

    @property
    def host_key_line(self) -> str:
        """This server's known_hosts entry (``[address]:port type base64``)."""
        return known_hosts_line(self.address, self.port, self.host_public_line)

    def write_known_hosts(self, path: Path | str) -> Path:
        """Append this server's known_hosts entry to ``path`` (created when missing)."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a", encoding="utf-8") as fh:
            fh.write(self.host_key_line + "\n")
        return path

    def session_pids(self) -> list[int]:
        """Process ids under the listening sshd: per-connection monitors, their
        unprivileged children and the commands they run (kill them to drop sessions)."""
        if self._proc is None:
            return []
        parents: dict[int, list[int]] = {}
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                ppid = int(stat.read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            parents.setdefault(ppid, []).append(int(stat.parent.name))
        found: list[int] = []
        todo = list(parents.get(self._proc.pid, []))
        while todo:
            pid = todo.pop()
            found.append(pid)
            todo.extend(parents.get(pid, []))
        return sorted(found)

    def drop_sessions(self) -> int:
        """Kill every open SSH session of this server abruptly (as a network cut or a
        crashed host would); returns how many processes were killed."""
        pids = self.session_pids()
        for pid in pids:
            _kill(pid, signal.SIGKILL)
        return len(pids)

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_file.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def info(self) -> dict[str, object]:
        return {
            "address": self.address, "port": self.port, "user": self.user, "pid": self.pid,
            "client_key": str(self.client_key), "known_hosts": str(self.known_hosts),
            "user_dir": str(self.user_dir), "host_key_line": self.host_key_line,
        }

    def _make_user_dir(self, entry: pwd.struct_passwd) -> None:
        if not self.is_root:
            self.user_dir.mkdir(exist_ok=True)
            return
        # The user must reach this folder, so it cannot live under a root-only tree.
        self.user_dir = Path(tempfile.mkdtemp(prefix=f"hvrt-sshd-{self.user}-"))
        os.chown(self.user_dir, entry.pw_uid, entry.pw_gid)
        self.user_dir.chmod(0o755)

    def _config_text(self, port: int, authorized: Path) -> str:
        settings = {
            "Port": str(port),
            "ListenAddress": self.address,
            "HostKey": str(self.host_key),
            "PidFile": str(self.workdir / "sshd.pid"),
            "AuthorizedKeysFile": str(authorized),
            "UsePAM": "no",
            "StrictModes": "no",
            "PubkeyAuthentication": "yes",
            "PasswordAuthentication": "yes" if self.password is not None else "no",
            "KbdInteractiveAuthentication": "no",
            "PermitRootLogin": "yes" if self.user == "root" else "no",
            "AllowUsers": self.user,
            "Subsystem": "sftp internal-sftp",
            "PrintMotd": "no",
            "X11Forwarding": "no",
            "MaxStartups": "100",
            "MaxSessions": "100",
            "LogLevel": "INFO",
            **self.extra_config,
        }
        if not self.is_root:
            settings.pop("AllowUsers")
        return "".join(f"{key} {value}\n" for key, value in settings.items())

    def _spawn(self, port: int) -> None:
        if self._log_fh is None:
            self._log_fh = self.log_file.open("ab")
        offset = self.log_file.stat().st_size
        proc = subprocess.Popen(
            [SSHD, "-D", "-e", "-f", str(self.config_file)],
            stdin=subprocess.DEVNULL, stdout=self._log_fh, stderr=self._log_fh,  # type: ignore[arg-type]
            start_new_session=True,
        )
        # Another server may hold the port already: wait for *this* sshd to say it listens.
        ready = f"Server listening on {self.address} port {port}."
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise InfrastructureError(f"sshd exited {proc.returncode} on port {port}", step="sshd")
            if ready in self._log_since(offset) and _banner(self.address, port):
                self._proc = proc
                return
            time.sleep(0.05)
        proc.kill()
        proc.wait()
        raise InfrastructureError(f"sshd did not answer on port {port} within {START_TIMEOUT:.0f}s", step="sshd")

    def _log_since(self, offset: int) -> str:
        with self.log_file.open("rb") as fh:
            fh.seek(offset)
            return fh.read().decode("utf-8", "replace")


def _banner(address: str, port: int) -> bool:
    try:
        with socket.create_connection((address, port), timeout=1.0) as sock:
            return sock.recv(64).startswith(b"SSH-")
    except OSError:
        return False


def _kill(pid: int, sig: int) -> None:
    try:
        os.kill(pid, sig)
    except ProcessLookupError:
        pass


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m hvrt.sandbox.sshd", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    up = sub.add_parser("up", help="run a test sshd in the foreground until interrupted")
    up.add_argument("--workdir", required=True)
    up.add_argument("--address", default="127.0.0.1")
    up.add_argument("--port", type=int, default=0)
    up.add_argument("--user", default="hvrt")
    args = parser.parse_args(argv)
    server = SshdServer(args.workdir, args.address, args.port, args.user)
    with server:
        print(json.dumps(server.info()), flush=True)
        signals = {signal.SIGINT, signal.SIGTERM}
        signal.pthread_sigmask(signal.SIG_BLOCK, signals)
        signal.sigwait(signals)
    return 0


if __name__ == "__main__":
    sys.exit(main())
