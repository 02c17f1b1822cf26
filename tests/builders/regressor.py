"""A tiny random-weight CameraHMR (the real `CameraHMRNet` classes: a 2-block,
32-wide ViT on 32 × 24 crops and a 2-layer decoder head) for tests of the body
regressor stage and the `hoi3dgen` chain."""

from __future__ import annotations

import torch
from hoiexport.sdk.generators.hoi3dgen.camerahmr_net import CameraHMRConfig, CameraHMRNet
from hoiexport.sdk.generators.hoi3dgen.regressor import CameraHMRRegressor
from hoiexport.sdk.generators.hoi3dgen.runtime import Runtime

TINY_CONFIG = CameraHMRConfig(
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
)
"""32 × 32 crops (backbone 32 × 24, a 4 × 3 patch grid) instead of 256 × 256."""


def tiny_camerahmr_net(seed: int = 0) -> CameraHMRNet:
    """`CameraHMRNet(TINY_CONFIG)` with seeded weights; the read-out layers are scaled
    by 0.01 (as HMR 2.0 initialises its decoders) so outputs stay near the mean
    parameters: an upright person facing the camera, camera scale ≈ 0.9."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        net = CameraHMRNet(TINY_CONFIG)
    with torch.no_grad():
        for layer in (net.smpl_head.decpose, net.smpl_head.decshape, net.smpl_head.deccam, net.smpl_head.deckp):
            layer.weight.mul_(0.01)
            layer.bias.mul_(0.01)
    return net.eval()


def tiny_regressor(runtime: Runtime) -> CameraHMRRegressor:
    """A `CameraHMRRegressor` over `tiny_camerahmr_net()`."""
    return CameraHMRRegressor(tiny_camerahmr_net(), runtime)
