"""``hvrt list-tests``: the tests a profile's lists select, from a saved listing or from
``tempest run --list-tests`` on the controller (the local Tempest venv here)."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from hvrt.sandbox import venvs
from hvrt.testing import run_cli

LISTING = Path(__file__).resolve().parents[2] / "data" / "subunit" / "tempest-list.txt"
CONFIG = """\
lab:
  controllers:
    ctl1: {address: 127.0.0.1, transport: local}
  nodes:
    hv1: {address: 127.0.0.11, transport: local, labels: {os: 2012r2}}
release:
  name: testrel
plugins: []
profiles:
  identity:
    os: 2012r2
    tempest:
      include: [tempest.api.identity.v3.test_api_discovery, tempest.api.identity.v3.test_tokens]
      exclude: [tempest.api.identity.v3.test_tokens.TokensV3Test.test_validate_token]
      isolated: [tempest.api.identity.v3.test_tokens]
      skip: {tempest.api.identity.v3.test_api_discovery.TestApiDiscovery.test_api_media_types: "no media types"}
"""


@pytest.fixture
def config(tmp_path: Path) -> Path:
    path = tmp_path / "hvrt.yaml"
    path.write_text(CONFIG)
    return path


def expected() -> tuple[list[str], list[str]]:
    ids = sorted({line.strip() for line in LISTING.read_text().splitlines() if line.startswith("tempest.")})
    parallel = [i for i in ids if i.startswith("tempest.api.identity.v3.test_api_discovery.")
                and "test_api_media_types" not in i]
    isolated = [i for i in ids if i.startswith("tempest.api.identity.v3.test_tokens.")
                and "TokensV3Test.test_validate_token" not in i]
    return parallel, isolated


def test_text_is_an_include_list_parallel_then_isolated(config: Path, tmp_path: Path) -> None:
    proc = run_cli("list-tests", "-c", str(config), "-p", "identity", "--from-file", str(LISTING), cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    parallel, isolated = expected()
    lines = proc.stdout.splitlines()
    assert lines[0] == f"# identity: suite default, 1575 tests listed by file {LISTING}"
    assert lines[1] == f"# selected {len(parallel) + len(isolated)} ({len(parallel)} parallel, " \
                       f"{len(isolated)} isolated), 1 skipped, 0 expected to fail"
    ids = [line for line in lines if not line.startswith("#")]
    assert ids == parallel + isolated and len(isolated) >= 2 and len(parallel) >= 3
    assert lines.index("# isolated: run after the others, one at a time") == 2 + len(parallel)
    assert lines[-1].startswith("# skipped: tempest.api.identity.v3.test_api_discovery.TestApiDiscovery."
                                "test_api_media_types[") and lines[-1].endswith("(no media types)")


def test_json_carries_the_schema(config: Path, tmp_path: Path) -> None:
    proc = run_cli("list-tests", "-c", str(config), "-p", "identity", "--from-file", str(LISTING), "--json",
                   cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert data["schema"] == 1
    (entry,) = data["scenarios"]
    assert (entry["parallel"], entry["isolated"]) == expected()
    assert entry["summary"]["skipped"] == 1 and entry["listed"] == 1575


def test_the_controller_lists_with_its_tempest(config: Path, tmp_path: Path) -> None:
    if not venvs.is_ready("tempest"):
        pytest.skip("the Tempest venv is missing (python3 -m hvrt.sandbox.venvs ensure)")
    tempest = venvs.venv_bin("tempest", "tempest")
    proc = run_cli("list-tests", "-c", str(config), "-p", "identity", "--tempest", str(tempest), "--json",
                   cwd=tmp_path, timeout=600)
    assert proc.returncode == 0, proc.stderr
    (entry,) = json.loads(proc.stdout)["scenarios"]
    assert entry["source"] == f"`{tempest} run --list-tests` on ctl1"
    assert entry["listed"] > 1000 and entry["parallel"] and entry["isolated"]


@pytest.mark.parametrize(("args", "message"), [
    ((), "name the profile(s) with -p NAME, or --all"),
    (("-p", "idnetity", "--from-file", str(LISTING)), "unknown profile 'idnetity'"),
    (("-p", "identity", "--from-file", "/nonexistent/listing.txt"), "--from-file /nonexistent/listing.txt"),
])
def test_usage_errors_exit_2(config: Path, tmp_path: Path, args, message) -> None:
    proc = run_cli("list-tests", "-c", str(config), *args, "--json", cwd=tmp_path)
    assert proc.returncode == 2
    assert message in proc.stderr and message in json.loads(proc.stdout)["error"]["message"]
