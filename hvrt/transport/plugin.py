"""Core plugin: opens ``local`` and ``ssh`` transports for lab hosts."""
from __future__ import annotations

from hvrt import hookimpl
from hvrt.config.model import Host
from hvrt.context import RunContext
from hvrt.transport.base import Transport


@hookimpl
def hvrt_open_transport(host: Host, run: RunContext) -> Transport | None:
    if host.transport == "local":
        from hvrt.transport.local import LocalTransport

        return LocalTransport(host.name)
    if host.transport == "ssh":
        from hvrt.transport.ssh import SSHTransport

        return SSHTransport.for_host(host, redactor=run.redactor)
    return None
