#!/usr/bin/env bash
# One-time, idempotent set-up of a development / user environment in ./.venv:
#   1. a Python >= 3.11 virtual environment;
#   2. torch: kept when the venv already has one (e.g. the user's CUDA build);
#      else torch==2.13.0 on machines without CUDA (a CPU build; an unpinned
#      torch would pull a multi-GB CUDA build), else the registry's default;
#   3. hoiexport itself (editable, a strict link tree under build/) with the test extra;
#   4. the Khronos glTF-Validator (npm) used by `hoiexport validate`;
#   5. the Anny body model's one-time build into $HOIEXPORT_CACHE (~3-4 min, once).
set -euo pipefail
cd "$(dirname "$0")/.."

PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PY" - <<'PYV'
import sys
if sys.version_info < (3, 11):
    sys.exit(f"hoiexport needs Python >= 3.11, found {sys.version.split()[0]}: set PYTHON=/path/to/python3.11")
PYV
  echo "[setup] creating .venv" >&2
  "$PY" -m venv .venv
fi
VPY=.venv/bin/python
stamp=.venv/.hoiexport-setup
# the strict editable install is a link tree of the package files: a new or moved
# module needs a reinstall, so their list is part of the stamp
want="$( (cat pyproject.toml scripts/install_hunyuan.sh exporters/gltf_validator/package*.json 2>/dev/null;
         find -L hoiexport -name '*.py' -not -path '*/node_modules/*' | LC_ALL=C sort) | sha256sum | cut -c1-16)"

if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  "$VPY" -m pip install -q --upgrade pip >/dev/null
  if ! "$VPY" -c "import torch" 2>/dev/null; then
    if command -v nvidia-smi >/dev/null 2>&1 && nvidia-smi -L >/dev/null 2>&1; then
      echo "[setup] CUDA GPU found: installing the registry's torch" >&2
      "$VPY" -m pip install -q torch
    else
      echo "[setup] no CUDA: installing torch==2.13.0 (CPU build)" >&2
      "$VPY" -m pip install -q torch==2.13.0
    fi
  fi
  echo "[setup] installing hoiexport (editable) and its dependencies" >&2
  "$VPY" -m pip install -q -e ".[test]" --config-settings editable_mode=strict
  echo "[setup] installing hy3dgen's shape code (hoi3dgen generator, tiny-model tests)" >&2
  bash scripts/install_hunyuan.sh "$VPY"
  if [ -f scripts/install_validators.sh ]; then
    bash scripts/install_validators.sh
  fi
  echo "$want" > "$stamp"
fi

# Build (or verify) the Anny body model cache once; prints progress on first build.
"$VPY" -m hoiexport.sdk.bodies.anny_cache --ensure
