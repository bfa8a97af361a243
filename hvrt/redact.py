"""Keep secrets out of every log, report, journal line and collected file.

When: every byte hvrt writes into the results tree, the journal or onto the console
passes through the run's :class:`Redactor`. Collectors and writers call
:meth:`Redactor.text` or :meth:`Redactor.bytes`, log handlers carry
:class:`RedactingFilter`, and the Tempest subunit stream is re-encoded by
:func:`hvrt.subunit.redact_stream`.

Why two kinds of masking: the secrets hvrt knows (every ``Secret`` of the config, every
password a plugin registers with :meth:`Redactor.add`) are masked in each form they
are commonly written in (URL-, JSON-, HTML-, shell-quoted, base64, ...); secrets hvrt
does not know are caught by their shape (values of secret-named keys, URL userinfo,
Authorization headers, private key blocks, token formats). ``docs/redaction.md`` lists
them all. Every pattern starts on a literal or a keyword and cannot backtrack over
more than a bounded stretch, so the cost is linear in the size of the input.
"""
from __future__ import annotations

import base64
import html
import json
import logging
import re
import shlex
import threading
from collections.abc import Callable, Iterable
from urllib.parse import quote, quote_plus

__all__ = ["MASK", "Redactor", "RedactingFilter", "is_secret_key", "mask_mapping"]

MASK = "***"

_KEY_WORDS = {  # literal start of each key word -> the rest of it (lowercase text)
    "pass": r"pass(?:w(?:or)?d|phrase|(?<=[_.\-]pass)(?![a-z]))",
    "secret": "secret", "token": "token", "credential": "credential",
    "auth": r"auth(?:ori[sz]ation|[_\-]?key)", "api": r"api[_\-]?key", "private": r"private[_\-]?key",
}
_ANY_KEY_WORD = "(?:" + "|".join(_KEY_WORDS.values()) + ")"
_SECRET_KEY = re.compile(_ANY_KEY_WORD)

# Values, masked up to their end: a quoted one (JSON, Python repr, a JSON text inside a
# JSON string) up to its closing quote, escapes understood; a bare one up to a blank,
# quote or separator. Written as "unrolled loops" (a run of plain characters, then an
# escape, then a run...), so each text splits one way only and runs fast. No span ever
# holds a lone half of an escape or an unescaped double quote, and a quote followed by
# what follows the end of a JSON string is not taken as an opening one: redacting a
# JSON text leaves valid JSON.
_DQ = r'"(?![\s,:\]}])(?P<dq>[^"\\\r\n]*(?:\\.[^"\\\r\n]*)*)"?'
_SQ = r"""'(?![\s,:\]}])(?P<sq>[^'"\\\r\n]*(?:\\[^"][^'"\\\r\n]*)*)'?"""
_EQ = r'\\"(?![\s,:\]}])(?P<eq>[^"\\\r\n]*(?:(?:\\\\\\"|\\\\\\\\|\\\\[^"\\])[^"\\\r\n]*)*)(?:\\")?'
_BARE = r"""(?P<bare>(?=[^\s"'\\&,;<>\[\]{}]|\\[^\s"'nrt])[^\s"'\\&,;<>\]}]*(?:\\[^\s"'nrt][^\s"'\\&,;<>\]}]*)*)"""
_SCHEME = r"(?:(?:basic|bearer|digest|negotiate|ntlm|token|oauth|hmac[\w\-]{0,20})[ \t]+)?"
_VALUE_GROUPS = ("eq", "dq", "sq", "bare")
_NOT_SECRET = frozenset({"none", "null", "true", "false"})  # bare values left visible
_JSON_QUOTES = frozenset({'"', '\\"'})


def _atomic(name: str, body: str) -> str:
    """``body`` matched once and never given back (what ``(?>...)`` does on Python 3.11+)."""
    return f"(?=(?P<{name}>{body}))(?P={name})"


_TAIL = _atomic("tail", r"[\w.\-]{0,48}")
_KEY = _atomic("key", r"[\w.\-]+")
_BLANKS = _atomic("blanks", r"[ \t]*")
# key = value, key: value, "key": "value", --key=value; searched in the lowercased text
_KEYED = [re.compile(
    rf"""{word}{_TAIL}(?P<kq>\\?["'])?[ \t]*(?:=(?!=)|:(?![:/\w]))[ \t]*"""
    rf"(?:{_EQ}|{_DQ}|{_SQ}|{_SCHEME}{_BARE})") for word in _KEY_WORDS.values()]
