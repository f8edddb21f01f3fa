#!/usr/bin/env bash
# Benchmark (issue 12): cluster mode, 1 vs 3 instances on the same tenants, and the failover time.
# A single-node KRaft broker (bench/lib/kafka_broker.sh), o365fwd-sim with TENANTS tenants (5
# content types, a backlog of BLOBS blobs x RECORDS records per stream, bodies prebuilt so the
# simulator costs little CPU), then `o365fwd run` instances of one cluster group (same
# configuration, `cluster:` with 64 partitions, session.timeout.ms SESSION_MS; each instance its
# own state_dir and its own FILE sink, fdatasync before each acknowledgement):
#   1. one instance drains the backlog; 2. three instances (a new group, same backlog) drain it.
#      For each: records/s (from the first start until every ledger record is in the outputs),
#      CPU seconds of all instances (utime + stime from /proc, start-up included: 300 tokens, 1500
#      streams listed) and CPU per record, peak RSS (VmHWM) of each instance, lines written
#      beyond the ledger (duplicates), the load average.
#   3. failover, three instances settled: one killed with SIGKILL, later (restarted, settled
#      again) one stopped with SIGTERM. For each: seconds until the survivors' /status hold every
#      tenant, and until the simulator's request log shows every tenant of the one that went
#      listed again by the survivors.
# Usage: bench/cluster_scale_bench.sh [TENANTS] [BLOBS] [RECORDS]     (default 300 2 100)
# SESSION_MS (6000), POLL_S (10), O365FWD=path (another build), KEEP=1 keeps the work directory.
# Needs the broker jars (scripts/install-kafka.sh), python3, curl; Release build in build/.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${BUILD_DIR:-build}
TENANTS=${1:-300}
BLOBS=${2:-2}
RECORDS=${3:-100}
SESSION_MS=${SESSION_MS:-6000}
POLL_S=${POLL_S:-10}
O365FWD=${O365FWD:-$BUILD_DIR/app/o365fwd}
SIM=$BUILD_DIR/sim/o365fwd-sim
[ -x "$O365FWD" ] && [ -x "$SIM" ] || { echo "build first: scripts/build.sh (Release)" >&2; exit 2; }
work=$(mktemp -d /tmp/o365fwd-cluster-scale.XXXXXX)
declare -A pid=()
sim="" kafka=""
cleanup() {
  for p in "${pid[@]}"; do kill -9 "$p" 2>/dev/null || true; done
  [ -n "$sim" ] && kill "$sim" 2>/dev/null
  [ -n "$kafka" ] && kill "$kafka" 2>/dev/null
  wait 2>/dev/null
  if [ "${KEEP:-0}" = 1 ]; then echo "kept $work" >&2; else rm -rf "$work"; fi
}
trap cleanup EXIT
load() { cut -d' ' -f1-3 /proc/loadavg; }
now_ms() { date +%s%3N; }
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }  # utime + stime, clock ticks
TCK=$(getconf CLK_TCK)

. bench/lib/kafka_broker.sh
start_kafka_broker "$work/kafka"
"$SIM" --listen 127.0.0.1:0 --port-file "$work/port" --seed 12 --tenants "$TENANTS" \
  --blobs "$BLOBS" --records-per-blob "$RECORDS" --span 20h --prebuild-bodies --threads 64 \
  --credentials-out "$work/credentials.json" --ledger "$work/ledger.ndjson" \
  --request-log "$work/requests.ndjson" --log-level warn >"$work/sim.log" 2>&1 &
sim=$!
for _ in $(seq 3000); do [ -s "$work/port" ] && [ -s "$work/credentials.json" ] && break; sleep 0.1; done
[ -s "$work/credentials.json" ] || { tail "$work/sim.log" >&2; exit 1; }
expected=$(grep -c '"fate":"deliver"' "$work/ledger.ndjson")
echo "cluster scale benchmark: $(nproc) cores, $TENANTS tenants x 5 content types x $BLOBS blobs" \
  "x $RECORDS records = $expected records, file sink per instance, session.timeout.ms" \
  "$SESSION_MS, poll ${POLL_S}s, forwarder $O365FWD, load $(load)"

