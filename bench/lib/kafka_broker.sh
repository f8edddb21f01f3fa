# Sourced by bench/ scripts (bash, run from the repository root): a single-node Apache Kafka
# broker in KRaft combined mode on free 127.0.0.1 ports, jars from scripts/install-kafka.sh —
# the same broker tests/support/kafka_broker.h starts for the integration tests.
#
#   . bench/lib/kafka_broker.sh
#   start_kafka_broker "$work/kafka" [PROPERTY=VALUE ...]   # sets $kafka (pid) and $kport
#   ... 127.0.0.1:$kport ...
#   kill "$kafka"                                           # the caller's cleanup stops it
#
# Extra PROPERTY=VALUE lines are appended to server.properties (log.cleaner.backoff.ms=1000,
# auto.create.topics.enable=true, ...). Exits the script with the broker log's tail when the
# broker does not start within 3 minutes.

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

start_kafka_broker() {
  local dir=$1 jars cport
  shift
  jars=$(scripts/install-kafka.sh)
  kport=$(free_port)
  cport=$(free_port)
  mkdir -p "$dir"
  {
    cat <<PROPS
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$cport
listeners=PLAINTEXT://127.0.0.1:$kport,CONTROLLER://127.0.0.1:$cport
advertised.listeners=PLAINTEXT://127.0.0.1:$kport
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
log.dirs=$dir/data
offsets.topic.replication.factor=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
PROPS
    [ $# -gt 0 ] && printf '%s\n' "$@"
  } >"$dir/server.properties"
  printf '%s\n' rootLogger.level=INFO rootLogger.appenderRef.stdout.ref=STDOUT \
    appender.stdout.type=Console appender.stdout.name=STDOUT \
    appender.stdout.layout.type=PatternLayout \
    'appender.stdout.layout.pattern=[%d] %p %m (%c)%n' >"$dir/log4j2.properties"
  java -Xmx256m -cp "$jars/*" kafka.tools.StorageTool format \
    --cluster-id=o365fwdbenchAAAAAAAAAA -c "$dir/server.properties" >"$dir/format.log" 2>&1
  KAFKA_HEAP_OPTS="" java -Xms128m -Xmx512m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 \
    -Dlog4j2.configurationFile="$dir/log4j2.properties" -cp "$jars/*" kafka.Kafka \
    "$dir/server.properties" >"$dir/broker.log" 2>&1 &
  kafka=$!
  for _ in $(seq 1800); do grep -q "Kafka Server started" "$dir/broker.log" && return 0; sleep 0.1; done
  tail "$dir/broker.log" >&2
  exit 1
}
