"""Every PowerShell script hvrt sends must parse with the tree-sitter PowerShell grammar."""
from __future__ import annotations

import base64
import json
from importlib import resources

import pytest
import tree_sitter
import tree_sitter_powershell
from hvrt_winrm.transport import encode_command, host_loop_script, resource_text

SCRIPTS = sorted(p.name for p in resources.files("hvrt_winrm").iterdir() if p.name.endswith((".ps1", ".psm1")))


def errors(source: str) -> list[str]:
    parser = tree_sitter.Parser(tree_sitter.Language(tree_sitter_powershell.language()))
    tree = parser.parse(source.encode("utf-8"))
    found: list[str] = []

    def walk(node: tree_sitter.Node) -> None:
        if node.type == "ERROR" or node.is_missing:
            found.append(f"line {node.start_point[0] + 1}: {node.text[:60]!r}")
        for child in node.children:
            walk(child)

    walk(tree.root_node)
    return found


def test_all_shipped_scripts_are_found():
    assert {"HvrtHyperV.psm1", "HostLoop.ps1", "OneShot.ps1"} <= set(SCRIPTS)


@pytest.mark.parametrize("name", SCRIPTS)
def test_script_parses(name):
    assert errors(resource_text(name)) == []


def test_sent_forms_parse():
    """What actually goes over the wire: the stripped host loop and a filled-in one-shot script."""
    loop = host_loop_script()
    assert loop.startswith("# hvrt:host-loop") and errors(loop) == []
    assert base64.b64decode(encode_command(loop)).decode("utf-16-le") == loop
    request = base64.b64encode(json.dumps({"id": 1, "fn": "Get-HvrtBootId", "params": {}}).encode()).decode()
    one_shot = resource_text("OneShot.ps1").replace("HVRT_REQUEST_BASE64", request)
    assert errors(one_shot) == []


def test_grammar_catches_broken_scripts():
    assert errors("function Get-X { if ($a -eq 1 { }") != []


def test_every_simulated_function_is_defined_in_the_module():
    import re

    from hvrt.sandbox.wsman import fn_files, fn_hyperv

    defined = set(re.findall(r"(?m)^function\s+([\w-]+)", resource_text("HvrtHyperV.psm1")))
    simulated = set(fn_files.FUNCTIONS) | set(fn_hyperv.FUNCTIONS) | {"Wait-HvrtService", "Invoke-HvrtProcess"}
    assert simulated <= defined
