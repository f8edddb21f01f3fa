#!/usr/bin/env bash
# Benchmark: one daemon serving a fleet (issue 11, part 8). For each tenant count (default
# 10 100 1000; 5 content types each) it starts o365fwd-sim with that many tenants (SIM_BLOBS x
# SIM_RECORDS records per stream), writes one configuration (a secret file per tenant,
# poll_interval 60 s, log level info, health on a free loopback port) and runs `o365fwd run`:
#   ready_s       start -> /readyz answers 200 (every stream polled once, every sink up)
#   collected_s   start -> every deliverable record of the simulator's ledger is in the file sink
#   idle_cpu_%    daemon CPU (utime+stime from /proc/<pid>/stat) over IDLE_S seconds once
#                 collected and quiet, as % of one core (a 60 s poll: at least one poll each)
#   idle_log_B/h  bytes the daemon logged (stderr) in that window, per hour
#   rss_MiB       VmRSS after the idle window; threads
#   per answer of /status, /metrics and / (the page): the body bytes on the wire and the daemon's
#                 CPU per answer (ms; /proc/<pid>/stat before and after REQUESTS answers, one at a
#                 time), for Accept-Encoding absent (plain), "gzip", and a browser's
#                 "gzip, deflate, br"; Content-Encoding as answered; also net of the CPU the idle
#                 daemon spends in the same time (its idle rate from the idle window)
#   state.db      size of the state database at the end
#   validate      `o365fwd validate` of the same configuration before the daemon starts: seconds,
#                 output lines, its last line
# Goals at 1,000 tenants (docs/BENCHMARKS.md): ready <= 10 s, idle < 5 % of a core,
# RSS <= 150 MiB, a /status answer <= 50 ms of CPU whatever the encoding.
# Usage: bench/scale_bench.sh [TENANTS...]     env: IDLE_S (60) REQUESTS (20) SIM_BLOBS (2)
#        SIM_RECORDS (20) BUILD_DIR (build; a Release build)           Needs python3 and curl.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${BUILD_DIR:-build}
IDLE_S=${IDLE_S:-60}
REQUESTS=${REQUESTS:-20}
SIM_BLOBS=${SIM_BLOBS:-2}
SIM_RECORDS=${SIM_RECORDS:-20}
COUNTS=("$@")
[ ${#COUNTS[@]} -gt 0 ] || COUNTS=(10 100 1000)
[ -x "$BUILD_DIR/app/o365fwd" ] && [ -x "$BUILD_DIR/sim/o365fwd-sim" ] || {
  echo "build first: scripts/build.sh (Release)" >&2; exit 2; }
TCK=$(getconf CLK_TCK)
work=$(mktemp -d /tmp/o365fwd-scalebench.XXXXXX)
sim="" daemon=""
cleanup() {
  [ -n "$daemon" ] && kill "$daemon" 2>/dev/null
  [ -n "$sim" ] && kill "$sim" 2>/dev/null
  wait 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }  # utime + stime, in clock ticks
now_s() { date +%s.%N; }

# measure URL_PATH ACCEPT_ENCODING: "<bytes> <ms CPU per answer> <net ms> <encoding>"; net: less
# the CPU the idle daemon spends in the same time (idle_ticks_per_s, from the idle window)
measure() {
  local path=$1 enc=$2 before after bytes ctype i t0 t1
  local -a hdr=()
  [ -n "$enc" ] && hdr=(-H "Accept-Encoding: $enc")
  before=$(cpu_ticks "$daemon")
  t0=$(now_s)
  for ((i = 0; i < REQUESTS; i++)); do
    curl -sS -o /dev/null "${hdr[@]}" "$url$path"
  done
  t1=$(now_s)
  after=$(cpu_ticks "$daemon")
  read -r bytes ctype < <(curl -sS -o /dev/null -D "$dir/headers" "${hdr[@]}" \
    -w '%{size_download} %{content_type}\n' "$url$path")
  local ce
  ce=$(tr -d '\r' <"$dir/headers" | awk -F': ' 'tolower($1)=="content-encoding"{print $2}')
  awk -v b="$bytes" -v t=$((after - before)) -v n="$REQUESTS" -v hz="$TCK" -v ce="${ce:-identity}" \
    -v idle="$idle_ticks_per_s" -v s="$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')" \
    'BEGIN { net = (t - idle * s) * 1000 / hz / n; if (net < 0) net = 0
             printf "%d %.1f %.1f %s\n", b, t * 1000 / hz / n, net, ce }'
}

echo "scale benchmark: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg), idle window ${IDLE_S}s," \
  "${REQUESTS} requests per figure, ${SIM_BLOBS}x${SIM_RECORDS} records per stream"
for n in "${COUNTS[@]}"; do
  dir="$work/t$n"
  mkdir -p "$dir"
  "$BUILD_DIR/sim/o365fwd-sim" --listen 127.0.0.1:0 --port-file "$dir/port" --seed 11 \
    --tenants "$n" --blobs "$SIM_BLOBS" --records-per-blob "$SIM_RECORDS" --span 2h \
    --credentials-out "$dir/credentials.json" --ledger "$dir/ledger.ndjson" --log-level warn \
    >"$dir/sim.log" 2>&1 &
  sim=$!
  for _ in $(seq 1200); do [ -s "$dir/port" ] && [ -s "$dir/credentials.json" ] && break; sleep 0.1; done
  bench/lib/forwarder_config.py "$dir/credentials.json" -o "$dir/connector.yaml" \
    --collection "poll_interval: 60s" --collection "initial_lookback: 24h" \
    --state-dir "$dir/state" --file-sink "$dir/out/audit.ndjson" --health 127.0.0.1:0 \
    --log-level info
  expected=$(grep -c '"fate":"deliver"' "$dir/ledger.ndjson" || true)
  # `validate` first (every network check of every tenant), then the daemon.
  v0=$(now_s)
  vrc=0
  "$BUILD_DIR/app/o365fwd" validate -c "$dir/connector.yaml" >"$dir/validate.out" 2>&1 || vrc=$?
  echo "t$n: validate exit=$vrc seconds=$(awk -v a="$v0" -v b="$(now_s)" 'BEGIN { printf "%.1f", b - a }')" \
    "lines=$(wc -l <"$dir/validate.out") last: $(tail -n 1 "$dir/validate.out")"
  rm -rf "$dir/state"
  start=$(now_s)
  "$BUILD_DIR/app/o365fwd" run -c "$dir/connector.yaml" >"$dir/daemon.out" 2>"$dir/daemon.err" &
  daemon=$!
  url=""
  for _ in $(seq 600); do
    url=$(sed -n 's/.*Health endpoint listening\. url=\([^ ]*\).*/\1/p' "$dir/daemon.err" | head -n1)
    [ -n "$url" ] && break
    sleep 0.1
  done
  [ -n "$url" ] || { echo "t$n: no health endpoint" >&2; tail "$dir/daemon.err" >&2; exit 1; }
  ready=""
  for _ in $(seq 6000); do
    if [ "$(curl -s -o /dev/null -w '%{http_code}' "$url/readyz")" = 200 ]; then
      ready=$(awk -v a="$start" -v b="$(now_s)" 'BEGIN { printf "%.1f", b - a }'); break
    fi
    sleep 0.1
  done
  collected=""
  for _ in $(seq 6000); do
    got=$(cat "$dir"/out/audit.ndjson* 2>/dev/null | wc -l)
    if [ "$got" -ge "$expected" ]; then
      collected=$(awk -v a="$start" -v b="$(now_s)" 'BEGIN { printf "%.1f", b - a }'); break
    fi
    sleep 0.1
  done
  sleep 5  # the last commits and the first summary settle
  log0=$(stat -c %s "$dir/daemon.err")
  c0=$(cpu_ticks "$daemon")
  sleep "$IDLE_S"
  c1=$(cpu_ticks "$daemon")
  log1=$(stat -c %s "$dir/daemon.err")
  idle=$(awk -v t=$((c1 - c0)) -v hz="$TCK" -v s="$IDLE_S" 'BEGIN { printf "%.1f", t / hz / s * 100 }')
  idle_ticks_per_s=$(awk -v t=$((c1 - c0)) -v s="$IDLE_S" 'BEGIN { print t / s }')
  lograte=$(awk -v b=$((log1 - log0)) -v s="$IDLE_S" 'BEGIN { printf "%d", b * 3600 / s }')
  rss=$(awk '/^VmRSS/ { printf "%.1f", $2 / 1024 }' "/proc/$daemon/status")
  threads=$(awk '/^Threads/ { print $2 }' "/proc/$daemon/status")
  echo "t$n: tenants=$n streams=$((n * 5)) records=$(cat "$dir"/out/audit.ndjson* | wc -l)/$expected" \
    "ready_s=${ready:-never} collected_s=${collected:-never} idle_cpu_%=$idle idle_log_B/h=$lograte" \
    "rss_MiB=$rss threads=$threads"
  for path in /status /metrics /; do
    for enc in "" "gzip" "gzip, deflate, br"; do
      read -r bytes ms net ce < <(measure "$path" "$enc")
      printf 't%s:   %-8s accept=%-20s bytes=%-9s cpu_ms_per_answer=%-7s net_of_idle=%-7s encoding=%s\n' \
        "$n" "$path" "\"${enc:-}\"" "$bytes" "$ms" "$net" "$ce"
    done
  done
  kill -TERM "$daemon"; wait "$daemon" 2>/dev/null || true; daemon=""
  echo "t$n:   state.db bytes=$(stat -c %s "$dir/state/state.db")" \
    "log_bytes_total=$(stat -c %s "$dir/daemon.err")"
  kill "$sim" 2>/dev/null || true; wait "$sim" 2>/dev/null || true; sim=""
done
