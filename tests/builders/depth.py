"""Depth Anything (the real transformers classes) with random weights, tiny (tests
of the `hoi3dgen` depth stage and the chain) or full size (`benchmarks/gpu_chain.py`).

"tiny": a 4-layer, 32-wide Dinov2 backbone; network input ≥ 42 × 42 (3 × 3 patches).

"full": Depth-Anything-V2-Large (335M parameters); the benchmark estimates depth
for one asset's worth of views (3 RGB images of 1024 × 1024, network input
518 × 518). Sources, public:

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

from collections.abc import Mapping
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Any

from hoiexport.sdk.generators.hoi3dgen.depth import DepthAnythingEstimator, DepthOptions
from hoiexport.sdk.generators.hoi3dgen.runtime import Runtime

from tests.builders.sizes import Size, building

if TYPE_CHECKING:
    import torch
    from transformers import DepthAnythingConfig, DepthAnythingForDepthEstimation


@dataclass(frozen=True)
class DepthSize:
    """Configuration of Depth Anything at one size.

    Attributes:
        backbone: `Dinov2Config` keyword arguments.
        head: `DepthAnythingConfig` keyword arguments (besides the backbone).
        options: the backend's default options at this size.
    """

    backbone: Mapping[str, Any]
    head: Mapping[str, Any]
    options: DepthOptions


SIZES: dict[Size, DepthSize] = {
    "tiny": DepthSize(
        backbone=dict(
            hidden_size=32,
            num_hidden_layers=4,
            num_attention_heads=2,
            mlp_ratio=2,
            patch_size=14,
            image_size=42,
            out_indices=[1, 2, 3, 4],
            reshape_hidden_states=False,
            apply_layernorm=True,
        ),
        head=dict(
            patch_size=14,
            reassemble_hidden_size=32,
            reassemble_factors=[4, 2, 1, 0.5],
            neck_hidden_sizes=[8, 16, 32, 32],
            fusion_hidden_size=16,
            head_hidden_size=8,
            depth_estimation_type="relative",
        ),
        options=DepthOptions(height=42, width=42),  # instead of 518, to keep CPU tests fast
    ),
    "full": DepthSize(
        backbone=dict(
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
        ),
        head=dict(
            patch_size=14,
            reassemble_hidden_size=1024,
            reassemble_factors=[4, 2, 1, 0.5],
            neck_hidden_sizes=[256, 512, 1024, 1024],
            fusion_hidden_size=256,
            head_hidden_size=32,
            depth_estimation_type="relative",
        ),
        options=DepthOptions(),
    ),
}
"""Depth Anything at each size (full: see the module docstring for sources)."""


def depth_config(size: Size) -> DepthAnythingConfig:
    """The `DepthAnythingConfig` of `size`."""
    from transformers import DepthAnythingConfig, Dinov2Config

    spec = SIZES[size]
    return DepthAnythingConfig(backbone_config=Dinov2Config(**spec.backbone), **spec.head)


def depth_model(
    size: Size, *, seed: int = 0, device: str | torch.device = "cpu"
) -> DepthAnythingForDepthEstimation:
    """`DepthAnythingForDepthEstimation` of `size`, float32 weights seeded by `seed`,
    created on `device` ("meta" allocates nothing), in eval mode."""
    import torch
    from transformers import DepthAnythingForDepthEstimation

    config = depth_config(size)
    torch.manual_seed(seed)
    with building(device):
        return DepthAnythingForDepthEstimation(config).eval()


def build_depth(
    size: Size, runtime: Runtime, options: DepthOptions | None = None, *, device: str | torch.device = "cpu"
) -> DepthAnythingEstimator:
    """A `DepthAnythingEstimator` over `depth_model(size, device=device)` on `runtime`.

    Args:
        size: "tiny" or "full".
        runtime: the backend's runtime.
        options: None = the size's default (tiny: input ≥ 42 px; full: `DepthOptions()`).
        device: where the weights are created; the tests build on the CPU.
    """
    options = SIZES[size].options if options is None else options
    return DepthAnythingEstimator(depth_model(size, device=device), runtime, options)


# The tiny size, under the names the tests call.
TINY_OPTIONS = SIZES["tiny"].options
tiny_depth_model = partial(depth_model, "tiny")
tiny_depth = partial(build_depth, "tiny")
