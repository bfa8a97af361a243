"""Which Windows Server targets can run the PowerShell hvrt sends.

hvrt claims Hyper-V on Windows Server 2008 R2 through 2022, whose stock PowerShell
ranges from 2.0 (no Hyper-V module) to 5.1. PowerShell cannot run where hvrt is
developed, so this package checks the scripts statically against a reference built
from Microsoft's published documentation (``commands.json``): every command, named
parameter and version-bound language feature, per target, with the file each fact
was read from. ``python -m hvrt_winrm.compat check`` runs it; see
docs/powershell-compat.md.
"""
from __future__ import annotations

from hvrt_winrm.compat.check import Checker, Finding
from hvrt_winrm.compat.reference import Reference
from hvrt_winrm.compat.sources import Unit, file_units, shipped_units

__all__ = ["Checker", "Finding", "Reference", "Unit", "file_units", "shipped_units"]
