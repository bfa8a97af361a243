"""The parts of a test id: the one parser reports, retries and lists share.

Tempest ids look like ``pkg.mod.Class.test_x[id-<uuid>,smoke]``; a failing class or
module fixture shows up as ``setUpClass (pkg.mod.Class)`` or
``tearDownModule (pkg.mod)``.
"""
from __future__ import annotations

import re

_FIXTURE = re.compile(r"^(?P<fixture>setUpClass|tearDownClass|setUpModule|tearDownModule) "
                      r"\((?P<target>[^()]+)\)$")


def fixture_target(test_id: str) -> str | None:
    """For a fixture entry such as ``setUpClass (pkg.mod.Class)``, the class or module
    it stands for; ``None`` for a real test id."""
    match = _FIXTURE.match(test_id)
    return match.group("target") if match else None


def split_test_id(test_id: str) -> tuple[str, str]:
    """``(classname, name)``: ``pkg.mod.Class.test_x[id-1,smoke]`` gives
    ``("pkg.mod.Class", "test_x[id-1,smoke]")``, ``setUpClass (pkg.mod.Class)`` gives
    ``("pkg.mod.Class", "setUpClass")``, an id without dots ``("", id)``."""
    match = _FIXTURE.match(test_id)
    if match:
        return match.group("target"), match.group("fixture")
    base, bracket, tags = test_id.partition("[")
    if "." not in base:
        return "", test_id
    cls, _, short = base.rpartition(".")
    return cls, f"{short}{bracket}{tags}"


def class_of(test_id: str) -> str:
    """``pkg.mod.Class`` of a test id, or the target of a fixture entry."""
    return split_test_id(test_id)[0] or test_id.partition("[")[0]
