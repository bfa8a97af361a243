"""The results model: what a scenario produced, independent of how it is shown.

Test runners fill :class:`TestCase` records; the engine fills :class:`StageRecord`
and :class:`ScenarioResult`; reporters read them. Everything round-trips through
plain JSON (``to_dict``/``from_dict``) so reports can be rebuilt from disk.
"""
from __future__ import annotations

import enum
from collections import Counter
from dataclasses import asdict, dataclass, field
from typing import Any

from hvrt.results.testid import class_of, split_test_id


class TestStatus(str, enum.Enum):
    """Outcome of one test after retries. ``flaky`` = failed, then passed on a re-run."""

    __test__ = False

    PASSED = "passed"
    FAILED = "failed"
    SKIPPED = "skipped"
    XFAIL = "xfail"
    UXSUCCESS = "uxsuccess"
    FLAKY = "flaky"
    ERROR = "error"

    @property
    def is_problem(self) -> bool:
        return self in (TestStatus.FAILED, TestStatus.ERROR, TestStatus.UXSUCCESS)


class ScenarioStatus(str, enum.Enum):
    """Outcome of a scenario: ``passed``; ``failed`` = tests failed; ``error`` = infrastructure;
    ``all-skipped`` = the tests ran and every one of them skipped itself, so nothing was tested."""

    PENDING = "pending"
    RUNNING = "running"
    PASSED = "passed"
    FAILED = "failed"
    ERROR = "error"
    INTERRUPTED = "interrupted"
    SKIPPED = "skipped"
    ALL_SKIPPED = "all-skipped"


@dataclass
class TestCase:
    """One test id and its final outcome; ``attempts`` lists each try's status."""

    __test__ = False

    id: str
    status: TestStatus
    duration: float = 0.0
    attempts: list[str] = field(default_factory=list)
    details: str = ""
    reason: str = ""
    details_file: str = ""
    """Where the full output is, relative to the scenario folder, when ``details`` is cut."""

    @property
    def classname(self) -> str:
        return class_of(self.id)

    @property
    def name(self) -> str:
        return split_test_id(self.id)[1]

    def to_dict(self) -> dict[str, Any]:
        data = {"id": self.id, "status": self.status.value, "duration": self.duration,
                "attempts": list(self.attempts), "details": self.details, "reason": self.reason}
        if self.details_file:
            data["details_file"] = self.details_file
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TestCase:
        return cls(**{**data, "status": TestStatus(data["status"])})


@dataclass
class StageRecord:
    stage: str
    status: str = "pending"  # pending | running | ok | failed | skipped
    started: float | None = None
    ended: float | None = None
    error: str = ""

    @property
    def duration(self) -> float:
        if self.started is None or self.ended is None:
            return 0.0
        return self.ended - self.started


@dataclass
class ScenarioResult:
    """Everything a scenario's reports show. Saved as ``<scenario>/results.json``."""

    name: str
    status: ScenarioStatus = ScenarioStatus.PENDING
    profile: dict[str, Any] = field(default_factory=dict)
    nodes: list[str] = field(default_factory=list)
    controller: str | None = None
    stages: list[StageRecord] = field(default_factory=list)
    tests: list[TestCase] = field(default_factory=list)
    error: str = ""
    started: float | None = None
    ended: float | None = None
    product_version: str | None = None
    installer_sha256: str | None = None
    facts: dict[str, Any] = field(default_factory=dict)
    artifacts: list[str] = field(default_factory=list)

    @property
    def duration(self) -> float:
        if self.started is None or self.ended is None:
            return 0.0
        return self.ended - self.started

    def counts(self) -> dict[str, int]:
        counter = Counter(t.status.value for t in self.tests)
        return {s.value: counter.get(s.value, 0) for s in TestStatus} | {"total": len(self.tests)}

    def stage(self, name: str) -> StageRecord:
        for rec in self.stages:
            if rec.stage == name:
                return rec
        rec = StageRecord(name)
        self.stages.append(rec)
        return rec

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "status": self.status.value,
            "profile": self.profile,
            "nodes": self.nodes,
            "controller": self.controller,
            "stages": [asdict(s) for s in self.stages],
            "tests": [t.to_dict() for t in self.tests],
            "counts": self.counts(),
            "error": self.error,
            "started": self.started,
            "ended": self.ended,
            "duration": self.duration,
            "product_version": self.product_version,
            "installer_sha256": self.installer_sha256,
            "facts": self.facts,
            "artifacts": self.artifacts,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ScenarioResult:
        return cls(
            name=data["name"],
            status=ScenarioStatus(data["status"]),
            profile=data.get("profile", {}),
            nodes=list(data.get("nodes", [])),
            controller=data.get("controller"),
            stages=[StageRecord(**s) for s in data.get("stages", [])],
            tests=[TestCase.from_dict(t) for t in data.get("tests", [])],
            error=data.get("error", ""),
            started=data.get("started"),
            ended=data.get("ended"),
            product_version=data.get("product_version"),
            installer_sha256=data.get("installer_sha256"),
            facts=data.get("facts", {}),
            artifacts=list(data.get("artifacts", [])),
        )


@dataclass
class RunSummary:
    """The whole run: saved as ``summary.json`` at the run's root."""

    run_id: str
    release: str
    scenarios: list[ScenarioResult] = field(default_factory=list)
    started: float | None = None
    ended: float | None = None
    interrupted: bool = False

    def counts(self) -> dict[str, int]:
        total: Counter[str] = Counter()
        for sc in self.scenarios:
            total.update(sc.counts())
        return dict(total)

    def to_dict(self) -> dict[str, Any]:
        statuses = Counter(s.status.value for s in self.scenarios)
        return {
            "run_id": self.run_id,
            "release": self.release,
            "started": self.started,
            "ended": self.ended,
            "interrupted": self.interrupted,
            "scenario_counts": dict(statuses),
            "test_counts": self.counts(),
            "scenarios": [
                {k: v for k, v in s.to_dict().items() if k != "tests"} for s in self.scenarios
            ],
        }
