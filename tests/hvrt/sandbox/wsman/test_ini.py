"""The node's INI writer (the Python twin of ``Set-HvrtIniValues``) judged by oslo.config's own parser.

Every check reads the written text with ``oslo_config.cfg.ConfigParser``, the parser
nova and the neutron agents use, and compares what oslo.config returns with what was
meant. The property test writes random values into random files made of the lines
installers and people leave: sections spelled in several cases, keys assigned more
than once, ``:`` as separator, quoted values, continuation lines, comments.
"""
from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from oslo_config import cfg, iniparser

from hvrt.ini import merge_sections
from hvrt.sandbox.wsman import ini
from hvrt.sandbox.wsman.fn_files import FunctionError


def oslo_read(text: str) -> dict[str, dict[str, list[str]]]:
    """``group -> key -> every value in file order``, as oslo.config files them."""
    sections: dict = {}
    normalized: dict = {}
    parser = cfg.ConfigParser("<node>", sections)
    parser._add_normalized(normalized)
    iniparser.BaseParser.parse(parser, text.splitlines(keepends=True))
    return normalized


def oslo_value(text: str, section: str, key: str) -> str:
    return oslo_read(text)[cfg._normalize_group_name(section)][key][-1]


INSTALLED = """\
# written by the installer
[DEFAULT]
debug = False
verbose: True
debug=False

[ovs]
# the tunnel address
local_ip = 192.0.2.1
integration_bridge = br-old

[OVS]
local_ip = 192.0.2.2
bridge_mappings = physnet1:br-eth1,
    physnet2:br-eth2
[agent]
tunnel_types = gre
[AGENT]
tunnel_types = geneve
[default]
debug = True
"""


def test_case_variants_and_duplicates_end_as_one_assignment_that_oslo_reads() -> None:
    text, changed = ini.update(INSTALLED, {
        "DEFAULT": {"debug": "True"},
        "OVS": {"local_ip": "14.14.14.1", "bridge_mappings": "physnet1:br-ex", "enable_tunneling": "True"},
        "agent": {"tunnel_types": "vxlan"},
    })
    read = oslo_read(text)
    assert read["DEFAULT"]["debug"] == ["True"] and read["DEFAULT"]["verbose"] == ["True"]
    assert read["ovs"]["local_ip"] == ["14.14.14.1"] and read["ovs"]["bridge_mappings"] == ["physnet1:br-ex"]
    assert read["ovs"]["enable_tunneling"] == ["True"] and read["ovs"]["integration_bridge"] == ["br-old"]
    assert read["agent"]["tunnel_types"] == ["vxlan"]
    assert read["default"]["debug"] == ["True"]  # [default] is another group; DEFAULT's write left it alone
    assert changed == 5
    lines = text.splitlines()
    assert lines[:2] == ["# written by the installer", "[DEFAULT]"] and "# the tunnel address" in lines
    assert lines.index("[ovs]") < lines.index("local_ip = 14.14.14.1") < lines.index("[OVS]")
    assert "    physnet2:br-eth2" not in lines  # the continuation went with the value it belonged to
    assert lines.index("enable_tunneling = True") < lines.index("[agent]")  # added to the group's last section
    assert ini.update(text, {"OVS": {"local_ip": "14.14.14.1"}, "DEFAULT": {"debug": "True"}}) == (text, 0)


def test_parse_reads_like_oslo_and_keeps_the_first_spelling() -> None:
    parsed = ini.parse(INSTALLED)
    assert parsed["ovs"]["local_ip"] == "192.0.2.2" and "OVS" not in parsed
    assert parsed["ovs"]["bridge_mappings"] == "physnet1:br-eth1,\nphysnet2:br-eth2"
    assert parsed["DEFAULT"] == {"debug": "False", "verbose": "True"} and parsed["default"] == {"debug": "True"}
    read = oslo_read(INSTALLED)
    assert {k: v[-1] for k, v in read["ovs"].items()} == parsed["ovs"]


