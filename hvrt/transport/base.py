"""The abstract transport every plugin talks to a host through.

Call order: construct (cheap, no I/O) -> any number of :meth:`Transport.run`,
:meth:`Transport.put`, :meth:`Transport.get` (the first call connects) ->
:meth:`Transport.close` (always, at teardown). A transport reconnects by itself after
a dropped connection. Commands are argument vectors, never shell strings: each
implementation quotes every element for the remote side, so no value from config is
ever interpreted by a shell or PowerShell.

What the other side sends is bounded the same way for every transport: a command's
output by :class:`~hvrt.transport.output.OutputLimits` (see :mod:`hvrt.transport.output`),
a download by :class:`~hvrt.transport.download.DownloadLimits` (see
:mod:`hvrt.transport.download`).
"""
from __future__ import annotations

import abc
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from hvrt.errors import TransportError
from hvrt.transport.download import DownloadLimits, DownloadSummary
from hvrt.transport.output import STREAMS, CommandResult, OutputCapture, OutputHandler, OutputLimits

if TYPE_CHECKING:
    from hvrt.redact import Redactor

__all__ = ["STREAMS", "Command", "CommandResult", "OutputCapture", "OutputHandler", "OutputLimits", "Transport"]


@dataclass(frozen=True)
class Command:
    """One :meth:`Transport.run` call as the implementations receive it."""

    argv: tuple[str, ...]
    timeout: float
    stdin: bytes | None = None
    env: Mapping[str, str] | None = None
    cwd: str | None = None


class Transport(abc.ABC):
    """A connection to one host. Subclasses: local, ssh (hvrt.transport), winrm (plugin).

    Subclasses implement :meth:`_execute`, :meth:`put` and :meth:`get`; :meth:`run`
    is the same for all of them.
    """

    #: the lab host name, used in errors
    host_name: str = "?"
    #: the default timeout of a call, seconds
    default_timeout: float = 600.0
    #: how much output of a command is kept (set on an instance to change it)
    output_limits: OutputLimits = OutputLimits()
    #: how much one :meth:`get` may write (set on an instance to change it)
    download_limits: DownloadLimits = DownloadLimits()
    #: masks secrets in error details (None: nothing to mask)
    redactor: Redactor | None = None

    def run(
        self,
        argv: Sequence[str],
        *,
        timeout: float | None = None,
        stdin: bytes | None = None,
        env: Mapping[str, str] | None = None,
        cwd: str | None = None,
        on_output: OutputHandler | None = None,
        check: bool = False,
    ) -> CommandResult:
        """Run one command; raise :class:`hvrt.errors.RemoteTimeout` past ``timeout``.

        Output is kept within :attr:`output_limits` (see the module docstring). With
        ``check=True`` a non-zero exit raises :class:`hvrt.errors.TransportError` naming
        the host and the command, with the output's tail.
        """
        if not argv:
            raise TransportError("empty command", host=self.host_name)
        command = Command(tuple(str(a) for a in argv), timeout or self.default_timeout, stdin, env, cwd)
        capture = OutputCapture(on_output, self.output_limits)
        started = time.monotonic()
        try:
            exit_code = self._execute(command, capture)
            capture.finish()
        except BaseException:
            capture.discard()
            raise
        result = capture.result(list(argv), exit_code, time.monotonic() - started)
        if check and not result.ok:
            tail = result.tail()
            raise TransportError(f"command {argv[0]!r} exited {exit_code}", host=self.host_name,
                                 detail=self.redactor.literals(tail) if self.redactor else tail)
        return result

    @abc.abstractmethod
    def _execute(self, command: Command, capture: OutputCapture) -> int:
        """Run ``command``, feeding its output to ``capture``; return its exit code."""

    @abc.abstractmethod
    def put(self, local: Path, remote: str, *, timeout: float | None = None) -> None:
        """Upload a file or a folder (recursively) to ``remote``."""

    @abc.abstractmethod
    def get(self, remote: str, local: Path, *, timeout: float | None = None) -> DownloadSummary:
        """Download a file or a folder (recursively) into ``local``.

        Within :attr:`download_limits` and the rules of :mod:`hvrt.transport.download`:
        nothing is written outside ``local``, links are not followed, files are 0644
        and folders 0755.
        """

    def close(self) -> None:  # noqa: B027 - optional for transports without a connection
        """Release the connection; safe to call twice."""

    def __enter__(self) -> Transport:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
