"""The release's compute installer as a file on this machine, checked before it is sent.

Configurators that upload the MSI (WinRM, Salt, Puppet) call :func:`local_installer`
once per node: it finds ``release.installer.path`` and checks its SHA-256 against
``release.installer.sha256`` when the config gives one, so a corrupt or wrong MSI
stops the configure stage before any node is touched.
"""
from __future__ import annotations

import hashlib
from pathlib import Path

from hvrt.config.model import Config
from hvrt.errors import ConfigurationFailed


def sha256_file(path: Path) -> str:
    """Upper-case hex SHA-256 of a file (as Windows' Get-FileHash prints it)."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest().upper()


def local_installer(config: Config) -> tuple[Path | None, str | None]:
    """The installer file and its SHA-256, or ``(None, None)`` when the release names a URL."""
    installer = config.release.installer
    if not installer.path:
        return None, None
    path = Path(installer.path)
    if not path.is_absolute():
        path = Path(config.path).resolve().parent / path
    if not path.is_file():
        raise ConfigurationFailed(f"installer {path} does not exist", step="configure")
    digest = sha256_file(path)
    if installer.sha256 and installer.sha256.upper() != digest:
        raise ConfigurationFailed(
            f"installer {path.name} has SHA-256 {digest}, the release says {installer.sha256.upper()}",
            step="configure",
        )
    return path, digest
