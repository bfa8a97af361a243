"""Keep secrets out of every log, report and collected file.

A :class:`Redactor` knows the literal secrets of the run (every ``Secret`` the config
loaded, plus any a plugin registers) and the shapes of secrets in config files
(``password = ...``, ``connection = mysql://user:pass@...``, tokens). Collectors pass
text through :meth:`Redactor.text`; the run's log handlers carry :class:`RedactingFilter`.
"""
from __future__ import annotations

import logging
import re
from collections.abc import Iterable

MASK = "***"

_KEY_WORDS = r"(?:password|passwd|secret|token|credential|private_key|key_password|auth_key|admin_token|service_token|api_key)"
# key = value lines of INI files and local.conf variables: ADMIN_PASSWORD=..., password = ...
_ASSIGNMENT = re.compile(
    rf"(?im)^(?P<key>[ \t]*[\w.\-]*{_KEY_WORDS}[\w.\-]*[ \t]*[=:][ \t]*)(?P<value>[^\r\n]*)$"
)
# credentials inside URLs: scheme://user:secret@host
_URL_PASSWORD = re.compile(r"(?P<head>[a-zA-Z][\w+.\-]*://[^:/@\s]+:)(?P<value>[^@\s/]+)(?=@)")
_MIN_LITERAL = 4
_SECRET_KEY = re.compile(rf"(?i){_KEY_WORDS}")


def is_secret_key(key: str) -> bool:
    """Whether a config key names a secret (``admin_password``, ``SERVICE_TOKEN``, ...)."""
    return bool(_SECRET_KEY.search(key))


def mask_mapping(value: object) -> object:
    """A copy of nested dicts/lists with the values of secret-named keys masked."""
    if isinstance(value, dict):
        return {k: (MASK if isinstance(k, str) and is_secret_key(k) and v not in (None, "")
                    else mask_mapping(v)) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [mask_mapping(v) for v in value]
    return value


class Redactor:
    def __init__(self, secrets: Iterable[str] = ()) -> None:
        self._secrets: set[str] = set()
        self._pattern: re.Pattern[str] | None = None
        for s in secrets:
            self.add(s)

    def add(self, secret: str | None) -> None:
        """Register a literal secret (too-short values are ignored to keep text readable)."""
        if secret and len(secret) >= _MIN_LITERAL and secret not in self._secrets:
            self._secrets.add(secret)
            ordered = sorted(self._secrets, key=len, reverse=True)
            self._pattern = re.compile("|".join(re.escape(s) for s in ordered))

    @property
    def secrets(self) -> frozenset[str]:
        return frozenset(self._secrets)

    def text(self, text: str) -> str:
        """Mask the known literals, then every password-like assignment and URL password."""
        if self._pattern is not None:
            text = self._pattern.sub(MASK, text)
        text = _ASSIGNMENT.sub(lambda m: m.group("key") + (MASK if m.group("value").strip() else ""), text)
        return _URL_PASSWORD.sub(lambda m: m.group("head") + MASK, text)

    def literals(self, text: str) -> str:
        """Mask only the known literal secrets (for logs, where key=value is not a secret)."""
        return self._pattern.sub(MASK, text) if self._pattern is not None else text

    def bytes(self, data: bytes) -> bytes:
        return self.text(data.decode("utf-8", "replace")).encode("utf-8")


class RedactingFilter(logging.Filter):
    """A logging filter that masks known secrets in every record that passes."""

    def __init__(self, redactor: Redactor) -> None:
        super().__init__()
        self.redactor = redactor

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = self.redactor.literals(message)
        if cleaned != message or record.args:
            record.msg, record.args = cleaned, None
        return True
