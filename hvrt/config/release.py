"""The ``release:`` section: installer MSI, DevStack branch or tag, repository overrides.

URLs are checked per field: the installer comes over ``https://`` (``http://`` only
with a ``sha256:`` to verify it) or ``file://``; repositories over ``https``, ``ssh``,
``git`` or ``file`` (or a local path); branches and tags follow git's ref-name rules.
Nothing may start with ``-``, which git or curl would read as an option.
"""
from __future__ import annotations

import re
from pathlib import Path

from hvrt.config.check import Problems, as_map, check_keys, read_str, read_str_list, read_str_map
from hvrt.config.model import Installer, Release, RepoOverride
from hvrt.config.secrets import SecretStore
from hvrt.config.values import INSTALLER_SCHEMES, RULES, git_ref, profile_name, url
from hvrt.config.values import path as path_problem
from hvrt.config.yamlsrc import LMap

RELEASE_KEYS = ("name", "installer", "devstack", "repos", "password")
INSTALLER_KEYS = ("url", "path", "sha256", "features", "properties")
DEVSTACK_KEYS = ("repo", "branch")
REPO_KEYS = ("repo", "branch")
SHA256 = re.compile(r"[0-9a-fA-F]{64}")
PROJECT = re.compile(r"[a-z][a-z0-9_-]*")
MSI_PROPERTY = re.compile(r"[A-Z][A-Z0-9_.]*")


def _rule(m: LMap, key: str, text: str | None, problem: str | None, p: Problems) -> str | None:
    """``text`` when ``problem`` is None; otherwise the problem is recorded at ``key``."""
    if text is None or problem is None:
        return text
    meta = m.meta_of(key)
    p.error(problem, meta.source, meta.path)
    return None


def read_release(m: LMap | None, p: Problems, store: SecretStore, base_dir: Path) -> Release:
    if m is None:
        return Release()
    check_keys(m, RELEASE_KEYS, p)
    default = Release()
    devstack = as_map(m.get("devstack"), m.meta_of("devstack"), p) or LMap(m.meta_of("devstack").path, m.source)
    check_keys(devstack, DEVSTACK_KEYS, p)
    name = read_str(m, "name", p)
    name = _rule(m, "name", name, profile_name(name) if name is not None else None, p)
    repo = read_str(devstack, "repo", p)
    branch = read_str(devstack, "branch", p)
    return Release(
        name=name or default.name,
        installer=_read_installer(m, p, base_dir),
        devstack_repo=_rule(devstack, "repo", repo, RULES["url:repo"](repo) if repo is not None else None, p)
        or default.devstack_repo,
        devstack_branch=_rule(devstack, "branch", branch, git_ref(branch) if branch is not None else None, p)
        or default.devstack_branch,
        repos=_read_repos(m, p),
        password=store.credential(m, "password"),
    )


def _read_installer(m: LMap, p: Problems, base_dir: Path) -> Installer:
    meta = m.meta_of("installer")
    inst = as_map(m.get("installer"), meta, p)
    if inst is None:
        return Installer()
    check_keys(inst, INSTALLER_KEYS, p)
    address = read_str(inst, "url", p)
    path = read_str(inst, "path", p)
    if address and path:
        p.error("give either url or path, not both", inst.meta_of("path").key_source, inst.meta_of("path").path)
    path = _rule(inst, "path", path, path_problem(path) if path is not None else None, p)
    if path is not None:
        path = str((base_dir / Path(path).expanduser()).resolve())
    sha = read_str(inst, "sha256", p)
    if sha is not None and not SHA256.fullmatch(sha):
        sha_meta = inst.meta_of("sha256")
        p.error("expected 64 hexadecimal digits", sha_meta.source, sha_meta.path)
        sha = None
    if address is not None:
        problem = url(address, INSTALLER_SCHEMES)
        if problem is None and address.lower().startswith("http://") and "sha256" not in inst:
            problem = "an http:// installer needs sha256: to be verified; use https:// or add sha256"
        address = _rule(inst, "url", address, problem, p)
    properties = read_str_map(inst, "properties", p, setting=True)
    for name in properties:
        if not MSI_PROPERTY.fullmatch(name):
            meta = inst["properties"].meta_of(name)
            p.error("an MSI public property name is upper case (letters, digits, '_', '.')",
                    meta.key_source, meta.path)
    return Installer(
        url=address, path=path, sha256=sha.lower() if sha else None,
        features=read_str_list(inst, "features", p),
        properties=properties,
    )


def _read_repos(m: LMap, p: Problems) -> dict[str, RepoOverride]:
    repos = as_map(m.get("repos"), m.meta_of("repos"), p)
    if repos is None:
        return {}
    out: dict[str, RepoOverride] = {}
    for project, body in repos.items():
        meta = repos.meta_of(project)
        if not PROJECT.fullmatch(str(project)):
            p.error("a project name is lower case (nova, neutron, networking-hyperv)", meta.key_source, meta.path)
            continue
        entry = as_map(body, meta, p, allow_null=False)
        if entry is None:
            continue
        check_keys(entry, REPO_KEYS, p)
        repo = read_str(entry, "repo", p)
        repo = _rule(entry, "repo", repo, RULES["url:repo"](repo) if repo is not None else None, p)
        branch = read_str(entry, "branch", p)
        branch = _rule(entry, "branch", branch, git_ref(branch) if branch is not None else None, p)
        if entry.get("repo") is None and entry.get("branch") is None:
            p.error("give repo, branch or both", meta.source, meta.path)
        out[project] = RepoOverride(project=project, repo=repo, branch=branch)
    return out
