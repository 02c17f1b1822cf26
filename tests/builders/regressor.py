"""CameraHMR (the real `CameraHMRNet` classes) with random weights, tiny (tests of
the body regressor stage and the `hoi3dgen` chain) or full size (`benchmarks/gpu_chain.py`).

"tiny": a 2-block, 32-wide ViT on 32 × 24 crops and a 2-layer decoder head.

"full": `CameraHMRConfig()` defaults, which are the released model's
(pixelite1201/CameraHMR: `core/backbones/vit.py` `vit()` — ViT-H/16, img_size
(256, 192), embed 1280, depth 32, heads 16, mlp_ratio 4, qkv_bias;
`core/constants.py` TRANSFORMER_DECODER — depth 6, heads 8, dim_head 64, mlp_dim
1024, context_dim 1280; `core/heads/smpl_head_cliff.py` — decoder width 1024):
670.7 M parameters. Input: 256 × 256 person crops (the backbone sees 256 × 192).
"""

from __future__ import annotations

from functools import partial

import torch
from hoiexport.sdk.generators.hoi3dgen.camerahmr_net import CameraHMRConfig, CameraHMRNet
from hoiexport.sdk.generators.hoi3dgen.regressor import CameraHMRRegressor
from hoiexport.sdk.generators.hoi3dgen.runtime import Runtime

from tests.builders.sizes import Size, building

SIZES: dict[Size, CameraHMRConfig] = {
    # 32 × 32 crops (backbone 32 × 24, a 4 × 3 patch grid) instead of 256 × 256
    "tiny": CameraHMRConfig(
        crop_size=32,
        backbone_width=24,
        patch_size=8,
        patch_padding=2,
        embed_dim=32,
        depth=2,
        num_heads=2,
        mlp_ratio=2.0,
        decoder_dim=32,
        decoder_depth=2,
        decoder_heads=2,
        decoder_dim_head=16,
        decoder_mlp_dim=64,
    ),
    "full": CameraHMRConfig(),
}
"""CameraHMR at each size (full: see the module docstring for sources)."""


def camerahmr_net(size: Size, *, seed: int = 0, device: str | torch.device = "cpu") -> CameraHMRNet:
    """`CameraHMRNet(SIZES[size])` with weights seeded by `seed` (the global torch
    RNG is left as it was), created on `device` ("meta" allocates nothing), in
    eval mode.

    The read-out layers are scaled by 0.01 (as HMR 2.0 initialises its decoders)
    so outputs stay near the mean parameters: an upright person facing the
    camera, camera scale ≈ 0.9 (and > 0 at any size).
    """
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        with building(device):
            net = CameraHMRNet(SIZES[size])
    with torch.no_grad():
        for layer in (net.smpl_head.decpose, net.smpl_head.decshape, net.smpl_head.deccam, net.smpl_head.deckp):
            layer.weight.mul_(0.01)
            layer.bias.mul_(0.01)
    return net.eval()


def build_regressor(size: Size, runtime: Runtime, *, device: str | torch.device = "cpu") -> CameraHMRRegressor:
    """A `CameraHMRRegressor` over `camerahmr_net(size, device=device)` on `runtime`."""
    return CameraHMRRegressor(camerahmr_net(size, device=device), runtime)


# The tiny size, under the names the tests call.
TINY_CONFIG = SIZES["tiny"]
tiny_camerahmr_net = partial(camerahmr_net, "tiny")
tiny_regressor = partial(build_regressor, "tiny")
