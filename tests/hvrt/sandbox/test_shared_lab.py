"""Two ``hvrt run`` processes over one sandbox lab, proven from the simulated nodes' own
records: on the Hyper-V node both runs need, one run's configure ends before the
other's begins (``calls.jsonl``; each run's msiexec names its own installer in
``processes.jsonl``), while the scenarios whose hosts are disjoint configure their
nodes at the same time. Only the configure stage runs (no DevStack, no Tempest)."""
from __future__ import annotations

import json
import shutil
import socket
import subprocess
import time
from pathlib import Path

import pytest

from hvrt.leases.service import LeaseService
from hvrt.testing import cli_command, cli_env

pytestmark = [pytest.mark.slow, pytest.mark.sshd, pytest.mark.keystone]

SHARED, OWN_1, OWN_2 = "hv-2012r2-a", "hv-2012-a", "hv-2012r2-b"
RUNS = {  # run -> {profile: (node, controller)}
    "one": {"lease-shared-1": (SHARED, "ctl-a"), "lease-own-1": (OWN_1, "lease-ctl-1")},
    "two": {"lease-shared-2": (SHARED, "ctl-b"), "lease-own-2": (OWN_2, "lease-ctl-2")},
}
OS = {SHARED: "2012r2", OWN_1: "2012", OWN_2: "2012r2"}


def _once(text: str, old: str, new: str) -> str:
    assert text.count(old) == 1, f"the example config no longer has one {old!r}"
    return text.replace(old, new)


def _edit(root: Path, coordination: str):  # noqa: ANN202
    """The runs' own lease folder, pinned profiles, and two more controllers for the
    scenarios on their own nodes: every scenario holds a controller, and configure
    contacts none, so these two are local, with DevStack folders of the test's own
    (the collect stage finds them empty). The runs never start or stop the lab."""

    def edit(text: str) -> str:
        text = _once(text, "\nlab:\n", f"\nlab:\n  coordination: {coordination!r}\n")
        more = "".join(f"    lease-ctl-{i}: {{address: 127.0.0.{103 + i}, transport: local, devstack: "
                       f"{{dest: {str(root / f'lease-ctl-{i}')!r}, config_dirs: []}}}}\n" for i in (1, 2))
        text = _once(text, "\n  nodes:\n", f"\n{more}  nodes:\n")
        text = _once(text, "\n  sandbox: {state_dir:", "\n  sandbox: {autostart: false, state_dir:")
        profiles = "".join(
            f"  {name}: {{extends: base, os: {OS[node]}, hosts: [{node}], controller: {ctl}, "
            f"include_default: false}}\n"
            for run in RUNS.values() for name, (node, ctl) in run.items())
        return _once(text, "\nmatrix:\n", f"\n{profiles}\nmatrix:\n")

    return edit


def _start(lab, config: Path, run: str, results: Path, installer: Path) -> tuple[subprocess.Popen, Path]:
    """``hvrt run`` of one run's profiles, configure only; stdout to ``<results>.json``,
    stderr (the progress lines) to ``<results>.err``."""
    args = ["run", "-c", str(config), "--json", "--no-preflight", "--jobs", "2", "--stages", "configure",
            "--installer", str(installer), "--results", str(results)]
    for profile in RUNS[run]:
        args += ["-p", profile]
    env = cli_env({"HVRT_SANDBOX_PASSWORD": lab["password"]}, inherit_hvrt=True)
    err = results.with_suffix(".err")
    with open(results.with_suffix(".json"), "w") as stdout, open(err, "w") as stderr:
        proc = subprocess.Popen([*cli_command(), *args], env=env, stdin=subprocess.DEVNULL, stdout=stdout,
                                stderr=stderr)
    return proc, err


def _records(lab, node: str, name: str, since: float) -> list[dict]:
    """The node's own ``calls.jsonl`` or ``processes.jsonl`` lines since ``since``."""
    path = lab["lab"].node_dir(node) / name
    lines = path.read_text().splitlines() if path.is_file() else []
    return [r for r in map(json.loads, lines) if r.get("start", r.get("time", 0)) >= since]


