#!/usr/bin/env bash
# Benchmark: `o365fwd run --once` over a seeded o365fwd-sim data set (default 1,000,000 records:
# one tenant, 5 content types x 200 blobs x 1,000 records) into the file sink, or into a real
# single-node Kafka broker (SINK=kafka; jars from scripts/install-kafka.sh).
#
# The source is not the bottleneck: the simulator runs with --prebuild-bodies (every blob rendered
# and gzipped once at start, then served from memory), so a download costs it a memory copy.
# PREBUILD=0 measures against the old generating simulator instead.
#
# Prints, for each of RUNS (default 3) forwarder runs and their median: records/s, MiB/s of record
# JSON, CPU seconds (user + sys of the forwarder, from wait4's rusage) and CPU microseconds per
# record, peak RSS. In the same run two baselines over the same blobs: download-only (list + GET
# every blob, 16 transfers in flight, nothing else) and parse-only (parseBlobInto, one thread),
# with the forwarder's ratio to each. The load average is printed before and after: the machine
# may be shared, and CPU per record is less disturbed by load than wall time.
#
# Usage: bench/run_once_bench.sh [BLOBS_PER_STREAM] [RECORDS_PER_BLOB]   (Release build in build/)
#   RUNS=3 SINK=file|kafka PREBUILD=1
#   O365FWD="before/o365fwd after/o365fwd": several builds side by side on the same simulator,
#   alternating run by run (before, after, before, after, ...), a median for each
#   WRAP="perf record -o FILE --" runs the forwarder under a command (scripts/profile.sh)
#   TENANTS=1000: that many simulator tenants, each with BLOBS x RECORDS x 5 content types, all in
#   one configuration (per-tenant overhead, issue 14 part 3); the baselines then cover the first
#   tenant only (their ratios are not printed), the forwarder's figures cover every tenant
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${BUILD_DIR:-build}
BLOBS=${1:-200}
RECORDS=${2:-1000}
RUNS=${RUNS:-3}
SINK=${SINK:-file}
PREBUILD=${PREBUILD:-1}
TENANTS=${TENANTS:-1}
read -r -a FORWARDERS <<<"${O365FWD:-$BUILD_DIR/app/o365fwd}"
for f in "${FORWARDERS[@]}" "$BUILD_DIR/bench/fetch_parse_bench"; do
  [ -x "$f" ] || { echo "build first: scripts/build.sh (Release); not executable: $f" >&2; exit 2; }
done

work=$(mktemp -d /tmp/o365fwd-bench.XXXXXX)
sim=""; kafka=""
cleanup() {
  [ -n "$sim" ] && kill "$sim" 2>/dev/null
  [ -n "$kafka" ] && { kill "$kafka" 2>/dev/null; wait "$kafka" 2>/dev/null; }
  rm -rf "$work"
}
trap cleanup EXIT

prebuild_flag=()
[ "$PREBUILD" = 1 ] && prebuild_flag=(--prebuild-bodies)
tenant_flags=()
[ "$TENANTS" -gt 1 ] && tenant_flags=(--tenants "$TENANTS" --threads 64)
"$BUILD_DIR/sim/o365fwd-sim" --listen 127.0.0.1:0 --port-file "$work/port" --seed 42 \
  --credentials-out "$work/credentials.json" --blobs "$BLOBS" --records-per-blob "$RECORDS" --span 20h \
  "${prebuild_flag[@]}" "${tenant_flags[@]}" >"$work/sim.log" 2>&1 &
sim=$!
for _ in $(seq 3000); do [ -s "$work/port" ] && [ -s "$work/credentials.json" ] && break; sleep 0.1; done
port=$(cat "$work/port")
# awk NR == 1 reads everything: `head -n 1` would end sed with SIGPIPE (pipefail) with many tenants
field() { sed -n "s/.*\"$1\":\"\([^\"]*\)\".*/\1/p" "$work/credentials.json" | awk 'NR == 1'; }
tenant=$(field tenant_id); client=$(field client_id); secret=$(field client_secret)

if [ "$SINK" = kafka ]; then
  . bench/lib/kafka_broker.sh
  start_kafka_broker "$work/kafka" num.partitions=1 auto.create.topics.enable=true
fi

name=()
[ "$TENANTS" -gt 1 ] || name=(--name bench)
bench/lib/forwarder_config.py "$work/credentials.json" --tenants-only "${name[@]}" >"$work/tenants.yaml"

config() {  # $1 = run number
  echo "tenants:"
  cat "$work/tenants.yaml"
  cat <<YAML
collection:
  initial_lookback: 24h
  max_concurrent_downloads: 16
  max_requests_per_minute: 100000
state_dir: $work/state$1
sinks:
YAML
  if [ "$SINK" = kafka ]; then
    # A fresh topic per run, created by the broker on first use (the sink itself never creates one).
    printf '  - type: kafka\n    brokers: 127.0.0.1:%s\n    topic: bench-run%s\n' "$kport" "$1"
    printf '    properties:\n      allow.auto.create.topics: "true"\n'
  else
    printf '  - type: file\n    path: %s/out%s/audit.ndjson\n    max_size: 64GiB\n' "$work" "$1"
  fi
  printf 'health:\n  listen: ""\nlog:\n  level: warn\n'
}

