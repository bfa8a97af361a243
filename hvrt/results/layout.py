"""Where everything lives in a results tree, and the rules that keep it contained.

One run is ``<results>/<release>/<run-id>/``; each scenario has a folder of its own
below it. Every path element that comes from outside the tree — a release, a
scenario or host name, a file name a remote host reported — goes through
:func:`safe_name` or :func:`confined`, so nothing can point above the run folder.
"""
from __future__ import annotations

import re
from pathlib import Path, PurePosixPath

RUN_JSON = "run.json"
"""What was asked: run id, release, config path, scenario names (written at start)."""
JOURNAL = "journal.jsonl"
SUMMARY_JSON = "summary.json"
RESULTS_JSON = "results.json"
HVRT_LOG = "hvrt.log"
INDEX_HTML = "index.html"
RESULTS_HTML = "results.html"
JUNIT_XML = "junit.xml"
TEMPEST_SUBUNIT = "tempest.subunit"
DETAILS_DIR = "details"
"""Per-scenario folder holding the full text of failed tests' output (reports cap it)."""

FILE_MODE = 0o644
DIR_MODE = 0o755
"""Published files and folders: readable by a web server's user, writable by hvrt only."""

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
MAX_NAME = 120


def safe_name(name: str, default: str = "_") -> str:
    """``name`` as one path element safe on every filesystem and static web server.

    Runs of other characters become ``_``; leading and trailing dots and
    underscores go (so ``..`` and hidden names cannot appear); the result is at most
    :data:`MAX_NAME` characters, and ``default`` when nothing is left.
    """
    cleaned = _UNSAFE.sub("_", name).strip("._")[:MAX_NAME].rstrip("._")
    return cleaned or default


def is_safe_name(name: str) -> bool:
    """Whether ``name`` is already a safe path element (``safe_name(name) == name``)."""
    return bool(name) and safe_name(name, default="") == name


def confined(base: Path, relpath: str) -> Path:
    """``base / relpath`` when ``relpath`` is a plain relative path that stays inside.

    Refuses absolute paths, ``..`` and ``.`` segments, empty segments, backslashes and
    NUL: a remote host or a plugin cannot write above ``base`` by naming a file.
    Raises :class:`ValueError` naming the offending path.
    """
    if not relpath or "\x00" in relpath or "\\" in relpath:
        raise ValueError(f"refusing path {relpath!r}: empty, NUL or backslash")
    pure = PurePosixPath(relpath)
    if pure.is_absolute() or any(part in ("", ".", "..") for part in relpath.split("/")):
        raise ValueError(f"refusing path {relpath!r}: it must stay inside {base}")
    return base.joinpath(*pure.parts)


def link_inside(tree: Path, page_dir: Path, target: str) -> bool:
    """Whether a relative link ``target`` on a page in ``page_dir`` resolves inside ``tree``.

    Symlinks are resolved, so a link to a symlink pointing out of the tree is refused.
    """
    if not target or "\x00" in target or PurePosixPath(target).is_absolute() or "://" in target:
        return False
    root = tree.resolve()
    resolved = (page_dir / target).resolve()
    return resolved == root or root in resolved.parents


class RunLayout:
    """The paths of one run folder."""

    def __init__(self, run_dir: Path) -> None:
        self.run_dir = Path(run_dir)

    @staticmethod
    def new_run_dir(results: Path, release: str, run_id: str) -> Path:
        """``<results>/<release>/<run-id>`` with both elements made safe."""
        return Path(results) / safe_name(release, "release") / safe_name(run_id, "run")

    def scenario_dir(self, scenario: str) -> Path:
        return self.run_dir / scenario_dirname(scenario)

    def __truediv__(self, name: str) -> Path:
        return self.run_dir / name


def scenario_dirname(name: str) -> str:
    """The folder name of a scenario inside its run folder."""
    return safe_name(name, "scenario")
