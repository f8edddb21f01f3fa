#!/usr/bin/env bash
# Profiles `o365fwd run --once` under perf: one run of bench/run_once_bench.sh (same simulator
# data set, prebuilt bodies, file sink unless SINK=kafka) with the forwarder under `perf record`,
# then prints the split of samples by library (shared object) and the top functions.
#
# Usage: scripts/profile.sh [BLOBS_PER_STREAM] [RECORDS_PER_BLOB]   (default 40 x 1000: 200,000)
#   TOP=40 (functions shown), CALL_GRAPH=1 (perf record -g: frame pointers, callers in the report),
#   PERF_DATA=path (kept; default a temporary file)
#
# Needs Debian's linux-perf (scripts/install-deps.sh). perf samples user space of one's own
# processes at kernel.perf_event_paranoid <= 2 (Debian's default); kernel samples (the "[kernel]"
# share: write, fdatasync, page faults) need <= 1 or root. At 2 the profile says so and shows user
# space only: the kernel's share is then the forwarder's sys time printed by the benchmark.
# `--call-graph dwarf` is not used: it copies 8 KiB of stack per sample and distorts a 2-core box.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v perf >/dev/null || { echo "profile.sh: perf not found (apt-get install linux-perf)" >&2; exit 2; }
BLOBS=${1:-40}
RECORDS=${2:-1000}
TOP=${TOP:-40}
data=${PERF_DATA:-$(mktemp /tmp/o365fwd-perf.XXXXXX)}
paranoid=$(cat /proc/sys/kernel/perf_event_paranoid 2>/dev/null || echo 2)
event=cpu-clock
if [ "$paranoid" -gt 1 ] && [ "$(id -u)" != 0 ]; then
  event=cpu-clock:u
  echo "profile.sh: kernel.perf_event_paranoid=$paranoid: user-space samples only (kernel time: see sys in the benchmark line)"
fi
graph=()
[ "${CALL_GRAPH:-0}" = 1 ] && graph=(-g)
RUNS=1 WRAP="perf record -q -e $event -F 999 ${graph[*]} -o $data --" bench/run_once_bench.sh "$BLOBS" "$RECORDS"
echo
echo "== samples by library =="
perf report -i "$data" --no-children --sort dso --stdio 2>/dev/null | grep -v "^#" | grep -v "^$" | sed -E "s/[ -]+$//" | head -n 20
echo
echo "== top $TOP functions =="
perf report -i "$data" --no-children --sort dso,symbol --stdio 2>/dev/null | grep -v '^#' | grep -v '^$' \
  | sed -E "s/[ -]+$//" | cut -c1-200 | head -n "$TOP"
[ -n "${PERF_DATA:-}" ] || rm -f "$data"
