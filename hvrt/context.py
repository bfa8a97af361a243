"""What the engine hands to every hook: the run, and one scenario in it.

:class:`RunContext` lives for a whole ``hvrt run``; :class:`ScenarioContext` for one
scenario's pipeline. Plugins read config from them, open transports through
:meth:`ScenarioContext.transport`, write files into the scenario's results folder
through :meth:`ScenarioContext.save` (atomic, redacted, confined to the folder —
the run's :class:`~hvrt.results.store.ResultsStore` does the writing) and record
outcomes on ``ctx.result``.
"""
from __future__ import annotations

import dataclasses
import logging
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hvrt.config.model import Config, Host, Profile, Scenario, Secret
from hvrt.errors import ConfigError, InfrastructureError
from hvrt.redact import Redactor
from hvrt.results import ScenarioResult
from hvrt.results.layout import DIR_MODE, FILE_MODE
from hvrt.results.store import ResultsStore

DESTROY_POLICIES = ("always", "passing", "never")
"""``hvrt run --destroy``: when teardown removes what the scenario set up (docs/architecture.md)."""



class StageCancelled(InfrastructureError):
    """The stage was told to stop: the other stage of its concurrent step failed."""


class StopSignal(threading.Event):
    """An event that says why it was set (``stop(reason)``)."""

    reason: str = ""

    def stop(self, reason: str) -> None:
        self.reason = reason
        self.set()


if TYPE_CHECKING:
    import pluggy

    from hvrt.transport.base import Transport


@dataclass
class RunOptions:
    jobs: int = 1
    fail_fast: bool = False
    dry_run: bool = False
    resume: bool = False
    json: bool = False
    preflight: bool = True
    """Check every host of the run before the first scenario starts (``--no-preflight``)."""
    skip_unhealthy: bool = False
    """Leave hosts that fail pre-flight out instead of stopping the run."""
    preflight_timeout: float = 60.0
    """Seconds one host's pre-flight checks may take."""
    stages: tuple[str, ...] | None = None
    """The stages to run (``--stages``, ``--from``); None runs them all. plan, collect,
    report and teardown run whatever is selected."""
    rerun_failed: Path | None = None
    """A run folder whose failed and errored tests this run runs again."""
    reuse_deployment: bool = False
    """Test the cloud an earlier run deployed: configure and deploy are skipped."""
    deployment_from: Path | None = None
    """The run folder whose recorded deployment is reused (default: the one of
    ``rerun_failed``, else the latest run of the release that recorded one)."""
    file_mode: int = FILE_MODE
    dir_mode: int = DIR_MODE
    """Permission bits of the published results tree."""
    destroy: str | None = None
    """Teardown policy (``--destroy``): ``always`` uninstalls the compute MSI and unstacks
    DevStack after every scenario, ``passing`` only after a passed one (a failed lab stays
    up for debugging), ``never`` leaves the lab up. None: ``always`` for a whole run,
    ``never`` when ``stages`` selects part of the pipeline (``--stages``, ``--from``,
    ``--reuse-deployment``), which is meant to leave or reuse a lab."""
    installer: str | None = None
    sha256: str | None = None
    devstack_branch: str | None = None
    """Release overrides of the command line (``--installer``, ``--sha256``,
    ``--devstack-branch``), applied over ``release:`` of the config."""
    extra: dict[str, Any] = field(default_factory=dict)
    """Values of the ``hvrt run`` options that plugins added (``hvrt_cli``), by ``dest``."""


@dataclass
class RunContext:
    """One ``hvrt run``: its config, plugin manager, results folder and options."""

    config: Config
    pm: pluggy.PluginManager
    run_id: str
    run_dir: Path
    options: RunOptions = field(default_factory=RunOptions)
    redactor: Redactor = field(default_factory=Redactor)
    cancel: threading.Event = field(default_factory=threading.Event)
    log: logging.Logger = field(default_factory=lambda: logging.getLogger("hvrt.run"))
    state: dict[str, Any] = field(default_factory=dict)
    """Per-plugin scratch space for the whole run, keyed by plugin name."""
    results: ResultsStore = None  # type: ignore[assignment]
    """The writer of the run folder (made from ``run_dir`` and ``redactor`` when not given)."""
    rerun: dict[str, tuple[str, ...]] = field(default_factory=dict)
    """scenario -> the test ids to run instead of its whole suite (``--rerun-failed``)."""
    deployments: dict[str, Deployment] = field(default_factory=dict)
    """scenario -> the already deployed cloud it tests (``--reuse-deployment``)."""

    def __post_init__(self) -> None:
        if self.results is None:
            self.results = ResultsStore(self.run_dir, self.redactor, file_mode=self.options.file_mode,
                                        dir_mode=self.options.dir_mode)

    @property
    def release(self) -> str:
        return self.config.release.name

    @property
    def destroy_policy(self) -> str:
        """``options.destroy``, or its default: ``never`` for part of a pipeline, else ``always``."""
        if self.options.destroy is not None:
            return self.options.destroy
        return "never" if self.options.stages is not None else "always"


