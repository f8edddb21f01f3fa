#!/usr/bin/env bash
# Fetches the Apache Kafka broker jars (KRaft mode, no ZooKeeper) from Maven Central into a cache
# directory, for the integration tests that start a real single-node broker
# (tests/support/kafka_broker.h). Idempotent: does nothing when the jars are already there.
#
#   scripts/install-kafka.sh            # -> $O365FWD_KAFKA_DIR or ~/.cache/o365fwd/kafka-<version>
#   KAFKA_VERSION=4.1.2 scripts/install-kafka.sh
#
# Needs Java 17+ and Maven (Debian: openjdk-17-jre-headless maven). Prints the directory.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
version="${KAFKA_VERSION:-4.1.1}"
dir="${O365FWD_KAFKA_DIR:-${HOME}/.cache/o365fwd/kafka-${version}}"

if compgen -G "${dir}/kafka_2.13-${version}.jar" > /dev/null && [[ -f "${dir}/.complete" ]]; then
  echo "${dir}"
  exit 0
fi
for tool in java mvn; do
  if ! command -v "${tool}" > /dev/null; then
    echo "install-kafka.sh: ${tool} not found; install Java 17 and Maven (apt-get install openjdk-17-jre-headless maven)" >&2
    exit 1
  fi
done

tmp="$(mktemp -d)"
trap 'rm -rf "${tmp}"' EXIT
mvn -B -q -f "${here}/kafka-pom.xml" -Dkafka.version="${version}" \
  dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="${tmp}/jars" >&2
if ! compgen -G "${tmp}/jars/kafka_2.13-${version}.jar" > /dev/null; then
  echo "install-kafka.sh: Maven did not produce kafka_2.13-${version}.jar" >&2
  exit 1
fi
mkdir -p "$(dirname "${dir}")"
rm -rf "${dir}"
mv "${tmp}/jars" "${dir}"
touch "${dir}/.complete"
echo "${dir}"
