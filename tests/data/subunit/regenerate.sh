#!/usr/bin/env bash
# Regenerate the golden subunit v2 streams of this folder from real runs:
# real Tempest against a real Keystone on loopback, and real stestr on the sample
# package in suite/. Needs the venvs of hvrt.sandbox.venvs
# (python3 -m hvrt.sandbox.venvs ensure). Takes about two minutes.
#
#   tests/data/subunit/regenerate.sh [ADDRESS]     (default 127.0.0.31)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../../.." && pwd)
address=${1:-127.0.0.31}
case "$address" in 127.*) ;; *) echo "loopback addresses only" >&2; exit 2 ;; esac

venvs=$(cd "$repo" && python3 -c 'from hvrt.sandbox import venvs; print(venvs.cache_dir() / "venvs")')
tbin="$venvs/tempest/bin"
work=$(mktemp -d)
cleanup() {
  (cd "$repo" && python3 -m hvrt.sandbox.keystone down --state-dir "$work/keystone" >/dev/null) || true
  rm -rf "$work"
}
trap cleanup EXIT
export XDG_CACHE_HOME="$work/.cache"   # Tempest's plugin loader caches here, not under ~

# A throwaway admin password: never printed, and checked absent from every stream.
python3 -c 'import secrets; print(secrets.token_urlsafe(18))' > "$work/password"
chmod 600 "$work/password"

cd "$repo"
auth_url=$(python3 -m hvrt.sandbox.keystone up --state-dir "$work/keystone" --address "$address" \
  --port 0 --password-file "$work/password" | python3 -c 'import json,sys; print(json.load(sys.stdin)["auth_url"])')
python3 - "$work" "$auth_url" <<'EOF'
import sys
from pathlib import Path
from hvrt.sandbox.keystone import tempest_init, write_tempest_conf
work, auth_url = Path(sys.argv[1]), sys.argv[2]
password = (work / "password").read_text().strip()
write_tempest_conf(work / "conf" / "tempest.conf", auth_url, password)
tempest_init(work / "ws", work / "conf")
EOF

cd "$work/ws"
# The full list, sorted (Tempest lists in no stable order).
"$tbin/tempest" run --list-tests --config-file etc/tempest.conf 2>/dev/null \
  | grep -E '^[A-Za-z_][A-Za-z0-9_.]*\.' | sort > "$here/tempest-list.txt"

# 1. Every identity API test, concurrency 2: all pass but two skips.
grep '^tempest\.api\.identity\.' "$here/tempest-list.txt" > "$work/identity.txt"
"$tbin/tempest" run --subunit --concurrency 2 --config-file etc/tempest.conf \
  --load-list "$work/identity.txt" > "$here/tempest-identity.subunit"

# 2. A deliberately wrong tempest.conf: it claims Keystone enforces security
#    compliance (password history, lockout), which this Keystone does not: 3 failures.
sed 's/^\[identity-feature-enabled\]$/[identity-feature-enabled]\nsecurity_compliance = true/' \
  etc/tempest.conf > etc/tempest-broken.conf
grep -E '^tempest\.api\.identity\.(v3\.test_users\.IdentityV3UsersTest\.|admin\.v3\.test_users\.UsersV3TestJSON\.test_password_history)' \
  "$here/tempest-list.txt" > "$work/compliance.txt"
"$tbin/tempest" run --subunit --concurrency 2 --config-file etc/tempest-broken.conf \
  --load-list "$work/compliance.txt" > "$here/tempest-identity-broken.subunit" || true

# 3. stestr on the sample package: one test of every outcome, then a re-run of the
#    failed ones appended (the flaky test and the flaky class fixture pass on it).
cp -r "$here/suite" "$work/suite"
cd "$work/suite"
"$tbin/stestr" init >/dev/null
export HVRT_SAMPLE_STATE="$work/sample-state"
"$tbin/stestr" run --subunit --concurrency 2 > "$here/stestr-sample.subunit" || true
"$tbin/stestr" run --subunit --concurrency 1 \
  'hvrt_sample\.checks\.(Broken|Flaky)\.|hvrt_sample\.fixtures\.FlakyFixture\.' > "$work/rerun.subunit" || true
cat "$here/stestr-sample.subunit" "$work/rerun.subunit" > "$here/stestr-sample-retry.subunit"

password=$(cat "$work/password")
for stream in "$here"/*.subunit; do
  if grep -aqF -- "$password" "$stream"; then
    echo "the admin password leaked into $stream" >&2
    exit 1
  fi
  echo "$(basename "$stream"): $("$tbin/subunit-stats" --no-passthrough < "$stream" | head -4 | tr -s ' ' | paste -sd ';')"
done