@pytest.mark.parametrize("value", ["", " leading", "trailing ", '"quoted"', "'single'", '"', "a = b : c",
                                   "#not-a-comment", ";x", "[section]", 'say "hi"', "line1\nline2", "€ ünïcode"])
def test_values_read_back_unchanged(value: str) -> None:
    text, _ = ini.update("[hyperv]\nother = 1\n", {"hyperv": {"key": value}})
    assert oslo_value(text, "hyperv", "key") == value and ini.parse(text)["hyperv"]["key"] == value
    assert oslo_value(text, "hyperv", "other") == "1"


@pytest.mark.parametrize(("section", "key", "value", "message"), [
    ("hyperv", "key", "a\rb", "CR, NUL"),
    ("hyperv", "key", "a\x00b", "CR, NUL"),
    ("hyperv", "key", "a\u2028b", "line-breaking"),
    ("hyperv", "key", "a\n\nb", "line 2"),
    ("hyperv", "key", "a\n  b", "line 2"),
    ("hyperv", "a:b", "v", "invalid INI key"),
    ("hyperv", "a=b", "v", "invalid INI key"),
    ("hy]perv", "key", "v", "invalid INI section"),
])
def test_what_oslo_could_not_read_back_is_refused_and_nothing_is_written(section, key, value, message) -> None:
    with pytest.raises(FunctionError) as info:
        ini.update("[hyperv]\n", {"DEFAULT": {"first": "1"}, section: {key: value}})
    assert message in str(info.value) and info.value.category == "InvalidArgument"


# ----------------------------------------------------------------- property test

SECTIONS = ["DEFAULT", "ovs", "OVS", "Ovs", "agent", "AGENT", "hyperv", "default"]
KEYS = ["local_ip", "debug", "tunnel_types", "x"]
PLAIN = st.text(alphabet="abcXYZ019._-/:= ", min_size=0, max_size=8)


@st.composite
def files(draw: st.DrawFn) -> str:
    lines = ["[" + draw(st.sampled_from(SECTIONS)) + "]"]
    for _ in range(draw(st.integers(0, 14))):
        kind = draw(st.sampled_from(["section", "key", "key", "key", "comment", "blank", "continued"]))
        if kind == "section":
            lines.append("[" + draw(st.sampled_from(SECTIONS)) + "]")
        elif kind == "comment":
            lines.append(draw(st.sampled_from(["#", ";"])) + " " + draw(PLAIN))
        elif kind == "blank":
            lines.append("")
        else:
            sep = draw(st.sampled_from([" = ", "=", " : ", ":"]))
            lines.append(draw(st.sampled_from(KEYS)) + sep + draw(PLAIN))
            if kind == "continued":
                lines.append("    " + draw(st.text(alphabet="abc019", min_size=1, max_size=5)))
    return "\n".join(lines) + "\n"


VALUES = st.dictionaries(st.sampled_from([s for s in SECTIONS if s != "default"]), st.dictionaries(
    st.sampled_from(KEYS), st.text(alphabet="abc019 '\"=:#;[]", max_size=8), max_size=3), max_size=4)


@settings(max_examples=300, deadline=None)
@given(files(), VALUES)
def test_oslo_reads_exactly_what_was_written_and_nothing_else_changes(text: str, values: dict) -> None:
    before = oslo_read(text)
    new, _ = ini.update(text, values)
    after = oslo_read(new)
    meant: dict[tuple[str, str], str] = {}
    for section, pairs in values.items():
        for key, value in pairs.items():
            meant[(cfg._normalize_group_name(section), key)] = value
    for (group, key), value in meant.items():
        assert after[group][key] == [value]
    for group, keys in before.items():
        for key, found in keys.items():
            if (group, key) not in meant:
                assert after[group][key] == found
    assert set(after) == set(before) | {g for g, _ in meant}
    comments = [line for line in text.splitlines() if line[:1] in ("#", ";")]
    assert [line for line in new.splitlines() if line[:1] in ("#", ";")] == comments
    assert ini.update(new, merge_sections(values)) == (new, 0)  # once merged, a second write changes nothing
