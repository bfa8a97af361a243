"""Quoting values for Windows command lines, so a value is one argument, literally.

:func:`argv_to_command_line` is the inverse of ``CommandLineToArgvW`` (the rules every
C runtime program on Windows uses to split its command line); :func:`msi_property`
writes ``NAME="value"`` the way msiexec reads it (a quote is doubled). Neither goes
through ``cmd.exe``: hvrt starts processes with ``CreateProcess`` semantics only.
"""
from __future__ import annotations

import re
from collections.abc import Sequence

from hvrt.errors import ConfigError

_PROPERTY_NAME = re.compile(r"^[A-Z_][A-Z0-9_.]*$")


def quote_arg(arg: str) -> str:
    if "\x00" in arg:
        raise ValueError("a Windows argument cannot hold a NUL character")
    if arg and not any(c in arg for c in ' \t\n\v"'):
        return arg
    out = ['"']
    backslashes = 0
    for c in arg:
        if c == "\\":
            backslashes += 1
        elif c == '"':
            out.append("\\" * (2 * backslashes + 1) + '"')
            backslashes = 0
        else:
            out.append("\\" * backslashes + c)
            backslashes = 0
    out.append("\\" * (2 * backslashes) + '"')
    return "".join(out)


def argv_to_command_line(argv: Sequence[str]) -> str:
    return " ".join(quote_arg(a) for a in argv)


def msi_quote(value: str) -> str:
    return '"' + value.replace('"', '""') + '"'


def msi_property(name: str, value: str) -> str:
    if not _PROPERTY_NAME.match(name):
        raise ConfigError(f"invalid MSI property name {name!r} (upper-case letters, digits, _ and .)",
                          key=f"installer.properties.{name}")
    return f"{name}={msi_quote(value)}"


def msiexec_install_arguments(package: str, log: str, features: Sequence[str], properties: dict[str, str]) -> str:
    """The msiexec argument string of an unattended install with a verbose log."""
    for feature in features:
        if not re.match(r"^[A-Za-z0-9_.]+$", feature):
            raise ConfigError(f"invalid MSI feature name {feature!r}", key="installer.features")
    parts = ["/i", msi_quote(package), "/qn", "/norestart", "/l*v", msi_quote(log)]
    if features:
        parts.append("ADDLOCAL=" + ",".join(features))
    parts += [msi_property(k, v) for k, v in properties.items()]
    return " ".join(parts)
