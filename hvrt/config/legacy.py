"""Convert the legacy bash tool's ``config.yaml`` (and its test lists) into hvrt.yaml.

Used by ``hvrt import-legacy``. Each legacy scenario becomes a profile pinned to its
hosts; what the legacy tool kept as DevStack variables or INI values becomes typed
fields where hvrt has one (os from the scenario name, image format and type from
the image URL, copy-on-write, dynamic memory, utils v1, OVS/VXLAN, live migration).
The per-host INI overrides are copied as the legacy tool wrote them: it passed each
value through an unquoted bash ``eval`` (``run.sh``), which drops one level of
backslash escaping, so ``'C:\\\\ClusterStorage\\\\...'`` in config.yaml reached nova.conf as
``C:\\ClusterStorage\\...`` and is imported that way. DevStack keys hvrt does not model
become ``devstack:`` variables, and the list files are copied next to the output.
Lab nodes get placeholder loopback addresses (127.0.0.11, ...) that users edit, and
the facts the legacy values imply about a host: its own VXLAN ``local_ip`` becomes
``hyperv.tunnel_address``, and instances on a Cluster Shared Volume
(``C:\\ClusterStorage\\``) make it ``hyperv.clustered`` (the legacy installer left
live migration alone on hosts with the cluster service).
"""
from __future__ import annotations

import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from hvrt.config.check import Problems, as_map, check_keys, did_you_mean
from hvrt.config.model import Source
from hvrt.config.yamlsrc import LMap, Meta, load_yaml_file
from hvrt.errors import ConfigError

SCENARIO_KEYS = ("test_suite", "include_default", "use_ovs", "devstack", "hosts")
CONSUMED_DEVSTACK = ("live_migration", "allow_resize_to_same_host", "image_url", "heat_image_url",
                     "TUNNEL_ENDPOINT_IP")
OS_PATTERNS = (("2012r2", "2012r2"), ("2008r2", "2008r2"), ("2016", "2016"), ("2019", "2019"),
               ("2022", "2022"), ("2025", "2025"), ("2012", "2012"))
LIST_FILE = re.compile(r"(include|exclude|isolated)-tests-(.+)\.txt")
LISTS_DIR = "tempest-lists"
BASE_PROFILE = "legacy"
CLUSTER_STORAGE = "c:\\clusterstorage\\"
FIRST_NODE_ADDRESS = 11
NODE_PASSWORD = "${env:HVRT_NODE_PASSWORD}"
ADMIN_PASSWORD = "${env:HVRT_ADMIN_PASSWORD}"


@dataclass
class LegacyImport:
    """The converted document and what the conversion noticed."""

    document: dict[str, Any]
    list_files: list[Path]
    warnings: list[str] = field(default_factory=list)
    placeholder_nodes: list[str] = field(default_factory=list)


def plain(value: Any) -> Any:
    """Located YAML back to plain dicts and lists (for dumping)."""
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


def infer_os(name: str) -> str | None:
    lowered = name.lower()
    for needle, os_name in OS_PATTERNS:
        if needle in lowered:
            return os_name
    return None


def image_from_url(url: str | None) -> dict[str, str]:
    """``format``/``type`` a legacy image URL implies (``cirros-...-fixed.vhd.gz``)."""
    if not url:
        return {}
    name = url.rsplit("/", 1)[-1].lower().removesuffix(".gz")
    out: dict[str, str] = {}
    if name.endswith(".vhdx"):
        out["format"] = "vhdx"
    elif name.endswith(".vhd"):
        out["format"] = "vhd"
    out["type"] = "fixed" if "-fixed." in name else "dynamic"
    return out


