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


def test_a_2008r2_node_without_wmf_cannot_run_the_host_loop(tmp_path) -> None:
    """PowerShell 2.0 has no ConvertFrom-Json: the loop fails at its first request, as
    PowerShell does, with the error record on stderr and exit code 1."""
    from dataclasses import dataclass
    from pathlib import Path

    from hvrt.sandbox.wsman.host import HostModel
    from hvrt.sandbox.wsman.powershell import powershell_program
    from hvrt.sandbox.wsman.shell import Process

    class Faults:
        def take_flood(self) -> tuple[bool, None]:
            return False, None

        def answer(self, model: HostModel, name: str, params: dict, value: object) -> object:
            return value

    @dataclass
    class Node:
        model: HostModel
        faults: Faults

    script = (Path(__file__).parents[4] / "plugins" / "hvrt_winrm" / "HostLoop.ps1").read_text(encoding="utf-8")
    encoded = base64.b64encode(script.encode("utf-16-le")).decode()
    outcomes = {}
    for release in ("2008r2", "2008r2-wmf51"):
        node = Node(HostModel(tmp_path / release, "hv", release), Faults())
        proc = Process("powershell", powershell_program(node, ["-EncodedCommand", encoded])).start()
        proc.feed(base64.b64encode(b'{"id": 1, "fn": "__module", "params": {"sha256": "00"}}') + b"\r\n", True)
        proc._thread.join(10)
        outcomes[release] = (proc.exit_code, b"".join(data for stream, data in proc._out if stream == "stderr"))
    code, stderr = outcomes["2008r2"]
    assert code == 1 and b"The term 'ConvertFrom-Json' is not recognized" in stderr
    assert outcomes["2008r2-wmf51"] == (0, b"")  # 5.1 has the JSON cmdlets: the loop answers, ends at EOF
    assert HostModel(tmp_path / "2008r2", "hv").calls() == []


PLANTED = """\
function Compress-HvrtItem {
    param([hashtable]$P)
    Compress-Archive -LiteralPath $P.path -DestinationPath $P.destination
}
"""


def test_a_2012_node_rejects_a_5_1_only_call_that_2016_runs(tmp_path) -> None:
    from dataclasses import dataclass

    from hvrt.sandbox.wsman.fn_files import FunctionError
    from hvrt.sandbox.wsman.host import HostModel
    from hvrt.sandbox.wsman.powershell import ModuleState, call_function

    @dataclass
    class Node:
        model: HostModel

    for release, refused in (("2012", True), ("2012-wmf51", False), ("2016", False)):
        node, module = Node(HostModel(tmp_path / release, "hv", release)), ModuleState()
        module.load_text(PLANTED, node.model.compat_target())
        try:
            call_function(node, module, None, "Compress-HvrtItem", {"path": "C:\\nothing", "destination": "C:\\x.zip"})  # type: ignore[arg-type]
            message = ""
        except FunctionError as exc:
            message = str(exc)
        assert ("The term 'Compress-Archive' is not recognized" in message) is refused, (release, message)
        assert node.model.calls()[-1]["function"] == "Compress-HvrtItem"
