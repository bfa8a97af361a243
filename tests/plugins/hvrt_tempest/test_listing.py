"""The controller-side caches of the runner, with real ``tempest run`` on a copy of
the sample suite: a later run takes the listing from the cache, a changed tempest.conf
or test file lists again, and an unsafe or disabled cache is never used."""
from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hvrt_tempest.runner import TempestRunner

from hvrt.config.model import TempestSuite
from hvrt.context import Deployment, ScenarioContext

pytestmark = pytest.mark.keystone

SUITE = TempestSuite(include=("hvrt_sample.checks.Arithmetic",))
NEW_TEST = "hvrt_sample.checks.Added.test_new"
SAMPLE_SUITE = Path(__file__).resolve().parents[2] / "data" / "subunit" / "suite"


@pytest.fixture
def suite_copy(tmp_path: Path, sample_settings: dict[str, Any]) -> dict[str, Any]:
    """Runner settings on a copy of the sample suite (so a test can change it), with
    one workspace root for every run of the test."""
    top = tmp_path / "suite"
    shutil.copytree(SAMPLE_SUITE, top, ignore=shutil.ignore_patterns("__pycache__"))
    return {**sample_settings, "test_path": str(top / "hvrt_sample"), "top_dir": str(top),
            "workspace_root": str(tmp_path / "controller")}


@pytest.fixture
def run(tmp_path: Path, sample_deployment: Deployment, context_builder: Callable[..., ScenarioContext]) -> Callable:
    """Run the sample suite as run ``name`` (its own results folder and workspace) and
    return the runner's facts."""
    return lambda name, settings, suite=SUITE: run_once(tmp_path, name, sample_deployment, settings, suite,
                                                         context_builder)


def run_once(tmp_path: Path, name: str, deployment: Deployment, settings: dict[str, Any], suite: TempestSuite,
             context_builder: Callable[..., ScenarioContext]) -> dict[str, Any]:
    ctx = context_builder(tmp_path / name, suite=suite, deployment=deployment, settings=settings)
    ctx.run.run_id = name
    TempestRunner(ctx, deployment).run()
    return ctx.result.facts["tempest"]


def test_a_later_run_takes_the_listing_from_the_cache_until_the_conf_or_the_tests_change(
    run: Callable, suite_copy: dict[str, Any]
) -> None:
    first = run("r1", suite_copy)
    second = run("r2", suite_copy)
    cache = Path(suite_copy["workspace_root"]) / f".cache-{os.getuid()}"
    assert (first["listing"], second["listing"]) == ("listed", "cached")
    assert first["cache_home"] == second["cache_home"] == str(cache)
    assert first["listed"] == second["listed"] and first["selection"] == second["selection"]
    assert (cache.stat().st_mode & 0o777) == 0o700 and len(list((cache / "hvrt-list-tests").glob("*.list"))) == 1

    other_conf = {**suite_copy, "conf": {"compute": {"build_timeout": "123"}}}
    assert run("r3", other_conf)["listing"] == "listed"

    with open(Path(suite_copy["test_path"]) / "checks.py", "a", encoding="utf-8") as checks:
        checks.write("\n\nclass Added(testtools.TestCase):\n    def test_new(self):\n        pass\n")
    wider = TempestSuite(include=("hvrt_sample.checks.Arithmetic", NEW_TEST))
    fourth = run("r4", suite_copy, wider)
    assert fourth["listing"] == "listed" and fourth["listed"] == first["listed"] + 1
    assert fourth["selection"]["parallel"] == first["selection"]["parallel"] + 1


@pytest.mark.parametrize("how", ["world-writable", "disabled"])
def test_an_unsafe_or_disabled_cache_is_not_used(
    run: Callable, suite_copy: dict[str, Any], how: str
) -> None:
    cache = Path(suite_copy["workspace_root"]) / f".cache-{os.getuid()}"
    if how == "world-writable":
        cache.mkdir(parents=True)
        cache.chmod(0o777)
    settings = {**suite_copy, "list_cache": how != "disabled"}
    facts = run("r1", settings)
    assert facts["listing"] == "listed"
    assert facts["cache_home"] == str(Path(suite_copy["workspace_root"]) / "r1" / ".cache")
    assert not (cache / "hvrt-list-tests").exists() or not any((cache / "hvrt-list-tests").iterdir())
