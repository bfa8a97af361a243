"""The Hyper-V functions of hvrt's PowerShell module, run against the node's model.

Each function takes the node runtime and the parameter block (already decoded from
JSON, never parsed as script) and returns what the real function writes as JSON.
"""
from __future__ import annotations

import datetime
import hashlib
import json
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol

from hvrt.sandbox.wsman import ini
from hvrt.sandbox.wsman.cmdline import split_msiexec
from hvrt.sandbox.wsman.fn_files import FunctionError, _path
from hvrt.sandbox.wsman.host import HostModel

MSI_MAGIC = b"HVRT-SIMULATED-MSI\n"
INSTALL_DIR = "C:\\Program Files\\Cloudbase Solutions\\OpenStack\\Nova"
"""Where the compute MSI installs without an ``INSTALLDIR`` property (its own default)."""
PRODUCT_NAME = "OpenStack Hyper-V Nova Compute"
MSIEXEC = "C:\\Windows\\System32\\msiexec.exe"
PACKAGE_FEATURES = ("HyperVNovaCompute", "NeutronHyperVAgent", "NeutronOVSAgent", "CeilometerComputeAgent",
                    "iSCSISWInitiator", "FreeRDP", "LiveMigration")
"""The features of a simulated MSI made without a list of its own."""
FEATURE_SERVICES = {
    "HyperVNovaCompute": ["nova-compute"],
    "NeutronHyperVAgent": ["neutron-hyperv-agent"],
    "NeutronOVSAgent": ["neutron-ovs-agent", "ovs-vswitchd", "ovsdb-server"],
    "CeilometerComputeAgent": ["ceilometer-polling"],
    "iSCSISWInitiator": ["MSiSCSI"],
    "FreeRDP": ["FreeRDP-WebConnect"],
}


class Node(Protocol):
    model: HostModel

    def request_reboot(self, delay: float) -> None: ...


