"""The WinRM transport against a hostile node: the simulated node with its lying faults.

Real pywinrm talks to the simulated node over HTTPS; the node floods the host loop's
stdout without a line end, reports sizes and entry counts far past the limits, sends
chunks of the wrong length, hands back a gzip bomb and zips whose entry names climb
out of the destination. hvrt's transport must stay bounded in memory, write nothing
outside the destination and fail with a TransportError naming the node.
"""
from __future__ import annotations

import base64
import gc
import io
import os
import stat
import time
import tracemalloc
import zipfile
import zlib
from collections.abc import Iterator
from pathlib import Path

import pytest

from hvrt.errors import TransportError
from hvrt.sandbox.wsman import SimulatedNode
from hvrt.transport.download import DownloadLimits

MiB = 1024 * 1024


@pytest.fixture
def node(sim_nodes: dict[str, SimulatedNode]) -> Iterator[SimulatedNode]:
    node = sim_nodes["hv-01"]
    yield node
    node.faults.clear()


def everything_under(root: Path) -> set[str]:
    return {p.relative_to(root).as_posix() for p in root.rglob("*")}


def put_bytes(transport, tmp_path: Path, remote: str, data: bytes) -> None:
    source = tmp_path / "upload" / "source.bin"
    source.parent.mkdir(parents=True, exist_ok=True)
    source.write_bytes(data)
    transport.put(source, remote)
    source.unlink()
    source.parent.rmdir()


def empty_folder(transport, tmp_path: Path, remote: str) -> None:
    folder = tmp_path / "upload-folder"
    folder.mkdir()
    transport.put(folder, remote)
    folder.rmdir()


