"""The runner with real ``tempest run``: on the sample suite (every outcome, a flaky
test, a flaky class fixture) and on Tempest's identity API tests against a real
Keystone, through a ``local`` controller transport."""
from __future__ import annotations

import re
import subprocess
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import subunit
import testtools
from hvrt_tempest.runner import TempestRunner

from hvrt.config.model import Host, Secret, TempestSuite
from hvrt.context import Deployment, ScenarioContext
from hvrt.errors import TestRunError
from hvrt.results import TestStatus
from hvrt.sandbox import venvs
from hvrt.subunit import parse_subunit

pytestmark = pytest.mark.keystone

SAMPLE = "hvrt_sample."
BROKEN = "hvrt_sample.checks.Broken.test_always_fails"
FLAKY = "hvrt_sample.checks.Flaky.test_fails_once"
FIXTURE = "setUpClass (hvrt_sample.fixtures.FlakyFixture)"

Factory = Callable[..., ScenarioContext]


def statuses(cases: list[Any]) -> dict[str, str]:
    return {c.id: c.status.value for c in cases}


def subunit_stats(path: Any) -> dict[str, int]:
    """Counts of python-subunit's own ``subunit-stats`` tool on a saved stream."""
    tool = venvs.venv_bin("tempest", "subunit-stats")
    with open(path, "rb") as fh:
        out = subprocess.run([str(tool), "--no-passthrough"], stdin=fh, capture_output=True, text=True, timeout=120).stdout
    found = dict(re.findall(r"^(Total|Passed|Failed|Skipped) tests:\s+(\d+)$", out, re.M))
    return {k.lower(): int(v) for k, v in found.items()}


def worker_tags(path: Path) -> set[str]:
    tags: set[str] = set()
    collector = testtools.StreamToDict(lambda test: tags.update(t for t in test["tags"] if t.startswith("worker-")))
    collector.startTestRun()
    with open(path, "rb") as fh:
        subunit.ByteStreamToStreamResult(fh).run(collector)
    collector.stopTestRun()
    return tags


def test_retries_make_flaky_and_keep_always_failing(
    scenario_factory: Factory, sample_deployment: Deployment, sample_settings: dict[str, Any]
) -> None:
    ctx = scenario_factory(
        suite=TempestSuite(include=(SAMPLE,), concurrency=2, max_attempts=3),
        deployment=sample_deployment, settings=sample_settings,
    )
    cases = TempestRunner(ctx, sample_deployment).run()
    by_id = {c.id: c for c in cases}
    assert statuses(cases) == {
        "hvrt_sample.checks.Arithmetic.test_addition": "passed",
        "hvrt_sample.checks.Arithmetic.test_ordering": "passed",
        "hvrt_sample.checks.Known.test_known_bug": "xfail",
        "hvrt_sample.checks.Unavailable.test_feature_missing": "skipped",
        BROKEN: "failed",
        FLAKY: "flaky",
        FIXTURE: "flaky",
        "hvrt_sample.fixtures.FlakyFixture.test_after_fixture": "passed",
    }
    assert by_id[BROKEN].attempts == ["failed", "failed", "failed"]
    assert "this test is broken on purpose" in by_id[BROKEN].details
    assert "captured stdout of a broken test" in by_id[BROKEN].details
    assert by_id[FLAKY].attempts == ["failed", "passed"]
    assert "transient failure on the first attempt" in by_id[FLAKY].details
    assert by_id[FIXTURE].attempts == ["failed", "passed"]
    assert by_id["hvrt_sample.checks.Unavailable.test_feature_missing"].reason == "feature not available in this cloud"

    attempts = ctx.result.facts["tempest"]["attempts"]
    assert [(a["phase"], a["attempt"], a["tests"]) for a in attempts] == [
        ("parallel", 1, 7), ("parallel", 2, 3), ("parallel", 3, 1),
    ]
    # the saved stream is every attempt, concatenated, and still valid subunit v2
    stream = ctx.dir / "tempest.subunit"
    assert "tempest.subunit" in ctx.result.artifacts
    assert subunit_stats(stream) == {"total": 11, "passed": 5, "failed": 5, "skipped": 1}
    assert len(parse_subunit(stream, merge=False)) == 11


