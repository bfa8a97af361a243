"""Pre-flight checks of a Hyper-V node (``hvrt_preflight_host`` of the winrm plugin).

Run by ``hvrt preflight``, before the first scenario of ``hvrt run`` and in every
scenario's ``provision`` stage. First a TCP connection to the WinRM port (is the node
up, is the listener there), then one module call (``Get-HvrtPreflight``) that proves
the credentials and brings back what the other checks need: OS build and PowerShell
version, Hyper-V role and the vmms service, the node's clock against the runner's
(at most 300 s apart, or Kerberos, live migration and token checks break), free disk
on C: and WinRM's ``MaxEnvelopeSizekb``. Each failed check carries its fix. When the
node cannot be reached or logged on to, the remaining checks are reported as not run.

The PowerShell check is version-aware: the node must run at least PowerShell 3.0 (the
module's floor) and at least what its ``os`` label includes or its ``winrm:
powershell:`` option declares (WMF 5.1), as ``$PSVersionTable.PSVersion`` reports it;
the Hyper-V check needs the Hyper-V module listed. A node whose OS the plugin refuses
(:mod:`hvrt_winrm.support`: 2008 R2, Nano Server) is never sent the module, and a node
whose PowerShell cannot run the host loop at all (2.0: no ``ConvertFrom-Json``) is
reported as such rather than as a logon failure.
"""
from __future__ import annotations

import socket
import time
from typing import Any

from hvrt.config.model import Host
from hvrt.errors import HvrtError
from hvrt_winrm.options import WinRMOptions
from hvrt_winrm.support import PREREQUISITE, SUPPORT, expected_powershell, node_problems

OS_BUILDS = {"2008r2": "7601", "2012": "9200", "2012r2": "9600", "2016": "14393", "2019": "17763",
             "2022": "20348", "2025": "26100"}
BUILD_LABELS = {build: label for label, build in OS_BUILDS.items()}
MAX_CLOCK_SKEW = 300.0
MIN_FREE_DISK_GB = 20.0
MIN_ENVELOPE_KB = 150
"""hvrt's transport keeps every request under 150 KiB (Windows' oldest default)."""
SUGGESTED_ENVELOPE_KB = 8192
MIN_POWERSHELL = (3, 0)
"""hvrt's PowerShell module uses the CIM cmdlets and ConvertTo-Json (PowerShell 3.0)."""
WMF_FIX = "install Windows Management Framework 5.1 (PowerShell 5.1) on the node"
CHECKS = ("reachable", "auth", "os", "powershell", "hyperv", "clock_skew", "free_disk", "max_envelope")

ENVELOPE_FIX = (f"set MaxEnvelopeSizekb to {SUGGESTED_ENVELOPE_KB}: "
                f'winrm set winrm/config @{{MaxEnvelopeSizekb="{SUGGESTED_ENVELOPE_KB}"}}')
CLOCK_FIX = "sync the clock (w32tm /resync), and point the node at the lab's time source"
HYPERV_FIX = ("install the Hyper-V role and start its service: "
              "Install-WindowsFeature Hyper-V -IncludeManagementTools -Restart; Start-Service vmms")


def _record(node: Host, check: str, ok: bool | None, detail: str, fix: str = "") -> dict[str, Any]:
    return {"host": node.name, "check": check, "ok": ok, "detail": detail, "fix": "" if ok else fix}


def _version(text: str) -> tuple[int, ...]:
    parts = []
    for piece in str(text).split("."):
        if not piece.isdigit():
            break
        parts.append(int(piece))
    return tuple(parts)


def evaluate(node: Host, info: dict[str, Any], settings: dict[str, Any]) -> list[dict[str, Any]]:
    """The checks after a successful ``Get-HvrtPreflight`` (reachable and auth passed)."""
    max_skew = float(settings.get("max_clock_skew", MAX_CLOCK_SKEW))
    min_free = float(settings.get("min_free_disk_gb", MIN_FREE_DISK_GB))
    os_info = info.get("os") or {}
    found = str(os_info.get("build", "?"))
    checks = []
    build = OS_BUILDS.get(node.os or "")
    if build is not None:
        real = BUILD_LABELS.get(found)
        fix = (f"label the node with the OS it runs (labels: {{os: {real}}}) or reinstall it" if real
               else f"install Windows Server {node.os} (build {build}) on the node, or correct its os label")
        checks.append(_record(node, "os", found == build,
                              f"{os_info.get('caption', '?')} build {found}; label os={node.os} expects {build}", fix))
    else:
        checks.append(_record(node, "os", True, f"{os_info.get('caption', '?')} build {found} (label not checked)"))
    checks.append(powershell_check(node, str(info.get("powershell") or "?")))
    hyperv_ok = bool(info.get("hyperv")) and info.get("vmms") == "Running"
    checks.append(_record(node, "hyperv", hyperv_ok,
                          f"Hyper-V module {'present' if info.get('hyperv') else 'missing'}, "
                          f"vmms {info.get('vmms') or 'not installed'}", HYPERV_FIX))
    skew = float(info.get("clock_skew", 0.0))
    checks.append(_record(node, "clock_skew", abs(skew) <= max_skew,
                          f"{skew:+.1f}s against the runner (limit {max_skew:.0f}s)", CLOCK_FIX))
    free_gb = float(info.get("free_disk_bytes", 0)) / 1024**3
    checks.append(_record(node, "free_disk", free_gb >= min_free,
                          f"{free_gb:.1f} GiB free on C: (need {min_free:.0f} GiB)",
                          f"free at least {min_free - free_gb:.1f} GiB on C: (old instances, "
                          "C:\\OpenStack\\Instances, Windows\\SoftwareDistribution)"))
    envelope = int((info.get("winrm") or {}).get("max_envelope_kb", 0) or 0)
    checks.append(_record(node, "max_envelope", envelope >= MIN_ENVELOPE_KB,
                          f"MaxEnvelopeSizekb={envelope} (need {MIN_ENVELOPE_KB} or more)", ENVELOPE_FIX))
    return checks


