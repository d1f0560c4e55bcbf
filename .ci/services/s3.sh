#!/usr/bin/env bash
# An S3 API on loopback for the real-services tests: moto in server mode (`s3.sh start|stop`).
# Any access key is accepted; Secrets Manager is served on the same port (the AWS DB credentials hook
# reads the rotating password from it). Writes s3.env: MLSTACK_S3_ENDPOINT_URL and AWS_* variables.
source "$(dirname "$0")/lib.sh"
DIR="$SERVICES_DIR/s3"

start() {
  if [[ -f "$SERVICES_DIR/s3.env" ]] && curl -fsS -o /dev/null "$(env_value s3 MLSTACK_S3_ENDPOINT_URL)/moto-api/"; then
    say "s3: already running at $(env_value s3 MLSTACK_S3_ENDPOINT_URL)"; return 0
  fi
  "$PY" -c 'import moto.server' 2>/dev/null || die "s3: moto[server] is not installed in $PY (pip install -e '.[test]')"
  rm -rf "$DIR"
  mkdir -p "$DIR"
  local port url
  port="$(free_port)"
  url="http://127.0.0.1:$port"
  setsid "$PY" -m moto.server -H 127.0.0.1 -p "$port" >"$DIR/server.log" 2>&1 </dev/null &
  echo $! >"$DIR/pid"
  wait_until 60 curl -fsS -o /dev/null "$url/moto-api/" || { cat "$DIR/server.log" >&2; stop_pid "$DIR/pid"; die "s3: moto did not answer"; }
  write_env s3 "MLSTACK_S3_ENDPOINT_URL=$url" "AWS_ACCESS_KEY_ID=mlstack-test" "AWS_SECRET_ACCESS_KEY=mlstack-test-secret" \
    "AWS_DEFAULT_REGION=us-east-1" "MLSTACK_S3_PID=$(cat "$DIR/pid")"
  say "s3: moto $("$PY" -c 'import moto; print(moto.__version__)') at $url"
}

stop() {
  stop_pid "$DIR/pid"
  rm -rf "$DIR" "$SERVICES_DIR/s3.env"
}

case "${1:-}" in start) start ;; stop) stop ;; *) die "usage: $0 start|stop" ;; esac