# a key that starts a line (after blanks, "export " or "- "): the rest of the line
_LINE = re.compile(
    rf"\n{_BLANKS}(?:export[ \t]+|-[ \t]+)?(?={_KEY}[ \t]*[=:])(?=[\w.\-]{{0,80}}?{_ANY_KEY_WORD})"
    r"[\w.\-]+[ \t]*[=:][ \t]*(?P<value>[^\r\n]*)")
# --os-password VALUE, and "--password", "VALUE" in an argv list
_FLAG = re.compile(
    rf"-(?<![\w.\-]-)-?(?=[\w.\-]{{0,80}}?{_ANY_KEY_WORD}){_KEY}"
    rf"""(?:[ \t]+(?!-)|(?P<kq>\\?["'])[ \t]*,[ \t]*)(?:{_EQ}|{_DQ}|{_SQ}|{_BARE})""")
# scheme://user:password@host: the password runs to the last "@" of the URL
_URL = re.compile(r"""://(?P<user>[^\s/?#@:"'<>\\]*)(?:(?P<at>@)|:(?P<rest>[^\s"'<>\\]*(?:\\[^\s"'nrt][^\s"'<>\\]*)*))""")
_TOKEN_USER = re.compile(r"(?=\D*\d)(?=[^A-Za-z]*[A-Za-z])[\w\-.~%+]{20,}")
# shapes that are secrets whatever surrounds them, one search each (a literal start is
# found fastest alone)
_PEM = re.compile(
    r"""-----BEGIN[A-Z0-9 ]{0,40}PRIVATE KEY(?: BLOCK)?-----(?P<body>[^-"'\\]*(?:(?:\\[nr/]|-(?!----))[^-"'\\]*)*)""")
_TOKENS = [re.compile(p) for p in (
    r"gAAAAA(?<![\w\-]gAAAAA)[\w\-]{60,}={0,2}",  # Keystone Fernet tokens
    r"eyJ(?<![\w\-]eyJ)[\w\-]{8,}\.eyJ[\w\-]{8,}\.[\w\-]*",  # JWT / JWS
    r"gh(?:[pousr]_(?<![\w\-]gh[pousr]_)[A-Za-z0-9]{36,}|ithub_pat_(?<![\w\-]github_pat_)\w{22,})",  # GitHub
)]

# every pattern above needs one of these (PEM blocks say "private key")
_ANCHORS = re.compile("://|gaaaaa|eyj|gh[pousr]_|github_pat_|" + "|".join(_KEY_WORDS))

_SHORT = 4  # shorter known secrets are masked only as a whole token
_FOLD = 8  # known secrets this long are matched whatever their case
_ALNUM = r"[^\W_]"

Span = tuple[int, int]


def is_secret_key(key: str) -> bool:
    """Whether a key names a secret (``admin_password``, ``SERVICE_TOKEN``, ``RABBIT_PASS``...)."""
    return bool(_SECRET_KEY.search(_lowered(key)))


