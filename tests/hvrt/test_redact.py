"""Secrets are masked in text, config files and log records."""
from __future__ import annotations

import logging

from hvrt.redact import MASK, RedactingFilter, Redactor


def test_literals_assignments_and_url_passwords_are_masked() -> None:
    r = Redactor(["Pa$$w0rd!"])
    text = (
        "login with Pa$$w0rd! now\n"
        "admin_password = hunter22\n"
        "ADMIN_PASSWORD=devstack\n"
        "connection = mysql+pymysql://root:dbpass@127.0.0.1/nova\n"
        "debug = True\n"
    )
    out = r.text(text)
    for secret in ("Pa$$w0rd!", "hunter22", "devstack", "dbpass"):
        assert secret not in out
    assert "debug = True" in out
    assert out.count(MASK) == 4


def test_short_values_are_not_treated_as_secrets() -> None:
    r = Redactor(["ab"])
    assert r.text("about") == "about"


def test_log_records_are_masked(caplog) -> None:
    r = Redactor(["topsecret"])
    logger = logging.getLogger("hvrt.test.redact")
    logger.addFilter(RedactingFilter(r))
    with caplog.at_level(logging.INFO, logger="hvrt.test.redact"):
        logger.info("password is %s", "topsecret")
    assert "topsecret" not in caplog.text and MASK in caplog.text


def test_secret_named_keys_are_masked_in_nested_mappings() -> None:
    from hvrt.redact import mask_mapping

    data = {"ini": {"hv1": {"nova.conf": {"DEFAULT": {"admin_password": "pw1", "debug": "True"}}}},
            "devstack_vars": {"SERVICE_TOKEN": "tok", "HOST_IP": "127.0.0.1"}, "tags": [{"api_key": "k"}]}
    masked = mask_mapping(data)
    assert masked["ini"]["hv1"]["nova.conf"]["DEFAULT"] == {"admin_password": MASK, "debug": "True"}
    assert masked["devstack_vars"] == {"SERVICE_TOKEN": MASK, "HOST_IP": "127.0.0.1"}
    assert masked["tags"] == [{"api_key": MASK}]
