"""The reports in a real headless Chromium, driven over the DevTools protocol: pages
load without a console error, the status filter hides rows, search and sorting work,
from file:// and from a static web server. Screenshots are kept as test artifacts
(in the test's tmp dir, and in $HVRT_ARTIFACTS when set)."""
from __future__ import annotations

import base64
import functools
import http.server
import itertools
import json
import os
import shutil
import subprocess
import threading
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

websocket = pytest.importorskip("websocket")
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
pytestmark = [pytest.mark.browser, pytest.mark.slow,
              pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (apt-get install chromium)")]
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--remote-debugging-address=127.0.0.1", "--remote-debugging-port=0", "--window-size=1280,900"]


class Page:
    """One browser tab over the DevTools protocol; records console errors."""

    def __init__(self, ws_url: str) -> None:
        self.ws = websocket.create_connection(ws_url, timeout=30, suppress_origin=True)
        self.ids = itertools.count(1)
        self.errors: list[str] = []
        self.events: list[dict[str, Any]] = []
        for domain in ("Page", "Runtime", "Log"):
            self.call(f"{domain}.enable")

    def _note(self, msg: dict[str, Any]) -> None:
        method, params = msg.get("method", ""), msg.get("params", {})
        if method == "Runtime.exceptionThrown":
            self.errors.append(json.dumps(params.get("exceptionDetails", {}))[:500])
        elif method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
            self.errors.append(json.dumps(params.get("args", []))[:500])
        elif method == "Log.entryAdded" and params.get("entry", {}).get("level") == "error":
            self.errors.append(params["entry"].get("text", "")[:500])
        self.events.append(msg)

    def call(self, method: str, **params: Any) -> dict[str, Any]:
        msg_id = next(self.ids)
        self.ws.send(json.dumps({"id": msg_id, "method": method, "params": params}))
        while True:
            msg = json.loads(self.ws.recv())
            if msg.get("id") == msg_id:
                if "error" in msg:
                    raise AssertionError(f"{method}: {msg['error']}")
                return msg.get("result", {})
            self._note(msg)

    def open(self, url: str) -> None:
        self.events.clear()
        self.call("Page.navigate", url=url)
        deadline = time.monotonic() + 30
        while not any(e.get("method") == "Page.loadEventFired" for e in self.events):
            assert time.monotonic() < deadline, f"{url} did not load"
            self._note(json.loads(self.ws.recv()))

    def js(self, expression: str) -> Any:
        result = self.call("Runtime.evaluate", expression=expression, returnByValue=True)
        assert "exceptionDetails" not in result, result
        return result["result"].get("value")

    def screenshot(self, path: Path) -> Path:
        data = self.call("Page.captureScreenshot", format="png")["data"]
        path.write_bytes(base64.b64decode(data))
        artifacts = os.environ.get("HVRT_ARTIFACTS")
        if artifacts:
            Path(artifacts).mkdir(parents=True, exist_ok=True)
            shutil.copy(path, Path(artifacts) / path.name)
        return path


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Page]:
    profile = tmp_path_factory.mktemp("chromium-profile")
    proc = subprocess.Popen([CHROMIUM, *FLAGS, f"--user-data-dir={profile}", "about:blank"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        port_file = profile / "DevToolsActivePort"
        deadline = time.monotonic() + 60
        while not (port_file.exists() and port_file.read_text().strip()):
            assert proc.poll() is None, "chromium exited"
            assert time.monotonic() < deadline, "chromium did not open its DevTools port"
            time.sleep(0.1)
        port = int(port_file.read_text().split()[0])
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=10) as resp:
            targets = json.load(resp)
        page = Page(next(t for t in targets if t["type"] == "page")["webSocketDebuggerUrl"])
        yield page
        page.ws.close()
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


VISIBLE = "Array.from(document.querySelectorAll('#tests tbody tr')).filter(r => !r.hidden)"


def test_results_page_filter_search_sort(browser: Page, two_scenario_run: Path, tmp_path: Path) -> None:
    page = two_scenario_run / "2012r2-vhdx" / "results.html"
    browser.open(page.as_uri())
    assert browser.errors == []
    assert browser.js(f"{VISIBLE}.length") == 13
    # no markup from test output was turned into elements
    assert browser.js("document.querySelectorAll('script').length") == 1
    assert "<script>alert(1)</script>" in browser.js("document.body.textContent")
    # show failed tests only: untick every other status
    browser.js("document.querySelectorAll('input.flt').forEach(b => { if (b.value !== 'failed') b.click(); })")
    assert browser.js(f"{VISIBLE}.map(r => r.dataset.status)") == ["failed"] * 3
    assert browser.js("document.querySelectorAll('#tests tbody tr[hidden]').length") == 10
    assert browser.js("document.getElementById('shown').textContent") == "3"
    browser.screenshot(tmp_path / "results-failed-only.png")
    browser.js("document.querySelectorAll('input.flt').forEach(b => { if (!b.checked) b.click(); })")
    search = "(s => { s.value = %s; s.dispatchEvent(new Event('input')); })(document.getElementById('search'))"
    browser.js(search % "'UsersTest'")
    assert all("UsersTest" in i for i in browser.js(f"{VISIBLE}.map(r => r.dataset.id)"))
    browser.js(search % "''")
    assert browser.js(f"{VISIBLE}.length") == 13
    browser.js("document.querySelector('th[data-key=\"data-d\"]').click()")
    durations = browser.js("Array.from(document.querySelectorAll('#tests tbody tr')).map(r => +r.dataset.d)")
    assert durations == sorted(durations, reverse=True) and durations[0] > 0
    assert browser.errors == []
    shot = browser.screenshot(tmp_path / "results.png")
    assert shot.stat().st_size > 10_000


def test_hash_preselects_a_status(browser: Page, two_scenario_run: Path) -> None:
    page = two_scenario_run / "2012r2-vhdx" / "results.html"
    browser.open(page.as_uri() + "#status=flaky")
    assert browser.js(f"{VISIBLE}.map(r => r.dataset.status)") == ["flaky"]


def test_index_over_a_static_server(browser: Page, two_scenario_run: Path, tmp_path: Path) -> None:
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(two_scenario_run))
    handler.log_message = lambda *a, **k: None  # type: ignore[attr-defined]
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        base = f"http://127.0.0.1:{server.server_address[1]}/"
        browser.open(base + "index.html")
        assert browser.errors == []
        assert browser.js("document.querySelectorAll('#matrix tbody tr').length") == 2
        browser.screenshot(tmp_path / "index.png")
        browser.js("document.querySelector('a[href=\"2016-vhd/results.html\"]').click()")
        deadline = time.monotonic() + 10
        while not browser.js("location.pathname").endswith("2016-vhd/results.html"):
            assert time.monotonic() < deadline
            time.sleep(0.1)
        time.sleep(0.3)
        assert browser.js(f"{VISIBLE}.length") == 136
        assert browser.errors == []
    finally:
        server.shutdown()
        server.server_close()


