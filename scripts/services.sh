#!/usr/bin/env bash
# Starts and stops the outside services the tests use, on loopback, in a throwaway
# directory, on free ports:
#
#   eval "$(scripts/services.sh start)"   # exports PARLEY_TEST_PG_URL, PARLEY_TEST_REDIS_URL,
#                                         # PARLEY_TEST_S3_URL, PARLEY_TEST_KMS_URL (moto
#                                         # serves S3 and KMS), PARLEY_SERVICES_DIR,
#                                         # PARLEY_TEST_KAFKA_URL (and _DIR), and
#                                         # PARLEY_TEST_REDIS_CLUSTER(_URL, _DIR): a Redis
#                                         # Cluster of 3 masters + 3 replicas
#                                         # (scripts/services/redis-cluster.sh), and
#                                         # PARLEY_TEST_VAULT_URL, _TOKEN, _ROOT_TOKEN
#                                         # (OpenBao: scripts/services/openbao.sh)
#   scripts/services.sh wait              # until the slow starters (Kafka's JVM) answer
#   scripts/services.sh stop              # stops what `start` started (by PID), removes the dir
#
# With PARLEY_SERVICES_BACKGROUND=1, `start` returns while Kafka's JVM is still starting
# (scripts/test.sh builds meanwhile, then calls `wait`); without it, `start` waits.
#
# PostgreSQL 15 runs as the postgres user when invoked as root (initdb refuses root).
# It runs with fsync=off (fine for tests); PARLEY_SERVICES_DURABLE=1 keeps fsync and
# synchronous_commit on, as durability benchmarks need (docs/benchmarks.md).
set -euo pipefail

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

start() {
  local dir pgbin pgport redisport
  dir=$(mktemp -d /tmp/parley-services.XXXXXX)
  chmod 755 "$dir"
  pgbin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
  pgport=$(free_port)
  redisport=$(free_port)
  local as_pg=() pg_opts="-c fsync=off"
  if [ "${PARLEY_SERVICES_DURABLE:-0}" = 1 ]; then pg_opts="-c fsync=on -c synchronous_commit=on"; fi
  # PARLEY_SERVICES_PG_STATEMENTS=1: count every statement (bench/run.py's reconnect storm
  # compares PostgreSQL's statement rate during the storm with the steady rate).
  if [ "${PARLEY_SERVICES_PG_STATEMENTS:-0}" = 1 ]; then
    pg_opts+=" -c shared_preload_libraries=pg_stat_statements -c pg_stat_statements.track=all"
  fi
  if [ "$(id -u)" -eq 0 ]; then chown postgres: "$dir"; as_pg=(runuser -u postgres --); fi
  "${as_pg[@]}" "$pgbin/initdb" -D "$dir/pg" -U postgres --auth-local=trust --auth-host=trust \
    -E UTF8 --locale=C.UTF-8 --no-sync >"$dir/initdb.log" 2>&1
  "${as_pg[@]}" "$pgbin/pg_ctl" -D "$dir/pg" -l "$dir/pg.log" -w -t 60 \
    -o "-p $pgport -k $dir -c listen_addresses=127.0.0.1 $pg_opts -c max_connections=200" \
    start >/dev/null
  "${as_pg[@]}" psql -h 127.0.0.1 -p "$pgport" -U postgres -q \
    -c "CREATE ROLE parley LOGIN SUPERUSER PASSWORD 'parley'" -c "CREATE DATABASE parley OWNER parley" >/dev/null
  redis-server --port "$redisport" --bind 127.0.0.1 --save '' --appendonly no --daemonize yes \
    --pidfile "$dir/redis.pid" --dir "$dir" --logfile "$dir/redis.log"
  for _ in $(seq 100); do
    redis-cli -p "$redisport" ping >/dev/null 2>&1 && break
    sleep 0.1  # waiting for a daemon we just started; bounded
  done
  # Kafka before the others: its JVM starts in the background meanwhile.
  "$(dirname "$0")/services/kafka.sh" start "$dir"  # prints export PARLEY_TEST_KAFKA_URL=...
  "$(dirname "$0")/s3-server.sh" start "$dir"  # prints export PARLEY_TEST_S3_URL=, _KMS_URL=...
  "$(dirname "$0")/services/redis-cluster.sh" start "$dir"  # PARLEY_TEST_REDIS_CLUSTER...
  "$(dirname "$0")/services/openbao.sh" start "$dir"  # prints export PARLEY_TEST_VAULT_URL=...
  echo "export PARLEY_SERVICES_DIR=$dir"
  echo "export PARLEY_TEST_PG_URL=postgresql://parley:parley@127.0.0.1:$pgport/parley"
  echo "export PARLEY_TEST_REDIS_URL=redis://127.0.0.1:$redisport"
}

stop() {
  local dir=${PARLEY_SERVICES_DIR:-}
  [ -n "$dir" ] && [ -d "$dir" ] || return 0
  local pgbin
  pgbin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
  if [ -f "$dir/pg/postmaster.pid" ]; then
    if [ "$(id -u)" -eq 0 ]; then
      runuser -u postgres -- "$pgbin/pg_ctl" -D "$dir/pg" -m fast -w stop >/dev/null || true
    else
      "$pgbin/pg_ctl" -D "$dir/pg" -m fast -w stop >/dev/null || true
    fi
  fi
  if [ -f "$dir/redis.pid" ]; then kill "$(cat "$dir/redis.pid")" 2>/dev/null || true; fi
  "$(dirname "$0")/s3-server.sh" stop "$dir"
  "$(dirname "$0")/services/redis-cluster.sh" stop "$dir"
  "$(dirname "$0")/services/kafka.sh" stop "$dir"
  "$(dirname "$0")/services/openbao.sh" stop "$dir"
  rm -rf "$dir"
}

wait_ready() {
  "$(dirname "$0")/services/kafka.sh" wait "${PARLEY_SERVICES_DIR:?run start first}"
}

case "${1:-}" in
  start) start ;;
  wait) wait_ready ;;
  stop) stop ;;
  *) echo "usage: $0 start|wait|stop" >&2; exit 2 ;;
esac
