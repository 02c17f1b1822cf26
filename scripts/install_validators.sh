#!/usr/bin/env bash
# Installs the npm tools hoiexport runs through node, all pinned by
# exporters/gltf_validator/package-lock.json: the Khronos glTF-Validator (npm
# `gltf-validator`, run.js) and glTF-Transform with its codecs
# (@gltf-transform/core, extensions, functions, draco3dgltf, meshoptimizer,
# ktx2-encoder; compress.mjs, used by `--compress`).
#
# Usage: scripts/install_validators.sh [DIR]
#   DIR  where to install (default: exporters/gltf_validator in this checkout).
#        For a non-editable install of hoiexport use "$HOIEXPORT_CACHE/gltf_validator",
#        the second place hoiexport looks for node_modules.
# Idempotent: does nothing when the installed tree was made from this package-lock.json.
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

want="$(sha256sum "$src/package-lock.json" | cut -c1-16)"
stamp="$dest/node_modules/.hoiexport-lock"
if [ "$(cat "$stamp" 2>/dev/null)" = "$want" ]; then
  echo "gltf-validator and glTF-Transform already installed in $dest/node_modules"
  exit 0
fi

echo "installing gltf-validator and glTF-Transform (package-lock.json $want) into $dest/node_modules"
(cd "$dest" && npm ci --no-audit --no-fund --loglevel=error)
node -e "const v = require('$dest/node_modules/gltf-validator'); console.log('gltf-validator ' + v.version() + ' ready');"
node -e "const c = require('$dest/node_modules/@gltf-transform/core'); console.log('glTF-Transform ' + c.VERSION + ' ready');"
echo "$want" > "$stamp"
