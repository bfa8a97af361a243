"""WS-Management envelopes recorded from real Windows hosts, as the installed pywinrm ships them.

The tests of the simulated node's envelopes and of hvrt's WinRM transport compare
against (or replay) these recordings. They are read at test time from pywinrm's own
test package (``winrm/tests/conftest.py``, module-level strings) and never copied into
hvrt; a test skips when that package is not installed. The helpers reduce an envelope
to what Windows fixes and a client can rely on: element names with namespaces, their
order, attribute names, header blocks and declared namespace prefixes.
"""
from __future__ import annotations

import ast
import io
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

S = "http://www.w3.org/2003/05/soap-envelope"
ACTIVITY_ID = "{http://schemas.microsoft.com/wbem/wsman/1/wsman.xsd}ActivityId"


def recorded() -> dict[str, str]:
    """Every module-level string of pywinrm's recorded fixtures, by name (skips when absent)."""
    try:
        import winrm
    except ImportError:  # pragma: no cover - pywinrm is a dependency of hvrt_winrm
        pytest.skip("pywinrm is not installed")
    path = Path(winrm.__file__).parent / "tests" / "conftest.py"
    if not path.is_file():
        pytest.skip(f"pywinrm's recorded Windows envelopes are not installed ({path})")
    found: dict[str, str] = {}
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if (isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name)
                and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str)):
            found[node.targets[0].id] = node.value.value
    return found


def _root(xml: str | bytes) -> ET.Element:
    return ET.fromstring(xml.encode() if isinstance(xml, str) else xml)


def shape(el: ET.Element) -> tuple:
    """Tag, attribute names and children in order; runs of identical siblings count once."""
    attrs = tuple(sorted(k for k in el.attrib if not k.startswith("{http://www.w3.org/XML/1998/namespace}")))
    children: list[tuple] = []
    for child in el:
        sub = shape(child)
        if not children or children[-1] != sub:
            children.append(sub)
    return (el.tag, attrs, tuple(children))


def body(xml: str | bytes) -> ET.Element:
    found = _root(xml).find(f"{{{S}}}Body")
    assert found is not None, "envelope without s:Body"
    return found


def body_shape(xml: str | bytes) -> tuple:
    return shape(body(xml))


def header_tags(xml: str | bytes) -> list[str]:
    """Header blocks in order."""
    header = _root(xml).find(f"{{{S}}}Header")
    assert header is not None, "envelope without s:Header"
    return [child.tag for child in header]


def declared(xml: str | bytes) -> dict[str, str]:
    """Namespace prefixes declared on the envelope element itself."""
    data = xml.encode() if isinstance(xml, str) else xml
    found: dict[str, str] = {}
    depth = 0
    for event, item in ET.iterparse(io.BytesIO(data), events=("start-ns", "start", "end")):
        if event == "start-ns" and depth == 0:
            prefix, uri = item  # type: ignore[misc]
            found[prefix] = uri
        elif event == "start":
            depth += 1
            if depth > 1:
                break
    return found


def recorded_faults() -> dict[str, str]:
    """The fault envelopes of pywinrm's exception tests, by test name (skips when absent)."""
    import winrm

    path = Path(winrm.__file__).parent / "tests" / "test_exceptions.py"
    if not path.is_file():
        pytest.skip(f"pywinrm's recorded Windows faults are not installed ({path})")
    found: dict[str, str] = {}
    for func in ast.parse(path.read_text(encoding="utf-8")).body:
        if not isinstance(func, ast.FunctionDef):
            continue
        for node in ast.walk(func):
            if (isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name)
                    and node.targets[0].id == "xml_text" and isinstance(node.value, ast.Constant)):
                found[func.name] = str(node.value.value)
    return found
