#!/usr/bin/env bash
# Benchmark (issue 14 part 5): draining a backlog at the API's real pace with the adaptive
# per-tenant request rate. For each case the simulator gives the tenant a request budget (a token
# bucket of BUDGET requests refilled at BUDGET a minute, as `--throttle-per-minute` documents) and
# the forwarder runs as a daemon with `collection.max_requests_per_minute` = CEILING (the adaptive
# rate starts at min(CEILING, 1800) and is learned up to CEILING). Prints the time until every
# record of the backlog was written, the simulator's minimum for the requests it admitted
# ((admitted - BUDGET) / BUDGET minutes: the bucket starts full), their ratio, the share of
# throttled answers and the learned rate from /status.
# Usage: bench/adaptive_rate_bench.sh            (cases "6000:60000 2000:60000")
#        CASES="6000:60000" BLOBS=3600 bench/adaptive_rate_bench.sh
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${BUILD_DIR:-build}
CASES=${CASES:-"6000:60000 2000:60000"}
[ -x "$BUILD_DIR/app/o365fwd" ] && [ -x "$BUILD_DIR/sim/o365fwd-sim" ] || {
  echo "build first: scripts/build.sh (Release)" >&2; exit 2; }

echo "adaptive request rate benchmark: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-7s %-8s %6s %7s %8s %8s %6s %9s %8s\n' budget ceiling blobs drain_s minimum ratio thr_% requests learned
for case in $CASES; do
  budget=${case%%:*}; ceiling=${case##*:}
  # About two minutes of the budget beyond its initial bucket, over 5 content types, 1 record a blob.
  blobs=${BLOBS:-$(( (budget * 3) / 5 ))}
  work=$(mktemp -d /tmp/o365fwd-rate-bench.XXXXXX)
  sim=""; fwd=""
  cleanup() { [ -n "$fwd" ] && kill "$fwd" 2>/dev/null; [ -n "$sim" ] && kill "$sim" 2>/dev/null; wait 2>/dev/null; rm -rf "$work"; }
  trap cleanup EXIT
  "$BUILD_DIR/sim/o365fwd-sim" --listen 127.0.0.1:0 --port-file "$work/port" --seed 7 \
    --credentials-out "$work/credentials.json" --blobs "$blobs" --records-per-blob 1 --span 20h \
    --throttle-per-minute "$budget" --throttle-status 429 --log-level warn >"$work/sim.log" 2>&1 &
  sim=$!
  for _ in $(seq 600); do [ -s "$work/port" ] && [ -s "$work/credentials.json" ] && break; sleep 0.1; done
  port=$(cat "$work/port")
  bench/lib/forwarder_config.py "$work/credentials.json" -o "$work/connector.yaml" --name bench \
    --collection "poll_interval: 5s" --collection "initial_lookback: 24h" \
    --collection "max_concurrent_downloads: 16" --collection "max_requests_per_minute: $ceiling" \
    --collection "sweep_interval: 0s" --state-dir "$work/state" \
    --file-sink "$work/out/audit.ndjson" --max-size 64GiB --health 127.0.0.1:0 --log-level warn
  expected=$(( blobs * 5 ))
  start=$(date +%s.%N)
  "$BUILD_DIR/app/o365fwd" run -c "$work/connector.yaml" >"$work/run.out" 2>"$work/run.err" &
  fwd=$!
  until [ "$(cat "$work"/out/audit.ndjson* 2>/dev/null | wc -l)" -ge "$expected" ]; do
    kill -0 "$fwd" 2>/dev/null || { cat "$work/run.err" >&2; exit 1; }
    sleep 0.2
  done
  end=$(date +%s.%N)
  url=$(cat "$work/state/health.url")
  status=$(curl -s "$url/status")
  stats=$(curl -s "http://127.0.0.1:$port/_sim/stats")
  kill "$fwd"; wait "$fwd" 2>/dev/null || true; fwd=""
  python3 - "$budget" "$ceiling" "$blobs" "$start" "$end" "$stats" "$status" <<'PY'
import json, sys
budget, ceiling, blobs = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
drain = float(sys.argv[5]) - float(sys.argv[4])
stats, status = json.loads(sys.argv[6]), json.loads(sys.argv[7])
api = stats["requests_total"] - stats["tokens_issued"] - stats["token_errors"]
throttled = stats["throttled"]
admitted = api - throttled
minimum = max(0.0, admitted - budget) * 60.0 / budget
learned = [r["per_minute"] for r in status.get("request_rates", []) if r["tenant"] == "bench"]
print("%-7d %-8d %6d %7.1f %8.1f %8.3f %6.2f %9d %8s" % (
    budget, ceiling, blobs, drain, minimum, drain / minimum if minimum else float("nan"),
    100.0 * throttled / api if api else 0.0, api, learned[0] if learned else "n/a"))
PY
  cleanup; trap - EXIT; sim=""
done
