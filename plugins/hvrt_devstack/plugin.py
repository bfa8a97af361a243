"""The DevStack deployer: pre-flight of the controller, deploy, health check, collection.

Active when ``settings: deploy: {deployer: devstack}`` (the default). Its pre-flight
(``hvrt_preflight_host``: ``hvrt preflight``, the start of a run, each ``provision``
stage) checks each controller: reachable, SSH host key, login, sudo, git, free disk.
In the ``deploy`` stage it checks DevStack out on the controller at the release's branch or
tag (:mod:`.repo`), renders ``local.conf`` and ``local.sh`` (:mod:`.localconf`),
writes the networking-hyperv DevStack plugin when the scenario loads the ``hyperv``
mechanism driver (:mod:`.hyperv_plugin`), caches the images and runs ``unstack.sh`` +
``stack.sh`` (:mod:`.stack`), while the Hyper-V nodes are configured beside it. In the
``start`` stage, once the nodes' services run, it waits until every Hyper-V node of
the scenario and the controller's own agents are in service and maps the computes
into Nova's cell (:mod:`.postdeploy`, :mod:`.health`). The
collector (:mod:`.collector`) fetches DevStack's logs and the service configs. At
teardown it runs ``unstack.sh`` in the checkout when the run's ``--destroy`` policy
says so, so the controller's services are stopped (its output in
``logs/<controller>/unstack.sh.log``).
"""
from __future__ import annotations

import posixpath
from typing import Any

import hvrt
from hvrt.config.model import Config, Host, Scenario
from hvrt.context import Deployment, RunContext, ScenarioContext
from hvrt.errors import ConfigError, HvrtError, InfrastructureError
from hvrt.redact import MASK
from hvrt.transport.base import Transport
from hvrt_devstack import collector, health, hyperv_plugin, localconf, postdeploy, repo, stack
from hvrt_devstack.preflight import CONTROLLER_CHECKS, preflight  # noqa: F401 - part of this module's API
from hvrt_devstack.settings import (
    DevstackSettings,
    hvrt_config_schema,  # noqa: F401 - the plugin declares its blocks
    load_settings,
    selected_deployer,
)

NAME = "devstack"
UNSTACK_TIMEOUT = 600.0
"""Seconds ``unstack.sh`` may run at teardown."""
VERIFY = "devstack.verify"
"""``ctx.state`` key of what :func:`verify_deployment` reads (URLs, agents, nova-manage; no secret)."""


node_hostnames = postdeploy.node_hostnames
check_health = postdeploy.check_health


def stack_controller(ctx: ScenarioContext, settings: DevstackSettings) -> dict[str, Any]:
    """Check DevStack out, write local.conf/local.sh (and the networking-hyperv plugin), run
    ``unstack.sh`` + ``stack.sh``; returns the stand-in's deploy info (empty for a real
    DevStack) and leaves in ``ctx.state`` what :func:`verify_deployment` needs."""
    release = ctx.config.release
    if release.password is None:
        raise ConfigError("release.password is required by the DevStack deployer", key="release.password")
    controller = ctx.controller
    transport = ctx.transport(controller)
    checkout = repo.checkout_devstack(transport, release.devstack_repo, release.devstack_branch,
                                      settings.devstack_dir, timeout=ctx.call_timeout(settings.git_timeout))
    ctx.log.info("DevStack %s at %s", checkout.name, checkout.commit[:12])
    ctx.result.facts["devstack"] = {"requested": checkout.requested, "ref": checkout.ref,
                                    "commit": checkout.commit}
    image = ctx.profile.image
    urls = [u for u in (image.url, image.heat_url) if u]
    paths = stack.cache_images(transport, urls, settings.image_cache, ctx.call_timeout(settings.image_timeout))
    inputs = localconf.StackInputs(
        host_ip=controller.address, password=release.password.reveal(), dest=settings.dest,
        logdir=settings.logdir, image_paths=paths[:1] if image.url else [],
        heat_image_path=paths[-1] if image.heat_url else None, checkout=checkout.name,
        checkout_is_tag=checkout.is_tag, extra_vars=dict(settings.localrc), post_config=settings.post_config,
        physical_interface=settings.physical_interface, networking_hyperv=settings.networking_hyperv,
    )
    if not settings.physical_interface and ctx.profile.network.type in ("vlan", "flat", "ovs-vlan"):
        ctx.log.warning("settings.devstack.physical_interface is not set: no NIC is added to br-eth1, so %s "
                        "tenant traffic cannot leave the controller unless the lab added one", ctx.profile.network.type)
    if localconf.uses_hyperv_driver(localconf.network_vars(ctx.profile, controller.address)):
        inputs.hyperv_plugin = hyperv_plugin.install(transport, settings.dest, ctx.call_timeout(120))
    local_conf = localconf.render_local_conf(ctx.profile, release, inputs)
    local_sh = localconf.render_local_sh(ctx.profile)
    upload_timeout = ctx.call_timeout(120)
    stack.upload_text(transport, local_conf, posixpath.join(settings.devstack_dir, "local.conf"), 0o600,
                      upload_timeout)
    stack.upload_text(transport, local_sh, posixpath.join(settings.devstack_dir, "local.sh"), 0o755,
                      upload_timeout)
    ctx.save(f"config/{controller.name}/local.conf", local_conf)
    ctx.save(f"config/{controller.name}/local.sh", local_sh)
    log = stack.StreamedLog(ctx, f"logs/{controller.name}/stack.sh.log")
    try:
        stack.run_script(ctx, transport, settings.devstack_dir, "unstack.sh", log, ctx.call_timeout(600),
                         required=False)
        stack.run_script(ctx, transport, settings.devstack_dir, "stack.sh", log,
                         ctx.call_timeout(settings.stack_timeout))
    finally:
        log.close()
    info = stack.read_deploy_info(transport, settings.dest, ctx.call_timeout(60))
    ctx.state[NAME] = {
        "logdir": info.get("logdir", settings.logdir),
        "config_dirs": info.get("config_dirs", settings.config_dirs),
        "tempest_conf": info.get("tempest_conf", settings.tempest_conf),
    }
    ctx.state[VERIFY] = {
        "auth_url": info["auth_url"] if "auth_url" in info else
        settings.auth_url or f"http://{controller.address}/identity",
        "compute_url": settings.compute_url or info.get("compute_url"),
        "network_url": settings.network_url or info.get("network_url"),
        "controller_agents": list(postdeploy.controller_agents(local_conf)),
        "nova_manage": postdeploy.nova_manage_command(settings.dest, settings.nova_manage or info.get("nova_manage")
                                                      or ()),
    }
    return info


