"""Full-size Depth Anything V2 Large with random weights, for the GPU chain benchmark.

`build_full(runtime)` returns a `DepthAnythingEstimator` over a
`DepthAnythingForDepthEstimation` of Depth-Anything-V2-Large's architecture
(335M parameters) with random weights; `run_full(backend, seed, warmup)` estimates depth
for one asset's worth of views (3 RGB images of 1024 × 1024, network input
518 × 518).

Architecture (sources, public):
- transformers' `convert_depth_anything_to_hf.py` (huggingface/transformers,
  src/transformers/models/depth_anything/): for "large"/"vitl" V2 checkpoints,
  backbone `facebook/dinov2-large` with out_indices [5, 12, 18, 24],
  apply_layernorm=True, reshape_hidden_states=False; fusion_hidden_size 256;
  neck_hidden_sizes [256, 512, 1024, 1024]; reassemble_hidden_size = backbone
  hidden size; patch_size 14; depth_estimation_type "relative".
- facebook/dinov2-large config: hidden_size 1024, 24 layers, 16 heads,
  mlp_ratio 4, patch_size 14, image_size 518, layerscale_value 1.0.
- Depth-Anything-V2-Large-hf preprocessor_config.json: size 518 × 518,
  ensure_multiple_of 14, ImageNet mean / std (= `DepthOptions()` defaults).
"""

from __future__ import annotations

import numpy as np

from hoiexport.sdk.generators.hoi3dgen.depth import DepthAnythingEstimator, DepthOptions
from hoiexport.sdk.generators.hoi3dgen.runtime import Runtime

VIEWS = 3
IMAGE_SIZE = 1024


def full_config():
    """`DepthAnythingConfig` of Depth-Anything-V2-Large (see the module docstring)."""
    from transformers import DepthAnythingConfig, Dinov2Config

    backbone = Dinov2Config(
        hidden_size=1024,
        num_hidden_layers=24,
        num_attention_heads=16,
        mlp_ratio=4,
        patch_size=14,
        image_size=518,
        layerscale_value=1.0,
        out_indices=[5, 12, 18, 24],
        apply_layernorm=True,
        reshape_hidden_states=False,
    )
    return DepthAnythingConfig(
        backbone_config=backbone,
        patch_size=14,
        reassemble_hidden_size=1024,
        reassemble_factors=[4, 2, 1, 0.5],
        neck_hidden_sizes=[256, 512, 1024, 1024],
        fusion_hidden_size=256,
        head_hidden_size=32,
        depth_estimation_type="relative",
    )


def full_model(device: str = "cpu"):
    """The random-weight model, built directly on `device` ("meta" allocates nothing)."""
    import torch
    from transformers import DepthAnythingForDepthEstimation

    torch.manual_seed(0)
    with torch.device(device):
        return DepthAnythingForDepthEstimation(full_config()).eval()


def build_full(runtime: Runtime) -> DepthAnythingEstimator:
    """Depth Anything V2 Large at full size, random weights, on `runtime`."""
    return DepthAnythingEstimator(full_model(runtime.device), runtime, DepthOptions())


def run_full(backend: DepthAnythingEstimator, seed: int, warmup: bool = False) -> str:
    """Depth of one asset: `VIEWS` random 1024² RGB images (warm-up: one image).

    Returns:
        A note for the benchmark table: what ran.
    """
    rng = np.random.default_rng(seed)
    views = 1 if warmup else VIEWS
    images = [rng.integers(0, 256, (IMAGE_SIZE, IMAGE_SIZE, 3), dtype=np.uint8) for _ in range(views)]
    depths = [backend.estimate(image) for image in images]
    h, w = backend.options.network_size(IMAGE_SIZE, IMAGE_SIZE)
    return f"{len(depths)} view(s) {IMAGE_SIZE}x{IMAGE_SIZE}, network input {w}x{h}"
