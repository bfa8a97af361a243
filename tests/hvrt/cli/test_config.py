"""``hvrt config validate`` through the real console script: the malformed-config corpus
of tests/data/bad-configs (each must exit 2 with a located message and no traceback)
and the happy path."""
from __future__ import annotations

import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from hvrt.testing import run_cli

DATA = Path(__file__).resolve().parents[2] / "data"
BAD = DATA / "bad-configs"
EXAMPLES = Path(__file__).resolve().parents[3] / "examples"


def expected_messages() -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for line in (BAD / "expected.txt").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            name, fragment = line.split(" ", 1)
            out.setdefault(name, []).append(f"{name}:{fragment}")
    return out


EXPECTED = expected_messages()
def corpus_cases() -> list[str]:
    return sorted(EXPECTED)


def run_hvrt(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return run_cli(*args, cwd=cwd, env=env, timeout=120)


@pytest.fixture(scope="module")
def corpus_results() -> dict[str, subprocess.CompletedProcess[str]]:
    """Every bad config validated once, four at a time (each is its own hvrt process)."""
    names = sorted(p.name for p in BAD.glob("*.yaml"))
    with ThreadPoolExecutor(max_workers=4) as pool:
        procs = pool.map(lambda n: run_hvrt("config", "validate", "-c", n, cwd=BAD,
                                            env={"HVRT_NODE_PASSWORD": "corpus-pw"}), names)
        return dict(zip(names, procs, strict=True))


def test_the_corpus_is_large_and_every_file_has_an_expectation() -> None:
    files = {p.name for p in BAD.glob("*.yaml")}
    assert len(files) >= 30
    assert files == set(EXPECTED), files ^ set(EXPECTED)


@pytest.mark.parametrize("name", corpus_cases())
def test_bad_config_exits_2_with_located_message(name: str, corpus_results) -> None:
    proc = corpus_results[name]
    assert proc.returncode == 2, (proc.stdout, proc.stderr)
    assert "Traceback" not in proc.stderr
    assert proc.stderr.startswith(f"hvrt: error: {name}:"), proc.stderr
    for fragment in EXPECTED[name]:
        assert fragment in proc.stderr, proc.stderr
    assert proc.stdout == ""


def test_several_errors_are_reported_in_one_pass_in_file_order(corpus_results) -> None:
    lines = corpus_results["57-several-errors.yaml"].stderr.removeprefix("hvrt: error: ").splitlines()
    assert [line.split(":")[1] for line in lines] == ["10", "11", "12"]


def test_secret_value_never_appears_in_error_output(tmp_path: Path) -> None:
    cfg = tmp_path / "hvrt.yaml"
    cfg.write_text((BAD / "16-unknown-node-in-hosts.yaml").read_text().replace(
        "transport: local}", "transport: local, password: '${env:HVRT_CTL_PW}'}"))
    proc = run_hvrt("config", "validate", "-c", str(cfg), cwd=tmp_path, env={"HVRT_CTL_PW": "s3cr3t-value"})
    assert proc.returncode == 2
    assert "s3cr3t-value" not in proc.stderr + proc.stdout


def test_validate_example_ok(tmp_path: Path) -> None:
    env = {"HVRT_NODE_PASSWORD": "pw", "HVRT_ADMIN_PASSWORD": "admin-pw"}
    proc = run_hvrt("config", "validate", "-c", str(EXAMPLES / "hvrt.yaml"), cwd=tmp_path, env=env)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "ok: 14 profiles, 12 scenarios"
    assert proc.stderr == ""


RELEASE_ARGS = {"legacy/hvrt.yaml": ("--installer", "https://example.invalid/HyperVNovaCompute.msi",
                                      "--devstack-branch", "stable/pike")}
"""The legacy tool took the installer and branch from its command line; so does the import."""


@pytest.mark.parametrize(("example", "summary"), [("sandbox/hvrt.yaml", "ok: 9 profiles, 8 scenarios"),
                                                   ("legacy/hvrt.yaml", "ok: 17 profiles, 15 scenarios")])
def test_validate_the_other_examples_ok(tmp_path: Path, example: str, summary: str) -> None:
    env = {"HVRT_NODE_PASSWORD": "pw", "HVRT_ADMIN_PASSWORD": "admin-pw", "HVRT_SANDBOX_PASSWORD": "sb-pw"}
    proc = run_hvrt("config", "validate", "-c", str(EXAMPLES / example), *RELEASE_ARGS.get(example, ()),
                    cwd=tmp_path, env=env)
    assert (proc.returncode, proc.stdout.strip(), proc.stderr) == (0, summary, "")


def test_validate_names_the_release_values_a_run_needs(tmp_path: Path) -> None:
    """The imported legacy config names no installer and no branch: validate says so, key and
    option, instead of a run failing on a node or deploying master."""
    env = {"HVRT_NODE_PASSWORD": "pw", "HVRT_ADMIN_PASSWORD": "admin-pw"}
    proc = run_hvrt("config", "validate", "-c", str(EXAMPLES / "legacy/hvrt.yaml"), cwd=tmp_path, env=env)
    assert proc.returncode == 2 and proc.stdout == ""
    lines = proc.stderr.removeprefix("hvrt: error: ").splitlines()
    assert [line.split(": ", 1)[1] for line in lines] == [
        "release.installer: not set; pass --installer URL or set release.installer.url",
        "release.devstack.branch: not set; pass --devstack-branch REF or set release.devstack.branch",
    ]
    proc = run_hvrt("config", "validate", "-c", str(EXAMPLES / "legacy/hvrt.yaml"), "--devstack-branch", "pike",
                    cwd=tmp_path, env=env)
    assert proc.returncode == 2 and "release.devstack.branch" not in proc.stderr
    assert "release.installer: not set" in proc.stderr


@pytest.mark.parametrize(("args", "fragment"), [
    (("--installer", "http://example.invalid/a.msi"), "--installer 'http://example.invalid/a.msi': an http:// "
                                                      "installer needs --sha256"),
    (("--installer", "ftp://example.invalid/a.msi"), "--installer 'ftp://example.invalid/a.msi':"),
    (("--installer=-rf",), "--installer '-rf': must not start with '-'"),
    (("--installer", "https://example.invalid/a.msi", "--sha256", "abc"), "--sha256 'abc': expected 64 hexadecimal"),
    (("--devstack-branch", "stable..pike"), "--devstack-branch 'stable..pike':"),
])
def test_bad_overrides_exit_2_naming_the_option(tmp_path: Path, args: tuple[str, ...], fragment: str) -> None:
    env = {"HVRT_NODE_PASSWORD": "pw", "HVRT_ADMIN_PASSWORD": "admin-pw"}
    proc = run_hvrt("config", "validate", "-c", str(EXAMPLES / "hvrt.yaml"), *args, cwd=tmp_path, env=env)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert fragment in proc.stderr, proc.stderr


def test_an_oversized_file_is_refused_without_reading_it_all(tmp_path: Path) -> None:
    big = tmp_path / "big.yaml"
    with big.open("w") as fh:
        fh.write("lab: {}\n")
        for _ in range(5 * 1024):
            fh.write("# " + "x" * 1021 + "\n")
    proc = run_hvrt("config", "validate", "-c", "big.yaml", cwd=tmp_path)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert proc.stderr.strip() == "hvrt: error: big.yaml: the file is larger than 4 MiB; a configuration is a few kilobytes"


def test_a_secret_in_settings_never_appears_in_errors(tmp_path: Path) -> None:
    cfg = tmp_path / "hvrt.yaml"
    cfg.write_text((BAD / "82-settings-block-typo.yaml").read_text().replace(
        "{run_timeout: 5}", "{token: '${env:HVRT_SETTINGS_TOKEN}'}"))
    proc = run_hvrt("config", "validate", "-c", str(cfg), cwd=tmp_path, env={"HVRT_SETTINGS_TOKEN": "tok-v4lue-9"})
    assert proc.returncode == 2 and "unknown settings block" in proc.stderr
    assert "tok-v4lue-9" not in proc.stderr + proc.stdout


def test_inline_password_loads_with_a_warning(tmp_path: Path) -> None:
    cfg = tmp_path / "hvrt.yaml"
    cfg.write_text("""\
lab:
  controllers:
    ctl: {address: 127.0.0.2, transport: local}
  nodes:
    hv1:
      address: 127.0.0.11
      password: plain-text-pw
      labels: {os: 2012r2}
plugins: []
profiles:
  a: {}
""")
    proc = run_hvrt("config", "validate", "-c", "hvrt.yaml", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "ok: 1 profiles, 1 scenarios"
    assert "hvrt: warning: hvrt.yaml:7:17: lab.nodes.hv1.password: password written in plain text" in proc.stderr
    assert "plain-text-pw" not in proc.stderr


def test_missing_file_and_missing_action(tmp_path: Path) -> None:
    proc = run_hvrt("config", "validate", "-c", "nope.yaml", cwd=tmp_path)
    assert (proc.returncode, proc.stderr.strip()) == (2, "hvrt: error: nope.yaml: file not found")
    proc = run_hvrt("config", cwd=tmp_path)
    assert proc.returncode == 2 and "choose an action" in proc.stderr
