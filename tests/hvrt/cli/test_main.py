"""``hvrt --help`` explains every verb and the exit codes."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from hvrt.cli.main import COMMANDS, build_parser
from hvrt.errors import UsageError
from hvrt.testing import run_cli

MINIMAL = """\
lab:
  controllers:
    ctl1: {address: 127.0.0.1, transport: local}
  nodes:
    hv1: {address: 127.0.0.11, transport: local, labels: {os: 2012r2}}
release: {name: rel}
plugins: []
profiles:
  solo: {os: 2012r2}
"""


def test_help_lists_exit_codes_and_every_verb() -> None:
    out = subprocess.run([sys.executable, "-m", "hvrt.cli.main", "--help"], capture_output=True, text=True, check=True).stdout
    for code in ("0 ", "1 ", "2 ", "3 ", "130"):
        assert code in out
    for verb in COMMANDS:
        assert verb.replace("_", "-") in out or verb in out


@pytest.mark.parametrize("verb", ["run", "preflight", "plan", "list-tests", "profiles", "plugins", "config",
                                  "import-legacy", "report", "sandbox"])
def test_each_verb_has_its_own_help(verb: str) -> None:
    proc = subprocess.run([sys.executable, "-m", "hvrt.cli.main", verb, "--help"], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert "exit codes" in proc.stdout


def test_no_verb_prints_help_and_exits_2(capsys) -> None:
    from hvrt.cli.main import main

    assert main([]) == 2


def test_parser_builds() -> None:
    assert build_parser().prog == "hvrt"


# ------------------------------------------------------------------ conventions

def codes_of(help_text: str) -> list[str]:
    block = help_text.split("exit codes:\n", 1)[1].split("\n\n", 1)[0]
    return [line.split()[0] for line in block.splitlines() if line[2:3].isdigit()]


@pytest.mark.parametrize(("verb", "codes"), [
    ("run", ["0", "1", "2", "3", "130"]),
    ("preflight", ["0", "2", "3", "130"]),
    ("plan", ["0", "2", "130"]),
    ("list-tests", ["0", "2", "3", "130"]),
    ("profiles", ["0", "2", "130"]),
    ("config", ["0", "2", "130"]),
])
def test_each_verb_lists_the_exit_codes_it_really_has(verb: str, codes: list[str]) -> None:
    out = run_cli(verb, "--help").stdout
    assert codes_of(out) == codes
    if verb != "run":
        assert "--resume" not in out.split("exit codes:")[1], "only a run can be resumed"


def test_verbosity_is_accepted_before_and_after_the_verb() -> None:
    from hvrt.cli.main import verbosity

    parser = build_parser()
    assert verbosity(parser.parse_args(["run", "-v", "-v"])) == 2
    assert verbosity(parser.parse_args(["-v", "plan", "-vv"])) == 3
    assert verbosity(parser.parse_args(["-q", "preflight", "-q"])) == -2
    assert verbosity(parser.parse_args(["config", "validate", "-v"])) == 1
    assert verbosity(parser.parse_args(["report", "compare", "-q", "a", "b"])) == -1  # a plugin's verb


def test_config_comes_from_hvrt_config_then_the_search_path(tmp_path: Path) -> None:
    from hvrt.cli.main import find_config

    home = tmp_path / "xdg"
    user = home / "hvrt" / "hvrt.yaml"
    work = tmp_path / "work"
    work.mkdir()
    env = {"XDG_CONFIG_HOME": str(home)}
    with pytest.raises(UsageError, match=f"set HVRT_CONFIG, or create ./hvrt.yaml or {user}"):
        find_config(env, work)
    user.parent.mkdir(parents=True)
    user.write_text("x")
    assert find_config(env, work) == str(user)
    (work / "hvrt.yaml").write_text("x")
    assert find_config(env, work) == str(work / "hvrt.yaml")
    assert find_config({**env, "HVRT_CONFIG": "/elsewhere/lab.yaml"}, work) == "/elsewhere/lab.yaml"
    (tmp_path / "h" / ".config" / "hvrt").mkdir(parents=True)
    (tmp_path / "h" / ".config" / "hvrt" / "hvrt.yaml").write_text("x")
    assert find_config({"HOME": str(tmp_path / "h")}, work.parent) == str(tmp_path / "h" / ".config/hvrt/hvrt.yaml")


def test_the_cli_finds_the_config_through_the_environment(tmp_path: Path) -> None:
    config = tmp_path / "lab.yaml"
    config.write_text(MINIMAL)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    proc = run_cli("config", "validate", cwd=elsewhere, env={"HVRT_CONFIG": str(config)})
    assert proc.returncode == 0 and proc.stdout.startswith("ok: 1 profiles"), proc.stderr
    xdg = tmp_path / "xdg"
    (xdg / "hvrt").mkdir(parents=True)
    (xdg / "hvrt" / "hvrt.yaml").write_text(MINIMAL)
    proc = run_cli("plan", "--json", cwd=elsewhere, env={"XDG_CONFIG_HOME": str(xdg)})
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["config"] == str(xdg / "hvrt" / "hvrt.yaml")
    proc = run_cli("plan", "--json", cwd=elsewhere, env={"XDG_CONFIG_HOME": str(tmp_path / "none")})
    assert proc.returncode == 2 and "no configuration: pass -c FILE, set HVRT_CONFIG" in proc.stderr
    assert json.loads(proc.stdout)["error"]["exit_code"] == 2
    help_text = run_cli("run", "--help").stdout
    assert "$HVRT_CONFIG, else ./hvrt.yaml, else $XDG_CONFIG_HOME/hvrt/hvrt.yaml" in " ".join(help_text.split())


def test_a_config_error_with_json_is_an_error_object_on_stdout(tmp_path: Path) -> None:
    config = tmp_path / "hvrt.yaml"
    config.write_text(MINIMAL.replace("  solo: {os: 2012r2}", "  solo: {os: 2012r2, nodes_wanted: 2}"))
    proc = run_cli("plan", "-c", str(config), "--json", cwd=tmp_path)
    assert proc.returncode == 2
    data = json.loads(proc.stdout)
    assert data["schema"] == 1 and set(data["error"]) >= {"message", "exit_code", "file", "line", "column", "key"}
    error = data["error"]
    assert error["file"] == str(config) and error["line"] == 9 and error["column"] and error["exit_code"] == 2
    assert "nodes_wanted" in proc.stderr and proc.stderr.startswith("hvrt: error: ")


def test_a_usage_error_with_json_is_an_error_object_too() -> None:
    proc = run_cli("plan", "--json", "--no-such-option")
    assert proc.returncode == 2 and "unrecognized arguments: --no-such-option" in proc.stderr
    assert json.loads(proc.stdout)["error"]["exit_code"] == 2


def test_sandbox_help_names_its_real_default_config(tmp_path: Path) -> None:
    out = " ".join(run_cli("sandbox", "--help", cwd=tmp_path).stdout.split())
    default = Path(__file__).resolve().parents[3] / "examples" / "sandbox" / "hvrt.yaml"
    assert f"the sandbox config (default: {default}," in out and default.is_file()
    assert "HVRT_CONFIG " not in out.split("environment:")[1]
