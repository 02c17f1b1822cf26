"""Hunyuan3D-2 shape models (hy3dgen's own classes) with random weights, tiny (tests
of the `hoi3dgen` shape / texture stage and of the chain) or full size
(`benchmarks/gpu_chain.py`), a small projection texturer for the tests, and the
texture / shape lock entries written in their real on-disk layouts (tiny):

- `write_hunyuan3d_2_shape`: hy3dgen's single-file `hunyuan3d-dit-v2-0/`.
- `write_hunyuan3d_2_paint`: `hunyuan3d-delight-v2-0/` + `hunyuan3d-paint-v2-0/`.
- `write_hunyuan3d_2_1_paintpbr`, `write_dinov2_giant`, `write_realesrgan_x4plus`:
  the three entries of Hunyuan3D-Paint 2.1.

Each takes the fake `$HOIEXPORT_MODELS` folder and returns the entry's folder.
`tests.builders.unpinned.unpinned_lock` forgets the lock's sha256 / sizes for
entries whose real files it pins (tiny files never match them).

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
import json
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hoiexport.sdk.generators.hoi3dgen.runtime import Runtime
from hoiexport.sdk.generators.hoi3dgen.shape import (
    CONFIG_NAME,
    DIT_SUBFOLDER,
    SHAPE_MODEL,
    WEIGHTS_NAME,
    Hunyuan3DShape,
    ShapeOptions,
    import_shapegen,
)
from hoiexport.sdk.generators.hoi3dgen.texture import (
    DINO_MODEL,
    PAINT21_MODEL,
    PAINT_MODEL,
    PAINT_SUBFOLDERS,
    PAINT21_SUBFOLDER,
    REALESRGAN_FILE,
    REALESRGAN_MODEL,
    ProjectionOptions,
    ProjectionTexturer,
    RRDBNetSize,
)

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


def write_shape_folder(
    folder: Path, parts: dict[str, Any], config: dict[str, Any] | None = None
) -> Path:
    """hy3dgen's single-file layout of `parts` in `folder/hunyuan3d-dit-v2-0/`.

    `config.yaml` (hy3dgen's sections: target + params) and `model.fp16.safetensors`:
    every tensor of the three networks in fp16, named `<component>.<key>` with the
    component "model" (DiT), "vae" (ShapeVAE) or "conditioner" (DINOv2 encoder) —
    the names hy3dgen's `Hunyuan3DDiTFlowMatchingPipeline.from_single_file` splits
    on the first dot (tencent/Hunyuan3D-2 `hunyuan3d-dit-v2-0`).

    Args:
        folder: the entry folder (created).
        parts: `hunyuan_components(...)` (only model, vae, conditioner are written).
        config: the yaml content; default `TINY_CONFIG`.

    Returns:
        `folder`.
    """
    import torch
    import yaml
    from safetensors.torch import save_file

    sub = Path(folder) / DIT_SUBFOLDER
    sub.mkdir(parents=True, exist_ok=True)
    (sub / CONFIG_NAME).write_text(yaml.safe_dump(config if config is not None else TINY_CONFIG), encoding="utf-8")
    tensors = {
        f"{name}.{key}": value.detach().to(torch.float16).contiguous()
        for name in ("model", "vae", "conditioner")
        for key, value in parts[name].state_dict().items()
    }
    save_file(tensors, str(sub / WEIGHTS_NAME))
    return Path(folder)


def fp16_rounded(parts: dict[str, Any]) -> dict[str, Any]:
    """`parts` with the networks' tensors rounded through fp16 in place (what a
    file written by `write_shape_folder` loads back as)."""
    import torch

    with torch.no_grad():
        for name in ("model", "vae", "conditioner"):
            for p in parts[name].state_dict().values():
                p.copy_(p.to(torch.float16).to(p.dtype))
    return parts


def write_hunyuan3d_2_shape(models_dir: Path, *, seed: int = 0) -> Path:
    """Lock entry "hunyuan3d-2-shape" with the tiny random model (`hunyuan_components("tiny",
    seed=seed)`) in hy3dgen's single-file layout (`write_shape_folder`) under `models_dir`.

    Returns:
        The entry folder `<models_dir>/hunyuan3d-2-shape`.
    """
    return write_shape_folder(Path(models_dir) / SHAPE_MODEL, hunyuan_components("tiny", seed=seed))


def tiny_texturer(runtime: Runtime) -> ProjectionTexturer:
    """A `ProjectionTexturer` baking 64×64 textures (the CPU path of `make_texturer`)."""
    del runtime  # the projection path runs on the CPU whatever the runtime
    return ProjectionTexturer(ProjectionOptions(size=64))


# The tiny size, under the names the tests call.
tiny_hunyuan_components = partial(hunyuan_components, "tiny")
tiny_hunyuan = partial(build_hunyuan, "tiny")


# ----------------------------------------------------------------------------- Hunyuan3D-Paint 2.1 and its companions


TINY_RRDB = RRDBNetSize(num_feat=8, num_block=1, num_grow_ch=4)
"""A 1-block, 8-feature Real-ESRGAN generator (x4plus: 23 blocks, 64 features, growth 32)."""


def write_realesrgan_x4plus(models_dir: Path, *, size: RRDBNetSize = TINY_RRDB, seed: int = 0) -> Path:
    """Lock entry "realesrgan-x4plus" with random weights in the release's layout:
    `RealESRGAN_x4plus.pth`, a torch pickle `{'params_ema': state_dict}` of basicsr's
    x4 `RRDBNet` (keys `conv_first`, `body.{i}.rdb{1,2,3}.conv{1..5}`, `conv_body`,
    `conv_up1`, `conv_up2`, `conv_hr`, `conv_last`, each `.weight` / `.bias`).

    Returns:
        The entry folder.
    """
    import torch

    folder = Path(models_dir) / REALESRGAN_MODEL
    folder.mkdir(parents=True, exist_ok=True)
    g = torch.Generator().manual_seed(seed)
    sd = {k: 0.01 * torch.randn(shape, generator=g) for k, shape in size.shapes().items()}
    torch.save({"params_ema": sd}, folder / REALESRGAN_FILE)
    return folder


TINY_DINO_CONFIG: dict[str, Any] = {
    "hidden_size": 32,
    "num_hidden_layers": 1,
    "num_attention_heads": 2,
    "mlp_ratio": 2,
    "image_size": 28,
    "patch_size": 14,
    "use_swiglu_ffn": True,
    "layerscale_value": 1.0,
    "layer_norm_eps": 1e-6,
}
"""A 1-layer, 32-wide DINOv2 with giant's SwiGLU MLP (giant: 1536 wide, 40 layers, 24 heads)."""


