"""Full-size Hunyuan3D-2 shape (DiT v2.0 + ShapeVAE + DINOv2-giant conditioner) with
random weights, then texturing, for the GPU chain benchmark.

`build_full(runtime)` returns a `HunyuanStage`: a `Hunyuan3DShape` over hy3dgen's
classes built from `FULL_CONFIG` (random weights) with the default `ShapeOptions`
(50 steps, guidance 5, octree resolution 384, 20k faces), and the texturer
`make_texturer` picks (projection unless Hunyuan3D-Paint and its weights are there),
baking 1024² textures. `run_full(stage, seed, warmup)` lifts and textures one
asset's worth of views: 3 cut-outs of 1024 × 1024.

Architecture (`FULL_CONFIG`), public sources: the `config.yaml` of
tencent/Hunyuan3D-2 `hunyuan3d-dit-v2-0`, as copied in
visualbruno/ComfyUI-Hunyuan3DWrapper `configs/dit_config.yaml` (targets prefixed
there with "."): DiT in_channels 64, context_in_dim 1536, hidden 1024, 16 heads,
16 double + 32 single blocks, axes_dim [64]; ShapeVAE 3072 latents × 64, width
1024, 16 heads, 16 decoder layers, num_freqs 8, include_pi false, qkv_bias false,
qk_norm true, scale_factor 0.9990943042622529; conditioner DINOv2-giant (hidden
1536, 40 layers, 24 heads, SwiGLU, patch 14) at 518 px; FlowMatchEulerDiscrete
scheduler (1000 train steps); ImageProcessorV2 size 512, border 0.15. The DiT
numbers agree with sglang's `Hunyuan3DDiTArchConfig` for Hunyuan3D-2.0.

Random weights decode a meaningless occupancy field: its surface can be far denser
than a real shape's (the clean-up and decimation then take longer than they would)
or absent (hy3dgen finds no zero crossing). The note says which happened.
"""

from __future__ import annotations

import copy
import time
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from hoiexport.sdk.core.errors import InputError
from hoiexport.sdk.generators.hoi3dgen.protocols import Texturer
from hoiexport.sdk.generators.hoi3dgen.runtime import Runtime
from hoiexport.sdk.generators.hoi3dgen.shape import Hunyuan3DShape, ShapeOptions, import_shapegen
from hoiexport.sdk.generators.hoi3dgen.texture import ProjectionOptions, choose_texturer

VIEWS = 3
IMAGE_SIZE = 1024
TEXTURE_SIZE = 1024

FULL_CONFIG: dict[str, Any] = {
    "model": {
        "target": "hy3dgen.shapegen.models.Hunyuan3DDiT",
        "params": {
            "in_channels": 64,
            "context_in_dim": 1536,
            "hidden_size": 1024,
            "mlp_ratio": 4.0,
            "num_heads": 16,
            "depth": 16,
            "depth_single_blocks": 32,
            "axes_dim": [64],
            "theta": 10000,
            "qkv_bias": True,
        },
    },
    "vae": {
        "target": "hy3dgen.shapegen.models.ShapeVAE",
        "params": {
            "num_latents": 3072,
            "embed_dim": 64,
            "num_freqs": 8,
            "include_pi": False,
            "heads": 16,
            "width": 1024,
            "num_decoder_layers": 16,
            "qkv_bias": False,
            "qk_norm": True,
            "scale_factor": 0.9990943042622529,
        },
    },
    "conditioner": {
        "target": "hy3dgen.shapegen.models.SingleImageEncoder",
        "params": {
            "main_image_encoder": {
                "type": "DinoImageEncoder",
                "kwargs": {
                    "config": {
                        "attention_probs_dropout_prob": 0.0,
                        "drop_path_rate": 0.0,
                        "hidden_act": "gelu",
                        "hidden_dropout_prob": 0.0,
                        "hidden_size": 1536,
                        "image_size": 518,
                        "initializer_range": 0.02,
                        "layer_norm_eps": 1e-6,
                        "layerscale_value": 1.0,
                        "mlp_ratio": 4,
                        "model_type": "dinov2",
                        "num_attention_heads": 24,
                        "num_channels": 3,
                        "num_hidden_layers": 40,
                        "patch_size": 14,
                        "qkv_bias": True,
                        "use_swiglu_ffn": True,
                    },
                    "image_size": 518,
                },
            }
        },
    },
    "scheduler": {
        "target": "hy3dgen.shapegen.schedulers.FlowMatchEulerDiscreteScheduler",
        "params": {"num_train_timesteps": 1000},
    },
    "image_processor": {
        "target": "hy3dgen.shapegen.preprocessors.ImageProcessorV2",
        "params": {"size": 512, "border_ratio": 0.15},
    },
}


