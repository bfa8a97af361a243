"""The sandbox lab end to end: real ``hvrt run`` processes against simulated Hyper-V
nodes, real sshd controllers, the DevStack stand-in, real Keystone and real Tempest.

One lab (``conftest.py``) serves the package. Faults are injected at each stage;
every faulted run must end with the right status and exit code, lose no finished
result, and ``--resume`` must complete it.
"""
from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

from hvrt.results.journal import read_journal
from hvrt.sandbox.lab import request_fault
from hvrt.stages import STAGES

pytestmark = [pytest.mark.slow, pytest.mark.sshd, pytest.mark.keystone]

def statuses(summary: dict) -> dict[str, str]:
    return {s["name"]: s["status"] for s in summary["scenarios"]}


class Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []

    def handle_starttag(self, tag, attrs):  # type: ignore[no-untyped-def]
        for name, value in attrs:
            if name in ("href", "src") and value:
                self.hrefs.append(value)


def assert_links_resolve(page: Path) -> int:
    parser = Links()
    parser.feed(page.read_text())
    count = 0
    for href in parser.hrefs:
        parts = urlsplit(href)
        if parts.scheme or not parts.path:
            continue  # in-page anchors; the reports have no external links
        target = (page.parent / unquote(parts.path)).resolve()
        assert target.exists(), f"{page.name} links {href}, which does not exist"
        count += 1
    return count


def subunit_stats(stream: Path) -> dict[str, int]:
    out = subprocess.run(["subunit-stats"], stdin=stream.open("rb"), capture_output=True, text=True).stdout
    return {k.strip().lower(): int(v) for k, v in re.findall(r"^([A-Za-z ]+) tests:\s+(\d+)$", out, re.M)}


def test_2012r2_vhdx_passes_end_to_end(lab) -> None:
    code, summary, err = lab["hvrt"]("run", "-c", str(lab["config"]), "-p", "2012r2-vhdx",
                              "--results", str(lab["root"] / "results"))
    assert code == 0, err
    run_dir = Path(summary["run_dir"])
    scenario = run_dir / "2012r2-vhdx"
    result = json.loads((scenario / "results.json").read_text())
    assert result["status"] == "passed" and len(result["nodes"]) == 2
    assert [(s["stage"], s["status"]) for s in result["stages"]] == [(stage, "ok") for stage in STAGES]
    # configure and deploy ran side by side; start (services, health, cells) followed both
    times = {s["stage"]: (s["started"], s["ended"]) for s in result["stages"]}
    assert times["deploy"][0] < times["configure"][1] and times["configure"][0] < times["deploy"][1]
    assert times["start"][0] >= max(times["configure"][1], times["deploy"][1])
    start = result["facts"]["start"]
    assert sorted(start["nodes"]) == sorted(result["nodes"])
    assert all([st["step"] for st in r["steps"]] == ["services"] for r in start["nodes"].values())
    assert sorted(start["health"]["nodes"]) == sorted(result["nodes"])
    # the report's counts are those of the real subunit stream
    stats = subunit_stats(scenario / "tempest.subunit")
    counts = result["counts"]
    assert counts["total"] > 100
    assert stats["total"] == counts["total"]
    assert stats["passed"] == counts["passed"] + counts["flaky"]
    assert stats["skipped"] == counts["skipped"]
    # every link of the index and the scenario page points at a file that exists
    assert assert_links_resolve(run_dir / "index.html") > 3
    assert assert_links_resolve(scenario / "results.html") > 10
    # collected evidence: both nodes' hotfixes, system info, configs, the MSI log
    for node in result["nodes"]:
        for rel in ("hosts/{n}/hotfixes.txt", "hosts/{n}/systeminfo.txt", "logs/{n}/msi-install.log",
                    "config/{n}/nova.conf"):
            assert (scenario / rel.format(n=node)).is_file(), rel.format(n=node)
    assert (scenario / "config" / result["controller"] / "local.conf").is_file()
    assert result["product_version"]
    # no secret anywhere in the published tree
    for path in run_dir.rglob("*"):
        if path.is_file():
            assert lab["password"].encode() not in path.read_bytes(), path


