#!/usr/bin/env bash
# Our own Redis instance for the integration tests: a private config and data folder under
# .cache/services/redis, bound to 127.0.0.1 on a free port; never the system service.
#   infra/redis.sh start    install when missing, start (or reuse the running one), write redis.env
#   infra/redis.sh stop     shut it down (Redis writes its append-only file on the way out)
#   infra/redis.sh restart  stop, then start again on the same port with the same data folder
#   infra/redis.sh status   exit 0 when it answers PING
# Persistence is the append-only file (fsync every second): BullMQ jobs survive a restart.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/.." && pwd)"
state="$root/.cache/services"
dir="$state/redis"
conf="$dir/redis.conf"
pidfile="$dir/redis.pid"
portfile="$dir/port"
envfile="$state/redis.env"
mkdir -p "$dir"

free_port() {
  node -e "const s=require('net').createServer();s.listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})"
}

running_pid() {
  [ -f "$pidfile" ] || return 1
  local pid; pid="$(cat "$pidfile")"
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && echo "$pid"
}

answers() {
  [ -f "$portfile" ] && redis-cli -h 127.0.0.1 -p "$(cat "$portfile")" ping 2>/dev/null | grep -q PONG
}

write_env() {
  echo "FORGE_TEST_REDIS_URL=redis://127.0.0.1:$(cat "$portfile")" > "$envfile"
}

install() {
  command -v redis-server >/dev/null 2>&1 && return 0
  echo "redis: installing redis-server" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq redis-server > /dev/null
  # The package may start a system instance where an init system exists; we run our own.
  if command -v systemctl >/dev/null 2>&1; then systemctl disable --now redis-server >/dev/null 2>&1 || true; fi
}

start() {
  local t0; t0=$(date +%s%N)
  install
  if running_pid >/dev/null && answers; then
    write_env
    echo "redis: already running on 127.0.0.1:$(cat "$portfile")"
    return 0
  fi
  # A restart keeps its port (clients reconnect to the address they know); a first start takes a free one.
  local port
  if [ "${keep_port:-0}" = 1 ] && [ -f "$portfile" ]; then port="$(cat "$portfile")"; else port="$(free_port)"; fi
  echo "$port" > "$portfile"
  cat > "$conf" <<EOF
bind 127.0.0.1
port $port
protected-mode yes
daemonize yes
pidfile $pidfile
dir $dir
logfile $dir/redis.log
save ""
appendonly yes
appendfsync everysec
# BullMQ requires that Redis never evicts its keys.
maxmemory-policy noeviction
EOF
  redis-server "$conf"
  for _ in $(seq 1 100); do
    answers && break
    sleep 0.1
  done
  if ! answers; then
    echo "redis: did not answer on 127.0.0.1:$port; log: $dir/redis.log" >&2
    tail -n 20 "$dir/redis.log" >&2 || true
    exit 1
  fi
  write_env
  echo "redis: started on 127.0.0.1:$port in $(( ($(date +%s%N) - t0) / 1000000 )) ms"
}

stop() {
  local pid
  if pid="$(running_pid)"; then
    kill "$pid"
    for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    if kill -0 "$pid" 2>/dev/null; then kill -9 "$pid" 2>/dev/null || true; fi
    echo "redis: stopped"
  else
    echo "redis: not running"
  fi
  rm -f "$pidfile"
}

status() {
  if running_pid >/dev/null && answers; then
    echo "redis: running on 127.0.0.1:$(cat "$portfile")"
  else
    echo "redis: not running"
    return 1
  fi
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  restart) stop; keep_port=1 start ;;
  status) status ;;
  *) echo "usage: $0 start|stop|restart|status" >&2; exit 2 ;;
esac
