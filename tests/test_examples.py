"""The files under examples/ as a user takes them: each configuration passes
``hvrt config validate``, and the Jenkins pipeline maps every exit code of hvrt.

``examples/real-lab/hvrt.yaml`` is validated here; the other configurations are
validated by ``tests/hvrt/cli/test_config.py``. :func:`test_every_example_config_is_validated_in_one_place`
keeps that split true when an example is added. The real-lab file names documentation
addresses only and nothing here connects to a host: it is validated, never planned
against a lab or run.
"""
from __future__ import annotations

import ipaddress
import re
from pathlib import Path
from typing import Any

import hvrt_devstack.settings
import hvrt_tempest.settings
import hvrt_winrm.settings
import yaml

from hvrt.config.schema import Block, read_block
from hvrt.errors import ExitCode
from hvrt.testing import run_cli

REPO = Path(__file__).resolve().parents[1]
EXAMPLES = REPO / "examples"
REAL_LAB = EXAMPLES / "real-lab" / "hvrt.yaml"
JENKINSFILE = EXAMPLES / "jenkins" / "Jenkinsfile"

VALIDATED_HERE = ("real-lab/hvrt.yaml",)
VALIDATED_ELSEWHERE = {
    "hvrt.yaml": "tests/hvrt/cli/test_config.py",
    "sandbox/hvrt.yaml": "tests/hvrt/cli/test_config.py",
    "legacy/hvrt.yaml": "tests/hvrt/cli/test_config.py",
}
DOCUMENTATION_NETWORKS = tuple(ipaddress.ip_network(n) for n in
                               ("192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24", "2001:db8::/32"))
"""RFC 5737 and RFC 3849: addresses reserved for documentation, never routed."""


def example_configs() -> list[str]:
    """Every hvrt configuration under examples/ (a YAML mapping with a ``lab:`` section),
    relative to examples/. The legacy tool's own input (legacy/source) is not one."""
    found = []
    for path in sorted(EXAMPLES.rglob("*.yaml")):
        tree = yaml.safe_load(path.read_text(encoding="utf-8"))
        if isinstance(tree, dict) and "lab" in tree:
            found.append(path.relative_to(EXAMPLES).as_posix())
    return found


def plugin_blocks() -> list[Block]:
    """The blocks the built-in plugins declare for settings and hosts."""
    return [*hvrt_winrm.settings.hvrt_config_schema(), *hvrt_devstack.settings.hvrt_config_schema(),
            *hvrt_tempest.settings.hvrt_config_schema()]


def check_plugin_blocks(tree: dict[str, Any]) -> list[str]:
    """Every ``settings:`` block and host block of ``tree`` that a built-in plugin
    declares, read with the plugin's own schema; returns the paths checked."""
    checked = []
    blocks = plugin_blocks()
    for name, value in (tree.get("settings") or {}).items():
        for block in blocks:
            if block.scope == "settings" and block.name == name:
                read_block(block, value, path=f"settings.{name}", source=None)
                checked.append(f"settings.{name}")
    for role, scope in (("nodes", "node"), ("controllers", "controller")):
        for host, body in (tree["lab"].get(role) or {}).items():
            for block in blocks:
                if block.scope in ("host", scope) and block.name in body:
                    read_block(block, body[block.name], path=f"lab.{role}.{host}.{block.name}", source=None,
                               transport=body.get("transport"))
                    checked.append(f"lab.{role}.{host}.{block.name}")
    return checked


def test_every_example_config_is_validated_in_one_place() -> None:
    assert sorted(example_configs()) == sorted([*VALIDATED_HERE, *VALIDATED_ELSEWHERE])
    for example, test_file in VALIDATED_ELSEWHERE.items():
        text = (REPO / test_file).read_text(encoding="utf-8")
        assert f'"{example}"' in text, f"{test_file} no longer validates examples/{example}"
    for example in VALIDATED_HERE:
        for test_file in set(VALIDATED_ELSEWHERE.values()):
            assert example not in (REPO / test_file).read_text(encoding="utf-8"), (example, test_file)


def test_real_lab_example_validates(tmp_path: Path) -> None:
    """With the variable and the file it names, the real-lab file is valid as it stands;
    its plugin blocks also fit the plugins' own declarations."""
    secret = tmp_path / ".config" / "hvrt" / "devstack-password"
    secret.parent.mkdir(parents=True)
    secret.write_text("devstack-admin-pw\n", encoding="utf-8")
    env = {"HOME": str(tmp_path), "HVRT_HYPERV_PASSWORD": "hyperv-pw"}
    proc = run_cli("config", "validate", "-c", str(REAL_LAB), cwd=tmp_path, env=env)
    assert (proc.returncode, proc.stdout.strip(), proc.stderr) == (0, "ok: 6 profiles, 3 scenarios", "")
    checked = check_plugin_blocks(yaml.safe_load(REAL_LAB.read_text(encoding="utf-8")))
    assert checked == ["settings.winrm", "settings.devstack", "settings.tempest",
                       "lab.nodes.hv-a.winrm", "lab.nodes.hv-b.winrm",
                       "lab.controllers.devstack-01.devstack"], checked


def test_real_lab_example_names_documentation_addresses_only() -> None:
    text = REAL_LAB.read_text(encoding="utf-8")
    found = re.findall(r"(?<![\w.])(\d{1,3}(?:\.\d{1,3}){3})(?:/\d+)?(?![\w.])", text)
    assert len(found) >= 5, found
    for address in found:
        ip = ipaddress.ip_address(address)
        assert any(ip in net for net in DOCUMENTATION_NETWORKS), f"{address} is not a documentation address"


def test_jenkinsfile_gives_every_exit_code_a_build_result() -> None:
    text = JENKINSFILE.read_text(encoding="utf-8")
    cases = {int(n) for n in re.findall(r"^\s*case (\d+):", text, flags=re.MULTILINE)}
    assert cases == {int(code) for code in ExitCode}
    # the run's own junit.xml only: a glob over the scenario folders counts each test twice
    assert re.findall(r"junit\(testResults: \"([^\"]+)\"", text) == ["${runDir}/junit.xml"]
