"""``hvrt`` entry point: parse the verb, run it, turn errors into exit codes.

Each verb lives in its own module of this package with two functions:
``register(subparsers) -> argparse.ArgumentParser`` adds the verb's parser, and the
parser's ``handler`` default (``func(args) -> int``) runs it. :data:`COMMANDS` lists
the modules in the order ``--help`` shows them. Installed plugins then add their own
verbs and ``hvrt run`` options through the ``hvrt_cli`` hook (``hvrt report`` is the
html plugin's).

Conventions every verb shares: ``-v``/``-q`` before or after the verb; ``-c`` found
through ``HVRT_CONFIG`` and a search path when not given (:func:`find_config`); an
epilog listing the exit codes that verb really has (:data:`VERB_EXIT_CODES`); and
with ``--json``, an error is also printed on stdout as a JSON object
(:func:`error_object`) while its message goes to stderr.
"""
from __future__ import annotations

import argparse
import importlib
import json
import logging
import os
import sys
import textwrap
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, NoReturn

from hvrt import __version__
from hvrt.errors import ConfigError, ConfigErrors, ExitCode, HvrtError, UsageError

COMMANDS = (
    "run", "preflight", "plan", "profiles", "plugins", "config", "import_legacy", "sandbox",
    "leases",
)

JSON_SCHEMA = 1
"""The ``"schema"`` version every ``--json`` output of the core verbs carries."""

CONFIG_ENV = "HVRT_CONFIG"
CONFIG_NAME = "hvrt.yaml"

CODES = {
    0: "success",
    1: "tests failed (the run itself worked)",
    2: "configuration or usage error (the message names file:line:column and key)",
    3: "infrastructure error (a node, controller or service failed; see the log)",
    130: "interrupted (Ctrl-C)",
}

VERB_EXIT_CODES: dict[str, dict[int, str]] = {
    "run": {
        0: "every scenario passed",
        1: "tests failed (the run itself worked), or every test of a scenario skipped itself (all-skipped)",
        2: CODES[2],
        3: "infrastructure error: a host failed pre-flight (no scenario started), a stage failed, "
           "or a scenario was skipped",
        130: "interrupted (Ctrl-C); finished results are kept, continue with --resume",
    },
    "preflight": {0: "every check of every host passed", 2: CODES[2],
                  3: "a host failed a check (the table names the check and the fix)", 130: CODES[130]},
    "plan": {0: "the plan was printed (no host is touched)", 2: CODES[2], 130: CODES[130]},
    "profiles": {0: "the profiles were printed", 2: CODES[2], 130: CODES[130]},
    "plugins": {0: "the plugins were printed", 2: "a plugin failed to load, or a usage error", 130: CODES[130]},
    "config": {0: "the configuration is valid", 2: CODES[2], 130: CODES[130]},
    "import_legacy": {0: "the hvrt.yaml was written", 2: "the legacy files cannot be read or converted, "
                      "or OUT exists", 130: CODES[130]},
    "sandbox": {0: "done (status: every part of the lab is running)", 2: CODES[2],
                3: "a part of the lab failed to start (status: is not running)", 130: CODES[130]},
}

OWN_CONFIG_DEFAULT = frozenset({"sandbox", "import_legacy"})
"""Verbs that do not look for hvrt.yaml (the sandbox has its own default config)."""

ENVIRONMENT = """\
environment:
  HVRT_CONFIG           the configuration file when -c is not given
  XDG_CONFIG_HOME       where the per-user hvrt/hvrt.yaml is looked for (default ~/.config)
  HVRT_DISABLE_PLUGINS  comma-separated plugin names not to load
  HVRT_COORDINATION     where host leases are taken (a tooz URL; overrides lab.coordination)
  XDG_STATE_HOME        the default lease folder is $XDG_STATE_HOME/hvrt/leases
  TERM=dumb             plain progress lines instead of a redrawn block
"""