@dataclass
class Deployment:
    """A deployed cloud, as the deployer hands it to the test runner.

    ``tempest_command`` is the argument vector that starts Tempest on ``controller``
    (through that host's transport); ``tempest_conf`` the generated tempest.conf there.
    """

    controller: str
    auth_url: str
    username: str
    password: Secret
    project: str = "admin"
    tempest_conf: str | None = None
    tempest_command: Sequence[str] = ("tempest",)
    workdir: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def to_record(self) -> dict[str, Any]:
        """What a later run needs to test this cloud again (``facts["deployment"]`` of
        the scenario's result): everything but the password, which comes from the config."""
        return {"controller": self.controller, "auth_url": self.auth_url, "username": self.username,
                "project": self.project, "tempest_conf": self.tempest_conf,
                "tempest_command": list(self.tempest_command), "workdir": self.workdir,
                "extra": dict(self.extra)}

    @classmethod
    def from_record(cls, record: dict[str, Any], password: Secret | None) -> Deployment:
        """The deployment a recorded :meth:`to_record` describes, with the config's password."""
        if password is None:
            raise ConfigError("release.password is needed to test a deployed cloud again", key="release.password")
        return cls(controller=str(record["controller"]), auth_url=str(record.get("auth_url") or ""),
                   username=str(record.get("username") or "admin"), password=password,
                   project=str(record.get("project") or "admin"), tempest_conf=record.get("tempest_conf"),
                   tempest_command=tuple(record.get("tempest_command") or ("tempest",)),
                   workdir=record.get("workdir"), extra=dict(record.get("extra") or {}))


