"""Read what ``puppet apply`` left behind: its run report and its JSON log.

Puppet writes ``last_run_report.yaml`` (a Ruby-tagged YAML document) once the
catalog was applied, and the JSON log (``--logdest <file>.json``) in every case,
including a catalog that failed to compile. :func:`summarize` turns both into a
plain record: status, changed and failed resources, and the error messages, so
a failure can name the resources that failed.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import yaml

# exit codes of ``puppet apply --detailed-exitcodes``
UNCHANGED, FAILED_RUN, CHANGED = 0, 1, 2
FAILURE_BITS = 4


@dataclass
class ApplySummary:
    exit_code: int
    status: str = "unknown"
    changed: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    total: int | None = None
    seconds: float | None = None

    @property
    def ok(self) -> bool:
        return self.exit_code in (UNCHANGED, CHANGED)

    def to_dict(self) -> dict[str, Any]:
        return {
            "exit_code": self.exit_code, "status": self.status, "changed": self.changed,
            "failed": self.failed, "errors": self.errors, "total": self.total, "seconds": self.seconds,
        }


class _ReportLoader(yaml.SafeLoader):
    """A safe loader that reads Ruby object tags (``!ruby/object:...``) as plain mappings."""


def _ruby_node(loader: yaml.SafeLoader, _suffix: str, node: yaml.Node) -> Any:
    if isinstance(node, yaml.MappingNode):
        return loader.construct_mapping(node, deep=True)
    if isinstance(node, yaml.SequenceNode):
        return loader.construct_sequence(node, deep=True)
    return loader.construct_scalar(node)  # type: ignore[arg-type]


_ReportLoader.add_multi_constructor("!ruby/", _ruby_node)


def load_report(text: str) -> dict[str, Any]:
    data = yaml.load(text, Loader=_ReportLoader)  # noqa: S506 - a SafeLoader subclass
    return data if isinstance(data, dict) else {}


def load_log(text: str) -> list[dict[str, Any]]:
    """The entries of a JSON log; tolerates a file cut short (no closing bracket)."""
    body = text.strip()
    if not body:
        return []
    if not body.endswith("]"):
        body = body.rstrip(",\n ") + "\n]"
    try:
        entries = json.loads(body)
    except json.JSONDecodeError:
        return []
    return [e for e in entries if isinstance(e, dict)]


def _metric(report: dict[str, Any], group: str, name: str) -> float | None:
    values = ((report.get("metrics") or {}).get(group) or {}).get("values") or []
    for row in values:
        if isinstance(row, list) and len(row) == 3 and row[0] == name:
            return row[2]
    return None


def _log_errors(log: list[dict[str, Any]]) -> list[str]:
    """Error lines of the log; Facter's complaints about its container are not Puppet's."""
    out = []
    for entry in log:
        if entry.get("level") not in ("err", "alert", "emerg", "crit") or entry.get("source") == "Facter":
            continue
        message = str(entry.get("message", "")).split("\nWrapped exception:")[0]
        source = str(entry.get("source", ""))
        line = message if source in ("", "Puppet") else f"{source}: {message}"
        if line not in out:
            out.append(line)
    return out


def summarize(exit_code: int, report_text: str | None, log_text: str | None) -> ApplySummary:
    summary = ApplySummary(exit_code=exit_code)
    summary.errors = _log_errors(load_log(log_text or ""))
    report = load_report(report_text) if report_text else {}
    if report:
        summary.status = str(report.get("status", "unknown"))
        for name, status in (report.get("resource_statuses") or {}).items():
            if not isinstance(status, dict):
                continue
            if status.get("failed") or status.get("failed_to_restart"):
                summary.failed.append(str(name))
            elif status.get("changed"):
                summary.changed.append(str(name))
        total = _metric(report, "resources", "total")
        summary.total = int(total) if total is not None else None
        summary.seconds = _metric(report, "time", "total")
    elif exit_code == FAILED_RUN:
        summary.status = "failed"
    if exit_code >= FAILURE_BITS and not summary.failed:
        summary.failed = _failed_from_log(load_log(log_text or ""))
    return summary


def _failed_from_log(log: list[dict[str, Any]]) -> list[str]:
    """Resources named by error lines (``/Stage[main]/.../Type[title]/property``)."""
    names: list[str] = []
    for entry in log:
        source = str(entry.get("source", ""))
        if entry.get("level") != "err" or not source.startswith("/"):
            continue
        parts = [p for p in _split_source(source) if "[" in p]
        if parts and parts[-1] not in names:
            names.append(parts[-1])
    return names


def _split_source(source: str) -> list[str]:
    """Split a log source on ``/`` outside brackets (titles may hold slashes)."""
    parts, depth, current = [], 0, []
    for ch in source:
        if ch == "[":
            depth += 1
        elif ch == "]":
            depth -= 1
        if ch == "/" and depth == 0:
            parts.append("".join(current))
            current = []
        else:
            current.append(ch)
    parts.append("".join(current))
    return [p for p in parts if p]