def mask_mapping(value: object) -> object:
    """A copy of nested dicts/lists with the values of secret-named keys masked."""
    if isinstance(value, dict):
        return {k: (MASK if isinstance(k, str) and is_secret_key(k) and v not in (None, "")
                    else mask_mapping(v)) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [mask_mapping(v) for v in value]
    return value


def _value_span(m: re.Match[str]) -> Span:
    for name in _VALUE_GROUPS:
        start = m.start(name)
        if start < 0:
            continue
        if name == "bare" and (m.group(name) in _NOT_SECRET or m.group("kq") in _JSON_QUOTES):
            return 0, 0  # a JSON number or literal: data is masked before it is dumped
        return start, m.end(name)
    return 0, 0


def _url_span(m: re.Match[str]) -> Span:
    rest = m.group("rest")
    if rest is None:
        return m.span("user") if _TOKEN_USER.fullmatch(m.group("user")) else (0, 0)
    at = rest.rfind("@")
    return (m.start("rest"), m.start("rest") + at) if at > 0 else (0, 0)


def _lowered(text: str) -> str:
    """``text.lower()`` with every index unchanged (only U+0130 grows when lowered)."""
    return (text.replace("\u0130", "i") if "\u0130" in text else text).lower()


def _pattern_spans(text: str, low: str) -> list[Span]:
    """Where the secret-shaped values of ``text`` are (``low``: it lowercased)."""
    if not _ANCHORS.search(low):
        return []  # most log messages: one search instead of a dozen
    spans = [m.span("body") for m in _PEM.finditer(text)]
    for shape in _TOKENS:
        spans += [m.span() for m in shape.finditer(text)]
    spans += [_url_span(m) for m in _URL.finditer(text)]
    for keyed in _KEYED:
        spans += [_value_span(m) for m in keyed.finditer(low)]
    spans += [_value_span(m) for m in _FLAG.finditer(low)]
    spans += [(m.start("value") - 1, m.end("value") - 1) for m in _LINE.finditer("\n" + low)
              if m.group("value").strip()]
    return spans


def _apply(text: str, spans: list[Span]) -> str:
    """``text`` with every span (merged where they touch) replaced by one MASK."""
    spans = sorted(s for s in spans if s[1] > s[0])
    if not spans:
        return text
    out: list[str] = []
    pos, (start, end) = 0, spans[0]
    for s, e in spans[1:]:
        if s <= end:
            end = max(end, e)
            continue
        out += (text[pos:start], MASK)
        pos, start, end = end, s, e
    out += (text[pos:start], MASK, text[end:])
    return "".join(out)


# --- known literals -------------------------------------------------------------

def _b64_forms(data: bytes) -> set[str]:
    """base64 of ``data`` alone, and the part of it that stays the same wherever it
    sits inside a longer base64 text (three alignments)."""
    out: set[str] = set()
    for encode in (base64.b64encode, base64.urlsafe_b64encode):
        whole = encode(data).decode("ascii")
        out |= {whole, whole.rstrip("=")}
        for lead in range(3):
            enc = encode(b"\0" * lead + data).decode("ascii")
            fragment = enc[-(-8 * lead // 6):(8 * (lead + len(data))) // 6]
            if len(fragment) >= 8:
                out.add(fragment)
    return out


def _forms(secret: str) -> dict[str, bool]:
    """Every written form of a secret -> whether it may match in any case."""
    fold = len(secret) >= _FOLD
    quoted = {quote(secret, safe=""), quote(secret), quote_plus(secret)}
    texts = {secret, repr(secret)[1:-1], json.dumps(secret)[1:-1], json.dumps(secret, ensure_ascii=False)[1:-1],
             html.escape(secret), html.escape(secret, quote=False), *quoted}
    texts |= {re.sub("%[0-9A-F]{2}", lambda h: h.group().lower(), q) for q in quoted}
    if "'" in secret:
        texts |= {shlex.quote(secret), secret.replace("'", "''")}  # sh, PowerShell
    forms = dict.fromkeys(texts, fold)
    if len(secret) >= _SHORT:
        for data in (secret.encode("utf-8", "surrogatepass"), secret.encode("utf-16-le", "surrogatepass")):
            forms.update(dict.fromkeys(_b64_forms(data) - forms.keys(), False))
    else:
        forms.update(dict.fromkeys({base64.b64encode(secret.encode("utf-8", "surrogatepass")).decode()}, False))
    return forms


_END = ""  # trie key of "a form ends here" (edge keys are never empty)


def _trie_regex(forms: Iterable[tuple[str, bool]]) -> re.Pattern[str] | None:
    """One regex for many literals with their common prefixes shared, so the cost per
    position does not grow with the number of forms; each top-level branch starts with
    a literal, so the search skips every other character in C. A form flagged as a
    token matches only between non-alphanumerics."""
    root: dict[str, dict] = {}
    for form, token in forms:
        node = root
        for ch in form:
            node = node.setdefault(re.escape(ch), {})
        plain = node.get(_END) == "" or not token
        node[_END] = "" if plain else f"(?<!{_ALNUM}{re.escape(form)})(?!{_ALNUM})"

    def emit(node: dict) -> str:
        parts = []
        for edge, child in node.items():
            if edge == _END:
                continue
            chain = [edge]
            while len(child) == 1 and _END not in child:
                (edge, child), = child.items()
                chain.append(edge)
            parts.append("".join(chain) + emit(child))
        if _END in node:
            parts.append(node[_END])  # after the children: the longest form wins
        return parts[0] if len(parts) == 1 else "(?:" + "|".join(parts) + ")" if parts else ""

    return re.compile(emit(root)) if root else None


class Redactor:
    """Masks the run's known secrets and every secret-shaped value.

    Thread-safe: secrets may be added while other threads redact.
    """

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        self._secrets: set[str] = set()
        self._lock = threading.Lock()
        self._literals: tuple[re.Pattern[str] | None, re.Pattern[str] | None] = (None, None)
        self._dirty = False
        self.generation = 0
        """Grows with every secret added (lets callers tell if a result is still current)."""
        for s in secrets:
            self.add(s)

    def add(self, secret: str | None) -> None:
        """Register a literal secret. Secrets of 1-3 characters are masked only as a whole
        token; blank ones and ones made only of ``*`` are ignored."""
        if not secret or not secret.strip().strip("*"):
            return
        with self._lock:
            new = {secret, secret.strip()} - self._secrets
            if new:
                self._secrets |= new
                self._dirty = True
                self.generation += 1

    @property
    def secrets(self) -> frozenset[str]:
        return frozenset(self._secrets)

    def _literal_patterns(self) -> tuple[re.Pattern[str] | None, re.Pattern[str] | None]:
        """(forms matched in any case, searched in the lowercased text; exact forms)."""
        if not self._dirty:
            return self._literals
        with self._lock:
            if self._dirty:
                folded: set[str] = set()
                exact: dict[str, bool] = {}
                for secret in self._secrets:
                    token = len(secret) < _SHORT
                    for form, fold in _forms(secret).items():
                        if fold:
                            folded.add(_lowered(form))
                        else:
                            exact[form] = exact.get(form, True) and token
                self._literals = (_trie_regex((f, False) for f in folded), _trie_regex(exact.items()))
                self._dirty = False
            return self._literals

    def text(self, text: str) -> str:
        """Mask the known secrets (every form) and every secret-shaped value."""
        if not text:
            return text
        low = _lowered(text)
        folded, exact = self._literal_patterns()
        spans = _pattern_spans(text, low)
        if folded is not None:
            spans += [m.span() for m in folded.finditer(low)]
        if exact is not None:
            spans += [m.span() for m in exact.finditer(text)]
        return _apply(text, spans)

    literals = text
    """Kept for compatibility: the same full redaction as :meth:`text` (it once masked
    only the known literals; every output now gets everything masked)."""

    def bytes(self, data: bytes) -> bytes:
        """:meth:`text` on bytes; bytes that are not UTF-8 pass through unchanged."""
        return self.text(data.decode("utf-8", "surrogateescape")).encode("utf-8", "surrogateescape")

    def data(self, value: object) -> object:
        """A copy of plain data (dicts, lists, strings) with the values of secret-named
        keys masked (:func:`mask_mapping`) and every string through :meth:`text`."""
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, dict):
            masked = mask_mapping(value)
            return {self.text(k) if isinstance(k, str) else k: self.data(v)
                    for k, v in masked.items()}  # type: ignore[union-attr]
        if isinstance(value, list | tuple):
            return [self.data(v) for v in value]
        return value


class RedactingFilter(logging.Filter):
    """A logging filter that redacts each record fully: the message with its arguments
    merged, the formatted exception and the stack. A record that already passed a
    filter of the same redactor (a logger's, then a handler's) is not redone."""

    def __init__(self, redactor: Redactor) -> None:
        super().__init__()
        self.redactor = redactor
        self._format_exception: Callable[..., str] = logging.Formatter().formatException

    def filter(self, record: logging.LogRecord) -> bool:
        mark = (id(self.redactor), self.redactor.generation)
        done = getattr(record, "_hvrt_redacted", None)
        if done is not None and done[0] == mark and done[1] is record.msg and record.args is None:
            return True
        try:
            message = record.getMessage()
        except Exception:  # arguments that do not fit the format: keep both, redacted
            message = f"{record.msg} {record.args!r}"
        record.msg, record.args = self.redactor.text(message), None
        if record.exc_info and not record.exc_text:
            record.exc_text = self._format_exception(record.exc_info)
        if record.exc_text:
            record.exc_text = self.redactor.text(record.exc_text)
        if record.stack_info:
            record.stack_info = self.redactor.text(record.stack_info)
        record._hvrt_redacted = (mark, record.msg)
        return True