def verify_deployment(ctx: ScenarioContext, settings: DevstackSettings) -> dict[str, Any]:
    """The health check (nodes and the controller's agents of its local.conf), then
    ``nova-manage cell_v2 discover_hosts``, of the controller :func:`stack_controller`
    stacked for this scenario. Callable on its own, e.g. once more after the computes
    were restarted later than ``stack.sh`` ended; returns the health record."""
    where = ctx.state[VERIFY]
    release = ctx.config.release
    access = health.CloudAccess(
        auth_url=where["auth_url"], username=settings.username, password=release.password,
        project=settings.project, compute_url=where["compute_url"], network_url=where["network_url"],
        controller_agents=tuple(where["controller_agents"]))
    return postdeploy.health_and_cells(ctx, ctx.transport(ctx.controller), access, nova_manage=where["nova_manage"],
                                       timeout=settings.health_timeout, interval=settings.health_interval)


def deploy(ctx: ScenarioContext, settings: DevstackSettings) -> Deployment:
    """:func:`stack_controller`; the cloud as a Deployment. Its health is checked in the
    ``start`` stage (:func:`hvrt_check_deployment`), once the nodes configured beside the
    stacking have started their services."""
    info = stack_controller(ctx, settings)
    release, controller = ctx.config.release, ctx.controller
    verify = ctx.state[VERIFY]
    tempest_conf = str(ctx.state[NAME]["tempest_conf"])
    return Deployment(
        controller=controller.name, auth_url=verify["auth_url"] or "", username=settings.username,
        password=release.password, project=settings.project, tempest_conf=tempest_conf,
        tempest_command=tuple(info.get("tempest_command") or settings.tempest_command),
        workdir=info.get("workdir") or posixpath.dirname(posixpath.dirname(tempest_conf)),
        extra={"devstack": ctx.result.facts["devstack"], "compute_url": verify["compute_url"],
               "network_url": verify["network_url"], "sandbox": bool(info.get("sandbox")),
               "paths": dict(ctx.state[NAME]), "verify": dict(verify)},
    )


def collect(ctx: ScenarioContext, settings: DevstackSettings) -> None:
    """Fetch DevStack's logs and configs: from where this scenario's stack.sh put them,
    else where the reused deployment's did (``--reuse-deployment``), else the settings'."""
    reused = (ctx.deployment.extra.get("paths") if ctx.deployment is not None else None) or None
    where = ctx.state.get(NAME) or reused or {"logdir": settings.logdir, "config_dirs": settings.config_dirs,
                                              "tempest_conf": settings.tempest_conf}
    try:
        transport = ctx.transport(ctx.controller)
        counts = collector.collect_controller(
            ctx, transport, logdir=where["logdir"], config_dirs=list(where["config_dirs"]),
            tempest_conf=where["tempest_conf"], timeout=ctx.call_timeout(600))
        ctx.log.info("collected from %s: %s", ctx.controller.name, counts)
    except InfrastructureError as exc:
        ctx.log.warning("collection from %s incomplete: %s", ctx.controller.name, exc)


