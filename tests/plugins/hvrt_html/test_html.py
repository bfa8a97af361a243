"""results.html and index.html: markup in test data stays text, every link resolves
to a file of the results tree, pages are self-contained."""
from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

from hvrt_html.html import render_scenario
from hvrt_html.writers import write_run_reports, write_scenario_reports

from hvrt.results import TestCase, TestStatus
from hvrt.results.store import ResultsStore


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []
        self.ids: set[str] = set()
        self.external: list[str] = []
        self.scripts = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "script":
            self.scripts += 1
        if values.get("id"):
            self.ids.add(values["id"] or "")
        for key in ("href", "src"):
            value = values.get(key) or ""
            if value.startswith("data:"):
                continue  # inline (the empty favicon that keeps browsers from asking)
            if value:
                self.links.append(value)
            if tag in ("link", "script", "img") and value:
                self.external.append(f"{tag} {values}")


def parse(page: Path) -> _Links:
    parser = _Links()
    parser.feed(page.read_text(encoding="utf-8"))
    return parser


def assert_links_resolve(page: Path, root: Path) -> int:
    """Every link of ``page`` is relative and names a file under ``root``; fragments
    name an element of the target page. Returns how many links were checked."""
    parsed = parse(page)
    assert not parsed.external, parsed.external
    for link in parsed.links:
        parts = urlsplit(link)
        assert not parts.scheme and not parts.netloc, f"{page.name}: absolute link {link}"
        target = (page.parent / unquote(parts.path)).resolve() if parts.path else page.resolve()
        assert target.is_file(), f"{page}: {link} -> {target} does not exist"
        assert target.is_relative_to(root.resolve()), f"{link} leaves the results tree"
        if parts.fragment:
            assert parts.fragment in parse(target).ids, f"{link}: no element #{parts.fragment}"
    return len(parsed.links)


def test_links_of_every_page_resolve(two_scenario_run: Path) -> None:
    pages = [two_scenario_run / "index.html", *sorted(two_scenario_run.glob("*/results.html"))]
    assert len(pages) == 3
    checked = sum(assert_links_resolve(p, two_scenario_run) for p in pages)
    assert checked > 30
    page = (two_scenario_run / "2012r2-vhdx" / "results.html").read_text(encoding="utf-8")
    # every collected file is linked (quoted where needed), a missing one is named
    for href in ("logs/hv1/with%20space%20%231%3F.log", "hosts/hv1/hotfixes", "hosts/hv1/systeminfo",
                 "config/hv1/nova.conf", "tempest.subunit", "junit.xml", "results.json",
                 "logs/hv1/%C3%BCn%C3%AFcode.log"):
        assert f'href="{href}"' in page, href
    assert "config/hv1/missing.conf" in page and 'href="config/hv1/missing.conf"' not in page


def test_markup_in_test_ids_and_output_is_shown_as_text(two_scenario_run: Path, scenario_factory) -> None:
    result = scenario_factory("escapes", Path(__file__).parents[2] / "data/subunit-stestr/run-basic.subunit")
    result.tests.append(TestCase("pkg.T.test_x[<script>alert(4)</script>]", TestStatus.FAILED, 0.1,
                                 ["failed"], "<img src=x onerror=alert(5)>", "<b>why</b>"))
    result.error = "</pre><script>alert(6)</script>"
    folder = two_scenario_run / "escapes"
    write_scenario_reports(ResultsStore(two_scenario_run), folder, result, run_id="run-1")
    text = (folder / "results.html").read_text(encoding="utf-8")
    assert "<script>alert" not in text and "<img src=x" not in text and "<b>why</b>" not in text
    for n in (1, 2, 3, 4, 6):
        assert f"&lt;script&gt;alert({n})&lt;/script&gt;" in text, n
    assert "&lt;img src=x onerror=alert(5)&gt;" in text
    assert parse(folder / "results.html").scripts == 1  # only the page's own inline script


def test_scenario_page_shows_summary_facts_and_version(two_scenario_run: Path) -> None:
    text = (two_scenario_run / "2012r2-vhdx" / "results.html").read_text(encoding="utf-8")
    assert "19.0.0.1" in text and "ab" * 32 in text and "clock_skew_s" in text
    rows = re.findall(r'<tr id="t-\d+" data-status="(\w+)"', text)
    assert len(rows) == 13 and rows.count("flaky") == 1 and rows.count("failed") == 3
    assert 'value="flaky" checked' in text  # a filter box per status present
    assert 'data-numeric="1"' in text  # durations sortable


def test_index_has_matrix_versions_and_heat_map(two_scenario_run: Path) -> None:
    text = (two_scenario_run / "index.html").read_text(encoding="utf-8")
    assert 'href="2012r2-vhdx/results.html"' in text and 'href="2016-vhd/results.html"' in text
    assert text.count("19.0.0.1") == 2
    heat = text.split("Tests that did not pass", 1)[1]
    assert "hvrt_suite.test_identity.UsersTest.test_update_user_password" in heat
    assert "hvrt_suite.test_fixtures.FlakyTest.test_sometimes_times_out" in heat
    assert "test_revoke_token" not in heat  # passed everywhere


def test_pages_are_self_contained(two_scenario_run: Path) -> None:
    for page in (two_scenario_run / "index.html", two_scenario_run / "2016-vhd" / "results.html"):
        text = page.read_text(encoding="utf-8")
        assert "<style>" in text and "http://" not in text and "https://" not in text
        assert not re.search(r"<(link|script|img)[^>]+(href|src)=\"(?!data:)", text)


def test_passed_output_is_capped_on_the_page(tmp_path: Path, scenario_factory) -> None:
    from hvrt_html import html

    result = scenario_factory("big", Path(__file__).parents[2] / "data/subunit-stestr/run-basic.subunit")
    big = "x" * (html.PAGE_DETAILS_BUDGET // 2 + 1)
    result.tests = [TestCase(f"p.T.test_{i}", TestStatus.PASSED, 0.0, ["passed"], big) for i in range(3)]
    text = render_scenario(tmp_path, result)
    assert text.count(big) == 1
    assert "Captured output of 2 passed tests is not shown" in text


def test_run_reports_of_an_empty_run(tmp_path: Path) -> None:
    from hvrt.results import RunSummary

    write_run_reports(ResultsStore(tmp_path), RunSummary("r0", "rel"))
    assert "no scenario ran" in (tmp_path / "index.html").read_text(encoding="utf-8")
    assert_links_resolve(tmp_path / "index.html", tmp_path)
