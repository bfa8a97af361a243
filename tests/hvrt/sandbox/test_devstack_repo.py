"""The git repository of the DevStack stand-in, and its stack.sh run locally."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from hvrt.sandbox import devstack_repo
from hvrt.sandbox.devstack_repo import add_commit, build_devstack_repo, ensure_devstack_repo, sandbox_env


def git(*args: str) -> str:
    return subprocess.run(["git", "-c", "safe.directory=*", *args], capture_output=True, text=True,
                          check=True).stdout.strip()


@pytest.fixture(scope="module")
def origin(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_devstack_repo(tmp_path_factory.mktemp("ds") / "devstack")


def test_branches_and_eol_tags(origin: Path) -> None:
    refs = git("-C", str(origin), "for-each-ref", "--format=%(refname)").split()
    assert "refs/heads/master" in refs and "refs/heads/stable/2023.1" in refs
    assert "refs/tags/newton-eol" in refs
    assert "refs/heads/stable/newton" not in refs
    assert git("-C", str(origin), "show", "newton-eol:hvrt-release") == "newton-eol"
    assert git("-C", str(origin), "show", "stable/2024.1:hvrt-release") == "stable/2024.1"
    for name in ("stack.sh", "nova-manage"):
        assert git("-C", str(origin), "ls-tree", "master", name).split()[0] == "100755", name


def test_add_commit_moves_a_branch(origin: Path) -> None:
    before = git("-C", str(origin), "rev-parse", "stable/2023.1")
    after = add_commit(origin, "stable/2023.1", "fix")
    assert after != before and git("-C", str(origin), "rev-parse", "stable/2023.1") == after
    assert git("-C", str(origin), "rev-parse", "--abbrev-ref", "HEAD") == "master"


def test_stack_sh_clones_and_runs_enabled_plugins(origin: Path, tmp_path: Path) -> None:
    plugin = tmp_path / "plugin"
    (plugin / "devstack").mkdir(parents=True)
    (plugin / "devstack" / "plugin.sh").write_text(
        'if [[ "$1 $2" == "stack install" ]]; then pip_install "pkg-a==1.0" pkg-b; fi\n')
    git("-C", str(plugin), "init", "-q", "-b", "main")
    git("-C", str(plugin), "add", "-A")
    git("-C", str(plugin), "-c", "user.name=t", "-c", "user.email=t@example.invalid", "commit", "-q", "-m", "p")
    clone = tmp_path / "clone"
    git("clone", "-q", str(origin), str(clone))
    dest = tmp_path / "stack"
    done = run_stack(clone, dest, f"enable_plugin my-plugin file://{plugin} main")
    assert done.returncode == 0, done.stdout + done.stderr
    assert (dest / "my-plugin" / "devstack" / "plugin.sh").exists()
    assert (dest / "data" / "pip-installed").read_text().split() == ["pkg-a==1.0", "pkg-b"]
    missing = run_stack(clone, dest, f"enable_plugin gone file://{tmp_path}/nowhere main")
    assert missing.returncode == 1 and "could not clone plugin gone" in missing.stdout
    subprocess.run(["./unstack.sh"], cwd=clone, check=True, capture_output=True, timeout=60)


def test_sandbox_env_is_shell_safe() -> None:
    text = sandbox_env(python="/opt/py thon/bin/python3", hvrt_src="/src/it's", tempest="/t/tempest")
    out = subprocess.run(["bash", "-c", text + 'printf "%s|%s" "$HVRT_PYTHON" "$HVRT_SRC"'],
                         capture_output=True, text=True, check=True).stdout
    assert out == "/opt/py thon/bin/python3|/src/it's"


def run_stack(clone: Path, dest: Path, extra: str = "") -> subprocess.CompletedProcess[str]:
    (clone / "local.conf").write_text(
        "[[local|localrc]]\n"
        f"DEST={dest}\nHOST_IP=127.0.0.1\nADMIN_PASSWORD=pw-secret-1\nHVRT_SANDBOX_STEP_DELAY=0\n"
        "NOVA_REPO=file:///vendor/nova\nNOVA_BRANCH='branch with space'\nenable_service n-api\n"
        f"{extra}\n[[post-config|$NOVA_CONF]]\n[DEFAULT]\nIGNORED_VAR=1\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith("HVRT_")}
    return subprocess.run(["./stack.sh"], cwd=clone, capture_output=True, text=True, timeout=60, env=env)


def test_stack_sh_honours_local_conf_and_fails_on_request(origin: Path, tmp_path: Path) -> None:
    clone = tmp_path / "clone"
    git("clone", "-q", str(origin), str(clone))
    dest = tmp_path / "stack"
    done = run_stack(clone, dest)
    assert done.returncode == 0, done.stdout + done.stderr
    assert json.loads((dest / "data" / "repos.json").read_text()) == {
        "NOVA_BRANCH": "branch with space", "NOVA_REPO": "file:///vendor/nova"}
    info = json.loads((dest / ".hvrt-deploy.json").read_text())
    assert info["compute_url"].startswith("http://127.0.0.1:") and info["auth_url"] is None
    assert "stack.sh completed" in (dest / "logs" / "stack.sh.log").read_text()
    assert "IGNORED_VAR" not in (clone / ".localrc.auto").read_text()
    # the stand-in nova-manage is installed and records each call
    assert info["nova_manage"] == [f"{dest}/bin/nova-manage"]
    mapped = subprocess.run([*info["nova_manage"], "cell_v2", "discover_hosts"], capture_output=True, text=True,
                            timeout=30)
    assert mapped.returncode == 0 and "Found 2 cell mappings." in mapped.stdout
    refused = subprocess.run([*info["nova_manage"], "db", "sync"], capture_output=True, text=True, timeout=30)
    assert refused.returncode == 2
    assert [json.loads(line) for line in (dest / "data" / "nova-manage.calls").read_text().splitlines()] == [
        ["cell_v2", "discover_hosts"], ["db", "sync"]]
    subprocess.run(["./unstack.sh"], cwd=clone, check=True, capture_output=True, timeout=60)
    assert not (dest / ".hvrt-deploy.json").exists()
    failed = run_stack(clone, dest, "HVRT_SANDBOX_FAIL_AT=install")
    assert failed.returncode == 1
    log = (dest / "logs" / "stack.sh.log").read_text()
    assert "ERROR: step install failed" in log and "step config" not in log


def _updated_data(tmp_path: Path) -> Path:
    """A copy of the stand-in's data folder whose stack.sh differs from the package's."""
    data = tmp_path / "data"
    shutil.copytree(devstack_repo.DATA, data)
    stack = data / "stack.sh"
    stack.write_text(stack.read_text() + "\n# hvrt-updated-stack\n")
    return data


def test_ensure_updates_the_repository_in_place_when_the_data_changes(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    origin = tmp_path / "devstack.git"
    assert ensure_devstack_repo(origin, env_text="") == "built"
    assert ensure_devstack_repo(origin, env_text="") == "current"
    own = add_commit(origin, "stable/2023.1", "a commit of its own")
    clone = tmp_path / "clone"
    git("clone", "-q", str(origin), str(clone))
    before = {ref: git("-C", str(origin), "rev-parse", ref) for ref in ("master", "stable/2024.1", "newton-eol")}

    monkeypatch.setattr(devstack_repo, "DATA", _updated_data(tmp_path))
    assert ensure_devstack_repo(origin, env_text="") == "updated"
    assert ensure_devstack_repo(origin, env_text="") == "current"

    # the existing clone gets the new scripts the way the deployer updates it
    git("-C", str(clone), "fetch", "-q", "--prune", "--force", "--tags", "origin",
        "+refs/heads/*:refs/remotes/origin/*")
    for ref, remote in (("master", "origin/master"), ("stable/2023.1", "origin/stable/2023.1"),
                        ("stable/2024.1", "origin/stable/2024.1"), ("newton-eol", "newton-eol"),
                        ("ocata-eol", "ocata-eol")):
        assert "# hvrt-updated-stack" in git("-C", str(clone), "show", f"{remote}:stack.sh"), ref
        assert git("-C", str(clone), "show", f"{remote}:hvrt-release") == ref
        assert git("-C", str(clone), "ls-tree", remote, "stack.sh").split()[0] == "100755"
    for ref, old in before.items():  # new commits on top, history kept
        assert git("-C", str(origin), "rev-parse", ref) != old
        git("-C", str(origin), "merge-base", "--is-ancestor", old, ref)
    git("-C", str(origin), "merge-base", "--is-ancestor", own, "stable/2023.1")
    assert git("-C", str(origin), "show", "stable/2023.1:hvrt-updates") == "a commit of its own"
    assert git("-C", str(origin), "rev-parse", "--abbrev-ref", "HEAD") == "master"
    assert "refs/heads/stable/newton" not in git("-C", str(origin), "for-each-ref", "--format=%(refname)")


def test_ensure_records_a_missing_fingerprint_without_a_new_commit(tmp_path: Path) -> None:
    origin = build_devstack_repo(tmp_path / "devstack.git", env_text="")
    git("-C", str(origin), "config", "--unset", "hvrt.fingerprint")  # as built before fingerprints
    heads = git("-C", str(origin), "for-each-ref", "--format=%(objectname) %(refname)")
    assert ensure_devstack_repo(origin, env_text="") == "updated"
    assert git("-C", str(origin), "for-each-ref", "--format=%(objectname) %(refname)") == heads
    assert ensure_devstack_repo(origin, env_text="") == "current"
    assert ensure_devstack_repo(origin, env_text="# moved\n") == "updated"
    assert git("-C", str(origin), "show", "master:hvrt-sandbox.env") == "# moved"


def test_fingerprint_follows_names_and_bytes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    first = devstack_repo.data_fingerprint("")
    data = tmp_path / "data"
    shutil.copytree(devstack_repo.DATA, data)
    monkeypatch.setattr(devstack_repo, "DATA", data)
    assert devstack_repo.data_fingerprint("") == first
    (data / "functions").rename(data / "functions2")
    assert devstack_repo.data_fingerprint("") != first
    (data / "functions2").rename(data / "functions")
    assert devstack_repo.data_fingerprint("") == first
    assert devstack_repo.data_fingerprint("x") != first
