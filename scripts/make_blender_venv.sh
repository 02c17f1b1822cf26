#!/usr/bin/env bash
# Creates (once) a separate Python 3.11 virtual environment holding Blender as a
# Python module (`bpy` from PyPI), used by the Blender import test
# (tests/exporters/test_blender_import.py) and the Blender benchmark.
#
# bpy cannot live in the project's .venv: each bpy release requires exactly one
# Python minor version (4.5.x: ==3.11.*) and numpy < 2, and its wheel is ~370 MB.
#
# Usage: scripts/make_blender_venv.sh [DIR]
#   DIR  the venv (default: <cache>/blender-venv, <cache> being hoiexport's cache folder,
#        hoiexport.sdk.core.cache.cache_dir(): $HOIEXPORT_CACHE, else the per-user cache
#        (~/.cache/hoiexport on Linux). Never inside the git tree.
# Environment:
#   PYTHON       the Python 3.11 interpreter that creates the venv (default: python3.11)
#   BPY_VERSION  the bpy release (default: 4.5.4, Blender 4.5 LTS)
# Prints the venv's python path as the last line of stdout (progress goes to stderr).
# Idempotent: does nothing when the venv already imports the pinned bpy.
# Exit status: 0 ready; 3 when bpy cannot be installed here (no Python 3.11, no
# wheel for this platform, no registry), with one line on stderr saying why.
set -euo pipefail

cant() {
  echo "make_blender_venv: $*" >&2
  exit 3
}

BPY_VERSION=${BPY_VERSION:-4.5.4}
PY=${PYTHON:-python3.11}
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
if [ -n "${1:-}" ]; then
  venv=$1
else
  # the project's own notion of its cache folder when its venv is there, else the Linux default
  cache="$("$repo/.venv/bin/python" -c 'from hoiexport.sdk.core.cache import cache_dir; print(cache_dir())' 2>/dev/null)" \
    || cache=${HOIEXPORT_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/hoiexport}
  venv=$cache/blender-venv
fi
case "$(mkdir -p "$(dirname "$venv")" && cd "$(dirname "$venv")" && pwd)/" in
  "$repo"/*) cant "$venv is inside the git tree $repo; pass a folder outside it (e.g. under \$HOIEXPORT_CACHE)" ;;
esac
stamp="$venv/.hoiexport-bpy"

if [ "$(cat "$stamp" 2>/dev/null)" = "bpy==$BPY_VERSION" ] && [ -x "$venv/bin/python" ]; then
  echo "$venv/bin/python"
  exit 0
fi

command -v "$PY" >/dev/null 2>&1 || cant "'$PY' not found; bpy $BPY_VERSION needs Python 3.11: set PYTHON=/path/to/python3.11"
"$PY" -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 11) else 1)' \
  || cant "'$PY' is Python $("$PY" -c 'import platform; print(platform.python_version())'); bpy $BPY_VERSION needs 3.11: set PYTHON=/path/to/python3.11"

rm -f "$stamp"
if [ -x "$venv/bin/python" ] && ! "$venv/bin/python" -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 11) else 1)'; then
  cant "$venv holds a venv that is not Python 3.11; remove it (rm -r '$venv') and run again"
fi
if [ ! -x "$venv/bin/python" ]; then
  echo "[blender-venv] creating $venv" >&2
  mkdir -p "$(dirname "$venv")"
  "$PY" -m venv "$venv"
fi
echo "[blender-venv] installing bpy==$BPY_VERSION (a ~370 MB wheel, once)" >&2
# bpy pins its own numpy (<2); nothing else of hoiexport is installed here
"$venv/bin/python" -m pip install -q --disable-pip-version-check "bpy==$BPY_VERSION" \
  || cant "pip could not install bpy==$BPY_VERSION into $venv (no wheel for $(uname -sm) / Python 3.11, or no registry)"
version="$("$venv/bin/python" -c 'import bpy; print(bpy.app.version_string)' 2>/dev/null)" \
  || cant "bpy==$BPY_VERSION installed in $venv but 'import bpy' fails (missing system libraries? try: apt-get install libxrender1 libxxf86vm1 libxfixes3 libxi6 libxkbcommon0 libsm6 libgl1)"
echo "bpy==$BPY_VERSION" > "$stamp"
echo "[blender-venv] Blender $version ready" >&2
echo "$venv/bin/python"
