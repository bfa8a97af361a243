"""One parser of test ids for reports, retries and lists."""
from __future__ import annotations

import pytest

from hvrt.results import TestCase, TestStatus
from hvrt.results.testid import class_of, fixture_target, split_test_id

ID = "tempest.api.identity.v3.test_tokens.TokensV3Test.test_create_token[id-6f8e4436,smoke]"


@pytest.mark.parametrize(("test_id", "cls", "name"), [
    (ID, "tempest.api.identity.v3.test_tokens.TokensV3Test", "test_create_token[id-6f8e4436,smoke]"),
    ("setUpClass (tempest.api.compute.ServersTest)", "tempest.api.compute.ServersTest", "setUpClass"),
    ("tearDownModule (tempest.scenario.test_x)", "tempest.scenario.test_x", "tearDownModule"),
    ("lonely", "", "lonely"),
    ("a.b[x.y]", "a", "b[x.y]"),
])
def test_split(test_id: str, cls: str, name: str) -> None:
    assert split_test_id(test_id) == (cls, name)
    case = TestCase(test_id, TestStatus.PASSED)
    assert (case.classname, case.name) == (cls or test_id.partition("[")[0], name)
    assert class_of(test_id) == case.classname


def test_fixture_target() -> None:
    assert fixture_target("setUpClass (m.A)") == "m.A"
    assert fixture_target(ID) is None
