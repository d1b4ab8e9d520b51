#!/usr/bin/env bash
# Our own PostgreSQL cluster for the integration tests and development: a private data folder under
# .cache/services/postgres, owned by the `postgres` user (the server refuses to run as root), listening
# on 127.0.0.1 only, on a free port, with fsync on. Never the system cluster.
#   infra/postgres.sh start    install when missing, initdb once, start (or reuse the running one), write postgres.env
#   infra/postgres.sh stop     shut it down
#   infra/postgres.sh status   exit 0 when it accepts connections
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/.." && pwd)"
state="$root/.cache/services"
dir="$state/postgres"
portfile="$dir/port"
pwfile="$dir/password"
envfile="$state/postgres.env"
mkdir -p "$dir"

# The server runs as `postgres`, which must reach its folders: when the checkout is private (e.g. under
# /root), the cluster lives in a per-checkout folder under /tmp instead. Call after the user exists.
choose_dirs() {
  pgdir="$dir"
  if id postgres >/dev/null 2>&1 && ! runuser -u postgres -- test -x "$dir" 2>/dev/null; then
    pgdir="${TMPDIR:-/tmp}/forge-postgres-$(printf '%s' "$root" | sha1sum | cut -c1-12)"
    mkdir -p "$pgdir"
  fi
  data="$pgdir/data"
  sockdir="$pgdir/run"
  log="$pgdir/postgres.log"
}

free_port() {
  node -e "const s=require('net').createServer();s.listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})"
}

bindir() {
  local d
  d="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)"
  [ -n "$d" ] && [ -x "$d/initdb" ] && echo "$d"
}

# Runs a command as the postgres user, from a folder it can read.
as_pg() {
  (cd / && runuser -u postgres -- "$@")
}

install() {
  bindir >/dev/null && return 0
  echo "postgres: installing postgresql" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq postgresql > /dev/null
  # The package may start a system cluster where an init system exists; we run our own.
  if command -v systemctl >/dev/null 2>&1; then systemctl disable --now postgresql >/dev/null 2>&1 || true; fi
  bindir >/dev/null || { echo "postgres: no server binaries under /usr/lib/postgresql/*/bin after install" >&2; exit 1; }
}

ensure_user() {
  id postgres >/dev/null 2>&1 && return 0
  useradd --system --home-dir /var/lib/postgresql --shell /bin/bash postgres
}

ready() {
  [ -f "$portfile" ] || return 1
  "$(bindir)/pg_isready" -q -h 127.0.0.1 -p "$(cat "$portfile")" 2>/dev/null
}

running() {
  [ -f "$data/postmaster.pid" ] && as_pg "$(bindir)/pg_ctl" -D "$data" status >/dev/null 2>&1
}

write_env() {
  local pw; pw="$(cat "$pwfile")"
  echo "FORGE_TEST_DATABASE_URL=postgres://postgres:${pw}@127.0.0.1:$(cat "$portfile")/postgres" > "$envfile"
}

init_cluster() {
  [ -f "$data/PG_VERSION" ] && return 0
  rm -rf "$data"
  mkdir -p "$data"
  # A random password for the superuser; local connections need it (scram), the socket is private.
  [ -s "$pwfile" ] || node -e "process.stdout.write(require('crypto').randomBytes(18).toString('hex'))" > "$pwfile"
  chmod 600 "$pwfile"
  local tmp_pw; tmp_pw="$(mktemp)"
  cp "$pwfile" "$tmp_pw"; chown postgres "$tmp_pw"
  chown postgres:postgres "$data"; chmod 700 "$data"
  as_pg "$(bindir)/initdb" -D "$data" -U postgres --pwfile="$tmp_pw" --auth-host=scram-sha-256 --auth-local=trust \
    -E UTF8 --locale=C.UTF-8 > "$dir/initdb.log" 2>&1 || { rm -f "$tmp_pw"; cat "$dir/initdb.log" >&2; exit 1; }
  rm -f "$tmp_pw"
  cat >> "$data/postgresql.conf" <<EOF

# Fundus Forge test cluster
listen_addresses = '127.0.0.1'
fsync = on
synchronous_commit = on
max_connections = 200
# One forgotten open transaction holds every event-store reader back (they read below the snapshot xmin).
idle_in_transaction_session_timeout = '60s'
shared_buffers = '128MB'
EOF
}

start() {
  local t0; t0=$(date +%s%N)
  install
  ensure_user
  choose_dirs
  if running && ready; then
    write_env
    echo "postgres: already running on 127.0.0.1:$(cat "$portfile")"
    return 0
  fi
  init_cluster
  mkdir -p "$sockdir"; chown postgres:postgres "$sockdir" "$pgdir"
  touch "$log"; chown postgres "$log"
  local port; port="$(free_port)"
  echo "$port" > "$portfile"
  if ! as_pg "$(bindir)/pg_ctl" -D "$data" -l "$log" -w -t 60 \
      -o "-p $port -k $sockdir -c listen_addresses=127.0.0.1" start >/dev/null; then
    echo "postgres: did not start on 127.0.0.1:$port; log: $log" >&2
    tail -n 20 "$log" >&2 || true
    exit 1
  fi
  for _ in $(seq 1 100); do ready && break; sleep 0.1; done
  if ! ready; then
    echo "postgres: not accepting connections on 127.0.0.1:$port; log: $log" >&2
    tail -n 20 "$log" >&2 || true
    exit 1
  fi
  write_env
  echo "postgres: started on 127.0.0.1:$port in $(( ($(date +%s%N) - t0) / 1000000 )) ms"
}

stop() {
  if bindir >/dev/null && running; then
    as_pg "$(bindir)/pg_ctl" -D "$data" -m fast -w -t 60 stop >/dev/null
    echo "postgres: stopped"
  else
    echo "postgres: not running"
  fi
}

status() {
  if bindir >/dev/null && running && ready; then
    echo "postgres: running on 127.0.0.1:$(cat "$portfile")"
  else
    echo "postgres: not running"
    return 1
  fi
}

case "${1:-}" in
  start) start ;;
  stop) choose_dirs; stop ;;
  status) choose_dirs; status ;;
  *) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac
