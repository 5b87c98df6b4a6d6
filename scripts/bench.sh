#!/usr/bin/env bash
# make bench: measure the assistant side by side with a trivial utter-only Rasa bot in one run and
# write docs/benchmarks.md (and the raw numbers to var/results/bench.json). About an hour on 2 cores
# (20 minutes without the growth phase's three trainings); BENCH_SKIP_TRAINING=1 reuses the models of the
# last run and skips the training section, BENCH_GROWTH_REST=0 runs the growth phase in-process only.
# `scripts/bench.sh growth` (make bench-growth) runs only the growth phase and rewrites only its section.
#
#   1. training   both models, cold, timed (bench/training.py)
#   2. one stack  assistant (Rasa + actions + web app, as `make run`) and the baseline bot: latency,
#                 memory, accuracy, Rasa's stages (in-process agent), load on one replica
#   3. in-process KB query time, Answerer.reply, replay and cProfile of the slowest turn type's actions
#   4. replicas   PostgreSQL + Redis + nginx (scripts/prod-services.sh), 1 vs 2 Rasa/action replicas
#   5. growth     the KB from 5 to 50 to 330 cities (synthetic copies in a temporary directory):
#                 load, reply time, memory in-process; training, REST turns, memory (bench/growth.py)
#   6. report     bench/report.py → docs/benchmarks.md (+ docs/growth.png), var/results/bench.json
#
# Ports 6100-6199 (the growth phase: 6200-6299) only; everything started here is stopped on exit.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh

BENCH=var/bench
export BENCH_RESULTS="$PWD/$BENCH/results"
if [ "${1:-}" = growth ]; then  # make bench-growth: the growth phase alone; the other results stay as they are
  mkdir -p "$BENCH_RESULTS" "$BENCH/log" var/results
  "$PY" -m bench.growth --command "make bench-growth"
  "$PY" -m bench.report --only growth
  exit 0
fi
source bench/replicas.sh
if [ -d "$BENCH/prod" ]; then  # services left running by an interrupted run
  ( replica_settings 2 && scripts/prod-services.sh stop ) >/dev/null 2>&1 || true
fi
rm -rf "$BENCH_RESULTS" "$BENCH/log" "$BENCH/prod" "$BENCH"/bandian*.db* "$BENCH/action-bodies.jsonl"
mkdir -p "$BENCH_RESULTS" "$BENCH/log" var/results
LOG="$PWD/$BENCH/log"

BASELINE_PORT=6101 RASA_PORT=6105 ACTIONS_PORT=6155 WEB_PORT=6180
ROUNDS="${BENCH_ROUNDS:-50}" LOAD_SECONDS="${BENCH_LOAD_SECONDS:-30}" LOAD_WARMUP="${BENCH_LOAD_WARMUP:-8}"

# the bench's own database and keys (your var/bandian.db is left alone)
export DATABASE_URL="sqlite:///$PWD/$BENCH/bandian.db"
[ -s "$BENCH/secret.key" ] || "$PY" -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())' \
  >"$BENCH/secret.key"
BANDIAN_SECRET_KEY=$(cat "$BENCH/secret.key")
BANDIAN_CONSOLE_PASSWORD=$("$PY" -c 'import secrets; print(secrets.token_urlsafe(12))')
# Rasa's HTTP API (POST /model/parse, /status) takes this token (bench/common.py sends it)
BANDIAN_RASA_TOKEN=$("$PY" -c 'import secrets; print(secrets.token_hex(16))')
export BANDIAN_SECRET_KEY BANDIAN_CONSOLE_PASSWORD BANDIAN_RASA_TOKEN BANDIAN_LOG_LEVEL=WARNING

