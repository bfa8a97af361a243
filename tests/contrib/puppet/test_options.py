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
        ({"timeout": 0}, "timeout", "positive number"),
        ({"timeout": True}, "timeout", "positive number"),
        ({"unshare": "yes"}, "unshare", "true or false"),
        ({"module_path": [1]}, "module_path", "list of strings"),
        ({"data": ["x"]}, "data", "mapping of Hiera keys"),
        ({"platform": "mac"}, "platform", "one of posix, windows"),
        ({"puppet": ""}, "puppet", "non-empty string"),
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
    with pytest.raises(ConfigError, match="must be a mapping"):
        PuppetOptions.for_host(host, "/lab/hvrt.yaml")
