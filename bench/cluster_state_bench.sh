#!/usr/bin/env bash
# Cluster mode's state in Kafka (docs/CLUSTER.md "State records"): size on disk per million records
# and load time, on a local single-node KRaft broker (jars from scripts/install-kafka.sh).
#
#   bench/cluster_state_bench.sh                     # the two scenarios of docs/BENCHMARKS.md
#   BLOBS=10000 RECORDS=100 TENANTS=30 PARTITIONS=8 bench/cluster_state_bench.sh custom
#
# For each scenario: commits through KafkaStateStore (build/bench/cluster_state_bench), a second
# instance loads every partition, then the topic's size on disk (du of the partition directories)
# (log segments) right after and COMPACT_WAIT seconds later (default 60), once the
# log cleaner compacted the closed segments (the bench topic has 1 MiB segments). KEEP=1 keeps the
# work directory.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${BUILD_DIR:-build}
COMPACT_WAIT=${COMPACT_WAIT:-60}
work=$(mktemp -d /tmp/o365fwd-cluster-state-bench.XXXXXX)
kafka=""
cleanup() {
  [ "${KEEP:-0}" = 1 ] && { echo "kept $work" >&2; [ -n "$kafka" ] && kill "$kafka"; return; }
  [ -n "$kafka" ] && { kill "$kafka" 2>/dev/null; wait "$kafka" 2>/dev/null; }
  rm -rf "$work"
}
trap cleanup EXIT
. bench/lib/kafka_broker.sh
start_kafka_broker "$work/kafka" log.cleaner.backoff.ms=1000

# Bytes of the topic's log segments (the records). Not counted: compacted segments waiting for
# deletion (*.deleted, file.delete.delay.ms), and the offset and time indexes, which the broker
# preallocates (10 MiB apparent, sparse) for each active segment and trims to a few hundred bytes
# per MiB of log when the segment rolls.
topic_kib() {
  find "$work/kafka/data/" -path "*/$1.state-*" -type f -name '*.log' -printf '%s\n' |
    awk '{s += $1} END {print int(s / 1024)}'
}

scenario() {  # name blobs records-per-blob tenants partitions
  local name=$1 blobs=$2 records=$3 tenants=$4 partitions=$5
  echo "== $name: $blobs blobs x $records records, $tenants tenants, $partitions partitions (load $(cut -d' ' -f1-3 /proc/loadavg))"
  "$BUILD_DIR/bench/cluster_state_bench" --brokers "127.0.0.1:$kport" --group "$name" \
    --partitions "$partitions" --tenants "$tenants" --blobs "$blobs" --records-per-blob "$records"
  local before after million
  before=$(topic_kib "$name")
  million=$(python3 -c "print(1e6 / ($blobs * $records))")
  after=$before
  for _ in $(seq "$COMPACT_WAIT"); do
    sleep 1
    after=$(topic_kib "$name")
  done
  python3 - "$before" "$after" "$million" "$blobs" "$records" <<'PY'
import sys
before, after, million, blobs, records = (float(x) for x in sys.argv[1:])
print(f"on disk: {before/1024:.1f} MiB after the run, {after/1024:.1f} MiB after compaction "
      f"= {after/1024*million:.1f} MiB per million records "
      f"({after*1024/(blobs*records):.1f} B a record, {after*1024/blobs:.0f} B a blob)")
PY
}

if [ "${1:-}" = custom ]; then
  scenario custom "${BLOBS:-10000}" "${RECORDS:-100}" "${TENANTS:-30}" "${PARTITIONS:-8}"
else
  scenario million-records 10000 100 30 8
  scenario hundred-thousand-blobs 100000 10 1 1
fi
