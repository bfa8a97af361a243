"""Host leases across processes (hvrt.leases): the coordination URL and its checks, the
lease service on tooz's file driver and on a real Redis, and real ``hvrt run``
processes sharing one lab -- no overlap on a shared host, disjoint scenarios at the
same time, the waiting line naming the holder, a SIGKILLed runner's lease lapsing."""
from __future__ import annotations

import importlib.util
import io
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import pytest

from hvrt.config import load_config
from hvrt.errors import ConfigError
from hvrt.leases import url as urls
from hvrt.leases.run import waiting_text
from hvrt.leases.service import Holder, LeaseBackendError, LeaseService, LeaseWaitCancelled
from hvrt.leases.testing import etcd_leases, free_port, wipe_etcd
from hvrt.progress import Progress
from hvrt.testing import cli_command, cli_env

PLUGIN_DIR = Path(__file__).resolve().parent.parent / "data" / "plugins"
TTL = 2
"""Seconds a lease of a dead runner outlives it in the test Redis and etcd (``?timeout=``,
``?lock_timeout=``)."""


# ---------------------------------------------------------------------- real services

@pytest.fixture(params=["file", "redis", "etcd"])
def coordination(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A coordination URL of its own for one test: a fresh folder, a fresh Redis
    namespace, or the session's etcd emptied (tooz's etcd driver has no namespace)."""
    return _service_url(request, tmp_path, request.param)


def _service_url(request: pytest.FixtureRequest, tmp_path: Path, kind: str) -> str:
    if kind == "file":
        return f"file://{tmp_path}/leases"
    if kind == "redis":
        server = request.getfixturevalue("redis_server")
        return f"{server}?timeout={TTL}&namespace=t-{uuid.uuid4().hex[:10]}"
    server = request.getfixturevalue("etcd_server")
    wipe_etcd(server)
    return f"{server}?lock_timeout={TTL}&membership_timeout={TTL}"


# ---------------------------------------------------------------------- the URL

LAB = """\
lab:
  {coordination}
  controllers:
    ctl1: {{address: 127.0.0.1, transport: local}}
  nodes:
    hv1: {{address: 127.0.0.11, transport: local, labels: {{os: 2012r2}}}}
plugins: []
profiles:
  a: {{os: 2012r2}}
