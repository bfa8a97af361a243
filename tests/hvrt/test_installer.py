"""The release installer is found and its SHA-256 checked before any node sees it."""
from __future__ import annotations

import hashlib

import pytest

from hvrt.config.model import Config, Installer, Release
from hvrt.errors import ConfigurationFailed
from hvrt.installer import local_installer


def config_with(tmp_path, **installer) -> Config:
    return Config(str(tmp_path / "hvrt.yaml"), {}, {}, Release(installer=Installer(**installer)), {})


def test_relative_path_checked_against_its_hash(tmp_path) -> None:
    (tmp_path / "compute.msi").write_bytes(b"msi bytes")
    good = hashlib.sha256(b"msi bytes").hexdigest()
    path, digest = local_installer(config_with(tmp_path, path="compute.msi", sha256=good.lower()))
    assert path == tmp_path / "compute.msi" and digest == good.upper()
    with pytest.raises(ConfigurationFailed, match="the release says"):
        local_installer(config_with(tmp_path, path="compute.msi", sha256="00" * 32))


def test_missing_file_and_url_only(tmp_path) -> None:
    with pytest.raises(ConfigurationFailed, match="does not exist"):
        local_installer(config_with(tmp_path, path="nope.msi"))
    assert local_installer(config_with(tmp_path, url="https://example.invalid/x.msi")) == (None, None)
