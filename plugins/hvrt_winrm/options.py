"""The ``winrm:`` options of a lab host: declared as a schema, read when its transport opens.

The loader checks the block of every host against :data:`WINRM` when the config
loads (the plugin declares it through ``hvrt_config_schema``); :meth:`WinRMOptions.from_host`
reads it with the same checks (for hosts built in code) and fills in the defaults.

Example (in ``lab: nodes:``)::

    hv-01:
      address: 127.0.0.11
      transport: winrm
      user: Administrator
      password: ${env:HV_PASSWORD}
      winrm: {scheme: https, port: 5986, auth: ntlm, ca_bundle: /etc/hvrt/lab-ca.pem}
"""
from __future__ import annotations

from dataclasses import dataclass

from hvrt.config.model import Host
from hvrt.config.schema import Block, Field, Requires, read_block

AUTH_METHODS = ("ntlm", "kerberos", "credssp", "certificate", "basic")
POWERSHELL_VERSIONS = ("2.0", "3.0", "4.0", "5.1")

WINRM = Block("host", "winrm", doc="how the winrm transport reaches the host", fields=(
    Field("scheme", choices=("https", "http"), default="https", doc="https (port 5986) or http (port 5985)"),
    Field("port", "integer", minimum=1, maximum=65535, doc="WinRM port (default the host's port, else by scheme)"),
    Field("auth", choices=AUTH_METHODS, default="ntlm", doc="authentication method"),
    Field("ca_bundle", rule="path", doc="CA certificates that sign the host's HTTPS certificate"),
    Field("cert_validation", choices=("validate", "ignore"), default="validate",
          doc="check the host's certificate (ignore only for a throw-away lab)"),
    Field("operation_timeout", "integer", default=20, minimum=1, maximum=3600,
          doc="seconds WinRM waits for output of one operation"),
    Field("read_timeout", "integer", default=30, minimum=1, maximum=3660, above="operation_timeout",
          doc="seconds the HTTP client waits; larger than operation_timeout"),
    Field("cert_pem", rule="path", doc="client certificate (auth: certificate)"),
    Field("cert_key_pem", rule="path", doc="client certificate key (auth: certificate)"),
    Field("message_encryption", choices=("auto", "always", "never"), default="auto",
          doc="encrypt messages over http with ntlm/kerberos/credssp"),
    Field("retries", "integer", default=4, minimum=0, maximum=20, doc="retries of a failed request"),
    Field("backoff", "number", default=0.5, minimum=0, maximum=60, doc="seconds before the first retry, doubling"),
    Field("reboot_timeout", "number", rule="timeout", default=900.0, doc="seconds a reboot may take"),
    Field("default_timeout", "number", rule="timeout", default=600.0, doc="default seconds of a remote command"),
    Field("powershell", choices=POWERSHELL_VERSIONS,
          doc="the Windows PowerShell the node runs when it is not the one its OS includes: 5.1 "
              "(WMF 5.1 installed); the pre-flight checks it (docs/winrm.md, 'Which Windows')"),
), requires=(
    Requires("auth", "certificate", ("cert_pem", "cert_key_pem"),
             "certificate auth needs cert_pem and cert_key_pem"),
))


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
    powershell: str | None = None

    @property
    def effective_port(self) -> int:
        return self.port or (5986 if self.scheme == "https" else 5985)

    @classmethod
    def from_host(cls, host: Host) -> WinRMOptions:
        """The host's ``winrm:`` block checked against :data:`WINRM`, defaults filled in."""
        where = "lab.nodes" if host.role == "node" else "lab.controllers"
        values = read_block(WINRM, host.options.get("winrm"), path=f"{where}.{host.name}.winrm",
                            source=host.source, transport=host.transport)
        if values["port"] is None and host.port:
            values["port"] = host.port
        return cls(**values)
