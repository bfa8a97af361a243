"""Mode ``local``: masterless ``salt-call --local`` on the node, over hvrt's own transport.

The node needs Salt installed (``salt-call`` on Windows comes with the Salt MSI) and
nothing else: hvrt uploads a work folder holding a minion config, the shipped Salt
file tree, the generated pillar (and the MSI when the release names a local file),
runs ``salt-call`` there with ``--retcode-passthrough`` and JSON output, and
removes the pillar afterwards. Works over any transport: ``local`` for a node that
is this machine, ``ssh`` for Linux nodes, ``winrm`` for Windows ones.
"""
from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

from hvrt.errors import ConfigurationFailed
from hvrt_saltstack.applier import FILE_ROOT, Applier, parse_json, render_log, safe_name
from hvrt_saltstack.outcome import ApplyOutcome, summarize
from hvrt_saltstack.pillar import PILLAR_TOP, pillar_file

SMALL_CALL = 120.0


class LocalCall(Applier):
    mode = "local"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        opts = self.options
        default = f"/var/tmp/hvrt-salt-{safe_name(self.node.name)}-{safe_name(self.ctx.name)}"
        self.workdir = opts.remote_path(opts.workdir or default)
        self._staging = Path(tempfile.mkdtemp(prefix="hvrt-salt-"))
        self._uploaded = False

    def _node(self, *parts: str) -> str:
        return str(self.workdir.joinpath(*parts))

    def stage_installer(self, local_msi: Path | None, url: str | None) -> tuple[str | None, str | None]:
        if local_msi is None:
            return None, url
        shutil.copy2(local_msi, self._staging / "installer.msi")
        return self._node("installer.msi"), None

    def minion_config(self) -> dict[str, Any]:
        return {
            "id": self.options.target,
            "file_client": "local",
            "root_dir": self._node("root"),
            "file_roots": {self.options.saltenv: [self._node("file_root")]},
            "pillar_roots": {self.options.saltenv: [self._node("pillar")]},
            "log_file": self._node("root", "salt-call.log"),
            "state_verbose": True,
        }

    def _stage(self, pillar: dict[str, Any]) -> None:
        staging = self._staging
        shutil.copytree(FILE_ROOT, staging / "file_root", dirs_exist_ok=True)
        for extra in self.options.file_roots:
            shutil.copytree(extra, staging / "file_root", dirs_exist_ok=True)
        (staging / "conf").mkdir(exist_ok=True)
        (staging / "pillar").mkdir(mode=0o700, exist_ok=True)
        (staging / "root").mkdir(exist_ok=True)
        # JSON is YAML: the minion config needs no quoting rules of its own
        (staging / "conf" / "minion").write_text(json.dumps(self.minion_config(), indent=2) + "\n")
        (staging / "pillar" / "top.sls").write_text(PILLAR_TOP)
        fd = os.open(staging / "pillar" / "hvrt_scenario.sls", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(pillar_file(pillar))

    def salt_call(self, *args: str) -> list[str]:
        return [
            self.options.salt_call, "--config-dir", self._node("conf"), "--local",
            "--out", "json", "--log-level", "error", "--no-color", *args,
        ]

    def apply(self, pillar: dict[str, Any]) -> tuple[ApplyOutcome, str]:
        self._stage(pillar)
        transport = self.ctx.transport(self.node)
        transport.put(self._staging, str(self.workdir), timeout=self.ctx.call_timeout(600))
        self._uploaded = True
        argv = self.salt_call("--retcode-passthrough", "state.apply", self.options.sls,
                              f"saltenv={self.options.saltenv}")
        result = transport.run(argv, timeout=self.timeout())
        data = parse_json(result.stdout)
        log = render_log(" ".join(argv), result.exit_code, data if data is not None else result.stdout,
                         result.stderr)
        if not isinstance(data, dict) or "local" not in data:
            raise ConfigurationFailed(
                f"salt-call gave no state result (exit {result.exit_code})", host=self.node.name,
                step="configure", detail=self.ctx.redactor.text(result.tail()),
            )
        return summarize(self.node.name, self.mode, data["local"]), log

    def cleanup(self) -> None:
        shutil.rmtree(self._staging, ignore_errors=True)
        if not self._uploaded:
            return
        keep = self.options.keep_workdir
        target = self._node("pillar") if keep else str(self.workdir)
        null = "NUL" if self.options.windows else "/dev/null"
        try:
            # Salt removes the folder itself: the same call on Windows and Linux nodes; its
            # log goes elsewhere, as Windows cannot delete a log file that is still open
            done = self.ctx.transport(self.node).run(self.salt_call("--log-file", null, "file.remove", target),
                                                     timeout=self.ctx.call_timeout(SMALL_CALL))
            if not done.ok:
                self.ctx.log.warning("removing %s on %s failed: %s", target, self.node.name, done.tail(3))
        except Exception as exc:  # cleanup must not mask the outcome of the apply
            self.ctx.log.warning("removing %s on %s failed: %s", target, self.node.name, exc)