# configure NAME GROUP: the instance's directory and configuration (the group's topics by init).
configure() {
  local dir=$work/$1
  mkdir -p "$dir"
  bench/lib/forwarder_config.py "$work/credentials.json" -o "$dir/connector.yaml" \
    --collection "poll_interval: ${POLL_S}s" --collection "initial_lookback: 24h" \
    --collection "max_concurrent_downloads: 16" --collection "max_requests_per_minute: 100000" \
    --collection "drain_timeout: 20s" --state-dir "$dir/state" \
    --file-sink "$dir/out/audit.ndjson" --max-size 64GiB --health 127.0.0.1:0 --log-level info \
    --raw "cluster:
  kafka:
    brokers: 127.0.0.1:$kport
    group: $2
    partitions: 64
    properties:
      session.timeout.ms: \"$SESSION_MS\"
      heartbeat.interval.ms: \"1000\""
}
start() {  # NAME (an earlier start's log is kept as run.err.<n>)
  [ -f "$work/$1/run.err" ] && mv "$work/$1/run.err" "$work/$1/run.err.$(ls "$work/$1" | grep -c '^run\.err')"
  "$O365FWD" run -c "$work/$1/connector.yaml" >>"$work/$1/run.out" 2>>"$work/$1/run.err" &
  pid[$1]=$!
}
url() {  # NAME: the health endpoint of its latest start
  local u=""
  for _ in $(seq 600); do
    u=$(sed -n 's/.*Health endpoint listening\. url=\([^ ]*\).*/\1/p' "$work/$1/run.err" | tail -n 1)
    [ -n "$u" ] && break
    sleep 0.1
  done
  [ -n "$u" ] || { tail "$work/$1/run.err" >&2; exit 1; }
  echo "$u"
}
lines() { cat "$@" 2>/dev/null | wc -l; }

# Waits until the outputs under the given directories hold `expected` lines (each file read once,
# incrementally); prints the seconds since START_MS.
wait_records() {  # START_MS DIR...
  python3 - "$expected" "$@" <<'PY'
import glob, os, sys, time
expected, start_ms, dirs = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3:]
offsets, total = {}, 0
deadline = time.time() + 1800
while total < expected and time.time() < deadline:
    for d in dirs:
        for path in glob.glob(os.path.join(d, "out", "audit.ndjson*")):
            with open(path, "rb") as f:
                f.seek(offsets.get(path, 0))
                chunk = f.read()
            offsets[path] = offsets.get(path, 0) + len(chunk)
            total += chunk.count(b"\n")
    time.sleep(0.2)
if total < expected:
    sys.exit("only %d of %d records after 30 minutes" % (total, expected))
print("%.2f" % (time.time() - start_ms / 1000.0))
PY
}

# The tenants each named instance's /status shows, and whether the split is settled: every one
# active, every tenant held by exactly one. Prints "settled" or what is missing.
split() {  # NAME...
  local docs=()
  for n in "$@"; do
    curl -s --max-time 5 -o "$work/$n.status.json" "${urls[$n]}/status" || : >"$work/$n.status.json"
    docs+=("$work/$n.status.json")
  done
  python3 - "$TENANTS" "${docs[@]}" <<'PY'
import json, sys
tenants, held, roles = int(sys.argv[1]), {}, []
for path in sys.argv[2:]:
    try:
        d = json.load(open(path))
    except ValueError:
        print("no answer"); sys.exit()
    roles.append(d.get("cluster", {}).get("role"))
    for t in {s["tenant"] for s in d.get("streams", [])}:
        held[t] = held.get(t, 0) + 1
ok = all(r == "active" for r in roles) and len(held) == tenants and all(n == 1 for n in held.values())
print("settled" if ok else "roles=%s tenants_held=%d twice=%d" % (
    ",".join(map(str, roles)), len(held), sum(1 for n in held.values() if n > 1)))
PY
}
wait_settled() {  # NAME...: seconds waited
  local t0 s
  t0=$(now_ms)
  for _ in $(seq 900); do
    s=$(split "$@")
    [ "$s" = settled ] && { awk -v a="$t0" -v b="$(now_ms)" 'BEGIN {printf "%.1f", (b - a) / 1000}'; return 0; }
    sleep 0.2
  done
  echo "not settled after 180 s: $s" >&2
  exit 1
}
tenants_of() {  # NAME: its tenants' ids, one a line
  curl -s "${urls[$1]}/status" | python3 -c '
import json, sys
names = {s["tenant"] for s in json.load(sys.stdin)["streams"]}
creds = json.load(open(sys.argv[1]))["tenants"]
print("\n".join(t["tenant_id"] for t in creds if t["name"] in names))' "$work/credentials.json"
}
# Seconds from T0_MS until each of the tenants in FILE was listed again (its first content
# listing at or after T0_MS, from the simulator's request log); waits up to 60 s for them.
relisted() {  # T0_MS FILE
  python3 - "$work/requests.ndjson" "$1" "$2" <<'PY'
import json, sys, time
log, t0, wanted = sys.argv[1], int(sys.argv[2]), set(open(sys.argv[3]).read().split())
first, offset, deadline = {}, 0, time.time() + 60
while len(first) < len(wanted) and time.time() < deadline:
    with open(log) as f:
        f.seek(offset)
        for line in f:
            if not line.endswith("\n"):
                break
            offset += len(line.encode())
            r = json.loads(line)
            if r["at_ms"] < t0 or not r["path"].endswith("/subscriptions/content"):
                continue
            tenant = r["path"].split("/")[3]
            if tenant in wanted and tenant not in first:
                first[tenant] = r["at_ms"]
    time.sleep(0.2)
if len(first) < len(wanted):
    print("only %d of %d listed within 60 s" % (len(first), len(wanted)))
else:
    print("%.1f" % ((max(first.values()) - t0) / 1000))
PY
}