def test_single_attempt_leaves_failures_failed(
    scenario_factory: Factory, sample_deployment: Deployment, sample_settings: dict[str, Any]
) -> None:
    ctx = scenario_factory(
        suite=TempestSuite(include=("hvrt_sample.checks.Flaky", "hvrt_sample.checks.Broken"), max_attempts=1),
        deployment=sample_deployment, settings=sample_settings,
    )
    cases = TempestRunner(ctx, sample_deployment).run()
    assert statuses(cases) == {BROKEN: "failed", FLAKY: "failed"}


def test_isolated_skip_and_xfail_maps(
    scenario_factory: Factory, sample_deployment: Deployment, sample_settings: dict[str, Any]
) -> None:
    suite = TempestSuite(
        include=("hvrt_sample.checks.",),
        isolated=("hvrt_sample.checks.Arithmetic",),
        skip={"hvrt_sample.checks.Flaky": "flaky on this lab"},
        xfail={BROKEN: "known bug 7"},
        concurrency=2, max_attempts=2,
    )
    ctx = scenario_factory(suite=suite, deployment=sample_deployment, settings=sample_settings)
    cases = TempestRunner(ctx, sample_deployment).run()
    by_id = {c.id: c for c in cases}
    # expected failures are reported with their reason and never re-run
    assert by_id[BROKEN].status is TestStatus.XFAIL and by_id[BROKEN].reason == "known bug 7"
    assert by_id[BROKEN].attempts == ["failed"]
    assert by_id[FLAKY].status is TestStatus.SKIPPED and by_id[FLAKY].reason == "flaky on this lab"
    facts = ctx.result.facts["tempest"]
    assert facts["selection"] == {"parallel": 3, "isolated": 2, "skipped": 1, "xfail": 1}
    assert [(a["phase"], a["tests"]) for a in facts["attempts"]] == [("parallel", 3), ("isolated", 2)]
    # the isolated phase ran on one worker, the other phase on two
    workspace = Path(facts["workspace"])
    assert worker_tags(workspace / "hvrt-isolated-1.subunit") == {"worker-0"}
    assert worker_tags(workspace / "hvrt-parallel-1.subunit") == {"worker-0", "worker-1"}
    assert subunit_stats(ctx.dir / "tempest.subunit")["total"] == 5
    assert by_id["hvrt_sample.checks.Arithmetic.test_addition"].status is TestStatus.PASSED


def test_an_expected_failure_that_passes_is_unexpected_success(
    scenario_factory: Factory, sample_deployment: Deployment, sample_settings: dict[str, Any]
) -> None:
    suite = TempestSuite(include=("hvrt_sample.checks.Arithmetic.test_addition",),
                         xfail={"hvrt_sample.checks.Arithmetic": "said to fail"})
    ctx = scenario_factory(suite=suite, deployment=sample_deployment, settings=sample_settings)
    [case] = TempestRunner(ctx, sample_deployment).run()
    assert case.status is TestStatus.UXSUCCESS and case.reason == "said to fail"


def test_tests_that_all_skip_themselves_come_back_for_the_all_skipped_status(
    scenario_factory: Factory, sample_deployment: Deployment, sample_settings: dict[str, Any]
) -> None:
    only_skips = TempestSuite(include=("hvrt_sample.checks.Unavailable",))
    ctx = scenario_factory(suite=only_skips, deployment=sample_deployment, settings=sample_settings)
    cases = TempestRunner(ctx, sample_deployment).run()
    assert cases and {c.status for c in cases} == {TestStatus.SKIPPED}


def test_selecting_nothing_is_an_error(
    scenario_factory: Factory, sample_deployment: Deployment, sample_settings: dict[str, Any]
) -> None:
    ctx = scenario_factory(suite=TempestSuite(include=("tempest.api.nothing",)),
                           deployment=sample_deployment, settings=sample_settings)
    with pytest.raises(TestRunError, match="selects none of the 7 tests"):
        TempestRunner(ctx, sample_deployment).run()


