"""The Puppet module path shipped with hvrt-puppet (``hvrt/`` is the module).

This file only makes the folder importable so that its location can be found
once installed; Puppet ignores it.
"""
