"""The SSH transport against a hostile peer: an in-process paramiko server on loopback.

The server lies the way a compromised controller could: its SFTP listings carry
traversal names, absolute names, separators, NUL and non-UTF-8 bytes, setuid modes,
links out of the tree, files far larger than allowed or larger than they claim, and
folders with more entries than allowed; its exec channel streams output without
newlines, forever or for 200 MiB. The real :class:`SSHTransport` must write nothing
outside the destination, no mode beyond 0644/0755, follow no link, stop at its
limits with a TransportError naming the host, and keep its memory bounded.
"""
from __future__ import annotations

import gc
import logging
import os
import socket
import stat
import threading
import time
import tracemalloc
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import paramiko
import pytest

from hvrt.config.model import Secret
from hvrt.errors import RemoteTimeout, TransportError
from hvrt.transport.base import OutputLimits
from hvrt.transport.download import DownloadLimits
from hvrt.transport.ssh import SSHTransport

MiB = 1024 * 1024
PASSWORD = "hostile-" + os.urandom(4).hex()
STREAMED = 200 * MiB
MANY = 100_050


@dataclass
class Item:
    mode: int
    content: bytes = b""
    size: int | None = None  # what the server claims (default: len(content))
    endless: bool = False  # reads never reach the end
    target: str | None = None  # for links: what stat() resolves to


def reg(content: bytes, mode: int = 0o644, **kw: object) -> Item:
    return Item(stat.S_IFREG | mode, content, **kw)  # type: ignore[arg-type]


def folder(mode: int = 0o755) -> Item:
    return Item(stat.S_IFDIR | mode)


def link(target: str) -> Item:
    return Item(stat.S_IFLNK | 0o777, target=target)


def hostile_tree() -> dict[str, dict[str | bytes, Item]]:
    """Folder path -> {entry name as listed -> item}."""
    return {
        "/": {"srv": folder(), "huge": folder(), "liar": folder(), "many": folder(),
              "toplink-file": link("/srv/ok.txt"), "toplink-dir": link("/srv")},
        "/srv": {
            "ok.txt": reg(b"fine\n", 0o4777),
            "../../escape": reg(b"escaped\n"),
            "/etc/abs": reg(b"absolute\n"),
            "a/b": reg(b"separator\n"),
            "..": reg(b"parent\n"),
            ".": reg(b"self\n"),
            "x\x00y": reg(b"nul\n"),
            "back\\slash": reg(b"backslash\n"),
            "": reg(b"empty\n"),
            b"\xff\xfebad": reg(b"not utf-8\n"),
            "link-out": link("/etc/passwd"),
            "sub": folder(0o7777),
        },
        "/srv/sub": {"inner.txt": reg(b"inner\n", 0o6755), "uplink": link("../../.."), "again": link("/srv")},
        "/huge": {"big.bin": reg(b"", size=3 * 1024 ** 3)},
        "/liar": {"small.bin": reg(b"", size=10, endless=True)},
        "/many": {f"f{i:06d}": reg(b"") for i in range(MANY)},
    }