def convert(config_path: Path, tests_dir: Path, lab_template: Path | None = None) -> LegacyImport:
    """Read the legacy files and build the hvrt document; raise ConfigError(s) on bad input."""
    p = Problems()
    tree = load_yaml_file(config_path)
    top = as_map(tree, _meta_at(config_path), p, allow_null=False)
    p.raise_if_any()
    assert top is not None
    lists = sorted(f for f in tests_dir.glob("*-tests-*.txt") if LIST_FILE.fullmatch(f.name))
    suites = {LIST_FILE.fullmatch(f.name).group(2) for f in lists}  # type: ignore[union-attr]
    nodes: dict[str, dict[str, Any]] = {}
    profiles: dict[str, Any] = {
        BASE_PROFILE: {"abstract": True, "description": "shared by every imported legacy scenario",
                       "tempest": {"lists_dir": LISTS_DIR}},
    }
    result = LegacyImport(document={}, list_files=lists)
    for name, body in top.items():
        meta = top.meta_of(name)
        scenario = as_map(body, meta, p, allow_null=False)
        if scenario is None:
            continue
        profile = _profile(name, scenario, p, suites, result)
        if profile is None:
            continue
        for host in profile.get("hosts", []):
            labels = {"os": profile["os"], **({"edition": "nano"} if is_nano(name) else {})}
            known = nodes.setdefault(host, {"labels": labels, "first": name, "facts": {}})
            if known["labels"]["os"] != labels["os"]:
                result.warnings.append(f"host {host} is used as os {known['labels']['os']} by "
                                       f"{known['first']} and as {labels['os']} by {name}")
            _host_facts(name, host, profile, known["facts"], result)
        profiles[name] = profile
    p.raise_if_any()
    result.document = {
        "version": 1,
        **_lab(nodes, lab_template, result),
        "profiles": profiles,
    }
    return result


NANO_NOT_RUNNABLE = ("Nano Server has no msiexec, and hvrt installs the compute MSI only "
                     "(the legacy tool unpacked a zip there; see docs/winrm.md, 'Which Windows')")
"""Why an imported Nano Server scenario is kept as a profile but never planned."""


def is_nano(scenario: str) -> bool:
    """True for a legacy scenario whose hosts run Nano Server (its name says so)."""
    return "nano" in scenario.lower()


def _meta_at(path: Path) -> Meta:
    src = Source(str(path), 1, 1)
    return Meta("", src, src)


def _flag(m: LMap, key: str, p: Problems, default: bool) -> bool:
    value = m.get(key, default)
    if not isinstance(value, bool):
        meta = m.meta_of(key)
        p.error("expected true or false", meta.source, meta.path)
        return default
    return value


def _profile(name: str, s: LMap, p: Problems, suites: set[str], result: LegacyImport) -> dict[str, Any] | None:
    check_keys(s, SCENARIO_KEYS, p)
    os_name = infer_os(name)
    if os_name is None:
        meta = s.meta_of("test_suite")
        p.error("cannot tell the Windows Server version from the scenario name "
                "(expected 2012, 2012r2, 2016, ... in it)", meta.key_source, name)
        return None
    devstack = as_map(s.get("devstack"), s.meta_of("devstack"), p) or LMap()
    hosts = as_map(s.get("hosts"), s.meta_of("hosts"), p) or LMap()
    if not hosts:
        p.error("a legacy scenario needs hosts:", s.source, f"{name}.hosts")
        return None
    suite = str(s.get("test_suite") or "default")
    if suite not in suites:
        meta = s.meta_of("test_suite")
        p.error(f"no include-tests-{suite}.txt in the tests folder{did_you_mean(suite, suites)}",
                meta.source, meta.path)
    ini = {host: _as_written(files) for host, files in plain(hosts).items()}
    out: dict[str, Any] = {"extends": BASE_PROFILE, "description": f"imported from legacy scenario {name}",
                           "os": os_name}
    if is_nano(name):
        out["abstract"] = True
        out["description"] += "; not runnable: Nano Server has no msiexec"
        result.warnings.append(f"{name} is imported as an abstract profile: {NANO_NOT_RUNNABLE}")
    image = image_from_url(devstack.get("image_url"))
    image.update({k: v for k, v in (("url", devstack.get("image_url")),
                                    ("heat_url", devstack.get("heat_image_url"))) if v})
    if image:
        out["image"] = image
    if any(_ini_value(ini, h, "DEFAULT", "use_cow_images") is False for h in ini):
        out["cow"] = False
    ratios = {_ini_value(ini, h, "hyperv", "dynamic_memory_ratio") for h in ini} - {None}
    if ratios:
        ratio = max(float(r) for r in ratios)
        if ratio > 1.0:
            out["memory"] = {"mode": "dynamic", "dynamic_ratio": ratio}
    if any(_ini_value(ini, h, "hyperv", "force_hyperv_utils_v1") is True for h in ini):
        out["utils_api"] = "v1"
    extra = {k: v for k, v in plain(devstack).items() if k not in CONSUMED_DEVSTACK}
    network = _network(s, devstack, extra, p)
    if network:
        out["network"] = network
    out["live_migration"] = _flag(devstack, "live_migration", p, False)
    if "allow_resize_to_same_host" in devstack:
        out["allow_resize_to_same_host"] = _flag(devstack, "allow_resize_to_same_host", p, False)
    out["hosts"] = list(hosts)
    out["tempest"] = {"suite": suite}
    if not _flag(s, "include_default", p, True):
        out["include_default"] = False
    if extra:
        out["devstack"] = extra
    out["ini"] = ini
    return out


