"""Several runs (say, from two runner hosts) merged into one run folder."""
from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from hvrt_html.merge import merge_runs

from hvrt.errors import UsageError
from hvrt.results.reader import load_run
from hvrt.runner import render_reports

STESTR = Path(__file__).parents[2] / "data" / "subunit-stestr"
TEMPEST = Path(__file__).parents[2] / "data" / "subunit"


@pytest.mark.parametrize("link", [False, True])
def test_merge_two_runner_hosts(run_factory, tmp_path: Path, link: bool) -> None:
    a = run_factory("host-a", {"2012r2": STESTR / "run-retried.subunit", "2016": TEMPEST / "tempest-identity.subunit"})
    b = run_factory("host-b", {"2012r2": STESTR / "run-broken.subunit", "2019": STESTR / "run-basic.subunit"})
    before = (a / "2012r2" / "results.html").read_bytes()
    out = tmp_path / "merged"
    summary = merge_runs([a, b], out, link=link)
    render_reports(out, plugins=["html"])
    assert [s.name for s in summary.scenarios] == ["2012r2", "2016", "2012r2@host-b", "2019"]
    again = load_run(out)
    assert [s.name for s in again.scenarios] == [s.name for s in summary.scenarios]
    assert again.counts()["total"] == 13 + 136 + 13 + 13
    renamed = json.loads((out / "2012r2_host-b" / "results.json").read_text())
    assert renamed["name"] == "2012r2@host-b"
    assert (out / "2012r2_host-b" / "logs" / "hv1" / "nova-compute.log").is_file()
    index = (out / "index.html").read_text(encoding="utf-8")
    for page in ("2012r2/results.html", "2016/results.html", "2012r2_host-b/results.html", "2019/results.html"):
        assert f'href="{page}"' in index
    # the source runs are untouched, hard links or not
    assert (a / "2012r2" / "results.html").read_bytes() == before
    if link:
        assert os.stat(out / "2016" / "tempest.subunit").st_ino == os.stat(a / "2016" / "tempest.subunit").st_ino
    origins = json.loads((out / "merged-from.json").read_text())
    assert {o["run_id"] for o in origins} == {"host-a", "host-b"}


def test_merge_refuses_an_existing_run(two_scenario_run: Path) -> None:
    with pytest.raises(UsageError, match="already holds a run"):
        merge_runs([two_scenario_run], two_scenario_run)


def test_merge_never_follows_symlinks(run_factory, tmp_path: Path) -> None:
    a = run_factory("host-a", {"s1": STESTR / "run-basic.subunit"})
    secret = tmp_path / "private.txt"
    secret.write_text("not for publishing\n")
    (a / "s1" / "logs" / "hv1" / "escape.log").symlink_to(secret)
    (a / "s1" / "logs" / "linked-dir").symlink_to(tmp_path, target_is_directory=True)
    out = tmp_path / "merged"
    merge_runs([a], out)
    render_reports(out, plugins=["html"])
    copied = [p for p in out.rglob("*")]
    assert not any(p.is_symlink() for p in copied)
    assert not (out / "s1" / "logs" / "hv1" / "escape.log").exists()
    assert not (out / "s1" / "logs" / "linked-dir").exists()
    assert all("not for publishing" not in p.read_text(errors="replace") for p in copied if p.is_file())
    assert "escape.log" not in (out / "s1" / "results.html").read_text(encoding="utf-8")
