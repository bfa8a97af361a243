"""A class whose fixture fails (Tempest reports it as a ``setUpClass (...)`` entry)
and a test that fails on its first run only (a retry makes it pass)."""
from __future__ import annotations

import os
from pathlib import Path

from hvrt_suite.base import BaseTestCase


class ServicesTest(BaseTestCase):
    @classmethod
    def setUpClass(cls) -> None:
        super().setUpClass()
        raise RuntimeError("service catalog has no 'compute' endpoint")

    def test_list_services(self) -> None:
        pass


class FlakyTest(BaseTestCase):
    def test_sometimes_times_out(self) -> None:
        marker = Path(os.environ.get("HVRT_SUITE_STATE", ".")) / "flaky-ran-once"
        if not marker.exists():
            marker.write_text("1")
            self.fail("read timed out (first try)")
        self.say("second try passed")
