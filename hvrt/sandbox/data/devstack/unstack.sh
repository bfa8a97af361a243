#!/usr/bin/env bash
# unstack.sh of the hvrt sandbox's DevStack stand-in (NOT DevStack): stops the
# sandbox cloud that stack.sh started. Safe to run when nothing runs.
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

echo "unstack: stopping the sandbox cloud under $DEST"
python3 "$HVRT_SRC/hvrt/sandbox/cloudapi.py" down --state-dir "$DATA_DIR/cloudapi"
if [[ -d "$DATA_DIR/keystone" ]]; then
    "$HVRT_PYTHON" -m hvrt.sandbox.keystone down --state-dir "$DATA_DIR/keystone" || true
fi
rm -f "$DEST/.hvrt-deploy.json"
echo "unstack: done"
