#!/usr/bin/env bash
# unstack.sh of the hvrt sandbox's DevStack stand-in (NOT DevStack): stops the
# sandbox cloud that stack.sh started, as DevStack's unstack.sh stops the services
# of a stacked controller: the simulated Compute/Network API and the real Keystone
# (its gunicorn process group; its database stays, as DevStack keeps MySQL's).
# Safe to run when nothing runs; exits non-zero when a service could not be stopped.
set -o errexit -o nounset -o pipefail

TOP_DIR=$(cd "$(dirname "$0")" && pwd)
source "$TOP_DIR/functions"
source "$TOP_DIR/hvrt-sandbox.env"
if [[ -r "$TOP_DIR/local.conf" ]]; then
    extract_localrc "$TOP_DIR/local.conf" > "$TOP_DIR/.localrc.auto"
    source "$TOP_DIR/.localrc.auto"
fi
DEST=${DEST:-/opt/stack}
DATA_DIR=$DEST/data
status=0

echo "unstack: stopping the sandbox cloud under $DEST"
if ! python3 "$HVRT_SRC/hvrt/sandbox/cloudapi.py" down --state-dir "$DATA_DIR/cloudapi"; then
    echo "unstack: the simulated Compute/Network API did not stop" >&2
    status=1
fi
if [[ -d "$DATA_DIR/keystone" ]]; then
    if "$HVRT_PYTHON" -m hvrt.sandbox.keystone down --state-dir "$DATA_DIR/keystone"; then
        echo "unstack: Keystone stopped"
    else
        echo "unstack: Keystone did not stop" >&2
        status=1
    fi
fi
rm -f "$DEST/.hvrt-deploy.json"
echo "unstack: done"
exit "$status"
