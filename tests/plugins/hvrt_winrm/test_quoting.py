"""Windows command-line quoting: what hvrt writes is what the program on the node reads."""
from __future__ import annotations

import pytest
from hvrt_winrm.quoting import argv_to_command_line, msi_property, msiexec_install_arguments
from hypothesis import given, settings
from hypothesis import strategies as st

from hvrt.errors import ConfigError
from hvrt.sandbox.wsman.cmdline import split_argv, split_msiexec

ARG = st.text(alphabet=st.characters(blacklist_characters="\x00", blacklist_categories=("Cs",)), max_size=20)


@settings(max_examples=300, deadline=None)
@given(st.lists(ARG, max_size=6))
def test_command_line_roundtrip(argv):
    assert split_argv(argv_to_command_line(argv)) == argv


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(st.from_regex(r"[A-Z][A-Z0-9_]{0,8}", fullmatch=True), ARG, max_size=4))
def test_msiexec_properties_roundtrip(props):
    line = msiexec_install_arguments("C:\\a b\\x.msi", "C:\\log dir\\m.log", ["HyperVNovaCompute"], props)
    tokens = split_msiexec(line)
    assert tokens[:6] == ["/i", "C:\\a b\\x.msi", "/qn", "/norestart", "/l*v", "C:\\log dir\\m.log"]
    parsed = dict(t.split("=", 1) for t in tokens[7:])
    assert parsed == props


@pytest.mark.parametrize("name", ["lower", "A B", "X;Y", "A=B", ""])
def test_bad_property_names(name):
    with pytest.raises(ConfigError):
        msi_property(name, "v")