def test_tempest_crashing_is_an_error_with_the_log_tail(
    scenario_factory: Factory, sample_deployment: Deployment, sample_settings: dict[str, Any]
) -> None:
    # Tempest itself, except that `run --subunit` dies before writing any result
    crashing = (
        "sh", "-c",
        'real="$1"; shift; if [ "$1" = run ] && [ "$2" = --subunit ]; then '
        'echo "Traceback: worker pool crashed" >&2; exit 2; fi; exec "$real" "$@"',
        "fake-tempest", *sample_deployment.tempest_command,
    )
    deployment = replace(sample_deployment, tempest_command=crashing)
    ctx = scenario_factory(suite=TempestSuite(include=(SAMPLE,)), deployment=deployment, settings=sample_settings)
    with pytest.raises(TestRunError, match="no test results") as info:
        TempestRunner(ctx, deployment).run()
    assert "worker pool crashed" in info.value.detail
    assert "exit 2" in str(info.value)


def test_tempest_dying_after_some_results_is_an_error_and_the_stream_is_kept(
    scenario_factory: Factory, sample_deployment: Deployment, sample_settings: dict[str, Any]
) -> None:
    # the real run happens, then the process ends with a status no test outcome gives
    dying = (
        "sh", "-c",
        'real="$1"; shift; if [ "$1" = run ] && [ "$2" = --subunit ]; then '
        '"$real" "$@"; echo "Killed: out of memory" >&2; exit 137; fi; exec "$real" "$@"',
        "fake-tempest", *sample_deployment.tempest_command,
    )
    deployment = replace(sample_deployment, tempest_command=dying)
    ctx = scenario_factory(suite=TempestSuite(include=("hvrt_sample.checks.Arithmetic",)),
                           deployment=deployment, settings=sample_settings)
    with pytest.raises(TestRunError, match="Tempest exited 137 .* after 2 results") as info:
        TempestRunner(ctx, deployment).run()
    assert "out of memory" in info.value.detail
    assert subunit_stats(ctx.dir / "tempest.subunit") == {"total": 2, "passed": 2, "failed": 0, "skipped": 0}


def test_scenario_flags_reach_the_saved_conf_without_secrets(
    scenario_factory: Factory, sample_deployment: Deployment, sample_settings: dict[str, Any]
) -> None:
    ctx = scenario_factory(
        suite=TempestSuite(include=("hvrt_sample.checks.Arithmetic",)), deployment=sample_deployment,
        settings=sample_settings, profile={"live_migration": True, "os": "2019", "vm_generation": 2},
    )
    TempestRunner(ctx, sample_deployment).run()
    saved = (ctx.dir / "config" / "controller" / "tempest.conf").read_text()
    assert "live_migration = true" in saved and "interface_attach = true" in saved
    assert "sample-password-1" not in saved and "admin_password = ***" in saved
    for path in ctx.dir.rglob("*"):
        if path.is_file():
            assert b"sample-password-1" not in path.read_bytes(), path


@pytest.mark.sshd
def test_runs_over_ssh_like_on_a_real_controller(
    scenario_factory: Factory, sample_deployment: Deployment, sample_settings: dict[str, Any], ssh_controller: Host
) -> None:
    ctx = scenario_factory(
        suite=TempestSuite(include=("hvrt_sample.checks.",), concurrency=2, max_attempts=2),
        deployment=sample_deployment, settings=sample_settings, controller=ssh_controller,
    )
    try:
        cases = TempestRunner(ctx, sample_deployment).run()
        assert type(ctx.transport("controller")).__name__ == "SSHTransport"
    finally:
        ctx.close_transports()
    assert statuses(cases) == {
        "hvrt_sample.checks.Arithmetic.test_addition": "passed",
        "hvrt_sample.checks.Arithmetic.test_ordering": "passed",
        "hvrt_sample.checks.Known.test_known_bug": "xfail",
        "hvrt_sample.checks.Unavailable.test_feature_missing": "skipped",
        BROKEN: "failed",
        FLAKY: "flaky",
    }
    assert subunit_stats(ctx.dir / "tempest.subunit") == {"total": 8, "passed": 4, "failed": 3, "skipped": 1}


