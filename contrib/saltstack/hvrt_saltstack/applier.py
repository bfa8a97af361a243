"""How the states reach a node: the small interface the three modes implement.

Call order, for one node of one scenario: construct (no remote I/O) ->
:meth:`Applier.stage_installer` (once, only when the release names an MSI and the
node is Windows) -> :meth:`Applier.apply` (once) -> :meth:`Applier.cleanup` (always,
also after a failure). ``apply`` returns the parsed outcome and Salt's raw output,
which the plugin saves (redacted) into the scenario's results.
"""
from __future__ import annotations

import abc
import json
from pathlib import Path
from typing import Any

from hvrt.config.model import Host
from hvrt.context import ScenarioContext
from hvrt.results.layout import safe_name as _safe_name
from hvrt_saltstack.options import SaltOptions
from hvrt_saltstack.outcome import ApplyOutcome

FILE_ROOT = Path(__file__).resolve().parent / "file_root"
"""The Salt file tree shipped with this package (``salt://hvrt/compute/...``)."""



def safe_name(text: str) -> str:
    """``text`` as one path element (the core's rule; ``x`` when nothing is left)."""
    return _safe_name(text, "x")


def parse_json(stdout: str) -> Any | None:
    """The JSON document Salt printed with ``--out json`` (None when there is none)."""
    text = stdout.strip()
    if not text:
        return None
    try:
        return json.loads(text)
    except ValueError:
        start = text.find("{")
        if start < 0:
            return None
        try:
            return json.loads(text[start:])
        except ValueError:
            return None


def render_log(command: str, exit_code: int | str, data: Any, stderr: str = "") -> str:
    """Salt's output for the results: the call, its exit code, the JSON with password-like
    keys masked (INI changes carry before/after values), then stderr."""
    from hvrt_saltstack.pillar import masked

    body = json.dumps(masked(data), indent=2, sort_keys=True, default=str) if data is not None else ""
    return f"$ {command}\n[exit {exit_code}]\n{body}\n{stderr}".rstrip() + "\n"


class Applier(abc.ABC):
    mode: str = "?"

    def __init__(self, ctx: ScenarioContext, node: Host, options: SaltOptions) -> None:
        self.ctx = ctx
        self.node = node
        self.options = options

    def timeout(self) -> float:
        return self.ctx.call_timeout(self.options.timeout)

    def stage_installer(self, local_msi: Path | None, url: str | None) -> tuple[str | None, str | None]:
        """Make the MSI reachable from the node: ``(path already on the node, source to fetch)``."""
        return None, url

    @abc.abstractmethod
    def apply(self, pillar: dict[str, Any]) -> tuple[ApplyOutcome, str]:
        """Apply ``options.sls`` with ``pillar``; never raise for failed states."""

    def cleanup(self) -> None:
        """Remove what ``apply`` left behind (above all the pillar file, which holds secrets)."""
        return None
