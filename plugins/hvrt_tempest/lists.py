"""Test list files: include, exclude and isolated lists of a Tempest suite.

The format is the legacy release tool's: one Tempest test id prefix per line,
blank lines and ``#`` comments ignored (a ``#`` after an id starts a comment too).
A suite named ``default`` reads ``include-tests-default.txt``,
``exclude-tests-default.txt`` and ``isolated-tests-default.txt`` from the profile's
``tempest.lists_dir``; a missing exclude or isolated file means an empty list.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from hvrt.config.model import TempestSuite
from hvrt.errors import ConfigError

KINDS = ("include", "exclude", "isolated")


def parse_list(text: str) -> list[str]:
    """The id prefixes of a list file's text, in file order, without duplicates."""
    entries: list[str] = []
    for raw in text.splitlines():
        line = raw.split("#", 1)[0].strip()
        if line and line not in entries:
            entries.append(line)
    return entries


def list_path(lists_dir: Path, kind: str, suite: str) -> Path:
    return lists_dir / f"{kind}-tests-{suite}.txt"


@dataclass(frozen=True)
class SuiteLists:
    """What a suite selects, before it meets the list of tests Tempest knows."""

    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    isolated: tuple[str, ...] = ()
    skip: dict[str, str] = field(default_factory=dict)
    xfail: dict[str, str] = field(default_factory=dict)
    sources: tuple[str, ...] = ()
    """The list files that were read, for the report."""


def resolve_lists_dir(lists_dir: str | None, config_path: str | None) -> Path | None:
    """``lists_dir`` as written in the config, relative to the config file's folder."""
    if not lists_dir:
        return None
    path = Path(lists_dir).expanduser()
    if not path.is_absolute() and config_path:
        path = Path(config_path).resolve().parent / path
    return path


def load_suite(suite: TempestSuite, config_path: str | None = None) -> SuiteLists:
    """Merge a profile's suite files (if any) with its explicit lists and maps.

    A suite with a ``lists_dir`` must have its include file, unless the profile
    lists includes itself; a missing folder is a config error.
    """
    found: dict[str, list[str]] = {kind: [] for kind in KINDS}
    sources: list[str] = []
    folder = resolve_lists_dir(suite.lists_dir, config_path)
    if folder is not None:
        if not folder.is_dir():
            raise ConfigError(f"Tempest lists folder not found: {folder}", key="tempest.lists_dir")
        for kind in KINDS:
            path = list_path(folder, kind, suite.suite)
            if path.is_file():
                found[kind] = parse_list(path.read_text(encoding="utf-8"))
                sources.append(str(path))
            elif kind == "include" and not suite.include:
                raise ConfigError(
                    f"suite {suite.suite!r} has no include list ({path.name} not in {folder})",
                    key="tempest.suite",
                )
    return SuiteLists(
        include=_merged(found["include"], suite.include),
        exclude=_merged(found["exclude"], suite.exclude),
        isolated=_merged(found["isolated"], suite.isolated),
        skip=dict(suite.skip),
        xfail=dict(suite.xfail),
        sources=tuple(sources),
    )


def _merged(first: list[str], second: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(dict.fromkeys([*first, *(s.strip() for s in second if s.strip())]))
