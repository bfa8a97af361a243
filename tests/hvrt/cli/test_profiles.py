"""``hvrt profiles`` through the console script: the table and the JSON."""
from __future__ import annotations

import json
import subprocess
from pathlib import Path

from hvrt.testing import run_cli

EXAMPLE = Path(__file__).resolve().parents[3] / "examples" / "hvrt.yaml"
ENV = {"HVRT_NODE_PASSWORD": "node-pw", "HVRT_ADMIN_PASSWORD": "admin-pw"}


def hvrt(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return run_cli(*args, cwd=cwd, env=ENV, timeout=120)


def test_table_has_one_row_per_profile(tmp_path: Path) -> None:
    proc = hvrt("profiles", "-c", str(EXAMPLE), cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0].split() == ["profile", "extends", "os", "image", "network", "live", "migration", "suite", "default"]
    rows = {line.split()[0]: line.split() for line in lines[2:]}
    assert len(rows) == 14
    assert rows["[base]"][-1] == "-" and rows["[live-migration]"][1] == "base"
    assert rows["2012r2-vhd-fixed-nocow"] == ["2012r2-vhd-fixed-nocow", "live-migration", "2012r2", "vhd/fixed",
                                              "nocow", "vlan", "500:2000", "on", "physnet1", "yes", "images", "yes"]
    assert rows["2016-vhdx-fixed-cow"][-1] == "no"


def test_json(tmp_path: Path) -> None:
    proc = hvrt("profiles", "-c", str(EXAMPLE), "--json", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert data["schema"] == 1
    profiles = {p["name"]: p for p in data["profiles"]}
    assert profiles["base"]["abstract"] is True and profiles["2012-vhdx"]["abstract"] is False
    assert profiles["2012-vhdx"]["utils_api"] == "v1" and profiles["2012-vhdx"]["os"] == "2012"
    assert profiles["2012r2-ovs-vxlan"]["hosts"] == ["hv-2012r2-a", "hv-2012r2-b"]


def test_bad_config_exits_2(tmp_path: Path) -> None:
    (tmp_path / "hvrt.yaml").write_text("profiles: [\n")
    proc = hvrt("profiles", cwd=tmp_path)
    assert proc.returncode == 2 and proc.stderr.startswith("hvrt: error: hvrt.yaml:2:1: YAML syntax error")
