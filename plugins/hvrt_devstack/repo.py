"""Get DevStack onto the controller at the release's branch or tag, with a clean tree.

Called by the deployer before ``local.conf`` is written. The ref is resolved
against the remote first (``git ls-remote``): a branch, else a tag, else, for an
end-of-life ``stable/<series>`` branch that was deleted upstream, its
``<series>-eol`` tag. An existing clone is reused (fetch, hard reset, ``clean``),
so files a previous run left behind never leak into this one.

The URL and the folder come from config: every git call puts ``--`` before them, so
a value such as ``--upload-pack=...`` is a (bad) repository name, never an option.
"""
from __future__ import annotations

import posixpath
from dataclasses import dataclass

from hvrt.errors import InfrastructureError
from hvrt.transport.base import CommandResult, Transport

GIT_ENV = {"GIT_TERMINAL_PROMPT": "0", "GIT_ASKPASS": "/bin/true", "LC_ALL": "C"}


@dataclass(frozen=True)
class Checkout:
    """What was checked out: the ref asked for, what it resolved to, and the commit."""

    requested: str
    ref: str
    is_tag: bool
    commit: str = ""

    @property
    def name(self) -> str:
        """The branch or tag name (for DevStack's ``*_BRANCH`` variables)."""
        return self.ref.removeprefix("refs/heads/").removeprefix("refs/tags/")


def eol_tag(branch: str) -> str | None:
    """``stable/newton`` -> ``newton-eol`` (``None`` for other refs)."""
    if branch.startswith("stable/"):
        return branch.removeprefix("stable/") + "-eol"
    return None


def _git(transport: Transport, args: list[str], timeout: float, what: str) -> CommandResult:
    result = transport.run(["git", *args], timeout=timeout, env=GIT_ENV)
    if not result.ok:
        raise InfrastructureError(f"{what} failed (git exited {result.exit_code})",
                                  host=transport.host_name, step="deploy", detail=result.tail())
    return result


def resolve_ref(transport: Transport, url: str, wanted: str, timeout: float) -> Checkout:
    """Find ``wanted`` on the remote: branch, tag, or the ``-eol`` tag of a gone branch."""
    candidates = [wanted] + ([eol_tag(wanted)] if eol_tag(wanted) else [])
    result = _git(transport, ["ls-remote", "--heads", "--tags", "--", url, *candidates], timeout,
                  f"listing refs of {url}")
    refs = {line.split("\t", 1)[1] for line in result.stdout.splitlines() if "\t" in line}
    if f"refs/heads/{wanted}" in refs:
        return Checkout(wanted, f"refs/heads/{wanted}", False)
    for name in candidates:
        if f"refs/tags/{name}" in refs:
            return Checkout(wanted, f"refs/tags/{name}", True)
    raise InfrastructureError(
        f"DevStack ref {wanted!r} is neither a branch nor a tag of {url}"
        + (f" (nor is {eol_tag(wanted)!r})" if eol_tag(wanted) else ""),
        host=transport.host_name, step="deploy",
    )


def checkout_devstack(transport: Transport, url: str, wanted: str, folder: str, *,
                      timeout: float = 600.0) -> Checkout:
    """Clone or update DevStack in ``folder`` at ``wanted``; the tree is left clean."""
    target = resolve_ref(transport, url, wanted, timeout)
    probe = transport.run(["git", "-C", folder, "rev-parse", "--git-dir"], timeout=timeout, env=GIT_ENV)
    if probe.ok:
        _git(transport, ["-C", folder, "remote", "set-url", "--", "origin", url], timeout, "setting the remote")
        _git(transport, ["-C", folder, "fetch", "--prune", "--prune-tags", "--force", "--tags", "origin",
                         "+refs/heads/*:refs/remotes/origin/*"], timeout, "fetching DevStack")
    else:
        parent = posixpath.dirname(folder.rstrip("/")) or "/"
        transport.run(["mkdir", "-p", "--", parent], timeout=timeout, check=True)
        transport.run(["rm", "-rf", "--", folder], timeout=timeout, check=True)
        _git(transport, ["clone", "--quiet", "--", url, folder], timeout, "cloning DevStack")
        _git(transport, ["-C", folder, "fetch", "--quiet", "--tags", "origin"], timeout, "fetching tags")
    _git(transport, ["-C", folder, "reset", "--hard", "--quiet"], timeout, "resetting the tree")
    if target.is_tag:
        _git(transport, ["-C", folder, "checkout", "--quiet", "--force", "--detach", target.ref], timeout,
             f"checking out {target.name}")
    else:
        _git(transport, ["-C", folder, "checkout", "--quiet", "--force", "-B", target.name,
                         f"refs/remotes/origin/{target.name}"], timeout, f"checking out {target.name}")
    _git(transport, ["-C", folder, "clean", "-ffdxq"], timeout, "cleaning the tree")
    commit = _git(transport, ["-C", folder, "rev-parse", "HEAD"], timeout, "reading the commit").stdout.strip()
    return Checkout(target.requested, target.ref, target.is_tag, commit)
