#!/usr/bin/env bash
# Benchmark: start-up and listing of a fleet (issue 11 part 3). Starts o365fwd-sim with N tenants
# (5 content types each, a few small blobs), then the o365fwd daemon against it, and prints:
#   - seconds until /readyz answers 200 (every stream polled once, every sink up);
#   - the busiest second of token requests at start-up (how well start-up is spread);
#   - after RUN_S seconds of polling: the interval between two listings of the same stream
#     (median, p90, max; from the simulator's request log) and how many streams were listed at
#     least twice;
#   - the daemon's log bytes written after ready, scaled to one hour, and its CPU (% of one
#     core) in each 10 s of the RUN_S seconds after ready: the first deep sweep of every stream
#     runs in the first of them (sweep_interval; real work, shown apart), then the steady idle;
#   - the CPU seconds the daemon and the simulator spent until ready (utime + stime), and the
#     load average before the run: on this shared machine the wall time depends on the load,
#     the CPU seconds much less.
# Usage: bench/fleet_startup_bench.sh [TENANTS] [LATENCY_MS] [POLL_S] [RUN_S] [EXTRA_COLLECTION_YAML]
#   e.g. bench/fleet_startup_bench.sh 1000 0 60 0        (time to ready only)
#        bench/fleet_startup_bench.sh 1000 300 60 200    (poll intervals at 300 ms latency)
# O365FWD=path overrides the forwarder binary (to compare builds); KEEP=1 keeps the work
# directory (logs, request log). Release build in build/.
# SERVICE_HEALTH=1: every tenant has `service_health: true` against the simulator's Graph
# endpoints (3 issues a tenant, 2 of them open; issue 13): the Graph token and service-health
# requests are counted too (total, per tenant, busiest second), and after the run /status,
# `o365fwd status` and the page (headless Chromium screenshot, kept with KEEP=1) are captured.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${BUILD_DIR:-build}
TENANTS=${1:-1000}
LATENCY_MS=${2:-0}
POLL_S=${3:-60}
RUN_S=${4:-0}
EXTRA=${5:-}
SERVICE_HEALTH=${SERVICE_HEALTH:-0}
sim_health=()
[ "$SERVICE_HEALTH" = 1 ] && sim_health=(--service-health-issues 3 --graph-page-size 2)
O365FWD=${O365FWD:-$BUILD_DIR/app/o365fwd}
SIM=$BUILD_DIR/sim/o365fwd-sim
[ -x "$O365FWD" ] && [ -x "$SIM" ] || { echo "build first: scripts/build.sh (Release)" >&2; exit 2; }

work=$(mktemp -d /tmp/o365fwd-fleet-bench.XXXXXX)
sim=""
fwd=""
cleanup() {
  [ -n "$fwd" ] && kill "$fwd" 2>/dev/null && wait "$fwd" 2>/dev/null || true
  [ -n "$sim" ] && kill "$sim" 2>/dev/null || true
  if [ -n "${KEEP:-}" ]; then echo "kept: $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT
# Enough simulator threads that its own pool is not the bottleneck at LATENCY_MS.
"$SIM" --listen 127.0.0.1:0 --port-file "$work/port" --seed 7 --tenants "$TENANTS" \
  --credentials-out "$work/credentials.json" --request-log "$work/requests.ndjson" \
  --blobs 2 --records-per-blob 5 --span 1h --latency-ms "$LATENCY_MS" --threads 512 \
  --throttle-per-minute 100000 --log-level warn "${sim_health[@]}" >"$work/sim.log" 2>&1 &
sim=$!
for _ in $(seq 600); do [ -s "$work/port" ] && [ -s "$work/credentials.json" ] && break; sleep 0.1; done
port=$(cat "$work/port")
extra=()
IFS=';' read -ra extra_lines <<<"$EXTRA"
for line in "${extra_lines[@]}"; do [ -n "$line" ] && extra+=(--collection "$line"); done
[ "$SERVICE_HEALTH" = 1 ] &&
  extra+=(--tenant "service_health: true" --tenant "graph_url: http://127.0.0.1:$port")
bench/lib/forwarder_config.py "$work/credentials.json" -o "$work/connector.yaml" \
  --url "http://127.0.0.1:$port" --collection "poll_interval: ${POLL_S}s" \
  --collection "initial_lookback: 2h" "${extra[@]}" --state-dir "$work/state" \
  --file-sink "$work/out/audit.ndjson" --health 127.0.0.1:0 --log-level info

echo "fleet start-up benchmark: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)," \
  "$TENANTS tenants x 5 content types, latency ${LATENCY_MS} ms, poll ${POLL_S}s," \
  "service_health=$SERVICE_HEALTH, forwarder $O365FWD, nice $(nice)"
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }  # utime + stime, in clock ticks
sim_ticks0=$(cpu_ticks "$sim")
start=$(date +%s.%N)
"$O365FWD" run -c "$work/connector.yaml" >"$work/fwd.out" 2>"$work/fwd.log" &
fwd=$!
url=""
for _ in $(seq 600); do
  url=$(sed -n 's/.*Health endpoint listening. url=\([^ ]*\).*/\1/p' "$work/fwd.log" | head -n 1)
  [ -n "$url" ] && break
  sleep 0.1
