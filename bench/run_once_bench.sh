#!/usr/bin/env bash
# Benchmark: `o365fwd run --once` over a seeded o365fwd-sim data set (default 1,000,000 records:
# one tenant, 5 content types x 200 blobs x 1,000 records) into the file sink. Prints records/s,
# MiB/s, CPU seconds and peak RSS of the forwarder, and in the same run two baselines over the
# same blobs: download-only (list + GET every blob, 16 transfers in flight, nothing else) and
# parse-only (parseBlobInto, one thread), with the forwarder's ratio to each.
# Usage: bench/run_once_bench.sh [BLOBS_PER_STREAM] [RECORDS_PER_BLOB]   (Release build in build/)
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${BUILD_DIR:-build}
BLOBS=${1:-200}
RECORDS=${2:-1000}
[ -x "$BUILD_DIR/app/o365fwd" ] && [ -x "$BUILD_DIR/bench/fetch_parse_bench" ] || {
  echo "build first: scripts/build.sh (Release)" >&2; exit 2; }

work=$(mktemp -d /tmp/o365fwd-bench.XXXXXX)
trap 'kill "$sim" 2>/dev/null || true; rm -rf "$work"' EXIT
"$BUILD_DIR/sim/o365fwd-sim" --listen 127.0.0.1:0 --port-file "$work/port" --seed 42 \
  --credentials-out "$work/credentials.json" --blobs "$BLOBS" --records-per-blob "$RECORDS" --span 20h \
  >"$work/sim.log" 2>&1 &
sim=$!
for _ in $(seq 300); do [ -s "$work/port" ] && [ -s "$work/credentials.json" ] && break; sleep 0.1; done
port=$(cat "$work/port")
field() { sed -n "s/.*\"$1\":\"\([^\"]*\)\".*/\1/p" "$work/credentials.json" | head -n 1; }
tenant=$(field tenant_id); client=$(field client_id); secret=$(field client_secret)
printf '%s\n' "$secret" >"$work/secret"; chmod 600 "$work/secret"
cat >"$work/connector.yaml" <<YAML
tenants:
  - name: bench
    tenant_id: $tenant
    client_id: $client
    client_secret_file: $work/secret
    login_url: http://127.0.0.1:$port
    api_url: http://127.0.0.1:$port
collection:
  initial_lookback: 24h
  max_concurrent_downloads: 16
  max_requests_per_minute: 100000
state_dir: $work/state
sinks:
  - type: file
    path: $work/out/audit.ndjson
    max_size: 64GiB
health:
  listen: ""
log:
  level: warn
YAML

echo "o365fwd run --once benchmark: $(nproc) cores, $BLOBS blobs x $RECORDS records x 5 content types"
# Warm-up pass: the simulator caches generated bodies; every measured pass then sees the same server.
"$BUILD_DIR/bench/fetch_parse_bench" "http://127.0.0.1:$port" "$tenant" "$client" "$secret" >/dev/null

/usr/bin/time -f "%e %U %S %M" -o "$work/time" "$BUILD_DIR/app/o365fwd" run --once -c "$work/connector.yaml" \
  >"$work/run.out" 2>"$work/run.err" || { cat "$work/run.err" >&2; exit 1; }
read -r wall user sys rss_kb <"$work/time"
records=$(cat "$work"/out/audit.ndjson* | wc -l)
bytes=$(cat "$work"/out/audit.ndjson* | wc -c)
baseline=$("$BUILD_DIR/bench/fetch_parse_bench" "http://127.0.0.1:$port" "$tenant" "$client" "$secret")
echo "$baseline" | sed 's/^/baseline: /'

awk -v wall="$wall" -v user="$user" -v sys="$sys" -v rss="$rss_kb" -v rec="$records" -v bytes="$bytes" \
    -v base="$baseline" 'BEGIN {
  n = split(base, kv, /[ \n]/); for (i = 1; i <= n; i++) { split(kv[i], p, "="); b[p[1]] = p[2] }
  rps = rec / wall; mibs = bytes / 1048576 / wall
  printf "forwarder: records=%d seconds=%.2f records_per_s=%.0f mib_per_s=%.1f cpu_seconds=%.2f (user %.2f, sys %.2f) peak_rss_mib=%.1f\n", rec, wall, rps, mibs, user + sys, user, sys, rss / 1024
  printf "ratio: forwarder/download_only=%.2f forwarder/parse_only=%.2f\n", rps / b["download_only_records_per_s"], rps / b["parse_only_records_per_s"]
}'
