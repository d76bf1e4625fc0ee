#!/usr/bin/env bash
# Installs the Debian packages the application and its tests need, when they are missing.
# Usage: scripts/system-deps.sh run|test
set -euo pipefail

runtime=(python3-venv libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core poppler-utils)
testing=(postgresql redis-server chromium qpdf)

packages=("${runtime[@]}")
[ "${1:-run}" = test ] && packages+=("${testing[@]}")

missing=()
for pkg in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
[ ${#missing[@]} -eq 0 ] && exit 0

sudo=""
[ "$(id -u)" -ne 0 ] && sudo="sudo"
echo "Installation des paquets système : ${missing[*]}"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
