"""hvrt-saltstack: Salt as hvrt's node configurator, and hvrt callable from Salt.

* :mod:`hvrt_saltstack.plugin` — the ``salt`` plugin of the ``hvrt`` entry-point
  group: ``configurator: salt`` nodes are configured by applying the Salt states of
  ``file_root/hvrt/compute`` (modes ``local``, ``ssh``, ``master``).
* :mod:`saltext.hvrt` (shipped in the same distribution) — the Salt extension
  (``salt.loader`` entry point ``saltext.hvrt``) with the ``hvrt`` runner,
  execution module and state module; they call hvrt through
  :mod:`hvrt_saltstack.hvrtcall`.
"""
from __future__ import annotations

__version__ = "0.1.0"