def write_dinov2_giant(models_dir: Path, *, seed: int = 0) -> Path:
    """Lock entry "dinov2-giant" with a tiny random DINOv2 in the repository's
    transformers layout: `config.json` + `model.safetensors` (`Dinov2Model`) and
    `preprocessor_config.json` (a `BitImageProcessor`: resize the short side, centre
    crop, ImageNet normalisation), what hy3dpaint's `Dino_v2` reads with
    `AutoImageProcessor` / `AutoModel.from_pretrained`.

    Returns:
        The entry folder.
    """
    import torch
    from transformers import BitImageProcessor, Dinov2Config, Dinov2Model

    folder = Path(models_dir) / DINO_MODEL
    torch.manual_seed(seed)
    Dinov2Model(Dinov2Config(**TINY_DINO_CONFIG)).save_pretrained(folder)
    BitImageProcessor(
        size={"shortest_edge": 32}, crop_size={"height": 28, "width": 28}, do_center_crop=True,
        image_mean=[0.485, 0.456, 0.406], image_std=[0.229, 0.224, 0.225],
    ).save_pretrained(folder)
    return folder


def _byte_symbols() -> list[str]:
    """The 256 printable symbols byte-level BPE (GPT-2, CLIP) spells bytes with."""
    printable = [*range(ord("!"), ord("~") + 1), *range(0xA1, 0xAD), *range(0xAE, 0x100)]
    return [chr(b) for b in printable] + [chr(256 + i) for i in range(256 - len(printable))]


