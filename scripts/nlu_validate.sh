#!/usr/bin/env bash
# make nlu-validate: choose NLU data and pipeline changes without the held-out split (tests/nlu).
# For each seed (NLU_SEEDS, default "7 11 23"), split data/nlu 80/20 (`rasa data split nlu`), train on the
# 80 % with config.yml (or NLU_CONFIG) and score the 20 %; print each seed's intent macro-F1 and the mean.
# The split is much harder than tests/nlu and noisy from seed to seed: compare means, not single runs.
# Reports and models in var/nlu-validate/s<seed>/ (ignored by git).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
config=${NLU_CONFIG:-config.yml}
out=var/nlu-validate
mkdir -p "$out"
scores=()
for seed in ${NLU_SEEDS:-7 11 23}; do
  d=$out/s$seed
  rm -rf "$d" && mkdir -p "$d"
  "$RASA" data split nlu -u data/nlu --training-fraction 0.8 --random-seed "$seed" --out "$d" >"$d/split.log" 2>&1
  "$RASA" train nlu -c "$config" --nlu "$d/training_data.yml" --out "$d/models" --fixed-model-name nlu \
    >"$d/train.log" 2>&1 || { tail -20 "$d/train.log"; exit 1; }
  "$RASA" test nlu --model "$d/models/nlu.tar.gz" --nlu "$d/test_data.yml" --out "$d/results" \
    >"$d/test.log" 2>&1 || { tail -20 "$d/test.log"; exit 1; }
  score=$("$PY" -c 'import json, sys; print(round(json.load(open(sys.argv[1]))["macro avg"]["f1-score"], 4))' \
    "$d/results/intent_report.json")
  echo "seed $seed: intent macro-F1 $score"
  scores+=("$score")
done
"$PY" -c 'import sys; s = [float(x) for x in sys.argv[1:]]; print(f"mean of {len(s)}: {sum(s) / len(s):.4f}")' "${scores[@]}"
