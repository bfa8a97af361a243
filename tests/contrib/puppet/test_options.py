"""The ``puppet:`` block of a node: defaults per platform, paths, and precise errors."""
from __future__ import annotations

from pathlib import Path, PurePosixPath, PureWindowsPath

import pytest
from hvrt_puppet.options import WINDOWS_PUPPET, PuppetOptions

from hvrt.config.model import Host, Source
from hvrt.errors import ConfigError


def node(transport: str = "ssh", **puppet: object) -> Host:
    return Host("hv1", "node", "127.0.0.12", transport, configurator="puppet", options={"puppet": puppet},
                source=Source("/lab/hvrt.yaml", 12, 5))


def test_linux_defaults() -> None:
    opts = PuppetOptions.for_host(node(), "/lab/hvrt.yaml")
    assert (opts.platform, opts.puppet, opts.class_name) == ("posix", "puppet", "hvrt")
    assert opts.remote_module_path == ("$basemodulepath",) and opts.module_path == ()
    assert opts.remote_path("/tmp/w", "in") == PurePosixPath("/tmp/w/in") and opts.path_separator == ":"
    assert not opts.unshare and not opts.keep_workdir and opts.timeout == 1800


def test_windows_defaults_follow_the_winrm_transport() -> None:
    opts = PuppetOptions.for_host(node("winrm"), "/lab/hvrt.yaml")
    assert opts.windows and opts.puppet == WINDOWS_PUPPET and opts.path_separator == ";"
    assert str(opts.remote_path(r"C:\w", "in", "site.pp")) == r"C:\w\in\site.pp"
    assert isinstance(opts.remote_path("C:\\"), PureWindowsPath)


def test_local_paths_are_taken_from_the_config_folder(tmp_path: Path) -> None:
    opts = PuppetOptions.for_host(
        node(module_path=["site", "/abs/modules"], manifest="m/site.pp", remote_module_path=[],
             **{"class": "::profile::hyperv"}),
        str(tmp_path / "hvrt.yaml"),
    )
    assert opts.module_path == (tmp_path / "site", Path("/abs/modules"))
    assert opts.manifest == tmp_path / "m/site.pp"
    assert opts.remote_module_path == () and opts.class_name == "profile::hyperv"


@pytest.mark.parametrize(
    ("puppet", "key", "words"),
    [
        ({"modulepath": "x"}, "modulepath", "did you mean 'module_path'"),
        ({"class": "Profile::X"}, "class", "not a Puppet class name"),
        ({"class": "hvrt; exec"}, "class", "not a Puppet class name"),
        ({"timeout": 0}, "timeout", "must be greater than 0"),
        ({"timeout": True}, "timeout", "expected a number, got a boolean"),
        ({"timeout": 10**9}, "timeout", "at most 604800 seconds"),
        ({"unshare": "yes"}, "unshare", "true or false"),
        ({"module_path": [{"a": 1}]}, "module_path[0]", "expected a string, got a mapping"),
        ({"data": ["x"]}, "data", "expected a mapping, got a list"),
        ({"platform": "mac"}, "platform", "'mac' is not one of: posix, windows"),
        ({"puppet": ""}, "puppet", "is empty"),
        ({"extra_args": ["--noop\n--debug"]}, "extra_args[0]", "contains a LF character"),
    ],
)
def test_mistakes_name_file_line_and_key(puppet: dict, key: str, words: str) -> None:
    with pytest.raises(ConfigError) as error:
        PuppetOptions.for_host(node(**puppet), "/lab/hvrt.yaml")
    assert error.value.key == f"lab.nodes.hv1.puppet.{key}"
    assert words in error.value.message
    assert str(error.value).startswith("/lab/hvrt.yaml:12:5:")


def test_a_windows_workdir_must_be_a_plain_absolute_path() -> None:
    ok = PuppetOptions.for_host(node("winrm", workdir=r"D:\hvrt work\puppet"), "/lab/hvrt.yaml")
    assert ok.workdir == r"D:\hvrt work\puppet"
    for bad in (r"C:\x & del C:\y", "relative\\dir", r"C:\a%PATH%"):
        with pytest.raises(ConfigError, match="absolute path"):
            PuppetOptions.for_host(node("winrm", workdir=bad), "/lab/hvrt.yaml")


def test_a_block_that_is_not_a_mapping() -> None:
    host = Host("hv1", "node", "127.0.0.12", "ssh", configurator="puppet", options={"puppet": ["x"]})
    with pytest.raises(ConfigError, match="lab.nodes.hv1.puppet: expected a mapping, got a list"):
        PuppetOptions.for_host(host, "/lab/hvrt.yaml")


PUPPET_LAB = """\
lab:
  controllers:
    ctl: {address: 127.0.0.2, transport: local}
  nodes:
    hv1:
      address: 127.0.0.11
      labels: {os: 2016}
      configurator: puppet
      puppet: {modle_path: x, workdir: 'C:\\x & del C:\\y', timeout: .inf}
plugins: [puppet]
profiles:
  p: {os: 2016}
"""


def test_the_block_is_checked_when_the_config_loads(tmp_path: Path) -> None:
    from hvrt_puppet.options import hvrt_config_schema

    from hvrt.config import load_config
    from hvrt.errors import ConfigErrors

    path = tmp_path / "hvrt.yaml"
    path.write_text(PUPPET_LAB)
    with pytest.raises(ConfigErrors) as caught:
        load_config(path, environ={}, schemas=hvrt_config_schema())
    assert [str(e).removeprefix(f"{path}:") for e in caught.value.errors] == [
        "9:16: lab.nodes.hv1.puppet.modle_path: unknown key (did you mean 'module_path'?)",
        "9:68: lab.nodes.hv1.puppet.timeout: must be a finite number, got inf",
    ]
    path.write_text(PUPPET_LAB.replace("modle_path: x, ", "").replace(".inf", "60"))
    with pytest.raises(ConfigError, match=r"9:25: lab.nodes.hv1.puppet.workdir: must be an absolute path"):
        load_config(path, environ={}, schemas=hvrt_config_schema())


def test_the_entry_point_declares_the_block() -> None:
    from hvrt_puppet.options import PUPPET

    from hvrt.config.registry import discover

    assert discover(["puppet"]).host_block("node", "puppet") is PUPPET
