"""The ``salt:`` block of a lab node: defaults per platform, and errors naming the key."""
from __future__ import annotations

from pathlib import Path

import pytest
from hvrt_saltstack.options import SaltOptions

from hvrt.config.model import Host, Source
from hvrt.errors import ConfigError


def host(transport: str = "ssh", **salt: object) -> Host:
    return Host(name="hv1", role="node", address="127.0.0.11", transport=transport, configurator="salt",
                options={"salt": dict(salt)}, source=Source("/srv/lab/hvrt.yaml", 12, 5))


def test_windows_defaults_come_from_the_winrm_transport() -> None:
    opts = SaltOptions.for_host(host("winrm"), "/srv/lab/hvrt.yaml")
    assert opts.windows and opts.mode == "local" and opts.target == "hv1"
    assert opts.salt_call.endswith("salt-call.exe")
    assert opts.services == ("nova-compute", "neutron-hyperv-agent")
    assert opts.config_dir and opts.config_dir.endswith(r"OpenStack\Nova\etc")
    assert str(opts.remote_path(opts.workdir or "", "x.msi")) == r"C:\ProgramData\hvrt\salt\x.msi"


def test_linux_nodes_start_no_services_and_paths_are_taken_from_the_config_folder() -> None:
    opts = SaltOptions.for_host(host(mode="ssh", known_hosts="keys/known_hosts", file_roots=["salt"],
                                     roster={"sudo": True}), "/srv/lab/hvrt.yaml")
    assert not opts.windows and opts.services == () and opts.config_dir is None
    assert opts.known_hosts == Path("/srv/lab/keys/known_hosts")
    assert opts.file_roots == (Path("/srv/lab/salt"),)
    assert opts.roster == {"sudo": True}


@pytest.mark.parametrize(("salt", "key", "text"), [
    ({"mdoe": "ssh"}, "lab.nodes.hv1.salt.mdoe", "did you mean 'mode'"),
    ({"mode": "minion"}, "lab.nodes.hv1.salt.mode", "'minion' is not one of: local, ssh, master"),
    ({"mode": "master"}, "lab.nodes.hv1.salt.master_config", "needs the salt-master's config file"),
    ({"sls": "hvrt/compute"}, "lab.nodes.hv1.salt.sls", "is not an SLS name"),
    ({"roster": {"prvi": "k"}}, "lab.nodes.hv1.salt.roster.prvi", "did you mean 'priv'"),
    ({"services": "nova-compute"}, "lab.nodes.hv1.salt.services", "expected a list, got a string"),
    ({"timeout": 0}, "lab.nodes.hv1.salt.timeout", "must be greater than 0"),
    ({"timeout": float("inf")}, "lab.nodes.hv1.salt.timeout", "must be a finite number"),
    ({"roster": {"port": 70000}}, "lab.nodes.hv1.salt.roster.port", "between 1 and 65535"),
    ({"file_roots": ["--x"]}, "lab.nodes.hv1.salt.file_roots[0]", "must not start with '-'"),
    ({"target": "hv1\nmaster: evil"}, "lab.nodes.hv1.salt.target", "contains a LF character"),
])
def test_mistakes_name_file_line_and_key(salt: dict, key: str, text: str) -> None:
    with pytest.raises(ConfigError) as caught:
        SaltOptions.for_host(host(**salt), "/srv/lab/hvrt.yaml")
    err = caught.value
    assert err.key == key and text in err.message
    assert (err.file, err.line, err.column) == ("/srv/lab/hvrt.yaml", 12, 5)


SALT_LAB = """\
lab:
  controllers:
    ctl: {address: 127.0.0.2, transport: local}
  nodes:
    hv1:
      address: 127.0.0.11
      labels: {os: 2016}
      configurator: salt
      salt: {mode: master, roster: {prvi: k}}
plugins: [salt]
profiles:
  p: {os: 2016}
"""


def test_the_block_is_checked_when_the_config_loads(tmp_path: Path) -> None:
    from hvrt_saltstack.options import hvrt_config_schema

    from hvrt.config import load_config
    from hvrt.errors import ConfigErrors

    path = tmp_path / "hvrt.yaml"
    path.write_text(SALT_LAB)
    with pytest.raises(ConfigErrors) as caught:
        load_config(path, environ={}, schemas=hvrt_config_schema())
    assert [str(e).removeprefix(f"{path}:") for e in caught.value.errors] == [
        "9:20: lab.nodes.hv1.salt.master_config: mode master needs the salt-master's config file",
        "9:37: lab.nodes.hv1.salt.roster.prvi: unknown key (did you mean 'priv'?)",
    ]


def test_the_entry_point_declares_the_block() -> None:
    from hvrt_saltstack.options import SALT

    from hvrt.config.registry import discover

    assert discover(["salt"]).host_block("node", "salt") is SALT
