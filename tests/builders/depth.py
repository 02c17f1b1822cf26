"""Depth Anything (the real transformers classes) with random weights, tiny (tests
of the `hoi3dgen` depth stage and the chain) or full size (`benchmarks/gpu_chain.py`).

"tiny": a 4-layer, 32-wide Dinov2 backbone; network input ≥ 42 × 42 (3 × 3 patches).

"full": Depth Anything V1-Large or V2-Large (335M parameters each; they differ
only in which backbone layers feed the head); the benchmark estimates depth for
one asset's worth of views (3 RGB images of 1024 × 1024, network input
518 × 518). Sources, public:

- transformers' `convert_depth_anything_to_hf.py` (huggingface/transformers,
  src/transformers/models/depth_anything/): for "large"/"vitl" checkpoints,
  backbone `facebook/dinov2-large`, apply_layernorm=True,
  reshape_hidden_states=False; fusion_hidden_size 256; neck_hidden_sizes
  [256, 512, 1024, 1024]; reassemble_hidden_size = backbone hidden size;
  patch_size 14; depth_estimation_type "relative"; out_indices [5, 12, 18, 24]
  for V2, the last four layers [21, 22, 23, 24] for V1 (also in the
  `config.json` of LiheYoung/depth-anything-large-hf as copied by public mirrors).
- facebook/dinov2-large config: hidden_size 1024, 24 layers, 16 heads,
  mlp_ratio 4, patch_size 14, image_size 518, layerscale_value 1.0.
- Depth-Anything-V2-Large-hf preprocessor_config.json: size 518 × 518,
  ensure_multiple_of 14, ImageNet mean / std (= `DepthOptions()` defaults).

`write_depth_anything_large` / `write_depth_anything_v2_large` write the two
lock entries tiny in their real layout (`config.json`, `model.safetensors`,
`preprocessor_config.json`); `LOCK_WRITERS` maps entry names to them.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hoiexport.sdk.generators.hoi3dgen.depth import (
    DEFAULT_MODEL,
    DEPTH_MODELS,
    DepthAnythingEstimator,
    DepthModelName,
    DepthOptions,
)
from hoiexport.sdk.generators.hoi3dgen.runtime import Runtime

from tests.builders.sizes import Size, building

if TYPE_CHECKING:
    import torch
    from transformers import DepthAnythingConfig, DepthAnythingForDepthEstimation


@dataclass(frozen=True)
class DepthSize:
    """Configuration of Depth Anything at one size.

    Attributes:
        backbone: `Dinov2Config` keyword arguments except out_indices (`OUT_INDICES`).
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
"""Depth Anything at each size (full: see the module docstring for sources); the
backbone's out_indices depend on the model as well (`OUT_INDICES`)."""

OUT_INDICES: dict[tuple[Size, DepthModelName], list[int]] = {
    ("tiny", "v1-large"): [1, 2, 3, 4],
    ("tiny", "v2-large"): [1, 2, 3, 4],
    ("full", "v1-large"): [21, 22, 23, 24],
    ("full", "v2-large"): [5, 12, 18, 24],
}
"""Backbone layers feeding the head: V1 takes the last four, V2 four spread ones."""


def depth_config(size: Size, model: DepthModelName = DEFAULT_MODEL) -> DepthAnythingConfig:
    """The `DepthAnythingConfig` of `model` ("v1-large" / "v2-large") at `size`."""
    from transformers import DepthAnythingConfig, Dinov2Config

    spec = SIZES[size]
    backbone = {**spec.backbone, "out_indices": OUT_INDICES[size, model]}
    return DepthAnythingConfig(backbone_config=Dinov2Config(**backbone), **spec.head)


def depth_model(
    size: Size, *, seed: int = 0, device: str | torch.device = "cpu", model: DepthModelName = DEFAULT_MODEL
) -> DepthAnythingForDepthEstimation:
    """`DepthAnythingForDepthEstimation` (`model`'s layout) of `size`, float32 weights
    seeded by `seed`, created on `device` ("meta" allocates nothing), in eval mode."""
    import torch
    from transformers import DepthAnythingForDepthEstimation

    config = depth_config(size, model)
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
    return DepthAnythingEstimator(depth_model(size, device=device, model=options.model), runtime, options)


# The tiny size, under the names the tests call.
TINY_OPTIONS = SIZES["tiny"].options
tiny_depth_model = partial(depth_model, "tiny")
tiny_depth = partial(build_depth, "tiny")


# ----------------------------------------------------------------------------- lock entries on disk

PREPROCESSOR_CONFIG: Mapping[str, Any] = {
    "do_normalize": True,
    "do_rescale": True,
    "do_resize": True,
    "ensure_multiple_of": 14,
    "image_mean": [0.485, 0.456, 0.406],
    "image_processor_type": "DPTImageProcessor",
    "image_std": [0.229, 0.224, 0.225],
    "keep_aspect_ratio": True,
    "resample": 3,
    "rescale_factor": 0.00392156862745098,
    "size": {"height": 518, "width": 518},
}
"""The published `preprocessor_config.json` of the Depth Anything Large repositories
(DPT image processor: 518 px lower bound, multiple of 14, bicubic, ImageNet mean / std)."""


def _write_depth(models_dir: Path, model: DepthModelName, seed: int) -> Path:
    """`depth_model("tiny", model=model)` saved as transformers writes it
    (`config.json`, `model.safetensors`) plus `preprocessor_config.json` with the
    published keys and the tiny input size (42 px), under `models_dir/<entry>`."""
    folder = Path(models_dir) / DEPTH_MODELS[model].name
    depth_model("tiny", seed=seed, model=model).save_pretrained(folder, safe_serialization=True)
    tiny = SIZES["tiny"].options
    config = {**PREPROCESSOR_CONFIG, "size": {"height": tiny.height, "width": tiny.width}}
    (folder / "preprocessor_config.json").write_text(json.dumps(config, indent=2))
    return folder


def write_depth_anything_large(models_dir: Path) -> Path:
    """Lock entry `depth-anything-large` (LiheYoung/depth-anything-large-hf, V1), tiny,
    weights `depth_model("tiny", seed=1, model="v1-large")`.

    Returns:
        The entry's folder, `models_dir/depth-anything-large`.
    """
    return _write_depth(models_dir, "v1-large", seed=1)


def write_depth_anything_v2_large(models_dir: Path) -> Path:
    """Lock entry `depth-anything-v2-large` (depth-anything/Depth-Anything-V2-Large-hf),
    tiny, weights `depth_model("tiny", seed=2, model="v2-large")`.

    Returns:
        The entry's folder, `models_dir/depth-anything-v2-large`.
    """
    return _write_depth(models_dir, "v2-large", seed=2)


LOCK_WRITERS: dict[str, Callable[[Path], Path]] = {
    DEPTH_MODELS["v1-large"].name: write_depth_anything_large,
    DEPTH_MODELS["v2-large"].name: write_depth_anything_v2_large,
}
"""Lock entry → the function that writes it tiny under a models dir."""

TINY_V2_OPTIONS = replace(SIZES["tiny"].options, model="v2-large")
"""The tiny options with the V2 weights selected."""
