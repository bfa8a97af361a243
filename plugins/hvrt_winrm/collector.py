"""Evidence from each Hyper-V node, gathered in the ``collect`` stage (also after a failure).

Writes, through ``ctx.save`` (atomic, secrets masked):
``hosts/<node>/hotfixes.txt|hotfixes.json|systeminfo.txt|systeminfo.json|product.json|
services.json``, ``config/<node>/<file>`` (nova.conf and the agent configs),
``logs/<node>/...`` (the compute log folder) and ``logs/<node>/msi-install.log``.
A missing item is logged and skipped: collecting never fails the scenario.
"""
from __future__ import annotations

import json
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from hvrt.config.model import Host
from hvrt.context import ScenarioContext
from hvrt.errors import HvrtError
from hvrt.results.layout import safe_name
from hvrt_winrm import settings as S


class NodeCollector:
    def __init__(self, ctx: ScenarioContext, node: Host) -> None:
        self.ctx = ctx
        self.node = node
        self.dir = safe_name(node.name)
        self.transport: Any = ctx.transport(node)
        self.missing: list[str] = []

    def _try(self, what: str, action: Callable[[], None]) -> None:
        try:
            action()
        except HvrtError as exc:
            self.missing.append(what)
            self.ctx.log.warning("[%s] collect %s: %s", self.node.name, what, exc)

    def call(self, function: str, params: dict[str, Any] | None = None) -> Any:
        return self.transport.invoke(function, params or {}, timeout=self.ctx.call_timeout(300))

    def save_json(self, rel: str, value: Any) -> None:
        self.ctx.save(rel, json.dumps(value, indent=2, sort_keys=True, default=str) + "\n")

    def run(self) -> list[str]:
        host = f"hosts/{self.dir}"
        self._try("hotfixes", self.hotfixes)
        self._try("systeminfo", self.systeminfo)
        self._try("product", lambda: self.save_json(f"{host}/product.json", self.call("Get-HvrtProduct",
                                                                                        {"name_like": S.PRODUCT})))
        self._try("services", lambda: self.save_json(f"{host}/services.json", self.call("Get-HvrtServices")))
        self._try("config", self.configs)
        self._try("logs", self.logs)
        self._try("msi log", lambda: self.fetch(S.MSI_LOG, f"logs/{self.dir}/msi-install.log"))
        return self.missing

    def hotfixes(self) -> None:
        data = self.call("Get-HvrtHotfixes")
        self.ctx.save(f"hosts/{self.dir}/hotfixes.txt", str(data.get("text", "")))
        self.save_json(f"hosts/{self.dir}/hotfixes.json", data.get("items", []))

    def systeminfo(self) -> None:
        data = self.call("Get-HvrtSystemInfo")
        self.ctx.save(f"hosts/{self.dir}/systeminfo.txt", str(data.get("text", "")))
        self.save_json(f"hosts/{self.dir}/systeminfo.json", data.get("data", {}))

    def fetch(self, remote: str, rel: str) -> None:
        with tempfile.TemporaryDirectory(prefix="hvrt-collect-") as tmp:
            local = Path(tmp) / "item"
            self.transport.get(remote, local, timeout=self.ctx.call_timeout(600))
            self.ctx.save(rel, local.read_bytes())

    def configs(self) -> None:
        etc = S.INSTALL_DIR + "\\etc"
        for item in self.call("Get-HvrtChildItem", {"path": etc}):
            name = safe_name(item["path"].replace("\\", "/").rsplit("/", 1)[-1])
            self._try(f"config {name}", lambda item=item, name=name: self.fetch(f"{etc}\\{item['path']}",
                                                                                 f"config/{self.dir}/{name}"))

    def logs(self) -> None:
        info = self.call("Get-HvrtItem", {"path": S.LOG_DIR, "hash": False})
        if not info.get("exists"):
            raise _Missing(f"no log folder {S.LOG_DIR}")
        with tempfile.TemporaryDirectory(prefix="hvrt-collect-") as tmp:
            local = Path(tmp) / "logs"
            self.transport.get(S.LOG_DIR, local, timeout=self.ctx.call_timeout(1200))
            for item in sorted(local.rglob("*")):
                if item.is_file():
                    rel = "/".join(safe_name(p) for p in item.relative_to(local).parts)
                    self.ctx.save(f"logs/{self.dir}/{rel}", item.read_bytes())


class _Missing(HvrtError):
    pass


def collect_node(ctx: ScenarioContext, node: Host) -> list[str]:
    return NodeCollector(ctx, node).run()
