"""``hvrt report`` as a real process: from-subunit, render, compare, merge."""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

from hvrt.subunit import parse_stream
from hvrt.testing import run_cli

DATA = Path(__file__).resolve().parents[2] / "data"
STESTR = DATA / "subunit-stestr"


def hvrt(*args: str, cwd: Path, stdin: bytes | None = None) -> subprocess.CompletedProcess[str]:
    return run_cli("report", *args, cwd=cwd, stdin=stdin.decode("latin-1") if stdin else None, timeout=120)


def _run(root: Path, run_id: str, stream: Path) -> Path:
    """A run folder holding one scenario rendered from a real stream."""
    folder = root / "ocata" / run_id / "2012r2-vhdx"
    proc = hvrt("from-subunit", str(stream), "-o", str(folder), "--name", "2012r2-vhdx", cwd=root)
    assert proc.returncode == 1, proc.stderr  # every recorded stream holds failures
    proc = hvrt("render", str(folder.parent), cwd=root)
    assert proc.returncode == 0, proc.stderr
    return folder.parent


def test_from_subunit_writes_the_three_reports(tmp_path: Path) -> None:
    out = tmp_path / "out"
    proc = hvrt("from-subunit", str(STESTR / "run-retried.subunit"), "-o", str(out), cwd=tmp_path)
    assert proc.returncode == 1
    assert "flaky: 1" in proc.stdout and "total: 13" in proc.stdout
    for name in ("results.html", "results.json", "junit.xml", "tempest.subunit"):
        assert (out / name).is_file(), name
    data = json.loads((out / "results.json").read_text())
    assert data["name"] == "run-retried" and data["status"] == "failed"
    assert 'href="tempest.subunit"' in (out / "results.html").read_text(encoding="utf-8")


def test_from_subunit_reads_stdin_and_passing_streams_exit_0(tmp_path: Path) -> None:
    stream = (DATA / "subunit" / "tempest-identity.subunit").read_bytes()
    proc = subprocess.run([sys.executable, "-m", "hvrt.cli.main", "report", "from-subunit", "-", "-o",
                           str(tmp_path / "o"), "--name", "identity"], input=stream, capture_output=True,
                          timeout=120)
    assert proc.returncode == 0, proc.stderr
    data = json.loads((tmp_path / "o" / "results.json").read_text())
    assert data["counts"]["passed"] == 134
    # the page shows when the stream ran, from its own timestamps
    _, first, last = parse_stream(stream)
    assert (data["started"], data["ended"]) == (first, last) and 1 < last - first < 3600
    page = (tmp_path / "o" / "results.html").read_text(encoding="utf-8")
    assert "unknown" not in page.split("<dt>started</dt>", 1)[1][:60]


def test_compare_lists_the_regression_and_exits_1(tmp_path: Path) -> None:
    base = _run(tmp_path, "base", STESTR / "run-retried.subunit")
    new = _run(tmp_path, "new", STESTR / "run-broken.subunit")
    proc = hvrt("compare", str(base), str(new), cwd=tmp_path)
    assert proc.returncode == 1
    assert ("REGRESSION 2012r2-vhdx: hvrt_suite.test_identity.TokensTest.test_issue_token (passed -> failed)"
            in proc.stdout)
    assert (new / "comparison.html").is_file()
    proc = hvrt("compare", str(base), str(base), "--json", "-o", str(tmp_path / "cmp"), cwd=tmp_path)
    assert proc.returncode == 0
    assert json.loads(proc.stdout)["totals"]["regressions"] == 0
    assert (tmp_path / "cmp" / "comparison.json").is_file()
    # the run's index now links the comparison
    proc = hvrt("render", str(new), cwd=tmp_path)
    assert 'href="comparison.html"' in (new / "index.html").read_text(encoding="utf-8")


def test_render_rebuilds_deleted_reports(tmp_path: Path) -> None:
    run = _run(tmp_path, "r1", STESTR / "run-basic.subunit")
    for name in ("index.html", "junit.xml", "2012r2-vhdx/results.html", "2012r2-vhdx/junit.xml"):
        (run / name).unlink()
    proc = hvrt("render", str(run), cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    for name in ("index.html", "junit.xml", "summary.json", "2012r2-vhdx/results.html", "2012r2-vhdx/junit.xml"):
        assert (run / name).is_file(), name


def test_merge(tmp_path: Path) -> None:
    a = _run(tmp_path, "a", STESTR / "run-basic.subunit")
    b = _run(tmp_path, "b", STESTR / "run-broken.subunit")
    proc = hvrt("merge", str(a), str(b), "-o", str(tmp_path / "m"), "--run-id", "both", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    summary = json.loads((tmp_path / "m" / "summary.json").read_text())
    assert summary["run_id"] == "both"
    assert [s["name"] for s in summary["scenarios"]] == ["2012r2-vhdx", "2012r2-vhdx@b"]


def test_usage_errors_exit_2(tmp_path: Path) -> None:
    assert hvrt("render", str(tmp_path / "missing"), cwd=tmp_path).returncode == 2
    assert hvrt("compare", str(tmp_path), str(tmp_path / "x"), cwd=tmp_path).returncode == 2
    proc = hvrt("from-subunit", str(tmp_path / "nope.subunit"), "-o", str(tmp_path / "o"), cwd=tmp_path)
    assert proc.returncode == 2 and "no such subunit stream" in proc.stderr
    assert hvrt(cwd=tmp_path).returncode == 2  # no subcommand: help, usage error
    shutil.rmtree(tmp_path / "o", ignore_errors=True)
