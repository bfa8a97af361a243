"""Mode ``ssh``: ``salt-ssh`` from the runner to the node, no Salt installed on the node.

hvrt writes a private salt-ssh configuration for the one call (in a temporary folder
only its user can read): a master config whose file roots are the shipped Salt tree
(plus the node's ``salt.file_roots``) and whose pillar root holds the generated
pillar, and a roster with the node's address, user, key or password. The roster
entry sets ``set_path`` to the usual system PATH unless the config says otherwise
(salt-ssh's shim cannot find Python on a bare ``sh`` PATH). The host key is checked
against ``salt.known_hosts`` when given. Salt's thin tarball is cached under
``$HVRT_CACHE/salt-ssh/<node>`` (default ``~/.cache/hvrt``): only the first call builds it.
"""
from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

from hvrt.errors import ConfigurationFailed
from hvrt.transport.local import LocalTransport
from hvrt_saltstack.applier import FILE_ROOT, Applier, parse_json, render_log, safe_name
from hvrt_saltstack.outcome import ApplyOutcome, summarize
from hvrt_saltstack.pillar import PILLAR_TOP, pillar_file

SYSTEM_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


def thin_cache(node: str) -> Path:
    """Salt's cache folder for salt-ssh calls to one node, kept between calls because
    building the thin tarball there takes ~15 s. One per node, so scenarios running at
    the same time never build into the same folder. Pillar and job returns do not stay
    there: ``minion_data_cache`` is off and the job folders are removed after each call."""
    base = os.environ.get("HVRT_CACHE") or os.path.join(os.path.expanduser("~"), ".cache", "hvrt")
    folder = Path(base) / "salt-ssh" / safe_name(node)
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    return folder


def _private_write(path: Path, text: str) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(text)


class SaltSsh(Applier):
    mode = "ssh"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.folder = Path(tempfile.mkdtemp(prefix="hvrt-salt-ssh-"))  # 0700 by mkdtemp

    def stage_installer(self, local_msi: Path | None, url: str | None) -> tuple[str | None, str | None]:
        if local_msi is None:
            return None, url
        target = self.folder / "extra_root" / "hvrt_installer" / "installer.msi"
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(local_msi, target)
        return None, "salt://hvrt_installer/installer.msi"

    def roster(self) -> dict[str, Any]:
        node = self.node
        entry: dict[str, Any] = {"host": node.address}
        if node.port:
            entry["port"] = node.port
        if node.user:
            entry["user"] = node.user
        if node.key_file:
            entry["priv"] = str(Path(self.ctx.config.path).resolve().parent / Path(node.key_file).expanduser())
        if node.password is not None:
            entry["passwd"] = node.password.reveal()
        if not self.options.windows:
            entry["set_path"] = SYSTEM_PATH
        entry["thin_dir"] = f"/var/tmp/hvrt-salt-thin-{safe_name(node.name)}"
        entry.update(self.options.roster)
        return {self.options.target: entry}

    def master_config(self) -> dict[str, Any]:
        roots = [str(FILE_ROOT), *(str(p) for p in self.options.file_roots)]
        if (self.folder / "extra_root").is_dir():
            roots.append(str(self.folder / "extra_root"))
        config: dict[str, Any] = {
            # no root_dir: Salt would put it in front of cachedir too
            "cachedir": str(thin_cache(self.node.name)),
            "pki_dir": str(self.folder / "root" / "pki"),
            "sock_dir": str(self.folder / "root" / "sock"),
            "pidfile": str(self.folder / "root" / "master.pid"),
            "minion_data_cache": False,
            "job_cache": False,
            "file_roots": {self.options.saltenv: roots},
            "pillar_roots": {self.options.saltenv: [str(self.folder / "pillar")]},
            "roster_file": str(self.folder / "roster"),
            "log_file": str(self.folder / "root" / "master.log"),
            "ssh_log_file": str(self.folder / "root" / "ssh.log"),
        }
        if self.options.known_hosts is not None:
            config["known_hosts_file"] = str(self.options.known_hosts)
        return config

    def argv(self, *args: str) -> list[str]:
        return [self.options.salt_ssh, "-c", str(self.folder), "--out", "json", "--log-level", "error",
                "--no-color", self.options.target, *args]

    def apply(self, pillar: dict[str, Any]) -> tuple[ApplyOutcome, str]:
        (self.folder / "pillar").mkdir(mode=0o700, exist_ok=True)
        (self.folder / "root").mkdir(exist_ok=True)
        _private_write(self.folder / "pillar" / "top.sls", PILLAR_TOP)
        _private_write(self.folder / "pillar" / "hvrt_scenario.sls", pillar_file(pillar))
        _private_write(self.folder / "roster", json.dumps(self.roster(), indent=2) + "\n")
        _private_write(self.folder / "master", json.dumps(self.master_config(), indent=2) + "\n")
        if self.node.password is not None:
            self.ctx.redactor.add(self.node.password.reveal())
        argv = self.argv("state.apply", self.options.sls, f"saltenv={self.options.saltenv}")
        result = LocalTransport(f"salt-ssh->{self.node.name}").run(argv, timeout=self.timeout())
        data = parse_json(result.stdout)
        log = render_log(" ".join(argv), result.exit_code, data if data is not None else result.stdout,
                         result.stderr)
        if not isinstance(data, dict) or self.options.target not in data:
            raise ConfigurationFailed(
                f"salt-ssh gave no state result (exit {result.exit_code})", host=self.node.name,
                step="configure", detail=self.ctx.redactor.text(result.tail()),
            )
        ret = data[self.options.target]
        if isinstance(ret, dict) and "retcode" in ret and "stderr" in ret and not any("_|-" in k for k in ret):
            # salt-ssh's own failure (connection, shim, thin deployment)
            raise ConfigurationFailed(
                f"salt-ssh could not run on the node (retcode {ret.get('retcode')})", host=self.node.name,
                step="configure", detail=self.ctx.redactor.text(str(ret.get("stderr", ""))[-4000:]),
            )
        return summarize(self.node.name, self.mode, ret), log

    def cleanup(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)
        cache = thin_cache(self.node.name)
        for leftover in ("jobs", "minions", "proc"):  # salt-ssh stores returns whatever job_cache says
            shutil.rmtree(cache / leftover, ignore_errors=True)
