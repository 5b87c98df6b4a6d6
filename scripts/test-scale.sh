#!/usr/bin/env bash
# `make test-scale`: bring up the production topology on this machine with the trained model
# (scripts/run-prod.sh: PostgreSQL, Redis, nginx, Prometheus, 2 Rasa replicas, 2 action servers,
# 2 web apps, ports in deploy/local.sh), run the multi-replica tests (tests/scale) through nginx, and
# tear it all down again - also when something fails or the run is interrupted.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/env.sh
source scripts/env.sh
# The tests all speak from 127.0.0.1 and, together, send more than the production burst within a
# few seconds; the rate-limit test floods from 127.0.0.2 with twice whatever burst is set.
export PROD_LIMIT_BURST="${PROD_LIMIT_BURST:-400}"
# shellcheck source=deploy/local.sh
source deploy/local.sh
LOG_DIR="$PROD_DIR/log"
START_TIMEOUT="${SCALE_START_TIMEOUT:-600}"  # seconds, including training when the model is missing
mkdir -p "$LOG_DIR"
log="$LOG_DIR/run-prod.log"
began=$SECONDS

step() { printf '\n== %s\n' "$*"; }

step "start the topology (scripts/run-prod.sh; log: $log)"
scripts/run-prod.sh >"$log" 2>&1 &
topology=$!
# shellcheck disable=SC2317  # run by the EXIT trap
teardown() {
  trap - EXIT INT TERM
  step "tear down"
  kill "$topology" 2>/dev/null || true
  wait "$topology" 2>/dev/null || true
  tail -4 "$log" | grep -E "stopped|stopping" || true
}
trap teardown EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

until grep -q "is running" "$log" 2>/dev/null; do
  if ! kill -0 "$topology" 2>/dev/null; then
    cat "$log" >&2
    echo "the topology did not start" >&2
    exit 1
  fi
  if [ $((SECONDS - began)) -ge "$START_TIMEOUT" ]; then
    cat "$log" >&2
    echo "the topology did not start within ${START_TIMEOUT}s" >&2
    exit 1
  fi
  sleep 1
done
grep -E "ready in|replicas:|metrics:" "$log"
load_prod_env

step "multi-replica tests (tests/scale) through nginx at $BANDIAN_PROD_URL"
tests_began=$SECONDS
"$PY" -m pytest -q -rxX tests/scale
echo "tests took $((SECONDS - tests_began)) s; start to end so far $((SECONDS - began)) s"
