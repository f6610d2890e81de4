#!/usr/bin/env bash
# A real Redis Cluster on loopback for the tests: 3 masters and 3 replicas, each
# `redis-server --cluster-enabled yes` on a free port (and a free cluster-bus port), in a
# throwaway directory, formed with `redis-cli --cluster create --cluster-replicas 1`.
#
#   scripts/services/redis-cluster.sh start DIR   # prints, for eval:
#       PARLEY_TEST_REDIS_CLUSTER=127.0.0.1:P1,...,127.0.0.1:P6   (every node, seed list)
#       PARLEY_TEST_REDIS_CLUSTER_URL=redis+cluster://127.0.0.1:P1,...  (for --redis)
#       PARLEY_TEST_REDIS_CLUSTER_DIR=DIR/redis-cluster  (node-P.pid, nodes-P.conf, node-P.log)
#   scripts/services/redis-cluster.sh stop DIR    # stops every node by PID
#
# Readiness is polled (bounded), never waited for by a fixed sleep: every node must answer
# cluster_state:ok and know all six nodes, and `redis-cli --cluster check` must agree.
# cluster-node-timeout is 3 s, so a killed master's replica is promoted within seconds.
set -euo pipefail

NODES=6

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

# Polls `cmd` every 0.1 s for at most $1 tenths of a second.
poll() {
  local tries=$1
  shift
  for _ in $(seq "$tries"); do
    if "$@" >/dev/null 2>&1; then return 0; fi
    sleep 0.1  # polling interval of a bounded wait, not a synchronisation
  done
  "$@"
}

node_ready() { redis-cli -p "$1" ping | grep -q PONG; }

cluster_ok() {
  local port
  for port in "${PORTS[@]}"; do
    redis-cli -p "$port" cluster info | grep -q 'cluster_state:ok' || return 1
    [ "$(redis-cli -p "$port" cluster info | sed -n 's/^cluster_known_nodes:\([0-9]*\).*/\1/p')" = "$NODES" ] || return 1
  done
  redis-cli --cluster check "127.0.0.1:${PORTS[0]}" | grep -q '\[OK\] All 16384 slots covered'
}

start() {
  local base=$1 dir port bus
  dir="$base/redis-cluster"
  mkdir -p "$dir"
  PORTS=()
  for _ in $(seq "$NODES"); do
    port=$(free_port)
    bus=$(free_port)
    redis-server --port "$port" --cluster-port "$bus" --bind 127.0.0.1 --cluster-enabled yes \
      --cluster-config-file "$dir/nodes-$port.conf" --cluster-node-timeout 3000 \
      --save '' --appendonly no --daemonize yes --pidfile "$dir/node-$port.pid" \
      --dir "$dir" --logfile "$dir/node-$port.log" >/dev/null
    PORTS+=("$port")
  done
  for port in "${PORTS[@]}"; do poll 100 node_ready "$port" >/dev/null; done
  local addrs=()
  for port in "${PORTS[@]}"; do addrs+=("127.0.0.1:$port"); done
  redis-cli --cluster create "${addrs[@]}" --cluster-replicas 1 --cluster-yes \
    >"$dir/create.log" 2>&1
  if ! poll 600 cluster_ok; then
    echo "redis-cluster: the cluster did not reach cluster_state:ok (see $dir)" >&2
    return 1
  fi
  local seeds
  seeds=$(IFS=,; echo "${addrs[*]}")
  echo "export PARLEY_TEST_REDIS_CLUSTER=$seeds"
  echo "export PARLEY_TEST_REDIS_CLUSTER_URL=redis+cluster://$seeds"
  echo "export PARLEY_TEST_REDIS_CLUSTER_DIR=$dir"
}

stop() {
  local dir="$1/redis-cluster" pidfile
  [ -d "$dir" ] || return 0
  for pidfile in "$dir"/node-*.pid; do
    [ -f "$pidfile" ] && kill "$(cat "$pidfile")" 2>/dev/null || true
  done
}

case "${1:-}" in
  start) start "${2:?usage: $0 start DIR}" ;;
  stop) stop "${2:?usage: $0 stop DIR}" ;;
  *) echo "usage: $0 start|stop DIR" >&2; exit 2 ;;
esac
