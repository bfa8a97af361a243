"""The sandbox lab shared by the end-to-end tests of this package.

One lab serves every module here: its own state folder and loopback addresses, so a
developer's running sandbox is left alone.
"""
from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path

import pytest

from hvrt.config import load_config
from hvrt.sandbox import venvs
from hvrt.sandbox.lab import SandboxLab
from hvrt.sandbox.sshd import sshd_available
from hvrt.testing import run_cli

REPO = Path(__file__).resolve().parents[3]
EXAMPLE = REPO / "examples" / "sandbox"
PASSWORD = "Sandbox-Pw-e2e-7731"
ADDRESSES = {"2": "102", "3": "103", "11": "111", "12": "112", "13": "113"}
SMALL_SUITE = "tempest.api.identity.v3.test_api_discovery.\n"


def write_config(folder: Path, state: Path, *, include: str | None = None, edit=lambda text: text) -> Path:
    """The example sandbox config moved to ``state`` and to addresses of its own."""
    folder.mkdir(parents=True, exist_ok=True)
    lists = folder / "tempest-lists"
    if not lists.exists():
        shutil.copytree(EXAMPLE / "tempest-lists", lists)
    if include is not None:
        (lists / "include-tests-identity.txt").write_text(include)
        (lists / "isolated-tests-identity.txt").write_text("")
    text = (EXAMPLE / "hvrt.yaml").read_text().replace("/var/tmp/hvrt-sandbox", str(state))
    text = re.sub(r"127\.0\.0\.(\d+)\b", lambda m: f"127.0.0.{ADDRESSES.get(m.group(1), m.group(1))}", text)
    path = folder / "hvrt.yaml"
    path.write_text(edit(text))
    return path


@pytest.fixture(scope="package")
def lab(tmp_path_factory):
    missing = [n for n in ("keystone", "tempest") if not venvs.is_ready(n)]
    if not sshd_available() or missing:
        reason = f"sandbox needs openssh-server and the {missing} venvs (.ci/setup.d/cloud.sh)"
        if os.environ.get("HVRT_REQUIRE_CLOUD"):
            pytest.fail(reason)
        pytest.skip(reason)
    root = tmp_path_factory.mktemp("sandbox")
    state = Path("/var/tmp") / f"hvrt-sandbox-test-{os.getpid()}"
    old = os.environ.get("HVRT_SANDBOX_PASSWORD")
    os.environ["HVRT_SANDBOX_PASSWORD"] = PASSWORD
    config = write_config(root / "full", state)
    sandbox = SandboxLab(load_config(config))
    sandbox.up(venvs=False, log=lambda _m: None)
    try:
        yield {"root": root, "state": state, "config": config, "lab": sandbox,
               "small": write_config(root / "small", state, include=SMALL_SUITE),
               "hvrt": hvrt, "write_config": write_config, "small_suite": SMALL_SUITE, "password": PASSWORD}
    finally:
        sandbox.down(log=lambda _m: None)
        shutil.rmtree(state, ignore_errors=True)
        if old is None:
            os.environ.pop("HVRT_SANDBOX_PASSWORD", None)
        else:
            os.environ["HVRT_SANDBOX_PASSWORD"] = old


def hvrt(*args: str, timeout: float = 900, env: dict[str, str] | None = None) -> tuple[int, dict | None, str]:
    """``hvrt ARGS --json`` against the lab: exit code, parsed summary (or None), stderr."""
    proc = run_cli(*args, "--json", timeout=timeout, env={"HVRT_SANDBOX_PASSWORD": PASSWORD, **(env or {})},
                   inherit_hvrt=True)
    try:
        summary = json.loads(proc.stdout)
    except ValueError:
        summary = None
    return proc.returncode, summary, proc.stderr


