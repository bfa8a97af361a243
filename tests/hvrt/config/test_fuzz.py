"""Property: no variant of the example configs, however malformed, gets past the loader badly.

Each generated case mutates one of ``examples/hvrt.yaml``, ``examples/sandbox/hvrt.yaml``
or ``examples/legacy/hvrt.yaml`` -- in the parsed tree (nasty values, misspelt,
missing or extra keys, wrong shapes) or in the text (lines deleted, duplicated,
re-indented, garbage and alias bombs inserted) -- and loads it in this process, as
``hvrt config validate`` does, with the blocks the built-in plugins declare.
For every case: no exception other than an :class:`HvrtError` (no traceback), at most
2 seconds, and a rejection (exit 2) names ``file:line:column`` on every line.
"""
from __future__ import annotations

import copy
import re
import time
from pathlib import Path
from typing import Any

import pytest
import yaml
from hvrt_devstack.settings import hvrt_config_schema as devstack_blocks
from hvrt_tempest.settings import hvrt_config_schema as tempest_blocks
from hvrt_winrm.settings import hvrt_config_schema as winrm_blocks
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hvrt.config import load_config
from hvrt.config.registry import Schemas
from hvrt.errors import ExitCode, HvrtError

EXAMPLES = Path(__file__).resolve().parents[3] / "examples"
SOURCES = {name: (EXAMPLES / name).read_text(encoding="utf-8")
           for name in ("hvrt.yaml", "sandbox/hvrt.yaml", "legacy/hvrt.yaml")}
TREES = {name: yaml.safe_load(text) for name, text in SOURCES.items()}
ENV = {"HVRT_NODE_PASSWORD": "fuzz-node-pw", "HVRT_ADMIN_PASSWORD": "fuzz-admin-pw",
       "HVRT_SANDBOX_PASSWORD": "fuzz-sandbox-pw"}
SCHEMAS = Schemas([*winrm_blocks(), *devstack_blocks(), *tempest_blocks()],
                  plugins=frozenset({"winrm", "devstack", "tempest", "html", "sandbox", "core", "transports"}))
CASES = 1000
LIMIT_SECONDS = 2.0

NASTY_TEXT = [
    "", " ", "../etc", "a/../../b", "..", "--upload-pack=touch /tmp/pwned", "-x", "a\nb", "a\r\nb", "a\x00b",
    "a\u2028b", "x" * 300, "${env:HVRT_FUZZ_UNSET}", "${file:/nonexistent/secret}", "${env:X", "pre ${env:X}",
    "http://example.invalid/x.msi", "ftp://example.invalid/x", "file://host/x", "https://u:p@example.invalid/x",
    "stable/../x", "a..b", "x@{1}", "refs/heads/", "127.0.0.11", "::1", "999.0.0.1", "0", "yes", "null",
    "C:\\x & del C:\\y", "2024-13-45", "\t",
]
NASTY_VALUES: list[Any] = [
    float("inf"), float("-inf"), float("nan"), 10**9, 10**30, -1, 0, 1, 2, 1.5, -0.0, True, False, None,
    [], {}, [None], {"": 1}, [[[]]], {"a": {"b": {"c": None}}},
]
GARBAGE_LINES = [
    "  bogus: 1", "\t", "- x", "{", "]", ": :", "a: &a [*a]", "? [a, b]\n: 1", "x: !!python/object:os.system {}",
    "<<: 5", "a: *nowhere", "%YAML 9.9", "---", "...", "x: " + "[" * 100, "x: 1\nx: 2",
    "bomb0: &b0 [x, x, x, x, x, x, x, x, x]\n" + "\n".join(
        f"bomb{i}: &b{i} [{', '.join([f'*b{i - 1}'] * 9)}]" for i in range(1, 9)),
]

nasty = st.one_of(st.sampled_from(NASTY_TEXT), st.sampled_from(NASTY_VALUES), st.text(max_size=12),
                  st.integers(), st.floats(allow_nan=True, allow_infinity=True))