def powershell_check(node: Host, found: str) -> dict[str, Any]:
    """PowerShell ``found`` against the module's floor and what the node should run."""
    expected = expected_powershell(node)
    floor = max(MIN_POWERSHELL, _version(expected) if expected else MIN_POWERSHELL)
    if _version(found) >= floor:
        return _record(node, "powershell", True, f"PowerShell {found} (need {'.'.join(map(str, floor))} or later)")
    title = SUPPORT[node.os].title if node.os in SUPPORT else "this node"
    if _version(found) < MIN_POWERSHELL:
        detail = f"PowerShell 3.0 or later is required on {title}: PowerShell {found} found"
    elif expected == "5.1" and node.os in SUPPORT and SUPPORT[node.os].included != "5.1":
        detail = f"WMF 5.1 is required on {title} (winrm.powershell: 5.1): PowerShell {found} found"
    else:
        detail = f"PowerShell {expected} is required on {title}: PowerShell {found} found"
    return _record(node, "powershell", False, detail, WMF_FIX)


def _host_loop_missing(message: str) -> bool:
    """The node's PowerShell has no JSON cmdlets (2.0): the host loop itself cannot run."""
    return "is not recognized" in message and ("ConvertFrom-Json" in message or "ConvertTo-Json" in message)


def _not_run(node: Host, after: str) -> list[dict[str, Any]]:
    rest = CHECKS[CHECKS.index(after) + 1:]
    return [_record(node, check, None, f"not checked: {after} failed") for check in rest]


def _auth_fix(node: Host, message: str) -> str:
    if "credentials" in message or "rejected" in message:
        return (f"check the user ({node.user}) and password of lab.nodes.{node.name} (the variable or file "
                "the config names), and that the account is a local administrator")
    if "TLS" in message:
        return "check winrm: ca_bundle (the CA of the node's certificate) and cert_validation"
    return ("check the node's WinRM service and listener (winrm enumerate winrm/config/listener) "
            "and that PowerShell remoting is enabled (Enable-PSRemoting -Force)")


def check_node(transport: Any, node: Host, settings: dict[str, Any], timeout: float) -> list[dict[str, Any]]:
    """Every check of one node, each a record with its fix; never raises for a failure."""
    deadline = time.monotonic() + timeout
    options = WinRMOptions.from_host(node)
    port = options.effective_port
    try:
        with socket.create_connection((node.address, port), timeout=max(0.5, min(10.0, timeout))):
            pass
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        fix = (f"start the node or its WinRM service and open TCP {port} "
               f"(winrm quickconfig{' -transport:https' if options.scheme == 'https' else ''}), "
               f"or correct lab.nodes.{node.name}.address / winrm.port")
        return [_record(node, "reachable", False, f"{node.address}:{port}: {reason}", fix), *_not_run(node, "reachable")]
    checks = [_record(node, "reachable", True, f"{options.scheme} {node.address}:{port} open")]
    refused = node_problems(node)
    if refused:  # the module was never meant for this OS: do not send it
        return [*checks, _record(node, "auth", None, "not checked: the node's OS is refused"),
                _record(node, "os", False, f"{refused[0][1]} (lab.nodes.{node.name}.{refused[0][0]})",
                        f"use a node with {PREREQUISITE}"), *_not_run(node, "os")]
    try:
        info = transport.invoke("Get-HvrtPreflight", {"runner_time": time.time()},
                                timeout=max(1.0, deadline - time.monotonic()))
    except HvrtError as exc:
        message = str(getattr(exc, "message", exc))
        if _host_loop_missing(message):
            checks.append(_record(node, "auth", True, f"{node.user} ({options.auth}); hvrt's host loop did not start"))
            checks.append(_record(node, "os", None, "not checked: hvrt's host loop did not start"))
            checks.append(_record(node, "powershell", False, "PowerShell 3.0 or later is required: the node's "
                                  f"PowerShell has no JSON cmdlets ({message.splitlines()[0][:160]})", WMF_FIX))
            return checks + _not_run(node, "powershell")
        checks.append(_record(node, "auth", False, message, _auth_fix(node, message)))
        return checks + _not_run(node, "auth")
    checks.append(_record(node, "auth", True, f"{node.user} ({options.auth}), hvrt's module loaded"))
    return checks + evaluate(node, info, settings)

