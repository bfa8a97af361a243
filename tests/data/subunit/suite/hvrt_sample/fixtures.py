"""A class whose fixture (setUpClass) fails on its first run only."""
import unittest

from hvrt_sample._state import first_time


class FlakyFixture(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        if first_time("FlakyFixture.setUpClass"):
            raise RuntimeError("class fixture failed on the first attempt")

    def test_after_fixture(self):
        self.assertTrue(True)
