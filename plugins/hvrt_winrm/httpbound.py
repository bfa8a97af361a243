"""An HTTP adapter that bounds the size of every body a node sends.

pywinrm reads each HTTP response whole before it parses it; a hostile or broken
node could answer with an endless body or a compression bomb. The WinRM transport
mounts :class:`BoundedAdapter` on pywinrm's ``requests`` session so no body past a
limit is ever read into memory.
"""
from __future__ import annotations

from typing import Any

import requests
from requests.adapters import HTTPAdapter


class BodyTooLarge(requests.exceptions.RequestException):
    """The node announced or sent an HTTP body larger than the adapter's limit."""


class BoundedAdapter(HTTPAdapter):
    """An HTTP adapter whose responses refuse a body over ``limit`` bytes.

    Mounted on the pywinrm session, it builds every response, those of the NTLM
    handshake included (the auth handler resends through the same adapter). A
    ``Content-Length`` over the limit fails before any of the body is read; otherwise
    the response's own stream (what requests reads ``content`` from) stops with
    :class:`BodyTooLarge` once past the limit. The response stays urllib3's, unread,
    so the NTLM handler still finds the TLS socket for channel binding.
    """

    def __init__(self, limit: int) -> None:
        super().__init__()
        self.limit = limit

    def build_response(self, req: requests.PreparedRequest, resp: Any) -> requests.Response:
        response = super().build_response(req, resp)
        limit = self.limit
        declared = response.headers.get("Content-Length", "").strip()
        if declared.isdigit() and int(declared) > limit:
            response.close()
            raise BodyTooLarge(f"an HTTP body of {int(declared)} bytes announced (limit {limit})")
        unbounded = resp.stream

        def bounded(amt: int = 64 * 1024, decode_content: bool | None = None) -> Any:
            seen = 0
            for chunk in unbounded(amt, decode_content=decode_content):
                seen += len(chunk)
                if seen > limit:
                    response.close()
                    raise BodyTooLarge(f"an HTTP body of more than {limit} bytes")
                yield chunk

        resp.stream = bounded
        return response
