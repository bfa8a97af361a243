"""``saltext.hvrt``: the Salt extension of hvrt-saltstack.

Salt finds it through the ``salt.loader`` entry point ``saltext.hvrt``
(:func:`saltext.hvrt.loader.get_loader_dirs`), which names one folder per loader
type: ``runners/`` (``salt-run hvrt.run``), ``modules/`` (``salt 'runner*'
hvrt.run``) and ``states/`` (``hvrt.scenario_passed``). Every module there loads
under its ``__virtualname__`` ``hvrt``, as soon as the distribution is installed
in Salt's Python: nothing is copied into ``file_roots`` and no
``saltutil.sync_all`` is needed. ``saltext`` itself is a namespace package shared
with other Salt extensions.
"""
from __future__ import annotations

from pathlib import Path

#: The folder of this package; the loader folders are below it.
PACKAGE_ROOT = Path(__file__).resolve().parent
