#!/usr/bin/env bash
# Start the servers, score the public question set (../shared/eval), stop the servers.
# EVAL_MIN=90 makes it fail below 90%.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
eval_dir="${EVAL_DIR:-../shared/eval}"
[ -f "$eval_dir/score.py" ] || { echo "no $eval_dir/score.py beside this checkout" >&2; exit 1; }
export RASA_PORT="${RASA_PORT:-5005}" ACTIONS_PORT="${ACTIONS_PORT:-5055}"
mkdir -p var
scripts/run.sh >var/eval-run.log 2>&1 &
server=$!
trap 'kill $server 2>/dev/null; wait $server 2>/dev/null || true' EXIT
for _ in $(seq 1 240); do
  grep -q "is running" var/eval-run.log 2>/dev/null && break
  kill -0 $server 2>/dev/null || { cat var/eval-run.log; exit 1; }
  sleep 1
done
echo "== public question set ($eval_dir/questions.yml)"
"$PY" "$eval_dir/score.py" bot "http://127.0.0.1:$RASA_PORT" --out var/eval-report.json ${EVAL_MIN:+--min "$EVAL_MIN"}
echo "== own question set (tests/eval/questions.yml)"
"$PY" "$eval_dir/score.py" bot "http://127.0.0.1:$RASA_PORT" --cases tests/eval/questions.yml \
  --out var/eval-own-report.json ${EVAL_OWN_MIN:+--min "$EVAL_OWN_MIN"}
echo "== public customer-style set ($eval_dir/customer_questions.yml)"
"$PY" "$eval_dir/score.py" bot "http://127.0.0.1:$RASA_PORT" --cases "$eval_dir/customer_questions.yml" \
  --out var/eval-customer-report.json ${EVAL_CUSTOMER_MIN:+--min "$EVAL_CUSTOMER_MIN"}
for set in customer_dev customer_dev2; do
  [ -f "tests/eval/$set.yml" ] || continue
  echo "== own dev set (tests/eval/$set.yml)"
  "$PY" "$eval_dir/score.py" bot "http://127.0.0.1:$RASA_PORT" --cases "tests/eval/$set.yml" --out "var/eval-$set-report.json"
done
if [ -n "${EVAL_HELDOUT:-}" ]; then  # scored once, at the end of a round of answer work (see tests/eval/README.md)
  echo "== held-out customer set (tests/eval/heldout_questions.yml)"
  "$PY" "$eval_dir/score.py" bot "http://127.0.0.1:$RASA_PORT" --cases tests/eval/heldout_questions.yml \
    --out var/eval-heldout-report.json
fi
