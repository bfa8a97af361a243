"""Value rules the loader applies to config values: names, addresses, URLs, git refs, text.

Each rule is a function ``rule(value) -> str | None`` returning the problem (a message
without location) or ``None`` when the value is acceptable. The loader's typed
readers and the schema checker (:mod:`hvrt.config.schema`) both use them, and
schemas name them in :data:`RULES` (``Field(..., rule="timeout")``), so one rule has
one implementation.

Why these rules: host and profile names become folder names of the results tree, so
they are single safe path elements; URLs and refs are handed to ``git`` and to the
nodes, so a leading ``-`` (read as an option) or a line break (a second line of a
script or INI file) is refused; numbers must be finite and timeouts bounded so a
typo cannot hang a run for ever.
"""
from __future__ import annotations

import ipaddress
import math
import re
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

MAX_TIMEOUT = 7 * 24 * 3600.0
"""The longest timeout accepted anywhere, in seconds (7 days)."""
MAX_CONCURRENCY = 256
"""The most parallel workers (Tempest concurrency, parallel jobs) a config may ask for."""

HOST_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,62}")
PROFILE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}")
_DNS_LABEL = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?")
_SCP_LIKE = re.compile(r"(?:[A-Za-z0-9._-]+@)?[A-Za-z0-9.-]+:(?!//)[^\s]+")
# C0 and C1 controls except TAB, DEL, and what Python's str.splitlines() also breaks on
_BREAKS = re.compile("[\x00-\x08\x0a-\x1f\x7f-\x9f\u2028\u2029]")
REFERENCE = re.compile(r"\$\{(env|file):([^}]*)\}")
"""A credential reference, ``${env:NAME}`` or ``${file:PATH}`` (see :mod:`hvrt.config.secrets`)."""
_REF_FORBIDDEN = re.compile(r"[\x00-\x20\x7f~^:?*\[\\]")

Rule = Callable[[Any], "str | None"]


def one_line(text: str) -> str | None:
    """No CR, LF, NUL or other control character (a value must stay one line of a file)."""
    found = _BREAKS.search(text)
    if found is None:
        return None
    char = found.group()
    named = {"\r": "a CR", "\n": "a LF", "\x00": "a NUL"}.get(char, f"the control character {char!r}")
    return f"contains {named} character; a value must be one line of text"


def host_name(text: str) -> str | None:
    """A lab host's name: one safe path element of at most 63 characters."""
    return _safe_element(text, HOST_NAME, 63)


def profile_name(text: str) -> str | None:
    """A profile or release name: one safe path element of at most 128 characters."""
    return _safe_element(text, PROFILE_NAME, 128)


def _safe_element(text: str, pattern: re.Pattern[str], limit: int) -> str | None:
    if pattern.fullmatch(text) and ".." not in text:
        return None
    if len(text) > limit:
        return f"is longer than {limit} characters"
    return (f"must be letters, digits, '.', '_' and '-', start with a letter or digit, "
            f"hold no '..' and be at most {limit} characters")


def address(text: str) -> str | None:
    """An IP address or a DNS host name."""
    if not text:
        return "is empty; give an IP address or a host name"
    try:
        ipaddress.ip_address(text)
        return None
    except ValueError:
        pass
    name = text[:-1] if text.endswith(".") else text
    if len(name) <= 253 and all(_DNS_LABEL.fullmatch(label) for label in name.split(".")) \
            and not name.replace(".", "").isdigit():
        return None
    return f"{text!r} is neither an IP address nor a host name"


def network(text: str) -> str | None:
    """An IP network (``10.0.0.0/24``) or a single address."""
    try:
        ipaddress.ip_network(text, strict=False)
        return None
    except ValueError:
        return f"{text!r} is not an IP network such as 192.0.2.0/24"


def path(text: str) -> str | None:
    """A file or folder path: one line, not empty, not starting with '-'."""
    if not text:
        return "is empty; give a path"
    if text.startswith("-"):
        return "must not start with '-' (a command would read it as an option)"
    if text != text.strip():
        return "starts or ends with white space"
    return one_line(text)


