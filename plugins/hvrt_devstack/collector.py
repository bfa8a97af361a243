"""Collect the controller's evidence after the deploy and test stages (and after a failure).

DevStack's log folder goes to ``logs/<controller>/devstack/``; each service's config
folder under ``/etc`` (nova, neutron, keystone, glance, cinder, ...) and tempest.conf
to ``config/<controller>/``. Every file passes through the run's redactor, so
passwords, tokens and URL credentials are masked before anything is written; binary
files are skipped. A missing folder is logged, never an error.
"""
from __future__ import annotations

import posixpath
import tempfile
from pathlib import Path

from hvrt.context import ScenarioContext
from hvrt.errors import InfrastructureError
from hvrt.transport.base import Transport


def _save_tree(ctx: ScenarioContext, local: Path, prefix: str) -> int:
    saved = 0
    for path in sorted(p for p in local.rglob("*") if p.is_file()):
        data = path.read_bytes()
        rel = f"{prefix}/{path.relative_to(local).as_posix()}"
        if b"\0" in data[:8192]:
            ctx.log.info("not collecting binary file %s", rel)
            continue
        ctx.save(rel, data.decode("utf-8", "replace"))
        saved += 1
    return saved


def fetch(ctx: ScenarioContext, transport: Transport, remote: str, prefix: str, timeout: float) -> int:
    """Copy a remote file or folder into the results (redacted); returns the files saved."""
    with tempfile.TemporaryDirectory(prefix="hvrt-collect-") as tmp:
        local = Path(tmp) / "item"
        try:
            transport.get(remote, local, timeout=timeout)
        except InfrastructureError as exc:
            ctx.log.info("not collected from %s: %s", transport.host_name, exc)
            return 0
        if local.is_file():
            data = local.read_bytes()
            if b"\0" in data[:8192]:
                return 0
            ctx.save(prefix, data.decode("utf-8", "replace"))
            return 1
        return _save_tree(ctx, local, prefix)


def collect_controller(ctx: ScenarioContext, transport: Transport, *, logdir: str, config_dirs: list[str],
                       tempest_conf: str | None, timeout: float) -> dict[str, int]:
    name = ctx.controller.name
    counts = {"logs": fetch(ctx, transport, logdir, f"logs/{name}/devstack", timeout)}
    configs = 0
    for folder in config_dirs:
        configs += fetch(ctx, transport, folder, f"config/{name}/etc/{posixpath.basename(folder.rstrip('/'))}",
                         timeout)
    if tempest_conf:
        configs += fetch(ctx, transport, tempest_conf, f"config/{name}/tempest.deployed.conf", timeout)
    counts["config"] = configs
    return counts
