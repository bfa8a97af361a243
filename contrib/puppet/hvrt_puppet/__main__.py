"""``python3 -m hvrt_puppet``: helpers around the shipped Puppet module.

``module-path`` prints the folder to list in Puppet's ``--modulepath`` (it holds
the module ``hvrt``); ``build-module [OUT_DIR]`` writes the module's release
tarball for ``puppet module install`` and prints its path.
"""
from __future__ import annotations

import sys
from pathlib import Path

USAGE = "usage: python3 -m hvrt_puppet {module-path | build-module [OUT_DIR]}"


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if args == ["module-path"]:
        from hvrt_puppet import shipped_modules

        print(shipped_modules())
        return 0
    if args[:1] == ["build-module"] and len(args) <= 2:
        from hvrt_puppet.release import build_tarball

        print(build_tarball(Path(args[1] if len(args) == 2 else ".")))
        return 0
    print(USAGE, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
