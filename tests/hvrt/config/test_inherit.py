"""``extends:``: multi-level and multiple inheritance, deep merge, abstract bases, cycles."""
from __future__ import annotations

import pytest

from hvrt.errors import ConfigError


def test_multi_level_extends_merges_mappings_deeply(load) -> None:
    config = load("""\
        profiles:
          base:
            abstract: true
            image: {url: https://example.invalid/a.vhdx, type: fixed}
            tempest: {suite: default, concurrency: 4, skip: {t.a: reason a}}
            ini:
              "*":
                nova.conf: {DEFAULT: {debug: true, use_cow_images: true}}
          mid:
            abstract: true
            extends: base
            live_migration: true
            tempest: {skip: {t.b: reason b}}
            ini:
              "*":
                nova.conf: {DEFAULT: {use_cow_images: false}, hyperv: {x: 1}}
          leaf:
            extends: mid
            image: {format: vhdx}
            tempest: {concurrency: 8}
        """)
    leaf = config.profiles["leaf"]
    assert leaf.extends == ("mid",) and not leaf.abstract
    assert (leaf.image.format, leaf.image.type, leaf.image.url) == ("vhdx", "fixed", "https://example.invalid/a.vhdx")
    assert leaf.tempest.concurrency == 8 and leaf.tempest.suite == "default"
    assert leaf.tempest.skip == {"t.a": "reason a", "t.b": "reason b"}
    assert leaf.live_migration is True
    assert leaf.ini == {"*": {"nova.conf": {"DEFAULT": {"debug": "True", "use_cow_images": "False"},
                                            "hyperv": {"x": "1"}}}}
    assert config.profiles["base"].abstract and config.profiles["mid"].abstract


def test_list_of_parents_later_wins_and_own_keys_win_last(load) -> None:
    config = load("""\
        profiles:
          a: {abstract: true, os: 2016, cow: false, description: from a}
          b: {abstract: true, os: 2012r2, description: from b}
          c:
            extends: [a, b]
            description: mine
        """)
    c = config.profiles["c"]
    assert (c.os, c.cow, c.description, c.extends) == ("2012r2", False, "mine", ("a", "b"))


def test_lists_replace_and_null_clears(load) -> None:
    config = load("""\
        profiles:
          base:
            abstract: true
            tempest: {include: [a, b]}
            memory: {mode: dynamic, dynamic_ratio: 1.5}
          child:
            extends: base
            tempest: {include: [c]}
            memory: {mode: fixed, dynamic_ratio: null}
        """)
    child = config.profiles["child"]
    assert child.tempest.include == ("c",)
    assert (child.memory.mode, child.memory.dynamic_ratio) == ("fixed", None)


def test_abstract_is_not_inherited_and_abstract_bases_skip_lab_checks(load) -> None:
    config = load("""\
        profiles:
          base: {abstract: true, os: 2022, live_migration: true}
          real: {extends: base, os: 2016}
        """)
    assert config.profiles["base"].abstract is True
    assert config.profiles["real"].abstract is False
    assert [p.name for p in config.scenario_profiles()] == ["real"]


def test_cycle_is_reported_once_with_its_chain(load) -> None:
    with pytest.raises(ConfigError) as err:
        load("""\
            profiles:
              x: {extends: y}
              y: {extends: [z]}
              z: {extends: x}
            """)
    text = str(err.value)
    assert text.count("extends cycle") == 1
    assert "profiles.z.extends: extends cycle: x -> y -> z -> x" in text


def test_error_in_inherited_value_points_at_the_parent(load) -> None:
    with pytest.raises(ConfigError) as err:
        load("""\
            profiles:
              base:
                abstract: true
                cow: perhaps
              a: {extends: base}
              b: {extends: base}
            """)
    text = str(err.value)
    assert "\n" not in text  # reported once, not once per child
    assert text.endswith("/hvrt.yaml:14:10: profiles.base.cow: expected true or false, got a string")


def test_cross_field_error_of_inherited_value_names_the_profile(load) -> None:
    with pytest.raises(ConfigError) as err:
        load("""\
            profiles:
              base: {abstract: true, live_migration: true}
              one: {extends: base, hosts: [hv1]}
            """)
    assert "profiles.base.live_migration: live migration needs 2 nodes, but the profile pins 1 host (hv1) " \
        "(in profile 'one')" in str(err.value)