def write_clip_tokenizer(folder: Path) -> int:
    """A CLIP BPE tokenizer of single byte symbols (no merges), in the slow-tokenizer
    files of the Hub's `tokenizer/` folders: vocab.json, merges.txt,
    special_tokens_map.json, tokenizer_config.json.

    Returns:
        The vocabulary size.
    """
    folder.mkdir(parents=True, exist_ok=True)
    symbols = _byte_symbols()
    vocab = {s: i for i, s in enumerate(symbols)}
    vocab.update({s + "</w>": len(symbols) + i for i, s in enumerate(symbols)})
    vocab["<|startoftext|>"], vocab["<|endoftext|>"] = len(vocab), len(vocab) + 1
    (folder / "vocab.json").write_text(json.dumps(vocab), encoding="utf-8")
    (folder / "merges.txt").write_text("#version: 0.2\n", encoding="utf-8")
    special = {"bos_token": "<|startoftext|>", "eos_token": "<|endoftext|>", "unk_token": "<|endoftext|>",
               "pad_token": "<|endoftext|>"}
    (folder / "special_tokens_map.json").write_text(json.dumps(special), encoding="utf-8")
    (folder / "tokenizer_config.json").write_text(
        json.dumps({"tokenizer_class": "CLIPTokenizer", "model_max_length": 77, **special}), encoding="utf-8")
    return len(vocab)


PAINT21_MODEL_INDEX: dict[str, Any] = {
    "_class_name": "HunyuanPaintPipeline",
    "feature_extractor": ["transformers", "CLIPImageProcessor"],
    "image_encoder": ["transformers", "CLIPVisionModelWithProjection"],
    "requires_safety_checker": False,
    "safety_checker": [None, None],
    "scheduler": ["diffusers", "DDIMScheduler"],
    "text_encoder": ["transformers", "CLIPTextModel"],
    "tokenizer": ["transformers", "CLIPTokenizer"],
    "unet": ["modules", "UNet2p5DConditionModel"],
    "vae": ["diffusers", "AutoencoderKL"],
}
"""model_index.json of `hunyuan3d-paintpbr-v2-1` (its component entries as public
copies of the file show them; `_diffusers_version` left out)."""

PAINT21_UNET_CODE = ("modules.py", "attn_processor.py", "model.py")
"""The code files of the real folder's `unet/`."""

TINY_PAINT21_UNET: dict[str, Any] = {
    "sample_size": 8,
    "in_channels": 4,
    "out_channels": 4,
    "block_out_channels": [32, 32],
    "down_block_types": ["CrossAttnDownBlock2D", "DownBlock2D"],
    "up_block_types": ["UpBlock2D", "CrossAttnUpBlock2D"],
    "layers_per_block": 1,
    "cross_attention_dim": 32,
    "attention_head_dim": 8,
    "norm_num_groups": 32,
}
"""unet/config.json of the tiny folder (a `UNet2DConditionModel` config, as the
2.1 loader reads it; the real one is SD 2.1's: 320-1280 channels, cross-attention 1024)."""