# every server this script starts: stopped on exit, whatever happens
pids=()
declare -A pid_of=()  # server name → pid
prod_started=""
stop_servers() {
  local pid
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  pids=()
  pid_of=()
}
stop() {  # NAME: stop one server started with `start`
  local pid=${pid_of[$1]} i
  kill "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  for i in "${!pids[@]}"; do if [ "${pids[$i]}" = "$pid" ]; then unset "pids[$i]"; fi; done
  unset "pid_of[$1]"
}
cleanup() {
  stop_servers
  if [ -n "$prod_started" ]; then scripts/prod-services.sh stop >/dev/null 2>&1 || true; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

step() {  # NAME: announce a phase; record when it began and the load average then
  printf '\n== %s (%s)\n' "$1" "$(date +%T)"
  echo "$1 $(date +%s) $(cut -d' ' -f1-3 /proc/loadavg)" >>"$BENCH_RESULTS/phases.txt"
}

wait_ready() {  # URL NAME PID: wait until URL answers (Rasa loads its model for a minute or so)
  local _
  for _ in $(seq 1 300); do
    curl -fs "$1" >/dev/null 2>&1 && return 0
    kill -0 "$3" 2>/dev/null || { tail -30 "$LOG/$2.log" >&2; echo "$2 failed to start" >&2; exit 1; }
    sleep 1
  done
  echo "$2 not ready after 300 s" >&2
  exit 1
}

start() {  # NAME COMMAND...: start a server in the background, log to var/bench/log/NAME.log
  local name=$1
  shift
  "$@" >"$LOG/$name.log" 2>&1 &
  pids+=($!)
  pid_of[$name]=$!
}

rasa_server() {  # MODEL PORT [ARGS...]
  local model=$1 port=$2
  shift 2
  exec "$RASA" run --model "$model" --enable-api --port "$port" "$@"
}

started_at=$(date +%s)
echo "$started_at" >"$BENCH_RESULTS/started"

# ---------------------------------------------------------------------------------- 1. training
step training
if [ "${BENCH_SKIP_TRAINING:-}" = 1 ]; then
  models=$("$PY" -m bench.training --skip | tail -1)
else
  echo "training the assistant and the baseline bot, cold (several minutes) ..."
  models=$("$PY" -m bench.training | tail -1)
fi
assistant_model=$(sed -E 's/.*assistant=([^ ]+).*/\1/' <<<"$models")
baseline_model=$(sed -E 's/.*baseline=([^ ]+).*/\1/' <<<"$models")
echo "assistant: $assistant_model"
echo "baseline:  $baseline_model"

# ---------------------------------------------------------------------------------- 2. one stack
step "single stack"
"$PY" -m bot.orders demo >/dev/null   # customer managers, so bookings are assigned
export ACTIONS_URL="http://127.0.0.1:$ACTIONS_PORT/webhook"
export_actions_token  # the action server and Rasa's endpoints file (bot/action_token.py)
start actions env SANIC_HOST=127.0.0.1 "$RASA" run actions --actions actions --port "$ACTIONS_PORT"
start rasa rasa_server "$assistant_model" "$RASA_PORT" --interface 127.0.0.1 --auth-token "$BANDIAN_RASA_TOKEN" \
  --credentials credentials.yml --endpoints "$(endpoints_file)"
start baseline rasa_server "$baseline_model" "$BASELINE_PORT" --interface 127.0.0.1 --auth-token "$BANDIAN_RASA_TOKEN" \
  --credentials bench/baseline_bot/credentials.yml
BANDIAN_WEB_PORT=$WEB_PORT BANDIAN_RASA_URL="http://127.0.0.1:$RASA_PORT" start web "$PY" -m bot.web
echo "starting the assistant (Rasa, actions, web app) and the baseline bot ..."
wait_ready "http://127.0.0.1:$ACTIONS_PORT/health" actions "${pid_of[actions]}"
wait_ready "http://127.0.0.1:$WEB_PORT/healthz" web "${pid_of[web]}"
wait_ready "http://127.0.0.1:$BASELINE_PORT/status?token=$BANDIAN_RASA_TOKEN" baseline "${pid_of[baseline]}"
wait_ready "http://127.0.0.1:$RASA_PORT/status?token=$BANDIAN_RASA_TOKEN" rasa "${pid_of[rasa]}"

step latency
"$PY" -m bench.latency --assistant "http://127.0.0.1:$RASA_PORT" --baseline "http://127.0.0.1:$BASELINE_PORT" \
  --web "http://127.0.0.1:$WEB_PORT" --rounds "$ROUNDS"
"$PY" -m bench.procs --group single rasa="${pid_of[rasa]}" actions="${pid_of[actions]}" web="${pid_of[web]}" \
  baseline="${pid_of[baseline]}"

step accuracy
"$PY" -m bench.accuracy --url "http://127.0.0.1:$RASA_PORT"

step "Rasa stages (in-process agent)"
"$PY" -m bench.profile_rasa --model "$assistant_model" --bodies "$BENCH/action-bodies.jsonl" --endpoints "$(endpoints_file)" \
  2>"$LOG/profile-rasa.log" || { tail -30 "$LOG/profile-rasa.log" >&2; exit 1; }

step "load, one replica, in-memory tracker store"
for concurrency in 10 50; do
  "$PY" -m bench.load --url "http://127.0.0.1:$RASA_PORT" --concurrency "$concurrency" --name memory-1 \
    --warmup "$LOAD_WARMUP" --duration "$LOAD_SECONDS" --pids rasa="${pid_of[rasa]}" actions="${pid_of[actions]}"
done
"$PY" -m bench.procs --group single-after-load rasa="${pid_of[rasa]}" actions="${pid_of[actions]}"
stop_servers

# ---------------------------------------------------------------------------------- 3. in-process
step "in-process"
"$PY" -m bench.kb_timing
"$PY" -m bench.profile_actions --bodies "$BENCH/action-bodies.jsonl"

# ---------------------------------------------------------------------------------- 4. replicas
step replicas
run_replicas

# ---------------------------------------------------------------------------------- 5. growth
step growth
"$PY" -m bench.growth --command "make bench"

# ---------------------------------------------------------------------------------- 6. report
step report
"$PY" -m bench.report
echo "bench took $(( ($(date +%s) - started_at) / 60 )) min; docs/benchmarks.md and var/results/bench.json written"
