"""The WinRM configurator: prepares one Hyper-V node for a scenario (``configure`` stage)
and starts its compute services once the cloud is deployed (``start`` stage).

It applies the node's :class:`~hvrt.nodestate.NodeState` (computed once in the core,
saved as ``config/<node>/node-state.json`` with secrets masked). Steps, in order,
each recorded with its duration:

1. ``vswitch``: use the switch the config names; create it only when the config says
   how; never change or remove an existing one.
2. ``upload_installer`` / ``download_installer``: bring the MSI to the node (a local
   file checked against ``release.installer.sha256`` first) and compare its SHA-256
   there; a mismatch fails the node before anything is uninstalled or run.
3. ``uninstall``: the previous compute installer and its install folder.
4. ``install``: msiexec, unattended, with the state's features and properties; the
   node checks the hash once more right before msiexec starts.
5. ``ini``: the state's INI values.
6. ``live_migration``: when the state manages it.

``configure`` runs beside ``deploy`` (the controller stacks meanwhile), so the services
wait: :func:`start_node`, in the ``start`` stage after both, restarts them against the
cloud that now exists and checks they run (step ``services``), as the legacy tool
restarted the computes after ``stack.sh``.

A failing step raises :class:`ConfigurationFailed` naming the node and the step.
"""
from __future__ import annotations

import base64
import json
import time
from collections.abc import Callable
from pathlib import Path, PureWindowsPath
from typing import Any

from hvrt import nodestate
from hvrt.config.model import Host
from hvrt.context import ScenarioContext
from hvrt.errors import ConfigurationFailed, HvrtError
from hvrt.installer import local_installer
from hvrt.results.layout import safe_name
from hvrt_winrm import settings as S
from hvrt_winrm.quoting import msiexec_install_arguments


