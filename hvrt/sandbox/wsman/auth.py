"""Authentication of the simulated node: HTTP Basic and NTLM (also as ``Negotiate``).

NTLM is accepted through pyspnego's acceptor, which reads user hashes from the file
named by the ``NTLM_USER_FILE`` environment variable. Each node keeps its own file
of NT hashes (smbpasswd format, never a clear-text password) in its state folder,
and the variable points at it only while a token is being accepted. Over
HTTP an NTLM-authenticated connection carries WS-Man messages sealed with the NTLM
session key (``multipart/encrypted``), the way Windows does; over HTTPS the client's
channel binding to the server certificate is verified.
"""
from __future__ import annotations

import base64
import binascii
import hmac
import os
import struct
import tempfile
import threading
from pathlib import Path

import spnego
from spnego.channel_bindings import GssChannelBindings

BOUNDARY = b"--Encrypted Boundary"
PROTOCOL = "application/HTTP-SPNEGO-session-encrypted"
_ENV_LOCK = threading.Lock()
"""pyspnego reads ``NTLM_USER_FILE`` from the process environment while it accepts a
token; the variable is pointed at the right node's file only under this lock."""


def _nt_hash(password: str) -> str:
    from spnego._ntlm_raw.crypto import ntowfv1  # pyspnego's own MD4 (no OpenSSL legacy provider)

    return binascii.hexlify(ntowfv1(password)).decode().upper()


def write_user_file(users: dict[str, str], folder: Path | None = None) -> Path:
    """A user file of NT hashes (smbpasswd format) for one node; never a clear-text password."""
    folder = folder or Path(tempfile.mkdtemp(prefix="hvrt-ntlm-"))
    path = folder / "ntlm-users"
    lines = [f"{user}:1000:{'0' * 32}:{_nt_hash(pw)}:[U]:LCT-00000000" for user, pw in sorted(users.items())]
    tmp = path.with_suffix(".tmp")
    tmp.write_text("\n".join(lines) + "\n")
    tmp.chmod(0o600)
    os.replace(tmp, path)
    return path


def check_basic(header_value: str, users: dict[str, str]) -> str | None:
    """The user name when ``Basic <b64>`` matches a user, else None."""
    try:
        raw = base64.b64decode(header_value.split(None, 1)[1]).decode("utf-8")
    except (IndexError, ValueError, binascii.Error):
        return None
    user, _, password = raw.partition(":")
    user = user.split("\\")[-1]
    expected = {u.lower(): p for u, p in users.items()}.get(user.lower())
    if expected is not None and hmac.compare_digest(expected.encode(), password.encode()):
        return user
    return None


def _restore(previous: str | None) -> None:
    if previous is None:
        os.environ.pop("NTLM_USER_FILE", None)
    else:
        os.environ["NTLM_USER_FILE"] = previous


class NtlmSession:
    """The NTLM state of one HTTP connection."""

    def __init__(self, cert_hash: bytes | None, user_file: Path) -> None:
        bindings = None
        if cert_hash is not None:
            bindings = GssChannelBindings(application_data=b"tls-server-end-point:" + cert_hash)
        self._user_file = user_file
        with _ENV_LOCK:
            previous = os.environ.get("NTLM_USER_FILE")
            os.environ["NTLM_USER_FILE"] = str(user_file)
            try:
                self._ctx = spnego.server(protocol="ntlm", channel_bindings=bindings)
            finally:
                _restore(previous)
        self.user: str | None = None

    @property
    def complete(self) -> bool:
        return self._ctx.complete

    def step(self, token: bytes) -> bytes | None:
        with _ENV_LOCK:
            previous = os.environ.get("NTLM_USER_FILE")
            os.environ["NTLM_USER_FILE"] = str(self._user_file)
            try:
                out = self._ctx.step(token)
            finally:
                _restore(previous)
        if self._ctx.complete:
            self.user = (self._ctx.client_principal or "").split("\\")[-1]
        return out

    def unwrap_body(self, body: bytes) -> bytes:
        """Open a ``multipart/encrypted`` request body sealed by the client."""
        parts = [p for p in body.split(BOUNDARY + b"\r\n") if p]
        message = b""
        for i in range(0, len(parts) - 1, 2):
            header, payload = parts[i].strip(), parts[i + 1]
            expected = int(header.split(b"Length=")[1].split(b"\r\n")[0])
            if payload.endswith(BOUNDARY + b"--\r\n"):
                payload = payload[: -len(BOUNDARY + b"--\r\n")]
            payload = payload.replace(b"\tContent-Type: application/octet-stream\r\n", b"", 1)
            sig_len = struct.unpack("<i", payload[:4])[0]
            signature, sealed = payload[4 : 4 + sig_len], payload[4 + sig_len :]
            plain = self._ctx.unwrap(signature + sealed).data
            if len(plain) != expected:
                raise ValueError("sealed message length does not match its header")
            message += plain
        return message

    def wrap_body(self, message: bytes) -> tuple[bytes, str]:
        """Seal a response; returns the body and its Content-Type."""
        wrapped = self._ctx.wrap(message, encrypt=True).data
        signature, sealed = wrapped[:16], wrapped[16:]
        body = (
            BOUNDARY + b"\r\n"
            + b"\tContent-Type: " + PROTOCOL.encode() + b"\r\n"
            + b"\tOriginalContent: type=application/soap+xml;charset=UTF-8;Length="
            + str(len(message)).encode() + b"\r\n"
            + BOUNDARY + b"\r\n"
            + b"\tContent-Type: application/octet-stream\r\n"
            + struct.pack("<i", len(signature)) + signature + sealed
            + BOUNDARY + b"--\r\n"
        )
        return body, f'multipart/encrypted;protocol="{PROTOCOL}";boundary="Encrypted Boundary"'