load() { cut -d' ' -f1-3 /proc/loadavg; }
echo "o365fwd run --once benchmark: $(nproc) cores, $TENANTS tenant(s) x $BLOBS blobs x $RECORDS records x 5 content types, sink=$SINK, prebuilt simulator bodies=$PREBUILD"
echo "simulator: $(grep -o 'Blob bodies prebuilt.*' "$work/sim.log" || echo 'generating bodies on demand')"
echo "load average before: $(load)"
# Warm-up pass (and the baselines of this run): download-only and parse-only over the same blobs.
baseline=$("$BUILD_DIR/bench/fetch_parse_bench" "http://127.0.0.1:$port" "$tenant" "$client" "$secret")
echo "$baseline" | sed 's/^/baseline: /'

for i in "${!FORWARDERS[@]}"; do : >"$work/runs$i"; done
run=0
for round in $(seq "$RUNS"); do
for i in "${!FORWARDERS[@]}"; do
  FORWARDER=${FORWARDERS[$i]}
  run=$((run + 1))
  config "$run" >"$work/connector$run.yaml"
  # shellcheck disable=SC2086
  /usr/bin/time -f "%e %U %S %M" -o "$work/time" ${WRAP:-} "$FORWARDER" run --once -c "$work/connector$run.yaml" \
    >"$work/run.out" 2>"$work/run.err" &
  timer=$!
  # The split of the largest RSS sample (anonymous / file-backed: state.db's memory map, the binary).
  : >"$work/rss"
  while kill -0 "$timer" 2>/dev/null; do
    for child in $(pgrep -P "$timer" 2>/dev/null); do
      awk '/^RssAnon/ {a = $2} /^RssFile/ {f = $2} END {if (a + f > 0) print a + f, a, f}' \
        "/proc/$child/status" 2>/dev/null >>"$work/rss" || true
    done
    sleep 0.2
  done
  wait "$timer" || { cat "$work/run.err" >&2; exit 1; }
  read -r wall user sys rss_kb <"$work/time"
  split=$(sort -n "$work/rss" | tail -n 1 | awk '{printf "largest sample %.1f MiB: anonymous %.1f, file-backed %.1f", $1 / 1024, $2 / 1024, $3 / 1024}')
  if [ "$SINK" = kafka ]; then
    records=$(sed -n 's/.*records_forwarded=\([0-9]*\).*/\1/p;s/.*"records_forwarded":\([0-9]*\).*/\1/p' \
      "$work/run.out" "$work/run.err" | head -n 1)
    [ -n "$records" ] || records=$((TENANTS * BLOBS * RECORDS * 5))
    bytes=$(echo "$baseline" | sed -n 's/.*bytes_mib=\([0-9.]*\).*/\1/p' | awk '{printf "%d", $1 * 1048576}')
  else
    records=$(cat "$work/out$run"/audit.ndjson* | wc -l)
    bytes=$(cat "$work/out$run"/audit.ndjson* | wc -c)
    rm -rf "$work/out$run"
  fi
  echo "$wall $user $sys $rss_kb $records $bytes" >>"$work/runs$i"
  rm -rf "$work/state$run"
  [ "${#FORWARDERS[@]}" -gt 1 ] && printf '%s ' "$FORWARDER"
  awk '{ printf "run: records=%d seconds=%.2f records_per_s=%.0f mib_per_s=%.1f cpu_seconds=%.2f (user %.2f, sys %.2f) cpu_us_per_record=%.2f peak_rss_mib=%.1f\n", $5, $1, $5 / $1, $6 / 1048576 / $1, $2 + $3, $2, $3, ($2 + $3) * 1e6 / $5, $4 / 1024 }' \
    <<<"$wall $user $sys $rss_kb $records $bytes"
  echo "     rss: $split"
done
done
echo "load average after: $(load)"

# Medians (each column on its own) and the ratios of the median run to the baselines.
for i in "${!FORWARDERS[@]}"; do
runs_file="$work/runs$i"
[ "${#FORWARDERS[@]}" -gt 1 ] && echo "== ${FORWARDERS[$i]}"
sort_col() { awk -v c="$1" '{print $c}' "$runs_file" | sort -g | awk '{v[NR]=$1} END {print v[int((NR+1)/2)]}'; }
awk -v wall="$(sort_col 1)" -v cpu="$(awk '{print $2 + $3}' "$runs_file" | sort -g | awk '{v[NR]=$1} END {print v[int((NR+1)/2)]}')" \
    -v user="$(sort_col 2)" -v sys="$(sort_col 3)" -v rss="$(sort_col 4)" -v rec="$(sort_col 5)" -v bytes="$(sort_col 6)" \
    -v runs="$RUNS" -v base="$baseline" -v tenants="$TENANTS" 'BEGIN {
  n = split(base, kv, /[ \n]/); for (i = 1; i <= n; i++) { split(kv[i], p, "="); b[p[1]] = p[2] }
  rps = rec / wall; mibs = bytes / 1048576 / wall
  printf "forwarder (median of %d): records=%d seconds=%.2f records_per_s=%.0f mib_per_s=%.1f cpu_seconds=%.2f (user %.2f, sys %.2f) cpu_us_per_record=%.2f peak_rss_mib=%.1f\n", runs, rec, wall, rps, mibs, cpu, user, sys, cpu * 1e6 / rec, rss / 1024
  printf "parse-only: cpu_us_per_record=%.2f (one thread, its CPU time)\n", b["parse_only_cpu_us_per_record"]
  if (tenants > 1) { print "ratios: not printed (the baselines cover the first tenant only)"; exit }
  printf "ratio: forwarder_cpu/parse_only_cpu=%.2f\n", cpu * 1e6 / rec / b["parse_only_cpu_us_per_record"]
  printf "ratio: forwarder/download_only=%.2f forwarder/parse_only=%.2f (records/s)\n", rps / b["download_only_records_per_s"], rps / b["parse_only_records_per_s"]
}'
done