"""


def _load(tmp_path: Path, line: str, environ: dict[str, str] | None = None):
    path = tmp_path / "hvrt.yaml"
    path.write_text(LAB.format(coordination=line))
    return load_config(path, environ=environ or {})


@pytest.mark.parametrize("url", [
    "file:///var/lib/hvrt/leases", "redis://127.0.0.1:6379", "redis://lab-redis.example:6379?timeout=10",
    "redis:///run/redis/redis.sock", "rediss://redis.example:6380", "etcd3+http://etcd.example:2379",
    "etcd3+https://etcd.example:2379", "etcd3+http://etcd.example:2379?lock_timeout=30&membership_timeout=30",
    "zookeeper://zk1.example:2181", "memcached://mc.example:11211",
])
def test_every_tooz_driver_url_loads(tmp_path: Path, url: str) -> None:
    assert _load(tmp_path, f"coordination: {url!r}").coordination == url


@pytest.mark.parametrize(("url", "message"), [
    ("consul://c.example:8500", "scheme consul:// is not a coordination driver; use one of file://, redis://"),
    ("file://leases", "a file:// URL needs an absolute folder"),
    ("redis://", "a redis:// URL needs a host"),
    ("redis://:pw@127.0.0.1:6379", "holds a password; write the whole URL as ${env:NAME}"),
    ("redis://h:99999", "is not a URL"),
    ("etcd3://etcd.example:2379", "etcd3:// is tooz's gRPC etcd driver, whose client (python etcd3) cannot"),
    ("etcd3+http://etcd.example:2379?lock_timeout=1.5", "?lock_timeout=1.5: the etcd driver takes whole seconds"),
    ("127.0.0.1:6379", "is not a URL; use one of"),
    ("''", "is empty"),
    ("[redis]", "expected a coordination URL, got a list"),
])
def test_a_bad_url_is_an_error_at_its_line(tmp_path: Path, url: str, message: str) -> None:
    with pytest.raises(ConfigError) as info:
        _load(tmp_path, f"coordination: {url}")
    err = info.value
    assert message in err.message
    assert (err.file, err.line, err.column, err.key) == (str(tmp_path / "hvrt.yaml"), 2, 17, "lab.coordination")


def test_a_password_comes_through_a_reference_and_is_a_secret(tmp_path: Path) -> None:
    url = "redis://:Pa55-lease@127.0.0.1:6379"
    config = _load(tmp_path, "coordination: ${env:LAB_REDIS}", {"LAB_REDIS": url})
    assert config.coordination == url
    assert [s.reveal() for s in config.secrets] == [url]
    assert urls.display(url) == "redis://:***@127.0.0.1:6379"


def test_hvrt_coordination_overrides_the_file_and_a_bad_one_stops_the_load(tmp_path: Path) -> None:
    env = {urls.ENV: "redis://127.0.0.1:7000"}
    config = _load(tmp_path, "coordination: redis://127.0.0.1:6379", env)
    assert urls.resolve(config.coordination, env) == ("redis://127.0.0.1:7000", "$HVRT_COORDINATION")
    assert urls.resolve(config.coordination, {}) == ("redis://127.0.0.1:6379", "lab.coordination")
    with pytest.raises(ConfigError) as info:
        _load(tmp_path, "controllers_note: 1", {urls.ENV: "nfs://server/leases"})
    assert "$HVRT_COORDINATION (which overrides lab.coordination) scheme nfs://" in str(info.value)


def test_the_default_is_a_folder_of_the_runner_host() -> None:
    assert urls.resolve(None, {"XDG_STATE_HOME": "/st", "HOME": "/home/u"}) == \
        ("file:///st/hvrt/leases", "default")
    assert urls.default_url({"HOME": "/home/u"}) == "file:///home/u/.local/state/hvrt/leases"
    assert urls.default_url({"XDG_STATE_HOME": "relative", "HOME": "/"}) == \
        f"file:///var/tmp/hvrt-leases-{os.getuid()}"


def test_lock_names_stay_inside_the_folder_and_rediss_is_redis_over_tls() -> None:
    assert urls.lock_name("hv-01.lab") == "hvrt-host-hv-01.lab"
    for odd in ("../etc", "a/b", "", "x" * 70):
        assert urls.lock_name(odd).startswith("hvrt-host-sha1-") and "/" not in urls.lock_name(odd)
    assert urls.driver_url("rediss://u:p@r.example:6380?timeout=5&ssl=false") == \
        "redis://u:p@r.example:6380?timeout=5&ssl=true"
    assert urls.driver_url("file:///x") == "file:///x"


# ---------------------------------------------------------------------- the service

def test_a_host_held_elsewhere_waits_names_its_holder_and_follows_the_release(coordination: str) -> None:
    with LeaseService(coordination, runner="runner-a") as a, LeaseService(coordination, runner="runner-b") as b:
        held = a.hold(["hv1", "ctl1"], run_id="run-a", scenario="alpha")
        assert held.hosts == ("ctl1", "hv1")  # lock-name order
        states = {s.host: s for s in b.states(["hv1", "ctl1", "hv2"])}
        assert not states["hv2"].held and states["hv2"].holder is None
        assert states["hv1"].held and held.holder.same_lease(states["hv1"].holder)
        assert states["ctl1"].holder.since <= states["hv1"].holder.since <= held.holder.since
        assert held.holder.runner == "runner-a" and held.holder.pid == os.getpid()
        waits: list[tuple[str, Holder | None]] = []
        threading.Timer(0.8, a.release, args=(held,)).start()
        t0 = time.monotonic()
        second = b.hold(["hv1", "ctl1"], run_id="run-b", scenario="beta", on_wait=lambda h, w: waits.append((h, w)))
        assert 0.7 < time.monotonic() - t0 < 10  # until the release, not for ever
        assert [host for host, _ in waits] == ["ctl1"]  # told once, not at every poll
        assert held.holder.same_lease(waits[0][1])
        assert waiting_text(*waits[0]) == \
            f"waiting for ctl1, held by runner-a pid {os.getpid()}, run run-a, scenario alpha"
        assert second.holder.same_lease(b.holder("hv1")) and second.holder.scenario == "beta"
        b.release(second)
        assert not any(s.held for s in a.states(["hv1", "ctl1"]))


def test_a_host_taken_while_the_next_is_awaited_already_names_its_holder(coordination: str) -> None:
    with LeaseService(coordination, runner="runner-a") as a, LeaseService(coordination, runner="runner-b") as b:
        first = a.hold(["hv1"], scenario="alpha")
        got: list = []
        waiter = threading.Thread(target=lambda: got.append(b.hold(["ctl1", "hv1"], scenario="beta")))
        waiter.start()
        _wait_for(lambda: a.states(["ctl1"])[0].holder is not None, timeout=5)
        [ctl1] = a.states(["ctl1"])
        assert (ctl1.holder.runner, ctl1.holder.scenario) == ("runner-b", "beta")
        a.release(first)
        waiter.join(5)
        assert got and got[0].hosts == ("ctl1", "hv1")
        b.release(got[0])


def test_crossed_orders_never_deadlock_and_never_share_a_host(coordination: str) -> None:
    using: dict[str, str] = {}
    clash: list[str] = []
    guard = threading.Lock()

    rounds = 5 if coordination.startswith("etcd") else 15  # etcd: a dozen HTTP requests a round
    finished: list[str] = []

    def worker(service: LeaseService, hosts: list[str], name: str) -> None:
        for _ in range(rounds):
            held = service.hold(hosts, scenario=name)
            with guard:
                clash.extend(h for h in hosts if h in using)
                using.update(dict.fromkeys(hosts, name))
            time.sleep(0.005)
            with guard:
                for h in hosts:
                    using.pop(h)
            service.release(held)
        finished.append(name)  # not reached when a hold raised

    with LeaseService(coordination, poll=0.05) as a, LeaseService(coordination, poll=0.05) as b:
        threads = [threading.Thread(target=worker, args=(a, ["hv1", "hv2", "ctl1"], "x")),
                   threading.Thread(target=worker, args=(b, ["ctl1", "hv2", "hv1"], "y")),
                   threading.Thread(target=worker, args=(b, ["hv2"], "z"))]
        for t in threads:
            t.start()
        for t in threads:
            t.join(20)
        assert not any(t.is_alive() for t in threads), "the holds deadlocked"
    assert clash == []
    assert sorted(finished) == ["x", "y", "z"]


def test_cancel_while_waiting_returns_within_a_poll_holding_nothing(coordination: str) -> None:
    with LeaseService(coordination) as a, LeaseService(coordination) as b:
        held = a.hold(["hv2"], scenario="alpha")
        cancel = threading.Event()
        threading.Timer(0.3, cancel.set).start()
        t0 = time.monotonic()
        with pytest.raises(LeaseWaitCancelled, match="waiting for host hv2"):
            b.hold(["hv1", "hv2"], scenario="beta", cancel=cancel)
        assert time.monotonic() - t0 < 5
        assert [s.held for s in a.states(["hv1"])] == [False]  # hv1 was given back
        a.release(held)


def test_etcd_tries_and_releases_leave_no_lease_behind(request: pytest.FixtureRequest, tmp_path: Path) -> None:
    # tooz's etcd lock grants a lease at every try; hvrt revokes those it is done with
    url = _service_url(request, tmp_path, "etcd")
    with LeaseService(url, poll=0.05) as a, LeaseService(url, poll=0.05) as b:
        members = set(etcd_leases(url))  # each coordinator's membership lease
        assert len(members) == 2
        held = a.hold(["hv1", "hv2"], scenario="alpha")
        assert len(set(etcd_leases(url)) - members) == 2  # one per held lock
        release = threading.Timer(0.5, a.release, args=(held,))
        release.start()
        assert [s.held for s in b.states(["hv1", "hv2", "hv3"])] == [True, True, False]
        second = b.hold(["hv2"], scenario="beta")  # about ten failed tries first
        release.join(5)
        assert len(set(etcd_leases(url)) - members) == 1
        b.release(second)
        assert set(etcd_leases(url)) == members


HOLDER = """\
import sys, time
from hvrt.leases.service import LeaseService
service = LeaseService(sys.argv[1], runner="doomed").start()
service.hold(["hv1"], run_id="run-k", scenario="killed")
print("held", flush=True)
time.sleep(60)
"""


def test_a_sigkilled_holder_lapses_within_the_ttl(coordination: str) -> None:
    proc = subprocess.Popen([sys.executable, "-c", HOLDER, coordination], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().strip() == "held"
        with LeaseService(coordination) as service:
            [state] = service.states(["hv1"])
            assert state.held and state.holder.runner == "doomed" and state.holder.pid == proc.pid
            proc.send_signal(signal.SIGKILL)
            proc.wait(10)
            t0 = time.monotonic()
            held = service.hold(["hv1"], scenario="next")
            waited = time.monotonic() - t0
            assert waited < (1.5 if coordination.startswith("file:") else TTL + 2.0)
            assert held.holder.same_lease(service.holder("hv1"))  # the newest record wins over the dead one's
    finally:
        proc.kill()
        proc.wait(10)
        proc.stdout.close()


def test_an_unreachable_service_or_a_missing_driver_is_an_infrastructure_error() -> None:
    closed = f"redis://127.0.0.1:{free_port()}?timeout=1"
    t0 = time.monotonic()
    with pytest.raises(LeaseBackendError, match=r"coordination service redis://127\.0\.0\.1:\d+\?timeout=1: "
                       r"cannot connect to 127\.0\.0\.1:\d+: Connection refused"):
        LeaseService(closed).start()
    assert time.monotonic() - t0 < 5  # not tooz's minute of retries
    with pytest.raises(LeaseBackendError, match=r"coordination service etcd3\+http://127\.0\.0\.1:\d+: "
                       r"cannot connect to 127\.0\.0\.1:\d+: Connection refused"):
        LeaseService(f"etcd3+http://127.0.0.1:{free_port()}").start()
    if importlib.util.find_spec("kazoo") is None:
        with pytest.raises(LeaseBackendError, match=r"the tooz driver zookeeper:// cannot be loaded .*kazoo"):
            LeaseService("zookeeper://127.0.0.1:2181").start()


def test_the_waiting_line_shows_until_the_scenario_starts() -> None:
    out = io.StringIO()
    holder = Holder("runner2", 4242, "20250101-120000", "beta")
    with Progress(out, live=False, total=1) as progress:
        progress("alpha", "wait", waiting_text("hv1", holder))
        progress("alpha", "start", "")
    assert out.getvalue().splitlines()[0] == \
        "[0/1] alpha: waiting for hv1, held by runner2 pid 4242, run 20250101-120000, scenario beta"
    uncounted = io.StringIO()  # hvrt run learns the total as scenarios start
    with Progress(uncounted, live=False) as progress:
        progress("alpha", "wait", waiting_text("hv1", holder))
    assert uncounted.getvalue().startswith("alpha: waiting for hv1, held by runner2 pid 4242")
    live = io.StringIO()
    with Progress(live, live=True, total=1) as progress:
        progress("alpha", "wait", waiting_text("hv1", None))
        assert "alpha" in live.getvalue() and "held by another process (no holder record)" in live.getvalue()
        progress("alpha", "start", "")
        progress("alpha", "end", "passed")
    assert live.getvalue().rstrip().endswith("alpha: PASSED in 00:00")


# ---------------------------------------------------------------------- the engine, in this process

@pytest.fixture
def testlab():
    spec = importlib.util.spec_from_file_location("hvrt_testlab", PLUGIN_DIR / "hvrt_testlab.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _execute(config: Path, results: Path, testlab, progress=None, *profiles: str):  # noqa: ANN001, ANN202
    from hvrt.context import RunOptions
    from hvrt.runner import RunRequest, execute

    request = RunRequest(config_path=config, profiles=list(profiles), results=results,
                         options=RunOptions(preflight=False), extra_plugins=[("testlab", testlab)])
    return execute(request, progress=progress)


def test_the_engine_waits_for_a_host_another_runner_holds_and_says_who(
        tmp_path: Path, coordination: str, testlab) -> None:
    config = _write_lab(tmp_path, coordination, sleep=0)
    events: list[tuple[str, str, str]] = []
    with LeaseService(coordination, runner="runner2") as other:
        held = other.hold(["hv1"], run_id="run-other", scenario="other")
        threading.Timer(1.0, other.release, args=(held,)).start()
        outcome = _execute(config, tmp_path / "results", testlab, lambda *e: events.append(e), "alpha")
    assert outcome.exit_code == 0
    [alpha] = outcome.summary.scenarios
    assert alpha.status.value == "passed"
    wait = ("alpha", "wait", f"waiting for hv1, held by runner2 pid {os.getpid()}, run run-other, scenario other")
    assert events[0] == wait and events.count(wait) == 1
    assert events[1] == ("alpha", "start", "")
    assert alpha.started - held.holder.since >= 0.9  # it started once the other runner let go


def test_ctrl_c_while_waiting_interrupts_the_scenario_and_gives_back_what_it_took(
        tmp_path: Path, coordination: str, testlab) -> None:
    config = _write_lab(tmp_path, coordination, sleep=0)

    def progress(scenario: str, event: str, detail: str) -> None:
        if event == "wait":  # the engine waits in its thread; Ctrl-C reaches the main one
            threading.Timer(0.2, os.kill, args=(os.getpid(), signal.SIGINT)).start()

    with LeaseService(coordination, runner="runner2") as other:
        other.hold(["hv1"], scenario="other")
        t0 = time.monotonic()
        outcome = _execute(config, tmp_path / "results", testlab, progress, "alpha")
        assert time.monotonic() - t0 < 10
        [alpha] = outcome.summary.scenarios
        assert (outcome.exit_code, alpha.status.value) == (130, "interrupted")
        assert alpha.error == "cancelled while waiting for host hv1"
        states = {s.host: s for s in other.states(["ctl1", "hv1"])}
        assert not states["ctl1"].held  # taken before hv1 (name order), given back
        assert states["hv1"].holder.scenario == "other"
    saved = json.loads((outcome.run_dir / "alpha" / "results.json").read_text())
    assert saved["status"] == "interrupted"  # so --resume runs it again


def test_fail_fast_also_stops_a_scenario_waiting_for_its_hosts(tmp_path: Path, coordination: str, testlab) -> None:
    from hvrt.context import RunOptions
    from hvrt.runner import RunRequest, execute

    config = _write_lab(tmp_path, coordination, sleep=0)
    text = config.read_text().replace("hold: {}", "hold: {}, fail: {alpha: deploy}")
    config.write_text(text)
    with LeaseService(coordination, runner="runner2") as other:
        other.hold(["hv3"], scenario="other")
        request = RunRequest(config_path=config, profiles=["alpha", "gamma"], results=tmp_path / "results",
                             options=RunOptions(preflight=False, jobs=2, fail_fast=True),
                             extra_plugins=[("testlab", testlab)])
        t0 = time.monotonic()
        outcome = execute(request)
        assert time.monotonic() - t0 < 10
    results = {r.name: r for r in outcome.summary.scenarios}
    assert results["alpha"].status.value == "error"
    assert results["gamma"].status.value == "skipped"
    assert results["gamma"].error == "not started: --fail-fast stopped the run while it waited for host hv3"
    assert not _executed(tmp_path, "gamma provision")


def test_an_unreachable_coordination_service_fails_every_scenario_naming_it(tmp_path: Path, testlab) -> None:
    url = f"redis://127.0.0.1:{free_port()}"
    config = _write_lab(tmp_path, url, sleep=0)
    outcome = _execute(config, tmp_path / "results", testlab, None, "alpha", "gamma")
    assert outcome.exit_code == 3
    for result in outcome.summary.scenarios:
        assert result.status.value == "error"
        assert result.error.startswith(f"coordination service {url}: cannot connect to 127.0.0.1:")
    assert not (tmp_path / "markers" / "executions.log").exists()  # no stage ran


# ---------------------------------------------------------------------- two hvrt runs over one lab

RUNS_LAB = """\
lab:
  coordination: {coordination!r}
  controllers:
    ctl1: {{address: 127.0.0.1, transport: local}}
    ctl2: {{address: 127.0.0.2, transport: local}}
    ctl3: {{address: 127.0.0.3, transport: local}}
    ctl4: {{address: 127.0.0.4, transport: local}}
  nodes:
    hv1: {{address: 127.0.0.11, transport: local, labels: {{os: 2012r2}}, configurator: testlab}}
    hv3: {{address: 127.0.0.13, transport: local, labels: {{os: 2012r2}}, configurator: testlab}}
    hv4: {{address: 127.0.0.14, transport: local, labels: {{os: 2012r2}}, configurator: testlab}}
