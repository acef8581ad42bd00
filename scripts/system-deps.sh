#!/usr/bin/env bash
# Debian packages forcestat needs at run time (WeasyPrint's Pango/HarfBuzz and a font, poppler
# for checking PDFs), and with --test those its tests need too (Chromium, which Playwright
# drives for the web tests). Installs only what is missing.
set -euo pipefail
need=()
have() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"; }
pkgs=(libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz0b fonts-dejavu-core poppler-utils)
if [ "${1:-}" = "--test" ]; then
  pkgs+=(chromium)
fi
for p in "${pkgs[@]}"; do
  have "$p" || need+=("$p")
done
[ ${#need[@]} -eq 0 ] && exit 0
if [ "$(id -u)" != 0 ]; then
  echo "forcestat needs these Debian packages: ${need[*]} (run as root or install them)" >&2
  exit 0
fi
echo "Installing Debian packages: ${need[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null
apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