def test_node_unreachable_then_resume(lab) -> None:
    broken = lab["write_config"](lab["root"] / "unreachable", lab["state"], include=lab["small_suite"],
                          edit=lambda t: t.replace("      labels: {os: 2012}\n", "      labels: {os: 2012}\n"
                                                   "      winrm: {scheme: https, port: 5990, retries: 1}\n"))
    code, summary, _ = lab["hvrt"]("run", "-c", str(broken), "-p", "2012-vhdx", "--results", str(lab["root"] / "r1"))
    assert code == 3
    result = summary["scenarios"][0]
    assert result["status"] == "error" and "hv-2012-a" in result["error"]
    code, summary, err = lab["hvrt"]("run", "--resume", summary["run_dir"], "-c", str(lab["small"]))
    assert code == 0, err
    assert statuses(summary) == {"2012-vhdx": "passed"}


def test_msi_install_failing_then_resume(lab) -> None:
    request_fault(lab["lab"], "hv-2012-a", "fail-msi", "1603")
    try:
        code, summary, _ = lab["hvrt"]("run", "-c", str(lab["small"]), "-p", "2012-vhdx", "--results", str(lab["root"] / "r2"))
    finally:
        request_fault(lab["lab"], "hv-2012-a", "clear")
    assert code == 3
    run_dir = Path(summary["run_dir"])
    result = json.loads((run_dir / "2012-vhdx" / "results.json").read_text())
    stages = {s["stage"]: s["status"] for s in result["stages"]}
    assert stages["configure"] == "failed" and stages["collect"] == "ok"
    # deploy ran beside configure: stopped by the failure (or done just before it)
    assert stages["deploy"] in ("cancelled", "ok") and stages["start"] == stages["test"] == "skipped"
    assert "1603" in result["error"]
    assert (run_dir / "2012-vhdx" / "logs" / "hv-2012-a" / "msi-install.log").is_file()
    code, summary, err = lab["hvrt"]("run", "--resume", str(run_dir))
    assert code == 0, err


def test_stack_sh_failing_then_resume(lab) -> None:
    broken = lab["write_config"](lab["root"] / "stackfail", lab["state"], include=lab["small_suite"],
                          edit=lambda t: t.replace('HVRT_SANDBOX_STEP_DELAY: "0"',
                                                   'HVRT_SANDBOX_STEP_DELAY: "0"\n      HVRT_SANDBOX_FAIL_AT: services'))
    code, summary, _ = lab["hvrt"]("run", "-c", str(broken), "-p", "2012-vhdx", "--results", str(lab["root"] / "r3"))
    assert code == 3
    result = summary["scenarios"][0]
    assert result["status"] == "error" and "stack.sh" in result["error"]
    stages = {s["stage"]: s["status"] for s in result["stages"]}
    assert stages["deploy"] == "failed" and stages["test"] == "skipped"
    log = Path(summary["run_dir"]) / "2012-vhdx" / "logs"
    assert any("step services failed" in p.read_text() for p in log.rglob("stack.sh.log"))
    code, summary, err = lab["hvrt"]("run", "--resume", summary["run_dir"], "-c", str(lab["small"]))
    assert code == 0, err


def test_tempest_crashing_then_resume(lab) -> None:
    """Tempest's Python cannot start (PYTHONHOME points nowhere): the test stage errors."""
    broken = lab["write_config"](lab["root"] / "tempestcrash", lab["state"], include=lab["small_suite"],
                          edit=lambda t: t.replace("settings:\n", "settings:\n  tempest:\n"
                                                   "    env: {PYTHONHOME: /nonexistent}\n", 1))
    code, summary, _ = lab["hvrt"]("run", "-c", str(broken), "-p", "2012-vhdx", "--results", str(lab["root"] / "r4"))
    assert code == 3
    result = summary["scenarios"][0]
    stages = {s["stage"]: s["status"] for s in result["stages"]}
    assert result["status"] == "error" and stages["test"] == "failed", result
    code, summary, err = lab["hvrt"]("run", "--resume", summary["run_dir"], "-c", str(lab["small"]))
    assert code == 0, err


