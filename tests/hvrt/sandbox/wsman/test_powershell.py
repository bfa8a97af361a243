"""The simulated node reads request JSON the way Windows PowerShell 5.1 does."""
from __future__ import annotations

import base64
import json

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
