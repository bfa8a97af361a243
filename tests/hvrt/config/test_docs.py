"""docs/config.md documents every block the core and the built-in plugins declare, key by key."""
from __future__ import annotations

from pathlib import Path

import pytest
from hvrt_devstack.settings import hvrt_config_schema as devstack_blocks
from hvrt_tempest.settings import hvrt_config_schema as tempest_blocks
from hvrt_winrm.settings import hvrt_config_schema as winrm_blocks

from hvrt.config.registry import CORE_BLOCKS
from hvrt.config.schema import Block, describe

ROOT = Path(__file__).resolve().parents[3]
DOCS = (ROOT / "docs" / "config.md").read_text(encoding="utf-8")
BLOCKS = [*CORE_BLOCKS, *winrm_blocks(), *devstack_blocks(), *tempest_blocks()]


@pytest.mark.parametrize("block", BLOCKS, ids=lambda b: f"{b.scope}.{b.name}")
def test_every_key_of_the_block_is_documented_as_declared(block: Block) -> None:
    missing = [row for row in describe(block) if row not in DOCS]
    assert not missing, ("docs/config.md is out of date with the schema; regenerate the table from "
                         "hvrt.config.schema.describe(block):\n" + "\n".join(missing))


def test_the_corpus_size_in_the_docs_is_true() -> None:
    count = len(list((ROOT / "tests" / "data" / "bad-configs").glob("*.yaml")))
    assert f"holds {count} malformed files" in DOCS
