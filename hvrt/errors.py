"""The error hierarchy of hvrt and the exit codes it maps to.

Each error class carries its exit code so the CLI turns any :class:`HvrtError`
into a one-line message and a distinct exit status, never a traceback.
"""
from __future__ import annotations

import enum


class ExitCode(enum.IntEnum):
    """Exit codes of ``hvrt``; documented in ``hvrt --help``."""

    OK = 0
    TEST_FAILURES = 1
    CONFIG_ERROR = 2
    INFRASTRUCTURE_ERROR = 3
    INTERRUPTED = 130


class HvrtError(Exception):
    """Base of every error hvrt reports to its user."""

    exit_code: ExitCode = ExitCode.INFRASTRUCTURE_ERROR


class ConfigError(HvrtError):
    """Bad configuration or usage: names the file, line, column and key when known."""

    exit_code = ExitCode.CONFIG_ERROR

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        line: int | None = None,
        column: int | None = None,
        key: str | None = None,
    ) -> None:
        self.message = message
        self.file = file
        self.line = line
        self.column = column
        self.key = key
        super().__init__(str(self))

    def location(self) -> str:
        parts = [self.file or "<config>"]
        if self.line is not None:
            parts.append(str(self.line))
            if self.column is not None:
                parts.append(str(self.column))
        return ":".join(parts)

    def __str__(self) -> str:
        key = f" {self.key}:" if self.key else ""
        return f"{self.location()}:{key} {self.message}"


class ConfigErrors(ConfigError):
    """Several configuration errors found in one pass; shown one per line."""

    def __init__(self, errors: list[ConfigError]) -> None:
        self.errors = errors
        first = errors[0]
        super().__init__(
            first.message, file=first.file, line=first.line, column=first.column, key=first.key
        )

    def __str__(self) -> str:
        return "\n".join(ConfigError.__str__(e) for e in self.errors)


class UsageError(ConfigError):
    """A command-line argument that makes no sense (unknown profile, missing run dir)."""

    def __str__(self) -> str:
        return self.message


class PluginLoadError(HvrtError):
    """A plugin could not be loaded or registered; the run never starts without it."""

    exit_code = ExitCode.CONFIG_ERROR

    def __init__(self, name: str, cause: str | BaseException) -> None:
        self.name = name
        self.cause = cause
        super().__init__(f"plugin {name!r} failed to load: {cause}")


class InfrastructureError(HvrtError):
    """A node, controller or service misbehaved: unreachable, install failed, stack.sh failed.

    ``host`` and ``step`` say where; ``detail`` may hold a log tail.
    """

    exit_code = ExitCode.INFRASTRUCTURE_ERROR

    def __init__(
        self, message: str, *, host: str | None = None, step: str | None = None, detail: str = ""
    ) -> None:
        self.message = message
        self.host = host
        self.step = step
        self.detail = detail
        where = " ".join(p for p in (f"[{host}]" if host else "", step or "") if p)
        super().__init__(f"{where}: {message}" if where else message)


class ConfigurationFailed(InfrastructureError):
    """A node configurator (WinRM, Salt, Puppet) reported failed steps or resources."""


class TransportError(InfrastructureError):
    """A remote call failed at the transport level (connection, auth, protocol)."""


class RemoteTimeout(TransportError):
    """A remote call did not finish within its timeout."""


class TestRunError(InfrastructureError):
    """The test runner itself broke: crashed, or executed zero tests."""

    __test__ = False  # not a pytest test class


class Interrupted(HvrtError):
    """The run was interrupted (Ctrl-C or SIGTERM)."""

    exit_code = ExitCode.INTERRUPTED
