#!/usr/bin/env bash
# Make sure headless Chromium and Chinese and emoji fonts are installed (Debian packages
# chromium, chromium-driver, fonts-wqy-microhei, fonts-noto-color-emoji); Playwright comes from
# requirements-dev.txt and drives /usr/bin/chromium (its own browser downloads are not reachable).
set -euo pipefail
CHROMIUM="${CHROMIUM:-/usr/bin/chromium}"
if [ -x "$CHROMIUM" ] && fc-list :lang=zh 2>/dev/null | grep -q . && fc-list 2>/dev/null | grep -qi emoji; then
  exit 0
fi
echo "installing chromium and fonts (Debian packages) ..."
as_root=()
[ "$(id -u)" -eq 0 ] || as_root=(sudo -n)
export DEBIAN_FRONTEND=noninteractive
"${as_root[@]}" apt-get update -q >/dev/null
"${as_root[@]}" apt-get install -y -q --no-install-recommends chromium chromium-driver fonts-wqy-microhei \
  fonts-noto-color-emoji fontconfig >/dev/null
[ -x "$CHROMIUM" ] || { echo "chromium is not at $CHROMIUM after installing" >&2; exit 1; }