@pytest.mark.slow
def test_identity_api_against_real_keystone(
    scenario_factory: Factory, keystone_deployment: Deployment, keystone: Any
) -> None:
    """The non-admin v3 identity tests (the whole identity suite runs in the sandbox's
    end-to-end test, tests/hvrt/sandbox/test_lab.py)."""
    ctx = scenario_factory(
        suite=TempestSuite(include=("tempest.api.identity.v3",), concurrency=2, max_attempts=2),
        deployment=keystone_deployment, secrets_=(keystone.password,),
    )
    cases = TempestRunner(ctx, keystone_deployment).run()
    counts = {s: sum(1 for c in cases if c.status.value == s) for s in ("passed", "failed", "skipped", "flaky")}
    stats = subunit_stats(ctx.dir / "tempest.subunit")
    failures = [c.details for c in cases if c.status in (TestStatus.FAILED, TestStatus.FLAKY)]
    assert len(ctx.result.facts["tempest"]["attempts"]) == 1, failures[:1]
    assert stats == {
        "total": len(cases), "passed": counts["passed"], "failed": counts["failed"], "skipped": counts["skipped"],
    }
    assert counts["failed"] == 0 and counts["passed"] >= 20 and counts["skipped"] == 1
    assert all(c.id.startswith("tempest.api.identity.v3.") or "(tempest.api.identity.v3." in c.id for c in cases)
    secret = keystone.password.reveal().encode()
    for path in ctx.dir.rglob("*"):
        if path.is_file():
            assert secret not in path.read_bytes(), path


def test_workspace_names_are_single_path_elements(scenario_factory) -> None:
    deployment = Deployment(controller="controller", auth_url="http://127.0.0.1:5000/v3", username="admin",
                            password=Secret("pw-123", "test"), workdir="/w")
    ctx = scenario_factory(suite=TempestSuite(include=("x",)), deployment=deployment)
    ctx.run.run_id = "../2012r2/vhdx:cow x"
    runner = TempestRunner(ctx, deployment)
    assert runner.workspace.split("/")[-2:] == ["2012r2_vhdx_cow_x", "identity"]
    assert ".." not in runner.workspace.split("/")


def test_a_rerun_runs_only_the_failed_tests_still_selected(
    scenario_factory: Factory, sample_deployment: Deployment, sample_settings: dict[str, Any]
) -> None:
    ctx = scenario_factory(
        suite=TempestSuite(include=("hvrt_sample.checks.",), exclude=("hvrt_sample.checks.Flaky",), max_attempts=1),
        deployment=sample_deployment, settings=sample_settings,
    )
    # the flaky test failed last time but the suite excludes it now: it is not run again
    ctx.only_tests = (BROKEN, FLAKY, "hvrt_sample.checks.Arithmetic.test_addition")
    cases = TempestRunner(ctx, sample_deployment).run()
    assert statuses(cases) == {BROKEN: "failed", "hvrt_sample.checks.Arithmetic.test_addition": "passed"}
    facts = ctx.result.facts["tempest"]
    assert facts["rerun"] == {"failed": 3, "selected": 2}
    assert facts["selection"] == {"parallel": 2, "isolated": 0, "skipped": 0, "xfail": 0}
    assert [a["tests"] for a in facts["attempts"]] == [2]


def test_a_rerun_whose_tests_are_gone_is_an_error(
    scenario_factory: Factory, sample_deployment: Deployment, sample_settings: dict[str, Any]
) -> None:
    ctx = scenario_factory(suite=TempestSuite(include=("hvrt_sample.checks.",)), deployment=sample_deployment,
                           settings=sample_settings)
    ctx.only_tests = ("hvrt_sample.checks.Removed.test_gone",)
    with pytest.raises(TestRunError, match="none of the 1 tests to run again is selected"):
        TempestRunner(ctx, sample_deployment).run()


def test_listing_from_a_scratch_workspace_needs_no_cloud(cloud_venvs: None) -> None:
    from hvrt_tempest.runner import list_available

    from hvrt.transport.local import LocalTransport

    transport = LocalTransport("controller")
    ids = list_available(transport, [venvs.venv_bin("tempest", "tempest").as_posix()], timeout=300)
    assert len(ids) > 1000 and ids == sorted(ids)
    assert any(i.startswith("tempest.api.identity.v3.test_api_discovery.TestApiDiscovery.") for i in ids)
    with pytest.raises(TestRunError, match="list-tests exited"):
        list_available(transport, ["/nonexistent/tempest"], timeout=60)
