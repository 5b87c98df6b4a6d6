# Common environment for the project scripts (sourced, not run).
export TF_CPP_MIN_LOG_LEVEL=2 PYTHONHASHSEED=0 SQLALCHEMY_SILENCE_UBER_WARNING=1
export RASA_TELEMETRY_ENABLED=false PYTHONPATH="${PWD}${PYTHONPATH:+:$PYTHONPATH}"
# endpoints.yml reads the action server's URL from ACTIONS_URL
export ACTIONS_URL="${ACTIONS_URL:-http://127.0.0.1:${ACTIONS_PORT:-5055}/webhook}"
VENV_BIN="${PWD}/.venv/bin"
RASA="$VENV_BIN/rasa"
PY="$VENV_BIN/python"

# Fingerprint of everything the model depends on, including the KB-built jieba dictionary.
model_fingerprint() {
  find config.yml domain data knowledge/shared.yml knowledge/regions bot/nlu bot/understand.py -type f \
       \( -name '*.yml' -o -name '*.py' \) -print0 | sort -z | xargs -0 sha256sum | sha256sum | cut -c1-12
}
model_path() { echo "models/bandian-$(model_fingerprint).tar.gz"; }
