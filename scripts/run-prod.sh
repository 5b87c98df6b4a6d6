#!/usr/bin/env bash
# The production profile on one machine (`make run-prod`): PostgreSQL, Redis and nginx
# (scripts/prod-services.sh), then 2 action servers, 2 Rasa replicas (conversations in
# PostgreSQL, conversation locks in Redis: deploy/endpoints.prod.yml) and 2 web apps, all behind
# nginx on 127.0.0.1:6080 (ports in deploy/local.sh), scraped by Prometheus (127.0.0.1:6095). Stops
# everything it started on exit (Ctrl+C); PROD_KEEP_SERVICES=1 leaves PostgreSQL, Redis, nginx and
# Prometheus running for the next start.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/env.sh
source scripts/env.sh
# shellcheck source=deploy/local.sh
source deploy/local.sh
LOG_DIR="$PROD_DIR/log"
READY_TIMEOUT="${PROD_READY_TIMEOUT:-300}"  # seconds; a Rasa replica alone needs 40-60 s to load
ENDPOINTS="${PROD_ENDPOINTS:-deploy/endpoints.prod.yml}"
mkdir -p "$LOG_DIR"

model=$(scripts/train.sh)

names=()
pids=()
services_started=""
# shellcheck disable=SC2317  # run by the EXIT trap
cleanup() {
  trap - EXIT INT TERM
  local pid alive _
  if [ "${#pids[@]}" -gt 0 ]; then
    echo "stopping the replicas ..." >&2
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    for _ in $(seq 1 40); do
      alive=0
      for pid in "${pids[@]}"; do if kill -0 "$pid" 2>/dev/null; then alive=1; fi; done
      [ "$alive" = 0 ] && break
      sleep 0.5
    done
    for pid in "${pids[@]}"; do kill -KILL "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
  fi
  if [ -n "$services_started" ] && [ "${PROD_KEEP_SERVICES:-0}" != 1 ]; then
    scripts/prod-services.sh stop >&2 || true
  fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
for port in $PROD_RASA_PORTS $PROD_ACTIONS_PORTS $(actions_metrics_ports) $PROD_WEB_PORTS; do
  if port_in_use "$port"; then
    echo "port $port is already in use (another run-prod still running? see deploy/local.sh to change ports)" >&2
    exit 1
  fi
done

services_started=1
scripts/prod-services.sh start
load_prod_env
if [ -z "${BANDIAN_ACTIONS_TOKEN:-}" ]; then
  echo "no BANDIAN_ACTIONS_TOKEN (environment or $PROD_SECRETS): the action servers need their token" >&2
  exit 1
fi

# The database migrated to head (bot/store/migrations; a database made before migrations is adopted
# with its rows) and the console admin, once, before any replica starts, then the demo customer
# managers. The replicas check the schema again when they start (one query at head; an advisory
# lock if they had to upgrade), so a failed migration stops the start here, loudly.
"$PY" deploy/init_db.py
"$PY" -m bot.orders demo >/dev/null

start() {  # NAME COMMAND... (output to $LOG_DIR/NAME.log)
  local name=$1
  shift
  "$@" >"$LOG_DIR/$name.log" 2>&1 &
  names+=("$name")
  pids+=($!)
}

echo "starting $(wc -w <<<"$PROD_ACTIONS_PORTS") action servers, $(wc -w <<<"$PROD_RASA_PORTS") Rasa replicas" \
     "and $(wc -w <<<"$PROD_WEB_PORTS") web apps with $model (logs in $LOG_DIR/) ..."
# Each action server exports its metrics on a port of its own (actions/metrics.py), its port + the offset.
# They run any action for whoever calls them with their token (BANDIAN_ACTIONS_TOKEN from $PROD_SECRETS,
# which Rasa sends: deploy/endpoints.prod.yml; every other call is refused, bot/action_token.py) and listen
# on PROD_ACTIONS_HOST, loopback unless configured otherwise (rasa_sdk's own default is 0.0.0.0).
for port in $PROD_ACTIONS_PORTS; do
  start "actions-$port" env SANIC_HOST="$PROD_ACTIONS_HOST" \
    BANDIAN_ACTIONS_METRICS_PORT=$((port + PROD_METRICS_PORT_OFFSET)) \
    "$RASA" run actions --actions actions --port "$port"
done
for port in $PROD_RASA_PORTS; do
  start "rasa-$port" "$RASA" run --model "$model" --interface 127.0.0.1 --port "$port" \
    --enable-api --auth-token "$RASA_TOKEN" \
    --endpoints "$ENDPOINTS" --credentials credentials.yml
done
for port in $PROD_WEB_PORTS; do
  start "web-$port" env BANDIAN_WEB_PORT="$port" "$PY" -m bot.web
done

ok() { curl -fsS -o /dev/null --max-time 5 "$1" 2>/dev/null; }
ready() {
  local port
  # /readyz: the replica answers and so does its database (SELECT 1 through bot/store)
  for port in $PROD_ACTIONS_PORTS; do ok "http://127.0.0.1:$port/readyz" || return 1; done
  for port in $(actions_metrics_ports); do ok "http://127.0.0.1:$port/metrics" || return 1; done
  for port in $PROD_RASA_PORTS; do ok "http://127.0.0.1:$port/status?token=$RASA_TOKEN" || return 1; done
  for port in $PROD_WEB_PORTS; do ok "http://127.0.0.1:$port/readyz" || return 1; done
  ok "$BANDIAN_PROD_URL/healthz" && ok "$BANDIAN_PROD_URL/status?token=$RASA_TOKEN"
}

started=$SECONDS
until ready; do
  for i in "${!pids[@]}"; do
    if ! kill -0 "${pids[$i]}" 2>/dev/null; then
      echo "${names[$i]} failed to start; the end of $LOG_DIR/${names[$i]}.log:" >&2
      tail -30 "$LOG_DIR/${names[$i]}.log" >&2
      exit 1
    fi
  done
  if [ $((SECONDS - started)) -ge "$READY_TIMEOUT" ]; then
    echo "not ready after ${READY_TIMEOUT}s; see $LOG_DIR/" >&2
    exit 1
  fi
  sleep 1
done

cat <<MSG

办电助手 (production profile) is running — ready in $((SECONDS - started)) s.
  web chat:       $BANDIAN_PROD_URL/
  agent console:  $BANDIAN_PROD_URL/agent   (user: $BANDIAN_CONSOLE_USER, password: BANDIAN_CONSOLE_PASSWORD in $PROD_SECRETS)
  REST channel:   POST $BANDIAN_PROD_URL/webhooks/rest/webhook
  Rasa HTTP API:  $BANDIAN_PROD_URL/conversations/<id>/tracker?token=\$RASA_TOKEN   (token in $PROD_SECRETS)
  replicas:       Rasa :${PROD_RASA_PORTS// /, :}  actions :${PROD_ACTIONS_PORTS// /, :}  web :${PROD_WEB_PORTS// /, :}
  stores:         PostgreSQL 127.0.0.1:$PROD_PG_PORT ($APP_DATABASE, $DB_DATABASE), Redis 127.0.0.1:$PROD_REDIS_PORT
  metrics:        web :${PROD_WEB_PORTS// /, :} /metrics, actions :$(actions_metrics_ports | sed 's/ /, :/g') /metrics;
                  Prometheus http://127.0.0.1:$PROD_PROMETHEUS_PORT (dashboard: deploy/grafana/bandian-dashboard.json)
  try:            curl -si $BANDIAN_PROD_URL/webhooks/rest/webhook -d '{"sender":"me","message":"枣庄10千伏双电源办电要多久"}'
Press Ctrl+C to stop.
MSG

set +e
wait -n "${pids[@]}"
set -e
for i in "${!pids[@]}"; do
  if ! kill -0 "${pids[$i]}" 2>/dev/null; then echo "${names[$i]} stopped; see $LOG_DIR/${names[$i]}.log" >&2; fi
done
exit 1
