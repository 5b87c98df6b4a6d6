#!/usr/bin/env bash
# Reliability under bad input and faults: seeded fuzzing of every entry point (tests/fuzz), kill -9 of the
# action server and of Rasa and an unavailable database during bookings (tests/faults), and security checks
# (tests/faults/test_security.py). The tests start their own servers on ports 6205/6255/6256/6280
# (RELIABILITY_*_PORT) with their own SQLite database under var/reliability/run/; everything is stopped at
# the end, also on Ctrl-C or a failure. Prints a summary table and writes var/results/reliability.json.
# See docs/reliability.md.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh

export RELIABILITY_DIR="${RELIABILITY_DIR:-$PWD/var/reliability/run}"
export RELIABILITY_RESULTS="${RELIABILITY_RESULTS:-$PWD/var/reliability/results.jsonl}"
unset RELIABILITY_ATTACH  # the fault tests kill and restart servers: they need servers of their own
junit="$(dirname "$RELIABILITY_RESULTS")/junit.xml"
mkdir -p "$(dirname "$RELIABILITY_RESULTS")" var/results
: >"$RELIABILITY_RESULTS"

tests=$$
stop_servers() {
  # pytest stops what it started; this is for an interrupted run (only the pids the tests wrote down)
  for pidfile in "$RELIABILITY_DIR"/pids/*.pid; do
    [ -f "$pidfile" ] || continue
    pid=$(cat "$pidfile")
    kill "$pid" 2>/dev/null || true
    rm -f "$pidfile"
  done
}
cleanup() {
  [ "$tests" != $$ ] && kill "$tests" 2>/dev/null && wait "$tests" 2>/dev/null
  stop_servers
}
trap cleanup EXIT
trap 'exit 130' INT TERM

started=$(date +%s)
set +e
"$PY" -m pytest -q -rxX --junitxml="$junit" tests/fuzz tests/faults "$@" &
tests=$!
wait "$tests"
code=$?
tests=$$
set -e
seconds=$(( $(date +%s) - started ))

printf '\n== reliability summary\n'
"$PY" -m tests.faults.summary --results "$RELIABILITY_RESULTS" --junit "$junit" --seconds "$seconds" \
  --exit-code "$code" --out var/results/reliability.json
exit "$code"
