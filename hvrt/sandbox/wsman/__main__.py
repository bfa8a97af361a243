"""``python -m hvrt.sandbox.wsman serve ...``: run one simulated Hyper-V node as a process.

The node's user password is read from the environment variable named by
``--password-env`` (default ``HVRT_NODE_PASSWORD``), never from the command line.
"""
from __future__ import annotations

import argparse
import os
import signal
import sys
import threading

from hvrt.sandbox.wsman.server import SimulatedNode


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m hvrt.sandbox.wsman")
    sub = parser.add_subparsers(dest="verb", required=True)
    serve = sub.add_parser("serve", help="run a simulated Hyper-V node until interrupted")
    serve.add_argument("--name", required=True)
    serve.add_argument("--address", default="127.0.0.11")
    serve.add_argument("--port", type=int, default=5986)
    serve.add_argument("--state-dir", required=True)
    serve.add_argument("--http", action="store_true", help="plain HTTP instead of HTTPS")
    serve.add_argument("--user", default="Administrator")
    serve.add_argument("--password-env", default="HVRT_NODE_PASSWORD")
    serve.add_argument("--auth", default="basic,ntlm")
    serve.add_argument("--os", default="2012r2", dest="os_release")
    args = parser.parse_args(argv)
    password = os.environ.get(args.password_env)
    if not password:
        print(f"error: set the node password in ${args.password_env}", file=sys.stderr)
        return 2
    node = SimulatedNode(
        args.name, args.address, args.port, args.state_dir, https=not args.http,
        users={args.user: password}, auth=tuple(a.strip() for a in args.auth.split(",") if a.strip()),
        os_release=args.os_release,
    )
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    with node:
        print(f"{node.name} listening on {node.endpoint}" + (f" (CA bundle {node.ca_bundle})" if node.https else ""),
              flush=True)
        stop.wait()
    return 0


if __name__ == "__main__":
    sys.exit(main())
