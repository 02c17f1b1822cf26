"""A tiny random-weight Hunyuan3D-2 shape model (hy3dgen's own classes: a 1+1-block,
32-wide `Hunyuan3DDiT`, a 1-layer `ShapeVAE` over 16 latents, a 1-layer DINOv2
conditioner on 28-px input) and a small projection texturer, for tests of the
`hoi3dgen` shape / texture stage and of the chain.

`TINY_CONFIG` has the layout of hy3dgen's `config.yaml` (same sections and
targets as `hunyuan3d-dit-v2-0/config.yaml`, tiny sizes), so tests can also write
it to disk and load it back through `Hunyuan3DShape.from_pretrained`.
"""

from __future__ import annotations

import copy
from typing import Any

from hoiexport.sdk.generators.hoi3dgen.runtime import Runtime
from hoiexport.sdk.generators.hoi3dgen.shape import Hunyuan3DShape, ShapeOptions, import_shapegen
from hoiexport.sdk.generators.hoi3dgen.texture import ProjectionOptions, ProjectionTexturer

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


def tiny_hunyuan_components(seed: int = 0) -> dict[str, Any]:
    """hy3dgen components built from `TINY_CONFIG` with weights seeded by `seed`."""
    import torch

    import_shapegen()
    from hy3dgen.shapegen.pipelines import instantiate_from_config

    torch.manual_seed(seed)
    return {name: instantiate_from_config(copy.deepcopy(section)) for name, section in TINY_CONFIG.items()}


def tiny_hunyuan(runtime: Runtime, options: ShapeOptions = TINY_OPTIONS) -> Hunyuan3DShape:
    """A `Hunyuan3DShape` over `tiny_hunyuan_components()`."""
    return Hunyuan3DShape(**tiny_hunyuan_components(), runtime=runtime, options=options)


def tiny_texturer(runtime: Runtime) -> ProjectionTexturer:
    """A `ProjectionTexturer` baking 64×64 textures (the CPU path of `make_texturer`)."""
    del runtime  # the projection path runs on the CPU whatever the runtime
    return ProjectionTexturer(ProjectionOptions(size=64))
