"""``hvrt leases``: held and free hosts with their holders, as a table and as JSON; the
coordination URL it asks and where that came from; its exit codes."""
from __future__ import annotations

import json
import os
import socket
from pathlib import Path

import pytest

from hvrt.cli.main import main
from hvrt.leases.service import LeaseService

LAB = """\
lab:
  {coordination}
  controllers:
    ctl1: {{address: 127.0.0.1, transport: local}}
  nodes:
    hv1: {{address: 127.0.0.11, transport: local, labels: {{os: 2012r2}}}}
    hv2: {{address: 127.0.0.12, transport: local, labels: {{os: 2012r2}}}}
plugins: []
profiles:
  solo: {{os: 2012r2}}
"""


@pytest.fixture(autouse=True)
def _own_state(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    monkeypatch.delenv("HVRT_COORDINATION", raising=False)


def _config(tmp_path: Path, coordination: str = "") -> str:
    path = tmp_path / "hvrt.yaml"
    path.write_text(LAB.format(coordination=f"coordination: {coordination}" if coordination else ""))
    return str(path)


def _leases(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["leases", *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_json_names_the_holder_of_each_held_host(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    url = f"file://{tmp_path}/leases"
    config = _config(tmp_path, url)
    with LeaseService(url) as service:
        held = service.hold(["hv1", "ctl1"], run_id="20250101-120000", scenario="alpha")
        code, out, _ = _leases(capsys, "-c", config, "--json")
        assert code == 0
        data = json.loads(out)
        assert data["schema"] == 1 and data["config"] == config
        assert data["coordination"] == {"url": url, "source": "lab.coordination"}
        hosts = {h["host"]: h for h in data["hosts"]}
        assert [h["host"] for h in data["hosts"]] == ["ctl1", "hv1", "hv2"]
        assert hosts["hv2"] == {"host": "hv2", "role": "node", "held": False, "holder": None}
        assert hosts["hv1"]["held"] and hosts["ctl1"]["role"] == "controller"
        holder = hosts["hv1"]["holder"]
        assert holder == {"runner": socket.gethostname(), "pid": os.getpid(), "run_id": "20250101-120000",
                          "scenario": "alpha", "since": holder["since"]}
        assert hosts["ctl1"]["holder"]["since"] <= holder["since"] <= held.holder.since
        service.release(held)
    code, out, _ = _leases(capsys, "-c", config, "--json")
    assert not any(h["held"] for h in json.loads(out)["hosts"])


def test_the_table_and_the_default_folder(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = _config(tmp_path)
    default = f"file://{tmp_path}/state/hvrt/leases"
    with LeaseService(default, runner="runner7") as service:
        service.hold(["hv2"], run_id="run-9", scenario="beta")
        code, out, _ = _leases(capsys, "-c", config)
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == f"coordination: {default} (default)"
    assert lines[1].split() == ["host", "role", "state", "runner", "pid", "run", "scenario", "since"]
    rows = {line.split()[0]: line.split() for line in lines[3:]}
    assert rows["hv1"] == ["hv1", "node", "free"]
    assert rows["hv2"][:7] == ["hv2", "node", "held", "runner7", str(os.getpid()), "run-9", "beta"]


def test_hvrt_coordination_wins_over_the_config(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    config = _config(tmp_path, f"file://{tmp_path}/from-config")
    monkeypatch.setenv("HVRT_COORDINATION", f"file://{tmp_path}/from-env")
    code, out, _ = _leases(capsys, "-c", config, "--json")
    assert code == 0
    assert json.loads(out)["coordination"] == {"url": f"file://{tmp_path}/from-env", "source": "$HVRT_COORDINATION"}
    assert (tmp_path / "from-env").is_dir() and not (tmp_path / "from-config").exists()


def test_an_unreachable_service_exits_3_and_a_bad_url_exits_2(tmp_path: Path,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    code, out, err = _leases(capsys, "-c", _config(tmp_path, f"redis://127.0.0.1:{port}"), "--json")
    assert code == 3
    error = json.loads(out)["error"]
    assert error["exit_code"] == 3
    assert error["message"].startswith(f"coordination service redis://127.0.0.1:{port}: cannot connect")
    code, out, err = _leases(capsys, "-c", _config(tmp_path, "zk://zk.example:2181"))
    assert code == 2
    assert f"{tmp_path / 'hvrt.yaml'}:2:17: lab.coordination: scheme zk:// is not a coordination driver" in err


def test_help_gives_the_exit_codes_and_the_environment(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as done:
        main(["leases", "--help"])
    assert done.value.code == 0
    text = capsys.readouterr().out
    block = text.split("exit codes:\n", 1)[1].split("\n\n", 1)[0]
    assert [line.split()[0] for line in block.splitlines()] == ["0", "2", "3", "130"]
    assert "HVRT_COORDINATION" in text and "XDG_STATE_HOME" in text
