"""Plugins add verbs and ``hvrt run`` options through ``hvrt_cli``; the core CLI imports none."""
from __future__ import annotations

import argparse
import ast
from pathlib import Path

import pytest

from hvrt import hookimpl
from hvrt.cli.registry import CommandLine

ROOT = Path(__file__).resolve().parents[3]


def _parsers() -> tuple[argparse.ArgumentParser, argparse._SubParsersAction, argparse.ArgumentParser]:
    parser = argparse.ArgumentParser(prog="hvrt")
    sub = parser.add_subparsers(dest="command")
    return parser, sub, sub.add_parser("run")


def test_a_plugin_adds_a_verb_and_a_run_option() -> None:
    parser, sub, run = _parsers()
    cli = CommandLine(sub, run, "exit codes: ...")

    class Reporter:
        @hookimpl
        def hvrt_cli(self, cli: CommandLine) -> None:
            verb = cli.add_command("publish", help="publish a run", description="Publish it.",
                                   handler=lambda args: 7)
            verb.add_argument("run_dir")
            cli.add_run_option("--upload-to", metavar="URL")

    Reporter().hvrt_cli(cli)
    args = parser.parse_args(["publish", "results/r1"])
    assert args.handler(args) == 7 and args.run_dir == "results/r1"
    assert parser.parse_args(["run", "--upload-to", "s3://x"]).upload_to == "s3://x"
    assert cli.run_option_dests == ["upload_to"]
    with pytest.raises(ValueError, match="exists already"):
        cli.add_command("publish", help="again", description="", handler=lambda a: 0)


def test_the_built_in_plugins_verbs_come_through_the_hook() -> None:
    from hvrt.cli.main import build_parser

    sub = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    assert {"report", "list-tests"} <= set(sub.choices)
    run = sub.choices["run"]
    assert "--baseline" in {flag for action in run._actions for flag in action.option_strings}
    assert "baseline" in run.get_default("plugin_options")


def test_the_core_imports_no_plugin() -> None:
    plugins = {p.name for p in (ROOT / "plugins").iterdir() if p.is_dir()} | {"hvrt_saltstack", "hvrt_puppet"}
    offenders = []
    for path in (ROOT / "hvrt").rglob("*.py"):
        if "sandbox" in path.parts:
            continue  # the simulated lab drives the whole tool, plugins included
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                [node.module or ""] if isinstance(node, ast.ImportFrom) else []
            offenders += [f"{path.relative_to(ROOT)}: {n}" for n in names if n.split(".")[0] in plugins]
    assert offenders == []
