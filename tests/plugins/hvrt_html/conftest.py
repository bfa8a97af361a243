"""Results trees built from real subunit streams (recorded by stestr and Tempest)."""
from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from hvrt_html.writers import write_run_reports, write_scenario_reports

from hvrt.results import RunSummary, ScenarioResult, ScenarioStatus, StageRecord
from hvrt.results.store import ResultsStore
from hvrt.subunit import parse_subunit

DATA = Path(__file__).resolve().parents[2] / "data"
STESTR = DATA / "subunit-stestr"
TEMPEST = DATA / "subunit"

# files a collector would save, with names that need quoting in a link
ODD_FILES = {
    "logs/hv1/nova-compute.log": "INFO nova.compute started\n",
    "logs/hv1/with space #1?.log": "odd name\n",
    "config/hv1/nova.conf": "[DEFAULT]\ncompute_driver = hyperv\n",
    "hosts/hv1/hotfixes": "KB2919355\n",
    "hosts/hv1/systeminfo": "OS Name: Microsoft Windows Server 2012 R2\n",
    "logs/ctl1/stack.sh.log": "stack.sh completed in 912 seconds\n",
    "logs/hv1/ünïcode.log": "utf-8 name\n",
}


def scenario_from_stream(name: str, stream: Path, *, started: float = 1_700_000_000.0) -> ScenarioResult:
    tests = parse_subunit(stream)
    status = ScenarioStatus.FAILED if any(t.status.is_problem for t in tests) else ScenarioStatus.PASSED
    stages = [StageRecord(s, "ok", started + i, started + i + 1) for i, s in enumerate(
        ("plan", "provision", "configure", "deploy", "test", "collect"))]
    return ScenarioResult(
        name=name, status=status, profile={"name": name, "os": "2012r2", "image": {"format": "vhdx"},
                                           "live_migration": False},
        nodes=["hv1"], controller="ctl1", stages=stages, tests=tests, started=started,
        ended=started + 600, product_version="19.0.0.1", installer_sha256="ab" * 32,
        facts={"hv1": {"clock_skew_s": 0.4, "free_disk_gb": 120}},
        artifacts=["tempest.subunit", *ODD_FILES, "config/hv1/missing.conf"],
    )


def make_run(root: Path, run_id: str, streams: dict[str, Path], release: str = "newton") -> Path:
    """A results tree as ``hvrt run`` leaves it: scenario folders with collected files
    and the stream, the JSON files written by the store, every report by the plugin's writers."""
    run_dir = root / release / run_id
    store = ResultsStore(run_dir)
    summary = RunSummary(run_id=run_id, release=release, started=1_700_000_000.0, ended=1_700_000_900.0)
    for name, stream in streams.items():
        folder = store.scenario_dir(name)
        shutil.copyfile(stream, folder / "tempest.subunit")
        for rel, text in ODD_FILES.items():
            (folder / rel).parent.mkdir(parents=True, exist_ok=True)
            (folder / rel).write_text(text, encoding="utf-8")
        result = scenario_from_stream(name, stream)
        write_scenario_reports(store, folder, store.write_result(result), run_id=run_id)
        summary.scenarios.append(result)
    (run_dir / "hvrt.log").write_text("run log\n")
    (run_dir / "journal.jsonl").write_text("{}\n")
    write_run_reports(store, store.write_summary(summary))
    return run_dir


@pytest.fixture
def run_factory(tmp_path: Path) -> Callable[..., Path]:
    def factory(run_id: str, streams: dict[str, Path], release: str = "newton") -> Path:
        return make_run(tmp_path / "results", run_id, streams, release)

    return factory


@pytest.fixture
def two_scenario_run(run_factory: Callable[..., Path]) -> Path:
    return run_factory("run-1", {
        "2012r2-vhdx": STESTR / "run-retried.subunit",
        "2016-vhd": TEMPEST / "tempest-identity.subunit",
    })


@pytest.fixture
def scenario_factory() -> Callable[..., ScenarioResult]:
    return scenario_from_stream
