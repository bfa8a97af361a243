"""The abstract transport every plugin talks to a host through.

Call order: construct (cheap, no I/O) -> any number of :meth:`Transport.run`,
:meth:`Transport.put`, :meth:`Transport.get` (the first call connects) ->
:meth:`Transport.close` (always, at teardown). A transport reconnects by itself after
a dropped connection. Commands are argument vectors, never shell strings: each
implementation quotes every element for the remote side, so no value from config is
ever interpreted by a shell or PowerShell.
"""
from __future__ import annotations

import abc
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

OutputHandler = Callable[[str, str], None]
"""Called as ``handler(stream, line)`` with ``stream`` in ("stdout", "stderr"), per line."""


@dataclass
class CommandResult:
    argv: Sequence[str]
    exit_code: int
    stdout: str
    stderr: str
    duration: float = 0.0

    @property
    def ok(self) -> bool:
        return self.exit_code == 0

    def tail(self, lines: int = 20) -> str:
        """The last lines of the combined output, for error messages."""
        text = (self.stdout + ("\n" + self.stderr if self.stderr else "")).rstrip()
        return "\n".join(text.splitlines()[-lines:])


class Transport(abc.ABC):
    """A connection to one host. Subclasses: local, ssh (hvrt.transport), winrm (plugin)."""

    #: the lab host name, used in errors
    host_name: str = "?"
    #: the default timeout of a call, seconds
    default_timeout: float = 600.0

    @abc.abstractmethod
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

        With ``check=True`` a non-zero exit raises :class:`hvrt.errors.TransportError`
        naming the host and the command, with the output's tail.
        """

    @abc.abstractmethod
    def put(self, local: Path, remote: str, *, timeout: float | None = None) -> None:
        """Upload a file or a folder (recursively) to ``remote``."""

    @abc.abstractmethod
    def get(self, remote: str, local: Path, *, timeout: float | None = None) -> None:
        """Download a file or a folder (recursively) into ``local``."""

    def close(self) -> None:  # noqa: B027 - optional for transports without a connection
        """Release the connection; safe to call twice."""

    def __enter__(self) -> Transport:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
