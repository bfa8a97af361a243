"""DevStack checkout on the controller over real SSH, from the git stand-in repository."""
from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from hvrt_devstack.repo import checkout_devstack, eol_tag, resolve_ref

from hvrt.errors import InfrastructureError
from hvrt.sandbox.devstack_repo import add_commit, build_devstack_repo
from hvrt.transport.local import LocalTransport
from hvrt.transport.ssh import SSHTransport

pytestmark = pytest.mark.sshd


@pytest.fixture
def ssh(controller_sshd):
    transport = SSHTransport("ctl01", controller_sshd.address, port=controller_sshd.port,
                             user=controller_sshd.user, key_file=str(controller_sshd.client_key),
                             known_hosts=controller_sshd.known_hosts, allow_agent=False)
    yield transport
    transport.close()


@pytest.fixture
def folder(controller_sshd) -> str:
    return f"{controller_sshd.user_dir}/clone-{uuid.uuid4().hex[:8]}/devstack"


def release_of(ssh: SSHTransport, folder: str) -> str:
    return ssh.run(["cat", f"{folder}/hvrt-release"], check=True).stdout.strip()


def test_eol_tag_names() -> None:
    assert eol_tag("stable/newton") == "newton-eol"
    assert eol_tag("master") is None


@pytest.mark.parametrize(("wanted", "ref", "is_tag", "release"), [
    ("master", "refs/heads/master", False, "master"),
    ("stable/2023.1", "refs/heads/stable/2023.1", False, "stable/2023.1"),
    ("newton-eol", "refs/tags/newton-eol", True, "newton-eol"),
    ("stable/newton", "refs/tags/newton-eol", True, "newton-eol"),
    ("stable/ocata", "refs/tags/ocata-eol", True, "ocata-eol"),
])
def test_checkout_of_branches_tags_and_eol_branches(ssh, devstack_origin, folder, wanted, ref, is_tag,
                                                    release) -> None:
    checkout = checkout_devstack(ssh, str(devstack_origin), wanted, folder, timeout=60)
    assert (checkout.ref, checkout.is_tag) == (ref, is_tag)
    assert release_of(ssh, folder) == release
    assert len(checkout.commit) == 40
    assert ssh.run(["git", "-C", folder, "status", "--porcelain"]).stdout == ""


def test_existing_clone_is_updated_and_cleaned(ssh, devstack_origin, folder, controller_sshd, lab) -> None:
    first = checkout_devstack(ssh, str(devstack_origin), "stable/2023.1", folder, timeout=60)
    ssh.run(["sh", "-c", 'echo junk > "$1/stray-file"; echo changed >> "$1/stack.sh"', "sh", folder], check=True)
    new_commit = add_commit(devstack_origin, "stable/2023.1", "backported fix")
    lab.chown(devstack_origin)
    second = checkout_devstack(ssh, str(devstack_origin), "stable/2023.1", folder, timeout=60)
    assert second.commit == new_commit != first.commit
    assert ssh.run(["test", "-e", f"{folder}/stray-file"]).exit_code == 1
    assert "changed" not in ssh.run(["cat", f"{folder}/stack.sh"]).stdout
    third = checkout_devstack(ssh, str(devstack_origin), "stable/newton", folder, timeout=60)
    assert third.is_tag and release_of(ssh, folder) == "newton-eol"
    back = checkout_devstack(ssh, str(devstack_origin), "master", folder, timeout=60)
    assert release_of(ssh, folder) == "master" and not back.is_tag


def test_unknown_ref_is_an_infrastructure_error(ssh, devstack_origin) -> None:
    with pytest.raises(InfrastructureError, match="neither a branch nor a tag.*kilo-eol"):
        resolve_ref(ssh, str(devstack_origin), "stable/kilo", timeout=60)
    with pytest.raises(InfrastructureError, match="listing refs"):
        resolve_ref(ssh, "/nonexistent/devstack.git", "master", timeout=60)


# ---------------------------------------------------------------- hostile URLs

class RecordingLocal(LocalTransport):
    """The real local transport, remembering every command it ran."""

    def __init__(self) -> None:
        super().__init__("ctl-local")
        self.commands: list[list[str]] = []

    def _execute(self, command, capture):
        self.commands.append(list(command.argv))
        return super()._execute(command, capture)


def hostile_url(marker: Path) -> str:
    # Taken as an option, git would run "touch <marker>" as its upload-pack.
    return f"--upload-pack=touch {marker} #"


def test_an_option_shaped_url_is_never_an_option_locally(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    local = LocalTransport("ctl-local")
    with pytest.raises(InfrastructureError, match="listing refs"):
        resolve_ref(local, hostile_url(marker), "master", timeout=60)
    with pytest.raises(InfrastructureError):
        checkout_devstack(local, hostile_url(marker), "master", str(tmp_path / "clone" / "devstack"), timeout=60)
    assert not marker.exists()
    assert not (tmp_path / "clone" / "devstack").exists()


def test_an_option_shaped_url_is_never_an_option_over_ssh(ssh, controller_sshd) -> None:
    marker = controller_sshd.user_dir / f"pwned-{uuid.uuid4().hex[:6]}"
    with pytest.raises(InfrastructureError, match="listing refs"):
        resolve_ref(ssh, hostile_url(marker), "stable/newton", timeout=60)
    assert not marker.exists()


def test_every_git_call_ends_its_options_before_the_url_and_folder(tmp_path: Path) -> None:
    origin = build_devstack_repo(tmp_path / "origin.git", env_text="")
    folder = str(tmp_path / "work" / "devstack")
    local = RecordingLocal()
    first = checkout_devstack(local, str(origin), "stable/2023.1", folder, timeout=60)
    again = checkout_devstack(local, str(origin), "newton-eol", folder, timeout=60)
    assert first.ref == "refs/heads/stable/2023.1" and again.is_tag
    git_calls = [argv for argv in local.commands if argv[0] == "git"]
    verbs = {argv[3] if argv[1] == "-C" else argv[1] for argv in git_calls}
    assert {"ls-remote", "clone", "remote", "fetch", "checkout"} <= verbs
    for argv in local.commands:
        for value in (str(origin), folder):
            if value in argv:
                at = argv.index(value)
                assert argv[at - 1] == "-C" or "--" in argv[:at], argv
