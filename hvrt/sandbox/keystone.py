"""A real OpenStack Keystone on a loopback address, for the sandbox lab and tests.

The sandbox controller's cloud is a genuine Keystone (the pip package, from the venv
of :mod:`hvrt.sandbox.venvs`) with sqlite (no fsync per commit), fernet tokens,
cheap password hashes and an in-memory cache, served by one gunicorn worker (sqlite locks up under two). Everything it writes
stays in one state folder: config, database, key repositories, logs, pid.

Used by the sandbox's DevStack stand-in and by the Tempest runner's tests::

    python -m hvrt.sandbox.keystone up --state-dir D --address 127.0.0.1 --port 0 \\
        --password-file F      # daemonises, prints {"auth_url": ..., "pid": ...};
                               # when one already runs from D, prints that one
    python -m hvrt.sandbox.keystone down --state-dir D

:func:`write_tempest_conf` and :func:`tempest_init` prepare a Tempest workspace
that tests this Keystone (identity v3 only, every other service unavailable).
"""
from __future__ import annotations

import argparse
import configparser
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from hvrt.config.model import Secret
from hvrt.errors import InfrastructureError
from hvrt.sandbox import keystone_warm, venvs

WSGI_MODULE = "hvrt_keystone_wsgi"
_WSGI_SOURCE = '''"""Load Keystone's WSGI app for gunicorn (written by hvrt.sandbox.keystone)."""
import sys

# Keystone parses the process's command line as its own options; gunicorn's are not.
sys.argv = sys.argv[:1]

from keystone.wsgi.api import application  # noqa: E402,F401
'''
STATE_FILE = "server.json"
LOG_FILE = "keystone.log"
REGION = "RegionOne"


