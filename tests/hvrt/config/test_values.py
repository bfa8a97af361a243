"""Value rules: safe names, addresses, URLs per field, git refs, one-line text, timeouts."""
from __future__ import annotations

import pytest

from hvrt.config.values import (
    INSTALLER_SCHEMES,
    MAX_TIMEOUT,
    RULES,
    address,
    git_ref,
    host_name,
    one_line,
    path,
    profile_name,
    timeout,
    url,
)


@pytest.mark.parametrize("name", ["hv1", "hv-2012r2-a", "HV.lab_1", "a" * 63, "0"])
def test_safe_host_names(name: str) -> None:
    assert host_name(name) is None


@pytest.mark.parametrize("name", ["", "../x", "a/b", "..", "a..b", ".hidden", "-x", "a b", "a" * 64, "h\u00e9", "x\n"])
def test_unsafe_host_names(name: str) -> None:
    assert host_name(name) is not None


def test_profile_names_may_be_longer_but_not_unsafe() -> None:
    assert profile_name("p" * 128) is None
    assert "longer than 128" in (profile_name("p" * 129) or "")
    assert profile_name("2012r2..vhdx") is not None


@pytest.mark.parametrize("text", ["127.0.0.11", "::1", "fe80::1%eth0", "hv1", "hv-01.lab.example", "host."])
def test_addresses(text: str) -> None:
    assert address(text) is None


@pytest.mark.parametrize("text", ["", "999.1.1.1", "a_b", "-x", "a..b", "x" * 64 + ".lab", "[::1]", "1.2.3"])
def test_not_addresses(text: str) -> None:
    assert address(text) is not None


@pytest.mark.parametrize(("text", "ok"), [
    ("https://opendev.org/openstack/nova", True),
    ("ssh://git@example.invalid/nova.git", True),
    ("git://example.invalid/nova", True),
    ("file:///srv/git/nova", True),
    ("/srv/git/nova.git", True),
    ("git@example.invalid:openstack/nova.git", True),
    ("http://example.invalid/nova", False),
    ("--upload-pack=touch /tmp/x", False),
    ("-u", False),
    ("ftp://example.invalid/nova", False),
    ("file://server/share/nova", False),
    ("https://user:pw@example.invalid/nova", False),
    ("https://", False),
    ("https://exa mple/x", False),
    ("https://example.invalid:99999/x", False),
    ("relative/path", False),
    ("https://example.invalid/x\nrm -rf /", False),
])
def test_repository_urls(text: str, ok: bool) -> None:
    assert (RULES["url:repo"](text) is None) is ok, RULES["url:repo"](text)


def test_schemes_are_per_field() -> None:
    assert url("https://example.invalid/a.msi", INSTALLER_SCHEMES) is None
    assert RULES["url:image"]("ssh://example.invalid/a.vhdx") is not None
    assert RULES["url:http"]("file:///etc/passwd") is not None
    assert "scheme ftp://" in (RULES["url:image"]("ftp://example.invalid/a.vhdx") or "")


@pytest.mark.parametrize("ref", ["master", "stable/2024.1", "2024.1.0", "hyperv/2024.1", "v1.2-rc1", "a@b"])
def test_git_refs(ref: str) -> None:
    assert git_ref(ref) is None


@pytest.mark.parametrize(("ref", "why"), [
    ("", "empty"), ("-b", "'-'"), ("@", "'@'"), ("a..b", "'..'"), ("a b", "space"), ("a~1", "'~'"),
    ("a^", "'^'"), ("a:b", "':'"), ("a?", "'?'"), ("a*", "'*'"), ("a[b", "'['"), ("a\\b", "'\\\\'"),
    ("a@{1}", "'@{'"), ("/a", "'/'"), ("a/", "'/'"), ("a//b", "'//'"), ("a.", "end with '.'"),
    ("a/.b", "start with '.'"), (".a", "start with '.'"), ("a.lock", ".lock"), ("a/b.lock/c", ".lock"),
    ("a\x7fb", "control"), ("a\tb", "control"),
])
def test_bad_git_refs_follow_check_ref_format(ref: str, why: str) -> None:
    problem = git_ref(ref)
    assert problem is not None and why in problem, problem


@pytest.mark.parametrize("text", ["a\rb", "a\nb", "a\x00b", "a\x0bb", "a\u2028b", "a\x85b"])
def test_one_line_refuses_breaks_and_controls(text: str) -> None:
    assert one_line(text) is not None


def test_one_line_keeps_tabs_and_unicode() -> None:
    assert one_line("a\tb \u00e9\u4e2d") is None


def test_paths() -> None:
    assert path("/opt/stack") is None and path(r"C:\ProgramData\hvrt") is None
    assert path("") is not None and path("-rf") is not None and path("/a\nb") is not None


@pytest.mark.parametrize(("value", "ok"), [
    (1, True), (0.5, True), (MAX_TIMEOUT, True), (0, False), (-5, False), (MAX_TIMEOUT + 1, False),
    (float("inf"), False), (float("nan"), False),
])
def test_timeouts_are_finite_positive_and_bounded(value: float, ok: bool) -> None:
    assert (timeout(value) is None) is ok
