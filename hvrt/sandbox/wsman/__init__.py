"""A simulated Hyper-V node: a WS-Management endpoint that real pywinrm talks to.

It is a simulator: no Windows, no PowerShell. See :class:`SimulatedNode` and
``docs/simulated-node.md``.
"""
from __future__ import annotations

from hvrt.sandbox.wsman.fn_hyperv import make_installer
from hvrt.sandbox.wsman.server import SimulatedNode

__all__ = ["SimulatedNode", "make_installer"]
