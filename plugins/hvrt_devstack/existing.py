"""The ``existing`` deployer: test a cloud that something else already deployed.

Active when ``settings: deploy: {deployer: existing, cloud: NAME, clouds_yaml: PATH}``.
Nothing is stacked: the cloud's credentials come from the named ``clouds.yaml``
entry (its password is registered with the run's redactor at once), the health
check still proves that every Hyper-V node of the scenario is in service, and the
returned :class:`~hvrt.context.Deployment` runs Tempest on the controller host with
``tempest_command`` / ``tempest_conf`` from the same settings block.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import yaml

import hvrt
from hvrt.config.model import Secret
from hvrt.context import Deployment, ScenarioContext
from hvrt.errors import ConfigError
from hvrt_devstack import health
from hvrt_devstack.plugin import check_health
from hvrt_devstack.settings import (
    hvrt_config_schema,  # noqa: F401 - the plugin declares its blocks
    selected_deployer,
)

NAME = "existing"
DEFAULT_CLOUDS_YAML = "~/.config/openstack/clouds.yaml"


def load_cloud(path: str, name: str) -> dict[str, Any]:
    """The ``clouds: NAME`` entry of a clouds.yaml file."""
    file = Path(os.path.expanduser(path))
    try:
        data = yaml.safe_load(file.read_text()) or {}
    except OSError as exc:
        raise ConfigError(f"cannot read clouds.yaml: {exc.strerror}", file=str(file)) from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"clouds.yaml is not valid YAML: {exc}", file=str(file)) from None
    clouds = data.get("clouds") if isinstance(data, dict) else None
    if not isinstance(clouds, dict) or name not in clouds:
        known = ", ".join(sorted(clouds)) if isinstance(clouds, dict) else "none"
        raise ConfigError(f"no cloud {name!r} in clouds.yaml (clouds: {known})", file=str(file),
                          key="settings.deploy.cloud")
    entry = clouds[name]
    if not isinstance(entry, dict) or not isinstance(entry.get("auth"), dict):
        raise ConfigError(f"cloud {name!r} has no auth block", file=str(file), key=f"clouds.{name}.auth")
    return entry


def access_from_cloud(ctx: ScenarioContext, entry: dict[str, Any], settings: dict[str, Any]) -> health.CloudAccess:
    auth = entry["auth"]
    for key in ("auth_url", "username", "password", "project_name"):
        if not auth.get(key):
            raise ConfigError(f"clouds.yaml entry lacks auth.{key}", key=f"auth.{key}")
    password = str(auth["password"])
    ctx.redactor.add(password)
    verify: bool | str = entry.get("cacert") or entry.get("verify", True)
    return health.CloudAccess(
        auth_url=str(auth["auth_url"]), username=str(auth["username"]),
        password=Secret(password, "clouds.yaml"), project=str(auth["project_name"]),
        domain=str(auth.get("user_domain_name") or auth.get("project_domain_name") or "Default"),
        compute_url=settings.get("compute_url"), network_url=settings.get("network_url"),
        region=entry.get("region_name"), verify=verify,
    )


def deploy(ctx: ScenarioContext) -> Deployment:
    settings = ctx.config.plugin_settings("deploy")
    name = settings.get("cloud")
    if not name:
        raise ConfigError("the existing deployer needs settings.deploy.cloud", key="settings.deploy.cloud")
    entry = load_cloud(str(settings.get("clouds_yaml") or DEFAULT_CLOUDS_YAML), str(name))
    access = access_from_cloud(ctx, entry, settings)
    record = check_health(ctx, access, float(settings.get("health_timeout", 300)),
                          float(settings.get("health_interval", 5)))
    assert access.password is not None
    tempest_conf = settings.get("tempest_conf")
    return Deployment(
        controller=ctx.controller.name, auth_url=access.auth_url or "", username=access.username,
        password=access.password, project=access.project, tempest_conf=tempest_conf,
        tempest_command=tuple(settings.get("tempest_command") or ("tempest",)),
        workdir=settings.get("workdir"),
        extra={"cloud": name, "compute_url": record["compute_url"], "network_url": record["network_url"]},
    )


@hvrt.hookimpl
def hvrt_deploy(ctx: ScenarioContext) -> Deployment | None:
    if selected_deployer(ctx.config) != NAME:
        return None
    return deploy(ctx)