def write_hunyuan3d_2_1_paintpbr(models_dir: Path, *, seed: int = 0) -> Path:
    """Lock entry "hunyuan3d-2-1-paintpbr" in the repository's layout, tiny.

    `<entry>/hunyuan3d-paintpbr-v2-1/`: `model_index.json` (`PAINT21_MODEL_INDEX`),
    `scheduler/` (DDIMScheduler), `text_encoder/` (CLIPTextModel: config.json +
    pytorch_model.bin), `tokenizer/` (CLIP BPE files), `vae/` (AutoencoderKL:
    config.json + diffusion_pytorch_model.bin), `feature_extractor/`
    (CLIPImageProcessor), `image_encoder/` (CLIPVisionModelWithProjection,
    safetensors) — each a tiny random instance the standard library loads — and
    `unet/config.json` + `unet/diffusion_pytorch_model.bin`.

    The UNet file holds only the two 2-D UNets of the 2.1 class's layout
    (`UNet2p5DConditionModel` keeps the UNet as `unet.` and its reference copy as
    `unet_dual.`, conv_in widened to 12 input channels: noise, normal and position
    latents); the class's own further parameters (material attention copies, the
    DINO projector, learned text tokens) need the Hunyuan3D-2.1 code, which cannot
    be installed here, so nothing here loads this file beyond the resolver's check
    that it exists. `unet/modules.py`, `attn_processor.py`, `model.py` (Tencent's
    code in the real folder) are comment-only stand-ins, for the same reason.

    Returns:
        The entry folder.
    """
    import torch
    from diffusers import AutoencoderKL, DDIMScheduler, UNet2DConditionModel
    from transformers import (
        CLIPImageProcessor,
        CLIPTextConfig,
        CLIPTextModel,
        CLIPVisionConfig,
        CLIPVisionModelWithProjection,
    )

    entry = Path(models_dir) / PAINT21_MODEL
    root = entry / PAINT21_SUBFOLDER
    root.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(seed)
    (root / "model_index.json").write_text(json.dumps(PAINT21_MODEL_INDEX, indent=2), encoding="utf-8")
    DDIMScheduler().save_pretrained(root / "scheduler")
    vocab = write_clip_tokenizer(root / "tokenizer")
    text = CLIPTextConfig(vocab_size=vocab, hidden_size=32, intermediate_size=37, num_hidden_layers=1,
                          num_attention_heads=2, max_position_embeddings=77, projection_dim=32,
                          bos_token_id=vocab - 2, eos_token_id=vocab - 1, pad_token_id=vocab - 1)
    (root / "text_encoder").mkdir(exist_ok=True)
    text.save_pretrained(root / "text_encoder")
    torch.save(CLIPTextModel(text).state_dict(), root / "text_encoder" / "pytorch_model.bin")
    AutoencoderKL(block_out_channels=(32,), down_block_types=("DownEncoderBlock2D",),
                  up_block_types=("UpDecoderBlock2D",), layers_per_block=1, latent_channels=4,
                  norm_num_groups=32, sample_size=32).save_pretrained(root / "vae", safe_serialization=False)
    CLIPImageProcessor(size={"shortest_edge": 28}, crop_size={"height": 28, "width": 28}).save_pretrained(
        root / "feature_extractor")
    vision = CLIPVisionConfig(hidden_size=32, intermediate_size=37, num_hidden_layers=1, num_attention_heads=2,
                              image_size=28, patch_size=14, projection_dim=32)
    CLIPVisionModelWithProjection(vision).save_pretrained(root / "image_encoder")
    (root / "unet").mkdir(exist_ok=True)
    (root / "unet" / "config.json").write_text(json.dumps(TINY_PAINT21_UNET, indent=2), encoding="utf-8")
    unet = UNet2DConditionModel(**TINY_PAINT21_UNET)
    unet.conv_in = torch.nn.Conv2d(12, unet.conv_in.out_channels, kernel_size=3, padding=1)
    sd = unet.state_dict()
    torch.save({**{f"unet.{k}": v for k, v in sd.items()}, **{f"unet_dual.{k}": v.clone() for k, v in sd.items()}},
               root / "unet" / "diffusion_pytorch_model.bin")
    for name in PAINT21_UNET_CODE:
        (root / "unet" / name).write_text(
            f"# Stand-in for the repository's unet/{name}: Tencent's code (hy3dpaint/hunyuanpaintpbr/unet/{name}\n"
            "# of the Hunyuan3D-2.1 checkout), which diffusers imports the UNet class from. Not written here;\n"
            "# nothing on a machine without that code and CUDA imports this file.\n",
            encoding="utf-8")
    return entry