def _span(calls: list[dict], window: tuple[float, float]) -> tuple[float, float]:
    """From the first to the last of the node's calls made while a scenario configured it."""
    inside = [c for c in calls if window[0] <= c["start"] and c["end"] <= window[1]]
    assert inside, f"the node recorded no call in the configure window {window}"
    return min(c["start"] for c in inside), max(c["end"] for c in inside)


def _configure_window(summary: dict, scenario: str) -> tuple[float, float]:
    result = json.loads((Path(summary["run_dir"]) / scenario / "results.json").read_text())
    [stage] = [s for s in result["stages"] if s["stage"] == "configure"]
    assert stage["status"] == "ok", result
    return stage["started"], stage["ended"]


def test_two_runs_configure_a_shared_node_one_after_the_other_and_disjoint_nodes_at_once(lab) -> None:
    root = lab["root"] / "shared-lab"
    coordination = f"file://{root}/leases"
    config = lab["write_config"](root, lab["state"], edit=_edit(root, coordination))
    # each run installs its own copy of the MSI: the node's msiexec line says whose install it ran
    installers = {run: root / f"HyperVNovaCompute-{run}.msi" for run in RUNS}
    for path in installers.values():
        shutil.copyfile(lab["lab"].installer, path)
    began = time.time()
    procs: dict[str, tuple[subprocess.Popen, Path]] = {}
    # the nodes of the disjoint scenarios are held until both runs wait for them, so those
    # two scenarios start together whatever each process's start-up costs
    with LeaseService(coordination, runner="gate") as gate:
        held = gate.hold([OWN_1, OWN_2], scenario="gate")
        try:
            for run in RUNS:
                procs[run] = _start(lab, config, run, root / f"results-{run}", installers[run])
            waiting = {"one": f"lease-own-1: waiting for {OWN_1}", "two": f"lease-own-2: waiting for {OWN_2}"}
            deadline = time.monotonic() + 60
            while not all(waiting[run] in err.read_text() for run, (_p, err) in procs.items()):
                assert all(p.poll() is None for p, _ in procs.values()), [e.read_text() for _, e in procs.values()]
                assert time.monotonic() < deadline, [e.read_text() for _, e in procs.values()]
                time.sleep(0.05)
        finally:
            gate.release(held)
            for proc, _err in procs.values():
                if proc.poll() is not None:
                    continue
                try:
                    proc.wait(120)
                except subprocess.TimeoutExpired:
                    proc.kill()
    summaries = {}
    for run, (proc, err) in procs.items():
        assert proc.returncode == 0, err.read_text()
        summaries[run] = json.loads(err.with_suffix(".json").read_text())
        assert [s["status"] for s in summaries[run]["scenarios"]] == ["passed", "passed"]

    # the shared node: one run's configure calls all end before the other's begin
    calls = _records(lab, SHARED, "calls.jsonl", began)
    spans = {run: _span(calls, _configure_window(summaries[run], f"lease-shared-{n}"))
             for n, run in enumerate(RUNS, 1)}
    first, second = sorted(RUNS, key=lambda run: spans[run][0])
    assert spans[first][1] <= spans[second][0], spans
    # ... and each run's own installer ran inside its own span, once
    installs = [p for p in _records(lab, SHARED, "processes.jsonl", began) if p["arguments"].startswith("/i ")]
    assert len(installs) == 2, installs
    for run in RUNS:
        [mine] = [p for p in installs if installers[run].name in p["arguments"]]
        assert spans[run][0] <= mine["time"] <= spans[run][1], (run, mine["time"], spans)
    # the later run waited, and said behind whom
    err = procs[second][1].read_text()
    holder = f"held by {socket.gethostname()} pid {procs[first][0].pid}, run {summaries[first]['run_id']}, " \
             f"scenario lease-shared-{list(RUNS).index(first) + 1}"
    assert f"lease-shared-{list(RUNS).index(second) + 1}: waiting for {SHARED}, {holder}" in err, err

    # the disjoint nodes: the two runs configured them at the same time
    own = {OWN_1: ("one", "lease-own-1"), OWN_2: ("two", "lease-own-2")}
    own_spans = [_span(_records(lab, node, "calls.jsonl", began), _configure_window(summaries[run], scenario))
                 for node, (run, scenario) in own.items()]
    (a0, a1), (b0, b1) = own_spans
    assert a0 < b1 and b0 < a1, own_spans
