"""Run DevStack on the controller: cache the images, write the files, stack.

Called by the deployer once DevStack is checked out and ``local.conf`` rendered.
Images are downloaded once into a cache folder on the controller (``curl``, else
``wget``; a ``file://`` URL is copied) and referenced from ``local.conf`` as
``file://`` paths. ``unstack.sh`` then ``stack.sh`` run with their output streamed,
line by line and with secrets masked, into the scenario's
``logs/<controller>/stack.sh.log`` while they run; a failure raises
:class:`~hvrt.errors.InfrastructureError` carrying the last lines of that log.
"""
from __future__ import annotations

import json
import posixpath
import tempfile
import threading
from collections import deque
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

from hvrt.context import ScenarioContext
from hvrt.errors import InfrastructureError, RemoteTimeout
from hvrt.transport.base import Transport

DEPLOY_INFO = ".hvrt-deploy.json"
TAIL_LINES = 40


def image_name(url: str) -> str:
    name = posixpath.basename(unquote(urlparse(url).path))
    if not name or name in (".", ".."):
        raise InfrastructureError(f"cannot name an image file after {url!r}", step="deploy")
    return name


def cache_images(transport: Transport, urls: list[str], cache_dir: str, timeout: float) -> list[str]:
    """Make sure every URL is in ``cache_dir`` on the controller; returns the paths."""
    transport.run(["mkdir", "-p", cache_dir], timeout=timeout, check=True)
    paths = []
    for url in urls:
        path = posixpath.join(cache_dir, image_name(url))
        paths.append(path)
        if transport.run(["test", "-s", path], timeout=timeout).ok:
            continue
        partial = path + ".part"
        scheme = urlparse(url).scheme
        if scheme == "file":
            argv = ["cp", "--", unquote(urlparse(url).path), partial]
        elif scheme in ("http", "https"):
            has_curl = transport.run(["sh", "-c", "command -v curl"], timeout=timeout).ok
            argv = (["curl", "--fail", "--silent", "--show-error", "--location", "--retry", "3",
                     "--output", partial, "--", url] if has_curl
                    else ["wget", "--quiet", "--tries=3", "-O", partial, "--", url])
        else:
            raise InfrastructureError(f"unsupported image URL scheme {scheme!r}: {url}", step="deploy")
        result = transport.run(argv, timeout=timeout)
        if not result.ok:
            transport.run(["rm", "-f", partial], timeout=timeout)
            raise InfrastructureError(f"could not fetch image {url}", host=transport.host_name,
                                      step="deploy", detail=result.tail())
        transport.run(["mv", "-f", partial, path], timeout=timeout, check=True)
    return paths


def upload_text(transport: Transport, text: str, remote: str, mode: int, timeout: float) -> None:
    """Write a file on the controller through the transport (SFTP for SSH)."""
    with tempfile.TemporaryDirectory(prefix="hvrt-devstack-") as tmp:
        local = Path(tmp) / posixpath.basename(remote)
        local.write_text(text)
        local.chmod(mode)
        transport.put(local, remote, timeout=timeout)


class StreamedLog:
    """A results log file written line by line (secrets masked) while a command runs."""

    def __init__(self, ctx: ScenarioContext, relpath: str) -> None:
        self.ctx = ctx
        self.relpath = relpath
        self.path = ctx.dir / relpath
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._fh = self.path.open("a", encoding="utf-8")
        self._lock = threading.Lock()
        self.tail: deque[str] = deque(maxlen=TAIL_LINES)

    def write(self, stream: str, line: str) -> None:
        clean = self.ctx.redactor.text(line)
        with self._lock:
            self._fh.write(clean + "\n")
            self._fh.flush()
            self.tail.append(clean)

    def close(self) -> None:
        self._fh.close()
        if self.relpath not in self.ctx.result.artifacts:
            self.ctx.result.artifacts.append(self.relpath)


def run_script(ctx: ScenarioContext, transport: Transport, devstack_dir: str, script: str,
               log: StreamedLog, timeout: float, *, required: bool = True) -> int:
    """Run ``./<script>`` in the DevStack folder, its output streamed into ``log``."""
    log.write("stdout", f"+ ./{script}")
    try:
        result = transport.run([f"./{script}"], cwd=devstack_dir, timeout=timeout, on_output=log.write)
    except RemoteTimeout as exc:
        raise InfrastructureError(f"{script} did not finish within {timeout:.0f}s", host=ctx.controller.name,
                                  step="deploy", detail="\n".join(log.tail)) from exc
    log.write("stdout", f"+ ./{script} exited {result.exit_code}")
    if required and not result.ok:
        raise InfrastructureError(f"{script} failed (exit {result.exit_code}); see {log.relpath}",
                                  host=ctx.controller.name, step="deploy", detail="\n".join(log.tail))
    return result.exit_code


def read_deploy_info(transport: Transport, dest: str, timeout: float) -> dict[str, Any]:
    """What the DevStack stand-in wrote about its cloud (empty for a real DevStack)."""
    result = transport.run(["cat", posixpath.join(dest, DEPLOY_INFO)], timeout=timeout)
    if not result.ok:
        return {}
    try:
        data = json.loads(result.stdout)
    except ValueError:
        raise InfrastructureError(f"{DEPLOY_INFO} on the controller is not JSON", step="deploy") from None
    return dict(data) if isinstance(data, dict) else {}
