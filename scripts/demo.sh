#!/usr/bin/env bash
# Quick start: sets up and builds the project, starts the o365fwd-sim API simulator serving a demo
# tenant (all five content types), runs `o365fwd run --once` into a file sink, prints the
# forwarder's summary, and checks the output against the simulator's ledger.
# Everything lives in a temporary directory (kept; its path is printed). Usage: scripts/demo.sh
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh >/dev/null
BUILD_DIR=${BUILD_DIR:-build}

work=$(mktemp -d /tmp/o365fwd-demo.XXXXXX)
"$BUILD_DIR/sim/o365fwd-sim" --listen 127.0.0.1:0 --port-file "$work/port" \
  --credentials-out "$work/credentials.json" --ledger "$work/ledger.ndjson" \
  --blobs 40 --records-per-blob 100 --duplicate-fraction 0.02 >"$work/sim.log" 2>&1 &
sim=$!
trap 'kill "$sim" 2>/dev/null || true' EXIT
for _ in $(seq 100); do [ -s "$work/port" ] && [ -s "$work/credentials.json" ] && break; sleep 0.1; done
port=$(cat "$work/port")

umask 077
# The configuration names the secret and the directories relative to itself.
bench/lib/forwarder_config.py "$work/credentials.json" -o "$work/connector.yaml" \
  --secrets-dir "$work" --secret-path . --collection "initial_lookback: 24h" --state-dir state \
  --file-sink out/audit.ndjson --health ""

echo "o365fwd demo in $work (simulator on port $port)"
status=0
"$BUILD_DIR/app/o365fwd" run --once -c "$work/connector.yaml" 2>"$work/o365fwd.log" || status=$?

expected=$(grep -c '"fate":"deliver"' "$work/ledger.ndjson" || true)
written=$(cat "$work"/out/audit.ndjson* | wc -l)
echo "Ledger: $expected records to deliver; output: $written lines in $work/out/"
echo "Forwarder log: $work/o365fwd.log"
exit "$status"
