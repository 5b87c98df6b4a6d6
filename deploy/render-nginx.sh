#!/usr/bin/env bash
# Render the nginx template (deploy/nginx.conf): fill in its ${UPPER_CASE} placeholders from the
# environment. envsubst gets an explicit list, so nginx's own $variables are left alone.
# Usage: deploy/render-nginx.sh TEMPLATE OUTPUT
set -euo pipefail
if [ "$#" -ne 2 ]; then
  echo "usage: $0 TEMPLATE OUTPUT" >&2
  exit 2
fi
# NGINX_USER (optional): the worker processes' user (and group), rendered as `user ...;`. It only
# matters when nginx is started as root; unset, nginx keeps its default (nobody) as root, and
# without root the workers run as whoever starts it (a `user` directive would only draw a warning).
if [ -n "${NGINX_USER:-}" ]; then
  NGINX_USER_DIRECTIVE="user $NGINX_USER;"
else
  NGINX_USER_DIRECTIVE="# user: nginx's default (NGINX_USER not set)"
fi
export NGINX_USER_DIRECTIVE
vars=(NGINX_LISTEN NGINX_ACTIONS_LISTEN RASA_SERVERS ACTIONS_SERVERS WEB_SERVERS RASA_API_ALLOW
      NGINX_LIMIT_RATE NGINX_LIMIT_BURST NGINX_PID NGINX_TEMP_DIR NGINX_ERROR_LOG NGINX_ACCESS_LOG
      NGINX_USER_DIRECTIVE)
for name in "${vars[@]}"; do
  if [ -z "${!name:-}" ]; then
    echo "render-nginx: $name is not set (see the header of $1)" >&2
    exit 1
  fi
done
# shellcheck disable=SC2016  # '${%s}' is envsubst's SHELL-FORMAT, not a shell expansion
envsubst "$(printf '${%s} ' "${vars[@]}")" <"$1" >"$2"