@dataclass
class HunyuanStage:
    """Stage 4 at full size: the shape backend and the texturer."""

    shape: Hunyuan3DShape
    texturer: Texturer
    texturer_reason: str


def full_components(device: str = "cpu") -> dict[str, Any]:
    """hy3dgen components of `FULL_CONFIG`, random weights, built directly on
    `device` ("meta" allocates nothing)."""
    import torch

    import_shapegen()
    from hy3dgen.shapegen.pipelines import instantiate_from_config

    torch.manual_seed(0)
    with torch.device(device):
        return {name: instantiate_from_config(copy.deepcopy(section)) for name, section in FULL_CONFIG.items()}


def parameter_counts(components: dict[str, Any]) -> dict[str, int]:
    """Parameters per network component."""
    return {name: sum(p.numel() for p in components[name].parameters()) for name in ("model", "vae", "conditioner")}


def build_full(runtime: Runtime) -> HunyuanStage:
    """Hunyuan3D-2 shape at full size (random weights) and the texturer, on `runtime`."""
    shape = Hunyuan3DShape(**full_components(runtime.device), runtime=runtime, options=ShapeOptions())
    choice = choose_texturer(runtime, options=ProjectionOptions(size=TEXTURE_SIZE))
    return HunyuanStage(shape, choice.texturer, choice.reason)


def _cutout(rng: np.random.Generator) -> np.ndarray:
    """A 1024² cut-out: a random-coloured figure on white, with a margin."""
    image = np.full((IMAGE_SIZE, IMAGE_SIZE, 3), 255, dtype=np.uint8)
    m = IMAGE_SIZE // 8
    figure = rng.integers(0, 230, (IMAGE_SIZE - 2 * m, IMAGE_SIZE - 6 * m, 3))
    image[m : IMAGE_SIZE - m, 3 * m : IMAGE_SIZE - 3 * m] = figure
    return image


def run_full(stage: HunyuanStage, seed: int, warmup: bool = False) -> str:
    """Lift and texture `VIEWS` 1024² cut-outs (warm-up: one view, 1 step, octree 64).

    Returns:
        A note for the benchmark table: seconds per part, faces, which texturer.
    """
    rng = np.random.default_rng(seed)
    full = stage.shape.options
    views = 1 if warmup else VIEWS
    opts = replace(full, steps=1, octree_resolution=64) if warmup else full
    stage.shape.options = opts
    lift_s = texture_s = 0.0
    faces: list[int] = []
    empty = 0
    try:
        for k in range(views):
            image = _cutout(rng)
            t = time.perf_counter()
            try:
                mesh = stage.shape.lift(image, seed=seed + k)
            except InputError:  # random weights: no zero crossing in the field
                lift_s += time.perf_counter() - t
                empty += 1
                continue
            lift_s += time.perf_counter() - t
            faces.append(len(mesh.faces))
            t = time.perf_counter()
            stage.texturer.texture(mesh, image)
            texture_s += time.perf_counter() - t
    finally:
        stage.shape.options = full
    note = (f"{views} view(s) {IMAGE_SIZE}², {opts.steps} steps, octree {opts.octree_resolution}: "
            f"lift {lift_s:.1f} s, texture ({stage.texturer.name}) {texture_s:.1f} s, faces {faces}")
    if empty:
        note += f"; {empty} view(s) without a surface (random field): their time is DiT + VAE decode only"
    return note