def _slots(tree: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every path to a value of the tree (dict keys and list indexes)."""
    out = [path]
    if isinstance(tree, dict):
        for key, value in tree.items():
            out += _slots(value, (*path, key))
    elif isinstance(tree, list):
        for index, value in enumerate(tree):
            out += _slots(value, (*path, index))
    return out


def _parent(tree: Any, path: tuple[Any, ...]) -> Any:
    for step in path[:-1]:
        tree = tree[step]
    return tree


def _typo(draw: Any, word: str) -> str:
    if len(word) < 2:
        return word + "x"
    i = draw(st.integers(0, len(word) - 2))
    how = draw(st.sampled_from(["drop", "swap", "double", "case"]))
    if how == "drop":
        return word[:i] + word[i + 1:]
    if how == "swap":
        return word[:i] + word[i + 1] + word[i] + word[i + 2:]
    if how == "double":
        return word[:i] + word[i] + word[i:]
    return word[:i] + word[i].swapcase() + word[i + 1:]


def _mutate_tree(draw: Any, tree: dict[str, Any]) -> None:
    path = draw(st.sampled_from(_slots(tree)[1:]))
    parent, last = _parent(tree, path), path[-1]
    action = draw(st.sampled_from(["value", "value", "value", "rename", "delete", "add", "wrap", "copy"]))
    if action == "value":
        parent[last] = draw(nasty)
    elif action == "delete":
        del parent[last]
    elif action == "wrap":
        parent[last] = draw(st.sampled_from([[parent[last]], {"x": parent[last]}]))
    elif action == "copy":  # a sibling's value (duplicate addresses, names, ...)
        siblings = list(parent.values() if isinstance(parent, dict) else parent)
        parent[last] = copy.deepcopy(draw(st.sampled_from(siblings)))
    elif isinstance(parent, dict):
        key = _typo(draw, str(last)) if action == "rename" else draw(st.sampled_from(
            ["bogus", "stak_timeout", "schem", "clouds_yml", str(last) + "s", draw(st.text(min_size=1, max_size=8))]))
        value = parent.pop(last) if action == "rename" else draw(nasty)
        parent[key] = value
    else:
        parent.insert(last, draw(nasty))


def _mutate_text(draw: Any, text: str) -> str:
    lines = text.splitlines()
    for _ in range(draw(st.integers(1, 3))):
        i = draw(st.integers(0, len(lines) - 1))
        action = draw(st.sampled_from(["delete", "duplicate", "insert", "indent", "char", "truncate"]))
        if action == "delete":
            del lines[i]
        elif action == "duplicate":
            lines.insert(i, lines[i])
        elif action == "insert":
            lines[i:i] = draw(st.sampled_from(GARBAGE_LINES)).splitlines()
        elif action == "indent":
            shift = draw(st.integers(-4, 4))
            lines[i] = " " * max(0, len(lines[i]) - len(lines[i].lstrip()) + shift) + lines[i].lstrip()
        elif action == "char" and lines[i]:
            j = draw(st.integers(0, len(lines[i]) - 1))
            lines[i] = lines[i][:j] + draw(st.sampled_from(list(":{}[]&*!|>'\"#%@`-,?\t\\"))) + lines[i][j + 1:]
        elif action == "truncate":
            del lines[i:]
        if not lines:
            lines = [""]
    return "\n".join(lines) + "\n"


@st.composite
def variants(draw: Any) -> tuple[str, str]:
    name = draw(st.sampled_from(sorted(SOURCES)))
    if draw(st.integers(0, 3)) == 0:
        return name, _mutate_text(draw, SOURCES[name])
    tree = copy.deepcopy(TREES[name])
    for _ in range(draw(st.integers(1, 3))):
        _mutate_tree(draw, tree)
    return name, yaml.safe_dump(tree, sort_keys=False, allow_unicode=True, width=1000)


def validate_in_process(path: Path) -> tuple[int, str]:
    """What ``hvrt config validate`` would exit with, and print on error (as hvrt.cli.main maps it)."""
    try:
        load_config(path, environ=ENV, schemas=SCHEMAS)
    except HvrtError as exc:
        return int(exc.exit_code), str(exc)
    return int(ExitCode.OK), ""


@pytest.fixture(scope="module")
def folders(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """One folder per example, beside which the variants are written (relative paths keep working)."""
    root = tmp_path_factory.mktemp("fuzz")
    out = {}
    for name in SOURCES:
        folder = root / name.replace("/", "-")
        folder.mkdir()
        out[name] = folder
    return out


def test_the_examples_themselves_load(folders: dict[str, Path]) -> None:
    for name, text in SOURCES.items():
        path = folders[name] / "hvrt.yaml"
        path.write_text(text, encoding="utf-8")
        assert validate_in_process(path) == (0, ""), name


@settings(max_examples=CASES, deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(case=variants())
def test_malformed_variants_are_rejected_cleanly(folders: dict[str, Path], case: tuple[str, str]) -> None:
    name, text = case
    path = folders[name] / "hvrt.yaml"
    path.write_text(text, encoding="utf-8")
    started = time.monotonic()
    code, message = validate_in_process(path)
    elapsed = time.monotonic() - started
    assert elapsed < LIMIT_SECONDS, f"{elapsed:.2f} s for:\n{text}"
    assert code in (ExitCode.OK, ExitCode.CONFIG_ERROR), message
    if code == ExitCode.CONFIG_ERROR:
        located = re.compile(re.escape(str(path)) + r":\d+:\d+: ")
        for line in message.splitlines():
            assert located.match(line), f"not located: {line!r}\nfor:\n{text}"
