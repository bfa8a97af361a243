"""The ``existing`` deployer: a cloud read by openstacksdk's loader (clouds.yaml, secure.yaml,
OS_CLOUD, the search path, application credentials, separate domains), no stacking, the health
check still runs, against the real sandbox Keystone."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
import yaml

from hvrt.errors import ConfigError, InfrastructureError
from hvrt.sandbox import catalog, venvs
from hvrt.sandbox.cloudapi import CloudApiHTTPServer, CloudStatus


def deploy(ctx):  # type: ignore[no-untyped-def]
    """The deploy stage, then the start stage's check (nodes are already in service here)."""
    deployment = ctx.run.pm.hook.hvrt_deploy(ctx=ctx)
    if deployment is not None:
        ctx.run.pm.hook.hvrt_check_deployment(ctx=ctx, deployment=deployment)
    return deployment


PASSWORD = "Existing-Cloud-Pw-42"
USER_PASSWORD = "Tester-Pw-" + uuid.uuid4().hex[:8]
APP_SECRET = "App-Secret-" + uuid.uuid4().hex[:12]
needs_keystone = (pytest.mark.keystone, pytest.mark.slow,
                  pytest.mark.skipif(not venvs.is_ready("keystone"), reason="Keystone venv not built"))


def keystone_test(fn):
    for mark in needs_keystone:
        fn = mark(fn)
    return fn


@pytest.fixture(autouse=True)
def no_client_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """The runner's own OS_* variables never leak into a test."""
    for name in list(os.environ):
        if name.startswith("OS_"):
            monkeypatch.delenv(name)


@pytest.fixture
def status_api(lab):
    dirs = [lab.node_dir("HV-A", {"nova-compute": "Running", "neutron-hyperv-agent": "Running"})]
    server = CloudApiHTTPServer(("127.0.0.1", 0), CloudStatus(dirs), token_check=True)
    server.start_background()
    yield server
    server.shutdown()
    server.server_close()


def write_yaml(path: Path, clouds: dict[str, Any]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump({"clouds": clouds}))
    return path


def clouds_yaml(tmp_path: Path, auth_url: str) -> Path:
    return write_yaml(tmp_path / "clouds.yaml", {"lab": {"auth": {
        "auth_url": auth_url, "username": "admin", "password": PASSWORD, "project_name": "admin",
        "user_domain_name": "Default", "project_domain_name": "Default"}, "region_name": "RegionOne"}})


def existing_ctx(make_ctx, lab, **deploy: Any):
    return make_ctx(lab.profiles("file:///x.vhdx")["HyperV2016_VHDX_flat"], nodes=[lab.node_host("HV-A")],
                    deploy={"deployer": "existing", "health_timeout": 20, "health_interval": 0.3, **deploy})


def test_unknown_cloud_bad_files_and_no_name_are_config_errors(make_ctx, lab, tmp_path: Path) -> None:
    path = clouds_yaml(tmp_path, "http://127.0.0.1:9/v3")
    ctx = existing_ctx(make_ctx, lab, cloud="other", clouds_yaml=str(path))
    with pytest.raises(ConfigError, match="no cloud 'other' in clouds.yaml.*lab"):
        deploy(ctx)
    ctx = existing_ctx(make_ctx, lab, cloud="lab", clouds_yaml=str(tmp_path / "none.yaml"))
    with pytest.raises(ConfigError, match="cannot read clouds.yaml"):
        deploy(ctx)
    (tmp_path / "broken.yaml").write_text("clouds: {lab: [\n")
    ctx = existing_ctx(make_ctx, lab, cloud="lab", clouds_yaml=str(tmp_path / "broken.yaml"))
    with pytest.raises(ConfigError, match="clouds.yaml is not valid YAML"):  # openstacksdk would skip it
        deploy(ctx)
    ctx = existing_ctx(make_ctx, lab, clouds_yaml=str(path))
    with pytest.raises(ConfigError, match=r"needs settings\.deploy\.cloud \(or OS_CLOUD\)"):
        deploy(ctx)
    write_yaml(path, {"lab": {"auth": {"username": "u", "password": PASSWORD, "project_name": "p"}}})
    ctx = existing_ctx(make_ctx, lab, cloud="lab", clouds_yaml=str(path))
    with pytest.raises(ConfigError, match="cloud 'lab' lacks auth.auth_url") as info:
        deploy(ctx)
    assert PASSWORD not in str(info.value)


