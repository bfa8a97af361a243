"""Reading Puppet's run report and JSON log, on files real ``puppet apply`` runs wrote
(``data/README.md`` says how each was made)."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from hvrt_puppet.report import load_log, load_report, summarize

DATA = Path(__file__).parent / "data"


def text(name: str) -> str:
    return (DATA / name).read_text(encoding="utf-8")


def test_a_changed_run() -> None:
    summary = summarize(2, text("changed-report.yaml"), text("changed-log.json"))
    assert summary.ok and summary.status == "changed"
    assert summary.changed == [
        "Ini_setting[/tmp/pt/cfg/nova.conf [DEFAULT] debug]",
        "Ini_setting[/tmp/pt/cfg/nova.conf [keystone_authtoken] password]",
    ]
    assert summary.failed == [] and summary.errors == []
    assert summary.total is not None and summary.total >= 2
    assert summary.seconds is not None and summary.seconds > 0
    assert json.loads(json.dumps(summary.to_dict()))["exit_code"] == 2


def test_a_run_with_a_failed_resource_names_it() -> None:
    summary = summarize(6, text("failed-report.yaml"), text("failed-log.json"))
    assert not summary.ok and summary.status == "failed"
    assert summary.failed == ["Ini_setting[/tmp/pt/cfg/blocker/agent.conf [AGENT] polling_interval]"]
    assert summary.changed == ["Ini_setting[/tmp/pt/cfg/nova.conf [DEFAULT] debug]"]
    assert any("Not a directory" in e and "polling_interval]/ensure" in e for e in summary.errors)
    assert not any("Wrapped exception" in e for e in summary.errors)


def test_failed_resources_come_from_the_log_when_the_report_is_missing() -> None:
    summary = summarize(4, None, text("failed-log.json"))
    assert summary.failed == ["Ini_setting[/tmp/pt/cfg/blocker/agent.conf [AGENT] polling_interval]"]


def test_a_catalog_that_did_not_compile() -> None:
    summary = summarize(1, None, text("compile-log.json"))
    assert not summary.ok and summary.status == "failed" and summary.failed == []
    assert summary.errors == [
        "Evaluation Error: Error while evaluating a Function Call, Class[Hvrt]: parameter 'max_migrations' "
        "expects an Integer[1, 64] value, got Integer[0, 0]"
    ]


def test_the_report_loader_reads_ruby_tags_and_nothing_unsafe() -> None:
    report = load_report(text("changed-report.yaml"))
    assert report["status"] == "changed" and report["puppet_version"].startswith("7.")
    assert load_report("--- !ruby/object:Foo\na: 1\nb: !ruby/sym x\n") == {"a": 1, "b": "x"}
    with pytest.raises(Exception, match="could not determine a constructor"):
        load_report("--- !!python/object/apply:os.system ['true']\n")


def test_the_log_reader_copes_with_a_cut_file_and_facter_noise() -> None:
    full = text("failed-log.json")
    assert not full.rstrip().endswith("]")  # Puppet leaves the array open
    cut = full[: full.rindex("\n,\n")]  # as if Puppet died before its last line
    assert len(load_log(full)) == 6 and len(load_log(cut)) == 5
    assert load_log("") == [] and load_log("not json") == []
    noise = json.dumps([{"level": "err", "message": "Permission denied - /proc/1/environ", "source": "Facter"}])
    assert summarize(0, None, noise).errors == []


def test_the_saved_files_hold_no_sensitive_value() -> None:
    for name in ("changed-report.yaml", "changed-log.json"):
        assert "captured-secret" not in text(name)
    assert "[keystone_authtoken] password]/ensure" in text("changed-log.json")