def exit_epilog(codes: Mapping[int, str], *, config_search: bool = True) -> str:
    """The epilog of a verb: its exit codes, then the environment it reads."""
    lines = ["exit codes:"] + [textwrap.fill(text, 88, initial_indent=f"  {code:<4} ", subsequent_indent=" " * 7)
                               for code, text in sorted(codes.items())]
    environment = ENVIRONMENT if config_search else "\n".join(
        line for line in ENVIRONMENT.splitlines() if "HVRT_CONFIG" not in line and "XDG_CONFIG" not in line) + "\n"
    return "\n".join(lines) + "\n\n" + environment


EPILOG = exit_epilog({**CODES, 0: "every scenario passed",
                      130: "interrupted (Ctrl-C); finished results are kept, continue with --resume"})
"""The top-level epilog, also the one plugin verbs get unless they bring their own."""


class HvrtParser(argparse.ArgumentParser):
    """An argument parser whose usage errors become :class:`UsageError` (exit 2), so
    ``--json`` callers get the JSON error object for them too."""

    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{self.prog}: {message}\n{self.format_usage().rstrip()}")


def user_config_path(environ: Mapping[str, str] | None = None) -> Path:
    env = os.environ if environ is None else environ
    base = env.get("XDG_CONFIG_HOME") or str(Path(env.get("HOME") or Path.home()) / ".config")
    return Path(base) / "hvrt" / CONFIG_NAME


def find_config(environ: Mapping[str, str] | None = None, cwd: Path | None = None) -> str:
    """``$HVRT_CONFIG``, else ``./hvrt.yaml``, else ``$XDG_CONFIG_HOME/hvrt/hvrt.yaml``."""
    env = os.environ if environ is None else environ
    if env.get(CONFIG_ENV):
        return env[CONFIG_ENV]
    here = (cwd or Path.cwd()) / CONFIG_NAME
    if here.is_file():
        return CONFIG_NAME if cwd is None else str(here)
    user = user_config_path(env)
    if user.is_file():
        return str(user)
    raise UsageError(f"no configuration: pass -c FILE, set {CONFIG_ENV}, or create ./{CONFIG_NAME} or {user}")


CONFIG_HELP = (f"the configuration file (default: ${CONFIG_ENV}, else ./{CONFIG_NAME}, "
               f"else $XDG_CONFIG_HOME/hvrt/{CONFIG_NAME})")


def add_config_option(parser: argparse.ArgumentParser) -> None:
    """The ``--config`` option every verb that reads hvrt.yaml shares; ``main`` fills in
    :func:`find_config` when it is not given (unless the verb sets ``config_optional``)."""
    parser.add_argument("-c", "--config", default=None, metavar="PATH", help=CONFIG_HELP)


def _add_verbosity(parser: argparse.ArgumentParser, depth: int) -> None:
    """``-v``/``-q`` on ``parser`` and every parser below it (each depth its own dest)."""
    taken = parser._option_string_actions
    if depth and "-v" not in taken and "--verbose" not in taken:
        parser.add_argument("-v", "--verbose", action="count", default=0, dest=f"verbose_{depth}",
                            help="more log output (-vv: debug)")
    if depth and "-q" not in taken and "--quiet" not in taken:
        parser.add_argument("-q", "--quiet", action="count", default=0, dest=f"quiet_{depth}",
                            help="less output: errors only, no progress")
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for child in dict.fromkeys(action.choices.values()):
                _add_verbosity(child, depth + 1)


def build_parser() -> argparse.ArgumentParser:
    parser = HvrtParser(
        prog="hvrt",
        description="Hyper-V Release Tests: run Tempest over a matrix of Hyper-V scenarios "
        "(provision, configure, deploy, test, collect, report) and publish the results.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"hvrt {__version__}")
    parser.add_argument("-v", "--verbose", action="count", default=0, help="more log output (-vv: debug)")
    parser.add_argument("-q", "--quiet", action="count", default=0, help="less output: errors only, no progress")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=HvrtParser)
    verbs: dict[str, argparse.ArgumentParser] = {}
    for name in COMMANDS:
        cmd = importlib.import_module(f"hvrt.cli.{name}").register(sub)
        cmd.formatter_class = argparse.RawDescriptionHelpFormatter
        if cmd.epilog is None:
            cmd.epilog = (exit_epilog(VERB_EXIT_CODES[name], config_search=name not in OWN_CONFIG_DEFAULT)
                          if name in VERB_EXIT_CODES else EPILOG)
        verbs[name] = cmd
    _add_plugin_verbs(sub, verbs["run"])
    _add_verbosity(parser, 0)
    return parser


