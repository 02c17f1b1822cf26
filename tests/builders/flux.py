"""FLUX.1-Depth pipeline parts (the real diffusers / transformers classes) with
random weights, tiny (tests of the `hoi3dgen` re-texturing stage and the chain)
or full size (`benchmarks/gpu_chain.py`); nothing is downloaded.

Both sizes share offline CLIP / T5 tokenizers (transformers' tokenizers-backed
classes) over a printable-ASCII vocabulary built here. Both pad to fixed lengths
(CLIP 77, T5 `max_sequence_length`), so at full size the encoders and the
transformer see exactly the sequence lengths of the real ones. The transformer's
input is 2 × the packed latent channels (noisy latent + control latent, as
FLUX.1-Depth's 128 = 2 × 64), its output the packed latent (4 × the VAE's latent
channels: 2×2 patches).

"tiny": a 1 + 1-block `FluxTransformer2DModel`, a two-level `AutoencoderKL`
with 4 latent channels (downscale 2, so outputs are multiples of 4 px), 2-layer
CLIP and T5 encoders 32 wide.

"full": FLUX.1-Depth-dev (12B transformer, T5-XXL and CLIP-L text encoders, the
FLUX VAE); the benchmark re-textures one asset's worth of views with it
(3 × 1024², 30 steps, guidance 10, 512 T5 tokens: issue #6 stage 2). Sources, public:

- transformer: black-forest-labs/flux `src/flux/util.py`, spec "flux-dev-depth":
  in_channels 128, out_channels 64, vec_in_dim 768, context_in_dim 4096,
  hidden_size 3072, mlp_ratio 4, num_heads 24, depth 19, depth_single_blocks 38,
  axes_dim [16, 56, 56], theta 10000, qkv_bias, guidance_embed. In diffusers'
  `FluxTransformer2DModel` terms: num_layers 19, num_single_layers 38,
  attention_head_dim 128, num_attention_heads 24, joint_attention_dim 4096,
  pooled_projection_dim 768, patch_size 1.
- VAE: same spec's ae_params: ch 128, ch_mult [1, 2, 4, 4], num_res_blocks 2,
  z_channels 16, scale_factor 0.3611, shift_factor 0.1159 (diffusers
  `AutoencoderKL` block_out_channels (128, 256, 512, 512), layers_per_block 2,
  latent_channels 16, no quant convs).
- T5 (text_encoder_2): google/t5-v1_1-xxl encoder: d_model 4096, d_ff 10240,
  d_kv 64, num_heads 64, num_layers 24, vocab 32128, gated-gelu, 32 relative
  buckets, max distance 128.
- CLIP (text_encoder): openai/clip-vit-large-patch14 text model: hidden 768,
  intermediate 3072, 12 layers, 12 heads, 77 positions, vocab 49408, quick_gelu.
- scheduler (both sizes): FLUX.1-dev's FlowMatchEulerDiscreteScheduler config
  (shift 3.0, dynamic shifting, base_shift 0.5, max_shift 1.15, seq len 256–4096).

Random weights may produce non-finite pixels; timing and memory do not depend on it.

`write_flux1_depth_dev` writes the lock entry `flux1-depth-dev` tiny in the
diffusers layout of FLUX.1 repositories (`LOCK_WRITERS` maps the entry to it).
"""

from __future__ import annotations

import string
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hoiexport.sdk.generators.hoi3dgen.retexture import LOCK_ENTRY, FluxDepthRetexturer, RetextureOptions
from hoiexport.sdk.generators.hoi3dgen.runtime import Runtime

from tests.builders.sana import write_shards
from tests.builders.sizes import Size, building

if TYPE_CHECKING:
    import torch
    from transformers import CLIPTokenizer, T5TokenizerFast

_CHARS = [c for c in string.printable if not c.isspace()]

SCHEDULER: Mapping[str, Any] = dict(
    num_train_timesteps=1000,
    shift=3.0,
    use_dynamic_shifting=True,
    base_shift=0.5,
    max_shift=1.15,
    base_image_seq_len=256,
    max_image_seq_len=4096,
)
"""FLUX.1's `FlowMatchEulerDiscreteScheduler` settings (dynamic shifting by image
sequence length), at both sizes."""


def tiny_clip_tokenizer() -> CLIPTokenizer:
    """CLIP BPE tokenizer: every printable ASCII character, word-final or not; no merges."""
    from transformers import CLIPTokenizer

    vocab = {"<|startoftext|>": 0, "<|endoftext|>": 1}
    for c in _CHARS:
        vocab.setdefault(c, len(vocab))
        vocab.setdefault(c + "</w>", len(vocab))
    return CLIPTokenizer(vocab=vocab, merges=[], model_max_length=77)


