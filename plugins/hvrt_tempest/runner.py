"""Run a scenario's Tempest suite on the controller, where the cloud's Tempest lives.

Call order of :class:`TempestRunner`: :meth:`~TempestRunner.run` does it all:

1. ``prepare``: fetch the deployer's tempest.conf, adjust it to the scenario
   (:mod:`hvrt_tempest.tempestconf`), save a redacted copy in the results, upload it
   and ``tempest init`` a fresh workspace ``<root>/<run-id>/<scenario>`` from it
   (the workspace registry goes next to it, never under ``~``);
2. ``tempest run --list-tests`` (or its output kept from an earlier run with the same
   Tempest and tempest.conf, :mod:`hvrt_tempest.listing`), then select
   (:mod:`hvrt_tempest.selection`) and, in
   a ``--rerun-failed`` run, keep only the tests that failed (``ctx.only_tests``);
3. run the parallel phase with the suite's concurrency, then the isolated phase
   one test at a time; each phase re-runs its failed tests (:mod:`hvrt_tempest.retry`);
4. keep every attempt's subunit v2 stream, concatenated and re-encoded with secrets masked,
   as ``tempest.subunit``.

Tempest is started through the controller's transport with the deployment's
``tempest_command``; a constant ``sh -c`` script redirects the binary subunit
stream into a file (values travel as positional arguments, never inside the
script text), which is fetched afterwards. The exit status of ``tempest run
--subunit`` says nothing about the tests (it is 0 with failures), so outcomes come
from the stream only; no stream at all, or an exit status other than 0 or 1,
means Tempest broke.
"""
from __future__ import annotations

import posixpath
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hvrt.context import Deployment, ScenarioContext
from hvrt.errors import Interrupted, TestRunError, TransportError
from hvrt.results import TestCase
from hvrt.results.layout import safe_name
from hvrt.subunit import parse_subunit, redact_stream
from hvrt_tempest import tempestconf
from hvrt_tempest.listing import list_available, list_workspace, prepare_cache  # noqa: F401 - hvrt list-tests imports list_available from here
from hvrt_tempest.lists import load_suite
from hvrt_tempest.retry import Attempt, combine, executed, failed_ids
from hvrt_tempest.selection import Selection, ids_to_rerun, parse_listing, restrict, select

PLUGIN = "tempest"
STREAM_FILE = "tempest.subunit"
TEST_EXIT_CODES = (0, 1)
"""Exit statuses of ``tempest run`` that mean "tests ran" (1: some failed); any other
status means Tempest or stestr itself broke."""
_RUN_SCRIPT = 'cd "$1" && out="$2" && shift 2 && exec "$@" >"$out"'
@dataclass(frozen=True)
class RunnerSettings:
    """``settings: tempest:`` of the config (all optional)."""

    workspace_root: str | None = None
    list_timeout: float = 900.0
    run_timeout: float = 14400.0
    test_path: str | None = None
    top_dir: str | None = None
    env: tuple[tuple[str, str], ...] = ()
    list_cache: bool = True

    @classmethod
    def from_config(cls, raw: Mapping[str, Any]) -> RunnerSettings:
        return cls(
            workspace_root=raw.get("workspace_root"),
            list_timeout=float(raw.get("list_timeout", cls.list_timeout)),
            run_timeout=float(raw.get("run_timeout", cls.run_timeout)),
            test_path=raw.get("test_path"),
            top_dir=raw.get("top_dir"),
            env=tuple((str(k), str(v)) for k, v in (raw.get("env") or {}).items()),
            list_cache=bool(raw.get("list_cache", cls.list_cache)),
        )


