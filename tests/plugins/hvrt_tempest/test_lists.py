"""List files in the legacy format, read from the legacy tool's real lists."""
from __future__ import annotations

from pathlib import Path

import pytest
from hvrt_tempest.lists import load_suite, parse_list

from hvrt.config.model import TempestSuite
from hvrt.errors import ConfigError

LEGACY = Path("/work/shared/fixtures/legacy-cloudbase")


def test_parse_list_drops_comments_blanks_and_duplicates() -> None:
    text = "# heading\n\ntempest.api.a.\n  tempest.api.b.X  # trailing note\ntempest.api.a.\n#tempest.api.c.\n"
    assert parse_list(text) == ["tempest.api.a.", "tempest.api.b.X"]


def test_legacy_exclude_file_keeps_ids_and_drops_reasons() -> None:
    entries = parse_list((LEGACY / "exclude-tests-default.txt").read_text())
    assert len(entries) == 10
    assert entries[0] == "tempest.api.compute.v3.servers.test_server_actions.ServerActionsV3Test.test_get_spice_console"
    assert "tempest.api.compute.admin.test_server_diagnostics" in entries
    assert not any(e.startswith("#") or " " in e for e in entries)


@pytest.mark.parametrize(
    ("suite", "include", "exclude", "isolated"),
    [("default", 6, 10, 37), ("images", 2, 0, 0), ("minimum", 1, 0, 0), ("nichotplug", 3, 0, 0)],
)
def test_suite_name_picks_its_files(suite: str, include: int, exclude: int, isolated: int) -> None:
    lists = load_suite(TempestSuite(suite=suite, lists_dir=str(LEGACY)))
    assert (len(lists.include), len(lists.exclude), len(lists.isolated)) == (include, exclude, isolated)
    assert str(LEGACY / f"include-tests-{suite}.txt") in lists.sources


def test_profile_lists_and_maps_add_to_the_files() -> None:
    suite = TempestSuite(
        suite="minimum", lists_dir=str(LEGACY), include=("tempest.api.identity.",),
        exclude=("tempest.api.identity.v2",), isolated=("tempest.api.identity.admin.v3.test_roles",),
        skip={"tempest.api.identity.v3.test_users": "no security compliance"}, xfail={"x": "bug 1"},
    )
    lists = load_suite(suite)
    assert lists.include == (
        "tempest.scenario.test_minimum_basic.TestMinimumBasicScenario.test_minimum_basic_scenario",
        "tempest.api.identity.",
    )
    assert lists.exclude == ("tempest.api.identity.v2",)
    assert lists.isolated == ("tempest.api.identity.admin.v3.test_roles",)
    assert lists.skip == {"tempest.api.identity.v3.test_users": "no security compliance"}
    assert lists.xfail == {"x": "bug 1"}


def test_relative_lists_dir_is_relative_to_the_config_file(tmp_path: Path) -> None:
    (tmp_path / "lists").mkdir()
    (tmp_path / "lists" / "include-tests-identity.txt").write_text("tempest.api.identity.\n")
    lists = load_suite(TempestSuite(suite="identity", lists_dir="lists"), str(tmp_path / "hvrt.yaml"))
    assert lists.include == ("tempest.api.identity.",)
    assert lists.exclude == () and lists.isolated == ()


def test_missing_include_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no include list"):
        load_suite(TempestSuite(suite="nosuch", lists_dir=str(LEGACY)))
    # ... unless the profile lists its includes itself
    lists = load_suite(TempestSuite(suite="nosuch", lists_dir=str(LEGACY), include=("tempest.api.",)))
    assert lists.include == ("tempest.api.",)


def test_missing_lists_folder_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not found"):
        load_suite(TempestSuite(lists_dir=str(tmp_path / "absent")))


def test_no_lists_dir_means_only_the_profile_lists() -> None:
    lists = load_suite(TempestSuite(include=("tempest.api.identity.",)))
    assert lists.include == ("tempest.api.identity.",) and lists.sources == ()


def test_lists_of_a_config_imported_from_the_legacy_tool(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from hvrt.cli.main import main
    from hvrt.config.loader import load_config

    assert main(["import-legacy", str(LEGACY / "config.yaml"), "-o", str(tmp_path / "hvrt.yaml")]) == 0
    for name in ("HVRT_NODE_PASSWORD", "HVRT_ADMIN_PASSWORD"):
        monkeypatch.setenv(name, "not-used-here")
    config = load_config(str(tmp_path / "hvrt.yaml"))
    hotplug = load_suite(config.profiles["HyperV2016_NIC_hotplug"].tempest, config.path)
    assert hotplug.include == tuple(parse_list((LEGACY / "include-tests-nichotplug.txt").read_text()))
    default = load_suite(config.profiles["HyperV2016_VHDX"].tempest, config.path)
    assert (len(default.include), len(default.exclude), len(default.isolated)) == (6, 10, 37)
