"""Secrets never reach a report: the run's redactor masks test output and errors."""
from __future__ import annotations

from pathlib import Path

from hvrt_html.writers import write_run_reports, write_scenario_reports

from hvrt.redact import Redactor
from hvrt.results import RunSummary, TestCase, TestStatus


def test_secrets_are_masked_in_every_report(tmp_path: Path, scenario_factory) -> None:
    secret = "S3cret-Admin-Pw"
    result = scenario_factory("s1", Path(__file__).parents[2] / "data/subunit-stestr/run-basic.subunit")
    result.tests.append(TestCase("p.T.test_login", TestStatus.FAILED, 0.2, ["failed"],
                                 f"POST with {secret}\nadmin_password = hunter22\nmysql://nova:dbpw99@127.0.0.1/nova",
                                 f"login as {secret} refused"))
    result.error = f"stack.sh: ADMIN_PASSWORD={secret}"
    redactor = Redactor([secret])
    written = write_scenario_reports(tmp_path / "s1", result, redactor=redactor, run_id="r")
    written += write_run_reports(tmp_path, RunSummary("r", "rel", scenarios=[result]), redactor=redactor)
    assert len(written) == 6
    for path in written:
        text = path.read_text(encoding="utf-8")
        for leaked in (secret, "hunter22", "dbpw99"):
            assert leaked not in text, (path.name, leaked)
    assert "***" in (tmp_path / "s1" / "results.html").read_text(encoding="utf-8")
    assert result.tests[-1].details.startswith("POST with S3cret")  # the result itself is not changed
