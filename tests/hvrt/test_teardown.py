"""The teardown policy (``hvrt run --destroy``) and the release overrides of a run, in
process with the test lab plugin: what teardown decides per stage and records in the
result, what ``run.json`` keeps for ``--resume``, and the exit 2 of a run that lacks an
installer or a DevStack branch before anything starts."""
from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

from hvrt import hookimpl
from hvrt.context import RunOptions, ScenarioContext
from hvrt.errors import ConfigError, UsageError
from hvrt.testing import run_cli

PLUGIN_DIR = Path(__file__).resolve().parent.parent / "data" / "plugins"
MSI_URL = "https://example.invalid/HyperVNovaCompute.msi"


def lab_yaml(settings: str = "{}", release: str = "") -> str:
    return f"""\
lab:
  controllers:
    ctl1: {{address: 127.0.0.1, transport: local}}
  nodes:
    hv1: {{address: 127.0.0.11, transport: local, labels: {{os: 2012r2}}, configurator: testlab}}
release:
  name: testrel
  password: ${{env:HVRT_TEST_PASSWORD}}
{release}plugins: []
settings:
  testlab: {settings}
profiles:
  alpha: {{os: 2012r2, hosts: [hv1]}}
"""


@pytest.fixture(autouse=True)
def _password(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HVRT_TEST_PASSWORD", "teardown-Secret-7")


@pytest.fixture
def testlab():
    spec = importlib.util.spec_from_file_location("hvrt_testlab", PLUGIN_DIR / "hvrt_testlab.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class Decisions:
    """A plugin asking at teardown what a configurator and a deployer would remove."""

    def __init__(self) -> None:
        self.seen: dict[str, dict[str, bool]] = {}
        self.release: list[tuple[str | None, str | None, str]] = []

    @hookimpl
    def hvrt_run_start(self, run, scenarios) -> None:  # type: ignore[no-untyped-def]
        inst = run.config.release.installer
        self.release.append((inst.url, inst.sha256, run.config.release.devstack_branch))

    @hookimpl
    def hvrt_teardown(self, ctx: ScenarioContext) -> None:
        self.seen[ctx.name] = {s: ctx.destroys(s) for s in ("configure", "deploy")}


def result_of(run_dir: Path, name: str = "alpha") -> dict:
    return json.loads((run_dir / name / "results.json").read_text())


@pytest.mark.parametrize(("destroy", "fail", "stages", "expected", "policy"), [
    (None, None, None, {"configure": True, "deploy": True}, "always"),
    ("never", None, None, {"configure": False, "deploy": False}, "never"),
    ("passing", None, None, {"configure": True, "deploy": True}, "passing"),
    ("passing", "test", None, {"configure": False, "deploy": False}, "passing"),
    ("always", "test", None, {"configure": True, "deploy": True}, "always"),
    # configure failed while deploy ran beside it (and was cancelled): both are removed
    ("always", "configure", None, {"configure": True, "deploy": True}, "always"),
    # part of a pipeline: the lab is meant to stay up unless asked
    (None, None, ("configure", "deploy"), {"configure": False, "deploy": False}, "never"),
    # an explicit policy tears down what an earlier run left (deploy not selected)
    ("always", None, ("provision", "configure"), {"configure": True, "deploy": True}, "always"),
])
def test_teardown_policy_per_stage(hvrt_run, hvrt_config, testlab, destroy, fail, stages, expected,
                                   policy) -> None:
    settings = f"{{fail: {{alpha: {fail}}}}}" if fail else "{}"
    decisions = Decisions()
    outcome = hvrt_run(hvrt_config(lab_yaml(settings)), profiles=["alpha"],
                       plugins=[("testlab", testlab), ("decisions", decisions)],
                       options=RunOptions(destroy=destroy, stages=stages))
    assert decisions.seen["alpha"] == expected
    teardown = result_of(outcome.run_dir)["facts"]["teardown"]
    assert teardown["policy"] == policy
    assert {s: v == "destroy" for s, v in teardown["stages"].items()} == expected
    if destroy == "passing" and fail:
        assert "ended error; the lab stays up" in teardown["stages"]["configure"]
    meta = json.loads((outcome.run_dir / "run.json").read_text())
    assert meta["destroy"] == destroy


def test_overrides_reach_the_plugins_and_resume_keeps_them(hvrt_run, hvrt_config, testlab, tmp_path) -> None:
    sha = "ab" * 32
    cfg = hvrt_config(lab_yaml())
    decisions = Decisions()
    options = RunOptions(installer=MSI_URL, sha256=sha.upper(), devstack_branch="stable/2024.1", destroy="never")
    outcome = hvrt_run(cfg, profiles=["alpha"], plugins=[("testlab", testlab), ("decisions", decisions)],
                       options=options)
    assert outcome.exit_code == 0
    assert decisions.release == [(MSI_URL, sha, "stable/2024.1")]
    meta = json.loads((outcome.run_dir / "run.json").read_text())
    assert meta["release_overrides"] == {"installer": MSI_URL, "sha256": sha.upper(),
                                         "devstack_branch": "stable/2024.1"}
    # the journal says alpha finished; make it look interrupted so --resume runs it again
    journal = outcome.run_dir / "journal.jsonl"
    journal.write_text("".join(line + "\n" for line in journal.read_text().splitlines()
                               if '"scenario_end"' not in line and '"run_end"' not in line))
    again = Decisions()
    resumed = hvrt_run(cfg, plugins=[("testlab", testlab), ("decisions", again)], resume_dir=outcome.run_dir,
                       options=RunOptions(resume=True))
    assert resumed.exit_code == 0 and resumed.run_dir == outcome.run_dir
    assert again.release == [(MSI_URL, sha, "stable/2024.1")]
    assert again.seen["alpha"] == {"configure": False, "deploy": False}  # --destroy never kept too
    with pytest.raises(UsageError, match="--resume applies the release overrides"):
        hvrt_run(cfg, resume_dir=outcome.run_dir, options=RunOptions(resume=True, devstack_branch="master"))


def test_a_local_installer_override_is_recorded_as_an_absolute_path(hvrt_run, hvrt_config, testlab,
                                                                    tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    outcome = hvrt_run(hvrt_config(lab_yaml()), profiles=["alpha"], plugins=[("testlab", testlab)],
                       options=RunOptions(installer="msi/HyperVNovaCompute.msi"))
    meta = json.loads((outcome.run_dir / "run.json").read_text())
    assert meta["release_overrides"]["installer"] == str(tmp_path / "msi" / "HyperVNovaCompute.msi")


@pytest.mark.parametrize(("options", "message"), [
    (RunOptions(installer="http://example.invalid/a.msi"), "--installer 'http://example.invalid/a.msi': an http://"
                                                          " installer needs --sha256"),
    (RunOptions(installer=MSI_URL, sha256="xyz"), "--sha256 'xyz': expected 64 hexadecimal digits"),
    (RunOptions(devstack_branch="bad..ref"), "--devstack-branch 'bad..ref':"),
    (RunOptions(sha256="ab" * 32), "--sha256 checks an installer: pass --installer too"),
    (RunOptions(destroy="sometimes"), "--destroy 'sometimes': choose always, passing, never"),
])
def test_bad_overrides_stop_before_a_run_folder_exists(hvrt_run, hvrt_config, testlab, tmp_path, options,
                                                       message) -> None:
    with pytest.raises(ConfigError) as info:
        hvrt_run(hvrt_config(lab_yaml()), profiles=["alpha"], plugins=[("testlab", testlab)], options=options)
    assert message in str(info.value)
    assert info.value.exit_code == 2
    assert not (tmp_path / "results").exists()


WINRM_LAB = """\
lab:
  controllers:
    ctl: {address: 127.0.0.2, transport: local}
  nodes:
    hv1: {address: 127.0.0.11, labels: {os: 2012r2}}
release:
  name: missing
  password: ${env:HVRT_TEST_PASSWORD}
profiles:
  a: {}
"""


def test_a_run_without_installer_or_branch_exits_2_before_anything_starts(tmp_path: Path) -> None:
    (tmp_path / "hvrt.yaml").write_text(WINRM_LAB)
    env = {"HVRT_TEST_PASSWORD": "pw"}
    proc = run_cli("run", "-c", "hvrt.yaml", "--results", "out", cwd=tmp_path, env=env)
    assert proc.returncode == 2, proc.stderr
    assert "release.installer: not set; pass --installer URL or set release.installer.url" in proc.stderr
    assert "release.devstack.branch: not set; pass --devstack-branch REF or set release.devstack.branch" \
        in proc.stderr
    assert not (tmp_path / "out").exists()
    # --stages test reuses a deployment: neither is needed, and the missing deployment is the error
    proc = run_cli("run", "-c", "hvrt.yaml", "--stages", "test", "--results", "out", cwd=tmp_path, env=env)
    assert "release.installer" not in proc.stderr and "release.devstack.branch" not in proc.stderr
    # only the deployer's part: the branch alone is missing
    proc = run_cli("run", "-c", "hvrt.yaml", "--stages", "deploy", "--dry-run", "--results", "out", cwd=tmp_path,
                   env=env)
    assert proc.returncode == 2 and "release.installer" not in proc.stderr
    assert "release.devstack.branch: not set" in proc.stderr
    proc = run_cli("run", "-c", "hvrt.yaml", "--dry-run", "--installer", MSI_URL, "--devstack-branch", "master",
                   "--results", "out", cwd=tmp_path, env=env)
    assert (proc.returncode, proc.stdout.strip()) == (0, "a"), proc.stderr
