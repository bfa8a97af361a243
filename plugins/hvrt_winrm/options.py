"""The ``winrm:`` options of a lab host, validated when its transport is opened.

Example (in ``lab: nodes:``)::

    hv-01:
      address: 127.0.0.11
      transport: winrm
      user: Administrator
      password: ${env:HV_PASSWORD}
      winrm: {scheme: https, port: 5986, auth: ntlm, ca_bundle: /etc/hvrt/lab-ca.pem}
"""
from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

from hvrt.config.model import Host
from hvrt.errors import ConfigError

AUTH_METHODS = ("ntlm", "kerberos", "credssp", "certificate", "basic")


@dataclass(frozen=True)
class WinRMOptions:
    scheme: str = "https"
    port: int | None = None
    auth: str = "ntlm"
    ca_bundle: str | None = None
    cert_validation: str = "validate"
    operation_timeout: int = 20
    read_timeout: int = 30
    cert_pem: str | None = None
    cert_key_pem: str | None = None
    message_encryption: str = "auto"
    retries: int = 4
    backoff: float = 0.5
    reboot_timeout: float = 900.0
    default_timeout: float = 600.0

    @property
    def effective_port(self) -> int:
        return self.port or (5986 if self.scheme == "https" else 5985)

    @classmethod
    def from_host(cls, host: Host) -> WinRMOptions:
        raw: dict[str, Any] = dict(host.options.get("winrm") or {})
        known = {f.name for f in fields(cls)}
        where = {"file": host.source.file if host.source else None,
                 "line": host.source.line if host.source else None,
                 "column": host.source.column if host.source else None}
        for key in raw:
            if key not in known:
                import difflib

                close = difflib.get_close_matches(key, sorted(known), n=1)
                hint = f" (did you mean {close[0]!r}?)" if close else ""
                raise ConfigError(f"unknown winrm option {key!r}{hint}", key=f"{host.name}.winrm.{key}", **where)
        if host.port and "port" not in raw:
            raw["port"] = host.port
        opts = cls(**raw)
        problems = []
        if opts.scheme not in ("http", "https"):
            problems.append(("scheme", f"must be http or https, not {opts.scheme!r}"))
        if opts.auth not in AUTH_METHODS:
            problems.append(("auth", f"must be one of {', '.join(AUTH_METHODS)}, not {opts.auth!r}"))
        if opts.cert_validation not in ("validate", "ignore"):
            problems.append(("cert_validation", "must be validate or ignore"))
        if opts.read_timeout <= opts.operation_timeout:
            problems.append(("read_timeout", "must be larger than operation_timeout"))
        if opts.auth == "certificate" and not (opts.cert_pem and opts.cert_key_pem):
            problems.append(("cert_pem", "certificate auth needs cert_pem and cert_key_pem"))
        if problems:
            key, message = problems[0]
            raise ConfigError(message, key=f"{host.name}.winrm.{key}", **where)
        return opts
