"""setup.cfg ships every package of the tree (a package left out imports in a checkout
but is missing from an installed hvrt)."""
from __future__ import annotations

import configparser
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _declared() -> tuple[set[str], dict[str, str]]:
    cfg = configparser.ConfigParser()
    cfg.read(ROOT / "setup.cfg")
    packages = set(cfg["options"]["packages"].split())
    dirs = dict(line.split(" = ") for line in cfg["options"]["package_dir"].strip().splitlines())
    return packages, dirs


def test_every_package_of_the_tree_is_declared() -> None:
    packages, dirs = _declared()
    found = set()
    for top, folder in dirs.items():
        base = ROOT / folder
        for init in base.rglob("__init__.py"):
            rel = init.parent.relative_to(base)
            found.add(".".join([top, *rel.parts]) if rel.parts else top)
    assert found - packages == set(), "add these to [options] packages in setup.cfg"
    assert packages - found == set(), "setup.cfg declares packages that do not exist"