declare -A urls=()
# run_phase N: N instances of a new group drain the backlog; the instances stay running.
run_phase() {
  local n=$1 group="scale$1" start_ms seconds ticks=0 rss="" i name total sim0
  for i in $(seq "$n"); do configure "g$n-i$i" "$group"; done
  "$O365FWD" cluster init -c "$work/g$n-i1/connector.yaml" >"$work/g$n-init.out" 2>&1 ||
    { cat "$work/g$n-init.out" >&2; exit 1; }
  local load0 dirs=()
  load0=$(load)
  sim0=$(cpu_ticks "$sim")
  start_ms=$(now_ms)
  for i in $(seq "$n"); do start "g$n-i$i"; dirs+=("$work/g$n-i$i"); done
  seconds=$(wait_records "$start_ms" "${dirs[@]}")
  for i in $(seq "$n"); do
    name="g$n-i$i"
    ticks=$((ticks + $(cpu_ticks "${pid[$name]}")))
    rss+="${rss:+,}$(awk '/^VmHWM/ {printf "%.0f", $2 / 1024}' "/proc/${pid[$name]}/status")"
  done
  total=$(lines "$work"/g"$n"-i*/out/audit.ndjson*)
  awk -v n="$n" -v rec="$expected" -v s="$seconds" -v t="$ticks" -v tck="$TCK" -v rss="$rss" \
    -v lines="$total" -v simt="$(($(cpu_ticks "$sim") - sim0))" -v l0="$load0" -v l1="$(load)" 'BEGIN {
    printf "%d instance(s): records=%d seconds=%.1f records_per_s=%.0f cpu_s=%.1f cpu_us_per_record=%.1f peak_rss_mib=%s lines_beyond_ledger=%d simulator_cpu_s=%.1f load=%s -> %s\n",
      n, rec, s, rec / s, t / tck, t / tck * 1e6 / rec, rss, lines - rec, simt / tck, l0, l1 }'
  for i in $(seq "$n"); do urls["g$n-i$i"]=$(url "g$n-i$i"); done
}

stop_all() {  # NAME...
  for n in "$@"; do kill -TERM "${pid[$n]}" 2>/dev/null || true; done
  for n in "$@"; do wait "${pid[$n]}" 2>/dev/null || true; unset "pid[$n]"; done
}

run_phase 1
stop_all g1-i1
run_phase 3
settled=$(wait_settled g3-i1 g3-i2 g3-i3) || exit 1
echo "three instances settled after the backlog: $settled s more"

# failover NAME SIGNAL SURVIVOR...: the seconds until the survivors hold every tenant and until
# each of NAME's tenants was listed again.
failover() {
  local name=$1 sig=$2 t0 exit_s=""
  shift 2
  tenants_of "$name" >"$work/moved"
  t0=$(now_ms)
  [ "$sig" = KILL ] && disown "${pid[$name]}"  # no "Killed" job notice in the output
  kill "-$sig" "${pid[$name]}"
  if [ "$sig" = TERM ]; then
    wait "${pid[$name]}" 2>/dev/null || true
    exit_s=" (exited after $(awk -v a="$t0" -v b="$(now_ms)" 'BEGIN {printf "%.1f", (b - a) / 1000}') s)"
  fi
  local held listed
  wait_settled "$@" >/dev/null || exit 1
  held=$(awk -v a="$t0" -v b="$(now_ms)" 'BEGIN {printf "%.1f", (b - a) / 1000}')
  listed=$(relisted "$t0" "$work/moved")
  echo "failover after SIG$sig of one of three$exit_s: survivors hold all $TENANTS tenants after" \
    "$held s; its $(wc -l <"$work/moved") tenants listed again by them after $listed s (load $(load))"
  [ "$sig" = KILL ] && unset "pid[$name]"
  return 0
}

failover g3-i3 KILL g3-i1 g3-i2
start g3-i3
urls[g3-i3]=$(url g3-i3)
settled=$(wait_settled g3-i1 g3-i2 g3-i3) || exit 1
echo "the killed instance restarted: settled again after $settled s"
failover g3-i2 TERM g3-i1 g3-i3
unset "pid[g3-i2]"
echo "lines written by the three-instance group: $(lines "$work"/g3-i*/out/audit.ndjson*) of" \
  "$expected ledger records (more: forwarded again after the SIGKILL)"
stop_all g3-i1 g3-i3