def test_unreachable_keystone_fails_the_health_check_without_leaking(make_ctx, lab, tmp_path: Path,
                                                                     status_api) -> None:
    from hvrt.sandbox.keystone import free_port

    path = clouds_yaml(tmp_path, f"http://127.0.0.1:{free_port('127.0.0.1')}/v3")
    ctx = existing_ctx(make_ctx, lab, cloud="lab", clouds_yaml=str(path), health_timeout=1, health_interval=0.2,
                       compute_url=status_api.compute_url, network_url=status_api.network_url)
    with pytest.raises(InfrastructureError, match="Keystone .* unreachable") as info:
        deploy(ctx)
    assert PASSWORD not in str(info.value)
    assert PASSWORD in ctx.redactor.secrets
    assert not ctx._transports  # nothing was stacked on the controller


def test_the_search_path_finds_clouds_yaml_and_secure_yaml_under_xdg_config_home_and_home(tmp_path: Path) -> None:
    """openstacksdk's own search path, in a fresh process (the loader reads HOME and
    XDG_CONFIG_HOME when it is imported): no clouds_yaml setting, the name from OS_CLOUD."""
    home, xdg, elsewhere = tmp_path / "home", tmp_path / "xdg", tmp_path / "cwd"
    elsewhere.mkdir()
    write_yaml(xdg / "openstack" / "clouds.yaml", {"lab": {"region_name": "RegionTwo", "auth": {
        "auth_url": "http://127.0.0.1:9/v3", "username": "tester", "project_name": "hvrt-tests",
        "user_domain_name": "hvrt-users", "project_domain_name": "hvrt-projects"}}})
    write_yaml(home / ".config" / "openstack" / "secure.yaml", {"lab": {"auth": {"password": USER_PASSWORD}}})
    script = ("import json; from hvrt_devstack.existing import credentials, load_region, open_config\n"
              "config, name = open_config({})\n"
              "region = load_region(config, name)\n"
              "auth = region.config['auth']\n"
              "print(json.dumps({'file': config.config_filename, 'secure': config.secure_config_filename,\n"
              "                  'name': name, 'region': region.region_name, 'who': credentials(region),\n"
              "                  'domains': [auth['user_domain_name'], auth['project_domain_name']]}))\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OS_", "XDG_"))}
    env |= {"HOME": str(home), "XDG_CONFIG_HOME": str(xdg), "OS_CLOUD": "lab"}
    proc = subprocess.run([sys.executable, "-c", script], cwd=elsewhere, env=env, capture_output=True, text=True,
                          timeout=60, check=False)
    assert proc.returncode == 0, proc.stderr
    found = json.loads(proc.stdout.splitlines()[-1])
    assert found["file"] == str(xdg / "openstack" / "clouds.yaml")
    assert found["secure"] == str(home / ".config" / "openstack" / "secure.yaml")
    assert found["name"] == "lab" and found["region"] == "RegionTwo"
    assert found["who"] == ["tester", USER_PASSWORD]
    assert found["domains"] == ["hvrt-users", "hvrt-projects"]