done
[ -n "$url" ] || { echo "no health endpoint" >&2; tail "$work/fwd.log" >&2; exit 1; }
ready=""
for _ in $(seq 6000); do
  code=$(curl -s -o /dev/null -w '%{http_code}' "$url/readyz" || true)
  if [ "$code" = 200 ]; then
    ready=$(date +%s.%N); ready_ms=$(date +%s%3N)
    fwd_ticks=$(cpu_ticks "$fwd"); sim_ticks=$(($(cpu_ticks "$sim") - sim_ticks0))
    break
  fi
  kill -0 "$fwd" 2>/dev/null || { echo "forwarder exited" >&2; tail "$work/fwd.log" >&2; exit 1; }
  sleep 0.1
done
[ -n "$ready" ] || { echo "not ready within 600 s" >&2; exit 1; }
log_at_ready=$(stat -c %s "$work/fwd.log")
echo "time_to_ready_s=$(awk -v a="$start" -v b="$ready" 'BEGIN{printf "%.1f", b-a}')"
echo "log_bytes_until_ready=$log_at_ready"
echo "cpu_s_until_ready daemon=$(awk -v t="$fwd_ticks" -v hz="$(getconf CLK_TCK)" 'BEGIN{printf "%.2f", t/hz}')" \
  "simulator=$(awk -v t="$sim_ticks" -v hz="$(getconf CLK_TCK)" 'BEGIN{printf "%.2f", t/hz}')"
threads=$(ls "/proc/$fwd/task" | wc -l)
rss=$(awk '/VmRSS/{print $2}' "/proc/$fwd/status")
echo "threads=$threads rss_mib=$(awk -v k="$rss" 'BEGIN{printf "%.1f", k/1024}')"

if [ "$RUN_S" -gt 0 ]; then
  series=""
  for ((t = 0; t + 10 <= RUN_S; t += 10)); do
    c0=$(cpu_ticks "$fwd"); sleep 10; c1=$(cpu_ticks "$fwd")
    series+="$(awk -v t=$((c1 - c0)) -v hz="$(getconf CLK_TCK)" 'BEGIN{printf "%.1f", t/hz*10}') "
  done
  sleep $((RUN_S % 10))
  echo "cpu_pct_per_10s_after_ready: $series"
  log_now=$(stat -c %s "$work/fwd.log")
  echo "log_bytes_per_hour_after_ready=$(awk -v a="$log_at_ready" -v b="$log_now" -v s="$RUN_S" \
    'BEGIN{printf "%.0f", (b-a)*3600/s}')"
fi
if [ "$SERVICE_HEALTH" = 1 ]; then
  # What the operator sees with a fleet and a few open incidents.
  curl -s "$url/status" >"$work/status.json"
  python3 - "$work/status.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
h = d.get("service_health", [])
ok = sum(1 for t in h if t["state"] == "ok")
polled = sum(1 for t in h if t.get("last_poll"))
open_total = sum(t["open_issues_total"] for t in h)
streams_with = sum(1 for s in d["streams"] if s.get("service_issues"))
print("status: service_health_entries=%d ok=%d polled=%d open_issues_total=%d "
      "streams_with_service_issues=%d status_json_bytes=%d"
      % (len(h), ok, polled, open_total, streams_with, len(open(sys.argv[1]).read())))
