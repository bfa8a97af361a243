"""The simulated node reads request JSON the way Windows PowerShell 5.1 does."""
from __future__ import annotations

import base64
import json

import pytest

from hvrt.sandbox.wsman.powershell import RESPONSE_PREFIX, handle_request


def _answer(request: str) -> dict:
    line = handle_request(None, None, None, base64.b64encode(request.encode()))  # type: ignore[arg-type]
    assert line.startswith(RESPONSE_PREFIX)
    return json.loads(base64.b64decode(line[len(RESPONSE_PREFIX):]))


def test_keys_differing_only_in_case_are_refused_like_convertfrom_json() -> None:
    answer = _answer('{"id": 7, "fn": "Set-HvrtIniValues", "params": {"files": {"x.conf": {"ovs": {}, "OVS": {}}}}}')
    assert answer["id"] is None and answer["ok"] is False
    assert answer["error"]["category"] == "InvalidData"
    assert "duplicated keys 'ovs' and 'OVS'" in answer["error"]["message"]


def test_every_module_function_call_is_appended_to_calls_jsonl(tmp_path) -> None:
    from dataclasses import dataclass

    from hvrt.sandbox.wsman.fn_files import FunctionError
    from hvrt.sandbox.wsman.host import CALLS, HostModel
    from hvrt.sandbox.wsman.powershell import ModuleState, call_function

    @dataclass
    class Node:
        model: HostModel

    node, module = Node(HostModel(tmp_path / "hv", "hv")), ModuleState()
    module.load_text("function Get-HvrtItem { }\nfunction Get-HvrtChildItem { }\n")
    assert node.model.calls() == []
    call_function(node, module, None, "Get-HvrtItem", {"path": "C:\\"})  # type: ignore[arg-type]
    with pytest.raises(FunctionError):
        call_function(node, module, None, "Get-HvrtChildItem", {"path": "D:\\x"})  # type: ignore[arg-type]
    with pytest.raises(FunctionError, match="not recognized"):  # not defined by the module: never called
        call_function(node, module, None, "Get-HvrtHotfixes", {})  # type: ignore[arg-type]
    first, second = node.model.calls()
    assert (first["function"], first["ok"], second["function"], second["ok"]) == (
        "Get-HvrtItem", True, "Get-HvrtChildItem", False)
    assert first["start"] <= first["end"] <= second["start"] <= second["end"]
    lines = (tmp_path / "hv" / CALLS).read_text(encoding="utf-8").splitlines()
    assert [json.loads(line) for line in lines] == [first, second]
