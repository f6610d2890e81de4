#!/usr/bin/env bash
# Starts and stops a throwaway ejabberd 23.01 (Debian package) for Parley's benchmarks.
#
#   bench/peers/ejabberd/ejabberd.sh start DIR   # DIR: a new or empty directory
#       prints: peer listening on http://127.0.0.1:PORT pid PID
#   bench/peers/ejabberd/ejabberd.sh stop DIR
#
# Everything lives under DIR (config, Mnesia spool, logs, pid file); the HTTP listener (/ws,
# /api) and the Erlang distribution port are free loopback ports, and no epmd is started
# (ERL_DIST_PORT), so several can run side by side. ejabberd runs as the `ejabberd` user, so
# DIR is handed to it. Stop is `ejabberdctl stop`, then a wait for that PID to exit.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
cmd="${1:-}"; dir="${2:-}"
[ -n "$cmd" ] && [ -n "$dir" ] || { echo "usage: $0 start|stop DIR" >&2; exit 2; }
command -v ejabberdctl >/dev/null || { echo "ejabberd is not installed: scripts/install-deps.sh --bench" >&2; exit 1; }

free_port() {
  /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# ejabberdctl's own `su` to the ejabberd user goes through PAM, which resets the open-file
# limit to 1024: ejabberd then refuses connections past ~980 sockets. As root, switch user with
# setpriv instead (no PAM), after raising the soft limit to the hard one.
ulimit -n "$(ulimit -Hn)"
as_ejabberd=()
if [ "$(id -u)" -eq 0 ]; then
  as_ejabberd=(setpriv --reuid ejabberd --regid ejabberd --init-groups env HOME=/var/lib/ejabberd)
fi
ctl() { "${as_ejabberd[@]}" ejabberdctl --ctl-config "$dir/ejabberdctl.cfg" --config "$dir/ejabberd.yml" \
          --spool "$dir/spool" --logs "$dir/logs" "$@"; }

case "$cmd" in
  start)
    mkdir -p "$dir/spool" "$dir/logs"
    dir="$(cd "$dir" && pwd)"
    port="$(free_port)"; dist="$(free_port)"
    sed -e "s/@PORT@/$port/" -e "s/@HOST@/localhost/" "$HERE/ejabberd.yml.in" > "$dir/ejabberd.yml"
    cat > "$dir/ejabberdctl.cfg" <<CFG
ERLANG_NODE=bench$port@localhost
ERL_DIST_PORT=$dist
INET_DIST_INTERFACE=127.0.0.1
ERL_EPMD_ADDRESS=127.0.0.1
POLL=true
ERL_MAX_PORTS=65536
ERL_PROCESSES=1000000
ERL_OPTIONS="-env ERL_CRASH_DUMP_BYTES 0"
EJABBERD_PID_PATH=$dir/ejabberd.pid
CFG
    chown -R ejabberd: "$dir"
    chmod 755 "$dir"
    ctl start
    # Up within 60 s, or gone (a bad config stops the VM): `status` says which.
    for _ in $(seq 120); do
      pid="$(cat "$dir/ejabberd.pid" 2>/dev/null || true)"
      if [ -n "$pid" ] && ! kill -0 "$pid" 2>/dev/null; then break; fi
      if ctl status >/dev/null 2>&1; then ok=1; break; fi
      sleep 0.5
    done
    if [ -z "${ok:-}" ]; then
      echo "ejabberd did not start; see $dir/logs:" >&2; tail -n 5 "$dir/logs/ejabberd.log" >&2
      exit 1
    fi
    for _ in $(seq 100); do pid="$(cat "$dir/ejabberd.pid" 2>/dev/null || true)"; [ -n "$pid" ] && break; sleep 0.1; done
    [ -n "$pid" ] || { echo "ejabberd wrote no pid file" >&2; exit 1; }
    echo "peer listening on http://127.0.0.1:$port pid $pid"
    ;;
  stop)
    dir="$(cd "$dir" && pwd)"
    pid="$(cat "$dir/ejabberd.pid" 2>/dev/null || true)"
    ctl stop >/dev/null 2>&1 || true
    if [ -n "$pid" ]; then
      for _ in $(seq 150); do kill -0 "$pid" 2>/dev/null || exit 0; sleep 0.1; done
      kill "$pid" 2>/dev/null || true
    fi
    ;;
  *) echo "usage: $0 start|stop DIR" >&2; exit 2 ;;
esac