def tiny_t5_tokenizer() -> T5TokenizerFast:
    """T5 Unigram tokenizer: <pad>=0, </s>=1, <unk>=2, then characters with and
    without the word-start marker; no sentinel tokens."""
    from transformers import T5TokenizerFast

    pieces = [("<pad>", 0.0), ("</s>", 0.0), ("<unk>", 0.0), ("\u2581", -2.0)]
    for c in _CHARS:
        pieces += [(c, -5.0), ("\u2581" + c, -4.0)]
    return T5TokenizerFast(vocab=pieces, extra_ids=0)


@dataclass(frozen=True)
class FluxSize:
    """Constructor arguments of the `FluxControlPipeline` networks at one size.

    Attributes:
        transformer: `FluxTransformer2DModel` keyword arguments except in/out
            channels, which follow from the VAE's latent channels.
        text_encoder: `CLIPTextConfig` keyword arguments; without "vocab_size"
            the vocabulary is the tokenizer's.
        text_encoder_2: `T5Config` keyword arguments; without "vocab_size" the
            vocabulary is the tokenizer's.
        vae: `AutoencoderKL` keyword arguments.
        options: the backend's default options at this size.
    """

    transformer: Mapping[str, Any]
    text_encoder: Mapping[str, Any]
    text_encoder_2: Mapping[str, Any]
    vae: Mapping[str, Any]
    options: RetextureOptions


SIZES: dict[Size, FluxSize] = {
    "tiny": FluxSize(
        transformer=dict(
            patch_size=1,
            num_layers=1,
            num_single_layers=1,
            attention_head_dim=16,
            num_attention_heads=2,
            joint_attention_dim=32,  # = T5 d_model
            pooled_projection_dim=32,  # = CLIP hidden size (pooled output)
            guidance_embeds=True,
            axes_dims_rope=[4, 6, 6],  # sums to attention_head_dim
        ),
        text_encoder=dict(
            hidden_size=32,
            intermediate_size=37,
            num_hidden_layers=2,
            num_attention_heads=4,
            max_position_embeddings=77,
            projection_dim=32,
            hidden_act="quick_gelu",
            bos_token_id=0,
            eos_token_id=1,
            pad_token_id=1,
        ),
        text_encoder_2=dict(
            d_model=32,
            d_ff=37,
            d_kv=8,
            num_heads=4,
            num_layers=2,
            feed_forward_proj="gated-gelu",
            relative_attention_num_buckets=8,
            pad_token_id=0,
            eos_token_id=1,
            decoder_start_token_id=0,
        ),
        vae=dict(
            in_channels=3,
            out_channels=3,
            down_block_types=("DownEncoderBlock2D", "DownEncoderBlock2D"),
            up_block_types=("UpDecoderBlock2D", "UpDecoderBlock2D"),
            block_out_channels=(8, 16),
            layers_per_block=1,
            latent_channels=4,
            norm_num_groups=4,
            sample_size=32,
            use_quant_conv=False,
            use_post_quant_conv=False,
            scaling_factor=0.3611,  # FLUX VAE values
            shift_factor=0.1159,
        ),
        options=RetextureOptions(steps=2, guidance=10.0, height=32, width=32, max_sequence_length=32),  # 32 T5 tokens
    ),
    "full": FluxSize(
        transformer=dict(
            patch_size=1,
            num_layers=19,
            num_single_layers=38,
            attention_head_dim=128,
            num_attention_heads=24,
            joint_attention_dim=4096,
            pooled_projection_dim=768,
            guidance_embeds=True,
            axes_dims_rope=(16, 56, 56),
        ),
        text_encoder=dict(
            vocab_size=49408,
            hidden_size=768,
            intermediate_size=3072,
            num_hidden_layers=12,
            num_attention_heads=12,
            max_position_embeddings=77,
            projection_dim=768,
            hidden_act="quick_gelu",
            bos_token_id=0,
            eos_token_id=1,  # the stand-in tokenizer's end token
            pad_token_id=1,
        ),
        text_encoder_2=dict(
            vocab_size=32128,
            d_model=4096,
            d_ff=10240,
            d_kv=64,
            num_heads=64,
            num_layers=24,
            feed_forward_proj="gated-gelu",
            relative_attention_num_buckets=32,
            relative_attention_max_distance=128,
            layer_norm_epsilon=1e-6,
            pad_token_id=0,
            eos_token_id=1,
            decoder_start_token_id=0,
        ),
        vae=dict(
            in_channels=3,
            out_channels=3,
            down_block_types=("DownEncoderBlock2D",) * 4,
            up_block_types=("UpDecoderBlock2D",) * 4,
            block_out_channels=(128, 256, 512, 512),
            layers_per_block=2,
            latent_channels=16,
            norm_num_groups=32,
            sample_size=1024,
            use_quant_conv=False,
            use_post_quant_conv=False,
            scaling_factor=0.3611,
            shift_factor=0.1159,
        ),
        options=RetextureOptions(),
    ),
}
"""The FLUX.1-Depth pipeline at each size (full: see the module docstring for sources)."""