def url(text: str, schemes: tuple[str, ...], *, local_paths: bool = False, scp_like: bool = False) -> str | None:
    """A URL whose scheme is one of ``schemes``; ``file:`` URLs need an absolute path.

    :param local_paths: also accept an absolute local path (``/srv/git/nova``).
    :param scp_like: also accept git's ``user@host:path`` form (an ssh URL).
    """
    if not text:
        return "is empty; give a URL"
    if text.startswith("-"):
        return "must not start with '-' (git and curl would read it as an option)"
    bad = one_line(text)
    if bad is not None:
        return bad
    if any(c.isspace() for c in text):
        return "contains white space; write %20 in a URL"
    if local_paths and text.startswith("/"):
        return None
    allowed = ", ".join(f"{s}://" for s in schemes) + (", an absolute path" if local_paths else "")
    try:
        parts = urlsplit(text)
        parts.port  # noqa: B018 -- raises ValueError for a bad port
    except ValueError as exc:
        return f"is not a URL ({exc})"
    if not parts.scheme or "://" not in text:
        if scp_like and "ssh" in schemes and _SCP_LIKE.fullmatch(text):
            return None
        return f"is not a URL; use {allowed}"
    scheme = parts.scheme.lower()
    if scheme not in schemes:
        return f"scheme {scheme}:// is not allowed here; use {allowed}"
    if scheme == "file":
        if parts.netloc not in ("", "localhost") or not parts.path.startswith("/"):
            return "a file:// URL needs an absolute path (file:///srv/...)"
        return None
    if not parts.hostname:
        return f"a {scheme}:// URL needs a host name"
    if parts.password is not None:
        return "holds a password; never write credentials in a URL"
    host = parts.hostname
    problem = address(host)
    if problem is not None:
        return f"host {host!r} is neither an IP address nor a host name"
    return None


def git_ref(text: str) -> str | None:
    """A branch or tag name under the rules of ``git check-ref-format --allow-onelevel``.

    Also refuses a leading ``-`` (git would read it as an option).
    """
    if not text:
        return "is empty; give a branch or tag"
    if text.startswith("-"):
        return "must not start with '-' (git would read it as an option)"
    if text == "@":
        return "'@' alone is not a branch or tag name"
    found = _REF_FORBIDDEN.search(text)
    if found is not None:
        char = found.group()
        shown = "a space" if char == " " else (repr(char) if char.isprintable() else "a control character")
        return f"a git ref cannot contain {shown}"
    for bad, why in (("..", "'..'"), ("@{", "'@{'"), ("//", "'//'")):
        if bad in text:
            return f"a git ref cannot contain {why}"
    if text.startswith("/") or text.endswith("/"):
        return "a git ref cannot start or end with '/'"
    if text.endswith("."):
        return "a git ref cannot end with '.'"
    for part in text.split("/"):
        if part.startswith("."):
            return "no part of a git ref may start with '.'"
        if part.endswith(".lock"):
            return "no part of a git ref may end with '.lock'"
    return None


def finite(value: float) -> str | None:
    if isinstance(value, float) and not math.isfinite(value):
        return f"must be a finite number, got {value}"
    return None


def timeout(value: float) -> str | None:
    """Seconds: finite, above 0, at most :data:`MAX_TIMEOUT` (7 days)."""
    bad = finite(value)
    if bad is not None:
        return bad
    if value <= 0:
        return f"must be greater than 0, got {number_text(value)}"
    if value > MAX_TIMEOUT:
        return f"must be at most {MAX_TIMEOUT:g} seconds (7 days), got {number_text(value)}"
    return None


def number_text(value: float) -> str:
    """A number as a person writes it: ``999999999``, ``1.5``, ``1e+30``."""
    return format(value, ".15g")


def _url_rule(*schemes: str, local_paths: bool = False, scp_like: bool = False) -> Rule:
    return lambda text: url(text, schemes, local_paths=local_paths, scp_like=scp_like)


REPO_SCHEMES = ("https", "ssh", "git", "file")
IMAGE_SCHEMES = ("https", "http", "file")
INSTALLER_SCHEMES = ("https", "http", "file")
"""``http://`` only together with ``sha256:`` (checked by the release reader)."""

RULES: dict[str, Rule] = {
    "one-line": one_line,
    "host-name": host_name,
    "address": address,
    "network": network,
    "path": path,
    "git-ref": git_ref,
    "timeout": timeout,
    "url:http": _url_rule("https", "http"),
    "url:repo": _url_rule(*REPO_SCHEMES, local_paths=True, scp_like=True),
    "url:image": _url_rule(*IMAGE_SCHEMES),
}
"""Rules a schema field may name; string rules get a string, ``timeout`` a number."""

NUMBER_RULES = frozenset({"timeout"})
