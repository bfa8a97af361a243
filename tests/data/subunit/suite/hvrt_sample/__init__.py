"""A tiny stestr-runnable test package with one test of every outcome.

hvrt's Tempest runner tests run it through the real ``tempest run`` (a workspace
whose ``.stestr.conf`` points here) and ``regenerate.sh`` records its stream as a
golden file. Module names avoid ``test_*`` so pytest never collects them; unittest
discovery finds them through :func:`load_tests`.

``HVRT_SAMPLE_STATE`` names a folder for the once-only failures: a test that fails
"once" leaves a marker there and passes on every later run. ``HVRT_SAMPLE_BROKEN=0``
turns the always-failing tests into passing ones (for an all-pass stream).
"""
import unittest

from hvrt_sample import checks, fixtures


def load_tests(loader, tests, pattern):
    suite = unittest.TestSuite()
    for module in (checks, fixtures):
        suite.addTests(loader.loadTestsFromModule(module))
    return suite
