#!/usr/bin/env bash
# Debian packages forcestat needs at run time (WeasyPrint's Pango/HarfBuzz and a font, poppler
# for checking PDFs), for the backend tests (PostgreSQL's server, a Java 17 runtime for
# Spark local mode and the Spark Connect server the tests start) and, with --test, for the web's browser tests (Chromium, which Playwright
# drives); with --bench, wrk too (bench/web.py's load generator). Installs only what is missing.
set -euo pipefail
need=()
have() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"; }
pkgs=(libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz0b fonts-dejavu-core poppler-utils postgresql)
if [ "${1:-}" = "--test" ]; then
  pkgs+=(chromium)
fi
if [ "${1:-}" = "--bench" ]; then
  pkgs+=(chromium wrk)
fi
for p in "${pkgs[@]}"; do
  have "$p" || need+=("$p")
done
# Spark 4.0 needs Java 17 or 21: any such runtime will do, else Debian's OpenJDK 17
if ! have openjdk-17-jre-headless && ! have openjdk-21-jre-headless; then
  need+=(openjdk-17-jre-headless)
fi
[ ${#need[@]} -eq 0 ] && exit 0
if [ "$(id -u)" != 0 ]; then
  echo "forcestat needs these Debian packages: ${need[*]} (run as root or install them)" >&2
  exit 0
fi
echo "Installing Debian packages: ${need[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null
apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
