"""Fixtures of the Puppet tests: a Linux test node reached through a real transport.

The node is the test lab's loopback sshd (``hvrt.sandbox.sshd``) logged in as its
non-root test user when OpenSSH and hvrt's SSH transport are present, else this
machine through the local transport. Either way Puppet really runs.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from hvrt_puppet import shipped_modules

from hvrt.config.model import Host
from hvrt.transport.base import Transport

PUPPET = shutil.which("puppet")
needs_puppet = pytest.mark.skipif(PUPPET is None, reason="puppet is not installed")


def _ssh_available() -> bool:
    try:
        import hvrt.transport.ssh  # noqa: F401
        from hvrt.sandbox.sshd import sshd_available
    except ImportError:
        return False
    return sshd_available() and os.geteuid() == 0


@dataclass
class LinuxNode:
    """A node Puppet configures: its lab entry, a folder it may write, how to reach it."""

    host: Host
    dir: Path
    open: Callable[[], Transport]
    over_ssh: bool
    user: str
    cleanups: list[Callable[[], None]] = field(default_factory=list)

    def host_with(self, **puppet: object) -> Host:
        """This node's lab entry with a ``puppet:`` block."""
        from dataclasses import replace

        return replace(self.host, configurator="puppet", options={**self.host.options, "puppet": dict(puppet)})

    def fresh_dir(self, name: str) -> Path:
        """An empty folder the node's user owns."""
        folder = self.dir / name
        if folder.exists():
            shutil.rmtree(folder)
        folder.mkdir(parents=True)
        if self.over_ssh:
            shutil.chown(folder, self.user, self.user)
        return folder


@pytest.fixture(scope="session")
def linux_node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LinuxNode]:
    if PUPPET is None:
        pytest.skip("puppet is not installed")
    if _ssh_available():
        from hvrt.sandbox.sshd import SshdServer
        from hvrt.transport.ssh import SSHTransport

        server = SshdServer(tmp_path_factory.mktemp("puppet-sshd"), address="127.0.0.61", user="hvrt").start()
        host = Host(
            "lin1", "node", server.address, "ssh", port=server.port, user=server.user,
            key_file=str(server.client_key), labels={"os": "2012r2"},
            options={"ssh": {"known_hosts": str(server.known_hosts)}},
        )
        node = LinuxNode(host, server.user_dir, lambda: SSHTransport.for_host(host), True, server.user)
        try:
            yield node
        finally:
            server.stop()
        return
    from hvrt.transport.local import LocalTransport

    folder = Path(tempfile.mkdtemp(prefix="hvrt-puppet-node-"))
    host = Host("lin1", "node", "127.0.0.1", "local", labels={"os": "2012r2"})
    yield LinuxNode(host, folder, lambda: LocalTransport("lin1"), False, os.environ.get("USER", "root"))
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def node_transport(linux_node: LinuxNode) -> Iterator[Transport]:
    transport = linux_node.open()
    yield transport
    transport.close()


@pytest.fixture(scope="session")
def module_path() -> Path:
    return shipped_modules()


def puppet_version() -> str:
    return subprocess.run([PUPPET or "puppet", "--version"], capture_output=True, text=True, timeout=60).stdout.strip()


@dataclass
class Applied:
    exit_code: int
    output: str
    workdir: Path


@pytest.fixture
def puppet_apply(linux_node: LinuxNode, node_transport: Transport, module_path: Path,
                 tmp_path: Path) -> Callable[..., Applied]:
    """``puppet_apply(code)``: run ``puppet apply`` of a manifest on the node with the
    shipped module (uploaded through the transport); Puppet's state stays in a fresh
    folder of the node's user, so the run is the same as root or not."""
    counter = iter(range(1000))

    def apply(code: str) -> Applied:
        workdir = linux_node.fresh_dir(f"apply-{tmp_path.name}-{next(counter)}")
        staged = tmp_path / f"stage-{workdir.name}"
        shutil.copytree(module_path, staged / "modules", ignore=shutil.ignore_patterns("*.py", "__pycache__"))
        (staged / "site.pp").write_text(code, encoding="utf-8")
        node_transport.put(staged, str(workdir / "in"), timeout=60)
        argv = ["puppet", "apply", "--detailed-exitcodes", "--color=false"]
        for name in ("vardir", "confdir", "codedir", "logdir", "rundir", "publicdir"):
            argv += [f"--{name}", str(workdir / name)]
        argv += ["--modulepath", f"{workdir}/in/modules:$basemodulepath", str(workdir / "in" / "site.pp")]
        if not linux_node.over_ssh and os.geteuid() == 0:  # quiets Facter's /proc/1 errors
            argv = ["unshare", "-fp", "--mount-proc", *argv]
        result = node_transport.run(argv, timeout=180)
        return Applied(result.exit_code, result.stdout + result.stderr, workdir)

    return apply