class NodeConfigurator:
    def __init__(self, ctx: ScenarioContext, node: Host) -> None:
        self.ctx = ctx
        self.node = node
        self.transport: Any = ctx.transport(node)
        self.state = nodestate.for_context(ctx, node)
        for text in self.state.secret_texts():
            ctx.redactor.add(text)
        self.steps: list[dict[str, Any]] = []
        self.record: dict[str, Any] = {"configurator": "winrm", "product_version": None,
                                       "installer_sha256": None, "features": None, "steps": self.steps}

    def call(self, function: str, params: dict[str, Any] | None = None, timeout: float = 600) -> Any:
        return self.transport.invoke(function, params or {}, timeout=self.ctx.call_timeout(timeout))

    def fail(self, message: str, step: str, detail: str = "") -> ConfigurationFailed:
        return ConfigurationFailed(message, host=self.node.name, step=step, detail=detail)

    def step(self, name: str, action: Callable[[], dict[str, Any] | None]) -> None:
        started = time.monotonic()
        self.ctx.log.info("[%s] configure: %s", self.node.name, name)
        try:
            detail = action() or {}
        except ConfigurationFailed:
            self.steps.append({"step": name, "ok": False, "duration": round(time.monotonic() - started, 3)})
            raise
        except HvrtError as exc:
            self.steps.append({"step": name, "ok": False, "duration": round(time.monotonic() - started, 3)})
            raise self.fail(f"{name} failed: {getattr(exc, 'message', exc)}", name,
                            getattr(exc, "detail", "")) from None
        self.steps.append({"step": name, "ok": True, "duration": round(time.monotonic() - started, 3), **detail})

    # ---------------------------------------------------------------------- steps
    def run(self) -> dict[str, Any]:
        saved = f"config/{safe_name(self.node.name)}/node-state.json"
        self.ctx.save(saved, json.dumps(self.state.to_dict(), indent=2) + "\n")
        self.record["node_state"] = saved
        for name in self.state.ini:
            S.check_ini_name(name, self.node.name)
        self.step("vswitch", self.vswitch)
        package = self.stage_installer()
        self.step("uninstall", self.uninstall)
        self.step("install", lambda: self.install(package))
        self.step("ini", self.apply_ini)
        if self.state.live_migration.managed:
            self.step("live_migration", self.live_migration)
        return self.record

    def vswitch(self) -> dict[str, Any]:
        """Use the switch the config names; create it only when the config says how."""
        wanted = self.state.vswitch
        found = (self.call("Get-HvrtHostSettings", {}, 120).get("vmswitches") or {}).get(wanted.name)
        where = f"lab.nodes.{self.node.name}.hyperv.vswitch"
        if found is not None:
            actual = str(found.get("type"))
            if actual != wanted.type:
                raise self.fail(
                    f"virtual switch {wanted.name!r} is {actual} but the configuration needs {wanted.type}; "
                    f"hvrt never changes or removes an existing switch: fix the switch on the node or {where}",
                    "vswitch")
            return {"vswitch": wanted.name, "type": actual, "created": False}
        if not wanted.create:
            raise self.fail(
                f"virtual switch {wanted.name!r} does not exist and the configuration does not say how to "
                f"create it: create it on the node (an External switch on the adapter the VMs use) or set "
                f"{where}.create (external with adapter:, internal or private)", "vswitch")
        done = self.call("Set-HvrtVMSwitch", {"name": wanted.name, "type": wanted.type, "create": True,
                                              "adapter": wanted.adapter,
                                              "allow_management_os": wanted.allow_management_os}, 300)
        return {"vswitch": done.get("name"), "type": done.get("type"), "created": bool(done.get("created"))}

    def uninstall(self) -> dict[str, Any]:
        done = self.call("Uninstall-HvrtCompute", {"name_like": self.state.product,
                                                   "leftovers": [self.state.install_dir]})
        return {"removed": done.get("removed", [])}

    def stage_installer(self) -> dict[str, Any]:
        """Put the MSI on the node and check it there, before the old install is removed:
        ``{"package": path on the node, "sha256": what it must hash to}``."""
        installer = self.ctx.config.release.installer
        if installer.path:
            try:
                local, digest = local_installer(self.ctx.config)
            except ConfigurationFailed as exc:
                raise self.fail(exc.message, "install") from None
            assert local is not None
            remote = f"{S.WORK_DIR}\\installer\\{PureWindowsPath(local.name).name}"
            self.step("upload_installer", lambda: self._upload(local, remote))
            return {"package": remote, "sha256": digest}
        if installer.url:
            name = installer.url.rstrip("/").rsplit("/", 1)[-1] or "installer.msi"
            safe = "".join(c for c in name if c.isalnum() or c in "._-") or "installer.msi"
            package = {"package": f"{S.WORK_DIR}\\installer\\{safe}",
                       "sha256": installer.sha256.upper() if installer.sha256 else None}
            self.step("download_installer", lambda: self._download(installer.url, package))
            return package
        raise self.fail("no installer configured (release.installer.url or .path)", "install")

    def _download(self, url: str, package: dict[str, Any]) -> dict[str, Any]:
        done = self.call("Save-HvrtInstaller", {**package, "url": url}, 1800)
        if not package["sha256"]:
            package["sha256"] = done.get("sha256")
        return {"package": done.get("package"), "sha256": done.get("sha256")}

    def _upload(self, local: Path, remote: str) -> dict[str, Any]:
        self.transport.put(local, remote, timeout=self.ctx.call_timeout(1800))
        return {"remote": remote}

    def install(self, package: dict[str, Any]) -> dict[str, Any]:
        state = self.state
        arguments = msiexec_install_arguments(package["package"], S.MSI_LOG, [], state.msi_properties())
        params = {**package, "arguments": arguments, "product": state.product, "features": list(state.features),
                  "optional_features": list(state.optional_features)}
        result = self.call("Install-HvrtMsi", params, 3600)
        sha = str(result.get("sha256") or "").upper() or None
        self.record["installer_sha256"] = sha
        installed = [str(f) for f in result.get("features") or []]
        self.record["features"] = installed
        code = int(result.get("exit_code", -1))
        if code not in (0, 3010):
            raise self.fail(f"msiexec exited {code}", "install", self._msi_log_tail())
        self.record["product_version"] = result.get("version")
        return {"exit_code": code, "version": result.get("version"), "sha256": sha, "features": installed}

    def _msi_log_tail(self) -> str:
        try:
            info = self.call("Get-HvrtItem", {"path": S.MSI_LOG, "hash": False}, 60)
            if not info.get("exists"):
                return ""
            start = max(0, int(info["length"]) - 4096)
            chunk = self.call("Read-HvrtChunk", {"path": S.MSI_LOG, "offset": start, "length": 4096}, 60)
            return self.ctx.redactor.text(base64.b64decode(chunk["data"]).decode("utf-8", "replace"))
        except HvrtError:
            return ""

    def apply_ini(self) -> dict[str, Any]:
        changed = {}
        for name, ini in self.state.ini.items():
            done = self.call("Set-HvrtIniValues", {"path": ini.path, "values": ini.values()}, 120)
            changed[name] = done.get("changed", 0)
        return {"changed": changed}

    def live_migration(self) -> dict[str, Any]:
        wanted = self.state.live_migration
        params = {"enabled": wanted.enabled, "networks": list(wanted.networks),
                  "authentication": wanted.authentication, "max_migrations": wanted.max_migrations,
                  "performance": wanted.performance}
        return {"live_migration": self.call("Set-HvrtLiveMigration", params, 300)}

    def restart_services(self) -> dict[str, Any]:
        status = self.call("Restart-HvrtServices", {"names": list(self.state.services),
                                                    "optional": list(self.state.optional_services)}, 600)
        stopped = sorted(n for n, s in status.items() if s != "Running")
        if stopped:
            raise self.fail(f"services not running after restart: {', '.join(stopped)}", "services")
        return {"services": status}


def configure_node(ctx: ScenarioContext, node: Host) -> dict[str, Any]:
    return NodeConfigurator(ctx, node).run()


def start_node(ctx: ScenarioContext, node: Host) -> dict[str, Any]:
    """The ``start`` stage on one node: restart its compute services, check they run."""
    configurator = NodeConfigurator(ctx, node)
    configurator.step("services", configurator.restart_services)
    return {"configurator": "winrm", "steps": configurator.steps}
