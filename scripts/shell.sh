#!/usr/bin/env bash
# Chat with the assistant in the terminal (starts its own action server).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
model=$(scripts/train.sh)
mkdir -p var/log
export_actions_token  # to the action server and, through the endpoints file, to Rasa (bot/action_token.py)
SANIC_HOST=127.0.0.1 "$RASA" run actions --actions actions --port "${ACTIONS_PORT:-5055}" >var/log/actions-shell.log 2>&1 &
actions=$!
trap 'kill $actions 2>/dev/null || true' EXIT
"$RASA" shell --model "$model" --endpoints "$(endpoints_file)"
