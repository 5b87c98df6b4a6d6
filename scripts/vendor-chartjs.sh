#!/usr/bin/env bash
# Vendor Chart.js for the console's dashboard: install it from npm into a scratch folder and copy its
# minified UMD build (license header kept) and its license into bot/web/static/console/vendor/.
# The copied files are committed: the console works offline and its CSP allows no CDN. Run this only
# to change the version (CHARTJS_VERSION=4.x.y scripts/vendor-chartjs.sh), then commit the result.
set -euo pipefail
VERSION="${CHARTJS_VERSION:-4.6.2}"
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
DEST="$ROOT/bot/web/static/console/vendor"
SCRATCH="$(mktemp -d)"
trap 'rm -rf "$SCRATCH"' EXIT

command -v npm >/dev/null || { echo "npm is needed to vendor Chart.js (apt-get install npm)" >&2; exit 1; }
npm install --prefix "$SCRATCH" --no-audit --no-fund --no-save --silent "chart.js@$VERSION"
PACKAGE="$SCRATCH/node_modules/chart.js"
head -c 200 "$PACKAGE/dist/chart.umd.min.js" | grep -q "Released under the MIT License" \
  || { echo "chart.umd.min.js has no license header: check the package layout" >&2; exit 1; }
mkdir -p "$DEST"
# without the sourceMappingURL line: the map is not vendored, and browsers would ask for it
grep -v '^//# sourceMappingURL=' "$PACKAGE/dist/chart.umd.min.js" > "$DEST/chart.umd.min.js"
cp "$PACKAGE/LICENSE.md" "$DEST/chart.js-LICENSE.md"
echo "vendored Chart.js $(node -p "require('$PACKAGE/package.json').version" 2>/dev/null || echo "$VERSION") into $DEST"
