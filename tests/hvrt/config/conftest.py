"""Fixtures of the config tests: write a YAML text and load it for real."""
from __future__ import annotations

import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

from hvrt.config import load_config
from hvrt.config.model import Config

LAB = """\
lab:
  controllers:
    ctl1: {address: 127.0.0.2, transport: local}
    ctl2: {address: 127.0.0.3}
  nodes:
    hv1: {address: 127.0.0.11, labels: {os: 2012r2}}
    hv2: {address: 127.0.0.12, labels: {os: 2012r2}}
    hv3: {address: 127.0.0.13, labels: {os: 2016}}
    hv4: {address: 127.0.0.14, labels: {os: 2016}}
    hv5: {address: 127.0.0.15, labels: {os: 2012}}
"""


@pytest.fixture
def write_config(tmp_path: Path) -> Callable[..., Path]:
    """Write ``text`` (dedented; the standard lab prepended unless ``lab=False``)."""

    def write(text: str, *, lab: bool = True, name: str = "hvrt.yaml") -> Path:
        path = tmp_path / name
        path.write_text((LAB if lab else "") + textwrap.dedent(text), encoding="utf-8")
        return path

    return write


@pytest.fixture
def load(write_config: Callable[..., Path]) -> Callable[..., Config]:
    """Write and load a config; ``environ`` defaults to an empty environment."""

    def run(text: str, *, lab: bool = True, environ: dict[str, str] | None = None, **kwargs) -> Config:
        return load_config(write_config(text, lab=lab), environ=environ or {}, **kwargs)

    return run
