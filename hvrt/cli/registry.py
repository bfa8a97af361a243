"""What plugins get to extend the ``hvrt`` command line (the ``hvrt_cli`` hook).

The core verbs are built first; then every installed plugin may add verbs of its
own (``hvrt report`` comes from the html plugin this way) and options of
``hvrt run`` whose values reach the plugins of the run as ``run.options.extra``.
The core CLI imports no plugin.
"""
from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any

Handler = Callable[[argparse.Namespace], int]


class CommandLine:
    """Handed to ``hvrt_cli`` implementations while the parser is built."""

    def __init__(self, subparsers: argparse._SubParsersAction, run_parser: argparse.ArgumentParser,  # type: ignore[type-arg]
                 epilog: str) -> None:
        self._subparsers = subparsers
        self._run_options = run_parser.add_argument_group("options added by plugins")
        self._epilog = epilog
        self.run_option_dests: list[str] = []

    def add_command(self, name: str, *, help: str, description: str, handler: Handler,  # noqa: A002
                    epilog: str | None = None) -> argparse.ArgumentParser:
        """A new verb ``hvrt NAME``; ``handler(args) -> exit code`` runs it. Add its
        arguments (and sub-verbs, each with its own ``handler`` default) to the parser
        returned. A name the core or another plugin has taken is refused."""
        if name in self._subparsers.choices:
            raise ValueError(f"hvrt {name}: the verb exists already")
        parser = self._subparsers.add_parser(
            name, help=help, description=description, epilog=epilog or self._epilog,
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        parser.set_defaults(handler=handler)
        return parser

    def add_run_option(self, *flags: str, **kwargs: Any) -> None:
        """An option of ``hvrt run`` (``argparse`` arguments); its value is
        ``run.options.extra[dest]`` during the run."""
        action = self._run_options.add_argument(*flags, **kwargs)
        self.run_option_dests.append(action.dest)
