#!/usr/bin/env bash
# Start the action server (:5055), the Rasa server (:5005, REST channel) and the web app
# (:8080, web chat and agent console); stop them all on exit.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
model=$(scripts/train.sh)
mkdir -p var/log
# Demo customer managers, one per district, so bookings are assigned (idempotent; real managers
# are managed with `python -m bot.orders managers`).
"$PY" -m bot.orders demo >/dev/null
RASA_PORT="${RASA_PORT:-5005}" ACTIONS_PORT="${ACTIONS_PORT:-5055}"
# Rasa runs with its HTTP API (--enable-api: conversations, events, the model), so it listens on
# 127.0.0.1 unless BANDIAN_RASA_HOST says otherwise, and another interface needs BANDIAN_RASA_TOKEN
# (--auth-token; the REST and WeChat webhooks need no token). Read by bot/settings.py (env, then .env).
listen=$("$PY" -m bot.settings rasa-listen)
rasa_host=$(sed -n 1p <<<"$listen") rasa_token=$(sed -n 2p <<<"$listen")
rasa_auth=()
if [ -n "$rasa_token" ]; then rasa_auth=(--auth-token "$rasa_token"); fi
case "$rasa_host" in  # where this machine reaches it
  0.0.0.0|::) rasa_here=localhost ;;
  \[*) rasa_here=$rasa_host ;;
  *:*) rasa_here="[$rasa_host]" ;;
  *) rasa_here=$rasa_host ;;
esac
export ACTIONS_URL="http://127.0.0.1:$ACTIONS_PORT/webhook"
export BANDIAN_WEB_PORT="${BANDIAN_WEB_PORT:-8080}" BANDIAN_RASA_URL="${BANDIAN_RASA_URL:-http://$rasa_here:$RASA_PORT}"
WEB_PORT=$BANDIAN_WEB_PORT

pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT INT TERM

# The action server runs any action for whoever calls it (it writes orders): loopback only, where Rasa
# calls it (rasa_sdk reads its interface from SANIC_HOST; default 0.0.0.0).
SANIC_HOST=127.0.0.1 "$RASA" run actions --actions actions --port "$ACTIONS_PORT" >var/log/actions.log 2>&1 &
pids+=($!)
"$RASA" run --model "$model" --enable-api "${rasa_auth[@]}" --interface "$rasa_host" --port "$RASA_PORT" \
  --cors "*" --credentials credentials.yml --endpoints endpoints.yml >var/log/rasa.log 2>&1 &
pids+=($!)
"$PY" -m bot.web >var/log/web.log 2>&1 &
pids+=($!)

echo "starting (logs in var/log/) ..."
for _ in $(seq 1 180); do
  if curl -fs --get --data-urlencode "token=$rasa_token" "http://$rasa_here:$RASA_PORT/status" >/dev/null 2>&1 \
     && curl -fs "http://127.0.0.1:$ACTIONS_PORT/health" >/dev/null 2>&1 \
     && curl -fs "http://127.0.0.1:$WEB_PORT/healthz" >/dev/null 2>&1; then
    cat <<MSG

办电助手 is running.
  web chat:      http://localhost:$WEB_PORT/
  agent console: http://localhost:$WEB_PORT/agent   (user: ${BANDIAN_CONSOLE_USER:-admin})
  REST channel:  POST http://$rasa_here:$RASA_PORT/webhooks/rest/webhook
  try:           curl -s $rasa_here:$RASA_PORT/webhooks/rest/webhook -d '{"sender":"me","message":"枣庄10千伏双电源办电要多久"}'
  terminal chat: make shell        (in another terminal)
Press Ctrl+C to stop.
MSG
    grep -h "初始密码" var/log/web.log 2>/dev/null || true
    wait -n "${pids[@]}"
    echo "a server stopped; see var/log/" >&2
    exit 1
  fi
  for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null || { echo "server failed to start; see var/log/" >&2; tail -20 var/log/*.log >&2; exit 1; }; done
  sleep 1
done
echo "servers did not become ready in time; see var/log/" >&2
exit 1
