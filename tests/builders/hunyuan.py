"""Hunyuan3D-2 shape models (hy3dgen's own classes) with random weights, tiny (tests
of the `hoi3dgen` shape / texture stage and of the chain) or full size
(`benchmarks/gpu_chain.py`), and a small projection texturer for the tests.

Each size is a config of the layout of hy3dgen's `config.yaml` (same sections
and targets as `hunyuan3d-dit-v2-0/config.yaml`), so tests can also write it to
disk and load it back through `Hunyuan3DShape.from_pretrained`.

"tiny": a 1+1-block, 32-wide `Hunyuan3DDiT`, a 1-layer `ShapeVAE` over 16
latents, a 1-layer DINOv2 conditioner on 28-px input.

"full": Hunyuan3D-2 shape (DiT v2.0 + ShapeVAE + DINOv2-giant conditioner) with
the default `ShapeOptions` (50 steps, guidance 5, octree resolution 384, 20k
faces). Public sources: the `config.yaml` of tencent/Hunyuan3D-2
`hunyuan3d-dit-v2-0`, as copied in visualbruno/ComfyUI-Hunyuan3DWrapper
`configs/dit_config.yaml` (targets prefixed there with "."): DiT in_channels 64,
context_in_dim 1536, hidden 1024, 16 heads, 16 double + 32 single blocks,
axes_dim [64]; ShapeVAE 3072 latents × 64, width 1024, 16 heads, 16 decoder
layers, num_freqs 8, include_pi false, qkv_bias false, qk_norm true,
scale_factor 0.9990943042622529; conditioner DINOv2-giant (hidden 1536, 40
layers, 24 heads, SwiGLU, patch 14) at 518 px; FlowMatchEulerDiscrete scheduler
(1000 train steps); ImageProcessorV2 size 512, border 0.15. The DiT numbers
agree with sglang's `Hunyuan3DDiTArchConfig` for Hunyuan3D-2.0.

Random weights decode a meaningless occupancy field: at full size its surface
can be far denser than a real shape's or absent (hy3dgen finds no zero crossing).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Any

from hoiexport.sdk.generators.hoi3dgen.runtime import Runtime
from hoiexport.sdk.generators.hoi3dgen.shape import Hunyuan3DShape, ShapeOptions, import_shapegen
from hoiexport.sdk.generators.hoi3dgen.texture import ProjectionOptions, ProjectionTexturer

from tests.builders.sizes import Size, building

if TYPE_CHECKING:
    import torch

TINY_CONFIG: dict[str, Any] = {
    "model": {
        "target": "hy3dgen.shapegen.models.Hunyuan3DDiT",
        "params": {
            "in_channels": 8,
            "context_in_dim": 32,
            "hidden_size": 32,
            "mlp_ratio": 2.0,
            "num_heads": 2,
            "depth": 1,
            "depth_single_blocks": 1,
            "axes_dim": [16],
            "theta": 10000,
            "qkv_bias": True,
        },
    },
    "vae": {
        "target": "hy3dgen.shapegen.models.ShapeVAE",
        "params": {
            "num_latents": 16,
            "embed_dim": 8,
            "num_freqs": 4,
            "include_pi": False,
            "heads": 2,
            "width": 32,
            "num_decoder_layers": 1,
            "qkv_bias": False,
            "qk_norm": True,
            "scale_factor": 1.0,
        },
    },
    "conditioner": {
        "target": "hy3dgen.shapegen.models.SingleImageEncoder",
        "params": {
            "main_image_encoder": {
                "type": "DinoImageEncoder",
                "kwargs": {
                    "config": {
                        "hidden_size": 32,
                        "num_hidden_layers": 1,
                        "num_attention_heads": 2,
                        "mlp_ratio": 2,
                        "image_size": 28,
                        "patch_size": 14,
                        "qkv_bias": True,
                        "use_swiglu_ffn": True,
                        "layerscale_value": 1.0,
                        "layer_norm_eps": 1e-6,
                        "model_type": "dinov2",
                    },
                    "image_size": 28,
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
        "params": {"size": 64, "border_ratio": 0.15},
    },
}
"""hy3dgen config for the tiny model (DINOv2 patch 14 is fixed by hy3dgen: 28 px = 2×2 patches)."""

TINY_OPTIONS = ShapeOptions(steps=2, guidance=5.0, octree_resolution=16, num_chunks=8192, max_faces=800)
"""2 flow steps, a 17³ grid and an 800-face budget (the raw surface has ~3k faces,
so decimation runs)."""

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
"""hy3dgen config of Hunyuan3D-2 `hunyuan3d-dit-v2-0` (see the module docstring for sources)."""


@dataclass(frozen=True)
class HunyuanSize:
    """Hunyuan3D-2 shape at one size.

    Attributes:
        config: hy3dgen config (`config.yaml` layout: section -> target + params).
        options: the backend's default options at this size.
    """

    config: dict[str, Any]
    options: ShapeOptions


SIZES: dict[Size, HunyuanSize] = {
    "tiny": HunyuanSize(TINY_CONFIG, TINY_OPTIONS),
    "full": HunyuanSize(FULL_CONFIG, ShapeOptions()),
}


def hunyuan_components(size: Size, *, seed: int = 0, device: str | torch.device = "cpu") -> dict[str, Any]:
    """hy3dgen components (model, vae, conditioner, scheduler, image_processor) of
    `size`, float32 weights seeded by `seed`, created on `device` ("meta"
    allocates nothing)."""
    import torch

    import_shapegen()
    from hy3dgen.shapegen.pipelines import instantiate_from_config

    torch.manual_seed(seed)
    with building(device):
        return {
            name: instantiate_from_config(copy.deepcopy(section)) for name, section in SIZES[size].config.items()
        }


def build_hunyuan(
    size: Size, runtime: Runtime, options: ShapeOptions | None = None, *, device: str | torch.device = "cpu"
) -> Hunyuan3DShape:
    """A `Hunyuan3DShape` over `hunyuan_components(size, device=device)` on `runtime`.

    Args:
        size: "tiny" or "full".
        runtime: the backend's runtime.
        options: None = the size's default (`TINY_OPTIONS`; full: `ShapeOptions()`).
        device: where the weights are created; the tests build on the CPU.
    """
    options = SIZES[size].options if options is None else options
    return Hunyuan3DShape(**hunyuan_components(size, device=device), runtime=runtime, options=options)


def tiny_texturer(runtime: Runtime) -> ProjectionTexturer:
    """A `ProjectionTexturer` baking 64×64 textures (the CPU path of `make_texturer`)."""
    del runtime  # the projection path runs on the CPU whatever the runtime
    return ProjectionTexturer(ProjectionOptions(size=64))


# The tiny size, under the names the tests call.
tiny_hunyuan_components = partial(hunyuan_components, "tiny")
tiny_hunyuan = partial(build_hunyuan, "tiny")
