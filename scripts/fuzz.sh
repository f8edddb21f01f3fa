#!/usr/bin/env bash
# Real fuzzing with libFuzzer (docs/FUZZING.md). Installs clang-14 and libclang-rt-14-dev when
# missing (Debian 12), builds every fuzz target with -fsanitize=fuzzer,address,undefined into
# build-fuzz-clang/ (or $BUILD_DIR) and runs each for $FUZZ_SECONDS (default 60) on a copy of its
# seed corpus, so fuzz/corpus/ is never modified. Prints execs/s per target and any crash file.
#
#   FUZZ_SECONDS=300 scripts/fuzz.sh                 # every target
#   FUZZ_SECONDS=600 scripts/fuzz.sh blob_parser     # some targets
#
# Exit status: 0 when no target crashed, 1 otherwise. Crash inputs are kept in
# $BUILD_DIR/fuzz-findings/<target>/ (replay: $BUILD_DIR/fuzz/<target>_fuzzer FILE).
# CI does not run this script: it runs the GCC regression driver through ctest (-R fuzz_).
set -euo pipefail
cd "$(dirname "$0")/.."

BUILD_DIR=${BUILD_DIR:-build-fuzz-clang}
FUZZ_SECONDS=${FUZZ_SECONDS:-60}
ALL_TARGETS=(blob_parser content_page config_loader rfc5424 url_guard host_port time_format status_json state_records)
if (($# > 0)); then TARGETS=("$@"); else TARGETS=("${ALL_TARGETS[@]}"); fi

scripts/apt-install.sh fuzz clang-14 libclang-rt-14-dev

# fuzzer-no-link gives the project libraries coverage instrumentation; O365FWD_SANITIZE adds
# ASan+UBSan everywhere; fuzz/CMakeLists.txt links the *_fuzzer binaries with -fsanitize=fuzzer.
# Clang (not GCC) warns, in C++20, about RapidJSON 1.1's iterator operator== at every call site.
cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_C_COMPILER=clang-14 -DCMAKE_CXX_COMPILER=clang++-14 \
  -DCMAKE_C_FLAGS="-fsanitize=fuzzer-no-link" \
  -DCMAKE_CXX_FLAGS="-fsanitize=fuzzer-no-link -Wno-ambiguous-reversed-operator" \
  -DO365FWD_SANITIZE=ON -DO365FWD_FUZZ=ON -DO365FWD_BUILD_TESTS=ON >/dev/null
build_targets=()
for t in "${TARGETS[@]}"; do build_targets+=("${t}_fuzzer"); done
nice -n 10 cmake --build "$BUILD_DIR" -j "$(nproc)" --target "${build_targets[@]}"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
status=0
summary=()
for t in "${TARGETS[@]}"; do
  corpus="$work/$t"
  mkdir -p "$corpus"
  cp fuzz/corpus/"$t"/* "$corpus"/
  findings="$BUILD_DIR/fuzz-findings/$t"
  rm -rf "$findings"  # findings of an earlier run
  mkdir -p "$findings"
  log="$BUILD_DIR/fuzz-findings/$t.log"
  echo "fuzz: $t for ${FUZZ_SECONDS}s"
  rc=0
  # -rss_limit_mb: the 2-core CI-sized machines have little memory; -timeout: a hang is a finding.
  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 ASAN_OPTIONS=detect_leaks=1 \
    "$BUILD_DIR/fuzz/${t}_fuzzer" -max_total_time="$FUZZ_SECONDS" -timeout=10 -rss_limit_mb=2048 \
    -max_len=65536 -print_final_stats=1 -artifact_prefix="$findings/" "$corpus" >"$log" 2>&1 || rc=$?
  execs=$(grep -m1 -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || true)
  rate=$(grep -m1 -o 'stat::average_exec_per_sec: *[0-9]*' "$log" | grep -o '[0-9]*$' || true)
  crashes=$(find "$findings" -type f | head -5 | tr '\n' ' ')
  if ((rc != 0)) || [ -n "$crashes" ]; then
    status=1
    summary+=("$t: CRASH rc=$rc execs=${execs:-?} execs/s=${rate:-?} inputs: ${crashes:-none} log: $log")
    grep -m1 -E 'ERROR: |fuzz invariant violated|runtime error' "$log" || true
  else
    summary+=("$t: ok execs=${execs:-?} execs/s=${rate:-?} corpus grew to $(ls "$corpus" | wc -l) files")
  fi
done
echo
printf '%s\n' "${summary[@]}"
exit "$status"
