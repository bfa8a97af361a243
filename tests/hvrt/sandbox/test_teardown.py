"""Teardown on the sandbox lab: real ``hvrt run`` processes, the simulated Hyper-V node
and the DevStack stand-in's real Keystone. ``--destroy always`` (the default) leaves the
node without the compute product and the controller unstacked (Keystone stopped); the
next scenario installs and stacks again on the same hosts; ``--destroy never`` leaves
the lab up. Two runs of the small suite."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from hvrt.sandbox.keystone import answers, running_info

pytestmark = [pytest.mark.slow, pytest.mark.sshd, pytest.mark.keystone]

PRODUCT = "OpenStack Hyper-V Nova Compute"
NODE = "hv-2012-a"


def products(lab, node: str = NODE) -> dict:
    return json.loads((lab["lab"].node_dir(node) / "state.json").read_text())["products"]


def keystone_dir(lab, controller: str) -> Path:
    return lab["state"] / "controllers" / controller / "stack" / "data" / "keystone"


def test_destroy_always_then_never_on_one_lab(lab) -> None:
    code, summary, err = lab["hvrt"]("run", "-c", str(lab["small"]), "-p", "2012-vhdx", "--destroy", "always",
                                     "--results", str(lab["root"] / "td1"))
    assert code == 0, err
    run_dir = Path(summary["run_dir"])
    result = json.loads((run_dir / "2012-vhdx" / "results.json").read_text())
    assert result["status"] == "passed" and result["stages"][-1]["status"] == "ok"
    teardown = result["facts"]["teardown"]
    assert teardown["policy"] == "always"
    assert [e["action"] for e in teardown["hosts"][NODE]] == ["uninstall"] and teardown["hosts"][NODE][0]["ok"]
    controller = result["controller"]
    assert [(e["action"], e["ok"]) for e in teardown["hosts"][controller]] == [("unstack", True)]
    # the node has no compute product left; the controller's Keystone is stopped and answers no more
    assert PRODUCT not in products(lab)
    assert running_info(keystone_dir(lab, controller)) is None
    auth_url = result["facts"]["deployment"]["auth_url"]
    assert not answers(auth_url, timeout=2)
    assert "Keystone stopped" in (run_dir / "2012-vhdx" / "logs" / controller / "unstack.sh.log").read_text()

    # the next scenario on the same hosts installs and stacks again; never leaves them up
    code, summary, err = lab["hvrt"]("run", "-c", str(lab["small"]), "-p", "2012-vhdx", "--destroy", "never",
                                     "--results", str(lab["root"] / "td2"))
    assert code == 0, err
    result = json.loads((Path(summary["run_dir"]) / "2012-vhdx" / "results.json").read_text())
    assert result["status"] == "passed"
    assert result["facts"]["teardown"]["stages"] == {"configure": "--destroy never: the lab stays up",
                                                     "deploy": "--destroy never: the lab stays up"}
    assert PRODUCT in products(lab)
    assert running_info(keystone_dir(lab, result["controller"])) is not None
    assert answers(result["facts"]["deployment"]["auth_url"] + "/v3", timeout=5) or \
        answers(result["facts"]["deployment"]["auth_url"], timeout=5)
