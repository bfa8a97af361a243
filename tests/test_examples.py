"""The files under examples/ as a user takes them: each configuration passes
``hvrt config validate`` (the real-lab one also yields a node state for every node of
every scenario), and the Jenkins pipeline maps every exit code of hvrt.

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

import pytest
import yaml

from hvrt.config.loader import load_config
from hvrt.config.select import select_scenarios
from hvrt.errors import ExitCode
from hvrt.nodestate.build import build
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


def test_every_example_config_is_validated_in_one_place() -> None:
    assert sorted(example_configs()) == sorted([*VALIDATED_HERE, *VALIDATED_ELSEWHERE])
    for example, test_file in VALIDATED_ELSEWHERE.items():
        text = (REPO / test_file).read_text(encoding="utf-8")
        assert f'"{example}"' in text, f"{test_file} no longer validates examples/{example}"
    for example in VALIDATED_HERE:
        for test_file in set(VALIDATED_ELSEWHERE.values()):
            assert example not in (REPO / test_file).read_text(encoding="utf-8"), (example, test_file)


def test_real_lab_example_validates(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """With the variable and the file it names, the real-lab file is valid as it stands,
    and every node of every scenario gets a node state (what the configure stage would
    apply): the checks that only a scenario can make (an external switch without an
    adapter, a VXLAN node without its own tunnel address) pass too."""
    secret = tmp_path / ".config" / "hvrt" / "devstack-password"
    secret.parent.mkdir(parents=True)
    secret.write_text("devstack-admin-pw\n", encoding="utf-8")
    env = {"HOME": str(tmp_path), "HVRT_HYPERV_PASSWORD": "hyperv-pw"}
    proc = run_cli("config", "validate", "-c", str(REAL_LAB), cwd=tmp_path, env=env)
    assert (proc.returncode, proc.stdout.strip(), proc.stderr) == (0, "ok: 6 profiles, 3 scenarios", "")

    monkeypatch.setenv("HOME", str(tmp_path))
    config = load_config(REAL_LAB, environ=env)
    scenarios = select_scenarios(config, [], all=True)
    assert [s.name for s in scenarios] == ["2019-vhdx", "2019-vhd-fixed", "2019-ovs-vxlan"]
    controller = config.controllers["devstack-01"]
    for scenario in scenarios:
        for name in scenario.candidate_nodes:
            state = build(config, config.profiles[scenario.name], config.nodes[name], controller).to_dict()
            assert "LiveMigration" in state["installer"]["features"], (scenario.name, name)
            if scenario.name == "2019-ovs-vxlan":
                ovs = state["ini"]["neutron_ovs_agent.conf"]["sections"]["ovs"]
                assert ovs["local_ip"]["value"] == config.nodes[name].address


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
