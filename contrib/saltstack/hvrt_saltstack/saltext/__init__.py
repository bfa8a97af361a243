"""The Salt extension of hvrt (entry point ``salt.loader``: ``hvrt-saltstack``).

Salt's loader looks in this package for ``runners/``, ``modules/`` and ``states/``
and loads every module there under its ``__virtualname__`` (``hvrt``), so
``salt-run hvrt.run``, ``salt 'runner*' hvrt.run`` and the ``hvrt.scenario_passed``
state work as soon as the distribution is installed next to Salt, with no file
copied into ``file_roots`` and no ``saltutil.sync_all``.
"""
