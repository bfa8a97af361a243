"""``hvrt --help`` explains every verb and the exit codes."""
from __future__ import annotations

import subprocess
import sys

import pytest

from hvrt.cli.main import COMMANDS, build_parser


def test_help_lists_exit_codes_and_every_verb() -> None:
    out = subprocess.run([sys.executable, "-m", "hvrt.cli.main", "--help"], capture_output=True, text=True, check=True).stdout
    for code in ("0 ", "1 ", "2 ", "3 ", "130"):
        assert code in out
    for verb in COMMANDS:
        assert verb.replace("_", "-") in out or verb in out


@pytest.mark.parametrize("verb", ["run", "plan", "profiles", "plugins", "config", "import-legacy", "report", "sandbox"])
def test_each_verb_has_its_own_help(verb: str) -> None:
    proc = subprocess.run([sys.executable, "-m", "hvrt.cli.main", verb, "--help"], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert "exit codes" in proc.stdout


def test_no_verb_prints_help_and_exits_2(capsys) -> None:
    from hvrt.cli.main import main

    assert main([]) == 2


def test_parser_builds() -> None:
    assert build_parser().prog == "hvrt"
