"""The ``existing`` deployer: test a cloud that something else already deployed.

Active when ``settings: deploy: {deployer: existing, cloud: NAME}``. Nothing is stacked.
The cloud's configuration is read by openstacksdk's own loader (:mod:`openstack.config`),
as the ``openstack`` CLI reads it: the ``clouds.yaml`` given as ``clouds_yaml``, else
the standard search path (``OS_CLIENT_CONFIG_FILE``, ``./clouds.yaml``,
``~/.config/openstack/`` or ``$XDG_CONFIG_HOME/openstack/``, ``/etc/openstack/``),
merged with ``secure.yaml`` (``secure_yaml``, else the one beside ``clouds_yaml``,
else the search path and ``OS_CLIENT_SECURE_FILE``); ``cloud`` defaults to
``OS_CLOUD``. Every auth type keystoneauth knows works (password with separate user
and project domains, application credentials, tokens...); every secret of the entry
joins the run's redactor at once. The health check still proves that every Hyper-V
node of the scenario is in service, and the returned
:class:`~hvrt.context.Deployment` runs Tempest on the controller host with
``tempest_command`` / ``tempest_conf`` from the same settings block.
"""
from __future__ import annotations

import functools
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

import hvrt
from hvrt.config.model import Secret
from hvrt.context import Deployment, ScenarioContext
from hvrt.errors import ConfigError
from hvrt_devstack import health
from hvrt_devstack.postdeploy import check_health
from hvrt_devstack.settings import (
    hvrt_config_schema,  # noqa: F401 - the plugin declares its blocks
    selected_deployer,
)

if TYPE_CHECKING:
    from openstack.config.cloud_region import CloudRegion
    from openstack.config.loader import OpenStackConfig

NAME = "existing"
SECRET_KEYS = ("password", "secret", "token", "passcode")
"""Auth options whose values are credentials (``password``, ``application_credential_secret``...)."""


def _checked_file(path: str, what: str, key: str) -> str:
    """``path`` expanded, readable and valid YAML (openstacksdk skips such a file silently)."""
    file = Path(os.path.expanduser(path))
    try:
        yaml.safe_load(file.read_text())
    except OSError as exc:
        raise ConfigError(f"cannot read {what}: {exc.strerror}", file=str(file), key=key) from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"{what} is not valid YAML: {exc}", file=str(file), key=key) from None
    return str(file)


def open_config(settings: dict[str, Any]) -> tuple[OpenStackConfig, str]:
    """openstacksdk's loader over the settings' files (else the search path), and the cloud's name."""
    from openstack.config import loader

    name = settings.get("cloud") or os.environ.get("OS_CLOUD")
    if not name:
        raise ConfigError("the existing deployer needs settings.deploy.cloud (or OS_CLOUD)",
                          key="settings.deploy.cloud")
    secure_yaml = settings.get("secure_yaml")
    secure = [_checked_file(secure_yaml, "secure.yaml", "settings.deploy.secure_yaml")] if secure_yaml else None
    if settings.get("clouds_yaml"):
        clouds = _checked_file(str(settings["clouds_yaml"]), "clouds.yaml", "settings.deploy.clouds_yaml")
        # the named files only: OS_CLIENT_CONFIG_FILE and OS_* variables do not apply
        config = loader.OpenStackConfig(config_files=[clouds], secure_files=secure or [
            str(Path(clouds).with_name("secure.yaml"))], load_envvars=False)
    else:
        config = loader.OpenStackConfig(secure_files=secure)
    return config, str(name)


def load_region(config: OpenStackConfig, name: str, **options: Any) -> CloudRegion:
    """The cloud's region from ``config`` with ``options`` on top; config errors name the file."""
    from keystoneauth1.exceptions import auth_plugins
    from openstack import exceptions

    where = config.config_filename
    try:
        return config.get_one(cloud=name, **options)
    except exceptions.ConfigException:
        if where is None:
            raise ConfigError(f"no clouds.yaml found for cloud {name!r} (searched: OS_CLIENT_CONFIG_FILE, "
                              f"./clouds.yaml, ~/.config/openstack/clouds.yaml, /etc/openstack/clouds.yaml)",
                              key="settings.deploy.cloud") from None
        known = ", ".join(sorted(config.get_cloud_names())) or "none"
        raise ConfigError(f"no cloud {name!r} in clouds.yaml (clouds: {known})", file=where,
                          key="settings.deploy.cloud") from None
    except auth_plugins.MissingRequiredOptions as exc:
        missing = ", ".join(f"auth.{opt.dest}" for opt in exc.options)
        raise ConfigError(f"cloud {name!r} lacks {missing}", file=where, key=f"clouds.{name}.auth") from None
    except auth_plugins.NoMatchingPlugin as exc:
        raise ConfigError(f"cloud {name!r}: unknown auth_type {exc.name!r}", file=where,
                          key=f"clouds.{name}.auth_type") from None


