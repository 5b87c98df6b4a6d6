# Common environment for the project scripts (sourced, not run).
export TF_CPP_MIN_LOG_LEVEL=2 PYTHONHASHSEED=0 SQLALCHEMY_SILENCE_UBER_WARNING=1
export RASA_TELEMETRY_ENABLED=false PYTHONPATH="${PWD}${PYTHONPATH:+:$PYTHONPATH}"
# The action server's URL; endpoints.yml names the default one (port 5055), endpoints_file another
DEFAULT_ACTIONS_URL=http://127.0.0.1:5055/webhook
export ACTIONS_URL="${ACTIONS_URL:-http://127.0.0.1:${ACTIONS_PORT:-5055}/webhook}"
VENV_BIN="${PWD}/.venv/bin"
# var/ holds the database (names, phone numbers, addresses), keys, tokens and logs: its owner's only
# (the database files themselves are 0600: bot/store/engine.py)
mkdir -p var && chmod 700 var
RASA="$VENV_BIN/rasa"
PY="$VENV_BIN/python"

# Fingerprint of what the trained model depends on: config, domain, training data, the tokenizer and
# the jieba user dictionary built from the KB (the tokenizer copies it into the model). Rule-based
# components (entity extractor, intent guard) and the answer logic run from the code at inference,
# so editing a cue word or a fact's wording does not retrain.
model_fingerprint() {
  "$PY" -m bot.nlu.dictionary build/jieba >/dev/null
  { find config.yml domain.yml data bot/nlu/tokenizer.py -type f \( -name '*.yml' -o -name '*.py' \) -print0 \
      | sort -z | xargs -0 sha256sum; sha256sum build/jieba/userdict.txt; } | sha256sum | cut -c1-12
}
model_path() { echo "models/bandian-$(model_fingerprint).tar.gz"; }

# The action server's token (bot/action_token.py): BANDIAN_ACTIONS_TOKEN, else var/actions-token (created
# once, mode 0600), exported for the action servers a script starts (with it set, they refuse every call
# without it) and for Rasa, whose endpoints file (endpoints_file) sends it as ?token=.
export_actions_token() {
  BANDIAN_ACTIONS_TOKEN=$("$PY" -m bot.action_token) || return 1
  export BANDIAN_ACTIONS_TOKEN
}

# The endpoints file for Rasa when its action server is at $ACTIONS_URL: a copy of endpoints.yml naming
# that URL and `token: ${BANDIAN_ACTIONS_TOKEN}` (call export_actions_token first; Rasa substitutes the
# variable and stops when it is unset), var/endpoints/<url>.yml. endpoints.yml itself names the default
# URL without a token (plain `rasa shell` from a fresh clone; bot/action_token.py), and Rasa 3.6 has no
# ${VAR:-default}.
endpoints_file() {
  local copy content line="  url: $DEFAULT_ACTIONS_URL" token_line='  token: ${BANDIAN_ACTIONS_TOKEN}'
  copy="var/endpoints/$(tr -c 'A-Za-z0-9.-' _ <<<"$ACTIONS_URL" | sed 's/_*$//').yml"
  content=$(<endpoints.yml)
  if [[ "$content" != *"$line"* ]]; then
    echo "endpoints.yml no longer names the action server as '$line'" >&2
    return 1
  fi
  if [ -z "${BANDIAN_ACTIONS_TOKEN:-}" ]; then
    echo "endpoints_file: BANDIAN_ACTIONS_TOKEN is not exported (export_actions_token): Rasa will stop" >&2
  fi
  mkdir -p var/endpoints
  printf '%s\n' "${content//"$line"/"  url: $ACTIONS_URL"$'\n'"$token_line"}" >"$copy"
  echo "$copy"
}
