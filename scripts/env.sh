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

# The endpoints file for Rasa when its action server is at $ACTIONS_URL: endpoints.yml itself for the
# default URL, else a copy naming that URL, var/endpoints/<url>.yml (Rasa 3.6 has no ${VAR:-default}).
endpoints_file() {
  if [ "$ACTIONS_URL" = "$DEFAULT_ACTIONS_URL" ]; then echo endpoints.yml; return; fi
  local copy content
  copy="var/endpoints/$(tr -c 'A-Za-z0-9.-' _ <<<"$ACTIONS_URL" | sed 's/_*$//').yml"
  content=$(<endpoints.yml)
  mkdir -p var/endpoints
  printf '%s\n' "${content//"$DEFAULT_ACTIONS_URL"/"$ACTIONS_URL"}" >"$copy"
  echo "$copy"
}
