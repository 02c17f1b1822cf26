#!/usr/bin/env bash
# Installs the Khronos glTF-Validator (npm `gltf-validator`, pinned by
# exporters/gltf_validator/package-lock.json) that hoiexport runs through node.
#
# Usage: scripts/install_validators.sh [DIR]
#   DIR  where to install (default: exporters/gltf_validator in this checkout).
#        For a non-editable install of hoiexport use "$HOIEXPORT_CACHE/gltf_validator",
#        the second place hoiexport looks for node_modules.
# Idempotent: does nothing when the pinned version is already installed.
# OpenUSD's validators come with the Python package usd-core; nothing to install.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
src="$repo/exporters/gltf_validator"
dest="${1:-$src}"

for tool in node npm; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "install_validators: '$tool' not found; install Node.js >= 18 (e.g. apt-get install nodejs npm)" >&2
    exit 1
  fi
done

mkdir -p "$dest"
if [ "$(cd "$dest" && pwd)" != "$src" ]; then
  cp "$src/package.json" "$src/package-lock.json" "$dest/"
fi

want="$(node -p "require('$src/package-lock.json').packages['node_modules/gltf-validator'].version")"
have="$(node -p "try { require('$dest/node_modules/gltf-validator/package.json').version } catch (e) { '' }")"
if [ "$want" = "$have" ]; then
  echo "gltf-validator $have already installed in $dest/node_modules"
  exit 0
fi

echo "installing gltf-validator $want into $dest/node_modules"
(cd "$dest" && npm ci --no-audit --no-fund --loglevel=error)
node -e "const v = require('$dest/node_modules/gltf-validator'); console.log('gltf-validator ' + v.version() + ' ready');"
