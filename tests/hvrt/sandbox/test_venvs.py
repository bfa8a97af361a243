"""Venv creation is idempotent and rebuilds when the requirement set changes."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from hvrt.errors import InfrastructureError
from hvrt.sandbox import venvs


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv(venvs.CACHE_ENV, str(tmp_path / "cache"))
    # "pip" is already in every new venv: installing it needs no index and no time
    monkeypatch.setitem(venvs.REQUIREMENTS, "tempest", ("pip",))
    return tmp_path / "cache"


def test_cache_dir_defaults_to_home(tmp_path: Path) -> None:
    assert venvs.cache_dir({}) == Path.home() / ".cache" / "hvrt"
    assert venvs.cache_dir({"HVRT_CACHE": str(tmp_path)}) == tmp_path
    assert venvs.venv_bin("keystone", "gunicorn", {"HVRT_CACHE": "/c"}) == Path("/c/venvs/keystone/bin/gunicorn")
    with pytest.raises(KeyError):
        venvs.venv_dir("nova")


@pytest.mark.slow
def test_ensure_builds_once_then_reuses_then_rebuilds_on_change(cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert not venvs.is_ready("tempest")
    folder = venvs.ensure("tempest")
    assert folder == cache / "venvs" / "tempest"
    assert venvs.is_ready("tempest")
    marker = json.loads((folder / venvs.MARKER).read_text())
    assert marker["requirements"] == ["pip"]
    built = (folder / "bin" / "python").lstat().st_mtime_ns

    (folder / "kept").write_text("x")
    venvs.ensure("tempest")  # ready: nothing is rebuilt
    assert (folder / "kept").exists() and (folder / "bin" / "python").lstat().st_mtime_ns == built

    monkeypatch.setitem(venvs.REQUIREMENTS, "tempest", ("pip", "setuptools"))
    assert not venvs.is_ready("tempest")
    venvs.ensure("tempest")
    assert not (folder / "kept").exists() and venvs.is_ready("tempest")


def test_a_failed_install_is_an_error_and_not_ready(cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(venvs.REQUIREMENTS, "tempest", ("./no/such/local/package",))
    with pytest.raises(InfrastructureError, match="installing tempest requirements failed") as info:
        venvs.ensure("tempest", timeout=300)
    assert "no/such/local/package" in info.value.detail
    assert not venvs.is_ready("tempest")


def test_cli_status_and_unknown_name(cache: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert venvs.main(["status"]) == 0
    status = json.loads(capsys.readouterr().out)
    assert status["tempest"] == {"path": str(cache / "venvs" / "tempest"), "ready": False}
    with pytest.raises(SystemExit):
        venvs.main(["ensure", "nova"])
