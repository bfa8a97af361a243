#!/usr/bin/env bash
# stack.sh of the hvrt sandbox's DevStack stand-in. This is NOT DevStack: it honours
# DevStack's interface (reads local.conf's [[local|localrc]] section, writes
# $LOGFILE, prints progress, exits non-zero on failure) so the deployer can be
# exercised without installing OpenStack. Its "services" step starts the sandbox
# cloud: a real Keystone (when HVRT_SANDBOX_KEYSTONE=True) and the simulated
# Compute/Network status API (hvrt/sandbox/cloudapi.py); its "accounts" step lists
# that API in Keystone's catalog (hvrt/sandbox/catalog.py).
#
# Sandbox-only local.conf variables:
#   HVRT_SANDBOX_FAIL_AT=<step>    fail at that step (check, repos, install, config,
#                                  services, accounts, images, post)
#   HVRT_SANDBOX_STEP_DELAY=<s>    pause of each step (default 0.1)
#   HVRT_SANDBOX_NODES=<d1,d2>     state folders of the simulated Hyper-V nodes
#   HVRT_SANDBOX_KEYSTONE=True     also start a real Keystone
#   HVRT_SANDBOX_CONTROLLER_DIR=<d> folder whose services.json holds the controller's
#                                  own service states (neutron-dhcp-agent: Stopped ...)
#
# Like DevStack it clones each enable_plugin repository into DEST and runs its
# devstack/plugin.sh in the "stack install" phase (pip_install only records). It
# installs a stand-in nova-manage as DEST/bin/nova-manage (see that script), which
# the deployer runs for "cell_v2 discover_hosts" once the computes are up.
set -o errexit -o nounset -o pipefail

TOP_DIR=$(cd "$(dirname "$0")" && pwd)
source "$TOP_DIR/functions"
source "$TOP_DIR/hvrt-sandbox.env"

if [[ ! -r "$TOP_DIR/local.conf" ]]; then
    echo "stack.sh: no local.conf in $TOP_DIR" >&2
    exit 1
fi
extract_localrc "$TOP_DIR/local.conf" > "$TOP_DIR/.localrc.auto"
source "$TOP_DIR/.localrc.auto"

DEST=${DEST:-/opt/stack}
LOGDIR=${LOGDIR:-$DEST/logs}
LOGFILE=${LOGFILE:-$LOGDIR/stack.sh.log}
HOST_IP=${HOST_IP:-127.0.0.1}
HVRT_SANDBOX_FAIL_AT=${HVRT_SANDBOX_FAIL_AT:-}
HVRT_SANDBOX_STEP_DELAY=${HVRT_SANDBOX_STEP_DELAY:-0.1}
HVRT_SANDBOX_NODES=${HVRT_SANDBOX_NODES:-}
HVRT_SANDBOX_KEYSTONE=${HVRT_SANDBOX_KEYSTONE:-False}
HVRT_SANDBOX_CONTROLLER_DIR=${HVRT_SANDBOX_CONTROLLER_DIR:-}
DATA_DIR=$DEST/data
mkdir -p "$DEST" "$LOGDIR" "$DATA_DIR"
: > "$LOGFILE"

say() {
    local line
    line="$(date '+%Y-%m-%d %H:%M:%S.%3N') | $*"
    printf '%s\n' "$line"
    printf '%s\n' "$line" >> "$LOGFILE"
}

step() {
    say "==> step $1: $2"
    sleep "$HVRT_SANDBOX_STEP_DELAY"
    if [[ "$HVRT_SANDBOX_FAIL_AT" == "$1" ]]; then
        say "ERROR: step $1 failed (HVRT_SANDBOX_FAIL_AT=$1)"
        say "stack.sh failed: full log in $LOGFILE"
        exit 1
    fi
}

step check "checking local.conf and the host"
say "HOST_IP=$HOST_IP DEST=$DEST LOGDIR=$LOGDIR"
say "enabled services: $ENABLED_SERVICES"
say "DevStack stand-in at $(git -C "$TOP_DIR" rev-parse --short HEAD) ($(cat "$TOP_DIR/hvrt-release"))"