def credentials(region: CloudRegion) -> tuple[str, str]:
    """Who the cloud entry logs on as (user, application credential...) and its secret."""
    auth = region.config.get("auth") or {}
    who = next((str(auth[k]) for k in ("username", "user_id", "application_credential_name",
                                       "application_credential_id") if auth.get(k)), "")
    secret = next((str(auth[k]) for k in ("password", "application_credential_secret", "token") if auth.get(k)), "")
    return who, secret


def access_from_cloud(ctx: ScenarioContext, config: OpenStackConfig, name: str,
                      settings: dict[str, Any]) -> tuple[health.CloudAccess, CloudRegion]:
    region = load_region(config, name)
    auth = region.config.get("auth") or {}
    for key, value in auth.items():
        if value and any(word in key for word in SECRET_KEYS):
            ctx.redactor.add(str(value))
    if not auth.get("auth_url"):
        raise ConfigError(f"cloud {name!r} has no auth.auth_url", file=config.config_filename,
                          key=f"clouds.{name}.auth.auth_url")
    who, secret = credentials(region)
    access = health.CloudAccess(
        auth_url=str(auth["auth_url"]), username=who, password=Secret(secret, f"clouds.yaml cloud {name}"),
        project=str(auth.get("project_name") or auth.get("project_id") or ""),
        compute_url=settings.get("compute_url"), network_url=settings.get("network_url"),
        region=region.region_name or None, controller_host=settings.get("controller_host"),
        controller_agents=tuple(settings.get("controller_agents") or ()),
        load_region=functools.partial(load_region, config, name),
    )
    return access, region


def deploy(ctx: ScenarioContext) -> Deployment:
    """The existing cloud as a Deployment (nothing is stacked); its health is checked in
    the ``start`` stage, once the nodes configured meanwhile have started their services."""
    settings = ctx.config.plugin_settings("deploy")
    config, name = open_config(settings)
    access, region = access_from_cloud(ctx, config, name, settings)
    assert access.password is not None
    ctx.state[ACCESS] = access
    return Deployment(
        controller=ctx.controller.name, auth_url=access.auth_url or "", username=access.username,
        password=access.password, project=access.project, tempest_conf=settings.get("tempest_conf"),
        tempest_command=tuple(settings.get("tempest_command") or ("tempest",)),
        workdir=settings.get("workdir"),
        extra={"cloud": name, "clouds_yaml": config.config_filename,
               "auth_type": region.config.get("auth_type"), "compute_url": access.compute_url,
               "network_url": access.network_url},
    )


ACCESS = "existing.access"
"""``ctx.state`` key of the cloud access :func:`deploy` read, for :func:`check_deployment`."""


def check_deployment(ctx: ScenarioContext) -> dict[str, Any]:
    """Wait until the scenario's nodes and the cloud's agents are in service."""
    settings = ctx.config.plugin_settings("deploy")
    access = ctx.state.get(ACCESS)
    if access is None:  # a reused deployment: this run's deploy stage did not read the cloud entry
        config, name = open_config(settings)
        access, _ = access_from_cloud(ctx, config, name, settings)
    return check_health(ctx, access, float(settings.get("health_timeout", 300)),
                        float(settings.get("health_interval", 5)))


@hvrt.hookimpl
def hvrt_deploy(ctx: ScenarioContext) -> Deployment | None:
    if selected_deployer(ctx.config) != NAME:
        return None
    return deploy(ctx)


@hvrt.hookimpl
def hvrt_check_deployment(ctx: ScenarioContext, deployment: Deployment) -> dict[str, Any] | None:
    if selected_deployer(ctx.config) != NAME:
        return None
    return check_deployment(ctx)
