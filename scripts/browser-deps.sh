#!/usr/bin/env bash
# Make sure headless Chromium and a Chinese font are installed (Debian packages chromium,
# chromium-driver, fonts-wqy-microhei); Playwright comes from requirements-dev.txt and drives
# /usr/bin/chromium (its own browser downloads are not reachable here).
set -euo pipefail
CHROMIUM="${CHROMIUM:-/usr/bin/chromium}"
if [ -x "$CHROMIUM" ] && fc-list :lang=zh 2>/dev/null | grep -q .; then exit 0; fi
echo "installing chromium and a Chinese font (Debian packages) ..."
as_root=()
[ "$(id -u)" -eq 0 ] || as_root=(sudo -n)
export DEBIAN_FRONTEND=noninteractive
"${as_root[@]}" apt-get update -q >/dev/null
"${as_root[@]}" apt-get install -y -q --no-install-recommends chromium chromium-driver fonts-wqy-microhei \
  fontconfig >/dev/null
[ -x "$CHROMIUM" ] || { echo "chromium is not at $CHROMIUM after installing" >&2; exit 1; }
