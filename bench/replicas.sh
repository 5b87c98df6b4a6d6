# Phase 4 of scripts/bench.sh (sourced, not run): one vs two Rasa + action server replicas behind
# nginx, with conversations in PostgreSQL and locks in Redis: the production profile's topology
# (scripts/prod-services.sh, deploy/local.sh, deploy/endpoints.prod.yml), on the bench's own ports,
# directory and secrets. Both replicas run throughout; nginx is pointed at one or at both in
# alternating windows, so both setups see the same background load of the machine.
# shellcheck shell=bash
# (uses scripts/bench.sh's start, wait_ready, stop_servers, pid_of, assistant_model, prod_started)
# shellcheck disable=SC2154,SC2034

REPLICA_RASA_PORTS=(6111 6112)
REPLICA_ACTIONS_PORTS=(6151 6152)
REPLICAS_URL=http://127.0.0.1:6120

replica_settings() {  # the production profile's settings, on the bench's ports, for N replicas
  # the load generator is one client address: nginx's per-client rate limit is lifted
  export PROD_DIR="$PWD/$BENCH/prod" PROD_NGINX_PORT=6120 PROD_ACTIONS_LB_PORT=6121 PROD_WEB_PORTS=6181 \
    PROD_PG_PORT=6140 PROD_REDIS_PORT=6130 PROD_LIMIT_RATE=100000r/s PROD_LIMIT_BURST=100000 \
    PROD_RASA_PORTS="${REPLICA_RASA_PORTS[*]:0:$1}" PROD_ACTIONS_PORTS="${REPLICA_ACTIONS_PORTS[*]:0:$1}"
}

postmaster_pid() {
  local dir
  for dir in "$PROD_DIR/pg" "/tmp/bandian-prod-pg-$PROD_PG_PORT"; do
    if [ -f "$dir/postmaster.pid" ]; then head -1 "$dir/postmaster.pid"; return; fi
  done
  echo 0
}

start_replica() {  # N (1-based): action server and Rasa server of replica N, then wait for both
  local n=$1 rasa_port=${REPLICA_RASA_PORTS[$(($1 - 1))]} actions_port=${REPLICA_ACTIONS_PORTS[$(($1 - 1))]}
  # as scripts/run-prod.sh starts a replica (the token from load_prod_env, or the one bench.sh exported)
  start "actions$n" env SANIC_HOST="$PROD_ACTIONS_HOST" "$RASA" run actions --actions actions --port "$actions_port"
  start "rasa$n" rasa_server "$assistant_model" "$rasa_port" --interface 127.0.0.1 --auth-token "$RASA_TOKEN" \
    --credentials credentials.yml --endpoints "$endpoints"
  wait_ready "http://127.0.0.1:$actions_port/health" "actions$n" "${pid_of[actions$n]}"
  wait_ready "http://127.0.0.1:$rasa_port/status?token=$RASA_TOKEN" "rasa$n" "${pid_of[rasa$n]}"
}

use_replicas() {  # N: point nginx at the first N Rasa replicas and action servers
  replica_settings "$1"
  scripts/prod-services.sh start >>"$LOG/prod-services.log" 2>&1
  sleep 1
}

replica_windows() {  # 1 and 2 replicas in alternating windows, twice each, at 10 and 50 conversations
  local concurrency order replicas
  for concurrency in 10 50; do
    for order in "1 2" "2 1"; do
      for replicas in $order; do
        use_replicas "$replicas"
        "$PY" -m bench.load --url "$REPLICAS_URL" --concurrency "$concurrency" --name "prod-$replicas" \
          --warmup "$LOAD_WARMUP" --duration "$((LOAD_SECONDS / 2))" --pids "$@"
      done
    done
  done
}

run_replicas() {
  endpoints=deploy/endpoints.prod.yml
  if [ ! -x scripts/prod-services.sh ] || [ ! -f deploy/local.sh ] || [ ! -f "$endpoints" ]; then
    echo "the production profile (scripts/prod-services.sh, deploy/local.sh, $endpoints) not found: skipped"
    echo '{"skipped": "the production profile was not found"}' >"$BENCH_RESULTS/replicas.json"
    return 0
  fi
  replica_settings 1
  # shellcheck source=deploy/local.sh
  source deploy/local.sh
  prod_started=1
  scripts/prod-services.sh start >"$LOG/prod-services.log" 2>&1 || { cat "$LOG/prod-services.log" >&2; exit 1; }
  load_prod_env  # secrets, DATABASE_URL (PostgreSQL), Redis, ACTION_SERVER_URL (nginx → action servers)
  if [ -f deploy/init_db.py ]; then "$PY" deploy/init_db.py >/dev/null; fi  # tables once, before any replica
  "$PY" -m bot.orders demo >/dev/null
  local services pg redis nginx
  pg=$(postmaster_pid) redis=$(cat "$PROD_DIR/run/redis.pid") nginx=$(cat "$PROD_DIR/run/nginx.pid")
  services=(postgres="$pg" redis="$redis" nginx="$nginx")
  echo "{\"endpoints\": \"$endpoints\", \"pg_port\": $PROD_PG_PORT, \"redis_port\": $PROD_REDIS_PORT," \
    "\"nginx_port\": $PROD_NGINX_PORT}" >"$BENCH_RESULTS/replicas.json"

  echo "starting replica 1, then replica 2 (one at a time: the tracker store's tables are created on start) ..."
  start_replica 1
  start_replica 2
  replica_windows rasa1="${pid_of[rasa1]}" rasa2="${pid_of[rasa2]}" actions1="${pid_of[actions1]}" \
    actions2="${pid_of[actions2]}" "${services[@]}"
  "$PY" -m bench.procs --group replicas rasa1="${pid_of[rasa1]}" rasa2="${pid_of[rasa2]}" \
    actions1="${pid_of[actions1]}" actions2="${pid_of[actions2]}"
  "$PY" -m bench.procs --group replicas --tree "${services[@]}"
  stop_servers
  scripts/prod-services.sh stop >>"$LOG/prod-services.log" 2>&1
  prod_started=""
}
