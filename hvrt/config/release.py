"""The ``release:`` section: installer MSI, DevStack branch or tag, repository overrides.

URLs are checked per field: the installer comes over ``https://`` (``http://`` only
with a ``sha256:`` to verify it) or ``file://``; repositories over ``https``, ``ssh``,
``git`` or ``file`` (or a local path); branches and tags follow git's ref-name rules.
Nothing may start with ``-``, which git or curl would read as an option.

The installer and the DevStack branch have no default: a run that configures nodes
or deploys DevStack needs them, from the file or from ``hvrt run --installer``,
``--sha256`` and ``--devstack-branch`` (:func:`with_overrides`, checked by the same
rules, each problem naming its option). :func:`missing` says what a run still lacks.
"""
from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hvrt.config.check import Problems, as_map, check_keys, read_str, read_str_list, read_str_map
from hvrt.config.model import Config, Installer, Release, RepoOverride, Scenario
from hvrt.config.secrets import SecretStore
from hvrt.config.values import INSTALLER_SCHEMES, RULES, git_ref, profile_name, url
from hvrt.config.values import path as path_problem
from hvrt.config.yamlsrc import LMap
from hvrt.errors import ConfigError, ConfigErrors, UsageError

RELEASE_KEYS = ("name", "installer", "devstack", "repos", "password")
INSTALLER_KEYS = ("url", "path", "sha256", "features", "properties")
DEVSTACK_KEYS = ("repo", "branch")
REPO_KEYS = ("repo", "branch")
SHA256 = re.compile(r"[0-9a-fA-F]{64}")
PROJECT = re.compile(r"[a-z][a-z0-9_-]*")
MSI_PROPERTY = re.compile(r"[A-Z][A-Z0-9_.]*")
BRANCH_UNSET = ""
"""``Release.devstack_branch`` of a config that names no branch (never a silent master)."""
INSTALLING_CONFIGURATORS = frozenset({"winrm", "salt", "puppet"})
"""Configurators that install the compute MSI (a node they configure needs the installer)."""
INSTALLER_MISSING = "not set; pass --installer URL or set release.installer.url"
BRANCH_MISSING = "not set; pass --devstack-branch REF or set release.devstack.branch"


def _rule(m: LMap, key: str, text: str | None, problem: str | None, p: Problems) -> str | None:
    """``text`` when ``problem`` is None; otherwise the problem is recorded at ``key``."""
    if text is None or problem is None:
        return text
    meta = m.meta_of(key)
    p.error(problem, meta.source, meta.path)
    return None


def read_release(m: LMap | None, p: Problems, store: SecretStore, base_dir: Path) -> Release:
    if m is None:
        return Release(devstack_branch=BRANCH_UNSET)
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
        or BRANCH_UNSET,
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


# ------------------------------------------------------------- command-line overrides

@dataclass(frozen=True)
class ReleaseOverrides:
    """``hvrt run|plan --installer URL_OR_PATH [--sha256 HEX] --devstack-branch REF``, as given."""

    installer: str | None = None
    sha256: str | None = None
    devstack_branch: str | None = None

    def __bool__(self) -> bool:
        return any(v is not None for v in (self.installer, self.sha256, self.devstack_branch))

    def to_dict(self) -> dict[str, str | None]:
        """What ``run.json`` records (``release_overrides``) so ``--resume`` applies them again."""
        return {"installer": self.installer, "sha256": self.sha256, "devstack_branch": self.devstack_branch}

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> ReleaseOverrides:
        data = data or {}
        return cls(**{k: (str(data[k]) if data.get(k) is not None else None)
                      for k in ("installer", "sha256", "devstack_branch")})


def _option_error(option: str, value: str, problem: str) -> UsageError:
    return UsageError(f"{option} {value!r}: {problem}", key=option)