def test_timeline_is_drawn_with_one_row_per_scenario(browser: Page, two_scenario_run: Path, tmp_path: Path) -> None:
    browser.open((two_scenario_run / "index.html").as_uri())
    assert browser.errors == []
    rows = browser.js("Array.from(document.querySelectorAll('svg.timeline g.row')).map(g => g.dataset.scenario)")
    assert rows == ["2012r2-vhdx", "2016-vhd"]
    bars = browser.js("document.querySelectorAll('svg.timeline g.row rect.stage').length")
    assert bars == 2 * 6  # the six recorded stages of each scenario
    box = browser.js("(r => [r.width, r.height])(document.querySelector('svg.timeline').getBoundingClientRect())")
    assert box[0] > 500 and box[1] > 40  # drawn, not collapsed
    assert browser.screenshot(tmp_path / "timeline.png").stat().st_size > 10_000


def test_scenario_page_failures_first_and_durations_stay_on_screen(browser: Page, two_scenario_run: Path,
                                                                     tmp_path: Path) -> None:
    browser.call("Emulation.setDeviceMetricsOverride", width=1400, height=900, deviceScaleFactor=1, mobile=False)
    try:
        browser.open((two_scenario_run / "2012r2-vhdx" / "results.html").as_uri())
        statuses = browser.js(f"{VISIBLE}.map(r => r.dataset.status)")
        problems = [s for s in statuses if s in ("failed", "error", "uxsuccess")]
        assert statuses[:len(problems)] == problems and problems  # failures come first
        right = browser.js("Math.max(...Array.from(document.querySelectorAll('#tests td.num'))"
                           ".map(td => td.getBoundingClientRect().right))")
        assert right <= 1400
        assert browser.js("document.querySelectorAll('svg.timeline g.test').length") > 0  # slowest tests
        browser.screenshot(tmp_path / "results-1400.png")
    finally:
        browser.call("Emulation.clearDeviceMetricsOverride")