def bash_unescaped(text: str) -> str:
    """``text`` after an unquoted bash word: each ``\\x`` becomes ``x`` (a last lone ``\\`` goes)."""
    return re.sub(r"\\(.?)", r"\1", text, flags=re.S)


def _as_written(files: Any) -> Any:
    """A host's INI values as the legacy tool wrote them (through ``eval`` in run.sh)."""
    if isinstance(files, dict):
        return {k: _as_written(v) for k, v in files.items()}
    return bash_unescaped(files) if isinstance(files, str) and "\\" in files else files


def _section(files: dict[str, Any], fname: str, section: str) -> dict[str, Any]:
    """One section of one file, its name matched as oslo.config does (any case but DEFAULT)."""
    for name, values in (files.get(fname) or {}).items():
        if str(name).lower() == section and isinstance(values, dict):
            return values
    return {}


def _host_facts(scenario: str, host: str, profile: dict[str, Any], facts: dict[str, Any],
                result: LegacyImport) -> None:
    """What the scenario's values say about the host itself (``hyperv:`` of its lab entry)."""
    files = profile["ini"].get(host) or {}
    local_ip = _section(files, "neutron_ovs_agent.conf", "ovs").get("local_ip")
    if local_ip is not None and (profile.get("network") or {}).get("type") == "ovs-vxlan":
        known = facts.setdefault("tunnel_address", str(local_ip))
        if known != str(local_ip):
            facts["tunnel_address"] = None
            result.warnings.append(f"host {host} has local_ip {known} in one scenario and {local_ip} in "
                                   f"{scenario}; set lab.nodes.{host}.hyperv.tunnel_address yourself")
    path = str(((files.get("nova.conf") or {}).get("DEFAULT") or {}).get("instances_path") or "")
    if path.lower().startswith(CLUSTER_STORAGE) and not facts.get("clustered"):
        facts["clustered"] = True
        result.warnings.append(f"host {host} keeps instances on a Cluster Shared Volume in {scenario}: imported "
                               "as hyperv.clustered (its live migration settings are left to the cluster)")


def _ini_value(ini: dict[str, Any], host: str, section: str, key: str) -> Any:
    return ((ini.get(host) or {}).get("nova.conf") or {}).get(section, {}).get(key)


def _network(s: LMap, devstack: LMap, extra: dict[str, Any], p: Problems) -> dict[str, Any]:
    use_ovs = _flag(s, "use_ovs", p, False)
    tenant = devstack.get("Q_ML2_TENANT_NETWORK_TYPE")
    out: dict[str, Any] = {}
    if use_ovs and tenant in ("vxlan", "vlan", None):
        out["type"] = "ovs-vxlan" if tenant == "vxlan" else "ovs-vlan"
        extra.pop("Q_ML2_TENANT_NETWORK_TYPE", None)
    elif not use_ovs and tenant in ("vlan", None):
        extra.pop("Q_ML2_TENANT_NETWORK_TYPE", None)
    endpoint = devstack.get("TUNNEL_ENDPOINT_IP")
    if endpoint is not None:
        if out.get("type") == "ovs-vxlan":
            out["tunnel_endpoint"] = str(endpoint)
        else:
            extra["TUNNEL_ENDPOINT_IP"] = endpoint
    return out