step repos "recording project repositories"
python3 - "$TOP_DIR/.localrc.auto" "$DATA_DIR/repos.json" <<'PY' | while IFS= read -r line; do say "$line"; done
import json, re, shlex, sys
seen = {}
for raw in open(sys.argv[1]):
    m = re.match(r"^([A-Za-z0-9_]+_(?:REPO|BRANCH))=(.*)$", raw.rstrip("\n"))
    if m:
        value = shlex.split(m.group(2))
        seen[m.group(1)] = value[0] if value else ""
json.dump(seen, open(sys.argv[2], "w"), indent=2, sort_keys=True)
for name, value in sorted(seen.items()):
    print(f"repository override {name}={value}")
PY
while IFS='|' read -r plugin_name plugin_url plugin_branch; do
    [[ -z "$plugin_name" ]] && continue
    rm -rf "${DEST:?}/$plugin_name"
    if ! git clone -q --branch "$plugin_branch" "$plugin_url" "$DEST/$plugin_name" 2>> "$LOGFILE"; then
        say "ERROR: could not clone plugin $plugin_name from $plugin_url ($plugin_branch)"; exit 1
    fi
    say "plugin $plugin_name from $plugin_url ($plugin_branch)"
done <<< "$DEVSTACK_PLUGINS"

step install "installing packages (simulated)"
: > "$DATA_DIR/pip-installed"
for project in keystone nova neutron glance cinder placement tempest; do
    say "  installed $project (simulated)"
done
while IFS='|' read -r plugin_name _ _; do
    [[ -z "$plugin_name" ]] && continue
    if [[ ! -r "$DEST/$plugin_name/devstack/plugin.sh" ]]; then
        say "ERROR: plugin $plugin_name has no devstack/plugin.sh"; exit 1
    fi
    # shellcheck disable=SC1090
    source "$DEST/$plugin_name/devstack/plugin.sh" stack install | while IFS= read -r line; do say "  $line"; done
done <<< "$DEVSTACK_PLUGINS"
mkdir -p "$DEST/bin"
cp "$TOP_DIR/nova-manage" "$DEST/bin/nova-manage"
chmod 755 "$DEST/bin/nova-manage"
: > "$DATA_DIR/nova-manage.calls"
rm -f "$DATA_DIR/host-mappings"

step config "writing service configuration"
ETC=$DEST/etc
mkdir -p "$ETC"/{nova,neutron,keystone,glance,cinder} "$DEST/tempest/etc"
DB_PW=${DATABASE_PASSWORD:-}
MQ_PW=${RABBIT_PASSWORD:-}
SVC_PW=${SERVICE_PASSWORD:-}
for svc in nova neutron glance cinder; do
    cat > "$ETC/$svc/$svc.conf" <<CONF
[DEFAULT]
debug = True
transport_url = rabbit://stackrabbit:$MQ_PW@$HOST_IP:5672/

[database]
connection = mysql+pymysql://root:$DB_PW@$HOST_IP/$svc?charset=utf8

[keystone_authtoken]
auth_url = http://$HOST_IP/identity
username = $svc
password = $SVC_PW
CONF
done
printf '[DEFAULT]\nadmin_token = %s\n\n[database]\nconnection = sqlite:///%s\n' \
    "${SERVICE_TOKEN:-}" "$DATA_DIR/keystone.db" > "$ETC/keystone/keystone.conf"
cp "$TOP_DIR/local.conf" "$ETC/local.conf.used"
for log in n-api n-sch n-cond q-svc q-dhcp g-api c-api; do
    printf '%s %s started (simulated)\n' "$(date '+%F %T')" "$log" >> "$LOGDIR/$log.log"
done

step services "starting the sandbox cloud"
AUTH_URL=""
if [[ "$HVRT_SANDBOX_KEYSTONE" == "True" ]]; then
    # A real Keystone from hvrt's sandbox venv; its tempest.conf follows.
    PWFILE=$DATA_DIR/keystone-admin-password
    (umask 077; printf '%s' "${ADMIN_PASSWORD:-}" > "$PWFILE")
    KS_JSON=$("$HVRT_PYTHON" -m hvrt.sandbox.keystone up --state-dir "$DATA_DIR/keystone" \
        --address "$HOST_IP" --port "${KEYSTONE_PORT:-0}" --password-file "$PWFILE")
    AUTH_URL=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["auth_url"])' "$KS_JSON")
    "$HVRT_PYTHON" -c 'import sys; from hvrt.sandbox.keystone import write_tempest_conf as w; w(sys.argv[1], sys.argv[2], open(sys.argv[3]).read())' \
        "$DEST/tempest/etc/tempest.conf" "$AUTH_URL" "$PWFILE"
    say "Keystone answers at $AUTH_URL"
