"""The html plugin inside a real engine run (the engine's own test lab plugin stands
in for the Hyper-V lab): every report lands in the results tree, no secret leaks."""
from __future__ import annotations

import importlib.util
import json
import xml.etree.ElementTree as ET
from pathlib import Path

import hvrt_html.plugin
import pytest

DATA = Path(__file__).resolve().parents[2] / "data"
SECRET = "html-Plugin-Secret-77"


def lab_yaml(tests: dict[str, str]) -> str:
    return f"""\
lab:
  controllers:
    ctl1: {{address: 127.0.0.1, transport: local}}
  nodes:
    hv1: {{address: 127.0.0.11, transport: local, labels: {{os: 2012r2}}, configurator: testlab}}
    hv2: {{address: 127.0.0.12, transport: local, labels: {{os: 2012r2}}, configurator: testlab}}
release:
  name: ocata
  password: ${{env:HVRT_HTML_PASSWORD}}
plugins: []
settings:
  testlab: {json.dumps({"tests": tests})}
profiles:
  alpha: {{os: 2012r2, hosts: [hv1]}}
  beta: {{os: 2012r2, hosts: [hv2]}}
"""


@pytest.fixture
def testlab():
    spec = importlib.util.spec_from_file_location("hvrt_testlab_html", DATA / "plugins" / "hvrt_testlab.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_reports_of_a_real_run(hvrt_run, hvrt_config, testlab, monkeypatch) -> None:
    monkeypatch.setenv("HVRT_HTML_PASSWORD", SECRET)
    tests = {"tempest.api.identity.v3.T.test_ok[id-1]": "passed",
             "tempest.api.identity.v3.T.test_bad[id-2]": "failed",
             f"tempest.api.identity.v3.T.test_{SECRET}[id-3]": "skipped"}
    cfg = hvrt_config(lab_yaml(tests))
    outcome = hvrt_run(cfg, all=True, plugins=[("testlab", testlab), ("html", hvrt_html.plugin)])
    assert outcome.exit_code == 1
    run_dir = outcome.run_dir
    for rel in ("index.html", "summary.json", "junit.xml", "alpha/results.html", "alpha/results.json",
                "alpha/junit.xml", "beta/results.html"):
        assert (run_dir / rel).is_file(), rel
    page = (run_dir / "alpha" / "results.html").read_text(encoding="utf-8")
    assert 'href="logs/ctl1/testlab.log"' in page  # the collector's file, linked
    assert "29.0.0" in page or "product version" in page
    root = ET.parse(run_dir / "junit.xml").getroot()
    assert int(root.get("tests")) == 6 and int(root.get("failures")) == 2
    # the secret is masked everywhere, even inside a test id
    for path in (p for p in run_dir.rglob("*") if p.is_file()):
        assert SECRET not in path.read_text(encoding="utf-8", errors="replace"), path
    assert "test_***[id-3]" in page
    # the scenario pages were rewritten with the final result: ended, teardown done
    final = json.loads((run_dir / "alpha" / "results.json").read_text())
    assert final["ended"] and final["duration"] > 0
    assert {s["stage"]: s["status"] for s in final["stages"]}["teardown"] == "ok"
    assert ">teardown</td><td>ok</td>" in (run_dir / "alpha" / "results.html").read_text(encoding="utf-8")
    hook_calls = outcome.calls.names()
    assert hook_calls.count("hvrt_report_scenario") == 2 and hook_calls[-1] == "hvrt_report_run"
