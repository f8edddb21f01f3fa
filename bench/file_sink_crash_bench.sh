#!/usr/bin/env bash
# Benchmark: records written twice into the file sink after crashes. Runs it_file_sink_crash_test
# at the scale of issue 10 — 200,000 records (5 content types x 80 blobs x 500 records), 10 seeded
# SIGKILLs of the daemon, then `run --once` to completion — and prints its figure line: lines,
# missing, duplicates, and the records recovered after the kills (those the file sink would have
# written a second time without recovery). Usage: bench/file_sink_crash_bench.sh [RECORDS]
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${BUILD_DIR:-build}
[ -x "$BUILD_DIR/tests/it_file_sink_crash_test" ] || { echo "build first: scripts/build.sh" >&2; exit 2; }
O365FWD_CRASH_RECORDS=${1:-200000} "$BUILD_DIR/tests/it_file_sink_crash_test" | grep -E "file sink crash test|OK|FAILED"