# ----------------------------------------------------------------------------- Hunyuan3D-Paint 2.0


TINY_PAINT20_UNET: dict[str, Any] = {
    "sample_size": 8,
    "in_channels": 4,
    "out_channels": 4,
    "block_out_channels": [32, 32],
    "down_block_types": ["CrossAttnDownBlock2D", "DownBlock2D"],
    "up_block_types": ["UpBlock2D", "CrossAttnUpBlock2D"],
    "layers_per_block": 1,
    "cross_attention_dim": 1024,
    "attention_head_dim": 8,
    "norm_num_groups": 32,
    "time_embedding_dim": 1280,
}
"""unet/config.json of the tiny paint folder: hy3dgen's `UNet2p5DConditionModel`
fixes the text-token width (1024) and the camera-embedding width (1280, SD 2.1's
time embedding), so those two stay; everything else is tiny."""

PAINT20_MODEL_INDEX: dict[str, Any] = {
    "_class_name": "HunyuanPaintPipeline",
    "feature_extractor": ["transformers", "CLIPImageProcessor"],
    "safety_checker": [None, None],
    "scheduler": ["diffusers", "EulerAncestralDiscreteScheduler"],
    "text_encoder": ["transformers", "CLIPTextModel"],
    "tokenizer": ["transformers", "CLIPTokenizer"],
    "unet": ["modules", "UNet2p5DConditionModel"],
    "vae": ["diffusers", "AutoencoderKL"],
}
"""model_index.json of the tiny `hunyuan3d-paint-v2-0` (the 2.1 folder's pattern: the
UNet class comes from `unet/modules.py`; the real file's exact entries are not
verified here)."""


def _tiny_text(vocab: int, width: int = 32) -> Any:
    from transformers import CLIPTextConfig

    return CLIPTextConfig(vocab_size=vocab, hidden_size=width, intermediate_size=37, num_hidden_layers=1,
                          num_attention_heads=2, max_position_embeddings=77, projection_dim=32,
                          bos_token_id=vocab - 2, eos_token_id=vocab - 1, pad_token_id=vocab - 1)


def _tiny_vae() -> Any:
    from diffusers import AutoencoderKL

    return AutoencoderKL(block_out_channels=(32, 32), down_block_types=("DownEncoderBlock2D",) * 2,
                         up_block_types=("UpDecoderBlock2D",) * 2, layers_per_block=1, latent_channels=4,
                         norm_num_groups=32, sample_size=16)