# ------------------------------------------------------------ with a real Keystone
@pytest.fixture(scope="module")
def keystone(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """The sandbox's real Keystone with a user and a project in two domains of their own,
    and an application credential of that user."""
    import openstack

    from hvrt.sandbox.keystone import KeystoneServer

    with KeystoneServer(tmp_path_factory.mktemp("keystone"), admin_password=PASSWORD) as server:
        common = {"load_yaml_config": False, "load_envvars": False, "auth_url": server.auth_url, "api_timeout": 30}
        admin = openstack.connect(username="admin", password=PASSWORD, project_name="admin",
                                  user_domain_name="Default", project_domain_name="Default", **common)
        users = admin.identity.create_domain(name="hvrt-users")
        projects = admin.identity.create_domain(name="hvrt-projects")
        project = admin.identity.create_project(name="hvrt-tests", domain_id=projects.id)
        user = admin.identity.create_user(name="tester", domain_id=users.id, password=USER_PASSWORD)
        admin.identity.assign_project_role_to_user(project, user, admin.identity.find_role("admin", ignore_missing=False))
        admin.close()
        tester = openstack.connect(username="tester", password=USER_PASSWORD, project_name="hvrt-tests",
                                   user_domain_name="hvrt-users", project_domain_name="hvrt-projects", **common)
        credential = tester.identity.create_application_credential(user=tester.current_user_id, name="hvrt-ci",
                                                                   secret=APP_SECRET)
        tester.close()
        yield SimpleNamespace(auth_url=server.auth_url, application_credential_id=credential.id)


@pytest.fixture
def listed_api(keystone, status_api):
    """The status API in the Keystone's catalog, validating tokens with that Keystone."""
    status_api.keystone_url = keystone.auth_url
    catalog.register(keystone.auth_url, PASSWORD, {"compute": status_api.compute_url,
                                                   "network": status_api.network_url})
    return status_api


def cloud_of_tester(auth_url: str, **auth: str) -> dict[str, Any]:
    return {"region_name": "RegionOne", "auth": {"auth_url": auth_url, "username": "tester",
                                                 "project_name": "hvrt-tests", "user_domain_name": "hvrt-users",
                                                 "project_domain_name": "hvrt-projects", **auth}}


@keystone_test
def test_os_cloud_client_config_file_secure_yaml_and_separate_domains(make_ctx, lab, tmp_path: Path, keystone,
                                                                      listed_api, monkeypatch) -> None:
    write_yaml(tmp_path / "conf" / "clouds.yaml", {"lab": cloud_of_tester(keystone.auth_url)})
    write_yaml(tmp_path / "conf" / "secure.yaml", {"lab": {"auth": {"password": USER_PASSWORD}}})
    monkeypatch.setenv("OS_CLIENT_CONFIG_FILE", str(tmp_path / "conf" / "clouds.yaml"))
    monkeypatch.setenv("OS_CLIENT_SECURE_FILE", str(tmp_path / "conf" / "secure.yaml"))
    monkeypatch.setenv("OS_CLOUD", "lab")
    ctx = existing_ctx(make_ctx, lab, tempest_command=["tempest"])
    deployment = deploy(ctx)
    assert deployment.auth_url == keystone.auth_url
    assert (deployment.username, deployment.project) == ("tester", "hvrt-tests")
    assert deployment.password.reveal() == USER_PASSWORD and USER_PASSWORD in ctx.redactor.secrets
    assert deployment.extra["cloud"] == "lab"
    assert deployment.extra["clouds_yaml"] == str(tmp_path / "conf" / "clouds.yaml")
    record = json.loads((ctx.dir / "logs/ctl01/health.json").read_text())
    assert record["compute_url"].rstrip("/") == listed_api.compute_url  # from the catalog
    assert record["nodes"] == ["HV-A"] and USER_PASSWORD not in json.dumps(record)


@keystone_test
def test_the_two_domains_are_not_merged(make_ctx, lab, tmp_path: Path, keystone, listed_api) -> None:
    merged = cloud_of_tester(keystone.auth_url, password=USER_PASSWORD, project_domain_name="hvrt-users")
    path = write_yaml(tmp_path / "clouds.yaml", {"lab": merged})
    ctx = existing_ctx(make_ctx, lab, cloud="lab", clouds_yaml=str(path), health_timeout=1)
    with pytest.raises(InfrastructureError, match=r"Keystone at .* refused the credentials \(HTTP 401\)"):
        deploy(ctx)


@keystone_test
def test_application_credential_with_the_secure_yaml_beside_clouds_yaml(make_ctx, lab, tmp_path: Path, keystone,
                                                                          listed_api, monkeypatch) -> None:
    cred = keystone.application_credential_id
    path = write_yaml(tmp_path / "lab" / "clouds.yaml", {"ci": {
        "auth_type": "v3applicationcredential", "region_name": "RegionOne",
        "auth": {"auth_url": keystone.auth_url, "application_credential_id": cred}}})
    write_yaml(tmp_path / "lab" / "secure.yaml", {"ci": {"auth": {"application_credential_secret": APP_SECRET}}})
    # the named file wins over the environment's
    monkeypatch.setenv("OS_CLIENT_CONFIG_FILE", str(clouds_yaml(tmp_path, "http://127.0.0.1:9/v3")))
    monkeypatch.setenv("OS_CLOUD", "lab")
    ctx = existing_ctx(make_ctx, lab, cloud="ci", clouds_yaml=str(path))
    deployment = deploy(ctx)
    assert deployment.username == cred and deployment.password.reveal() == APP_SECRET
    assert deployment.extra["auth_type"] == "v3applicationcredential"
    assert APP_SECRET in ctx.redactor.secrets
    wrong = tmp_path / "lab" / "secure.yaml"
    write_yaml(wrong, {"ci": {"auth": {"application_credential_secret": "not-" + APP_SECRET}}})
    ctx = existing_ctx(make_ctx, lab, cloud="ci", clouds_yaml=str(path), health_timeout=1)
    with pytest.raises(InfrastructureError, match=r"refused the credentials \(HTTP 401\)") as info:
        deploy(ctx)
    assert APP_SECRET not in str(info.value)
