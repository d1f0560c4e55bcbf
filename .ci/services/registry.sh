#!/usr/bin/env bash
# A distribution registry on loopback for the digest-resolution tests: Debian's `docker-registry`
# (`registry.sh start|stop`). Installs the package with apt-get when it is missing and we are root.
# No authentication (loopback only, a throwaway storage folder). Writes registry.env:
# MLSTACK_REGISTRY_URL (http://127.0.0.1:PORT), MLSTACK_REGISTRY_HOST (127.0.0.1:PORT), MLSTACK_REGISTRY_PID.
set -euo pipefail
SERVICES_DIR="${MLSTACK_SERVICES_DIR:-/tmp/mlstack-services}"
DIR="$SERVICES_DIR/registry"
mkdir -p "$SERVICES_DIR"

say() { echo "[services] $*" >&2; }
die() { say "$*"; exit 1; }
answers() { python3 - "$1" <<'PY'
import sys, urllib.request
try:
    with urllib.request.urlopen(sys.argv[1] + "/v2/", timeout=2) as r:
        sys.exit(0 if r.status == 200 else 1)
except Exception:
    sys.exit(1)
PY
}

start() {
  if [[ -f "$SERVICES_DIR/registry.env" ]]; then
    local url; url="$(sed -n 's/^MLSTACK_REGISTRY_URL=//p' "$SERVICES_DIR/registry.env")"
    if answers "$url"; then say "registry: already running at $url"; return 0; fi
  fi
  if ! command -v docker-registry >/dev/null 2>&1; then
    [[ "$(id -u)" == 0 ]] || die "registry: docker-registry is not installed (apt-get install docker-registry)"
    say "registry: installing Debian's docker-registry"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q docker-registry >/dev/null 2>&1 \
      || { apt-get update -qq >/dev/null 2>&1 && DEBIAN_FRONTEND=noninteractive apt-get install -y -q docker-registry >/dev/null; } \
      || die "registry: apt-get install docker-registry failed"
  fi
  rm -rf "$DIR"
  mkdir -p "$DIR/data"
  local port url
  port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')"
  url="http://127.0.0.1:$port"
  cat >"$DIR/config.yml" <<YAML
version: 0.1
log:
  level: warn
storage:
  filesystem:
    rootdirectory: $DIR/data
  delete:
    enabled: true
http:
  addr: 127.0.0.1:$port
YAML
  setsid docker-registry serve "$DIR/config.yml" >"$DIR/server.log" 2>&1 </dev/null &
  echo $! >"$DIR/pid"
  for _ in $(seq 1 60); do answers "$url" && break; sleep 0.5; done
  answers "$url" || { cat "$DIR/server.log" >&2; stop; die "registry: docker-registry did not answer at $url"; }
  local tmp; tmp="$(mktemp "$SERVICES_DIR/.registry.env.XXXXXX")"
  printf '%s\n' "MLSTACK_REGISTRY_URL=$url" "MLSTACK_REGISTRY_HOST=127.0.0.1:$port" "MLSTACK_REGISTRY_PID=$(cat "$DIR/pid")" >"$tmp"
  chmod 600 "$tmp"; mv -f "$tmp" "$SERVICES_DIR/registry.env"
  say "registry: docker-registry $(dpkg-query -W -f='${Version}' docker-registry 2>/dev/null || echo '?') at $url"
}

stop() {
  if [[ -f "$DIR/pid" ]]; then
    local pid; pid="$(cat "$DIR/pid")"
    if kill -0 "$pid" 2>/dev/null; then
      kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
      for _ in $(seq 1 20); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
      kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
    fi
  fi
  rm -rf "$DIR" "$SERVICES_DIR/registry.env"
}

case "${1:-}" in start) start ;; stop) stop ;; *) die "usage: $0 start|stop" ;; esac
