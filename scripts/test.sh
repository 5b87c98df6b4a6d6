#!/usr/bin/env bash
# Everything CI runs: lint, types, KB source proofs, unit/action tests, the model and its
# held-out NLU evaluation, Rasa validation and conversation stories, then end-to-end tests and
# the public question set against the real servers, browser tests of the web chat and console, the
# production topology's multi-replica tests (scripts/test-scale.sh) and the reliability suite
# (scripts/test-reliability.sh: fuzzing, kill -9, database faults, security).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
step() { printf '\n== %s\n' "$*"; }
mkdir -p var/results

step "lint (ruff)";         "$VENV_BIN/ruff" check bot actions tests scripts rasa_sdk_plugins
step "types (mypy)";        "$VENV_BIN/mypy" bot actions rasa_sdk_plugins
step "knowledge base";      "$PY" -m bot.knowledge.check
step "unit + action + security tests"; "$PY" -m pytest -q tests/unit tests/actions tests/security
step "model";               model=$(scripts/train.sh)
step "held-out NLU evaluation"; scripts/nlu_eval.sh
step "rasa data validate";  "$RASA" data validate \
  >var/results-validate.log 2>&1 || { tail -40 var/results-validate.log; exit 1; }
echo "training data valid"

step "production topology on loopback: multi-replica tests (scripts/test-scale.sh)"
scripts/test-scale.sh
step "reliability: fuzzing, kill -9, database faults, security (scripts/test-reliability.sh)"
scripts/test-reliability.sh

step "browser dependencies";  scripts/browser-deps.sh
step "start the servers (conversation stories and end-to-end tests use the action server)"
export RASA_PORT="${E2E_RASA_PORT:-5005}" ACTIONS_PORT="${E2E_ACTIONS_PORT:-5055}"
export ACTIONS_URL="http://127.0.0.1:$ACTIONS_PORT/webhook"
export BANDIAN_WEB_PORT="${E2E_WEB_PORT:-8080}"
# a database of its own (your var/bandian.db and console password are left alone)
rm -rf var/test-run && mkdir -p var/test-run
export DATABASE_URL="sqlite:///$PWD/var/test-run/bandian.db"
BANDIAN_CONSOLE_PASSWORD="$("$PY" -c 'import secrets; print(secrets.token_urlsafe(12))')"
export BANDIAN_CONSOLE_PASSWORD BANDIAN_CONSOLE_USER=admin
export WECHAT_TOKEN="${WECHAT_TOKEN:-e2e-token}"  # the WeChat channel's end-to-end tests sign with it
export_actions_token  # the action server of scripts/run.sh and `rasa test core` below share it
scripts/run.sh >var/e2e-run.log 2>&1 &
server=$!
trap 'kill $server 2>/dev/null; wait $server 2>/dev/null || true' EXIT
for _ in $(seq 1 300); do
  grep -q "is running" var/e2e-run.log 2>/dev/null && break
  kill -0 $server 2>/dev/null || { cat var/e2e-run.log; exit 1; }
  sleep 1
done
grep -q "is running" var/e2e-run.log || { cat var/e2e-run.log; exit 1; }
step "conversation stories (rasa test core)"
"$RASA" test core --model "$model" --stories tests/stories --fail-on-prediction-errors \
  --endpoints "$(endpoints_file)" --out var/results/core >var/results-core.log 2>&1 \
  || { tail -40 var/results-core.log; cat var/results/core/failed_test_stories.yml 2>/dev/null; exit 1; }
echo "stories passed"
step "end to end (REST) and the public question set"
BANDIAN_URL="http://127.0.0.1:$RASA_PORT" "$PY" -m pytest -q tests/e2e
step "browser tests (headless Chromium: web chat and agent console; screenshots in docs/screenshots)"
BANDIAN_WEB_URL="http://127.0.0.1:$BANDIAN_WEB_PORT" "$PY" -m pytest -q tests/browser
eval_dir="${EVAL_DIR:-../shared/eval}"
if [ -f "$eval_dir/score.py" ]; then
  echo "public question set:"
  "$PY" "$eval_dir/score.py" bot "http://127.0.0.1:$RASA_PORT" --out var/eval-report.json --min "${EVAL_MIN:-90}"
  echo "public customer-style set (customer_questions.yml):"
  "$PY" "$eval_dir/score.py" bot "http://127.0.0.1:$RASA_PORT" --cases "$eval_dir/customer_questions.yml" \
    --out var/eval-customer-report.json --min "${EVAL_CUSTOMER_MIN:-90}"
  echo "own question set (tests/eval/questions.yml):"
  "$PY" "$eval_dir/score.py" bot "http://127.0.0.1:$RASA_PORT" --cases tests/eval/questions.yml \
    --out var/eval-own-report.json --min "${EVAL_OWN_MIN:-90}"
  echo "own customer-style dev set (tests/eval/customer_dev.yml, tuned on):"
  "$PY" "$eval_dir/score.py" bot "http://127.0.0.1:$RASA_PORT" --cases tests/eval/customer_dev.yml \
    --out var/eval-dev-report.json --min "${EVAL_DEV_MIN:-85}"
else
  echo "public question set not found at $eval_dir (set EVAL_DIR); skipped"
fi
