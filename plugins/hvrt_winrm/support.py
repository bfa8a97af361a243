"""Which Windows the winrm plugin runs its PowerShell module on, decided when the config loads.

Why at load time: the module (``HvrtHyperV.psm1``) needs Windows PowerShell 3.0 and the
Hyper-V PowerShell module, and a node without them would pass ``hvrt plan`` and then fail
in the middle of a run on a missing cmdlet. So every node the plugin talks to (transport
``winrm``) that a scenario picks is checked here from what the config declares: its ``os`` label, its
``edition`` label (``nano``) and the ``winrm: powershell:`` option (WMF 5.1 installed).
A refusal is a config error naming the file, line and key, the scenarios that pick the
node, and the prerequisite; ``hvrt`` exits 2. The pre-flight later checks that the node
really runs the PowerShell declared here (:mod:`hvrt_winrm.preflight`).

The facts behind :data:`SUPPORT` are Microsoft's per-version references, as read into
``compat/commands.json`` (docs/powershell-compat.md); the table is docs/winrm.md's
"Which Windows".
"""
from __future__ import annotations

from dataclasses import dataclass

from hvrt import hookimpl
from hvrt.config.model import Config, Host
from hvrt.config.rules import candidate_nodes
from hvrt.errors import ConfigError, ConfigErrors


@dataclass(frozen=True)
class OsSupport:
    """What one Windows Server release offers the module."""

    title: str
    included: str  # the Windows PowerShell the release ships
    hyperv_module: str | None  # this project's name of its Hyper-V module, None: no module
    refused: str = ""  # why the plugin refuses the release ("" when supported)

    def powershell_choices(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys((self.included, "5.1")))


SUPPORT: dict[str, OsSupport] = {
    "2008r2": OsSupport("Windows Server 2008 R2", "2.0", None,
                        "it has no Hyper-V PowerShell module (Hyper-V is managed through WMI "
                        "root\\virtualization there, even with WMF 5.1), and its PowerShell 2.0 has no "
                        "ConvertTo-Json/ConvertFrom-Json for hvrt's request protocol"),
    "2012": OsSupport("Windows Server 2012", "3.0", "1.0"),
    "2012r2": OsSupport("Windows Server 2012 R2", "4.0", "1.1"),
    "2016": OsSupport("Windows Server 2016", "5.1", "2.0"),
    "2019": OsSupport("Windows Server 2019", "5.1", "2.0"),
    "2022": OsSupport("Windows Server 2022", "5.1", "2.0"),
    "2025": OsSupport("Windows Server 2025", "5.1", "2.0"),
}
PREREQUISITE = "Windows Server 2012 or later with the Hyper-V role"
NANO_REFUSED = ("Nano Server has no msiexec and hvrt installs the compute MSI only (the legacy tool's "
                "zip install is not carried over, docs/legacy.md D13)")


def compat_target(os_name: str | None, powershell: str | None) -> str | None:
    """The compat reference's target for a node (``2012r2-wmf51``), None when not known.

    2025 is not in the pinned reference; it is checked as 2022 (same PowerShell, same
    Hyper-V module docset generation)."""
    if os_name not in SUPPORT:
        return None
    base = "2022" if os_name == "2025" else os_name
    wmf = powershell == "5.1" and SUPPORT[os_name].included != "5.1"
    return f"{base}-wmf51" if wmf else base


def expected_powershell(host: Host) -> str | None:
    """The PowerShell version the node should report: declared, else its OS's own."""
    declared = (host.options.get("winrm") or {}).get("powershell")
    if declared is not None:
        return str(declared)
    info = SUPPORT.get(host.os or "")
    return info.included if info else None


def node_problems(host: Host) -> list[tuple[str, str]]:
    """``(key under the host, problem)`` for a node the module cannot run on."""
    if host.labels.get("edition", "").lower() == "nano":
        return [("labels.edition", f"Nano Server is refused: {NANO_REFUSED}. Prerequisite: a Server Core or "
                                   "Desktop Experience installation with the Hyper-V role")]
    info = SUPPORT.get(host.os or "")
    if info is None:
        return []
    if info.refused:
        return [("labels.os", f"{info.title} is refused: {info.refused}. Prerequisite: {PREREQUISITE} "
                              "(PowerShell 3.0 or later)")]
    declared = (host.options.get("winrm") or {}).get("powershell")
    if declared is not None and str(declared) not in info.powershell_choices():
        choices = " or ".join(info.powershell_choices())
        return [("winrm.powershell", f"{info.title} runs PowerShell {choices}, not {declared} "
                                     f"(it includes {info.included}; WMF 5.1 brings 5.1). Prerequisite: "
                                     "declare the PowerShell the node runs")]
    return []


def check_config(config: Config) -> list[ConfigError]:
    """One error per refused node reached over WinRM that a scenario picks, naming them.

    A node no scenario picks is left alone here (an imported lab may list one); the
    pre-flight refuses it without running the module (:func:`hvrt_winrm.preflight.check_node`)."""
    errors = []
    scenarios = config.scenario_profiles()
    for host in config.nodes.values():
        if host.transport != "winrm":
            continue
        users = [p.name for p in scenarios if host.name in candidate_nodes(p, config.nodes)]
        if not users:
            continue
        for key, problem in node_problems(host):
            source = host.source
            errors.append(ConfigError(
                f"node {host.name} (used by scenario {', '.join(users)}): {problem}",
                file=source.file if source else config.path, line=source.line if source else None,
                column=source.column if source else None, key=f"lab.nodes.{host.name}.{key}"))
    return errors


@hookimpl
def hvrt_configure(config: Config) -> None:
    """Refuse, before any plan or run, a node the module cannot run on (exit 2)."""
    errors = check_config(config)
    if len(errors) == 1:
        raise errors[0]
    if errors:
        raise ConfigErrors(errors)
