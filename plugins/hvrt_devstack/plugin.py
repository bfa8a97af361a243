"""The DevStack deployer: pre-flight of the controller, deploy, health check, collection.

Active when ``settings: deploy: {deployer: devstack}`` (the default). In the
``deploy`` stage it checks DevStack out on the controller at the release's branch or
tag (:mod:`.repo`), renders ``local.conf`` and ``local.sh`` (:mod:`.localconf`),
caches the images and runs ``unstack.sh`` + ``stack.sh`` (:mod:`.stack`), then waits
until every Hyper-V node of the scenario is in service (:mod:`.health`). The
collector (:mod:`.collector`) fetches DevStack's logs and the service configs.
"""
from __future__ import annotations

import json
import posixpath
from typing import Any

import hvrt
from hvrt.context import Deployment, ScenarioContext
from hvrt.errors import ConfigError, InfrastructureError
from hvrt_devstack import collector, health, localconf, repo, stack
from hvrt_devstack.settings import DevstackSettings, load_settings, selected_deployer

NAME = "devstack"


def node_hostnames(ctx: ScenarioContext) -> list[str]:
    """The names the nodes register with in Nova/Neutron (label ``hostname``, else the host name)."""
    return [node.labels.get("hostname", node.name) for node in ctx.nodes]


def check_health(ctx: ScenarioContext, access: health.CloudAccess, timeout: float,
                 interval: float) -> dict[str, Any]:
    record = health.wait_healthy(access, node_hostnames(ctx), uses_ovs=ctx.profile.network.uses_ovs,
                                 timeout=ctx.call_timeout(timeout), interval=interval)
    ctx.save(f"logs/{ctx.controller.name}/health.json", json.dumps(record, indent=2, sort_keys=True) + "\n")
    return record


def preflight(ctx: ScenarioContext, settings: DevstackSettings) -> list[dict[str, Any]]:
    transport = ctx.transport(ctx.controller)
    name = ctx.controller.name
    timeout = ctx.call_timeout(60)
    records = [{"host": name, "check": "reachable", "ok": transport.run(["true"], timeout=timeout).ok,
                "detail": ""}]
    git = transport.run(["git", "--version"], timeout=timeout)
    records.append({"host": name, "check": "git", "ok": git.ok, "detail": git.stdout.strip()})
    if not git.ok:
        raise InfrastructureError("git is not installed on the controller", host=name, step="provision")
    # df on the deepest folder of DEST that exists already
    df = transport.run(["sh", "-c", 'd=$1; while [ ! -e "$d" ]; do d=$(dirname "$d"); done; df -Pk "$d"',
                        "sh", settings.dest], timeout=timeout)
    try:
        free_mb = int(df.stdout.splitlines()[-1].split()[3]) // 1024
    except (IndexError, ValueError):
        raise InfrastructureError("cannot read free disk space", host=name, step="provision",
                                  detail=df.tail()) from None
    ok = free_mb >= settings.min_free_disk_mb
    records.append({"host": name, "check": "free_disk", "ok": ok,
                    "detail": f"{free_mb} MiB free under {settings.dest}, {settings.min_free_disk_mb} needed"})
    if not ok:
        raise InfrastructureError(f"only {free_mb} MiB free under {settings.dest} "
                                  f"({settings.min_free_disk_mb} MiB needed)", host=name, step="provision")
    return records


def deploy(ctx: ScenarioContext, settings: DevstackSettings) -> Deployment:
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
    )
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
    auth_url = info["auth_url"] if "auth_url" in info else settings.auth_url or f"http://{controller.address}/identity"
    access = health.CloudAccess(
        auth_url=auth_url, username=settings.username, password=release.password, project=settings.project,
        compute_url=settings.compute_url or info.get("compute_url"),
        network_url=settings.network_url or info.get("network_url"),
    )
    record = check_health(ctx, access, settings.health_timeout, settings.health_interval)
    tempest_conf = str(ctx.state[NAME]["tempest_conf"])
    return Deployment(
        controller=controller.name, auth_url=auth_url or "", username=settings.username,
        password=release.password, project=settings.project, tempest_conf=tempest_conf,
        tempest_command=tuple(info.get("tempest_command") or settings.tempest_command),
        workdir=info.get("workdir") or posixpath.dirname(posixpath.dirname(tempest_conf)),
        extra={"devstack": ctx.result.facts["devstack"], "compute_url": record["compute_url"],
               "network_url": record["network_url"], "sandbox": bool(info.get("sandbox"))},
    )


def collect(ctx: ScenarioContext, settings: DevstackSettings) -> None:
    where = ctx.state.get(NAME) or {"logdir": settings.logdir, "config_dirs": settings.config_dirs,
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
def hvrt_provision(ctx: ScenarioContext) -> list[dict[str, Any]] | None:
    if selected_deployer(ctx.config) != NAME:
        return None
    return preflight(ctx, load_settings(ctx.config, ctx.controller))


@hvrt.hookimpl
def hvrt_deploy(ctx: ScenarioContext) -> Deployment | None:
    if selected_deployer(ctx.config) != NAME:
        return None
    return deploy(ctx, load_settings(ctx.config, ctx.controller))


@hvrt.hookimpl
def hvrt_collect(ctx: ScenarioContext) -> None:
    if selected_deployer(ctx.config) == NAME:
        collect(ctx, load_settings(ctx.config, ctx.controller))
