#!/usr/bin/env bash
# Installs every build and test dependency from Debian 12 packages. Idempotent: packages already
# present are skipped, so a second run does no network I/O.
#   scripts/install-deps.sh              build and test dependencies (CI, developers)
#   scripts/install-deps.sh --build-only what compiling the o365fwd binary needs (the container
#                                        image's build stage, packaging/container/Containerfile)
set -euo pipefail

BUILD_PACKAGES=(
  build-essential cmake ninja-build pkg-config git ca-certificates
  libcurl4-openssl-dev rapidjson-dev librdkafka-dev libyaml-cpp-dev libspdlog-dev
  libsqlite3-dev libssl-dev libcpp-httplib-dev libcli11-dev
  libmicrohttpd-dev
  # brotli and gzip of health answers (app/health/answer_encoding.cpp)
  zlib1g-dev libbrotli-dev
  # one-shot gzip decoding of blob bodies (connector/http/gzip_inflater.cpp)
  libdeflate-dev
)
TEST_PACKAGES=(
  openssl curl libgtest-dev libgmock-dev
  clang-format ccache
  # integration tests: syslog receiver with TLS and RELP, Kafka consumer
  rsyslog rsyslog-openssl rsyslog-relp kcat
  # the status page test loads GET / in a headless browser
  chromium fonts-dejavu-core
  # benchmarks (/usr/bin/time) and packaging
  time rpm rpmlint systemd
  # promtool checks the shipped alerting rules and dashboard queries (scripts/check-monitoring.sh)
  prometheus python3
  # the real Kafka broker of the integration tests (scripts/install-kafka.sh fetches its jars)
  openjdk-17-jre-headless maven
  # the container image (scripts/build-container.sh): builder, and the base image made from
  # Debian's mirror where no image registry is reachable
  buildah debootstrap
  # heap profiles of the memory benchmarks (WRAP="heaptrack -o ..." bench/memory_bound_bench.sh)
  heaptrack
)

case "${1:-}" in
  --build-only) set -- "${BUILD_PACKAGES[@]}" ;;
  "") set -- "${BUILD_PACKAGES[@]}" "${TEST_PACKAGES[@]}" ;;
  *) echo "usage: $0 [--build-only]" >&2; exit 64 ;;
esac
# rsyslog's package starts a system daemon on install; the tests run their own instances.
exec "$(dirname "$0")/apt-install.sh" install-deps "$@"
