"""Build the git repository of the sandbox's DevStack stand-in.

The DevStack deployer clones DevStack on the controller at a branch or tag; in the
sandbox and in tests it clones this repository instead. It is a real git
repository with the shape of DevStack's: ``master``, ``stable/<release>`` branches
and ``<series>-eol`` tags whose ``stable/<series>`` branch no longer exists. Every
ref carries the stand-in's ``stack.sh``, ``unstack.sh``, ``functions`` and ``nova-manage`` (from
``hvrt/sandbox/data/devstack/``, see ``stack.sh`` for what it does and does not
do), an ``hvrt-release`` file naming the ref so a test can tell which one was
checked out, and ``hvrt-sandbox.env`` telling the scripts where hvrt's sources,
Python and the sandbox Tempest live.

    python -m hvrt.sandbox.devstack_repo build DIR
"""
from __future__ import annotations

import argparse
import hashlib
import os
import shlex
import shutil
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

from hvrt.errors import InfrastructureError

DATA = Path(__file__).parent / "data" / "devstack"
DEFAULT_BRANCHES = ("master", "stable/2023.1", "stable/2024.1")
DEFAULT_EOL_TAGS = ("newton-eol", "ocata-eol")
_LAYOUT = 1
"""Raised when :func:`_write_tree` writes something new, so existing repositories follow."""
_FINGERPRINT_KEY = "hvrt.fingerprint"
_GIT_ENV = {
    "GIT_AUTHOR_NAME": "hvrt sandbox", "GIT_AUTHOR_EMAIL": "sandbox@hvrt.invalid",
    "GIT_COMMITTER_NAME": "hvrt sandbox", "GIT_COMMITTER_EMAIL": "sandbox@hvrt.invalid",
    "GIT_CONFIG_NOSYSTEM": "1", "GIT_TERMINAL_PROMPT": "0",
}


def _git(repo: Path, *args: str) -> str:
    env = {**os.environ, **_GIT_ENV, "HOME": str(repo)}
    try:
        proc = subprocess.run(["git", "-c", "safe.directory=*", "-C", str(repo), *args], capture_output=True, text=True,
                              timeout=60, env=env)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise InfrastructureError(f"git {args[0]} failed: {exc}", step="sandbox") from None
    if proc.returncode != 0:
        raise InfrastructureError(f"git {' '.join(args)} exited {proc.returncode}", step="sandbox",
                                  detail=proc.stderr[-2000:])
    return proc.stdout.strip()


def sandbox_env(python: str | None = None, hvrt_src: str | None = None, tempest: str | None = None) -> str:
    """The ``hvrt-sandbox.env`` text: where the stand-in finds hvrt and the sandbox Tempest."""
    if tempest is None:
        from hvrt.sandbox import venvs

        tempest = str(venvs.venv_bin("tempest", "tempest"))
    values = {
        "HVRT_PYTHON": python or sys.executable,
        "HVRT_SRC": hvrt_src or str(Path(__file__).resolve().parents[2]),
        "HVRT_TEMPEST": tempest,
    }
    lines = ["# Where the DevStack stand-in finds hvrt (written when the repository was built)."]
    lines += [f": ${{{k}:={shlex.quote(v)}}}" for k, v in values.items()]
    return "\n".join(lines) + "\n"


def _data_files() -> list[Path]:
    return sorted(p for p in DATA.iterdir() if p.is_file() and not p.name.startswith("."))


def data_fingerprint(env_text: str) -> str:
    """A hash of what every ref's files are made of: the names and bytes of the files in
    ``hvrt/sandbox/data/devstack/``, the ``hvrt-sandbox.env`` text and the layout version."""
    digest = hashlib.sha256(f"layout {_LAYOUT}\n".encode())
    for path in _data_files():
        data = path.read_bytes()
        digest.update(f"{path.name}\0{len(data)}\0".encode() + data)
    digest.update(b"env\0" + env_text.encode())
    return digest.hexdigest()


def _write_tree(work: Path, ref_name: str, env_text: str) -> None:
    for source in _data_files():
        shutil.copy2(source, work / source.name)
        (work / source.name).chmod(0o644 if source.name == "functions" else 0o755)
    (work / "hvrt-sandbox.env").write_text(env_text)
    (work / "hvrt-release").write_text(ref_name + "\n")
    (work / ".gitignore").write_text("local.conf\nlocal.sh\n.localrc.auto\n")
    (work / "README.md").write_text(
        "# DevStack stand-in of the hvrt sandbox\n\nNot DevStack: see stack.sh for what it simulates.\n")