def test_runner_killed_mid_test_then_resume_keeps_finished_results(lab) -> None:
    results = lab["root"] / "r5"
    proc = subprocess.Popen(
        [sys.executable, "-m", "hvrt.cli.main", "run", "-c", str(lab["small"]), "-p", "2012-vhdx",
         "-p", "2012r2-vhdx", "-j", "1", "--results", str(results)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env={**os.environ, "HVRT_SANDBOX_PASSWORD": lab["password"]})
    deadline = time.monotonic() + 600
    run_dir = None
    while time.monotonic() < deadline:
        runs = list(results.glob("*/*/journal.jsonl"))
        if runs:
            run_dir = runs[0].parent
            state = read_journal(runs[0])
            if state.finished and any(e.get("event") == "stage_start" and e.get("stage") == "test"
                                      and e.get("scenario") not in state.finished for e in state.events):
                break
        assert proc.poll() is None, "hvrt ended before it could be killed"
        time.sleep(0.2)
    else:
        proc.kill()
        pytest.fail("the run never reached the second scenario's test stage")
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    assert run_dir is not None
    finished = read_journal(run_dir / "journal.jsonl").finished
    assert len(finished) == 1
    (done,) = finished
    kept = (run_dir / done / "results.json").read_bytes()
    code, summary, err = lab["hvrt"]("run", "--resume", str(run_dir))
    assert code == 0, err
    assert set(statuses(summary).values()) == {"passed"} and len(summary["scenarios"]) == 2
    assert (run_dir / done / "results.json").read_bytes() == kept, "a finished result was rewritten"
    starts = [e for e in read_journal(run_dir / "journal.jsonl").events if e.get("event") == "scenario_start"]
    assert [e["scenario"] for e in starts].count(done) == 1, "a finished scenario ran again"


def test_lab_up_refreshes_what_it_built_from_older_package_data(lab, tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """A state dir left by an older hvrt: stale installer, image and stand-in scripts are
    replaced (the repository in place, so controllers' clones fetch the new scripts)."""
    import shutil

    from hvrt.config import load_config
    from hvrt.sandbox import devstack_repo
    from hvrt.sandbox.lab import SandboxLab

    state = tmp_path / "state"
    sandbox = SandboxLab(load_config(lab["write_config"](tmp_path / "cfg", state)))
    messages: list[str] = []
    sandbox._ensure_installer()
    sandbox._ensure_images()
    sandbox._ensure_devstack_repo(messages.append)
    assert messages == [f"DevStack stand-in repository built in {sandbox.devstack_repo}"]
    images = sorted((state / "images").iterdir())
    assert images
    made = {p: p.read_bytes() for p in [sandbox.installer, *images]}
    sandbox._ensure_installer()
    sandbox._ensure_images()
    sandbox._ensure_devstack_repo(messages.append)
    assert len(messages) == 1 and {p: p.read_bytes() for p in made} == made

    for path in made:
        path.write_bytes(b"made by an older hvrt\n")
    data = tmp_path / "data"
    shutil.copytree(devstack_repo.DATA, data)
    (data / "stack.sh").write_text((data / "stack.sh").read_text() + "\n# newer stand-in\n")
    monkeypatch.setattr(devstack_repo, "DATA", data)
    sandbox._ensure_installer()
    sandbox._ensure_images()
    sandbox._ensure_devstack_repo(messages.append)
    assert {p: p.read_bytes() for p in made} == made
    assert not list(state.rglob("*.new"))
    assert messages[1:] == [f"DevStack stand-in repository updated in {sandbox.devstack_repo}"]
    shown = subprocess.run(["git", "-c", "safe.directory=*", "-C", str(sandbox.devstack_repo), "show",
                            "stable/2024.1:stack.sh"], capture_output=True, text=True, check=True).stdout
    assert "# newer stand-in" in shown
