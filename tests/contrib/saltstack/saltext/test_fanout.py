"""The fan-out example (``examples/orch/hvrt_fanout.sls``, shown in docs/saltstack.md)
on a real salt-master with two runner minions: two profiles run at the same time,
one on each minion, taking their host leases in the one coordination service the
pillar names, then ``hvrt report merge`` joins them into one index."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

pytestmark = [pytest.mark.salt, pytest.mark.slow]

EXAMPLE = Path(__file__).resolve().parents[4] / "contrib" / "saltstack" / "examples" / "orch" / "hvrt_fanout.sls"
DOC = Path(__file__).resolve().parents[4] / "docs" / "saltstack.md"
NODES = {
    "hv1": {"address": "127.0.0.11", "transport": "local", "labels": {"os": "2012r2"}, "configurator": "saltlab"},
    "hv2": {"address": "127.0.0.12", "transport": "local", "labels": {"os": "2016"}, "configurator": "saltlab"},
}
PROFILES = {"2012r2-vhdx": {"os": "2012r2", "hosts": ["hv1"]}, "2016-vhdx": {"os": "2016", "hosts": ["hv2"]}}


def fanout(salt_cluster, tmp_path: Path, runs: dict[str, str]) -> tuple[int, dict]:
    shutil.copy(EXAMPLE, salt_cluster.srv / "orch" / "hvrt_fanout.sls")
    pillar = {"hvrt_fanout": {"config": str(tmp_path / "hvrt.yaml"), "results": str(tmp_path / "results"),
                              "published": str(tmp_path / "merged"), "runs": runs,
                              "coordination": f"file://{tmp_path / 'leases'}"}}
    done = salt_cluster.orchestrate("orch.hvrt_fanout", f"pillar={json.dumps(pillar)}")
    data = json.loads(done.stdout)
    steps = next(iter(data["data"].values()))
    return done.returncode, {v["__id__"]: v for v in steps.values()}


def test_two_profiles_on_two_runners_in_parallel_then_one_merged_index(saltkit, salt_cluster, tmp_path) -> None:
    (tmp_path / "hvrt.yaml").write_text(saltkit.lab_yaml(nodes=NODES, profiles=PROFILES, settings={"sleep": 3}))
    code, steps = fanout(salt_cluster, tmp_path, {"runner1": "2012r2-vhdx", "runner2": "2016-vhdx"})
    assert code == 0, steps
    assert all(step["result"] is True for step in steps.values())
    one = steps["hvrt-run-runner1"]["changes"]["ret"]["runner1"]
    two = steps["hvrt-run-runner2"]["changes"]["ret"]["runner2"]
    assert [s["name"] for s in one["scenarios"]] == ["2012r2-vhdx"]
    assert [s["name"] for s in two["scenarios"]] == ["2016-vhdx"]
    assert Path(one["run_dir"]).is_relative_to(tmp_path / "results" / "runner1")
    # both runs were under way at the same time, but their scenarios share the lab's one
    # controller: the leases in the pillar's coordination folder let one use it at a time
    assert one["started"] < two["ended"] and two["started"] < one["ended"]
    [a], [b] = one["scenarios"], two["scenarios"]
    assert a["ended"] <= b["started"] or b["ended"] <= a["started"]
    assert {p.name for p in (tmp_path / "leases").glob("hvrt-host-*")} == \
        {"hvrt-host-ctl1", "hvrt-host-hv1", "hvrt-host-hv2"}

    merged = json.loads((tmp_path / "merged" / "summary.json").read_text())
    assert sorted(s["name"] for s in merged["scenarios"]) == ["2012r2-vhdx", "2016-vhdx"]
    assert merged["scenario_counts"] == {"passed": 2}
    assert (tmp_path / "merged" / "index.html").is_file()
    assert (tmp_path / "merged" / "2016-vhdx" / "results.json").is_file()
    assert steps["hvrt-merge"]["changes"]["return"]["exit_code"] == 0


def test_a_failing_runner_fails_its_step_and_nothing_is_merged(saltkit, salt_cluster, tmp_path) -> None:
    settings = {"fail": {"2016-vhdx": "deploy"}}
    (tmp_path / "hvrt.yaml").write_text(saltkit.lab_yaml(nodes=NODES, profiles=PROFILES, settings=settings))
    code, steps = fanout(salt_cluster, tmp_path, {"runner1": "2012r2-vhdx", "runner2": "2016-vhdx"})
    assert code != 0
    assert steps["hvrt-run-runner1"]["result"] is True
    assert steps["hvrt-run-runner2"]["result"] is False
    failed = steps["hvrt-run-runner2"]["changes"]["ret"]["runner2"]
    assert failed["exit_code"] == 3 and "saltlab failure injected in deploy" in failed["scenarios"][0]["error"]
    assert steps["hvrt-merge"]["result"] is False
    assert not (tmp_path / "merged").exists()


def test_the_docs_show_the_tested_example() -> None:
    if not DOC.is_file():
        pytest.fail("docs/saltstack.md is missing")
    assert EXAMPLE.read_text().strip() in DOC.read_text()
