"""One ``puppet apply`` on one node, through the node's transport.

Call order of :class:`PuppetApply`: :meth:`prepare_workdir` (on the node) ->
:meth:`stage` (a local folder with the modules, the manifest, ``hiera.yaml`` and the
data, which may name paths inside the work folder) -> :meth:`upload` -> :meth:`run` ->
:meth:`fetch` (the report and the log) -> :meth:`cleanup` (always). Puppet keeps
all its state (vardir, confdir, ...) inside the work folder on the node, so it runs
the same as root or as an ordinary user and leaves the node's own Puppet alone.
"""
from __future__ import annotations

import shutil
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path, PurePath

from hvrt.errors import ConfigError, ConfigurationFailed, TransportError
from hvrt.transport.base import CommandResult, Transport
from hvrt_puppet import data as hiera
from hvrt_puppet import shipped_modules
from hvrt_puppet.options import WINDOWS_WORKDIR, PuppetOptions

STATE_DIRS = ("vardir", "confdir", "codedir", "logdir", "rundir", "publicdir")


@dataclass
class Fetched:
    report: str | None
    log: str | None
    resources: str | None


class PuppetApply:
    def __init__(self, transport: Transport, options: PuppetOptions, node: str) -> None:
        self.transport = transport
        self.options = options
        self.node = node
        self.workdir: PurePath | None = None
        self._created_workdir = False
        self._local: Path | None = None

    # ------------------------------------------------------------------ staging

    def stage(self, data: dict[str, object], installer: Path | None = None) -> Path:
        """Build the folder that goes to the node; returns it (removed by cleanup)."""
        local = Path(tempfile.mkdtemp(prefix="hvrt-puppet-"))
        self._local = local
        for index, source in enumerate(self.options.module_path or (shipped_modules(),)):
            if not source.is_dir():
                raise ConfigError(f"module path {source} is not a folder", key="puppet.module_path")
            shutil.copytree(source, local / f"modules{index}", ignore=shutil.ignore_patterns(".git", "__pycache__", "*.py"))
        manifest = local / "site.pp"
        if self.options.manifest is not None:
            if not self.options.manifest.is_file():
                raise ConfigError(f"manifest {self.options.manifest} does not exist", key="puppet.manifest")
            shutil.copyfile(self.options.manifest, manifest)
        else:
            manifest.write_text(f"include {self.options.class_name}\n", encoding="utf-8")
        (local / "hiera.yaml").write_text(hiera.HIERA_CONFIG, encoding="utf-8")
        (local / "data").mkdir()
        (local / "data" / "hvrt.json").write_text(hiera.dumps(data), encoding="utf-8")
        if installer is not None:
            (local / "installer").mkdir()
            shutil.copyfile(installer, local / "installer" / installer.name)
        return local

    def remote(self, *parts: str) -> str:
        assert self.workdir is not None, "upload() first"
        return str(self.options.remote_path(str(self.workdir), *parts))

    def prepare_workdir(self, timeout: float) -> PurePath:
        """The work folder on the node: configured, or a fresh private one (``mktemp -d``)."""
        if self.options.workdir:
            self.workdir = self.options.remote_path(self.options.workdir)
        elif self.options.windows:
            self.workdir = self.options.remote_path(WINDOWS_WORKDIR)
        else:
            argv = ["mktemp", "-d", "/tmp/hvrt-puppet.XXXXXXXX"]
            made = self.transport.run(argv, timeout=timeout)
            if made.exit_code == -1:  # killed by a signal before it answered: harmless to ask again
                made = self.transport.run(argv, timeout=timeout)
            if not made.ok or not made.stdout.strip():
                raise ConfigurationFailed(f"cannot create a work folder (mktemp exited {made.exit_code}): {made.tail()}",
                                          host=self.node, step="configure")
            self.workdir = self.options.remote_path(made.stdout.strip())
            self._created_workdir = True
        return self.workdir

    def upload(self, timeout: float) -> None:
        assert self._local is not None and self.workdir is not None, "prepare_workdir() and stage() first"
        self.transport.put(self._local, self.remote("in"), timeout=timeout)

    # ---------------------------------------------------------------------- run

    def argv(self) -> list[str]:
        opts = self.options
        modules = [self.remote("in", f"modules{i}") for i in range(max(1, len(opts.module_path)))]
        argv = [opts.puppet, "apply", "--detailed-exitcodes", "--color=false"]
        for name in STATE_DIRS:
            argv += [f"--{name}", self.remote("state", name)]
        argv += [
            "--modulepath", opts.path_separator.join([*modules, *opts.remote_module_path]),
            "--hiera_config", self.remote("in", "hiera.yaml"),
            "--write-catalog-summary",
            "--logdest", "console", "--logdest", self.remote("puppet-log.json"),
            *opts.extra_args,
            self.remote("in", "site.pp"),
        ]
        if opts.unshare and not opts.windows:
            argv = ["unshare", "-fp", "--mount-proc", *argv]
        return argv

    def run(self, timeout: float) -> CommandResult:
        return self.transport.run(self.argv(), timeout=timeout)

    def installer_remote(self, installer: Path | None) -> str | None:
        return self.remote("in", "installer", installer.name) if installer is not None else None

    # --------------------------------------------------------------- afterwards

    def fetch(self, timeout: float) -> Fetched:
        assert self._local is not None
        out = self._local / "fetched"
        out.mkdir(exist_ok=True)
        found: dict[str, str | None] = {}
        for key, parts in (
            ("report", ("state", "vardir", "state", "last_run_report.yaml")),
            ("log", ("puppet-log.json",)),
            ("resources", ("state", "vardir", "state", "resources.txt")),
        ):
            target = out / parts[-1]
            try:
                self.transport.get(self.remote(*parts), target, timeout=timeout)
                found[key] = target.read_text(encoding="utf-8", errors="replace")
            except (TransportError, OSError):
                found[key] = None  # a catalog that failed to compile leaves no report
        return Fetched(found["report"], found["log"], found["resources"])

    def cleanup(self, timeout: float) -> list[str]:
        """Remove the local staging folder and the node's work folder (the data holds
        scenario values). Returns problems instead of raising: cleanup never hides
        the outcome of the run."""
        problems: list[str] = []
        if self._local is not None:
            shutil.rmtree(self._local, ignore_errors=True)
            self._local = None
        if self.workdir is None or self.options.keep_workdir:
            return problems
        command: Sequence[str]
        if self.options.windows:
            command = ["cmd.exe", "/d", "/c", "rmdir", "/s", "/q", str(self.workdir)]
        elif self._created_workdir:
            command = ["rm", "-rf", "--", str(self.workdir)]
        else:  # a configured folder may hold other things: remove only what we put there
            command = ["rm", "-rf", "--", self.remote("in"), self.remote("state"), self.remote("puppet-log.json")]
        try:
            result = self.transport.run(command, timeout=timeout)
            if not result.ok:
                problems.append(f"removing {self.workdir} exited {result.exit_code}: {result.tail(3)}")
        except TransportError as exc:
            problems.append(f"removing {self.workdir} failed: {exc}")
        return problems