class HostilePeer(paramiko.ServerInterface):
    """One hostile SSH server: its SFTP tree and its exec channel behaviours."""

    def __init__(self, tree: dict[str, dict[str | bytes, Item]]) -> None:
        self.tree = tree
        self.opened: list[str] = []
        self.commands: list[str] = []

    # --------------------------------------------------------------- lookup
    def item(self, path: str) -> Item | None:
        if path in ("/", ""):
            return folder()
        parent, _, name = path.rstrip("/").rpartition("/")
        return self.tree.get(parent or "/", {}).get(name)

    # ----------------------------------------------------------------- auth
    def get_allowed_auths(self, username: str) -> str:
        return "password"

    def check_auth_password(self, username: str, password: str) -> int:
        return paramiko.AUTH_SUCCESSFUL if password == PASSWORD else paramiko.AUTH_FAILED

    def check_channel_request(self, kind: str, chanid: int) -> int:
        return paramiko.OPEN_SUCCEEDED if kind == "session" else paramiko.OPEN_FAILED_ADMINISTRATIVELY_PROHIBITED

    def check_channel_exec_request(self, channel: paramiko.Channel, command: bytes) -> bool:
        text = command.decode("utf-8", "replace")
        self.commands.append(text)
        threading.Thread(target=self._exec, args=(channel, text), daemon=True).start()
        return True

    def _exec(self, channel: paramiko.Channel, command: str) -> None:
        block = b"A" * 65536
        time.sleep(0.1)  # paramiko answers the exec request after this method returns
        try:
            if "endless-stdout" in command:
                while not channel.closed:
                    channel.sendall(block)
            elif "late-output" in command:  # the status first, as OpenSSH may do under load
                channel.send_exit_status(0)
                time.sleep(0.3)
                channel.sendall(b"after the status\n")
                return
            elif "flood-stdout" in command:
                for _ in range(STREAMED // len(block)):
                    channel.sendall(block)
                channel.sendall_stderr(b"done without a newline")
            channel.send_exit_status(0)
        except (OSError, EOFError, paramiko.SSHException):
            pass
        finally:
            channel.close()


class HostileHandle(paramiko.SFTPHandle):
    def __init__(self, item: Item) -> None:
        super().__init__()
        self.item_ = item

    def read(self, offset: int, length: int) -> bytes | int:
        if self.item_.endless:
            return b"Z" * length
        return self.item_.content[offset:offset + length]


class HostileSFTP(paramiko.SFTPServerInterface):
    def __init__(self, server: HostilePeer, *args: object, **kwargs: object) -> None:
        super().__init__(server, *args, **kwargs)
        self.peer = server

    @staticmethod
    def _attrs(name: str | bytes, item: Item) -> paramiko.SFTPAttributes:
        attrs = paramiko.SFTPAttributes()
        attrs.filename = name  # type: ignore[assignment]
        attrs.st_mode = item.mode
        attrs.st_size = item.size if item.size is not None else len(item.content)
        return attrs

    def canonicalize(self, path: str) -> str:
        return path

    def list_folder(self, path: str) -> list[paramiko.SFTPAttributes] | int:
        entries = self.peer.tree.get(path.rstrip("/") or "/")
        if entries is None:
            return paramiko.SFTP_NO_SUCH_FILE
        return [self._attrs(name, item) for name, item in entries.items()]

    def lstat(self, path: str) -> paramiko.SFTPAttributes | int:
        item = self.peer.item(path)
        return paramiko.SFTP_NO_SUCH_FILE if item is None else self._attrs(path.rsplit("/", 1)[-1], item)

    def stat(self, path: str) -> paramiko.SFTPAttributes | int:
        item = self.peer.item(path)
        while item is not None and item.target is not None:
            path, item = item.target, self.peer.item(item.target)
        return paramiko.SFTP_NO_SUCH_FILE if item is None else self._attrs(path.rsplit("/", 1)[-1], item)

    def open(self, path: str, flags: int, attr: paramiko.SFTPAttributes) -> paramiko.SFTPHandle | int:
        self.peer.opened.append(path)
        item = self.peer.item(path)
        while item is not None and item.target is not None:
            item = self.peer.item(item.target)
        if item is None or not stat.S_ISREG(item.mode):
            return paramiko.SFTP_NO_SUCH_FILE
        return HostileHandle(item)


class HostileServer:
    """Accepts connections on 127.0.0.1 and serves each with one :class:`HostilePeer`."""

    def __init__(self, workdir: Path) -> None:
        self.peer = HostilePeer(hostile_tree())
        self.key = paramiko.ECDSAKey.generate()
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.port = self.sock.getsockname()[1]
        self.known_hosts = workdir / "known_hosts"
        self.known_hosts.write_text(f"[127.0.0.1]:{self.port} {self.key.get_name()} {self.key.get_base64()}\n")
        self.transports: list[paramiko.Transport] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        self.sock.settimeout(0.2)
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            transport = paramiko.Transport(conn)
            transport.add_server_key(self.key)
            transport.set_subsystem_handler("sftp", paramiko.SFTPServer, HostileSFTP)
            transport.start_server(server=self.peer)
            self.transports.append(transport)

    def client(self, **kwargs: object) -> SSHTransport:
        return SSHTransport("controller", "127.0.0.1", port=self.port, user="stack",
                            password=Secret(PASSWORD, "env:PW"), known_hosts=self.known_hosts,
                            allow_agent=False, **kwargs)  # type: ignore[arg-type]

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self.sock.close()
        for transport in self.transports:
            transport.close()


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HostileServer]:
    server = HostileServer(tmp_path_factory.mktemp("hostile-ssh"))
    yield server
    server.stop()


@pytest.fixture
def ssh(hostile: HostileServer, tmp_path: Path) -> Iterator[SSHTransport]:
    hostile.peer.opened.clear()
    transport = hostile.client(output_limits=OutputLimits(spill_dir=str(tmp_path)))
    yield transport
    transport.close()


def everything_under(root: Path) -> set[str]:
    return {p.relative_to(root).as_posix() for p in root.rglob("*")}


# ------------------------------------------------------------------ downloads

