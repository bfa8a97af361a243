"""A test package whose one test fails with secrets in its output, in every form.

The leak test of the sandbox runs it through the real ``tempest run`` so the subunit
stream hvrt saves (and every report made from it) starts out holding the secrets.
``HVRT_LEAK_FILE`` names a JSON file: ``{"known": [...], "user": "..."}``.
Module names avoid ``test_*`` so pytest never collects them.
"""

from hvrt_leaky import leaks


def load_tests(loader, tests, pattern):
    return loader.loadTestsFromModule(leaks)