def write_hunyuan3d_2_paint(models_dir: Path, *, seed: int = 0) -> Path:
    """Lock entry "hunyuan3d-2-paint" (tencent/Hunyuan3D-2) in the layout hy3dgen reads, tiny.

    - `hunyuan3d-delight-v2-0/`: a diffusers `StableDiffusionInstructPix2PixPipeline`
      folder (`save_pretrained`: model_index.json, unet with 8 input channels, vae,
      CLIP text encoder + tokenizer, Euler-ancestral scheduler, feature extractor).
    - `hunyuan3d-paint-v2-0/`: `PAINT20_MODEL_INDEX`, vae, text encoder, tokenizer,
      scheduler, feature extractor, and `unet/`: `config.json` (`TINY_PAINT20_UNET`),
      `diffusion_pytorch_model.bin` (the state dict of hy3dgen's own
      `UNet2p5DConditionModel` around that UNet, what its `from_pretrained` reads)
      plus the same tensors as `.safetensors`, and `modules.py`, copied from the
      installed hy3dgen (`hy3dgen/texgen/hunyuanpaint/unet/modules.py`), which is
      the file diffusers imports the UNet class from.

    Returns:
        The entry folder.
    """
    import shutil

    import torch
    from diffusers import EulerAncestralDiscreteScheduler, StableDiffusionInstructPix2PixPipeline, UNet2DConditionModel
    from hy3dgen.texgen.hunyuanpaint.unet import modules as paint_modules
    from safetensors.torch import save_file
    from transformers import CLIPImageProcessor, CLIPTextModel, CLIPTokenizer

    entry = Path(models_dir) / PAINT_MODEL
    torch.manual_seed(seed)
    delight, paint = entry / PAINT_SUBFOLDERS[0], entry / PAINT_SUBFOLDERS[1]
    vocab = write_clip_tokenizer(delight / "tokenizer")
    StableDiffusionInstructPix2PixPipeline(
        vae=_tiny_vae(),
        text_encoder=CLIPTextModel(_tiny_text(vocab)),
        tokenizer=CLIPTokenizer.from_pretrained(delight / "tokenizer"),
        unet=UNet2DConditionModel(sample_size=8, in_channels=8, out_channels=4, block_out_channels=(32, 32),
                                  down_block_types=("CrossAttnDownBlock2D", "DownBlock2D"),
                                  up_block_types=("UpBlock2D", "CrossAttnUpBlock2D"), layers_per_block=1,
                                  cross_attention_dim=32, attention_head_dim=8, norm_num_groups=32),
        scheduler=EulerAncestralDiscreteScheduler(),
        safety_checker=None,
        feature_extractor=CLIPImageProcessor(size={"shortest_edge": 28}, crop_size={"height": 28, "width": 28}),
        requires_safety_checker=False,
    ).save_pretrained(delight)
    write_clip_tokenizer(delight / "tokenizer")  # the slow-tokenizer files of the Hub folders
    paint.mkdir(parents=True, exist_ok=True)
    (paint / "model_index.json").write_text(json.dumps(PAINT20_MODEL_INDEX, indent=2), encoding="utf-8")
    vocab = write_clip_tokenizer(paint / "tokenizer")
    text = _tiny_text(vocab)
    (paint / "text_encoder").mkdir(exist_ok=True)
    text.save_pretrained(paint / "text_encoder")
    torch.save(CLIPTextModel(text).state_dict(), paint / "text_encoder" / "pytorch_model.bin")
    _tiny_vae().save_pretrained(paint / "vae")
    EulerAncestralDiscreteScheduler().save_pretrained(paint / "scheduler")
    CLIPImageProcessor(size={"shortest_edge": 28}, crop_size={"height": 28, "width": 28}).save_pretrained(
        paint / "feature_extractor")
    unet_dir = paint / "unet"
    unet_dir.mkdir(exist_ok=True)
    (unet_dir / "config.json").write_text(json.dumps(TINY_PAINT20_UNET, indent=2), encoding="utf-8")
    unet = paint_modules.UNet2p5DConditionModel(UNet2DConditionModel(**TINY_PAINT20_UNET))
    sd = {k: v.detach().contiguous() for k, v in unet.state_dict().items()}
    torch.save(sd, unet_dir / "diffusion_pytorch_model.bin")
    save_file(sd, str(unet_dir / "diffusion_pytorch_model.safetensors"))
    shutil.copyfile(paint_modules.__file__, unet_dir / "modules.py")
    return entry


LOCK_WRITERS: dict[str, Callable[[Path], Path]] = {
    SHAPE_MODEL: write_hunyuan3d_2_shape,
    PAINT_MODEL: write_hunyuan3d_2_paint,
    PAINT21_MODEL: write_hunyuan3d_2_1_paintpbr,
    DINO_MODEL: write_dinov2_giant,
    REALESRGAN_MODEL: write_realesrgan_x4plus,
}
"""Lock entry → the function that writes it tiny under a models dir."""