def free_port(address: str) -> int:
    """A TCP port that is free on ``address`` right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((address, 0))
        return int(sock.getsockname()[1])


def _check_loopback(address: str) -> None:
    if not address.startswith("127."):
        raise InfrastructureError(f"the sandbox Keystone only listens on loopback, not {address!r}")


class KeystoneServer:
    """Keystone in ``state_dir`` on ``address:port`` (``port=0`` picks a free one).

    Call order: :meth:`start` (configure, initialise, launch, wait until it answers)
    -> use :attr:`auth_url` -> :meth:`stop`. Also a context manager. The admin
    password is handed to ``keystone-manage bootstrap`` through its environment and
    never written to a log or to the state folder.
    """

    def __init__(
        self,
        state_dir: Path | str,
        address: str = "127.0.0.1",
        port: int = 0,
        admin_password: str | Secret = "",
        *,
        venv: Path | None = None,
        start_timeout: float = 120.0,
    ) -> None:
        _check_loopback(address)
        self.state_dir = Path(state_dir).resolve()
        self.address = address
        self.port = port
        self._password = admin_password.reveal() if isinstance(admin_password, Secret) else admin_password
        if not self._password:
            raise InfrastructureError("Keystone needs an admin password")
        self.venv = venv or venvs.venv_dir("keystone")
        self.start_timeout = start_timeout
        self.pid: int | None = None
        self._proc: subprocess.Popen[bytes] | None = None

    # ----------------------------------------------------------------- paths
    @property
    def auth_url(self) -> str:
        return f"http://{self.address}:{self.port}/v3"

    @property
    def log_path(self) -> Path:
        return self.state_dir / LOG_FILE

    def _env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("OS_")}
        env["OS_KEYSTONE_CONFIG_DIR"] = str(self.state_dir / "etc")
        env["PYTHONWARNINGS"] = "ignore"
        return env

    # ------------------------------------------------------------- lifecycle
    def start(self) -> KeystoneServer:
        if not (self.venv / "bin" / "gunicorn").exists():
            raise InfrastructureError(f"no Keystone venv at {self.venv} (run: python -m hvrt.sandbox.venvs ensure)")
        if running_info(self.state_dir) is not None:
            raise InfrastructureError(f"a Keystone already runs from {self.state_dir}", step="keystone")
        if self.port == 0:
            self.port = free_port(self.address)
        self.state_dir.mkdir(parents=True, exist_ok=True)
        self._write_config()
        self._initialise()
        self._launch()
        self._wait_ready()
        keystone_warm.warm_up(self.auth_url, self._password)  # the first test run would pay for it
        return self

    def _write_config(self) -> None:
        etc = self.state_dir / "etc"
        etc.mkdir(exist_ok=True)
        conf = configparser.RawConfigParser()
        sections = {
            "DEFAULT": {"debug": "false", "use_stderr": "true"},
            # no fsync per commit: Tempest's dynamic credentials write users and projects
            # for every test class; the database is thrown away with the lab
            "database": {"connection": f"sqlite:///{self.state_dir / 'keystone.db'}",
                         "sqlite_synchronous": "false"},
            "token": {"provider": "fernet"},
            "fernet_tokens": {"key_repository": str(self.state_dir / "fernet-keys")},
            "fernet_receipts": {"key_repository": str(self.state_dir / "receipt-keys")},
            "credential": {"key_repository": str(self.state_dir / "credential-keys")},
            "identity": {"password_hash_rounds": "4"},
            "cache": {"enabled": "true", "backend": "dogpile.cache.memory"},
        }
        for name, values in sections.items():
            if name != "DEFAULT":
                conf.add_section(name)
            for key, value in values.items():
                conf.set(name, key, value)
        with open(etc / "keystone.conf", "w") as fh:
            conf.write(fh)
        (self.state_dir / f"{WSGI_MODULE}.py").write_text(_WSGI_SOURCE)

    def _manage(self, *commands: tuple[str, ...], env: dict[str, str] | None = None) -> None:
        """Run ``keystone-manage`` commands side by side (each one costs seconds of
        imports); one that failed runs once more on its own (side by side they share the
        key folders' parents and, rarely, trip over each other); raise naming what failed."""
        failed = self._manage_together(commands, env)
        if failed:
            still: dict[str, str] = {}
            for args in (a for a in commands if a[0] in failed):
                still.update(self._manage_together((args,), env))
            if still:
                raise InfrastructureError("; ".join(f"keystone-manage {n} {how}" for n, how in still.items()),
                                          step="keystone", detail=self.log_tail())

    def _manage_together(self, commands: tuple[tuple[str, ...], ...],
                         env: dict[str, str] | None) -> dict[str, str]:
        """Start ``commands`` at once and wait for all: ``{name: how it failed}``."""
        conf = str(self.state_dir / "etc" / "keystone.conf")
        running: list[tuple[str, subprocess.Popen[bytes]]] = []
        with open(self.log_path, "ab") as log:
            for args in commands:
                argv = [str(self.venv / "bin" / "keystone-manage"), "--config-file", conf, *args]
                running.append((args[0], subprocess.Popen(
                    argv, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, env=env or self._env(),
                )))
        deadline = time.monotonic() + self.start_timeout
        failed: dict[str, str] = {}
        for name, proc in running:
            try:
                code = proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
                failed[name] = "timed out"
                continue
            if code != 0:
                failed[name] = f"exited {code}"
        return failed

    def _initialise(self) -> None:
        owner = ("--keystone-user", _user(), "--keystone-group", _group())
        # The key repositories do not depend on the database or on each other.
        self._manage(("db_sync",), ("fernet_setup", *owner), ("receipt_setup", *owner), ("credential_setup", *owner))
        base = self.auth_url.removesuffix("/v3")
        self._manage((
            "bootstrap", "--bootstrap-username", "admin", "--bootstrap-project-name", "admin",
            "--bootstrap-role-name", "admin", "--bootstrap-region-id", REGION,
            "--bootstrap-public-url", base, "--bootstrap-internal-url", base, "--bootstrap-admin-url", base,
        ), env=self._env() | {"OS_BOOTSTRAP_PASSWORD": self._password})

    def _launch(self) -> None:
        argv = [
            str(self.venv / "bin" / "gunicorn"), "--no-control-socket", "--workers", "1",
            "--bind", f"{self.address}:{self.port}", "--chdir", str(self.state_dir),
            "--pythonpath", str(self.state_dir), "--timeout", "120",
            "--error-logfile", "-", f"{WSGI_MODULE}:application",
        ]
        log = open(self.log_path, "ab")  # noqa: SIM115 - handed to the child
        try:
            self._proc = subprocess.Popen(
                argv, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                env=self._env(), cwd=self.state_dir, start_new_session=True,
            )
        finally:
            log.close()
        self.pid = self._proc.pid
        state = {"pid": self.pid, "auth_url": self.auth_url, "address": self.address, "port": self.port}
        (self.state_dir / STATE_FILE).write_text(json.dumps(state) + "\n")

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + self.start_timeout
        while time.monotonic() < deadline:
            if self._proc is not None and self._proc.poll() is not None:
                raise InfrastructureError(
                    f"gunicorn exited {self._proc.returncode} before Keystone answered",
                    step="keystone", detail=self.log_tail(),
                )
            if answers(self.auth_url):
                return
            time.sleep(0.2)
        self.stop()
        raise InfrastructureError(
            f"Keystone did not answer at {self.auth_url} within {self.start_timeout:.0f}s",
            step="keystone", detail=self.log_tail(),
        )

    def stop(self, timeout: float = 15.0) -> None:
        """Stop gunicorn (its whole process group); safe to call twice."""
        if self.pid is None:
            return
        stop_group(self.pid, timeout, self._proc)
        self.pid, self._proc = None, None
        (self.state_dir / STATE_FILE).unlink(missing_ok=True)

    def log_tail(self, lines: int = 30) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    def __enter__(self) -> KeystoneServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def answers(url: str, timeout: float = 2.0) -> bool:
    """True when ``url`` answers HTTP 200."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as resp:
            return bool(resp.status == 200)
    except (urllib.error.URLError, OSError):
        return False


def stop_group(pid: int, timeout: float, proc: subprocess.Popen[bytes] | None = None) -> None:
    """SIGTERM the process group led by ``pid``, SIGKILL it after ``timeout``."""
    try:
        os.killpg(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None:
            if proc.poll() is not None:
                return
        elif not _alive(pid):
            return
        time.sleep(0.1)
    try:
        os.killpg(pid, signal.SIGKILL)
    except ProcessLookupError:
        return
    if proc is not None:
        proc.wait(timeout=5)


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().split(")")[-1].split()[0] != "Z"
    except OSError:
        return False


def _user() -> str:
    import pwd

    return pwd.getpwuid(os.getuid()).pw_name


def _group() -> str:
    import grp

    return grp.getgrgid(os.getgid()).gr_name


def running_info(state_dir: Path | str) -> dict[str, object] | None:
    """The state file of the Keystone running from ``state_dir``, or ``None``.

    Only a live process whose command line names that state folder counts, so a
    stale pid file never points at an unrelated process.
    """
    state_dir = Path(state_dir).resolve()
    try:
        state = json.loads((state_dir / STATE_FILE).read_text())
        pid = int(state["pid"])
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if str(state_dir).encode() in cmdline and _alive(pid):
        return dict(state)
    return None


def stop_state_dir(state_dir: Path | str, timeout: float = 15.0) -> bool:
    """Stop the Keystone running from ``state_dir``; False if none ran."""
    state_dir = Path(state_dir).resolve()
    info = running_info(state_dir)
    if info is not None:
        stop_group(int(str(info["pid"])), timeout)
    (state_dir / STATE_FILE).unlink(missing_ok=True)
    return info is not None


# ------------------------------------------------------------------ Tempest side
def tempest_conf_values(auth_url: str, admin_password: str) -> dict[str, dict[str, str]]:
    """tempest.conf sections that point Tempest at this Keystone only."""
    unavailable = ("nova", "neutron", "glance", "cinder", "swift", "horizon")
    return {
        "auth": {
            "use_dynamic_credentials": "true",
            "admin_username": "admin",
            "admin_password": admin_password,
            "admin_project_name": "admin",
            "admin_domain_name": "Default",
        },
        "identity": {
            "uri_v3": auth_url,
            "auth_version": "v3",
            "region": REGION,
            "v3_endpoint_type": "public",
        },
        "identity-feature-enabled": {
            "api_v3": "true",
            "trust": "true",
            "project_tags": "true",
            "application_credentials": "true",
            "access_rules": "true",
        },
        "service_available": {name: "false" for name in unavailable},
        "validation": {"run_validation": "false"},
    }


def write_tempest_conf(path: Path | str, auth_url: str, admin_password: str | Secret) -> Path:
    """Write a tempest.conf that tests the Keystone at ``auth_url`` (identity v3)."""
    password = admin_password.reveal() if isinstance(admin_password, Secret) else admin_password
    conf = configparser.RawConfigParser()
    for section, values in tempest_conf_values(auth_url, password).items():
        conf.add_section(section)
        for key, value in values.items():
            conf.set(section, key, value)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w") as fh:
        conf.write(fh)
    os.chmod(path, 0o600)
    return path


def tempest_init(workspace: Path | str, config_dir: Path | str, *, timeout: float = 120.0) -> Path:
    """``tempest init`` a workspace from ``config_dir`` (holding tempest.conf).

    The workspace registry and the entry-point cache of Tempest's plugin loader
    go next to the workspace, so nothing is written under ``~``. Returns the
    workspace's ``etc/tempest.conf``.
    """
    workspace = Path(workspace).resolve()
    env = {**os.environ, "XDG_CACHE_HOME": str(workspace.parent / ".cache")}
    argv = [
        str(venvs.venv_bin("tempest", "tempest")), "init", "--config-dir", str(Path(config_dir).resolve()),
        "--workspace-path", str(workspace.parent / "workspace.yaml"), str(workspace),
    ]
    proc = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, check=False, env=env)
    if proc.returncode != 0:
        raise InfrastructureError(
            f"tempest init exited {proc.returncode}", step="tempest", detail=(proc.stdout + proc.stderr)[-2000:]
        )
    return workspace / "etc" / "tempest.conf"


# ---------------------------------------------------------------------- CLI
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m hvrt.sandbox.keystone", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    up = sub.add_parser("up", help="start Keystone in the background and print its auth URL (JSON)")
    up.add_argument("--state-dir", required=True, type=Path)
    up.add_argument("--address", default="127.0.0.1")
    up.add_argument("--port", type=int, default=0)
    up.add_argument("--password-file", required=True, type=Path, help="file holding the admin password")
    down = sub.add_parser("down", help="stop the Keystone of a state folder")
    down.add_argument("--state-dir", required=True, type=Path)
    args = parser.parse_args(argv)
    try:
        if args.command == "down":
            stopped = stop_state_dir(args.state_dir)
            print(json.dumps({"stopped": stopped}))
            return 0
        already = running_info(args.state_dir)
        if already is not None:  # up is idempotent: report the running one
            print(json.dumps({"auth_url": already["auth_url"], "pid": already["pid"]}), flush=True)
            return 0
        password = args.password_file.read_text().strip()
        server = KeystoneServer(args.state_dir, args.address, args.port, password).start()
    except (InfrastructureError, OSError) as exc:
        detail = getattr(exc, "detail", "")
        print(f"error: {exc}" + (f"\n{detail}" if detail else ""), file=sys.stderr)
        return 3
    print(json.dumps({"auth_url": server.auth_url, "pid": server.pid}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
