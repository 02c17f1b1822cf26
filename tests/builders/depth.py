"""A tiny random-weight Depth Anything (the real transformers classes, a 4-layer,
32-wide Dinov2 backbone) for tests of the `hoi3dgen` depth stage and the chain."""

from __future__ import annotations

from hoiexport.sdk.generators.hoi3dgen.depth import DepthAnythingEstimator, DepthOptions
from hoiexport.sdk.generators.hoi3dgen.runtime import Runtime

TINY_OPTIONS = DepthOptions(height=42, width=42)
"""Network input ≥ 42 × 42 (3 × 3 patches) instead of 518, to keep CPU tests fast."""


def tiny_depth_model():
    """`DepthAnythingForDepthEstimation` with a tiny Dinov2 backbone, seeded weights."""
    import torch
    from transformers import DepthAnythingConfig, DepthAnythingForDepthEstimation, Dinov2Config

    backbone = Dinov2Config(
        hidden_size=32,
        num_hidden_layers=4,
        num_attention_heads=2,
        mlp_ratio=2,
        patch_size=14,
        image_size=42,
        out_indices=[1, 2, 3, 4],
        reshape_hidden_states=False,
        apply_layernorm=True,
    )
    config = DepthAnythingConfig(
        backbone_config=backbone,
        patch_size=14,
        reassemble_hidden_size=32,
        reassemble_factors=[4, 2, 1, 0.5],
        neck_hidden_sizes=[8, 16, 32, 32],
        fusion_hidden_size=16,
        head_hidden_size=8,
        depth_estimation_type="relative",
    )
    torch.manual_seed(0)
    return DepthAnythingForDepthEstimation(config).eval()


def tiny_depth(runtime: Runtime) -> DepthAnythingEstimator:
    """A `DepthAnythingEstimator` over `tiny_depth_model()`, input ≥ 42 px."""
    return DepthAnythingEstimator(tiny_depth_model(), runtime, TINY_OPTIONS)
