"""Meta-tests: every hook is typed, documented, prefixed, and called by a run."""
from __future__ import annotations

import inspect
import re
from pathlib import Path

import pytest

from hvrt import hookspecs

HOOKS = sorted(n for n, f in vars(hookspecs).items() if callable(f) and n.startswith("hvrt_"))
TESTS = Path(__file__).resolve().parents[1]


def test_there_is_a_small_hook_surface() -> None:
    # 19: the start stage added two, because its two halves belong to different
    # plugins in a fixed order — each node's configurator starts its services
    # (hvrt_start_node), then the deployer checks the cloud (hvrt_check_deployment).
    assert 10 <= len(HOOKS) <= 19


@pytest.mark.parametrize("name", HOOKS)
def test_hook_is_documented_with_when_returns_and_rule(name: str) -> None:
    doc = inspect.getdoc(getattr(hookspecs, name)) or ""
    assert doc.startswith("Called"), f"{name}: the docstring must say when it is called"
    assert re.search(r"(:return|[Rr]eturns)", doc), f"{name}: the docstring must say what it returns"
    assert re.search(r"(Fan-out|Stops at the first|Historic)", doc), f"{name}: the calling rule is missing"
    for param in inspect.signature(getattr(hookspecs, name)).parameters:
        assert f":param {param}:" in doc, f"{name}: {param} undocumented"


@pytest.mark.parametrize("name", HOOKS)
def test_hook_is_typed(name: str) -> None:
    sig = inspect.signature(getattr(hookspecs, name))
    assert sig.return_annotation is not inspect.Signature.empty
    assert all(p.annotation is not inspect.Parameter.empty for p in sig.parameters.values())


def test_firstresult_hooks_are_the_ones_where_one_plugin_acts() -> None:
    first = {n for n in HOOKS if getattr(hookspecs, n).hvrt_spec.get("firstresult")}
    assert first == {"hvrt_open_transport", "hvrt_configure_node", "hvrt_deploy", "hvrt_run_tests", "hvrt_stage",
                     "hvrt_start_node", "hvrt_check_deployment"}
    assert hookspecs.hvrt_configure.hvrt_spec.get("historic")
    assert hookspecs.hvrt_config_schema.hvrt_spec.get("historic")


@pytest.mark.parametrize("name", HOOKS)
def test_hook_has_a_test(name: str) -> None:
    sources = "".join(p.read_text() for p in TESTS.rglob("test_*.py") if p.name != "test_hookspecs.py")
    assert name in sources, f"no test mentions {name}"
