#!/usr/bin/env bash
# PostgreSQL on loopback for the real-services tests: `postgres.sh start|stop`.
# The machine's server binaries (Debian's postgresql package, installed here when missing and run as root);
# initdb refuses root, so the cluster belongs to the `postgres` user. Password auth (SCRAM) over TCP, as
# RDS, Cloud SQL and CloudNativePG do. Writes postgres.env: MLSTACK_POSTGRES_URI and the libpq PG* variables.
source "$(dirname "$0")/lib.sh"
DIR="$SERVICES_DIR/postgres"

bindir() {
  local d
  d="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n1)"
  [[ -n "$d" && -x "$d/initdb" ]] && echo "$d"
}

as_owner() {  # runs a server binary as the postgres user when we are root
  if [[ "$(id -u)" == 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi
}

start() {
  if [[ -f "$SERVICES_DIR/postgres.env" ]] && pg_isready -q -h 127.0.0.1 -p "$(env_value postgres PGPORT)"; then
    say "postgres: already running on port $(env_value postgres PGPORT)"; return 0
  fi
  local bin
  bin="$(bindir || true)"
  if [[ -z "$bin" ]]; then
    [[ "$(id -u)" == 0 ]] && command -v apt-get >/dev/null || die "postgres: no server binaries and cannot install them"
    say "postgres: installing the OS package"
    (apt-get install -y -q postgresql >/dev/null 2>&1 || { apt-get update -q >/dev/null && apt-get install -y -q postgresql >/dev/null; }) \
      || die "postgres: apt-get install postgresql failed"
    bin="$(bindir)" || die "postgres: installed, but no initdb under /usr/lib/postgresql"
  fi
  rm -rf "$DIR"
  mkdir -p "$DIR/socket"
  local password port
  password="$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')"
  port="$(free_port)"
  printf '%s\n' "$password" >"$DIR/pwfile"
  chmod 600 "$DIR/pwfile"
  [[ "$(id -u)" == 0 ]] && chown -R postgres: "$DIR"
  as_owner "$bin/initdb" -D "$DIR/data" -U postgres --pwfile="$DIR/pwfile" --auth-host=scram-sha-256 \
    --auth-local=scram-sha-256 -E UTF8 --no-locale >"$DIR/initdb.log" 2>&1 || { cat "$DIR/initdb.log" >&2; die "postgres: initdb failed"; }
  rm -f "$DIR/pwfile"
  as_owner "$bin/pg_ctl" -D "$DIR/data" -l "$DIR/server.log" -w -t 60 \
    -o "-c listen_addresses=127.0.0.1 -p $port -k $DIR/socket -c fsync=off -c max_connections=200" start >/dev/null \
    || { cat "$DIR/server.log" >&2; die "postgres: server did not start"; }
  write_env postgres \
    "PGHOST=127.0.0.1" "PGPORT=$port" "PGUSER=postgres" "PGPASSWORD=$password" "PGDATABASE=postgres" \
    "MLSTACK_POSTGRES_URI=postgresql://postgres:$password@127.0.0.1:$port/postgres" "MLSTACK_POSTGRES_BIN=$bin"
  say "postgres: $("$bin/postgres" --version) on 127.0.0.1:$port"
}

stop() {
  local bin
  bin="$(bindir || true)"
  if [[ -n "$bin" && -d "$DIR/data" ]]; then
    as_owner "$bin/pg_ctl" -D "$DIR/data" -m fast -w -t 30 stop >/dev/null 2>&1 || true
  fi
  rm -rf "$DIR" "$SERVICES_DIR/postgres.env"
}

case "${1:-}" in start) start ;; stop) stop ;; *) die "usage: $0 start|stop" ;; esac