PY
  "$O365FWD" status -c "$work/connector.yaml" >"$work/status.txt" 2>&1 || true
  echo "o365fwd status: $(wc -l <"$work/status.txt") lines; service health lines:"
  grep -i -m 8 "service\|incident\|advisory" "$work/status.txt" | sed 's/^/  | /' || true
  curl -s -o "$work/page.html" -w 'page: http_code=%{http_code} bytes=%{size_download} seconds=%{time_total}\n' "$url/"
  if command -v chromium >/dev/null; then
    profile=$(mktemp -d)
    HOME=$profile timeout 60 chromium --headless --no-sandbox --disable-gpu --disable-dev-shm-usage \
      --no-first-run --user-data-dir="$profile" --window-size=1280,1400 \
      --screenshot="$work/page.png" "$url/" >/dev/null 2>&1 || true
    rm -rf "$profile"
    [ -s "$work/page.png" ] && echo "page screenshot: $work/page.png$([ -z "${KEEP:-}" ] && echo ' (KEEP=1 keeps it)')"
  fi
fi
kill "$fwd" 2>/dev/null; wait "$fwd" 2>/dev/null || true
fwd=""

python3 - "$work/requests.ndjson" "$TENANTS" "$ready_ms" <<'PY'
import json, sys, collections
path, tenants, ready_ms = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
tokens = collections.Counter()
listings = collections.defaultdict(list)
graph = collections.Counter()            # service-health requests by second
graph_kinds = collections.Counter()
for line in open(path):
    try:
        r = json.loads(line)
    except ValueError:
        continue
    sec = r.get("at_ms", 0) // 1000
    if r["path"].endswith("/oauth2/token") or r["path"].endswith("/oauth2/v2.0/token"):
        tokens[sec] += 1
    elif "/admin/serviceAnnouncement/" in r["path"]:
        graph[sec] += 1
        graph_kinds[r["path"].rsplit("/", 1)[1] + ("?page" if "skiptoken" in r["query"] else "")] += 1
    elif r["path"].endswith("/subscriptions/content") and "nextPage=" not in r["query"]:
        q = dict(p.split("=", 1) for p in r["query"].split("&") if "=" in p)
        listings[(r["path"].split("/")[3], q.get("contentType"))].append(r["at_ms"])
print("token_requests=%d busiest_second_token_requests=%d seconds_with_token_requests=%d"
      % (sum(tokens.values()), max(tokens.values() or [0]), len(tokens)))
if graph:
    print("graph_requests=%d (%s) per_tenant=%.2f busiest_second=%d seconds_with_graph_requests=%d "
          "first_to_last_s=%d"
          % (sum(graph.values()), " ".join("%s=%d" % kv for kv in sorted(graph_kinds.items())),
             sum(graph.values()) / tenants, max(graph.values()), len(graph),
             max(graph) - min(graph)))
gaps = []
for key, times in listings.items():
    # One cycle may list several windows: a new cycle starts more than 2 s after the last listing.
    times.sort()
    starts = [t for i, t in enumerate(times) if i == 0 or t - times[i - 1] > 2000]
    # Steady state only: intervals that begin after the daemon was ready.
    gaps += [(b - a) / 1000 for a, b in zip(starts, starts[1:]) if a >= ready_ms]
gaps.sort()
def pct(p):
    return gaps[min(len(gaps) - 1, int(p * len(gaps)))] if gaps else float("nan")
twice = sum(1 for times in listings.values()
            if len([t for i, t in enumerate(sorted(times)) if i == 0 or t - sorted(times)[i-1] > 2000]) >= 2)
print("streams_listed=%d streams_listed_twice_or_more=%d" % (len(listings), twice))
print("poll_interval_after_ready_s intervals=%d median=%.1f p90=%.1f max=%.1f"
      % (len(gaps), pct(0.5), pct(0.9), gaps[-1] if gaps else float("nan")))
PY
