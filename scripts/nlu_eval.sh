#!/usr/bin/env bash
# Held-out NLU evaluation: the trained model against tests/nlu/ (never trained on).
# Writes intent and entity reports to var/results/nlu and fails below the targets
# (intent macro-F1 and entity F1 >= NLU_MIN, default 0.95).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
model=$(scripts/train.sh)
out=var/results/nlu
rm -rf "$out" && mkdir -p "$out"
"$RASA" test nlu --model "$model" --nlu tests/nlu --out "$out" >var/results-nlu.log 2>&1 \
  || { tail -40 var/results-nlu.log; exit 1; }
"$PY" scripts/nlu_gate.py "$out" "${NLU_MIN:-0.95}"
