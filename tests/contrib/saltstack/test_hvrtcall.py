"""How the Salt modules call hvrt: argument vectors, finding run folders, and the
coordination URL handed to hvrt."""
from __future__ import annotations

import json
import os
import time
from pathlib import Path

from hvrt_saltstack import hvrtcall

from hvrt.leases.service import LeaseService


def test_run_arguments_are_an_argv_with_one_flag_per_profile() -> None:
    args = hvrtcall.run_args(config="/srv/h.yaml", profile="a, b;rm -rf /", results="/r", jobs=2,
                             fail_fast=True)
    assert args == ["run", "--config", "/srv/h.yaml", "--json", "--profile", "a", "--profile", "b;rm -rf /",
                    "--results", "/r", "--jobs", "2", "--fail-fast"]
    assert hvrtcall.run_args(config="c", profile=["x"], all_profiles=True, dry_run=True)[-2:] == ["--all",
                                                                                              "--dry-run"]


def _run_folder(root: Path, name: str, counts: dict, age: float) -> Path:
    folder = root / "rel" / name
    folder.mkdir(parents=True)
    (folder / "run.json").write_text("{}")
    (folder / "summary.json").write_text(json.dumps({"scenario_counts": counts, "interrupted": False}))
    stamp = time.time() - age
    os.utime(folder / "run.json", (stamp, stamp))
    return folder


def test_a_results_root_stands_for_its_newest_run(tmp_path: Path) -> None:
    old = _run_folder(tmp_path, "20250101-000000", {"passed": 1}, age=100)
    new = _run_folder(tmp_path, "20250102-000000", {"failed": 1}, age=10)
    assert hvrtcall.newest_run(tmp_path) == new
    assert hvrtcall.newest_run(old) == old
    code, summary = hvrtcall.results(str(tmp_path))
    assert code == 1 and summary["run_dir"] == str(new)
    assert hvrtcall.results(str(old))[0] == 0
    code, summary = hvrtcall.results(str(tmp_path / "nothing"))
    assert code == 2 and "no summary.json" in summary["error"]


def test_exit_codes_of_summaries_follow_hvrt() -> None:
    assert hvrtcall.summary_exit_code({"scenario_counts": {"passed": 3}}) == 0
    assert hvrtcall.summary_exit_code({"scenario_counts": {"passed": 1, "failed": 1}}) == 1
    assert hvrtcall.summary_exit_code({"scenario_counts": {"failed": 1, "error": 1}}) == 3
    assert hvrtcall.summary_exit_code({"scenario_counts": {"passed": 1}, "interrupted": True}) == 130


def test_a_missing_hvrt_is_reported_not_raised() -> None:
    done = hvrtcall.call(["--version"], hvrt_bin="/nonexistent/hvrt")
    assert done.exit_code == 127 and "cannot start hvrt" in done.stderr
    real = hvrtcall.call(["--version"])
    assert real.exit_code == 0 and real.stdout.startswith("hvrt ")


def test_the_coordination_url_reaches_hvrt_run_and_hvrt_leases(saltkit, tmp_path: Path) -> None:
    nodes = {"hv1": {"address": "127.0.0.11", "transport": "local", "labels": {"os": "2012r2"},
                     "configurator": "saltlab"},
             "hv2": {"address": "127.0.0.12", "transport": "local", "labels": {"os": "2012r2"}}}
    lab = json.loads(saltkit.lab_yaml(nodes=nodes, profiles={"solo": {"os": "2012r2", "hosts": ["hv1"]}}))
    del lab["settings"]  # the saltlab plugin's defaults
    config = tmp_path / "hvrt.yaml"
    config.write_text(json.dumps(lab))
    url = f"file://{tmp_path / 'leases'}"
    env = {**saltkit.env(), "XDG_STATE_HOME": str(tmp_path / "state")}
    with LeaseService(url, runner="runner9") as other:
        other.hold(["hv2"], run_id="run-elsewhere", scenario="other")
        code, data = hvrtcall.leases(config=str(config), coordination=url, env=env)
    assert code == 0, data
    assert data["coordination"] == {"url": url, "source": "$HVRT_COORDINATION"}
    holders = {h["host"]: h["holder"] for h in data["hosts"]}
    assert holders["hv1"] is None and holders["hv2"]["runner"] == "runner9"
    assert holders["hv2"]["scenario"] == "other"

    code, summary = hvrtcall.run(config=str(config), profile="solo", results=str(tmp_path / "results"),
                                 coordination=url, env=env)
    assert code == 0, summary
    log = (Path(summary["run_dir"]) / "hvrt.log").read_text()
    assert f"host leases: {url} ($HVRT_COORDINATION)" in log
    assert not (tmp_path / "state").exists()  # the runner host's default folder was not used
