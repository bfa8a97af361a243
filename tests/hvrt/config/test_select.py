"""``select_scenarios``: explicit names, --all, include_default; candidates from the lab."""
from __future__ import annotations

import pytest

from hvrt.config import select_scenarios
from hvrt.errors import ConfigError, UsageError

PROFILES = """\
profiles:
  base: {abstract: true}
  b-2016: {extends: base, os: 2016, live_migration: true}
  a-2012r2: {extends: base, os: 2012r2, controller: ctl2}
  c-pinned: {extends: base, os: 2016, hosts: [hv4], include_default: false}
  d-any-two: {os: 2012r2, node_count: 2, include_default: false}
"""


@pytest.fixture
def config(load):
    return load(PROFILES)


def test_names_come_back_in_config_order(config) -> None:
    got = select_scenarios(config, ["c-pinned", "b-2016", "c-pinned"], all=False)
    assert [s.name for s in got] == ["b-2016", "c-pinned"]


def test_all_and_default(config) -> None:
    assert [s.name for s in select_scenarios(config, [], all=True)] == ["b-2016", "a-2012r2", "c-pinned", "d-any-two"]
    assert [s.name for s in select_scenarios(config, [], all=False)] == ["b-2016", "a-2012r2"]


def test_candidates(config) -> None:
    by_name = {s.name: s for s in select_scenarios(config, [], all=True)}
    assert by_name["b-2016"].candidate_nodes == ("hv3", "hv4") and by_name["b-2016"].nodes_needed == 2
    assert by_name["b-2016"].candidate_controllers == ("ctl1", "ctl2")
    assert by_name["a-2012r2"].candidate_controllers == ("ctl2",)
    assert by_name["c-pinned"].candidate_nodes == ("hv4",) and by_name["c-pinned"].nodes_needed == 1
    assert by_name["d-any-two"].candidate_nodes == ("hv1", "hv2") and by_name["d-any-two"].nodes_needed == 2


def test_unknown_name_is_a_usage_error_with_a_suggestion(config) -> None:
    with pytest.raises(UsageError) as err:
        select_scenarios(config, ["b-2061"], all=False)
    assert str(err.value) == "unknown profile 'b-2061' (did you mean 'b-2016'?); `hvrt profiles` lists them"
    assert isinstance(err.value, ConfigError) and err.value.exit_code == 2


def test_abstract_name_is_refused(config) -> None:
    with pytest.raises(UsageError, match="'base' is abstract"):
        select_scenarios(config, ["base"], all=False)