def flux_components(
    size: Size, *, seed: int = 0, device: str | torch.device = "cpu", dtype: torch.dtype | None = None
) -> dict[str, Any]:
    """The seven `FluxControlPipeline` components of `size`, random weights.

    Each network's weights are seeded by `seed` before it is built.

    Args:
        size: "tiny" or "full".
        seed: torch seed of the random weights.
        device: where the weights are created ("meta" allocates nothing).
        dtype: weight dtype of every network; None = float32.
    """
    import torch
    from diffusers import AutoencoderKL, FlowMatchEulerDiscreteScheduler, FluxTransformer2DModel
    from transformers import CLIPTextConfig, CLIPTextModel, T5Config, T5EncoderModel

    spec = SIZES[size]
    tokenizer, tokenizer_2 = tiny_clip_tokenizer(), tiny_t5_tokenizer()
    packed = 4 * spec.vae["latent_channels"]  # 2×2 patches of the latent
    torch.manual_seed(seed)
    with building(device, dtype):
        # input: noisy latent + control latent
        transformer = FluxTransformer2DModel(**spec.transformer, in_channels=2 * packed, out_channels=packed)
    torch.manual_seed(seed)
    with building(device, dtype):
        text_encoder = CLIPTextModel(CLIPTextConfig(**{"vocab_size": len(tokenizer), **spec.text_encoder}))
    torch.manual_seed(seed)
    with building(device, dtype):
        text_encoder_2 = T5EncoderModel(T5Config(**{"vocab_size": len(tokenizer_2), **spec.text_encoder_2}))
    torch.manual_seed(seed)
    with building(device, dtype):
        vae = AutoencoderKL(**spec.vae)
    return {
        "scheduler": FlowMatchEulerDiscreteScheduler(**SCHEDULER),
        "vae": vae,
        "text_encoder": text_encoder,
        "tokenizer": tokenizer,
        "text_encoder_2": text_encoder_2,
        "tokenizer_2": tokenizer_2,
        "transformer": transformer,
    }


def build_flux(
    size: Size,
    runtime: Runtime,
    options: RetextureOptions | None = None,
    *,
    device: str | torch.device = "cpu",
    dtype: torch.dtype | None = None,
) -> FluxDepthRetexturer:
    """A `FluxDepthRetexturer` over `flux_components(size, ...)` on `runtime`.

    Args:
        size: "tiny" or "full".
        runtime: the backend's runtime.
        options: None = the size's default (tiny: 2 steps at 32 × 32; full: `RetextureOptions()`).
        device, dtype: where and in which dtype the weights are created; the tests
            build on the CPU in float32.
    """
    options = SIZES[size].options if options is None else options
    return FluxDepthRetexturer(**flux_components(size, device=device, dtype=dtype), runtime=runtime, options=options)


# The tiny size, under the names the tests call.
TINY_OPTIONS = SIZES["tiny"].options
tiny_flux_components = partial(flux_components, "tiny")
tiny_flux = partial(build_flux, "tiny")


# ----------------------------------------------------------------------------- lock entries on disk


def write_flux1_depth_dev(models_dir: Path) -> Path:
    """Lock entry `flux1-depth-dev` (black-forest-labs/FLUX.1-Depth-dev), tiny: the
    seven `flux_components("tiny")` saved by `FluxControlPipeline.save_pretrained`
    (`model_index.json`, scheduler/, tokenizer/, tokenizer_2/, text_encoder/,
    text_encoder_2/, transformer/, vae/), with the transformer in three safetensors
    shards + index and the T5 encoder in two, as the FLUX.1 [dev] diffusers
    repositories store them (the lock fetches these folders by pattern).

    Returns:
        The entry's folder, `models_dir/flux1-depth-dev`.
    """
    from diffusers import FluxControlPipeline

    folder = Path(models_dir) / LOCK_ENTRY
    FluxControlPipeline(**flux_components("tiny")).save_pretrained(folder, safe_serialization=True)
    write_shards(folder / "transformer", "diffusion_pytorch_model.safetensors", "diffusion_pytorch_model",
                 "diffusion_pytorch_model.safetensors.index.json", 3)
    write_shards(folder / "text_encoder_2", "model.safetensors", "model", "model.safetensors.index.json", 2)
    return folder


LOCK_WRITERS: dict[str, Callable[[Path], Path]] = {LOCK_ENTRY: write_flux1_depth_dev}
"""Lock entry → the function that writes it tiny under a models dir."""
