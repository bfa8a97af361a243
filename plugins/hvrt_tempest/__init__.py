"""Built-in plugin: the Tempest test runner (entry point ``tempest``).

Modules: :mod:`~hvrt_tempest.lists` (legacy list files), :mod:`~hvrt_tempest.selection`
(which tests run), :mod:`~hvrt_tempest.tempestconf` (scenario feature flags),
:mod:`~hvrt_tempest.retry` (re-runs, flaky tests), :mod:`~hvrt_tempest.runner` (the
run on the controller) and :mod:`~hvrt_tempest.plugin` (the hooks).
"""
