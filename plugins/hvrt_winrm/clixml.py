"""The text of PowerShell's error records as a WinRS shell sends them on stderr.

A ``powershell.exe`` started without a console writes its error stream as CLIXML: a
``#< CLIXML`` line, then ``<Objs>`` holding ``<S S="Error">`` strings whose line ends
and other control characters are escaped as ``_xHHHH_``. The transport reads the
first error line out of it when the node's PowerShell dies, so a message like
"The term 'ConvertFrom-Json' is not recognized ..." reaches the pre-flight instead of
an XML fragment. The input is untrusted and bounded by the caller; no XML parser runs.
"""
from __future__ import annotations

import html
import re

MARKER = "#< CLIXML"
_ERROR = re.compile(r'<S S="Error">(.*?)</S>', re.DOTALL)
_ESCAPE = re.compile(r"_x([0-9A-Fa-f]{4})_")


def _unescape(text: str) -> str:
    return html.unescape(_ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), text))


def error_text(stderr: str) -> str:
    """The error text in ``stderr``: the joined error strings of a CLIXML stream, or
    ``stderr`` itself when it is plain text."""
    if not stderr.lstrip().startswith(MARKER):
        return stderr
    return "".join(_unescape(part) for part in _ERROR.findall(stderr))


def first_error_line(stderr: str) -> str:
    """The first non-empty line of the error text (empty when there is none)."""
    return next((line.strip() for line in error_text(stderr).splitlines() if line.strip()), "")
