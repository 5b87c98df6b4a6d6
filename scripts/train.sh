#!/usr/bin/env bash
# Train the Rasa model only when its inputs changed; print the model path. Rasa's default inputs:
# config.yml, domain.yml and data/ (a plain `rasa train` trains the same model, named by date).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
model=$(model_path)
if [ -f "$model" ]; then
  echo "model up to date: $model" >&2
else
  echo "training $model (takes a few minutes) ..." >&2
  mkdir -p var/log
  "$RASA" train --fixed-model-name "$(basename "$model" .tar.gz)" --out models \
    >var/log/train.log 2>&1 || { tail -40 var/log/train.log >&2; echo "training failed; see var/log/train.log" >&2; exit 1; }
  echo "trained $model (log: var/log/train.log)" >&2
fi
echo "$model"
