"""Full-size body regressor (CameraHMR) with RANDOM weights, for `benchmarks/gpu_chain.py`.

Architecture: `CameraHMRConfig()` defaults, which are the released model's
(pixelite1201/CameraHMR: `core/backbones/vit.py` `vit()` — ViT-H/16, img_size
(256, 192), embed 1280, depth 32, heads 16, mlp_ratio 4, qkv_bias;
`core/constants.py` TRANSFORMER_DECODER — depth 6, heads 8, dim_head 64, mlp_dim
1024, context_dim 1280; `core/heads/smpl_head_cliff.py` — decoder width 1024):
670.7 M parameters. Input: 256 × 256 person crops (the backbone sees 256 × 192).

One asset's worth of the stage: the estimator regresses each lifted view's human
(3 views) from a rendered front view (512², the render size of
`RegressorEstimatorOptions`), and a second time when the first estimate faces
away from the camera; timed here as the worst case, 2 regressions per view. The
CPU parts of `RegressorEstimator` (embree render, body placement, point-cloud
fallback) are not included.

    .venv/bin/python benchmarks/gpu_chain.py --stages regressor
"""

from __future__ import annotations

import numpy as np
from hoiexport.sdk.generators.hoi3dgen.camerahmr_net import CameraHMRConfig, CameraHMRNet
from hoiexport.sdk.generators.hoi3dgen.regressor import CameraHMRRegressor
from hoiexport.sdk.generators.hoi3dgen.runtime import Runtime

VIEWS = 3
REGRESSIONS_PER_VIEW = 2
RESOLUTION = 512


def build_full(runtime: Runtime) -> CameraHMRRegressor:
    """The regressor at the released size with random weights, on `runtime`'s device."""
    import torch

    with torch.device(runtime.torch_device):
        net = CameraHMRNet(CameraHMRConfig())
    with torch.no_grad():  # read-outs ×0.01 (HMR 2.0's decoder init): the random camera scale stays > 0
        for layer in (net.smpl_head.decpose, net.smpl_head.decshape, net.smpl_head.deccam, net.smpl_head.deckp):
            layer.weight.mul_(0.01)
            layer.bias.mul_(0.01)
    return CameraHMRRegressor(net, runtime)


def run_full(backend: CameraHMRRegressor, seed: int, warmup: bool = False) -> str:
    """Regress 3 views × 2 (one regression when `warmup`) on random 512² images with a
    person-sized box; returns a note for the figures table."""
    rng = np.random.default_rng(seed)
    count = 1 if warmup else VIEWS * REGRESSIONS_PER_VIEW
    box = np.array([176.0, 40.0, 336.0, 472.0])  # a standing person in a 40° render
    focal = 0.5 * RESOLUTION / np.tan(np.radians(40.0) / 2.0)
    for _ in range(count):
        image = rng.integers(0, 256, (RESOLUTION, RESOLUTION, 3), dtype=np.uint8)
        backend.predict(image, box, focal=float(focal))
    return f"{count} regressions (ViT-H 256x192 + 6-layer decoder), CPU render/placement not timed"


def _meta_check() -> int:
    """Build the full-size network on the meta device (no memory) and count its parameters."""
    import torch

    with torch.device("meta"):
        net = CameraHMRNet(CameraHMRConfig())
    return sum(p.numel() for p in net.parameters())


if __name__ == "__main__":
    print(f"CameraHMR full size: {_meta_check() / 1e6:.1f} M parameters")