@hvrt.hookimpl
def hvrt_preflight_host(host: Host, run: RunContext, transport: Transport, timeout: float) -> list[dict[str, Any]] | None:
    if host.role != "controller" or selected_deployer(run.config) != NAME:
        return None
    return preflight(host, transport, load_settings(run.config, host), timeout)


def planned_local_conf(config: Config, scenario: Scenario, controller: Host) -> str:
    """The local.conf :func:`deploy` would upload for ``scenario`` (the password masked;
    the DevStack ref as configured: whether it is a tag is known only at deploy time)."""
    settings = load_settings(config, controller)
    image = scenario.profile.image
    inputs = localconf.StackInputs(
        host_ip=controller.address, password=MASK, dest=settings.dest, logdir=settings.logdir,
        image_paths=[posixpath.join(settings.image_cache, stack.image_name(image.url))] if image.url else [],
        heat_image_path=(posixpath.join(settings.image_cache, stack.image_name(image.heat_url))
                         if image.heat_url else None),
        checkout=config.release.devstack_branch or "(not set)", extra_vars=dict(settings.localrc),
        post_config=settings.post_config, physical_interface=settings.physical_interface,
        networking_hyperv=settings.networking_hyperv, hyperv_plugin=hyperv_plugin.planned_url(settings.dest))
    return localconf.render_local_conf(scenario.profile, config.release, inputs)


@hvrt.hookimpl
def hvrt_effective_values(config: Config, scenario: Scenario, controller: Host | None) -> dict[str, Any] | None:
    if controller is None or selected_deployer(config) != NAME:
        return None
    return {"local_conf": planned_local_conf(config, scenario, controller)}


@hvrt.hookimpl
def hvrt_deploy(ctx: ScenarioContext) -> Deployment | None:
    if selected_deployer(ctx.config) != NAME:
        return None
    return deploy(ctx, load_settings(ctx.config, ctx.controller))


@hvrt.hookimpl
def hvrt_check_deployment(ctx: ScenarioContext, deployment: Deployment) -> dict[str, Any] | None:
    """The start stage's health check and cell mapping, for a cloud this plugin stacked:
    in this run, or in the run a ``--reuse-deployment`` run took it from."""
    if selected_deployer(ctx.config) != NAME:
        return None
    if VERIFY not in ctx.state:
        recorded = deployment.extra.get("verify")
        if not recorded:
            return None
        ctx.state[VERIFY] = dict(recorded)
    return verify_deployment(ctx, load_settings(ctx.config, ctx.controller))


@hvrt.hookimpl
def hvrt_collect(ctx: ScenarioContext) -> None:
    if selected_deployer(ctx.config) == NAME:
        collect(ctx, load_settings(ctx.config, ctx.controller))


def unstack(ctx: ScenarioContext, settings: DevstackSettings) -> None:
    """``unstack.sh`` in the DevStack checkout; the outcome goes to ``result.facts["teardown"]``."""
    host = ctx.controller.name
    log: stack.StreamedLog | None = None
    try:
        transport = ctx.transport(ctx.controller)
        log = stack.StreamedLog(ctx, f"logs/{host}/unstack.sh.log")
        code = stack.run_script(ctx, transport, settings.devstack_dir, "unstack.sh", log,
                                ctx.call_timeout(UNSTACK_TIMEOUT), required=False)
        tail = "\n".join(log.tail)
    except HvrtError as exc:
        ctx.record_teardown(host, "unstack", ok=False, detail=str(getattr(exc, "message", exc)))
        return
    except Exception as exc:  # teardown must not raise: whatever went wrong is recorded
        ctx.record_teardown(host, "unstack", ok=False, detail=f"{type(exc).__name__}: {exc}")
        return
    finally:
        if log is not None:
            log.close()
    ctx.record_teardown(host, "unstack", ok=code == 0, detail="unstack.sh exited 0" if code == 0 else
                        f"unstack.sh exited {code}: {tail[-400:]}", exit_code=code)


@hvrt.hookimpl
def hvrt_teardown(ctx: ScenarioContext) -> None:
    if selected_deployer(ctx.config) != NAME or not ctx.destroys("deploy"):
        return
    if ctx.run.cancel.is_set():  # Ctrl-C: end quickly, leave the controller as it is
        ctx.record_teardown(ctx.controller.name, "unstack", ok=False, detail="run interrupted: left stacked")
        return
    unstack(ctx, load_settings(ctx.config, ctx.controller))
