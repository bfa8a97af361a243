"""hvrt.ini: section spellings merged the way oslo.config groups them, checked against oslo.config itself."""
from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st
from oslo_config import cfg

from hvrt.errors import ConfigurationFailed
from hvrt.ini import case_clashes, merge_files, merge_sections, oslo_group_key

NAMES = st.text(alphabet="DEFAULTdefaultOVSovsAgent_x", min_size=1, max_size=8)


@pytest.mark.parametrize("name", ["DEFAULT", "default", "Default", "OVS", "ovs", "Ovs", "AGENT", "hyperv",
                                  "SECURITYGROUP", "keystone_authtoken", "İ"])
def test_group_key_is_oslo_configs_own(name: str) -> None:
    assert oslo_group_key(name) == cfg._normalize_group_name(name)


@given(NAMES)
def test_group_key_agrees_with_oslo_config_for_any_name(name: str) -> None:
    assert oslo_group_key(name) == cfg._normalize_group_name(name)


def test_spellings_of_one_group_merge_under_the_first_and_later_values_win() -> None:
    merged = merge_sections({
        "DEFAULT": {"debug": "False"},
        "ovs": {"integration_bridge": "br-int", "local_ip": "14.14.14.3"},
        "agent": {"tunnel_types": "vxlan"},
        "OVS": {"local_ip": "14.14.14.1", "enable_tunneling": True},
        "AGENT": {"enable_metrics_collection": False},
    })
    assert merged == {
        "DEFAULT": {"debug": "False"},
        "ovs": {"integration_bridge": "br-int", "local_ip": "14.14.14.1", "enable_tunneling": "True"},
        "agent": {"tunnel_types": "vxlan", "enable_metrics_collection": "False"},
    }
    assert list(merged["ovs"]) == ["integration_bridge", "local_ip", "enable_tunneling"]
    assert case_clashes(merged) == []


def test_merge_files_merges_each_file_alone() -> None:
    merged = merge_files({"a.conf": {"OVS": {"x": "1"}, "ovs": {"x": "2"}}, "b.conf": {"OVS": {"y": "3"}}})
    assert merged == {"a.conf": {"OVS": {"x": "2"}}, "b.conf": {"OVS": {"y": "3"}}}


@pytest.mark.parametrize(("sections", "clash"), [
    ({"DEFAULT": {"debug": "True"}, "default": {"debug": "False"}}, "sections 'DEFAULT' and 'default' differ"),
    ({"hyperv": {"Debug": "1"}, "HYPERV": {"debug": "2"}}, "keys 'Debug' and 'debug' of [hyperv] differ"),
])
def test_what_cannot_be_sent_is_refused_naming_file_host_and_keys(sections: dict, clash: str) -> None:
    with pytest.raises(ConfigurationFailed) as info:
        merge_files({"nova.conf": sections}, host="hv1")
    assert info.value.host == "hv1" and info.value.step == "ini"
    assert "nova.conf" in str(info.value) and clash in str(info.value)


def test_default_alone_in_another_case_is_its_own_group() -> None:
    # oslo.config reads [default] as the group "default", not as DEFAULT; it is kept apart
    assert merge_sections({"default": {"a": "1"}, "Default": {"b": "2"}}) == {"default": {"a": "1", "b": "2"}}


def test_case_clashes_finds_nested_mappings_in_lists() -> None:
    payload = {"fn": "Set-HvrtIniValues", "params": {"values": {"ovs": {}, "OVS": {}}},
               "more": [{"A": 1, "a": 2}, {"b": 1}]}
    assert case_clashes(payload) == ["keys 'ovs' and 'OVS' of params.values", "keys 'A' and 'a' of more[0]"]
    assert case_clashes(json.loads(json.dumps(merge_files({"f": payload["params"]["values"]})))) == []