@dataclass
class ScenarioContext:
    """One scenario's pipeline: leased hosts, its results folder, what stages produced."""

    run: RunContext
    scenario: Scenario
    nodes: list[Host]
    controller: Host
    dir: Path
    result: ScenarioResult
    log: logging.Logger
    deployment: Deployment | None = None
    stage: str = "plan"
    stage_deadline: float | None = None
    only_tests: tuple[str, ...] | None = None
    """The test ids to run instead of the whole suite (a ``--rerun-failed`` run); a
    fixture entry such as ``setUpClass (pkg.Class)`` stands for every test of its class."""
    state: dict[str, Any] = field(default_factory=dict)
    """Per-plugin scratch space for this scenario, keyed by plugin name."""
    stop: StopSignal | None = None
    """Set when the stage this context runs must stop early (only in a stage of a
    concurrent step, see :meth:`for_stage`): the other stage failed or timed out."""
    _transports: dict[str, Transport] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def name(self) -> str:
        return self.scenario.name

    @property
    def profile(self) -> Profile:
        return self.scenario.profile

    @property
    def config(self) -> Config:
        return self.run.config

    @property
    def redactor(self) -> Redactor:
        return self.run.redactor

    @property
    def cancelled(self) -> bool:
        return (self.run.cancel.is_set() or bool(self.state.get("_cancelled"))
                or (self.stop is not None and self.stop.is_set()))

    def for_stage(self, stage: str, deadline: float) -> ScenarioContext:
        """This context as one stage of a concurrent step sees it: its own ``stage``,
        deadline and :attr:`stop` event; the result, state, transports and lock are
        shared with this one. The engine copies ``deployment`` back afterwards."""
        return dataclasses.replace(self, stage=stage, stage_deadline=deadline, stop=StopSignal())

    def destroys(self, stage: str) -> bool:
        """Whether teardown removes what ``stage`` (``configure``, ``deploy``) set up.

        Follows :attr:`RunContext.destroy_policy` (``passing``: only when the scenario
        passed). A stage that was selected but never ran (an earlier stage failed, or the
        run was cancelled first) set nothing up, so nothing is removed; a stage the run did
        not select is torn down when the policy says so (``--stages teardown --destroy
        always`` removes what an earlier run left up). The decision is recorded once in
        ``result.facts["teardown"]``."""
        policy = self.run.destroy_policy
        record = self.result.facts.setdefault("teardown", {"policy": policy, "hosts": {}})
        status = self.result.stage(stage).status
        selected = self.run.options.stages is None or stage in self.run.options.stages
        if policy == "never":
            why = "--destroy never: the lab stays up"
        elif policy == "passing" and self.result.status.value != "passed":
            why = f"--destroy passing: the scenario ended {self.result.status.value}; the lab stays up"
        elif selected and status in ("pending", "skipped"):
            why = f"{stage} did not run: nothing to remove"
        else:
            record.setdefault("stages", {})[stage] = "destroy"
            return True
        record.setdefault("stages", {})[stage] = why
        return False

    def record_teardown(self, host: str, action: str, *, ok: bool, detail: str = "", **extra: Any) -> None:
        """One host's teardown outcome in ``result.facts["teardown"]["hosts"]``; a failure
        is logged as a warning too (teardown never fails the scenario)."""
        record = self.result.facts.setdefault("teardown", {"policy": self.run.destroy_policy, "hosts": {}})
        with self._lock:
            record.setdefault("hosts", {}).setdefault(host, []).append(
                {"action": action, "ok": ok, "detail": detail, **extra})
        if not ok:
            self.log.warning("[%s] teardown %s failed: %s", host, action, detail)
        else:
            self.log.info("[%s] teardown %s: %s", host, action, detail or "done")

    def remaining(self, default: float = 600.0) -> float:
        """Seconds left before the current stage's deadline (``default`` when none)."""
        if self.stage_deadline is None:
            return default
        return max(0.1, self.stage_deadline - time.monotonic())

    def call_timeout(self, wanted: float) -> float:
        """A per-call timeout: ``wanted``, capped by the stage deadline."""
        return min(wanted, self.remaining(wanted))

    def transport(self, host: Host | str) -> Transport:
        """The open transport to a lab host; opened once per scenario through the
        ``hvrt_open_transport`` hook and closed at teardown."""
        name = host if isinstance(host, str) else host.name
        with self._lock:  # checked under the lock close_transports takes: no transport outlives a stop
            if self.stop is not None and self.stop.is_set():
                raise StageCancelled(f"stage {self.stage} was cancelled: {self.stop.reason}", host=name,
                                     step=self.stage)
            if name not in self._transports:
                host_obj = self.config.hosts.get(name) if isinstance(host, str) else host
                if host_obj is None:
                    raise InfrastructureError(f"unknown host {name!r}", step=self.stage)
                transport = self.run.pm.hook.hvrt_open_transport(host=host_obj, run=self.run)
                if transport is None:
                    raise InfrastructureError(
                        f"no plugin opens transport {host_obj.transport!r}", host=name, step=self.stage
                    )
                self._transports[name] = transport
            return self._transports[name]

    def close_transports(self) -> None:
        with self._lock:
            transports = list(self._transports.values())
            self._transports.clear()  # in place: the views of :meth:`for_stage` share it
        for transport in transports:
            try:
                transport.close()
            except Exception as exc:  # closing must never mask the run's outcome
                self.log.warning("closing transport to %s failed: %s", transport.host_name, exc)

    def path(self, *parts: str) -> Path:
        """A folder inside the scenario's results, created on demand (names are
        confined: ``..`` or an absolute part raises ValueError)."""
        return self.run.results.folder("/".join([self._rel_dir(), *parts]))

    def save(self, relpath: str, data: str | bytes, *, redact: bool = True) -> Path:
        """Write a file into the scenario's results atomically, secrets masked.

        ``relpath`` must stay inside the scenario folder. Records the path in
        ``result.artifacts`` so reports can link it. ``redact=False`` is only for
        content the caller redacted itself (a subunit stream, whose framing a
        byte-wise mask would break).
        """
        target = self.run.results.save(f"{self._rel_dir()}/{relpath}", data, redact=redact)
        rel = target.relative_to(self.dir).as_posix()
        if rel not in self.result.artifacts:
            self.result.artifacts.append(rel)
        return target

    def _rel_dir(self) -> str:
        return self.dir.relative_to(self.run.run_dir).as_posix()
