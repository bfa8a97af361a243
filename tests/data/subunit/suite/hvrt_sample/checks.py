"""Tests with fixed outcomes: pass, skip, fail always, fail once, expected failure.

Output is attached to the result as details (as Tempest does) rather than printed,
so the subunit stream carries no stray bytes.
"""
import testtools
from testtools.content import text_content

from hvrt_sample._state import broken_enabled, first_time


class Arithmetic(testtools.TestCase):
    def test_addition(self):
        self.assertEqual(2 + 2, 4)

    def test_ordering(self):
        self.assertLess(1, 2)


class Unavailable(testtools.TestCase):
    def test_feature_missing(self):
        self.skipTest("feature not available in this cloud")


class Broken(testtools.TestCase):
    def test_always_fails(self):
        self.addDetail("stdout", text_content("captured stdout of a broken test\n"))
        self.addDetail("stderr", text_content("captured stderr of a broken test\n"))
        if broken_enabled():
            self.assertEqual("expected", "actual", "this test is broken on purpose")


class Flaky(testtools.TestCase):
    def test_fails_once(self):
        if first_time("Flaky.test_fails_once"):
            self.fail("transient failure on the first attempt")


class Known(testtools.TestCase):
    def test_known_bug(self):
        self.expectFailure("known bug", self.assertEqual, 1, 2)
