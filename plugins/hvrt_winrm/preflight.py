"""Pre-flight checks of a leased Hyper-V node, run in the ``provision`` stage.

One module call (``Get-HvrtPreflight``) brings back what the checks need: OS and
build, Hyper-V role and the vmms service, the node's clock against the runner's
(at most 300 s apart, or Kerberos, live migration and token checks break), free
disk, and WinRM limits. A failed check raises :class:`InfrastructureError` naming
the node and the check.
"""
from __future__ import annotations

import time
from typing import Any

from hvrt.config.model import Host
from hvrt.errors import InfrastructureError

OS_BUILDS = {"2008r2": "7601", "2012": "9200", "2012r2": "9600", "2016": "14393", "2019": "17763",
             "2022": "20348", "2025": "26100"}
MAX_CLOCK_SKEW = 300.0
MIN_FREE_DISK_GB = 20.0


def evaluate(node: Host, info: dict[str, Any], settings: dict[str, Any]) -> list[dict[str, Any]]:
    max_skew = float(settings.get("max_clock_skew", MAX_CLOCK_SKEW))
    min_free = float(settings.get("min_free_disk_gb", MIN_FREE_DISK_GB))
    os_info = info.get("os") or {}
    checks = [{"host": node.name, "check": "reachable", "ok": True,
               "detail": f"{os_info.get('caption', '?')} (build {os_info.get('build', '?')})"}]
    build = OS_BUILDS.get(node.os or "")
    if build is not None:
        checks.append({"host": node.name, "check": "os", "ok": str(os_info.get("build")) == build,
                       "detail": f"label os={node.os} expects build {build}, node has {os_info.get('build')}"})
    hyperv_ok = bool(info.get("hyperv")) and info.get("vmms") == "Running"
    checks.append({"host": node.name, "check": "hyperv", "ok": hyperv_ok,
                   "detail": f"Hyper-V module {'present' if info.get('hyperv') else 'missing'}, "
                             f"vmms {info.get('vmms') or 'not installed'}"})
    skew = float(info.get("clock_skew", 0.0))
    checks.append({"host": node.name, "check": "clock_skew", "ok": abs(skew) <= max_skew,
                   "detail": f"{skew:+.1f}s against the runner (limit {max_skew:.0f}s)"})
    free_gb = float(info.get("free_disk_bytes", 0)) / 1024**3
    checks.append({"host": node.name, "check": "free_disk", "ok": free_gb >= min_free,
                   "detail": f"{free_gb:.1f} GiB free on C: (need {min_free:.0f} GiB)"})
    envelope = int((info.get("winrm") or {}).get("max_envelope_kb", 0) or 0)
    checks.append({"host": node.name, "check": "winrm", "ok": envelope >= 150,
                   "detail": f"MaxEnvelopeSizekb={envelope} (need 150 or more)"})
    return checks


def run_preflight(transport: Any, node: Host, settings: dict[str, Any], timeout: float) -> list[dict[str, Any]]:
    try:
        info = transport.invoke("Get-HvrtPreflight", {"runner_time": time.time()}, timeout=timeout)
    except InfrastructureError as exc:
        raise InfrastructureError(f"pre-flight check reachable failed: {exc.message}", host=node.name,
                                  step="provision", detail=exc.detail) from None
    checks = evaluate(node, info, settings)
    for check in checks:
        if not check["ok"]:
            raise InfrastructureError(f"pre-flight check {check['check']} failed: {check['detail']}",
                                      host=node.name, step="provision")
    return checks
