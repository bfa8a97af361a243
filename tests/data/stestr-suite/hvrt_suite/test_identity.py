"""Identity-like tests: most pass, some fail or skip on purpose."""
from __future__ import annotations

import logging
import sys
import time
import unittest

from hvrt_suite.base import BaseTestCase, broken

LOG = logging.getLogger("hvrt_suite.identity")


class TokensTest(BaseTestCase):
    def test_issue_token(self) -> None:
        self.say("POST /v3/auth/tokens -> 201")
        time.sleep(0.05)
        if broken():
            self.assertEqual(201, 401, "token issue refused")

    def test_validate_token(self) -> None:
        LOG.info("validating a token")
        self.assertTrue(True)

    def test_revoke_token(self) -> None:
        self.say("DELETE /v3/auth/tokens -> 204")
        time.sleep(0.02)

    def test_output_is_escaped(self) -> None:
        self.say("<script>alert(1)</script>")
        sys.stderr.write("<b>not bold</b> & <i>not italic</i>\n")
        LOG.warning("log with <script>alert(2)</script>")
        self.fail("failure message holding <script>alert(3)</script>")


class UsersTest(BaseTestCase):
    def test_create_user(self) -> None:
        LOG.info("creating user demo")

    def test_list_users(self) -> None:
        self.say("GET /v3/users -> 200")

    def test_update_user_password(self) -> None:
        self.assertEqual({"enabled": True}, {"enabled": False})

    def test_domain_config(self) -> None:
        self.skipTest("domain-specific configuration is not enabled")

    @unittest.expectedFailure
    def test_known_bug(self) -> None:
        self.assertEqual(1, 2)

    @unittest.expectedFailure
    def test_bug_fixed_meanwhile(self) -> None:
        self.assertEqual(1, 1)

    if broken():
        def test_new_feature(self) -> None:
            self.say("a test only the newer tree has")
    else:
        def test_legacy_endpoint(self) -> None:
            self.say("a test the newer tree dropped")
