"""``python3 -m hvrt_saltstack file-root``: print the folder of the shipped Salt tree.

Add that folder to a salt-master's ``file_roots`` to use the ``salt`` configurator in
mode ``master`` (``salt://hvrt/compute``).
"""
from __future__ import annotations

import sys

from hvrt_saltstack.applier import FILE_ROOT


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if args != ["file-root"]:
        print("usage: python3 -m hvrt_saltstack file-root", file=sys.stderr)
        return 2
    print(FILE_ROOT)
    return 0


if __name__ == "__main__":
    sys.exit(main())
