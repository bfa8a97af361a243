"""The WinRM configurator: prepares one Hyper-V node for a scenario (``configure`` stage).

Steps, in order, each recorded with its duration: uninstall the previous compute
installer and its leftovers; bring the MSI to the node (upload a local file, or let
the node download the URL); install it unattended with features and properties;
apply the INI values the seed dimensions imply plus the profile's overrides; create
or check the virtual switch; configure live migration when the profile asks for
it; restart the compute services and check they run. A failing step raises
:class:`ConfigurationFailed` naming the node and the step.
"""
from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path, PureWindowsPath
from typing import Any

from hvrt.config.model import Host
from hvrt.context import ScenarioContext
from hvrt.errors import ConfigurationFailed, HvrtError
from hvrt_winrm import settings as S
from hvrt_winrm.quoting import msiexec_install_arguments


class NodeConfigurator:
    def __init__(self, ctx: ScenarioContext, node: Host) -> None:
        self.ctx = ctx
        self.node = node
        self.transport: Any = ctx.transport(node)
        self.hs = S.host_settings(node, ctx.config.plugin_settings("winrm"))
        self.steps: list[dict[str, Any]] = []
        self.record: dict[str, Any] = {"configurator": "winrm", "product_version": None,
                                       "installer_sha256": None, "steps": self.steps}

    def call(self, function: str, params: dict[str, Any] | None = None, timeout: float = 600) -> Any:
        return self.transport.invoke(function, params or {}, timeout=self.ctx.call_timeout(timeout))

    def step(self, name: str, action: Callable[[], dict[str, Any] | None]) -> None:
        started = time.monotonic()
        self.ctx.log.info("[%s] configure: %s", self.node.name, name)
        try:
            detail = action() or {}
        except ConfigurationFailed:
            raise
        except HvrtError as exc:
            self.steps.append({"step": name, "ok": False, "duration": time.monotonic() - started})
            raise ConfigurationFailed(f"{name} failed: {getattr(exc, 'message', exc)}", host=self.node.name,
                                      step=name, detail=getattr(exc, "detail", "")) from None
        self.steps.append({"step": name, "ok": True, "duration": round(time.monotonic() - started, 3), **detail})

    # ---------------------------------------------------------------------- steps
    def run(self) -> dict[str, Any]:
        installer = self.ctx.config.release.installer
        feature_list = S.features(self.ctx.profile, installer.features)
        ini_values = S.merged_ini(S.dimension_ini(self.ctx.profile, self.node, self.hs),
                                  self.ctx.profile.ini_for(self.node.name))
        self.step("uninstall", self.uninstall)
        package = self.stage_installer(installer)
        self.step("install", lambda: self.install(package, installer, feature_list))
        self.step("ini", lambda: self.apply_ini(ini_values))
        self.step("vswitch", self.vswitch)
        if self.ctx.profile.live_migration:
            self.step("live_migration", self.live_migration)
        self.step("services", lambda: self.restart_services(S.services(feature_list)))
        return self.record

    def uninstall(self) -> dict[str, Any]:
        done = self.call("Uninstall-HvrtCompute", {"name_like": S.PRODUCT, "leftovers": [S.INSTALL_DIR]})
        return {"removed": done.get("removed", [])}

    def stage_installer(self, installer: Any) -> dict[str, Any]:
        if installer.path:
            local = Path(installer.path)
            remote = f"{S.WORK_DIR}\\installer\\{PureWindowsPath(local.name).name}"
            self.step("upload_installer", lambda: self._upload(local, remote))
            return {"package": remote}
        if installer.url:
            name = installer.url.rstrip("/").rsplit("/", 1)[-1] or "installer.msi"
            safe = "".join(c for c in name if c.isalnum() or c in "._-") or "installer.msi"
            return {"package": f"{S.WORK_DIR}\\installer\\{safe}", "url": installer.url}
        raise ConfigurationFailed("no installer configured (release.installer.url or .path)",
                                  host=self.node.name, step="install")

    def _upload(self, local: Path, remote: str) -> dict[str, Any]:
        self.transport.put(local, remote, timeout=self.ctx.call_timeout(1800))
        return {"remote": remote}

    def install(self, package: dict[str, Any], installer: Any, feature_list: list[str]) -> dict[str, Any]:
        password = self.ctx.config.release.password
        secret = password.reveal() if password is not None else ""
        self.ctx.redactor.add(secret)
        props = S.msi_properties(self.ctx.controller.address, secret, self.hs, dict(installer.properties))
        arguments = msiexec_install_arguments(package["package"], S.MSI_LOG, feature_list, props)
        result = self.call("Install-HvrtMsi", {**package, "arguments": arguments, "product": S.PRODUCT}, 3600)
        sha = str(result.get("sha256") or "").upper() or None
        self.record["installer_sha256"] = sha
        if installer.sha256 and sha and installer.sha256.upper() != sha:
            raise ConfigurationFailed(f"installer SHA-256 {sha} does not match the configured {installer.sha256}",
                                      host=self.node.name, step="install")
        code = int(result.get("exit_code", -1))
        if code not in (0, 3010):
            raise ConfigurationFailed(f"msiexec exited {code}", host=self.node.name, step="install",
                                      detail=self._msi_log_tail())
        self.record["product_version"] = result.get("version")
        return {"exit_code": code, "version": result.get("version"), "sha256": sha, "features": feature_list}

    def _msi_log_tail(self) -> str:
        try:
            info = self.call("Get-HvrtItem", {"path": S.MSI_LOG, "hash": False}, 60)
            if not info.get("exists"):
                return ""
            import base64

            start = max(0, int(info["length"]) - 4096)
            chunk = self.call("Read-HvrtChunk", {"path": S.MSI_LOG, "offset": start, "length": 4096}, 60)
            return self.ctx.redactor.text(base64.b64decode(chunk["data"]).decode("utf-8", "replace"))
        except HvrtError:
            return ""

    def apply_ini(self, values: dict[str, dict[str, dict[str, str]]]) -> dict[str, Any]:
        changed = {}
        for fname, sections in values.items():
            path = S.config_path(fname, self.node.name)
            done = self.call("Set-HvrtIniValues", {"path": path, "values": sections}, 120)
            changed[fname] = done.get("changed", 0)
        return {"changed": changed}

    def vswitch(self) -> dict[str, Any]:
        params = {"name": self.hs["vswitch_name"], "type": self.hs["vswitch_type"],
                  "adapter": self.hs["vswitch_adapter"], "allow_management_os": True}
        done = self.call("Set-HvrtVMSwitch", params, 300)
        return {"vswitch": done.get("name"), "created": done.get("created")}

    def live_migration(self) -> dict[str, Any]:
        params = {"enabled": True, "networks": list(self.hs["live_migration_networks"]),
                  "authentication": self.hs["live_migration_auth"], "max_migrations": int(self.hs["max_migrations"]),
                  "performance": "Compression"}
        done = self.call("Set-HvrtLiveMigration", params, 300)
        return {"live_migration": done}

    def restart_services(self, names: list[str]) -> dict[str, Any]:
        status = self.call("Restart-HvrtServices", {"names": names}, 600)
        stopped = sorted(n for n, s in status.items() if s != "Running")
        if stopped:
            raise ConfigurationFailed(f"services not running after restart: {', '.join(stopped)}",
                                      host=self.node.name, step="services")
        return {"services": status}


def configure_node(ctx: ScenarioContext, node: Host) -> dict[str, Any]:
    return NodeConfigurator(ctx, node).run()
