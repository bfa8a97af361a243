#!/usr/bin/env bash
# Set up a fresh machine and run the main job: the 2012r2-vhdx scenario on the
# sandbox lab (simulated Hyper-V nodes, real sshd, real Keystone, real Tempest).
# Idempotent: a second run reuses what the first one installed.
set -euo pipefail
SECONDS=0
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
export DEBIAN_FRONTEND=noninteractive PIP_DISABLE_PIP_VERSION_CHECK=1

need=()
[ -x /usr/sbin/sshd ] || need+=(openssh-server)
command -v git >/dev/null || need+=(git)
if ((${#need[@]})); then
  echo "== installing ${need[*]}"
  apt-get update -q >/dev/null
  apt-get install -y -q --no-install-recommends "${need[@]}" >/dev/null
fi

# A second run skips pip when this checkout is what Python imports, every installed
# hvrt plugin loads and the PowerShell checker (the compat extra: the simulated nodes
# refuse what their Windows version lacks) is there; pip would only resolve the same
# dependencies again.
if "$PYTHON" -I -c '
import pathlib, sys
from importlib import metadata
import hvrt
import tree_sitter, tree_sitter_powershell
ok = pathlib.Path(hvrt.__file__).resolve().parents[1] == pathlib.Path(sys.argv[1]).resolve()
for ep in metadata.entry_points(group="hvrt"):
    try:
        ep.load()
    except Exception:
        ok = False
sys.exit(0 if ok else 1)' "$PWD" 2>/dev/null; then
  echo "== hvrt already installed from $PWD"
else
  echo "== installing hvrt"
  "$PYTHON" -m pip install -q -e '.[compat]'
  # contrib plugins installed from another checkout would fail to load: re-point them here
  for dist in saltstack puppet; do
    if "$PYTHON" -m pip show -q "hvrt-$dist" >/dev/null 2>&1; then
      "$PYTHON" -m pip install -q --no-deps -e "contrib/$dist"
    fi
  done
fi

echo "== creating the Keystone and Tempest venvs (first time: a minute or two)"
"$PYTHON" -m hvrt.sandbox.venvs ensure >/dev/null

# The sandbox's only credential; any value works, it never leaves this machine.
export HVRT_SANDBOX_PASSWORD=${HVRT_SANDBOX_PASSWORD:-sandbox-$(id -un)-hvrt}

echo "== running: hvrt run -c examples/sandbox/hvrt.yaml --profile ${PROFILE:-2012r2-vhdx}"
set +e
"$PYTHON" -m hvrt.cli.main run -c examples/sandbox/hvrt.yaml --profile "${PROFILE:-2012r2-vhdx}"
code=$?
set -e
echo "== hvrt exited $code (0 = every test passed). Stop the sandbox with:"
echo "   HVRT_SANDBOX_PASSWORD=$HVRT_SANDBOX_PASSWORD hvrt sandbox down -c examples/sandbox/hvrt.yaml"
printf '== total wall time: %dm%02ds\n' $((SECONDS / 60)) $((SECONDS % 60))
exit $code
