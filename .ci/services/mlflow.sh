#!/usr/bin/env bash
# MLflow on loopback for the real-services tests: `mlflow.sh start|stop [NAME]` (NAME default `mlflow`;
# a second name gives a second server, e.g. for `mlstack model promote` between two environments;
# `--db-secret` binds the database as on AWS: no password in the URI, the rotating one in Secrets Manager).
# Needs postgres.sh and s3.sh started. The server is the platform layer's own render of the MLflow
# Deployment (command, arguments, environment, auth configuration), run as a local process with only its
# listen address, port and mount paths changed (tests/real_services/localpod.py). Writes NAME.env.
source "$(dirname "$0")/lib.sh"
NAME="${2:-mlflow}"
[[ "$NAME" =~ ^[a-z][a-z0-9-]*$ ]] || die "mlflow: bad instance name $NAME"
"$PY" -c 'import mlflow.server.auth, psycopg, boto3' 2>/dev/null \
  || die "mlflow: mlflow[auth], psycopg and boto3 are not installed in $PY (pip install -e '.[test]')"
cd "$ROOT"
export MLSTACK_SERVICES_DIR="$SERVICES_DIR" PYTHONPATH="$ROOT/tests"
case "${1:-}" in
  start) exec "$PY" -m real_services.launch mlflow start "$NAME" "${@:3}" ;;
  stop) exec "$PY" -m real_services.launch mlflow stop "$NAME" ;;
  *) die "usage: $0 start|stop [NAME]" ;;
esac
