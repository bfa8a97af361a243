"""What the simulated node refuses of hvrt's real module, per OS, from the compat reference."""
from __future__ import annotations

from pathlib import Path

import pytest

from hvrt.sandbox.wsman.oscheck import gate

MODULE = (Path(__file__).parents[4] / "plugins" / "hvrt_winrm" / "HvrtHyperV.psm1").read_text(encoding="utf-8")
HYPERV_FUNCTIONS = {"set-hvrtvmswitch", "set-hvrtlivemigration", "set-hvrtmigrationperformance",
                    "get-hvrthostsettings"}


def refused(target: str) -> dict[str, str]:
    return {name: r.message for name, r in gate(MODULE, target).functions.items() if r is not None}


@pytest.mark.parametrize("target", ["2012r2", "2012r2-wmf51", "2016", "2019", "2022"])
def test_nothing_is_refused_where_the_module_is_clean(target: str) -> None:
    assert refused(target) == {} and gate(MODULE, target).top_level is None


@pytest.mark.parametrize("target", ["2012", "2012-wmf51"])
def test_2012_refuses_only_the_annotated_function_called_directly(target: str) -> None:
    """Set-HvrtLiveMigration calls it only behind the parameter check, so it runs."""
    assert refused(target) == {"set-hvrtmigrationperformance": "A parameter cannot be found that matches parameter "
                                                               "name 'VirtualMachineMigrationPerformanceOption'."}


def test_2008r2_with_wmf_refuses_every_hyperv_function_and_nothing_else() -> None:
    found = refused("2008r2-wmf51")
    assert set(found) == HYPERV_FUNCTIONS
    assert all("is not recognized as the name of a cmdlet" in m for m in found.values())


def test_2008r2_refuses_everything_through_the_dispatcher() -> None:
    g = gate(MODULE, "2008r2")
    assert "ConvertFrom-Json" in g.functions["invoke-hvrtrequest"].message  # type: ignore[union-attr]
    assert g.refusal("Get-HvrtProduct") is g.functions["invoke-hvrtrequest"]
    assert gate(MODULE, "2016").refusal("Get-HvrtProduct") is None


def test_without_the_compat_parser_the_node_is_lenient_and_says_so() -> None:
    """A lab installed without hvrt[compat] still serves the module (strictness off, logged)."""
    import subprocess
    import sys

    code = ("import sys; sys.modules['tree_sitter'] = None\n"
            "import logging; logging.basicConfig()\n"
            "from hvrt.sandbox.wsman.oscheck import gate\n"
            "g = gate('function Get-HvrtX { Compress-Archive -Path a }', '2012')\n"
            "print(g.functions, g.top_level)\n")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert proc.stdout.strip() == "{} None", proc.stderr
    assert "OS strictness is off" in proc.stderr and "hvrt[compat]" in proc.stderr