else
    printf '[auth]\nadmin_password = %s\n' "${ADMIN_PASSWORD:-}" > "$DEST/tempest/etc/tempest.conf"
fi
NODE_ARGS=()
IFS=',' read -r -a NODE_DIRS <<< "$HVRT_SANDBOX_NODES"
: > "$DATA_DIR/nodes.list"
for dir in "${NODE_DIRS[@]}"; do
    [[ -n "$dir" ]] && NODE_ARGS+=(--node "$dir") && printf '%s\n' "$dir" >> "$DATA_DIR/nodes.list"
done
[[ -n "$HVRT_SANDBOX_CONTROLLER_DIR" ]] && NODE_ARGS+=(--controller-dir "$HVRT_SANDBOX_CONTROLLER_DIR")
python3 "$HVRT_SRC/hvrt/sandbox/cloudapi.py" down --state-dir "$DATA_DIR/cloudapi"
setsid python3 "$HVRT_SRC/hvrt/sandbox/cloudapi.py" up --state-dir "$DATA_DIR/cloudapi" \
    --address "$HOST_IP" --controller-host "$(hostname)" "${NODE_ARGS[@]}" \
    < /dev/null > "$LOGDIR/cloudapi.log" 2>&1 &
for _ in $(seq 100); do
    [[ -s "$DATA_DIR/cloudapi/cloudapi.json" ]] && break
    sleep 0.05
done
if [[ ! -s "$DATA_DIR/cloudapi/cloudapi.json" ]]; then
    say "ERROR: the simulated cloud API did not start"; cat "$LOGDIR/cloudapi.log" >> "$LOGFILE"; exit 1
fi
say "simulated Compute/Network API: $(cat "$DATA_DIR/cloudapi/cloudapi.json")"

step accounts "creating accounts and endpoints"
if [[ -n "$AUTH_URL" ]]; then
    # DevStack registers nova and neutron in Keystone; so does the stand-in, for the status API.
    read -r COMPUTE_URL NETWORK_URL < <(python3 -c \
        'import json,sys; a=json.load(open(sys.argv[1])); print(a["compute_url"], a["network_url"])' \
        "$DATA_DIR/cloudapi/cloudapi.json")
    "$HVRT_PYTHON" -m hvrt.sandbox.catalog register --auth-url "$AUTH_URL" --password-file "$PWFILE" \
        --endpoint "compute=$COMPUTE_URL" --endpoint "network=$NETWORK_URL" > /dev/null
    say "catalog: compute $COMPUTE_URL, network $NETWORK_URL (region RegionOne)"
fi
step images "uploading images"
IFS=',' read -r -a IMAGES <<< "${IMAGE_URLS:-}"
for url in "${IMAGES[@]}"; do
    [[ -z "$url" ]] && continue
    path=${url#file://}
    if [[ ! -r "$path" ]]; then
        say "ERROR: image $url not readable"; exit 1
    fi
    say "  image $(basename "$path") ($(wc -c < "$path") bytes)"
done

step post "post-stack steps"
if [[ -x "$TOP_DIR/local.sh" ]]; then
    say "local.sh present; the stand-in does not run it (it needs a real OpenStack client)"
fi

python3 - "$DEST/.hvrt-deploy.json" "$DATA_DIR/cloudapi/cloudapi.json" "$AUTH_URL" "$DEST" "$LOGDIR" \
    "$HVRT_TEMPEST" <<'PY'
import json, sys
target, api_file, auth_url, dest, logdir, tempest = sys.argv[1:7]
api = json.load(open(api_file))
json.dump({
    "auth_url": auth_url or None,
    # with Keystone the health check finds the status API in the catalog
    "compute_url": None if auth_url else api["compute_url"],
    "network_url": None if auth_url else api["network_url"],
    "tempest_command": [tempest],
    "nova_manage": [f"{dest}/bin/nova-manage"],
    "tempest_conf": f"{dest}/tempest/etc/tempest.conf",
    "workdir": f"{dest}/tempest",
    "logdir": logdir,
    "config_dirs": [f"{dest}/etc/{s}" for s in ("nova", "neutron", "keystone", "glance", "cinder")],
    "sandbox": True,
}, open(target, "w"), indent=2)
PY
say "stack.sh completed"
