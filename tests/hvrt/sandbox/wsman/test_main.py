"""``python -m hvrt.sandbox.wsman serve`` runs a node as its own process."""
from __future__ import annotations

import os
import re
import subprocess
import sys

import winrm


def test_serve_as_a_process(tmp_path, node_password):
    env = {**os.environ, "HVRT_NODE_PASSWORD": node_password}
    proc = subprocess.Popen(
        [sys.executable, "-m", "hvrt.sandbox.wsman", "serve", "--name", "hv-proc", "--address", "127.0.0.14",
         "--port", "0", "--state-dir", str(tmp_path / "hv-proc")],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
    )
    try:
        line = proc.stdout.readline()
        match = re.search(r"listening on (\S+) \(CA bundle (\S+)\)", line)
        assert match, line + proc.stderr.read()
        session = winrm.Session(match.group(1), auth=("Administrator", node_password), transport="ntlm",
                                ca_trust_path=match.group(2))
        assert session.run_cmd("hostname").std_out == b"hv-proc\r\n"
        assert (tmp_path / "hv-proc" / "services.json").exists()
    finally:
        proc.terminate()
        assert proc.wait(timeout=10) == 0


def test_serve_refuses_without_password(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "HVRT_NODE_PASSWORD"}
    done = subprocess.run([sys.executable, "-m", "hvrt.sandbox.wsman", "serve", "--name", "x", "--state-dir",
                           str(tmp_path)], capture_output=True, text=True, env=env, timeout=30)
    assert done.returncode == 2 and "HVRT_NODE_PASSWORD" in done.stderr
