#!/usr/bin/env bash
# An Apache Kafka 4.4.0 broker in KRaft mode (one JVM is broker and controller) for the
# tests, on free loopback ports, from Maven Central jars cached under the build dir
# (build/cache/maven: a second run downloads nothing). Recipe: ../shared/SETUP.md.
#
#   scripts/services/kafka.sh start DIR    # formats DIR/kafka and starts the JVM in the
#                                          # background; prints `export PARLEY_TEST_KAFKA_URL=
#                                          # kafka://127.0.0.1:PORT` and PARLEY_TEST_KAFKA_DIR.
#                                          # Waits until the broker answers unless
#                                          # PARLEY_SERVICES_BACKGROUND=1 (then call `wait`).
#   scripts/services/kafka.sh wait DIR     # until the broker answers (bounded: 180 s)
#   scripts/services/kafka.sh restart DIR  # starts the JVM again on the same ports and log
#                                          # dir (after a test killed it), and waits
#   scripts/services/kafka.sh stop DIR     # stops the JVM by its PID
#   scripts/services/kafka.sh fetch        # only fills the jar cache
#
# Tests share the broker and stay apart by topic name. Cost to a fresh `.ci/run` (measured
# 2026-12-07 on the loaded 2-core VM): jars 17 s (first run only), format 3 s, start 6-12 s
# hidden behind the build, RSS 340 MB; the Kafka tests themselves about 100 s.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
CACHE=${PARLEY_MAVEN_CACHE:-$ROOT/build/cache/maven}
LIB="$CACHE/kafka-4.4.0"

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

fetch() {
  [ -f "$LIB/.complete" ] && return 0
  mkdir -p "$CACHE"
  mvn -q -B -Dstyle.color=never -f "$ROOT/scripts/services/kafka-pom.xml" -Dmaven.repo.local="$CACHE/repo" \
    dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$LIB" >&2
  touch "$LIB/.complete"
}

write_config() {
  local k=$1 bport=$2 cport=$3
  cat >"$k/server.properties" <<PROPS
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$cport
listeners=PLAINTEXT://127.0.0.1:$bport,CONTROLLER://127.0.0.1:$cport
advertised.listeners=PLAINTEXT://127.0.0.1:$bport
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
log.dirs=$k/data
num.partitions=1
auto.create.topics.enable=false
offsets.topic.replication.factor=1
offsets.topic.num.partitions=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
PROPS
  cat >"$k/log4j2.properties" <<PROPS
appender.out.type=Console
appender.out.name=out
appender.out.layout.type=PatternLayout
appender.out.layout.pattern=[%d] %p %m (%c)%n
rootLogger.level=INFO
rootLogger.appenderRef.out.ref=out
PROPS
}

launch() {
  local k=$1
  # Started with setsid so that a test's kill -9 of this PID is the whole broker.
  setsid java -Xms256m -Xmx512m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 \
    -Dlog4j2.configurationFile="$k/log4j2.properties" -cp "$LIB/*" \
    kafka.Kafka "$k/server.properties" >>"$k/kafka.log" 2>&1 </dev/null &
  echo $! >"$k/kafka.pid"
}

start() {
  local k="$1/kafka" bport cport
  fetch
  mkdir -p "$k"
  bport=$(free_port)
  cport=$(free_port)
  echo "$bport" >"$k/port"
  write_config "$k" "$bport" "$cport"
  java -cp "$LIB/*" -Dlog4j2.configurationFile="$k/log4j2.properties" kafka.tools.StorageTool \
    format -t "$(python3 -c 'import base64,os; print(base64.urlsafe_b64encode(os.urandom(16)).decode()[:22])')" \
    -c "$k/server.properties" >"$k/format.log" 2>&1
  launch "$k"
  echo "export PARLEY_TEST_KAFKA_URL=kafka://127.0.0.1:$bport"
  echo "export PARLEY_TEST_KAFKA_DIR=$k"
  if [ "${PARLEY_SERVICES_BACKGROUND:-0}" != 1 ]; then wait_ready "$1"; fi
}

# Ready: the log says so and the port takes a connection (bounded).
wait_ready() {
  local k="$1/kafka" port
  port=$(cat "$k/port")
  for _ in $(seq 1800); do
    if ! kill -0 "$(cat "$k/kafka.pid")" 2>/dev/null; then
      echo "kafka.sh: the broker exited; see $k/kafka.log" >&2
      tail -20 "$k/kafka.log" >&2
      return 1
    fi
    if grep -q "Kafka Server started" "$k/kafka.log" 2>/dev/null &&
      python3 -c "import socket,sys; socket.create_connection(('127.0.0.1',$port),1).close()" 2>/dev/null; then
      return 0
    fi
    sleep 0.1  # waiting for a JVM we started; bounded by the loop
  done
  echo "kafka.sh: the broker did not start within 180 s; see $k/kafka.log" >&2
  return 1
}

restart() {
  local k="$1/kafka"
  echo "--- restart $(date -u +%FT%TZ)" >>"$k/kafka.log"
  sed -i 's/Kafka Server started/Kafka Server started (before restart)/' "$k/kafka.log"
  launch "$k"
  wait_ready "$1"
}

stop() {
  local k="$1/kafka" pid
  [ -f "$k/kafka.pid" ] || return 0
  pid=$(cat "$k/kafka.pid")
  kill "$pid" 2>/dev/null || return 0
  for _ in $(seq 300); do
    kill -0 "$pid" 2>/dev/null || return 0
    sleep 0.1  # a clean broker shutdown takes a second or two; bounded
  done
  kill -9 "$pid" 2>/dev/null || true
}

case "${1:-}" in
  fetch) fetch ;;
  start) start "$2" ;;
  wait) wait_ready "$2" ;;
  restart) restart "$2" ;;
  stop) stop "$2" ;;
  *) echo "usage: $0 start|wait|restart|stop DIR, or fetch" >&2; exit 2 ;;
esac
