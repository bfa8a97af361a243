"""``hvrt import-legacy``: turn the legacy tool's config.yaml and test lists into hvrt.yaml.

Writes the new configuration (checked by loading it before it is kept) and copies
the Tempest list files into ``tempest-lists/`` next to it. Node addresses are
loopback placeholders unless ``--lab-template`` supplies the real lab. The legacy
tool took the installer and the DevStack branch from its command line (``run.sh
MSI_URL BRANCH``), so the release gets commented placeholders for them (unless the
template sets them) and ``hvrt config validate`` names them until they are set or
passed to ``hvrt run --installer URL --devstack-branch REF``.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from hvrt.errors import UsageError

PLACEHOLDER_INTRO = (
    "  # Not set: the legacy tool took the installer and the DevStack branch from its command line",
    "  # (run.sh MSI_URL BRANCH). Set them here, or pass them to every run:",
    "  #   hvrt run --installer URL_OR_PATH [--sha256 HEX] --devstack-branch REF",
)
INSTALLER_PLACEHOLDER = (
    "  # installer:",
    "  #   url: https://REPLACE-ME/HyperVNovaCompute.msi",
    "  #   sha256: REPLACE-ME",
)
BRANCH_PLACEHOLDER = (
    "  # devstack:",
    "  #   branch: REPLACE-ME",
)


def with_release_placeholders(text: str, release: dict) -> str:
    """``text`` with commented placeholders at the end of ``release:`` for the installer and
    the DevStack branch it lacks."""
    lines: list[str] = []
    if not (release.get("installer") or {}).get("url") and not (release.get("installer") or {}).get("path"):
        lines += INSTALLER_PLACEHOLDER
    if not (release.get("devstack") or {}).get("branch"):
        lines += BRANCH_PLACEHOLDER
    if not lines:
        return text
    out = text.splitlines()
    start = out.index("release:")
    end = next((i for i in range(start + 1, len(out)) if out[i] and not out[i].startswith((" ", "#"))), len(out))
    return "\n".join([*out[:end], *PLACEHOLDER_INTRO, *lines, *out[end:]]) + "\n"


def register(sub: argparse._SubParsersAction) -> argparse.ArgumentParser:  # type: ignore[type-arg]
    parser = sub.add_parser(
        "import-legacy", help="convert a legacy release-test config.yaml into hvrt.yaml",
        description="Convert the legacy bash tool's config.yaml (one scenario per top-level key) "
        "and its include/exclude/isolated test lists into an equivalent hvrt.yaml: one profile "
        "per scenario, pinned to its hosts, with its INI overrides verbatim.",
    )
    parser.add_argument("config", metavar="CONFIG", help="the legacy config.yaml")
    parser.add_argument("--tests-dir", metavar="DIR",
                        help="folder of the *-tests-<suite>.txt files (default: CONFIG's folder)")
    parser.add_argument("-o", "--output", required=True, metavar="OUT", help="the hvrt.yaml to write")
    parser.add_argument("--lab-template", metavar="PATH",
                        help="a YAML file whose lab: (and release:, plugins:, settings:) are used "
                        "instead of placeholders; legacy hosts it lacks still get placeholders")
    parser.add_argument("--force", action="store_true", help="overwrite OUT if it exists")
    parser.set_defaults(handler=import_command)
    return parser


def import_command(args: argparse.Namespace) -> int:
    from hvrt.config import load_config
    from hvrt.config.legacy import LISTS_DIR, convert, copy_lists, render
    from hvrt.fsutil import atomic_write

    source = Path(args.config)
    tests_dir = Path(args.tests_dir) if args.tests_dir else source.parent
    out = Path(args.output)
    if not tests_dir.is_dir():
        raise UsageError(f"--tests-dir {tests_dir}: not a folder")
    if out.exists() and not args.force:
        raise UsageError(f"{out} exists; pass --force to overwrite it")
    result = convert(source, tests_dir, Path(args.lab_template) if args.lab_template else None)
    copies = copy_lists(result, out.parent)
    text = with_release_placeholders(render(result, source.name), result.document.get("release") or {})
    staged = out.with_name(f".{out.name}.check")
    atomic_write(staged, text)
    try:  # the output must load; credentials are not needed to check that
        env = {"HVRT_NODE_PASSWORD": "-", "HVRT_ADMIN_PASSWORD": "-"}
        config = load_config(staged, environ=env)
    finally:
        staged.unlink(missing_ok=True)
    atomic_write(out, text)
    for warning in result.warnings:
        print(f"hvrt: warning: {warning}", file=sys.stderr)
    scenarios = config.scenario_profiles()
    print(f"wrote {out}: {len(scenarios)} scenarios, {len(config.nodes)} nodes, "
          f"{len(copies)} list files in {out.parent / LISTS_DIR}")
    if result.placeholder_nodes:
        print(f"edit the placeholder addresses of: {', '.join(result.placeholder_nodes)}")
    for problem in _release_problems(config):
        print(f"set {problem}")
    return 0


def _release_problems(config) -> list[str]:  # type: ignore[no-untyped-def]
    from hvrt.config import select_scenarios
    from hvrt.config.release import missing

    return [f"{e.key}: {e.message}" for e in missing(config, select_scenarios(config, [], all=True))]
