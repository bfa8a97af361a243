"""The local transport: real subprocesses and the real disk as the "remote" side."""
from __future__ import annotations

import contextlib
import gc
import logging
import os
import shlex
import signal
import stat
import threading
import tracemalloc
from pathlib import Path

import pytest

from hvrt.errors import RemoteTimeout, TransportError
from hvrt.transport.download import DownloadLimits
from hvrt.transport.local import LocalTransport
from hvrt.transport.output import OutputLimits

from .processes import gone, wait_for

MiB = 1024 * 1024


def everything_under(root: Path) -> set[str]:
    return {p.relative_to(root).as_posix() for p in root.rglob("*")}


@pytest.fixture
def hostile_tree(tmp_path: Path) -> Path:
    """A "remote" folder whose entries try to leave the destination or keep their modes."""
    secret = tmp_path / "outside" / "secret.txt"
    secret.parent.mkdir()
    secret.write_text("not for the results\n")
    root = tmp_path / "remote"
    (root / "sub").mkdir(parents=True)
    (root / "ok.txt").write_text("fine\n")
    (root / "ok.txt").chmod(0o4777)
    (root / "sub").chmod(0o7777)
    (root / "sub" / "inner.txt").write_text("inner\n")
    (root / "sub" / "inner.txt").chmod(0o6755)
    (root / "back\\slash").write_text("a Windows separator\n")
    os.close(os.open(os.fsencode(root) + b"/\xff\xfe-not-utf8", os.O_CREAT | os.O_WRONLY, 0o644))
    (root / "link-out").symlink_to(secret)
    (root / "sub" / "uplink").symlink_to("../..")
    (root / "toplink-file").symlink_to(root / "ok.txt")
    return root


def test_local_get_keeps_everything_inside_and_follows_no_link(hostile_tree: Path, tmp_path: Path,
                                                               caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="hvrt.transport")
    dest = tmp_path / "box" / "dest"
    summary = LocalTransport("ctl").get(str(hostile_tree), dest)
    assert everything_under(tmp_path / "box") == {"dest", "dest/ok.txt", "dest/sub", "dest/sub/inner.txt"}
    for path in [dest, *dest.rglob("*")]:
        assert stat.S_IMODE(path.lstat().st_mode) == (0o755 if path.is_dir() else 0o644), path
    assert sorted(line.rsplit(": ", 1)[1] for line in summary.skipped) == [
        "name holds a path separator", "name is not UTF-8", "symbolic link, not followed",
        "symbolic link, not followed", "symbolic link, not followed"]
    assert (summary.files, summary.folders) == (2, 2)
    assert "link-out" in caplog.text


def test_local_get_of_a_top_level_link(hostile_tree: Path, tmp_path: Path) -> None:
    local = LocalTransport("ctl")
    local.get(str(hostile_tree / "toplink-file"), tmp_path / "one.txt")
    assert (tmp_path / "one.txt").read_text() == "fine\n"
    assert stat.S_IMODE((tmp_path / "one.txt").stat().st_mode) == 0o644
    (tmp_path / "dirlink").symlink_to(hostile_tree)
    with pytest.raises(TransportError, match=r"\[ctl\].*symbolic link"):
        local.get(str(tmp_path / "dirlink"), tmp_path / "tree")
    with pytest.raises(TransportError, match=r"\[ctl\].*no such file"):
        local.get(str(tmp_path / "missing"), tmp_path / "tree")
    assert not (tmp_path / "tree").exists()


def test_local_get_stops_at_its_limits(tmp_path: Path) -> None:
    root = tmp_path / "remote"
    root.mkdir()
    (root / "big.bin").write_bytes(bytes(5000))
    for i in range(20):
        (root / f"small-{i:02d}").write_bytes(b"x")
    with pytest.raises(TransportError, match=r"\[ctl\].*big.bin has 5000 bytes, more than the 4096 allowed"):
        LocalTransport("ctl", download_limits=DownloadLimits(bytes=4096)).get(str(root / "big.bin"),
                                                                              tmp_path / "got" / "big.bin")
    with pytest.raises(TransportError, match=r"\[ctl\].*more than 10 entries"):
        LocalTransport("ctl", download_limits=DownloadLimits(entries=10)).get(str(root), tmp_path / "got" / "tree")
    assert everything_under(tmp_path / "got") == {"tree"}


def test_local_output_without_newlines_stays_bounded(tmp_path: Path) -> None:
    local = LocalTransport("ctl", output_limits=OutputLimits(spill_dir=str(tmp_path)))
    pieces: list[int] = []
    gc.collect()
    tracemalloc.start()
    try:
        result = local.run(["head", "-c", str(100 * MiB), "/dev/zero"],
                           on_output=lambda stream, line: pieces.append(len(line)))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 40 * MiB, peak
    assert result.ok and result.stdout_file is not None and result.stdout_file.stat().st_size == 100 * MiB
    assert len(result.stdout) < 8 * MiB + 1024
    assert max(pieces) == 64 * 1024 and len(pieces) == 100 * 16


def test_local_endless_output_times_out_and_leaves_no_spill_file(tmp_path: Path) -> None:
    local = LocalTransport("ctl", output_limits=OutputLimits(spill_dir=str(tmp_path), disk=16 * MiB))
    with pytest.raises(RemoteTimeout, match=r"\[ctl\].*did not finish within 2s"):
        local.run(["cat", "/dev/zero"], timeout=2)
    assert list(tmp_path.iterdir()) == []


class _ClosedWhileStarting(LocalTransport):
    """Closes itself after starting the process and before registering it: the window
    in which a close() from another stage could not see the process."""

    def __init__(self, pidfile: Path) -> None:
        super().__init__("ctl")
        self.pidfile = pidfile
        self.started: list[int] = []

    def _spawn(self, command):  # type: ignore[no-untyped-def]
        proc = super()._spawn(command)
        self.started.append(proc.pid)
        wait_for(lambda: self.pidfile.exists() and self.pidfile.read_text().strip(), "no child pid written")
        closer = threading.Thread(target=self.close)
        closer.start()
        closer.join()
        return proc


def test_local_close_while_a_command_starts_kills_it(tmp_path: Path) -> None:
    pidfile = tmp_path / "child.pid"
    local = _ClosedWhileStarting(pidfile)
    target = shlex.quote(str(pidfile))
    script = f"sleep 30 & echo $! > {target}.tmp && mv {target}.tmp {target}; wait"
    errors: list[BaseException] = []

    def run() -> None:
        try:
            local.run(["sh", "-c", script], timeout=60)
        except BaseException as exc:  # noqa: BLE001 - handed to the test thread
            errors.append(exc)

    runner = threading.Thread(target=run, daemon=True)
    runner.start()
    wait_for(lambda: local._closed, "close() never ran")
    child = int(pidfile.read_text())
    try:
        # Well under the child's 30 s: a process close() missed would still be sleeping.
        wait_for(lambda: gone(child), f"the sleep child {child} outlived close()", limit=15)
        wait_for(lambda: gone(local.started[0]), "the shell outlived close()", limit=15)
    finally:
        for pid in (child, *local.started):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
    runner.join(timeout=15)
    assert len(errors) == 1 and isinstance(errors[0], TransportError), errors
    assert "aborted: transport closed" in str(errors[0]) and "[ctl]" in str(errors[0])
    assert not local._running
    with pytest.raises(TransportError, match="closed"):
        local.run(["true"])
