#!/usr/bin/env bash
# Everything CI runs: lint, types, KB source proofs, unit/action tests, Rasa validation and
# conversation stories, then an end-to-end run against the real servers.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
step() { printf '\n== %s\n' "$*"; }

step "lint (ruff)";        "$VENV_BIN/ruff" check bot actions tests
step "types (mypy)";       "$VENV_BIN/mypy" bot actions
step "knowledge base";     "$PY" -m bot.knowledge.check
step "unit + action tests"; "$PY" -m pytest -q tests/unit tests/actions
step "model";              model=$(scripts/train.sh)
step "rasa data validate"; "$RASA" data validate --domain domain.yml --data data
step "conversation stories"
"$RASA" test core --model "$model" --stories tests/stories --fail-on-prediction-errors \
  --endpoints endpoints.yml --out var/results/core >var/results-core.log 2>&1 \
  || { tail -40 var/results-core.log; cat var/results/core/failed_test_stories.yml 2>/dev/null; exit 1; }
echo "stories passed"
step "end to end (REST)"
export RASA_PORT="${E2E_RASA_PORT:-5005}" ACTIONS_PORT="${E2E_ACTIONS_PORT:-5055}"
scripts/run.sh >var/e2e-run.log 2>&1 &
server=$!
trap 'kill $server 2>/dev/null; wait $server 2>/dev/null || true' EXIT
for _ in $(seq 1 240); do
  grep -q "is running" var/e2e-run.log 2>/dev/null && break
  kill -0 $server 2>/dev/null || { cat var/e2e-run.log; exit 1; }
  sleep 1
done
grep -q "is running" var/e2e-run.log || { cat var/e2e-run.log; exit 1; }
BANDIAN_URL="http://localhost:$RASA_PORT" "$PY" -m pytest -q tests/e2e
