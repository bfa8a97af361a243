"""The plugin as the engine sees it: loaded through its ``tempest`` entry point,
driven through the core ``hvrt_stage`` hook for the test and collect stages."""
from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import hvrt_tempest.plugin
import pytest

from hvrt.config.model import TempestSuite
from hvrt.context import Deployment, ScenarioContext
from hvrt.errors import TestRunError
from hvrt.results import TestStatus

pytestmark = pytest.mark.keystone

Factory = Callable[..., ScenarioContext]


def test_entry_point_loads_this_module(scenario_factory: Factory, sample_deployment: Deployment) -> None:
    ctx = scenario_factory(suite=TempestSuite(include=("x",)), deployment=sample_deployment)
    assert ctx.run.pm.get_plugin("tempest") is hvrt_tempest.plugin
    hooks = {h.name for h in ctx.run.pm.get_hookcallers(hvrt_tempest.plugin) or []}
    assert hooks == {"hvrt_config_schema", "hvrt_cli", "hvrt_effective_values", "hvrt_run_tests", "hvrt_collect"}


def test_test_and_collect_stages(
    scenario_factory: Factory, sample_deployment: Deployment, sample_settings: dict[str, Any]
) -> None:
    ctx = scenario_factory(
        suite=TempestSuite(include=("hvrt_sample.checks.Arithmetic", "hvrt_sample.checks.Flaky")),
        deployment=sample_deployment, settings=sample_settings,
    )
    ctx.deployment = sample_deployment
    ctx.stage = "test"
    ctx.run.pm.hook.hvrt_stage(ctx=ctx, stage="test")
    assert sorted((t.id.rsplit(".", 1)[1], t.status) for t in ctx.result.tests) == [
        ("test_addition", TestStatus.PASSED), ("test_fails_once", TestStatus.FLAKY),
        ("test_ordering", TestStatus.PASSED),
    ]
    # Tempest's own log in the workspace is collected, secrets masked
    workspace = Path(ctx.result.facts["tempest"]["workspace"])
    (workspace / "logs").mkdir(exist_ok=True)
    with open(workspace / "logs" / "tempest.log", "a") as fh:
        fh.write(f"DEBUG auth with password {sample_deployment.password.reveal()}\n")
    ctx.stage = "collect"
    ctx.run.pm.hook.hvrt_stage(ctx=ctx, stage="collect")
    collected = (ctx.dir / "logs" / "controller" / "tempest.log").read_text()
    assert "DEBUG auth with password ***" in collected
    assert "logs/controller/tempest.log" in ctx.result.artifacts


def test_collect_without_a_workspace_or_log_does_not_raise(
    scenario_factory: Factory, sample_deployment: Deployment, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    ctx = scenario_factory(suite=TempestSuite(include=("x",)), deployment=sample_deployment)
    hvrt_tempest.plugin.hvrt_collect(ctx)  # the test stage never ran
    ctx.state["tempest"] = {"workspace": str(tmp_path / "gone"), "controller": "controller"}
    hvrt_tempest.plugin.hvrt_collect(ctx)
    assert "no Tempest log collected" in caplog.text
    assert not (ctx.dir / "logs").exists()


def test_a_deployment_without_tempest_conf_is_a_test_error(
    scenario_factory: Factory, sample_deployment: Deployment
) -> None:
    deployment = Deployment(
        controller="controller", auth_url=sample_deployment.auth_url, username="admin",
        password=sample_deployment.password, tempest_conf=None,
    )
    ctx = scenario_factory(suite=TempestSuite(include=("x",)), deployment=deployment)
    with pytest.raises(TestRunError, match="no tempest.conf"):
        ctx.run.pm.hook.hvrt_run_tests(ctx=ctx, deployment=deployment)
