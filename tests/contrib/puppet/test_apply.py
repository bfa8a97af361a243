"""One ``puppet apply`` run's mechanics: staging, the command line per platform, cleanup."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from hvrt_puppet.apply import PuppetApply
from hvrt_puppet.options import PuppetOptions

from hvrt.config.model import Host
from hvrt.errors import ConfigError
from hvrt.transport.local import LocalTransport


def options(transport: str = "ssh", **puppet: object) -> PuppetOptions:
    return PuppetOptions.for_host(Host("hv1", "node", "127.0.0.12", transport, options={"puppet": puppet}),
                                  "/lab/hvrt.yaml")


def test_the_windows_command_line() -> None:
    run = PuppetApply(LocalTransport("hv1"), options("winrm", extra_args=["--noop"]), "hv1")
    run.prepare_workdir(10)  # a fixed folder on Windows: no remote call
    argv = run.argv()
    assert argv[:4] == [r"C:\Program Files\Puppet Labs\Puppet\bin\puppet.bat", "apply", "--detailed-exitcodes",
                        "--color=false"]
    assert argv[argv.index("--vardir") + 1] == r"C:\ProgramData\hvrt\puppet\state\vardir"
    assert argv[argv.index("--modulepath") + 1] == r"C:\ProgramData\hvrt\puppet\in\modules0;$basemodulepath"
    assert argv[-2:] == ["--noop", r"C:\ProgramData\hvrt\puppet\in\site.pp"]
    assert "unshare" not in argv


def test_the_linux_command_line_with_a_site_code_base(tmp_path: Path) -> None:
    opts = options(module_path=["a", "b"], remote_module_path=["/opt/modules"], unshare=True, workdir="/srv/w")
    run = PuppetApply(LocalTransport("hv1"), opts, "hv1")
    run.prepare_workdir(10)
    argv = run.argv()
    assert argv[:4] == ["unshare", "-fp", "--mount-proc", "puppet"]
    assert argv[argv.index("--modulepath") + 1] == "/srv/w/in/modules0:/srv/w/in/modules1:/opt/modules"
    assert argv[argv.index("--hiera_config") + 1] == "/srv/w/in/hiera.yaml"
    assert ["--logdest", "/srv/w/puppet-log.json"] == argv[argv.index("/srv/w/puppet-log.json") - 1:][:2]


def test_staging_upload_and_cleanup_through_a_transport(tmp_path: Path) -> None:
    transport = LocalTransport("hv1")
    msi = tmp_path / "compute.msi"
    msi.write_bytes(b"msi")
    run = PuppetApply(transport, options(), "hv1")
    workdir = run.prepare_workdir(30)  # mktemp -d on the node
    assert Path(str(workdir)).is_dir() and Path(str(workdir)).name.startswith("hvrt-puppet.")
    run.stage({"hvrt::ini": {}}, msi)
    run.upload(30)
    uploaded = Path(run.remote("in"))
    assert (uploaded / "site.pp").read_text() == "include hvrt\n"
    assert (uploaded / "modules0/hvrt/manifests/init.pp").is_file()
    assert not list(uploaded.rglob("*.py"))
    assert json.loads((uploaded / "data/hvrt.json").read_text()) == {"hvrt::ini": {}}
    assert (uploaded / "installer/compute.msi").read_bytes() == b"msi"
    assert run.installer_remote(msi) == str(uploaded / "installer/compute.msi")
    fetched = run.fetch(30)  # puppet never ran: nothing to fetch, and no error
    assert (fetched.report, fetched.log, fetched.resources) == (None, None, None)
    assert run.cleanup(30) == []
    assert not Path(str(workdir)).exists()


def test_a_configured_workdir_keeps_what_hvrt_did_not_put_there(tmp_path: Path) -> None:
    work = tmp_path / "work"
    work.mkdir()
    (work / "mine.txt").write_text("the site's file")
    run = PuppetApply(LocalTransport("hv1"), options(workdir=str(work)), "hv1")
    run.prepare_workdir(30)
    run.stage({})
    run.upload(30)
    assert (work / "in" / "hiera.yaml").is_file()
    assert run.cleanup(30) == []
    assert sorted(p.name for p in work.iterdir()) == ["mine.txt"]


def test_a_missing_site_module_path_is_a_config_error(tmp_path: Path) -> None:
    run = PuppetApply(LocalTransport("hv1"), options(module_path=str(tmp_path / "nope")), "hv1")
    with pytest.raises(ConfigError, match="is not a folder"):
        run.stage({})
    run.cleanup(10)
