#!/usr/bin/env python3
"""Benchmark hvrt's WinRM transport against plain pywinrm, both against a simulated node.

Prints ratios measured in this run (NTLM over HTTPS on loopback):

* calls per second through ``WinRMTransport.invoke`` / the same module function run
  with pywinrm ``Session.run_ps`` (a new shell and PowerShell per call) - target >= 3x;
* WS-Man requests per call in steady state, counted by the node - target <= 2;
* upload and download MB/s through ``put``/``get`` / a naive loop sending one
  command-line-sized base64 chunk per ``run_ps`` call - target >= 10x.

Usage: python3 bench/winrm.py [--calls 200] [--megabytes 8]
"""
# ruff: noqa: E402
from __future__ import annotations

import sys
from pathlib import Path

# this file is named like the pywinrm package: keep its folder off the import path
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]

import argparse
import base64
import json
import os
import secrets
import tempfile
import time

import winrm
from hvrt_winrm.options import WinRMOptions
from hvrt_winrm.transport import WinRMTransport, resource_text

from hvrt.config.model import Secret
from hvrt.sandbox.wsman import SimulatedNode

NAIVE_CHUNK = 1500  # raw bytes: base64 in the script, UTF-16 + base64 again, under cmd.exe's 8191 chars


def one_shot(function: str, params: dict) -> str:
    request = base64.b64encode(json.dumps({"id": 1, "fn": function, "params": params}).encode()).decode()
    lines = [x for x in resource_text("OneShot.ps1").splitlines() if not x.startswith("#")]
    return "\n".join(lines).replace("HVRT_REQUEST_BASE64", request)


def answer(std_out: bytes) -> dict:
    line = next(x for x in std_out.decode().splitlines() if x.startswith("#HVRT# "))
    return json.loads(base64.b64decode(line[7:]))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=200)
    parser.add_argument("--megabytes", type=float, default=8.0)
    args = parser.parse_args()
    password = "Bench-" + secrets.token_urlsafe(10)
    with tempfile.TemporaryDirectory(prefix="hvrt-bench-") as tmp, \
            SimulatedNode("hv-bench", "127.0.0.31", 0, Path(tmp) / "node", users={"Administrator": password}) as node:
        transport = WinRMTransport("hv-bench", node.address, user="Administrator", password=Secret(password, "bench"),
                                   options=WinRMOptions(port=node.port, ca_bundle=node.ca_bundle))
        session = winrm.Session(node.endpoint, auth=("Administrator", password), transport="ntlm",
                                ca_trust_path=node.ca_bundle)
        transport.invoke("Get-HvrtBootId")  # opens the shell, uploads the module once

        # ---- calls per second
        before = node.stats["wsman"]
        started = time.perf_counter()
        for _ in range(args.calls):
            transport.invoke("Get-HvrtBootId")
        hvrt_rate = args.calls / (time.perf_counter() - started)
        per_call = (node.stats["wsman"] - before) / args.calls
        base_calls = max(20, args.calls // 5)
        script = one_shot("Get-HvrtBootId", {})
        before = node.stats["wsman"]
        started = time.perf_counter()
        for _ in range(base_calls):
            result = session.run_ps(script)
            assert result.status_code == 0 and answer(result.std_out)["ok"], result.std_err
        base_rate = base_calls / (time.perf_counter() - started)
        base_per_call = (node.stats["wsman"] - before) / base_calls

        # ---- transfer
        size = int(args.megabytes * 1024 * 1024)
        src = Path(tmp) / "payload.bin"
        src.write_bytes(os.urandom(size))
        started = time.perf_counter()
        transport.put(src, "C:\\bench\\payload.bin")
        up_rate = size / (time.perf_counter() - started) / 1e6
        started = time.perf_counter()
        transport.get("C:\\bench\\payload.bin", Path(tmp) / "back.bin")
        down_rate = size / (time.perf_counter() - started) / 1e6
        assert (Path(tmp) / "back.bin").read_bytes() == src.read_bytes()

        naive = src.read_bytes()[: 256 * 1024]
        target = "C:\\bench\\naive.bin"
        session.run_ps(one_shot("Open-HvrtUpload", {"path": target}))
        started = time.perf_counter()
        for off in range(0, len(naive), NAIVE_CHUNK):
            chunk = base64.b64encode(naive[off:off + NAIVE_CHUNK]).decode()
            script = one_shot("Write-HvrtChunk", {"path": target, "offset": off, "data": chunk})
            assert len(base64.b64encode(script.encode("utf-16-le"))) < 8191
            session.run_ps(script)
        naive_up = len(naive) / (time.perf_counter() - started) / 1e6
        session.run_ps(one_shot("Close-HvrtUpload", {"path": target,
                                                      "sha256": __import__("hashlib").sha256(naive).hexdigest()}))
        started = time.perf_counter()
        got = b""
        for off in range(0, len(naive), NAIVE_CHUNK):
            result = session.run_ps(one_shot("Read-HvrtChunk", {"path": target, "offset": off, "length": NAIVE_CHUNK}))
            got += base64.b64decode(answer(result.std_out)["value"]["data"])
        naive_down = len(naive) / (time.perf_counter() - started) / 1e6
        assert got == naive
        transport.close()

    rows = [
        ("calls/s", f"{hvrt_rate:.0f}", f"{base_rate:.0f}", hvrt_rate / base_rate, 3.0),
        ("upload MB/s", f"{up_rate:.2f}", f"{naive_up:.3f}", up_rate / naive_up, 10.0),
        ("download MB/s", f"{down_rate:.2f}", f"{naive_down:.3f}", down_rate / naive_down, 10.0),
    ]
    print(f"{'measure':<15}{'hvrt':>10}{'pywinrm':>10}{'ratio':>9}  target")
    ok = True
    for name, ours, theirs, ratio, target in rows:
        ok &= ratio >= target
        print(f"{name:<15}{ours:>10}{theirs:>10}{ratio:>8.1f}x  >= {target:.0f}x {'ok' if ratio >= target else 'MISSED'}")
    print(f"WS-Man requests per call: hvrt {per_call:.2f} (target <= 2), run_ps {base_per_call:.2f}")
    ok &= per_call <= 2.0
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
