#!/usr/bin/env bash
# Record the subunit v2 streams in tests/data/subunit-stestr/ by running this suite
# with stestr (pip install stestr). Streams are real runner output, never hand-made:
#   run-basic.subunit    one run, two workers
#   run-retried.subunit  the same run followed by a re-run of its failures (retries)
#   run-broken.subunit   HVRT_SUITE_BREAK=1: one test regresses, one appears, one
#                        vanishes; also retried
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out="$here/../subunit-stestr"
mkdir -p "$out"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

record() {  # record NAME BREAK
  local name=$1 brk=$2 dir="$work/$1"
  mkdir -p "$dir/state"
  cp -r "$here/.stestr.conf" "$here/hvrt_suite" "$dir/"
  cd "$dir"
  export HVRT_SUITE_STATE="$dir/state" HVRT_SUITE_BREAK="$brk" PYTHONDONTWRITEBYTECODE=1
  stestr init >/dev/null
  stestr run --concurrency 2 >/dev/null 2>&1 || true
  stestr last --subunit > "$out/run-basic-$name.subunit"
  cp "$out/run-basic-$name.subunit" "$out/run-$name.subunit"
  stestr run --failing >/dev/null 2>&1 || true
  stestr last --subunit >> "$out/run-$name.subunit"
  cd "$here"
}

record retried 0
record broken 1
mv "$out/run-basic-retried.subunit" "$out/run-basic.subunit"
rm -f "$out/run-basic-broken.subunit"
ls -l "$out"