def with_overrides(release: Release, overrides: ReleaseOverrides, base_dir: Path | None = None) -> Release:
    """``release`` with the command line's installer and branch; raises :class:`UsageError`
    (exit 2) naming the option for a value the config would refuse at that key.

    ``--installer`` is a URL when it has a scheme (``https://``, ``http://`` with
    ``--sha256``, ``file://``), else a local path (relative to ``base_dir``, default the
    current folder). It replaces the config's url or path and sha256; features and
    properties stay the config's. ``--sha256`` alone checks the config's installer."""
    installer = release.installer
    if overrides.sha256 is not None and not SHA256.fullmatch(overrides.sha256):
        raise _option_error("--sha256", overrides.sha256, "expected 64 hexadecimal digits")
    sha = overrides.sha256.lower() if overrides.sha256 else None
    if overrides.installer is not None:
        given = overrides.installer
        if "://" in given:
            problem = url(given, INSTALLER_SCHEMES)
            if problem is None and given.lower().startswith("http://") and sha is None:
                problem = "an http:// installer needs --sha256 to be verified; use https:// or pass --sha256"
            if problem is not None:
                raise _option_error("--installer", given, problem)
            installer = dataclasses.replace(installer, url=given, path=None, sha256=sha)
        else:
            problem = path_problem(given)
            if problem is not None:
                raise _option_error("--installer", given, problem)
            local = ((base_dir or Path.cwd()) / Path(given).expanduser()).resolve()
            installer = dataclasses.replace(installer, url=None, path=str(local), sha256=sha)
    elif sha is not None:
        if not (installer.url or installer.path):
            raise UsageError("--sha256 checks an installer: pass --installer too (release.installer is not set)",
                             key="--sha256")
        installer = dataclasses.replace(installer, sha256=sha)
    branch = release.devstack_branch
    if overrides.devstack_branch is not None:
        problem = git_ref(overrides.devstack_branch)
        if problem is not None:
            raise _option_error("--devstack-branch", overrides.devstack_branch, problem)
        branch = overrides.devstack_branch
    return dataclasses.replace(release, installer=installer, devstack_branch=branch)


def with_release_overrides(config: Config, overrides: ReleaseOverrides | None,
                           base_dir: Path | None = None) -> Config:
    """``config`` whose release carries ``overrides`` (the same object when there are none)."""
    if not overrides:
        return config
    return dataclasses.replace(config, release=with_overrides(config.release, overrides, base_dir))


def _configures(config: Config, scenario: Scenario) -> bool:
    """True when a node of ``scenario`` may be configured by a plugin that installs the MSI."""
    for name in scenario.candidate_nodes:
        node = config.nodes.get(name)
        configurator = scenario.profile.configurator or (node.configurator if node else None)
        if configurator in INSTALLING_CONFIGURATORS and configurator in config.plugins:
            return True
    return False


def _deploys_devstack(config: Config) -> bool:
    return "devstack" in config.plugins and str(config.plugin_settings("deploy").get("deployer", "devstack")) \
        == "devstack"


def missing(config: Config, scenarios: Iterable[Scenario], stages: Sequence[str] | None = None,
            reused: Iterable[str] = ()) -> list[ConfigError]:
    """What a run of ``scenarios`` through ``stages`` (None: all) needs and the release
    lacks: the installer when a node gets the MSI, the DevStack branch when DevStack
    deploys. ``reused`` names scenarios that test a recorded deployment (nothing installed)."""
    skip = set(reused)
    wanted = [s for s in scenarios if s.name not in skip]
    release = config.release
    problems: list[ConfigError] = []
    if (stages is None or "configure" in stages) and not (release.installer.url or release.installer.path) \
            and any(_configures(config, s) for s in wanted):
        problems.append(ConfigError(INSTALLER_MISSING, file=config.path, key="release.installer"))
    if (stages is None or "deploy" in stages) and not release.devstack_branch and wanted \
            and _deploys_devstack(config):
        problems.append(ConfigError(BRANCH_MISSING, file=config.path, key="release.devstack.branch"))
    return problems


def raise_if_missing(config: Config, scenarios: Iterable[Scenario], stages: Sequence[str] | None = None,
                     reused: Iterable[str] = ()) -> None:
    """:func:`missing` as one :class:`ConfigError` (exit 2), one line per missing value."""
    problems = missing(config, scenarios, stages, reused)
    if len(problems) == 1:
        raise problems[0]
    if problems:
        raise ConfigErrors(problems)