LEGACY_PHYSICAL_INTERFACE = "eth1"
"""The controller NIC the legacy tool put on ``br-eth1`` for VLAN and flat networks
(``utils.sh:427``); DevStack does the same with ``PUBLIC_INTERFACE``. A lab template's
``settings.devstack.physical_interface`` wins."""


def _lab(nodes: dict[str, dict[str, Any]], template: Path | None, result: LegacyImport) -> dict[str, Any]:
    """``lab:`` (and ``release:``) from the template, with a placeholder node per missing host."""
    base: dict[str, Any] = {}
    if template is not None:
        loaded = plain(load_yaml_file(template))
        if not isinstance(loaded, dict) or not isinstance(loaded.get("lab"), dict):
            raise ConfigError("a lab template needs a lab: mapping", file=str(template), line=1, column=1)
        base = loaded
    lab = dict(base.get("lab") or {})
    lab.setdefault("controllers", {"devstack": {"address": "127.0.0.2", "transport": "ssh", "user": "stack",
                                                "password": NODE_PASSWORD}})
    lab_nodes = dict(lab.get("nodes") or {})
    used = {str(n.get("address")) for n in lab_nodes.values() if isinstance(n, dict)}
    octet = FIRST_NODE_ADDRESS
    for host, info in nodes.items():
        if host in lab_nodes:
            continue
        while f"127.0.0.{octet}" in used:
            octet += 1
        if octet > 254:
            raise ConfigError("more legacy hosts than placeholder addresses 127.0.0.11-254")
        lab_nodes[host] = {"address": f"127.0.0.{octet}", "user": "Administrator",
                           "password": NODE_PASSWORD, "labels": info["labels"]}
        result.placeholder_nodes.append(host)
        octet += 1
    for host, info in nodes.items():
        facts = {k: v for k, v in info["facts"].items() if v is not None}
        entry = lab_nodes.get(host)
        if facts and isinstance(entry, dict):
            hyperv = dict(entry.get("hyperv") or {})
            for key, value in facts.items():
                hyperv.setdefault(key, value)
            lab_nodes[host] = {**entry, "hyperv": hyperv}
    lab["nodes"] = lab_nodes
    release = base.get("release") or {"name": "legacy-import", "password": ADMIN_PASSWORD}
    out = {"lab": lab, "release": release}
    for key in ("plugins", "settings", "timeouts"):
        if key in base:
            out[key] = base[key]
    settings = dict(out.get("settings") or {})
    devstack = dict(settings.get("devstack") or {})
    devstack.setdefault("physical_interface", LEGACY_PHYSICAL_INTERFACE)
    out["settings"] = {**settings, "devstack": devstack}
    return out


def copy_lists(result: LegacyImport, out_dir: Path) -> list[Path]:
    """Copy the legacy list files into ``<out_dir>/tempest-lists``; returns the copies."""
    target = out_dir / LISTS_DIR
    target.mkdir(parents=True, exist_ok=True)
    return [Path(shutil.copyfile(f, target / f.name)) for f in result.list_files]


def render(result: LegacyImport, source_name: str) -> str:
    """The hvrt.yaml text: a header saying what to edit, then the document (stable order)."""
    header = [
        f"# Imported from the legacy release-test configuration {source_name} by `hvrt import-legacy`.",
        "# Node addresses are placeholders on 127.0.0.x: replace them with your hosts' addresses.",
        "# Credentials come from the environment: HVRT_NODE_PASSWORD, HVRT_ADMIN_PASSWORD.",
        f"# Tempest list files were copied to {LISTS_DIR}/ next to this file.",
    ]
    body = yaml.safe_dump(result.document, sort_keys=False, default_flow_style=False, width=110,
                          allow_unicode=True)
    return "\n".join(header) + "\n" + body