def make_installer(path: Path, version: str, product: str = PRODUCT_NAME, size: int = 64 * 1024,
                   features: Sequence[str] | None = None) -> str:
    """Write a simulated compute MSI (what the node's ``msiexec`` accepts); returns its SHA-256.

    ``features`` is the package's Feature table (default :data:`PACKAGE_FEATURES`): an
    install naming another feature in ``ADDLOCAL`` fails as msiexec fails (error 2711).
    """
    meta: dict[str, Any] = {"product": product, "version": version}
    if features is not None:
        meta["features"] = list(features)
    header = MSI_MAGIC + json.dumps(meta).encode() + b"\n"
    body = header + hashlib.sha256(version.encode()).digest() * max(1, (size - len(header)) // 32)
    path.write_bytes(body)
    return hashlib.sha256(body).hexdigest().upper()


def _package_meta(data: bytes) -> dict[str, Any] | None:
    if not data.startswith(MSI_MAGIC):
        return None
    meta = json.loads(data[len(MSI_MAGIC):].split(b"\n", 1)[0])
    meta.setdefault("features", list(PACKAGE_FEATURES))
    return meta


def preflight(node: Node, params: dict[str, Any]) -> dict[str, Any]:
    state = node.model.state()
    runner_time = float(params.get("runner_time", 0) or 0)
    now = node.model.now()
    return {
        "computer_name": state["computer_name"],
        "os": state["os"],
        "hyperv": bool(state.get("hyperv")),
        "vmms": node.model.services().get("vmms"),
        "clock": now,
        "clock_skew": (now - runner_time) if runner_time else 0.0,
        "free_disk_bytes": state["free_disk_bytes"],
        "winrm": state["winrm"],
        "powershell": node.model.powershell(),  # $PSVersionTable.PSVersion: the OS's own, or 5.1 with WMF
    }


def boot_id(node: Node, params: dict[str, Any]) -> dict[str, Any]:
    state = node.model.state()
    return {"boot_time": state["boot_time"], "reboot_count": state["reboot_count"]}


def restart(node: Node, params: dict[str, Any]) -> dict[str, Any]:
    node.request_reboot(float(params.get("delay", 0.2)))
    return {"restarting": True}


def _products(model: HostModel, like: str) -> list[dict[str, Any]]:
    needle = like.replace("*", "").lower()
    return [p for p in model.state()["products"].values() if needle in p["name"].lower()]


def _product_code(name: str) -> str:
    return "{" + str(uuid.uuid5(uuid.NAMESPACE_URL, "hvrt-simulated-msi:" + name)).upper() + "}"


def get_product(node: Node, params: dict[str, Any]) -> list[dict[str, Any]]:
    return [{**p, "code": _product_code(p["name"])} for p in _products(node.model, str(params.get("name_like", "*")))]


def uninstall(node: Node, params: dict[str, Any]) -> dict[str, Any]:
    model = node.model
    removed, leftovers = [], []
    with model.lock:
        state = model.state()
        for product in _products(model, str(params.get("name_like", "Nova Compute"))):
            model.record_process(MSIEXEC, f'/x "{_product_code(product["name"])}" /qn /norestart')
            for services in FEATURE_SERVICES.values():
                for service in services:
                    if service in product.get("services", []):
                        model.remove_service(service)
            state["products"].pop(product["name"], None)
            removed.append(product["name"])
        model.save_state(state)
    for leftover in params.get("leftovers", []) or []:
        path = _path(model, {"path": leftover})
        if path.exists():
            import shutil

            shutil.rmtree(path) if path.is_dir() else path.unlink()
            leftovers.append(leftover)
    return {"removed": removed, "leftovers_removed": leftovers}


def _download(model: HostModel, url: str, package: str) -> None:
    """The node fetches the installer itself; the sandbox only reaches loopback servers."""
    import urllib.parse
    import urllib.request

    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https") or not (parts.hostname or "").startswith("127."):
        raise FunctionError(f"The remote name could not be resolved: '{parts.hostname}'", "ConnectionError")
    target = _path(model, {"path": package})
    target.parent.mkdir(parents=True, exist_ok=True)
    with urllib.request.urlopen(url, timeout=60) as response:  # noqa: S310 - loopback only, checked above
        target.write_bytes(response.read())


def get_msi_features(node: Node, params: dict[str, Any]) -> list[str]:
    path = _path(node.model, params)
    meta = _package_meta(path.read_bytes()) if path.is_file() else None
    if meta is None:
        raise FunctionError('Exception calling "InvokeMember" with "5" argument(s): "OpenDatabase,DatabasePath,'
                            'OpenMode"', "OperationStopped")
    return [str(f) for f in meta["features"]]


def save_installer(node: Node, params: dict[str, Any]) -> dict[str, Any]:
    """``Save-HvrtInstaller``: download (with a URL) and compare the SHA-256; a mismatch deletes the package."""
    model = node.model
    package_name = str(params.get("package", ""))
    if params.get("url"):
        _download(model, str(params["url"]), package_name)
    package = _path(model, {"path": package_name})
    if not package.is_file():
        raise FunctionError(f"Cannot find path '{package_name}' because it does not exist.", "ObjectNotFound")
    sha = hashlib.sha256(package.read_bytes()).hexdigest().upper()
    expected = str(params.get("sha256") or "")
    if expected and expected.upper() != sha:
        package.unlink()
        raise FunctionError(f"installer '{package_name}' has SHA-256 {sha}, which does not match the expected "
                            f"{expected}; msiexec was not started", "OperationStopped")
    return {"package": package_name, "sha256": sha}


def install_msi(node: Node, params: dict[str, Any]) -> dict[str, Any]:
    """``Install-HvrtMsi``: download, compare the SHA-256, then (and only then) start msiexec."""
    model = node.model
    package_name = str(params.get("package", ""))
    sha = save_installer(node, params)["sha256"]
    features = [str(f) for f in params.get("features") or [] if f]
    optional = [str(f) for f in params.get("optional_features") or [] if f]
    if optional:
        present = get_msi_features(node, {"path": package_name})
        features += [f for f in optional if f in present]
    arguments = str(params.get("arguments", ""))
    if features:
        arguments += " ADDLOCAL=" + ",".join(features)
    model.record_process(MSIEXEC, arguments)
    result = _msiexec(model, arguments)
    result.update(sha256=sha, package=package_name, features=features)
    return result


def _msiexec(model: HostModel, arguments: str) -> dict[str, Any]:
    """What msiexec does with ``/i <package> /l*v <log> NAME=value ...``: its exit code and version."""
    tokens = split_msiexec(arguments)
    opts: dict[str, str] = {}
    props: dict[str, str] = {}
    i = 0
    while i < len(tokens):
        tok = tokens[i]
        if tok.lower() in ("/i", "/l*v") and i + 1 < len(tokens):
            opts[tok.lower()] = tokens[i + 1]
            i += 2
            continue
        if "=" in tok and not tok.startswith("/"):
            name, _, value = tok.partition("=")
            props[name] = value
        elif tok.startswith("/"):
            opts[tok.lower()] = ""
        i += 1
    if "/i" not in opts:
        raise FunctionError("msiexec: no package given (/i)", "InvalidArgument")
    log_lines = [f"=== Verbose logging started: {datetime.datetime.now():%d/%m/%Y  %H:%M:%S}  Build type: SHIP UNICODE 5.00.9600.00  Calling process: C:\\Windows\\system32\\msiexec.exe ==="]
    for name, value in props.items():
        log_lines.append(f"MSI (c) (A0:B4) [12:00:00:000]: PROPERTY CHANGE: Adding {name} property. Its value is '{value}'.")
    package = _path(model, {"path": opts["/i"]})
    exit_code = 0
    result: dict[str, Any] = {"package": opts["/i"]}
    features = [f for f in props.get("ADDLOCAL", "").split(",") if f]
    meta = _package_meta(package.read_bytes()) if package.is_file() else None
    missing = [f for f in features if meta is not None and f not in meta["features"]]
    if not package.is_file():
        exit_code = 1619
        log_lines.append("MSI (c): Note: 1: 2203 2: package 3: -2147287038  This installation package could not be opened.")
    elif meta is None:
        exit_code = 1620
        log_lines.append("MSI (c): This installation package could not be opened. Contact the application vendor.")
    elif missing:
        exit_code = 1603
        log_lines.append(f"MSI (s): Note: 1: 2711 2: {missing[0]}")
        log_lines.append(f"MSI (s): Product: {meta['product']} -- Installation failed.")
    elif model.state().get("msi_fault"):
        exit_code = int(model.state()["msi_fault"])
        log_lines.append("CustomAction InstallServices returned actual error code 1603")
        log_lines.append(f"MSI (s): Product: {PRODUCT_NAME} -- Installation failed.")
    else:
        _install(model, meta, features, props, hashlib.sha256(package.read_bytes()).hexdigest().upper())
        result["version"] = meta["version"]
        log_lines.append(f"MSI (s): Product: {meta['product']} -- Installation completed successfully.")
        log_lines.append(f"MSI (s): Windows Installer installed the product. Product Name: {meta['product']}. Product Version: {meta['version']}. Installation success or error status: 0.")
    log_lines.append("=== Logging stopped ===")
    if "/l*v" in opts:
        log = _path(model, {"path": opts["/l*v"]})
        log.parent.mkdir(parents=True, exist_ok=True)
        log.write_text("\r\n".join(log_lines) + "\r\n", encoding="utf-8")
    result["exit_code"] = exit_code
    return result


def _flag(props: dict[str, str], name: str, default: str = "0") -> bool:
    return props.get(name, default) == "1"


def _install(model: HostModel, meta: dict[str, Any], features: list[str], props: dict[str, str], sha: str) -> None:
    """The files, services and host settings the MSI's properties ask for."""
    install_dir = props.get("INSTALLDIR") or INSTALL_DIR
    base = _path(model, {"path": install_dir})
    (base / "etc").mkdir(parents=True, exist_ok=True)
    log_dir = props.get("LOGDIR") or install_dir + "\\Log"
    _path(model, {"path": log_dir}).mkdir(parents=True, exist_ok=True)
    rpc = (f"rabbit://{props.get('RPCBACKENDUSER', 'stackrabbit')}:{props.get('RPCBACKENDPASSWORD', '')}"
           f"@{props.get('RPCBACKENDHOST', '')}:{props.get('RPCBACKENDPORT', '5672')}/")
    glance = props.get("GLANCEHOST", "")
    glance = glance if glance.startswith(("http://", "https://")) else f"http://{glance}"
    logging = {"log_dir": log_dir} if _flag(props, "ENABLELOGGING") else {}
    nova: dict[str, dict[str, str]] = {
        "DEFAULT": {"compute_driver": "compute_hyperv.driver.HyperVDriver",
                    "instances_path": props.get("INSTANCESPATH", "C:\\OpenStack\\Instances"),
                    "use_cow_images": "true" if _flag(props, "USECOWIMAGES", "1") else "false",
                    "force_config_drive": "true" if _flag(props, "FORCECONFIGDRIVE") else "false",
                    "debug": "true" if _flag(props, "VERBOSELOGGING") else "false",
                    **logging, "transport_url": rpc},
        "glance": {"api_servers": f"{glance}:{props.get('GLANCEPORT', '9292')}"},
        "hyperv": {"limit_cpu_features": "false", "dynamic_memory_ratio": props.get("DYNAMICMEMORYRATIO", "1.0"),
                   "vswitch_name": props.get("VSWITCHNAME", "external"),
                   "config_drive_inject_password": "true" if _flag(props, "CONFIGDRIVEINJECTPASSWORD") else "false"},
        "neutron": {"url": props.get("NEUTRONURL", ""), "auth_url": props.get("NEUTRONADMINAUTHURL", ""),
                    "username": props.get("NEUTRONADMINUSERNAME", "neutron"),
                    "password": props.get("NEUTRONADMINPASSWORD", ""),
                    "project_name": props.get("NEUTRONADMINTENANTNAME", "service")},
    }
    if props.get("RDPCONSOLEURL"):
        nova["rdp"] = {"enabled": "true", "html5_proxy_base_url": props["RDPCONSOLEURL"]}
    if props.get("PLACEMENTAUTHURL"):
        nova["placement"] = {"auth_url": props["PLACEMENTAUTHURL"],
                             "username": props.get("PLACEMENTUSERNAME", "placement"),
                             "password": props.get("PLACEMENTPASSWORD", ""),
                             "project_name": props.get("PLACEMENTPROJECTNAME", "service"),
                             "project_domain_name": props.get("PLACEMENTDOMAINNAME", "Default"),
                             "user_domain_name": props.get("PLACEMENTUSERDOMAINNAME", "Default"),
                             "region_name": props.get("PLACEMENTREGIONNAME", "RegionOne")}
    (base / "etc" / "nova.conf").write_text(ini.update("", nova)[0], encoding="utf-8")
    agent = {"DEFAULT": {"transport_url": rpc, **logging},
             "AGENT": {"physical_network_vswitch_mappings": f"*:{props.get('VSWITCHNAME', 'external')}"}}
    if "NeutronOVSAgent" in features:
        (base / "etc" / "neutron_ovs_agent.conf").write_text(ini.update("", agent)[0], encoding="utf-8")
    if "NeutronHyperVAgent" in features:
        (base / "etc" / "neutron_hyperv_agent.conf").write_text(ini.update("", agent)[0], encoding="utf-8")
    if "CeilometerComputeAgent" in features:
        ceilometer = {"DEFAULT": {"transport_url": rpc, **logging},
                      "service_credentials": {"auth_url": props.get("CEILOMETERADMINAUTHURL", ""),
                                              "username": props.get("CEILOMETERADMINUSERNAME", "ceilometer"),
                                              "password": props.get("CEILOMETERADMINPASSWORD", ""),
                                              "project_name": props.get("CEILOMETERADMINTENANTNAME", "service")}}
        (base / "etc" / "ceilometer.conf").write_text(ini.update("", ceilometer)[0], encoding="utf-8")
    services = [s for f in features for s in FEATURE_SERVICES.get(f, [])]
    for service in services:
        model.set_service(service, "Running")
        if logging:
            log = _path(model, {"path": log_dir}) / f"{service}.log"
            log.write_text(f"{datetime.datetime.now().isoformat()} INFO {service} started\n", encoding="utf-8")
    with model.lock:
        state = model.state()
        state["products"][meta["product"]] = {
            "name": meta["product"], "version": meta["version"], "installer_sha256": sha,
            "features": features, "services": services, "install_dir": install_dir,
            "service_user": props.get("NOVACOMPUTESERVICEUSER") or "LocalSystem",
            "installed_on": datetime.date.today().isoformat(),
        }
        if "LiveMigration" in features:
            current = state.get("live_migration") or {}
            state["live_migration"] = {
                **current, "enabled": True,
                "authentication": "Kerberos" if props.get("LIVEMIGRAUTHTYPE", "1") == "1" else "CredSSP",
                "max_migrations": int(props.get("MAXACTIVEVSMIGR") or 2),
                "max_storage_migrations": int(props.get("MAXACTIVESTORAGEMIGR") or 2),
                "networks": [] if _flag(props, "MIGRNETWORKSANY", "1") else list(current.get("networks") or []),
            }
        model.save_state(state)


def set_ini(node: Node, params: dict[str, Any]) -> dict[str, Any]:
    path = _path(node.model, params)
    values = params.get("values") or {}
    for section, pairs in values.items():
        for key in pairs:
            problem = ini.check_key(section, key)
            if problem:
                raise FunctionError(problem, "InvalidArgument")
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    new, changed = ini.update(text, {s: {k: str(v) for k, v in p.items()} for s, p in values.items()})
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(new, encoding="utf-8")
    return {"path": params["path"], "changed": changed}


def get_ini(node: Node, params: dict[str, Any]) -> dict[str, Any]:
    path = _path(node.model, params)
    if not path.exists():
        raise FunctionError(f"Cannot find path '{params['path']}' because it does not exist.", "ObjectNotFound")
    return ini.parse(path.read_text(encoding="utf-8"))


def set_vmswitch(node: Node, params: dict[str, Any]) -> dict[str, Any]:
    """``Set-HvrtVMSwitch``: an existing switch is used as it is, a missing one created only when asked;
    no switch is ever removed or changed."""
    name = str(params.get("name") or "")
    if not name:
        raise FunctionError("parameter 'name' is required", "InvalidArgument")
    kind = str(params.get("type") or "External")
    with node.model.lock:
        state = node.model.state()
        existing = state["vmswitches"].get(name)
        if existing is not None:
            if existing.get("type") != kind:
                raise FunctionError(f"virtual switch '{name}' is {existing.get('type')}, the configuration needs "
                                    f"{kind}; hvrt never changes or removes an existing switch")
            return {"name": name, "type": kind, "created": False}
        if not params.get("create"):
            raise FunctionError(f"virtual switch '{name}' does not exist and the configuration does not say to "
                                "create it")
        if kind == "External" and not params.get("adapter"):
            raise FunctionError("Cannot validate argument on parameter 'NetAdapterName'. The argument is null or "
                                "empty.", "InvalidData")
        state["vmswitches"][name] = {"name": name, "type": kind, "adapter": params.get("adapter"),
                                     "allow_management_os": bool(params.get("allow_management_os", True))}
        node.model.save_state(state)
    return {"name": name, "type": kind, "created": True}


def set_live_migration(node: Node, params: dict[str, Any]) -> dict[str, Any]:
    settings = {
        "enabled": bool(params.get("enabled", True)),
        "networks": list(params.get("networks") or []),
        "authentication": str(params.get("authentication", "Kerberos")),
        "max_migrations": int(params.get("max_migrations", 2)),
        "performance": str(params.get("performance", "Compression")),
    }
    if node.model.state()["os"]["release"] == "2012":  # no performance option before 2012 R2: TCP/IP
        settings["performance"] = "TCPIP"
    if settings["authentication"] not in ("Kerberos", "CredSSP"):
        raise FunctionError(f"invalid authentication type {settings['authentication']!r}", "InvalidArgument")
    with node.model.lock:  # what Set-VMHost is not given (storage migrations) stays as it was
        node.model.update(live_migration={**(node.model.state().get("live_migration") or {}), **settings})
    return settings


def get_settings(node: Node, params: dict[str, Any]) -> dict[str, Any]:
    state = node.model.state()
    return {"vmswitches": state["vmswitches"], "live_migration": state["live_migration"]}


def restart_services(node: Node, params: dict[str, Any]) -> dict[str, str]:
    services = node.model.services()
    names = [*params.get("names", []), *(n for n in params.get("optional") or [] if n in services)]
    for name in names:
        if name not in services:
            raise FunctionError(f"Cannot find any service with service name '{name}'.", "ObjectNotFound")
        node.model.set_service(name, "Running")
    return {n: node.model.services()[n] for n in names}


def get_services(node: Node, params: dict[str, Any]) -> dict[str, str]:
    services = node.model.services()
    names = params.get("names") or list(services)
    return {n: services.get(n, "NotFound") for n in names}


def hotfixes(node: Node, params: dict[str, Any]) -> dict[str, Any]:
    state = node.model.state()
    items = [dict(h, Source=state["computer_name"]) for h in state["hotfixes"]]
    rows = ["Source        Description      HotFixID      InstalledBy          InstalledOn",
            "------        -----------      --------      -----------          -----------"]
    who = "NT AUTHORITY\\SYSTEM"
    rows += [f"{h['Source'][:13]:<13} {h['Description']:<16} {h['HotFixID']:<13} {who:<20} {h['InstalledOn']}"
             for h in items]
    return {"items": items, "text": "\r\n".join(rows) + "\r\n"}


def system_info(node: Node, params: dict[str, Any]) -> dict[str, Any]:
    state = node.model.state()
    boot = datetime.datetime.fromtimestamp(state["boot_time"])
    data = {
        "Host Name": state["computer_name"].upper(), "OS Name": state["os"]["caption"],
        "OS Version": f"{state['os']['version']} N/A Build {state['os']['build']}",
        "System Boot Time": f"{boot:%m/%d/%Y, %I:%M:%S %p}",
        "Total Physical Memory": f"{state['memory_mb']:,} MB", "Processor(s)": f"{state['processors']} Processor(s) Installed.",
        "Hotfix(s)": f"{len(state['hotfixes'])} Hotfix(s) Installed.",
        "Hyper-V Requirements": "A hypervisor has been detected.",
    }
    text = "\r\n".join(f"{k + ':':<27}{v}" for k, v in data.items()) + "\r\n"
    return {"data": data, "text": text}


FUNCTIONS = {
    "Get-HvrtPreflight": preflight, "Get-HvrtBootId": boot_id, "Restart-HvrtNode": restart,
    "Get-HvrtProduct": get_product, "Uninstall-HvrtCompute": uninstall, "Install-HvrtMsi": install_msi,
    "Get-HvrtMsiFeatures": get_msi_features, "Save-HvrtInstaller": save_installer,
    "Set-HvrtIniValues": set_ini, "Get-HvrtIniValues": get_ini, "Set-HvrtVMSwitch": set_vmswitch,
    "Set-HvrtLiveMigration": set_live_migration, "Get-HvrtHostSettings": get_settings,
    "Restart-HvrtServices": restart_services, "Get-HvrtServices": get_services,
    "Get-HvrtHotfixes": hotfixes, "Get-HvrtSystemInfo": system_info,
}