def test_hostile_names_modes_and_links_stay_inside_the_destination(
        ssh: SSHTransport, hostile: HostileServer, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="hvrt.transport")
    dest = tmp_path / "box" / "dest"
    summary = ssh.get("/srv", dest)
    assert everything_under(tmp_path) == {"box", "box/dest", "box/dest/ok.txt", "box/dest/sub",
                                          "box/dest/sub/inner.txt"}
    assert not Path("/etc/abs").exists()
    assert (dest / "ok.txt").read_bytes() == b"fine\n"
    for path in [dest, *dest.rglob("*")]:
        mode = stat.S_IMODE(path.lstat().st_mode)
        assert mode == (0o755 if path.is_dir() else 0o644), (path, oct(mode))
    assert sorted(hostile.peer.opened) == ["/srv/ok.txt", "/srv/sub/inner.txt"]  # no link target read
    assert (summary.files, summary.folders) == (2, 2)
    reasons = "\n".join(summary.skipped)
    for name in ("../../escape", "/etc/abs", "a/b", "x\\x00y", "back\\\\slash", "''", "\\xff\\xfebad",
                 "link-out", "uplink", "again"):
        assert name in reasons, name
    assert len(summary.skipped) == 10  # "." and ".." are every listing's own entries: ignored
    warned = "\n".join(r.getMessage() for r in caplog.records)
    assert "../../escape" in warned and "symbolic link" in warned


def test_a_top_level_link_is_followed_only_to_a_regular_file(ssh: SSHTransport, hostile: HostileServer,
                                                             tmp_path: Path) -> None:
    ssh.get("/toplink-file", tmp_path / "one.txt")
    assert (tmp_path / "one.txt").read_bytes() == b"fine\n"
    assert stat.S_IMODE((tmp_path / "one.txt").stat().st_mode) == 0o644
    with pytest.raises(TransportError, match=r"\[controller\].*symbolic link"):
        ssh.get("/toplink-dir", tmp_path / "tree")
    assert not (tmp_path / "tree").exists()


def test_a_file_larger_than_the_limit_is_refused_before_reading(ssh: SSHTransport, hostile: HostileServer,
                                                                tmp_path: Path) -> None:
    with pytest.raises(TransportError, match=r"\[controller\].*3221225472 bytes"):
        ssh.get("/huge", tmp_path / "huge")
    assert hostile.peer.opened == []
    assert everything_under(tmp_path / "huge") == set()


def test_a_file_that_never_ends_stops_at_the_byte_limit(ssh: SSHTransport, tmp_path: Path) -> None:
    ssh.download_limits = DownloadLimits(bytes=4 * MiB)
    with pytest.raises(TransportError, match=r"\[controller\].*more than 4194304 bytes"):
        ssh.get("/liar", tmp_path / "liar")
    assert everything_under(tmp_path / "liar") == set()  # the partial file is removed


def test_a_folder_with_too_many_entries_stops_at_the_default_limit(ssh: SSHTransport, tmp_path: Path) -> None:
    started = time.monotonic()
    with pytest.raises(TransportError, match=r"\[controller\].*more than 100000 entries"):
        ssh.get("/many", tmp_path / "many")
    assert everything_under(tmp_path / "many") == set()
    assert time.monotonic() - started < 60


# ------------------------------------------------------------------ output

def test_200_mib_without_a_newline_keeps_memory_bounded_and_the_whole_output_on_disk(
        ssh: SSHTransport, tmp_path: Path) -> None:
    pieces = {"stdout": 0, "stderr": 0, "longest": 0}

    def on_output(stream: str, line: str) -> None:
        pieces[stream] += 1
        pieces["longest"] = max(pieces["longest"], len(line))

    ssh.run(["true"])  # connect before measuring
    gc.collect()
    tracemalloc.start()
    try:
        result = ssh.run(["flood-stdout"], on_output=on_output, timeout=300)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 40 * MiB, peak
    assert result.ok and result.stdout_file is not None
    assert result.stdout_file.stat().st_size == STREAMED
    assert len(result.stdout) < 8 * MiB + 1024
    assert result.stdout.startswith("A" * 1000) and result.stdout.endswith("A" * 1000)
    assert f"the whole stream ({STREAMED} bytes) is in {result.stdout_file}" in result.stdout
    assert result.stderr == "done without a newline"
    assert pieces == {"stdout": STREAMED // (64 * 1024), "stderr": 1, "longest": 64 * 1024}
    kept = result.keep_output("stdout", tmp_path / "kept" / "stdout.log")
    assert kept.stat().st_size == STREAMED
    second = ssh.run(["flood-stdout"], timeout=300)
    assert second.stdout_file is not None and second.stdout_file.parent == tmp_path
    spill = second.stdout_file
    del second
    gc.collect()
    assert not spill.exists()  # a spill file nobody kept goes with its result


def test_endless_output_without_a_newline_times_out_with_bounded_memory(ssh: SSHTransport,
                                                                       tmp_path: Path) -> None:
    ssh.run(["true"])
    gc.collect()
    tracemalloc.start()
    try:
        with pytest.raises(RemoteTimeout, match=r"\[controller\].*did not finish within 3s"):
            ssh.run(["endless-stdout"], timeout=3, on_output=lambda stream, line: None)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 40 * MiB, peak
    assert list(tmp_path.iterdir()) == []  # the spill file of a failed command is removed


def test_output_that_follows_the_exit_status_is_kept(ssh: SSHTransport) -> None:
    result = ssh.run(["late-output"], timeout=10)
    assert (result.exit_code, result.stdout) == (0, "after the status\n")
