#!/usr/bin/env bash
# Refreshes the chart libraries the web dashboard ships (src/forcestat/web/static/vendor/):
# vega, vega-lite and vega-embed from npm, their minified browser builds plus the licence of
# every package bundled into them. Run by hand when upgrading; the built files are committed,
# so nothing is fetched when forcestat is installed or run.
#   bash scripts/refresh-vendor.sh            # the versions pinned below
set -euo pipefail
VEGA=${VEGA:-6.4.0}
VEGA_LITE=${VEGA_LITE:-6.5.0}
VEGA_EMBED=${VEGA_EMBED:-7.3.0}
here=$(cd "$(dirname "$0")/.." && pwd)
dest="$here/src/forcestat/web/static/vendor"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp"
npm init -y >/dev/null
npm install --no-audit --no-fund --omit=dev "vega@$VEGA" "vega-lite@$VEGA_LITE" "vega-embed@$VEGA_EMBED" >/dev/null
rm -rf "$dest"
mkdir -p "$dest/licenses"
cp node_modules/vega/build/vega.min.js node_modules/vega-lite/build/vega-lite.min.js \
  node_modules/vega-embed/build/vega-embed.min.js "$dest/"
# every package installed is bundled into one of the three builds: keep each one's licence
for pkg in $(cd node_modules && ls -d */ @*/*/ 2>/dev/null | sed 's:/$::' | grep -v '^@[^/]*$'); do
  lic=$(ls node_modules/"$pkg"/LICEN[CS]E* node_modules/"$pkg"/license* 2>/dev/null | head -1 || true)
  [ -n "$lic" ] && cp "$lic" "$dest/licenses/$(echo "$pkg" | tr / _).txt"
done
cp node_modules/vega/LICENSE "$dest/LICENSE-vega.txt"
cp node_modules/vega-lite/LICENSE "$dest/LICENSE-vega-lite.txt"
cp node_modules/vega-embed/LICENSE "$dest/LICENSE-vega-embed.txt"
{
  echo "Built files from npm, refreshed by scripts/refresh-vendor.sh:"
  for p in vega vega-lite vega-embed; do
    echo "  $p $(node -p "require('./node_modules/$p/package.json').version")"
  done
  echo "licenses/ holds the licence of every package bundled into them."
} >"$dest/VERSIONS.txt"
echo "vendor files in $dest:"
ls "$dest"
