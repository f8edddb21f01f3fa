#!/usr/bin/env bash
# Benchmark: memory bounded for every download. Runs `o365fwd run --once` against o365fwd-sim in
# two scenarios and prints the forwarder's peak RSS against max_inflight_bytes + 150 MiB, the
# dead letters and the delivered records against the simulator's ledger:
#   bombs: 4 concurrent gzip bombs (BOMB_MB MiB of zeros each, default 10240 = 10 GiB; about
#          10 MB each on the wire) among ordinary blobs, max_concurrent_downloads 4;
#   large: 16 concurrent large blobs (one per stream: 4 tenants x 4 content types, LARGE_MB MiB
#          each, default 256), max_concurrent_downloads 16.
# Usage: bench/memory_bound_bench.sh [BOMB_MB] [LARGE_MB] [INFLIGHT_MB]   (Release build in build/)
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${BUILD_DIR:-build}
BOMB_MB=${1:-10240}
LARGE_MB=${2:-256}
INFLIGHT_MB=${3:-512}
[ -x "$BUILD_DIR/app/o365fwd" ] && [ -x "$BUILD_DIR/sim/o365fwd-sim" ] || {
  echo "build first: scripts/build.sh (Release)" >&2; exit 2; }
work=$(mktemp -d /tmp/o365fwd-membench.XXXXXX)
sim=""
trap '[ -n "$sim" ] && kill "$sim" 2>/dev/null; [ -n "${KEEP:-}" ] && echo "kept $work" || rm -rf "$work"' EXIT

# run_case NAME DOWNLOADS MAX_BLOB_SIZE SIM_ARGS...
run_case() {
  local name=$1 downloads=$2 max_blob=$3; shift 3
  local dir="$work/$name"; mkdir -p "$dir"
  "$BUILD_DIR/sim/o365fwd-sim" --listen 127.0.0.1:0 --port-file "$dir/port" --seed 7 \
    --credentials-out "$dir/credentials.json" --ledger "$dir/ledger.ndjson" "$@" \
    >"$dir/sim.log" 2>&1 &
  sim=$!
  for _ in $(seq 600); do [ -s "$dir/port" ] && [ -s "$dir/credentials.json" ] && break; sleep 0.1; done
  bench/lib/forwarder_config.py "$dir/credentials.json" -o "$dir/connector.yaml" \
    --collection "initial_lookback: 24h" --collection "max_concurrent_downloads: $downloads" \
    --collection "max_requests_per_minute: 100000" --collection "max_blob_size: $max_blob" \
    --collection "max_inflight_bytes: ${INFLIGHT_MB}MiB" --state-dir "$dir/state" \
    --file-sink "$dir/out/audit.ndjson" --max-size 64GiB --health "" --log-level info
  local rc=0
  # WRAP: a profiler in front of the forwarder, e.g. WRAP="heaptrack -o /tmp/ht" (its RSS then
  # includes the profiler's own overhead).
  /usr/bin/time -f "%e %M" -o "$dir/time" ${WRAP:-} "$BUILD_DIR/app/o365fwd" run --once -c "$dir/connector.yaml" \
    >"$dir/run.out" 2>"$dir/run.err" &
  local runner=$!
  # The split of the largest RSS sample: anonymous memory (what the budget bounds, plus the fixed
  # costs) and file-backed pages (the binary, its libraries and state.db read through mmap).
  local top_kb=0 top_anon=0 top_file=0
  while kill -0 "$runner" 2>/dev/null; do
    local pid; pid=$(pgrep -P "$runner" -x o365fwd || true)
    if [ -n "$pid" ] && [ -r "/proc/$pid/status" ]; then
      read -r r a f < <(awk '/^VmRSS/{r=$2} /^RssAnon/{a=$2} /^RssFile/{f=$2} END{print r+0, a+0, f+0}' \
        "/proc/$pid/status" 2>/dev/null || echo "0 0 0")
      if [ "$r" -gt "$top_kb" ]; then top_kb=$r; top_anon=$a; top_file=$f; fi
    fi
    sleep 0.2
  done
  wait "$runner" || rc=$?
  kill "$sim" 2>/dev/null || true; wait "$sim" 2>/dev/null || true; sim=""
  local wall rss_kb
  read -r wall rss_kb < <(tail -n 1 "$dir/time")
  local expected delivered dead
  expected=$(grep -c '"fate":"deliver"' "$dir/ledger.ndjson" || true)
  delivered=$(cat "$dir"/out/audit.ndjson* 2>/dev/null | wc -l)
  dead=0; [ -f "$dir/state/dead-letter/index.ndjson" ] && dead=$(wc -l <"$dir/state/dead-letter/index.ndjson")
  local reasons
  reasons=$(sed -n 's/.*"reason":"\([^"]*\)".*/\1/p' "$dir/state/dead-letter/index.ndjson" 2>/dev/null |
            sort | uniq -c | tr -s ' ' | tr '\n' ';' || true)
  local budget_peak
  budget_peak=$(sed -n 's/.*In-flight memory: peak \([^ ]* [A-Za-z]*\) of.*preempted: \([0-9]*\).*/\1, downloads preempted \2/p' \
    "$dir/run.err" | tail -n 1)
  echo "$name: sampled peak rss_mib=$((top_kb / 1024)) (anonymous $((top_anon / 1024)), file-backed $((top_file / 1024))); in-flight budget peak ${budget_peak:-?}"
  awk -v n="$name" -v wall="$wall" -v rss="$rss_kb" -v lim="$INFLIGHT_MB" -v want="$expected" \
      -v got="$delivered" -v dead="$dead" -v rc="$rc" -v why="$reasons" 'BEGIN {
    bound = lim + 150
    printf "%s: exit=%d seconds=%.1f peak_rss_mib=%.1f bound_mib=%d (max_inflight_bytes %d + 150) %s\n",
      n, rc, wall, rss / 1024, bound, lim, (rss / 1024 <= bound ? "WITHIN" : "OVER")
    printf "%s: records delivered=%d of %d deliverable; dead letters=%d (%s)\n", n, got, want, dead, why
  }'
}

CASES=${CASES:-bombs large}  # e.g. CASES=large to run one scenario
echo "memory bound benchmark: $(nproc) cores, max_inflight_bytes ${INFLIGHT_MB} MiB"
[[ " $CASES " == *" bombs "* ]] && run_case bombs 4 1GiB --blobs 10 --records-per-blob 50 \
  --content-types Audit.General,Audit.Exchange,Audit.SharePoint,Audit.AzureActiveDirectory \
  --bomb-blobs 1 --bomb-mb "$BOMB_MB"
[[ " $CASES " == *" large "* ]] && run_case large 16 1GiB --tenants 4 --blobs 4 --records-per-blob 50 \
  --content-types Audit.General,Audit.Exchange,Audit.SharePoint,Audit.AzureActiveDirectory \
  --large-blob-mb "$LARGE_MB"
