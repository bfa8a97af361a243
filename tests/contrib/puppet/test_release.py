"""The module installs with Puppet's usual tooling, not only as Python package data.

* ``python3 -m hvrt_puppet build-module`` writes a release tarball that
  ``puppet module install`` installs (no Forge: ``--ignore-dependencies``, and the
  module repository points at a closed loopback port);
* a branch made by ``git subtree split`` of the module's folder -- what a
  Puppetfile's ``git:`` entry (r10k, g10k) checks out -- cloned with real git into a
  module path folder, and applied from there with ``puppet apply --modulepath``.
"""
from __future__ import annotations

import configparser
import os
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest
from hvrt_puppet.release import build_tarball, module_dir, release_files

pytestmark = [pytest.mark.puppet]

#: Puppet's state of one command in ``folder`` (never the machine's own).
def puppet_dirs(folder: Path) -> list[str]:
    return [arg for name in ("confdir", "vardir", "codedir", "logdir", "rundir")
            for arg in (f"--{name}", str(folder / name))]


def basemodulepath() -> str:
    """Where puppetlabs-inifile lives here (Debian's puppet-module-puppetlabs-inifile)."""
    return "/usr/share/puppet/modules"


def git(*argv: str, cwd: Path) -> str:
    env = {**os.environ, "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"}
    proc = subprocess.run(["git", "-c", "user.name=hvrt", "-c", "user.email=hvrt@example.com",
                           "-c", "init.defaultBranch=main", *argv], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc.stdout


def test_the_release_tarball_holds_the_module_under_its_release_name(tmp_path: Path) -> None:
    tarball = build_tarball(tmp_path)
    assert tarball.name == "hvrt-hvrt-0.1.0.tar.gz"
    with tarfile.open(tarball) as tar:
        names = {m.name for m in tar.getmembers() if m.isfile()}
    expected = {f"hvrt-hvrt-0.1.0/{p.relative_to(module_dir()).as_posix()}" for p in release_files(module_dir())}
    assert expected == names
    for wanted in ("metadata.json", "hiera.yaml", "data/common.yaml", "REFERENCE.md", "CHANGELOG.md",
                   "manifests/init.pp", "files/live_migration.ps1", "lib/puppet/provider/ini_setting/hvrt_oslo.rb"):
        assert f"hvrt-hvrt-0.1.0/{wanted}" in names
    assert not [n for n in names if n.endswith(".py")]


def test_the_command_line_builds_the_tarball_and_prints_the_module_path(tmp_path: Path) -> None:
    built = subprocess.run([sys.executable, "-m", "hvrt_puppet", "build-module", str(tmp_path)],
                           capture_output=True, text=True, timeout=60, check=True)
    assert Path(built.stdout.strip()) == tmp_path / "hvrt-hvrt-0.1.0.tar.gz"
    printed = subprocess.run([sys.executable, "-m", "hvrt_puppet", "module-path"], capture_output=True, text=True,
                             timeout=60, check=True)
    assert (Path(printed.stdout.strip()) / "hvrt" / "metadata.json").is_file()
    usage = subprocess.run([sys.executable, "-m", "hvrt_puppet", "publish"], capture_output=True, text=True,
                           timeout=60)
    assert usage.returncode == 2 and "usage" in usage.stderr


@pytest.mark.skipif(shutil.which("puppet") is None, reason="needs puppet")
def test_puppet_module_install_takes_the_tarball(tmp_path: Path) -> None:
    tarball = build_tarball(tmp_path / "dist")
    target = tmp_path / "modules"
    proc = subprocess.run(
        ["puppet", "module", "install", "--color=false", *puppet_dirs(tmp_path / "state"),
         "--module_repository", "http://127.0.0.1:9", "--ignore-dependencies",
         "--target-dir", str(target), "--modulepath", f"{target}:{basemodulepath()}", str(tarball.resolve())],
        capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "hvrt-hvrt (v0.1.0)" in proc.stdout
    assert (target / "hvrt" / "manifests" / "init.pp").is_file()
    assert (target / "hvrt" / "data" / "common.yaml").is_file()


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("puppet") is None or shutil.which("git") is None, reason="needs puppet and git")
def test_a_git_checkout_of_the_split_module_applies_from_a_module_path(tmp_path: Path) -> None:
    # a repository laid out like hvrt's, the module in its folder
    repo = tmp_path / "hvrt.git-work"
    folder = repo / "contrib" / "puppet" / "modules" / "hvrt"
    for path in release_files(module_dir()):
        dest = folder / path.relative_to(module_dir())
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, dest)
    (repo / "README.md").write_text("hvrt\n")
    git("init", "-q", str(repo), cwd=tmp_path)
    git("add", ".", cwd=repo)
    git("commit", "-q", "-m", "hvrt with its Puppet module", cwd=repo)
    git("subtree", "split", "-q", "--prefix", "contrib/puppet/modules/hvrt", "-b", "puppet-module", cwd=repo)

    # what a Puppetfile `git:` entry with `branch: puppet-module` does
    modules = tmp_path / "environment" / "modules"
    modules.mkdir(parents=True)
    git("clone", "-q", "--depth", "1", "--branch", "puppet-module", f"file://{repo}", str(modules / "hvrt"),
        cwd=tmp_path)
    assert (modules / "hvrt" / "metadata.json").is_file() and not (modules / "hvrt" / "contrib").exists()

    # applied from there; secret_pattern comes from the module's Hiera data only
    etc = tmp_path / "etc"
    etc.mkdir()
    code = (f"class {{ 'hvrt::settings': config_dir => '{etc}', ini => {{ 'nova.conf' => {{ "
            "'DEFAULT' => { 'debug' => true }, 'database' => { 'connection_password' => 'Clone-Secret-31' } } } }\n")
    argv = ["puppet", "apply", "--detailed-exitcodes", "--color=false", *puppet_dirs(tmp_path / "state"),
            "--modulepath", f"{modules}:{basemodulepath()}", "-e", code]
    if os.geteuid() == 0 and shutil.which("unshare"):  # quiets Facter's /proc/1 errors in containers
        argv = ["unshare", "-fp", "--mount-proc", *argv]
    proc = subprocess.run(argv, capture_output=True, text=True, timeout=180)
    output = proc.stdout + proc.stderr
    assert proc.returncode == 2, output
    nova = configparser.RawConfigParser()
    nova.read(etc / "nova.conf")
    assert nova["DEFAULT"]["debug"] == "true" and nova["database"]["connection_password"] == "Clone-Secret-31"
    assert "Clone-Secret-31" not in output