def build_devstack_repo(
    target: Path | str,
    *,
    branches: Sequence[str] = DEFAULT_BRANCHES,
    eol_tags: Sequence[str] = DEFAULT_EOL_TAGS,
    env_text: str | None = None,
    owner: tuple[int, int] | None = None,
) -> Path:
    """Create (or recreate) the stand-in repository at ``target``; returns its path.

    ``owner`` (uid, gid) hands the repository to the user that will clone it, since
    git refuses to serve a repository owned by someone else.
    """
    target = Path(target).absolute()
    if target.exists():
        shutil.rmtree(target)
    target.mkdir(parents=True)
    env_text = env_text if env_text is not None else sandbox_env()
    _git(target, "init", "-q", "-b", "master")
    _write_tree(target, "master", env_text)
    _git(target, "add", "-A", "--", ".")
    _git(target, "commit", "-q", "-m", "DevStack stand-in")
    for tag in eol_tags:
        series = tag.removesuffix("-eol")
        _git(target, "checkout", "-q", "-b", f"stable/{series}", "master")
        _write_tree(target, tag, env_text)
        _git(target, "commit", "-q", "-am", f"{series} end of life")
        _git(target, "tag", "-a", tag, "-m", f"{series} is end of life")
        _git(target, "checkout", "-q", "master")
        _git(target, "branch", "-q", "-D", f"stable/{series}")
    for branch in branches:
        if branch == "master":
            continue
        _git(target, "checkout", "-q", "-b", branch, "master")
        _write_tree(target, branch, env_text)
        _git(target, "commit", "-q", "-am", f"{branch} release")
        _git(target, "checkout", "-q", "master")
    _git(target, "config", _FINGERPRINT_KEY, data_fingerprint(env_text))
    _hand_over(target, owner)
    return target


def _hand_over(target: Path, owner: tuple[int, int] | None) -> None:
    if owner is None:
        return
    for folder, dirs, files in os.walk(target):
        for name in [folder, *(os.path.join(folder, d) for d in dirs),
                     *(os.path.join(folder, f) for f in files)]:
            os.lchown(name, *owner)


def recorded_fingerprint(repo: Path | str) -> str | None:
    """The :func:`data_fingerprint` the repository was last built or updated from."""
    try:
        return _git(Path(repo), "config", "--local", _FINGERPRINT_KEY) or None
    except InfrastructureError:  # git exits 1 when the key is not set
        return None


def ensure_devstack_repo(
    target: Path | str,
    *,
    branches: Sequence[str] = DEFAULT_BRANCHES,
    eol_tags: Sequence[str] = DEFAULT_EOL_TAGS,
    env_text: str | None = None,
    owner: tuple[int, int] | None = None,
) -> str:
    """Make the repository at ``target`` carry the current stand-in files; returns
    ``"built"``, ``"updated"`` or ``"current"``.

    Run at every ``lab up``. A missing repository is built. One whose recorded
    fingerprint differs from the package data's gets a new commit on every branch and
    a moved ``-eol`` tag, in place, so the controllers' existing clones pick the new
    scripts up with the deployer's ``git fetch`` (history is kept: commits added on
    top, such as :func:`add_commit`'s, stay).
    """
    target = Path(target).absolute()
    env_text = env_text if env_text is not None else sandbox_env()
    if not (target / ".git").exists():
        build_devstack_repo(target, branches=branches, eol_tags=eol_tags, env_text=env_text, owner=owner)
        return "built"
    wanted = data_fingerprint(env_text)
    if recorded_fingerprint(target) == wanted:
        return "current"
    _git(target, "checkout", "-q", "--force", "master")
    _refresh(target, "master", "updated stand-in", env_text)
    for tag in eol_tags:
        series = tag.removesuffix("-eol")
        exists = bool(_git(target, "tag", "--list", tag))
        _git(target, "checkout", "-q", "--force", "--detach", tag if exists else "master")
        if _refresh(target, tag, f"{series} end of life: updated stand-in", env_text) or not exists:
            _git(target, "tag", "-f", "-a", tag, "-m", f"{series} is end of life")
    for branch in branches:
        if branch == "master":
            continue
        if _git(target, "branch", "--list", branch):
            _git(target, "checkout", "-q", "--force", branch)
        else:
            _git(target, "checkout", "-q", "--force", "-b", branch, "master")
        _refresh(target, branch, f"{branch}: updated stand-in", env_text)
    _git(target, "checkout", "-q", "--force", "master")
    _git(target, "config", _FINGERPRINT_KEY, wanted)
    _hand_over(target, owner)
    return "updated"


def _refresh(repo: Path, ref_name: str, message: str, env_text: str) -> bool:
    """Rewrite the checked-out ref's stand-in files; commit if anything changed."""
    _write_tree(repo, ref_name, env_text)
    _git(repo, "add", "-A", "--", ".")
    if not _git(repo, "status", "--porcelain", "--untracked-files=no"):
        return False
    _git(repo, "commit", "-q", "-m", message)
    return True


def add_commit(repo: Path | str, branch: str, message: str = "update") -> str:
    """Add a commit on ``branch`` (to test that the deployer updates a clone); returns its id."""
    repo = Path(repo)
    _git(repo, "checkout", "-q", branch)
    marker = repo / "hvrt-updates"
    marker.write_text((marker.read_text() if marker.exists() else "") + message + "\n")
    _git(repo, "add", "--", "hvrt-updates")
    _git(repo, "commit", "-q", "-m", message)
    commit = _git(repo, "rev-parse", "HEAD")
    _git(repo, "checkout", "-q", "master")
    return commit


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m hvrt.sandbox.devstack_repo")
    sub = parser.add_subparsers(dest="command", required=True)
    build = sub.add_parser("build", help="create the stand-in repository")
    build.add_argument("target")
    args = parser.parse_args(argv)
    print(build_devstack_repo(args.target))
    return 0


if __name__ == "__main__":
    sys.exit(main())