def gzip_bomb(inflated: int) -> bytes:
    packer = zlib.compressobj(9, zlib.DEFLATED, 31)
    zeros = bytes(MiB)
    return b"".join([*(packer.compress(zeros) for _ in range(inflated // MiB)), packer.flush()])


def zip_of(entries: list[tuple[str, bytes, int]]) -> bytes:
    """A zip whose entries carry exactly these names and Unix modes (``external_attr``)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data, mode in entries:
            info = zipfile.ZipInfo(name)
            info.external_attr = mode << 16
            archive.writestr(info, data)
    return buffer.getvalue()


def peak_of(call) -> int:
    gc.collect()
    tracemalloc.start()
    try:
        call()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


# ------------------------------------------------------------------ responses

def test_output_without_a_line_end_is_refused_past_max_response(transport, node) -> None:
    transport.invoke("Get-HvrtBootId")
    node.faults.flood(None)
    problems: list[TransportError] = []

    def call() -> None:
        try:
            transport.invoke("Get-HvrtBootId", timeout=120)
        except TransportError as exc:
            problems.append(exc)

    peak = peak_of(call)
    assert len(problems) == 1 and problems[0].host == "hv-01"
    assert f"passed {transport.max_response} bytes" in str(problems[0])
    assert transport.max_response == 32 * MiB
    assert peak < transport.max_response + 16 * MiB, peak
    assert ("flood", "host-loop") in node.faults.fired
    assert transport.invoke("Get-HvrtBootId")["reboot_count"] >= 0  # a new shell answers again


def test_a_huge_command_output_is_kept_within_the_output_limits(transport, node) -> None:
    node.faults.lie("Invoke-HvrtProcess", stdout="y" * (20 * MiB) + "\nlast line\n")
    longest = []
    result = transport.run(["hostname"], on_output=lambda stream, line: longest.append(len(line)))
    assert result.stdout_file is not None and result.stdout_file.stat().st_size == 20 * MiB + 11
    assert len(result.stdout) < 8 * MiB + 1024 and result.stdout.endswith("\nlast line\n")
    assert max(longest) == 64 * 1024 and len(longest) == 20 * 16 + 1


# ------------------------------------------------------------------ sizes and chunks

def test_reported_sizes_past_the_limits_fail_before_any_chunk_is_read(transport, node, tmp_path) -> None:
    put_bytes(transport, tmp_path, "C:\\data\\lie.bin", b"0123456789")
    empty_folder(transport, tmp_path, "C:\\data\\lie-tree")
    put_bytes(transport, tmp_path, "C:\\data\\lie-big.bin", os.urandom(300_000))
    started = time.monotonic()
    node.faults.lie("Get-HvrtItem", length=10 ** 15)
    with pytest.raises(TransportError, match=r"\[hv-01\].*10{15} bytes, more than the 2147483648 allowed"):
        transport.get("C:\\data\\lie.bin", tmp_path / "got" / "lie.bin")
    node.faults.lie("Get-HvrtItem", count=10 ** 9)
    with pytest.raises(TransportError, match=r"\[hv-01\].*10{9} files, more than the 100000 allowed"):
        transport.get("C:\\data\\lie-tree", tmp_path / "got" / "tree")
    node.faults.lie("Compress-HvrtItem", length=10 ** 15)
    with pytest.raises(TransportError, match=r"\[hv-01\].*10{15} bytes"):
        transport.get("C:\\data\\lie-big.bin", tmp_path / "got" / "big.bin")
    node.faults.lie("Get-HvrtItem", length="lots")
    with pytest.raises(TransportError, match=r"\[hv-01\].*no valid length"):
        transport.get("C:\\data\\lie.bin", tmp_path / "got" / "lie.bin")
    assert time.monotonic() - started < 30
    assert everything_under(tmp_path / "got") == set()
    assert transport.invoke("Get-HvrtChildItem", {"path": "C:\\ProgramData\\hvrt\\tmp"}) == []


@pytest.mark.parametrize(("data", "problem"), [
    (base64.b64encode(bytes(3 * MiB)).decode(), "malformed or oversized chunk at offset 0"),
    (base64.b64encode(b"short").decode(), "sent 5 bytes at offset 0 of C:.*expected 1000"),
    ("%%%not base64", "not base64"),
    (None, "malformed or oversized chunk"),
], ids=["oversized", "short", "not-base64", "missing"])
def test_every_chunk_must_have_the_length_asked_for(transport, node, tmp_path, data, problem) -> None:
    put_bytes(transport, tmp_path, "C:\\data\\chunky.bin", os.urandom(1000))
    node.faults.lie("Read-HvrtChunk", data=data)
    with pytest.raises(TransportError, match=rf"\[hv-01\].*{problem}"):
        transport.get("C:\\data\\chunky.bin", tmp_path / "got" / "chunky.bin")
    assert everything_under(tmp_path / "got") == set()


def test_a_gzip_bomb_stops_at_the_size_the_node_reported(transport, node, tmp_path) -> None:
    put_bytes(transport, tmp_path, "C:\\data\\bomb.bin", os.urandom(300_000))
    node.faults.packed(gzip_bomb(256 * MiB))
    problems: list[TransportError] = []

    def call() -> None:
        try:
            transport.get("C:\\data\\bomb.bin", tmp_path / "got" / "bomb.bin")
        except TransportError as exc:
            problems.append(exc)

    peak = peak_of(call)
    assert len(problems) == 1 and problems[0].host == "hv-01"
    assert "inflates to more than the 300000 bytes the node reported" in str(problems[0])
    assert peak < 40 * MiB, peak
    assert everything_under(tmp_path / "got") == set()


# ------------------------------------------------------------------ archives

def test_hostile_zip_entries_stay_inside_the_destination(transport, node, tmp_path) -> None:
    empty_folder(transport, tmp_path, "C:\\data\\hostile-tree")
    node.faults.packed(zip_of([
        ("ok.txt", b"fine\n", stat.S_IFREG | 0o4777),
        ("nested\\inner.txt", b"inner\n", 0),  # .NET Framework 4.5 writes backslashes
        ("dir/", b"", stat.S_IFDIR | 0o7777),
        ("../../escape.txt", b"escaped\n", 0),
        ("/abs.txt", b"absolute\n", 0),
        ("a/../../b.txt", b"climb\n", 0),
        ("C:\\..\\..\\win.txt", b"windows climb\n", 0),
        ("link", b"/etc/passwd", stat.S_IFLNK | 0o777),
    ]))
    dest = tmp_path / "box" / "dest"
    summary = transport.get("C:\\data\\hostile-tree", dest)
    assert everything_under(tmp_path / "box") == {"dest", "dest/ok.txt", "dest/nested", "dest/nested/inner.txt",
                                                  "dest/dir"}
    assert not (tmp_path / "escape.txt").exists() and not Path("/abs.txt").exists()
    assert (dest / "nested" / "inner.txt").read_bytes() == b"inner\n"
    for path in [dest, *dest.rglob("*")]:
        assert stat.S_IMODE(path.lstat().st_mode) == (0o755 if path.is_dir() else 0o644), path
    skipped = "\n".join(summary.skipped)
    assert len(summary.skipped) == 5
    for name in ("../../escape.txt", "/abs.txt", "a/../../b.txt", "win.txt", "'link': symbolic link"):
        assert name in skipped, name


def test_an_archive_with_too_many_entries_is_refused_before_it_is_unpacked(transport, node, tmp_path) -> None:
    empty_folder(transport, tmp_path, "C:\\data\\many-tree")
    node.faults.packed(zip_of([(f"f{i:06d}", b"", 0) for i in range(100_050)]))
    with pytest.raises(TransportError, match=r"\[hv-01\].*archive holds more than 100000 entries"):
        transport.get("C:\\data\\many-tree", tmp_path / "got" / "tree")
    assert everything_under(tmp_path / "got") == set()
    transport.download_limits = DownloadLimits(entries=3)
    node.faults.packed(zip_of([(f"f{i}", b"x", 0) for i in range(4)]))
    with pytest.raises(TransportError, match=r"\[hv-01\].*more than 3 entries"):
        transport.get("C:\\data\\many-tree", tmp_path / "got" / "tree")
