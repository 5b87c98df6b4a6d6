# The one-machine production topology of `make run-prod` / `make test-scale` (sourced by
# scripts/prod-services.sh, scripts/run-prod.sh and scripts/test-scale.sh, not run).
# Everything listens on 127.0.0.1; every value can be overridden from the environment.
# shellcheck shell=bash

: "${PROD_DIR:=$PWD/var/prod}"               # data, logs, pids, generated configs and secrets
: "${PROD_NGINX_PORT:=6080}"                 # the one public entry: web chat, console, Rasa channels
: "${PROD_ACTIONS_LB_PORT:=6090}"            # nginx, internal: Rasa -> action servers, web apps -> Rasa
: "${PROD_RASA_PORTS:=6005 6006}"            # Rasa Open Source replicas
: "${PROD_ACTIONS_PORTS:=6055 6056}"         # action servers ...
: "${PROD_ACTIONS_HOST:=127.0.0.1}"          # ... and their interface (SANIC_HOST; they need their token anyway)
: "${PROD_WEB_PORTS:=6081 6082}"             # web app replicas (python -m bot.web)
: "${PROD_PG_PORT:=6032}"                    # PostgreSQL (own cluster under $PROD_DIR/pg)
: "${PROD_REDIS_PORT:=6079}"                 # Redis (lock store), no persistence
: "${PROD_LIMIT_RATE:=10r/s}"                # nginx: chat messages per client address (web chat, REST) ...
: "${PROD_LIMIT_BURST:=100}"                 # ... and how many more at once before 429
: "${PROD_METRICS_PORT_OFFSET:=100}"         # action server N's Prometheus endpoint: its port + this (6155, 6156)
: "${PROD_PROMETHEUS_PORT:=6095}"            # Prometheus: scrapes the web apps and the action servers
: "${PROD_SCRAPE_INTERVAL:=15s}"             # ... this often,
: "${PROD_PROMETHEUS_RETENTION:=15d}"        # ... and keeps what it scraped this long
export PROD_DIR PROD_NGINX_PORT PROD_ACTIONS_LB_PORT PROD_RASA_PORTS PROD_ACTIONS_PORTS PROD_ACTIONS_HOST PROD_WEB_PORTS \
  PROD_PG_PORT PROD_REDIS_PORT PROD_LIMIT_RATE PROD_LIMIT_BURST PROD_METRICS_PORT_OFFSET PROD_PROMETHEUS_PORT \
  PROD_SCRAPE_INTERVAL PROD_PROMETHEUS_RETENTION

PROD_SECRETS="$PROD_DIR/secrets.env"

# The action servers' metrics ports (each one's port + PROD_METRICS_PORT_OFFSET), space-separated.
actions_metrics_ports() {
  local port out=""
  for port in $PROD_ACTIONS_PORTS; do out+="$((port + PROD_METRICS_PORT_OFFSET)) "; done
  echo "${out% }"
}

# Export the settings every process of the topology reads: the secrets (generated once into
# $PROD_SECRETS by `scripts/prod-services.sh start`; variables already set win), the database and
# Redis coordinates that deploy/endpoints.prod.yml substitutes, and the app's own settings.
load_prod_env() {
  local line key
  if [ ! -f "$PROD_SECRETS" ]; then
    echo "no $PROD_SECRETS: run scripts/prod-services.sh start first" >&2
    return 1
  fi
  while IFS= read -r line; do
    case "$line" in ''|'#'*) continue ;; esac
    key=${line%%=*}
    if [ -z "${!key:-}" ]; then export "$key=${line#*=}"; fi
  done <"$PROD_SECRETS"
  # PostgreSQL: conversations (Rasa's tracker store) and the app's tables in two databases
  export DB_HOST="${DB_HOST:-127.0.0.1}" DB_PORT="${DB_PORT:-$PROD_PG_PORT}" DB_USER="${DB_USER:-bandian}"
  export DB_DATABASE="${DB_DATABASE:-bandian_tracker}" APP_DATABASE="${APP_DATABASE:-bandian}"
  # (PROD_DATABASE_URL, not DATABASE_URL: a development DATABASE_URL must not leak in)
  export DATABASE_URL="${PROD_DATABASE_URL:-postgresql+psycopg2://$DB_USER:$DB_PASSWORD@$DB_HOST:$DB_PORT/$APP_DATABASE}"
  # Redis: Rasa's lock store
  export REDIS_HOST="${REDIS_HOST:-127.0.0.1}" REDIS_PORT="${REDIS_PORT:-$PROD_REDIS_PORT}"
  # Rasa calls the action servers through nginx's internal listener (both servers, round robin)
  export ACTION_SERVER_URL="${ACTION_SERVER_URL:-http://127.0.0.1:$PROD_ACTIONS_LB_PORT/webhook}"
  # the web apps forward chat messages to the Rasa replicas through nginx's internal listener (the
  # public one limits each client's rate, and every forwarded message would come from the web app)
  export BANDIAN_RASA_URL="http://127.0.0.1:$PROD_ACTIONS_LB_PORT"
  export BANDIAN_CONSOLE_USER="${BANDIAN_CONSOLE_USER:-admin}" BANDIAN_WEB_HOST=127.0.0.1
  export BANDIAN_TRUST_PROXY=true  # nginx reports the client address in X-Real-IP
  export BANDIAN_PROD_URL="http://127.0.0.1:$PROD_NGINX_PORT"
}
