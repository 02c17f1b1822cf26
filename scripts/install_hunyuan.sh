#!/usr/bin/env bash
# Idempotent install of what the hoi3dgen Hunyuan3D-2 shape stage imports:
#   hy3dgen 2.0.2 WITHOUT its declared dependencies (gradio, fastapi, uvicorn,
#   rembg, onnxruntime, ninja, pybind11, opencv-python... are for its demo apps,
#   background removal and texture-extension builds, which hoiexport does not use),
#   plus the modules hy3dgen.shapegen really imports beyond hoiexport's own
#   dependencies (torch, diffusers, transformers, trimesh, pyyaml, tqdm, pillow):
#     einops                  - denoiser, VAE attention, preprocessing
#     scikit-image            - marching cubes (skimage.measure)
#     opencv-python-headless  - image recentring (cv2) in the preprocessor
#     pymeshlab               - imported by hy3dgen.shapegen/__init__ (postprocessors)
#     torchvision             - the conditioner's image transforms; ONLY next to a
#                               CUDA torch: PyPI's torchvision is a CUDA build whose
#                               compiled ops do not load against a CPU-only torch
#                               (and then break transformers' image processors), so
#                               with a CPU torch it is skipped and
#                               hoiexport.sdk.generators.hoi3dgen.shape supplies the three
#                               transforms hy3dgen uses.
# Hunyuan3D-Paint additionally needs hy3dgen's CUDA rasteriser (custom_rasterizer),
# which is not on PyPI: build it from the Hunyuan3D-2 sources on a CUDA machine.
#
# Usage: scripts/install_hunyuan.sh [PYTHON]   (default: .venv/bin/python)
set -euo pipefail
cd "$(dirname "$0")/.."

PY=${1:-.venv/bin/python}
if ! "$PY" -c "import torch" 2>/dev/null; then
  echo "[hunyuan] $PY has no torch: run scripts/setup.sh first" >&2
  exit 1
fi

"$PY" -m pip install -q --no-deps "hy3dgen==2.0.2"
"$PY" -m pip install -q "einops>=0.8" "scikit-image>=0.24" "opencv-python-headless>=4.10" "pymeshlab>=2023.12"

torch_version=$("$PY" -c "import torch; print(torch.__version__.split('+')[0])")
torch_cuda=$("$PY" -c "import torch; print(torch.version.cuda or '')")
if [ -n "$torch_cuda" ]; then
  # pinning torch to the installed version makes pip pick the matching torchvision
  # and leaves torch as it is
  "$PY" -m pip install -q torchvision "torch==$torch_version"
else
  echo "[hunyuan] torch $torch_version is a CPU build: torchvision skipped (see the header)" >&2
fi

"$PY" - <<'CHECK'
from hoiexport.sdk.generators.hoi3dgen.shape import import_shapegen

import_shapegen()
print("[hunyuan] hy3dgen.shapegen imports")
CHECK
