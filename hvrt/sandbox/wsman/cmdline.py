"""Windows command-line rules, as the simulated node applies them.

:func:`split_argv` follows ``CommandLineToArgvW`` (how a C program started by
``CreateProcess`` sees its arguments); :func:`split_msiexec` follows msiexec's own
rules for ``PROPERTY="value"`` with ``""`` standing for one quote. :data:`PROGRAMS`
are the executables the node has on its PATH: a WinRS ``Command`` that skips
``cmd.exe`` (``WINRS_SKIP_CMD_SHELL``) and names another one fails the way
``CreateProcess`` does.
"""
from __future__ import annotations

PROGRAMS = frozenset({"powershell", "cmd", "hostname", "whoami", "systeminfo", "echoargs"})


def program_name(file: str) -> str:
    """``C:\\Windows\\System32\\HOSTNAME.EXE`` -> ``hostname``: the key into :data:`PROGRAMS`."""
    return file.replace("/", "\\").rsplit("\\", 1)[-1].lower().removesuffix(".exe")


def split_argv(line: str) -> list[str]:
    args: list[str] = []
    i, n = 0, len(line)
    while i < n:
        while i < n and line[i] in " \t":
            i += 1
        if i >= n:
            break
        current: list[str] = []
        in_quotes = False
        while i < n and (in_quotes or line[i] not in " \t"):
            if line[i] == "\\":
                start = i
                while i < n and line[i] == "\\":
                    i += 1
                count = i - start
                if i < n and line[i] == '"':
                    current.append("\\" * (count // 2))
                    if count % 2:
                        current.append('"')
                        i += 1
                else:
                    current.append("\\" * count)
                continue
            if line[i] == '"':
                if in_quotes and i + 1 < n and line[i + 1] == '"':
                    current.append('"')
                    i += 2
                    continue
                in_quotes = not in_quotes
                i += 1
                continue
            current.append(line[i])
            i += 1
        args.append("".join(current))
    return args


def split_msiexec(line: str) -> list[str]:
    tokens: list[str] = []
    current: list[str] = []
    in_quotes = started = False
    i, n = 0, len(line)
    while i < n:
        c = line[i]
        if in_quotes:
            if c == '"':
                if i + 1 < n and line[i + 1] == '"':
                    current.append('"')
                    i += 2
                    continue
                in_quotes = False
            else:
                current.append(c)
        elif c == '"':
            in_quotes = started = True
        elif c in " \t\r\n":
            if current or started:
                tokens.append("".join(current))
            current, started = [], False
        else:
            current.append(c)
            started = True
        i += 1
    if current or started:
        tokens.append("".join(current))
    return tokens
