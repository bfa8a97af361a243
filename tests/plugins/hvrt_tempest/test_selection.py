"""Selection on the real ``tempest run --list-tests`` output of Tempest 47
(tests/data/subunit/tempest-list.txt) with the legacy tool's real lists."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from hvrt_tempest.lists import SuiteLists, load_suite
from hvrt_tempest.selection import (
    fixture_target,
    ids_to_rerun,
    longest_match,
    parse_listing,
    restrict,
    select,
)

from hvrt.config.model import TempestSuite

DATA = Path(__file__).resolve().parents[2] / "data" / "subunit"
LEGACY = Path("/work/shared/fixtures/legacy-cloudbase")


@pytest.fixture(scope="module")
def listed() -> list[str]:
    return parse_listing((DATA / "tempest-list.txt").read_text())


def legacy_oracle(ids: list[str], lists: SuiteLists) -> tuple[list[str], list[str]]:
    """What the legacy shell tool ran: grep ^include | grep -v ^(exclude|isolated),
    then the isolated list on its own (minus the excluded here, as hvrt does)."""

    def regex(prefixes: tuple[str, ...]) -> re.Pattern[str]:
        return re.compile("|".join("^" + re.escape(p) for p in prefixes) or "(?!)")

    inc, exc, iso = regex(lists.include), regex(lists.exclude), regex(lists.isolated)
    parallel = [i for i in ids if inc.search(i) and not exc.search(i) and not iso.search(i)]
    isolated = [i for i in ids if iso.search(i) and not exc.search(i)]
    return parallel, isolated


def test_listing_parser_keeps_test_ids_only(listed: list[str]) -> None:
    assert len(listed) == 1575
    noisy = "2026-11-25 21:30:00.1 INFO tempest [-] loading\n" + "\n".join(listed[:3]) + "\n\nTotal: 3\n"
    assert parse_listing(noisy) == listed[:3]
    assert "tempest.api.identity.v3.test_tokens.TokensV3Test.test_create_token[id-6f8e4436-fc96-4282-8122-e41df57197a9]" in listed


def test_legacy_default_suite_selection(listed: list[str]) -> None:
    lists = load_suite(TempestSuite(suite="default", lists_dir=str(LEGACY)))
    chosen = select(listed, lists)
    parallel, isolated = legacy_oracle(listed, lists)
    assert chosen.parallel == parallel
    assert chosen.isolated == isolated
    assert (len(chosen.parallel), len(chosen.isolated)) == (962, 12)
    assert not any(i.startswith("tempest.api.identity.") for i in chosen.to_run)
    assert not any(i.startswith("tempest.api.compute.admin.test_server_diagnostics") for i in chosen.to_run)
    assert [i.split("[")[0].rsplit(".", 2)[1] + "." + i.split("[")[0].rsplit(".", 1)[1] for i in chosen.isolated] == [
        "MigrationsAdminTest.test_list_migrations_in_flavor_resize_situation",
        "ServersAdminNegativeTestJSON.test_resize_server_using_overlimit_ram",
        "ServersAdminNegativeTestJSON.test_resize_server_using_overlimit_vcpus",
        "DeleteServersTestJSON.test_delete_server_while_in_verify_resize_state",
        "ServerDiskConfigTestJSON.test_resize_server_from_auto_to_manual",
        "ServerDiskConfigTestJSON.test_resize_server_from_manual_to_auto",
        "ServerActionsTestJSON.test_resize_server_confirm",
        "ServerActionsTestJSON.test_resize_server_revert",
        "ServersNegativeTestJSON.test_resize_nonexistent_server",
        "ServersNegativeTestJSON.test_resize_server_with_non_existent_flavor",
        "ServersNegativeTestJSON.test_resize_server_with_null_flavor",
        "TestNetworkAdvancedServerOps.test_server_connectivity_resize",
    ]
    # the legacy XML and v3 variants no longer exist in Tempest: they select nothing
    assert not any("XML" in i or ".v3." in i for i in chosen.to_run)


@pytest.mark.parametrize(("suite", "count"), [("images", 52), ("minimum", 1), ("nichotplug", 3)])
def test_other_legacy_suites(listed: list[str], suite: str, count: int) -> None:
    lists = load_suite(TempestSuite(suite=suite, lists_dir=str(LEGACY)))
    chosen = select(listed, lists)
    assert chosen.parallel == legacy_oracle(listed, lists)[0]
    assert len(chosen.parallel) == count and chosen.isolated == []


def test_exclude_wins_over_isolated_and_include(listed: list[str]) -> None:
    lists = SuiteLists(
        include=("tempest.api.identity.v3.test_tokens",),
        isolated=("tempest.api.identity.v3.test_users",),
        exclude=("tempest.api.identity.v3.test_users.IdentityV3UsersTest.test_user_account_lockout",),
    )
    chosen = select(listed, lists)
    assert all(".test_tokens." in i for i in chosen.parallel) and len(chosen.parallel) == 3
    assert [i.split("[")[0].rsplit(".", 1)[1] for i in chosen.isolated] == [
        "test_password_history_check_self_service_api", "test_user_update_own_password",
    ]


def test_skip_and_xfail_maps_report_the_longest_prefix_reason(listed: list[str]) -> None:
    users = "tempest.api.identity.v3.test_users.IdentityV3UsersTest."
    lists = SuiteLists(
        include=("tempest.api.identity.v3.test_users",),
        skip={users + "test_user_account": "lockout not configured"},
        xfail={users + "test_user_update": "bug 42"},
    )
    chosen = select(listed, lists)
    assert [i.split("[")[0] for i in chosen.skipped] == [users + "test_user_account_lockout"]
    assert list(chosen.skipped.values()) == ["lockout not configured"]
    assert not set(chosen.skipped) & set(chosen.to_run)
    assert [i.split("[")[0] for i in chosen.xfail] == [users + "test_user_update_own_password"]
    assert list(chosen.xfail.values()) == ["bug 42"]
    assert set(chosen.xfail) <= set(chosen.parallel) and len(chosen.parallel) == 2

    wider = SuiteLists(
        include=lists.include,
        skip={"tempest.api.identity.v3.": "v3 broken", **lists.skip},
    )
    everything_skipped = select(listed, wider)
    assert everything_skipped.to_run == [] and len(everything_skipped.skipped) == 3
    assert sorted(everything_skipped.skipped.values()) == ["lockout not configured", "v3 broken", "v3 broken"]


def test_longest_match() -> None:
    table = {"a.": "short", "a.b.": "long", "z": "other"}
    assert longest_match("a.b.c", table) == "long"
    assert longest_match("a.c", table) == "short"
    assert longest_match("b", table) is None


def test_fixture_entries_rerun_their_class() -> None:
    pool = ["m.A.test_1[id-1]", "m.A.test_2", "m.AB.test_3", "m.B.test_4"]
    assert fixture_target("setUpClass (m.A)") == "m.A"
    assert fixture_target("tearDownClass (m.B)") == "m.B"
    assert fixture_target("m.A.test_1") is None
    assert ids_to_rerun(["setUpClass (m.A)", "m.B.test_4", "not.in.pool"], pool) == [
        "m.A.test_1[id-1]", "m.A.test_2", "m.B.test_4",
    ]


def test_restrict_keeps_the_failed_tests_the_suite_still_selects(listed: list[str]) -> None:
    lists = SuiteLists(include=("tempest.api.identity.",), isolated=("tempest.api.identity.v3.test_tokens",),
                       exclude=("tempest.api.identity.admin",),
                       skip={"tempest.api.identity.v3.test_api_discovery": "not here"},
                       xfail={"tempest.api.identity.v3.test_tokens.TokensV3Test.test_create_token": "bug 9"})
    chosen = select(listed, lists)
    token = next(i for i in chosen.isolated if ".TokensV3Test.test_create_token[" in i)
    parallel = chosen.parallel[0]
    excluded = next(i for i in listed if i.startswith("tempest.api.identity.admin."))
    narrowed = restrict(chosen, [token, parallel, excluded, "setUpClass (tempest.api.identity.v3.test_tokens.TokensV3Test)"])
    every_token_test = [i for i in chosen.isolated if ".TokensV3Test." in i]
    assert narrowed.parallel == [parallel]
    assert narrowed.isolated == every_token_test, "a failed class fixture re-runs its class"
    assert narrowed.skipped == {} and narrowed.xfail == {token: "bug 9"}
    assert excluded not in narrowed.to_run