release: {{name: leaserel}}
plugins: []
settings:
  testlab: {{marker_dir: {markers!r}, sleep: {{test: {sleep}}}, hold: {hold}}}
profiles:
  alpha: {{os: 2012r2, hosts: [hv1], controller: ctl1}}
  beta: {{os: 2012r2, hosts: [hv1], controller: ctl2}}
  gamma: {{os: 2012r2, hosts: [hv3], controller: ctl3}}
  delta: {{os: 2012r2, hosts: [hv4], controller: ctl4}}
"""


def _write_lab(tmp_path: Path, coordination: str, *, sleep: float, hold: str = "{}") -> Path:
    markers = tmp_path / "markers"
    markers.mkdir(exist_ok=True)
    path = tmp_path / "hvrt.yaml"
    path.write_text(RUNS_LAB.format(coordination=coordination, markers=str(markers), sleep=sleep, hold=hold))
    return path


def _hvrt_run(tmp_path: Path, config: Path, *profiles: str, results: str) -> subprocess.Popen:
    args = ["run", "-c", str(config), "--json", "--no-preflight", "--jobs", "2", "--results",
            str(tmp_path / results)]
    for name in profiles:
        args += ["-p", name]
    path = os.pathsep.join(p for p in (str(PLUGIN_DIR), os.environ.get("PYTHONPATH", "")) if p)
    env = cli_env({"PYTHONPATH": path, "HVRT_PLUGINS": "hvrt_testlab",
                   "XDG_STATE_HOME": str(tmp_path / "state")})
    return subprocess.Popen([*cli_command(), *args], cwd=tmp_path, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def _wait_for(condition, timeout: float = 20) -> None:  # noqa: ANN001
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def _executed(tmp_path: Path, line: str) -> bool:
    log = tmp_path / "markers" / "executions.log"
    return log.is_file() and line in log.read_text().splitlines()


def _finish(proc: subprocess.Popen) -> tuple[int, dict, str]:
    out, err = proc.communicate(timeout=60)
    assert "Traceback" not in err, err
    return proc.returncode, json.loads(out), err


def test_two_runs_never_share_a_host_and_disjoint_scenarios_run_together(tmp_path: Path, coordination: str) -> None:
    config = _write_lab(tmp_path, coordination, sleep=2.0)
    procs = [_hvrt_run(tmp_path, config, "alpha", "gamma", results="r1"),
             _hvrt_run(tmp_path, config, "beta", "delta", results="r2")]
    (code1, one, err1), (code2, two, err2) = (_finish(p) for p in procs)
    assert (code1, code2) == (0, 0), (one, two)
    scenarios = {s["name"]: s for s in one["scenarios"] + two["scenarios"]}
    assert all(s["status"] == "passed" for s in scenarios.values())

    def overlap(a: str, b: str) -> bool:
        return scenarios[a]["started"] < scenarios[b]["ended"] and scenarios[b]["started"] < scenarios[a]["ended"]

    assert not overlap("alpha", "beta")  # both need hv1
    assert overlap("gamma", "delta")  # nothing shared: at the same time, in two processes
    # the scenario that got hv1 second waited, and its run said behind whom
    first, second = sorted(["alpha", "beta"], key=lambda n: scenarios[n]["started"])
    holder_proc, holder_run = (procs[0], one) if first == "alpha" else (procs[1], two)
    waited_err = err2 if second == "beta" else err1
    assert (f"{second}: waiting for hv1, held by {socket.gethostname()} pid {holder_proc.pid}, "
            f"run {holder_run['run_id']}, scenario {first}") in waited_err
    assert "waiting" not in (err1 if second == "beta" else err2)
    log = (Path(one["run_dir"]) / "hvrt.log").read_text()
    assert f"host leases: {coordination} (lab.coordination)" in log


def test_a_sigkilled_runner_lapses_within_the_ttl_and_the_other_run_goes_on(
        request: pytest.FixtureRequest, tmp_path: Path) -> None:
    # Redis: the lease outlives its runner by the TTL. (A file lease goes with the process,
    # an etcd lease lapses as a Redis one does: test_a_sigkilled_holder_lapses_within_the_ttl.)
    coordination = _service_url(request, tmp_path, "redis")
    config = _write_lab(tmp_path, coordination, sleep=0.1, hold="{alpha: test}")
    first = _hvrt_run(tmp_path, config, "alpha", results="r1")
    try:
        _wait_for(lambda: (tmp_path / "markers" / "alpha.held").is_file())
        second = _hvrt_run(tmp_path, config, "beta", results="r2")
        _wait_for(lambda: "beta: waiting for hv1" in _run_log(tmp_path / "r2") or second.poll() is not None)
        first.send_signal(signal.SIGKILL)
        killed = time.time()
        first.wait(10)
        code, two, err = _finish(second)
    finally:
        first.kill()
        first.wait(10)
    assert code == 0, (two, err)
    [beta] = two["scenarios"]
    assert beta["status"] == "passed"
    assert beta["started"] - killed < TTL + 3.0  # the TTL, a poll, the scenario's own start
    assert "beta: waiting for hv1" in err and "scenario alpha" in err


def _run_log(results: Path) -> str:
    """The log of the newest run under ``results`` (it says when a scenario waits)."""
    logs = sorted(results.glob("*/*/hvrt.log"))
    return logs[-1].read_text() if logs else ""
