"""The ``existing`` deployer: a clouds.yaml entry, no stacking, the health check still runs."""
from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from hvrt.errors import ConfigError, InfrastructureError
from hvrt.sandbox import venvs
from hvrt.sandbox.cloudapi import CloudApiHTTPServer, CloudStatus

PASSWORD = "Existing-Cloud-Pw-42"


@pytest.fixture
def status_api(lab):
    dirs = [lab.node_dir("HV-A", {"nova-compute": "Running", "neutron-hyperv-agent": "Running"})]
    server = CloudApiHTTPServer(("127.0.0.1", 0), CloudStatus(dirs), token_check=True)
    server.start_background()
    yield server
    server.shutdown()
    server.server_close()


def clouds_yaml(tmp_path: Path, auth_url: str) -> Path:
    path = tmp_path / "clouds.yaml"
    path.write_text(yaml.safe_dump({"clouds": {"lab": {"auth": {
        "auth_url": auth_url, "username": "admin", "password": PASSWORD, "project_name": "admin",
        "user_domain_name": "Default", "project_domain_name": "Default"}, "region_name": "RegionOne"}}}))
    return path


def test_unknown_cloud_and_missing_file_are_config_errors(make_ctx, lab, tmp_path: Path) -> None:
    path = clouds_yaml(tmp_path, "http://127.0.0.1:9/v3")
    ctx = make_ctx(lab.profiles("file:///x.vhdx")["HyperV2016_VHDX_flat"], nodes=[lab.node_host("HV-A")],
                   deploy={"deployer": "existing", "cloud": "other", "clouds_yaml": str(path)})
    with pytest.raises(ConfigError, match="no cloud 'other'.*lab"):
        ctx.run.pm.hook.hvrt_deploy(ctx=ctx)
    ctx2 = make_ctx(lab.profiles("file:///x.vhdx")["HyperV2016_VHDX_flat"], nodes=[lab.node_host("HV-A")],
                    deploy={"deployer": "existing", "cloud": "lab", "clouds_yaml": str(tmp_path / "none.yaml")})
    with pytest.raises(ConfigError, match="cannot read clouds.yaml"):
        ctx2.run.pm.hook.hvrt_deploy(ctx=ctx2)


def test_unreachable_keystone_fails_the_health_check_without_leaking(make_ctx, lab, tmp_path: Path,
                                                                     status_api) -> None:
    from hvrt.sandbox.keystone import free_port

    path = clouds_yaml(tmp_path, f"http://127.0.0.1:{free_port('127.0.0.1')}/v3")
    ctx = make_ctx(lab.profiles("file:///x.vhdx")["HyperV2016_VHDX_flat"], nodes=[lab.node_host("HV-A")],
                   deploy={"deployer": "existing", "cloud": "lab", "clouds_yaml": str(path),
                           "health_timeout": 1, "health_interval": 0.2,
                           "compute_url": f"{status_api.url}/v2.1", "network_url": status_api.url})
    with pytest.raises(InfrastructureError, match="Keystone .* unreachable") as info:
        ctx.run.pm.hook.hvrt_deploy(ctx=ctx)
    assert PASSWORD not in str(info.value)
    assert PASSWORD in ctx.redactor.secrets
    assert not ctx._transports  # nothing was stacked on the controller


@pytest.mark.keystone
@pytest.mark.slow
@pytest.mark.skipif(not venvs.is_ready("keystone"), reason="Keystone venv not built")
def test_existing_cloud_with_a_real_keystone(make_ctx, lab, tmp_path: Path, status_api) -> None:
    from hvrt.sandbox.keystone import KeystoneServer

    with KeystoneServer(tmp_path / "ks", admin_password=PASSWORD) as keystone:
        path = clouds_yaml(tmp_path, keystone.auth_url)
        ctx = make_ctx(lab.profiles("file:///x.vhdx")["HyperV2016_VHDX_flat"], nodes=[lab.node_host("HV-A")],
                       deploy={"deployer": "existing", "cloud": "lab", "clouds_yaml": str(path),
                               "health_timeout": 30, "health_interval": 0.5,
                               "compute_url": f"{status_api.url}/v2.1", "network_url": status_api.url,
                               "tempest_command": ["tempest"]})
        deployment = ctx.run.pm.hook.hvrt_deploy(ctx=ctx)
    assert deployment.auth_url == keystone.auth_url
    assert deployment.password.reveal() == PASSWORD
    assert deployment.extra["cloud"] == "lab"
    assert (ctx.dir / "logs/ctl01/health.json").exists()
