#!/usr/bin/env bash
# Create the Keystone and Tempest venvs of the test lab (idempotent: a venv already
# built from the current requirement set is kept). Needs only the PyPI registry.
set -euo pipefail
cd "$(dirname "$0")/../.."
python3 -m hvrt.sandbox.venvs ensure
python3 -m hvrt.sandbox.venvs status
