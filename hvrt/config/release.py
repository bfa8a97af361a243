"""The ``release:`` section: installer MSI, DevStack branch or tag, repository overrides."""
from __future__ import annotations

import re
from pathlib import Path

from hvrt.config.check import Problems, as_map, check_keys, read_str, read_str_list, read_str_map
from hvrt.config.model import Installer, Release, RepoOverride
from hvrt.config.secrets import SecretStore
from hvrt.config.yamlsrc import LMap

RELEASE_KEYS = ("name", "installer", "devstack", "repos", "password")
INSTALLER_KEYS = ("url", "path", "sha256", "features", "properties")
DEVSTACK_KEYS = ("repo", "branch")
REPO_KEYS = ("repo", "branch")
SHA256 = re.compile(r"[0-9a-fA-F]{64}")
PROJECT = re.compile(r"[a-z][a-z0-9_-]*")


def read_release(m: LMap | None, p: Problems, store: SecretStore, base_dir: Path) -> Release:
    if m is None:
        return Release()
    check_keys(m, RELEASE_KEYS, p)
    default = Release()
    devstack = as_map(m.get("devstack"), m.meta_of("devstack"), p) or LMap(m.meta_of("devstack").path, m.source)
    check_keys(devstack, DEVSTACK_KEYS, p)
    return Release(
        name=read_str(m, "name", p, default.name) or default.name,
        installer=_read_installer(m, p, base_dir),
        devstack_repo=read_str(devstack, "repo", p, default.devstack_repo) or default.devstack_repo,
        devstack_branch=read_str(devstack, "branch", p, default.devstack_branch) or default.devstack_branch,
        repos=_read_repos(m, p),
        password=store.credential(m, "password"),
    )


def _read_installer(m: LMap, p: Problems, base_dir: Path) -> Installer:
    meta = m.meta_of("installer")
    inst = as_map(m.get("installer"), meta, p)
    if inst is None:
        return Installer()
    check_keys(inst, INSTALLER_KEYS, p)
    url = read_str(inst, "url", p)
    path = read_str(inst, "path", p)
    if url and path:
        p.error("give either url or path, not both", inst.meta_of("path").key_source, inst.meta_of("path").path)
    if path is not None:
        path = str((base_dir / Path(path).expanduser()).resolve())
    sha = read_str(inst, "sha256", p)
    if sha is not None and not SHA256.fullmatch(sha):
        sha_meta = inst.meta_of("sha256")
        p.error("expected 64 hexadecimal digits", sha_meta.source, sha_meta.path)
        sha = None
    return Installer(
        url=url, path=path, sha256=sha.lower() if sha else None,
        features=read_str_list(inst, "features", p),
        properties=read_str_map(inst, "properties", p, setting=True),
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
        branch = read_str(entry, "branch", p)
        if repo is None and branch is None:
            p.error("give repo, branch or both", meta.source, meta.path)
        out[project] = RepoOverride(project=project, repo=repo, branch=branch)
    return out