def _add_plugin_verbs(sub: argparse._SubParsersAction, run_parser: argparse.ArgumentParser) -> None:  # type: ignore[type-arg]
    """Let every installed plugin add verbs and ``hvrt run`` options (``hvrt_cli``)."""
    from hvrt.cli.registry import CommandLine
    from hvrt.plugins import available_entry_points, create_plugin_manager, disabled_plugins

    names = sorted(set(available_entry_points()) - disabled_plugins())
    cli = CommandLine(sub, run_parser, EPILOG)
    create_plugin_manager(names).hook.hvrt_cli(cli=cli)
    run_parser.set_defaults(plugin_options=tuple(cli.run_option_dests))


def verbosity(args: argparse.Namespace) -> int:
    """``-v`` count minus ``-q`` count, wherever on the command line they were given."""
    values = vars(args)
    up = sum(int(v or 0) for k, v in values.items() if k == "verbose" or k.startswith("verbose_"))
    down = sum(int(v or 0) for k, v in values.items() if k == "quiet" or k.startswith("quiet_"))
    return up - down


def error_object(exc: HvrtError) -> dict[str, Any]:
    """The ``--json`` form of an error: ``{"schema", "error": {"message", "exit_code",
    "file", "line", "column", "key", ...}}``."""
    error: dict[str, Any] = {"message": str(exc), "exit_code": int(exc.exit_code),
                             "file": None, "line": None, "column": None, "key": None}
    if isinstance(exc, ConfigError) and not isinstance(exc, UsageError):
        error.update(message=exc.message, file=exc.file, line=exc.line, column=exc.column, key=exc.key)
        if isinstance(exc, ConfigErrors):
            error["errors"] = [{"message": e.message, "file": e.file, "line": e.line, "column": e.column,
                                "key": e.key} for e in exc.errors]
    for extra in ("host", "step"):
        if getattr(exc, extra, None):
            error[extra] = getattr(exc, extra)
    return {"schema": JSON_SCHEMA, "error": error}


def _wants_json(args: argparse.Namespace | None, argv: Sequence[str]) -> bool:
    if args is not None:
        return bool(getattr(args, "json", False))
    return "--json" in argv


def _report(exc: HvrtError, as_json: bool) -> int:
    print(f"hvrt: error: {exc}", file=sys.stderr)
    detail = getattr(exc, "detail", "")
    if detail:
        print(detail, file=sys.stderr)
    if as_json:
        try:
            print(json.dumps(error_object(exc), indent=2))
        except BrokenPipeError:  # the reader went away; the exit code still tells
            sys.stderr.close()
    return int(exc.exit_code)


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    args: argparse.Namespace | None = None
    try:
        parser = build_parser()
        args = parser.parse_args(argv)
    except HvrtError as exc:
        return _report(exc, _wants_json(None, argv))
    level = verbosity(args)
    args.verbosity = level
    console = logging.StreamHandler(sys.stderr)
    console.setLevel(min(logging.CRITICAL, max(logging.DEBUG, logging.WARNING - 10 * level)))
    console.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logging.getLogger().addHandler(console)
    if not getattr(args, "handler", None):
        parser.print_help()
        return ExitCode.CONFIG_ERROR
    try:
        if getattr(args, "config", "") is None and not getattr(args, "config_optional", False):
            args.config = find_config()
        return int(args.handler(args))
    except HvrtError as exc:
        return _report(exc, _wants_json(args, argv))
    except KeyboardInterrupt:
        print("hvrt: interrupted", file=sys.stderr)
        return int(ExitCode.INTERRUPTED)
    except BrokenPipeError:  # output piped into `head`: not an error of hvrt's
        sys.stderr.close()
        return int(ExitCode.OK)
    finally:
        logging.getLogger().removeHandler(console)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