class TempestRunner:
    def __init__(self, ctx: ScenarioContext, deployment: Deployment) -> None:
        self.ctx = ctx
        self.deployment = deployment
        self.raw_settings = ctx.config.plugin_settings(PLUGIN)
        self.settings = RunnerSettings.from_config(self.raw_settings)
        self.controller = deployment.controller
        self.transport = ctx.transport(deployment.controller)
        self.command = list(deployment.tempest_command)
        root = self.settings.workspace_root or posixpath.join(
            deployment.workdir or "/tmp/hvrt-tempest", "tempest-workspaces"
        )
        self.root = root
        base = posixpath.join(root, safe_name(ctx.run.run_id))
        self.workspace = posixpath.join(base, safe_name(ctx.name))
        self.conf_source = f"{self.workspace}.etc"
        self.conf_path = posixpath.join(self.workspace, "etc", "tempest.conf")
        # Tempest's plugin loader caches entry points under $XDG_CACHE_HOME (else ~/.cache):
        # the run's own folder, until prepare() finds the user's shared cache safe to use
        self.env = {"XDG_CACHE_HOME": posixpath.join(base, ".cache"), **dict(self.settings.env)}
        self.cache: str | None = None
        self.attempts: list[Attempt] = []
        self._local = Path(tempfile.mkdtemp(prefix="hvrt-tempest-"))
        ctx.redactor.add(deployment.password.reveal())

    # ------------------------------------------------------------------ steps
    def run(self) -> list[TestCase]:
        try:
            self.prepare()
            selection = self.select()
            suite = self.ctx.profile.tempest
            self.run_phase("parallel", selection.parallel, max(1, suite.concurrency), selection)
            self.run_phase("isolated", selection.isolated, 1, selection)
        finally:
            self._save_stream()
            self._cleanup_local()
        cases = combine(self.attempts, skipped=selection.skipped, expected_failures=selection.xfail)
        if not cases:
            raise TestRunError("zero tests were executed", host=self.controller, step="test")
        if executed(cases) == 0:  # every test skipped itself: the engine names it all-skipped
            self.ctx.log.warning("every one of the %d tests skipped itself", len(cases))
        return cases

    def prepare(self) -> None:
        if not self.deployment.tempest_conf:
            raise TestRunError("the deployment names no tempest.conf", host=self.controller, step="test")
        fetched = self._local / "deployed-tempest.conf"
        self.transport.get(self.deployment.tempest_conf, fetched, timeout=self.ctx.call_timeout(300))
        adjusted = tempestconf.adjust(fetched.read_text(encoding="utf-8"), self.ctx.profile, self.raw_settings)
        fetched.unlink()
        self.ctx.save(f"config/{self.controller}/tempest.conf", adjusted)
        staged = self._local / "etc" / "tempest.conf"
        staged.parent.mkdir()
        staged.touch(mode=0o600)
        staged.write_text(adjusted, encoding="utf-8")
        self.cache = prepare_cache(self.transport, posixpath.dirname(self.workspace), self.root,
                                   shared=self.settings.list_cache, timeout=self.ctx.call_timeout(60))
        if self.cache is None and self.settings.list_cache:
            self.ctx.log.warning("no shared Tempest cache under %s (not the user's own, or writable by others)",
                                 self.root)
        elif self.cache and "XDG_CACHE_HOME" not in dict(self.settings.env):
            self.env["XDG_CACHE_HOME"] = self.cache
        self.transport.put(staged.parent, self.conf_source, timeout=self.ctx.call_timeout(300))
        staged.unlink()
        init = [
            *self.command, "init", "--config-dir", self.conf_source,
            "--workspace-path", f"{self.workspace}.workspace.yaml", self.workspace,
        ]
        self._call(init, "tempest init", 600)
        if self.settings.test_path:
            self._upload_stestr_conf()
        self.ctx.state[PLUGIN] = {"workspace": self.workspace, "controller": self.controller}

    def _upload_stestr_conf(self) -> None:
        local = self._local / ".stestr.conf"
        top_dir = self.settings.top_dir or posixpath.dirname(self.settings.test_path or "")
        local.write_text(f"[DEFAULT]\ntest_path={self.settings.test_path}\ntop_dir={top_dir}\n")
        self.transport.put(local, posixpath.join(self.workspace, ".stestr.conf"))

    def select(self) -> Selection:
        result, cached = list_workspace(
            self.transport, self.command, self.workspace, self.conf_path,
            posixpath.join(self.conf_source, "tempest.conf"), self.cache,
            timeout=self.ctx.call_timeout(self.settings.list_timeout), env=self.env,
        )
        if not result.ok:
            raise TestRunError(
                f"tempest run --list-tests exited {result.exit_code}", host=self.controller, step="test",
                detail=self.ctx.redactor.text(result.tail(40)),
            )
        known = parse_listing(result.stdout)
        lists = load_suite(self.ctx.profile.tempest, self.ctx.config.path)
        selection = select(known, lists)
        facts: dict[str, Any] = {
            "workspace": self.workspace, "listed": len(known), "listing": "cached" if cached else "listed",
            "cache_home": self.env["XDG_CACHE_HOME"], "lists": list(lists.sources),
            "selection": selection.summary(), "attempts": [],
        }
        self.ctx.result.facts[PLUGIN] = facts
        if self.ctx.only_tests is not None:
            selection = restrict(selection, self.ctx.only_tests)
            facts["rerun"] = {"failed": len(self.ctx.only_tests), "selected": len(selection.to_run)}
            facts["selection"] = selection.summary()
            if not selection.to_run:
                raise TestRunError(
                    f"none of the {len(self.ctx.only_tests)} tests to run again is selected by the suite "
                    f"{self.ctx.profile.tempest.suite!r} any more", host=self.controller, step="test",
                )
        if not selection.to_run:
            raise TestRunError(
                f"the suite {self.ctx.profile.tempest.suite!r} selects none of the {len(known)} tests "
                "Tempest lists", host=self.controller, step="test",
            )
        return selection

    def run_phase(self, phase: str, ids: Sequence[str], concurrency: int, selection: Selection) -> None:
        pending = list(ids)
        max_attempts = max(1, self.ctx.profile.tempest.max_attempts)
        for number in range(1, max_attempts + 1):
            if not pending:
                return
            if self.ctx.cancelled:
                raise Interrupted(f"Tempest run cancelled before {phase} attempt {number}")
            attempt = self.run_once(phase, number, pending, concurrency)
            self.attempts.append(attempt)
            pending = ids_to_rerun(failed_ids(attempt.records, selection.xfail), ids)

    def run_once(self, phase: str, number: int, ids: Sequence[str], concurrency: int) -> Attempt:
        label = f"{phase}-{number}"
        load_list = self._local / f"{label}.list"
        load_list.write_text("".join(f"{i}\n" for i in ids), encoding="utf-8")
        remote_list = posixpath.join(self.workspace, f"hvrt-{label}.list")
        remote_out = posixpath.join(self.workspace, f"hvrt-{label}.subunit")
        self.transport.put(load_list, remote_list, timeout=self.ctx.call_timeout(300))
        argv = [
            "sh", "-c", _RUN_SCRIPT, "hvrt-tempest", self.workspace, remote_out, *self.command,
            "run", "--subunit", "--concurrency", str(concurrency),
            "--config-file", self.conf_path, "--load-list", remote_list,
        ]
        started = time.monotonic()
        self.ctx.log.info("tempest %s attempt %d: %d tests, concurrency %d", phase, number, len(ids), concurrency)
        result = self.transport.run(argv, timeout=self.ctx.call_timeout(self.settings.run_timeout), env=self.env)
        log = f"$ tempest run ({label}), exit {result.exit_code}\n{result.stdout}{result.stderr}"
        self.ctx.save(f"logs/{self.controller}/tempest-{label}.log", log)
        stream = self._fetch(remote_out)
        records = parse_subunit(stream, merge=False) if stream else []
        if not records:
            raise TestRunError(
                f"Tempest produced no test results ({phase} attempt {number}, exit {result.exit_code})",
                host=self.controller, step="test", detail=self.ctx.redactor.text(result.tail(40)),
            )
        attempt = Attempt(number, phase, list(ids), records, stream, result.exit_code, log)
        self.ctx.result.facts[PLUGIN]["attempts"].append({
            "phase": phase, "attempt": number, "tests": len(ids), "results": len(records),
            "failed": len(failed_ids(records, {})), "exit_code": result.exit_code,
            "duration": round(time.monotonic() - started, 3),
        })
        if result.exit_code not in TEST_EXIT_CODES:
            self.attempts.append(attempt)  # its partial stream is still saved
            raise TestRunError(
                f"Tempest exited {result.exit_code} ({phase} attempt {number}) after {len(records)} results",
                host=self.controller, step="test", detail=self.ctx.redactor.text(result.tail(40)),
            )
        return attempt

    # ---------------------------------------------------------------- helpers
    def _fetch(self, remote: str) -> bytes:
        local = self._local / posixpath.basename(remote)
        try:
            self.transport.get(remote, local, timeout=self.ctx.call_timeout(600))
        except TransportError:
            return b""
        return local.read_bytes()

    def _call(self, argv: list[str], what: str, timeout: float, cwd: str | None = None) -> str:
        result = self.transport.run(argv, timeout=self.ctx.call_timeout(timeout), cwd=cwd, env=self.env)
        if not result.ok:
            raise TestRunError(
                f"{what} exited {result.exit_code}", host=self.controller, step="test",
                detail=self.ctx.redactor.text(result.tail(40)),
            )
        return result.stdout

    def _save_stream(self) -> None:
        """Keep every attempt's stream, re-encoded with its attachments masked (a
        byte-wise mask would break the stream's framing, hence ``redact=False``)."""
        if self.attempts:
            stream = b"".join(a.stream for a in self.attempts)
            self.ctx.save(STREAM_FILE, redact_stream(stream, self.ctx.redactor), redact=False)

    def _cleanup_local(self) -> None:
        import shutil

        shutil.rmtree(self._local, ignore_errors=True)
