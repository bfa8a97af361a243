"""Base class: captures stdout, stderr and logging as subunit attachments, like
oslotest does for Tempest."""
from __future__ import annotations

import os
import sys

import fixtures
import testtools


def broken() -> bool:
    """True for the "broken" recording: one test regresses, one appears, one vanishes."""
    return os.environ.get("HVRT_SUITE_BREAK") == "1"


class BaseTestCase(testtools.TestCase):
    def setUp(self) -> None:
        super().setUp()
        out = self.useFixture(fixtures.StringStream("stdout")).stream
        self.useFixture(fixtures.MonkeyPatch("sys.stdout", out))
        err = self.useFixture(fixtures.StringStream("stderr")).stream
        self.useFixture(fixtures.MonkeyPatch("sys.stderr", err))
        self.useFixture(fixtures.FakeLogger(format="%(levelname)s %(name)s: %(message)s"))

    def say(self, text: str) -> None:
        sys.stdout.write(text + "\n")
