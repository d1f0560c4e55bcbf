# Shared by the service scripts (sourced, not run): where connection info goes, a free loopback port,
# bounded waits. Contract (docs/real-services.md): `<service>.sh start|stop` writes or removes
# ${MLSTACK_SERVICES_DIR:-/tmp/mlstack-services}/<service>.env, KEY=VALUE lines a shell or pytest can read.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
SERVICES_DIR="${MLSTACK_SERVICES_DIR:-/tmp/mlstack-services}"
PY="${MLSTACK_PYTHON:-$ROOT/.venv/bin/python}"
mkdir -p "$SERVICES_DIR"
chmod 755 "$SERVICES_DIR"

say() { echo "[services] $*" >&2; }
die() { say "$*"; exit 1; }

# A port the kernel picked for a socket bound to port 0 on loopback, released for the server to take.
free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

# wait_until SECONDS CMD...: runs CMD every 0.5 s until it succeeds; fails after SECONDS.
wait_until() {
  local limit=$1; shift
  local tries=$((limit * 2))
  for ((i = 0; i < tries; i++)); do
    if "$@" >/dev/null 2>&1; then return 0; fi
    sleep 0.5
  done
  return 1
}

# write_env NAME KEY=VALUE...: the connection file, written whole (temp file + rename), mode 600.
write_env() {
  local name=$1; shift
  local tmp
  tmp="$(mktemp "$SERVICES_DIR/.$name.env.XXXXXX")"
  printf '%s\n' "$@" >"$tmp"
  chmod 600 "$tmp"
  mv -f "$tmp" "$SERVICES_DIR/$name.env"
}

# env_value NAME KEY: one value of a service's connection file.
env_value() {
  sed -n "s/^$2=//p" "$SERVICES_DIR/$1.env" 2>/dev/null | head -n1
}

# stop_pid FILE: TERM the process group the pid file names, KILL it after 10 s; removes the file.
stop_pid() {
  local file=$1 pid
  [[ -f "$file" ]] || return 0
  pid="$(cat "$file")"
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < 20; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
    kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -f "$file"
}
