"""Full-size FLUX.1-Depth [dev] with random weights, for the GPU chain benchmark.

`build_full(runtime)` returns a `FluxDepthRetexturer` whose `FluxControlPipeline`
has FLUX.1-Depth-dev's architecture (12B transformer, T5-XXL and CLIP-L text
encoders, the FLUX VAE) with random weights, built directly on the GPU in the
runtime's dtype; `run_full(backend, seed, warmup)` re-textures one asset's worth of views
(3 × 1024², 30 steps, guidance 10, 512 T5 tokens — issue #6 stage 2).

Architecture (sources, public):
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
- scheduler: FLUX.1-dev's FlowMatchEulerDiscreteScheduler config (shift 3.0,
  dynamic shifting, base_shift 0.5, max_shift 1.15, seq len 256–4096).

The tokenizers are character-level stand-ins built here (no download). Both pad
to fixed lengths (CLIP 77, T5 `max_sequence_length` 512), so the encoders and the
transformer see exactly the sequence lengths of the real ones. Random weights
may produce non-finite pixels; the timing and memory do not depend on it.
"""

from __future__ import annotations

import string

import numpy as np

from hoiexport.sdk.generators.hoi3dgen.retexture import FluxDepthRetexturer, RetextureOptions
from hoiexport.sdk.generators.hoi3dgen.runtime import Runtime
from hoiexport.sdk.generators.hoi3dgen.views import retexture_prompt

from .building import building

VIEWS = 3
DESCRIPTION = "A person sitting on a wooden chair, holding a cup"
_CHARS = [c for c in string.printable if not c.isspace()]


def _tokenizers():
    from transformers import CLIPTokenizer, T5TokenizerFast

    vocab = {"<|startoftext|>": 0, "<|endoftext|>": 1}
    for c in _CHARS:
        vocab.setdefault(c, len(vocab))
        vocab.setdefault(c + "</w>", len(vocab))
    pieces = [("<pad>", 0.0), ("</s>", 0.0), ("<unk>", 0.0), ("\u2581", -2.0)]
    for c in _CHARS:
        pieces += [(c, -5.0), ("\u2581" + c, -4.0)]
    return CLIPTokenizer(vocab=vocab, merges=[], model_max_length=77), T5TokenizerFast(vocab=pieces, extra_ids=0)


def full_components(device: str = "cpu", dtype=None) -> dict:
    """The seven `FluxControlPipeline` components at FLUX.1-Depth-dev size, random
    weights, built on `device` ("meta" allocates nothing) in `dtype` (default fp32)."""
    import torch
    from diffusers import AutoencoderKL, FlowMatchEulerDiscreteScheduler, FluxTransformer2DModel
    from transformers import CLIPTextConfig, CLIPTextModel, T5Config, T5EncoderModel

    dtype = dtype or torch.float32
    tokenizer, tokenizer_2 = _tokenizers()
    torch.manual_seed(0)
    with building(device, dtype):
        transformer = FluxTransformer2DModel(
            patch_size=1,
            in_channels=128,
            out_channels=64,
            num_layers=19,
            num_single_layers=38,
            attention_head_dim=128,
            num_attention_heads=24,
            joint_attention_dim=4096,
            pooled_projection_dim=768,
            guidance_embeds=True,
            axes_dims_rope=(16, 56, 56),
        )
        text_encoder_2 = T5EncoderModel(
            T5Config(
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
            )
        )
        text_encoder = CLIPTextModel(
            CLIPTextConfig(
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
            )
        )
        vae = AutoencoderKL(
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
        )
    scheduler = FlowMatchEulerDiscreteScheduler(
        num_train_timesteps=1000,
        shift=3.0,
        use_dynamic_shifting=True,
        base_shift=0.5,
        max_shift=1.15,
        base_image_seq_len=256,
        max_image_seq_len=4096,
    )
    return {
        "scheduler": scheduler,
        "vae": vae,
        "text_encoder": text_encoder,
        "tokenizer": tokenizer,
        "text_encoder_2": text_encoder_2,
        "tokenizer_2": tokenizer_2,
        "transformer": transformer,
    }


def build_full(runtime: Runtime) -> FluxDepthRetexturer:
    """FLUX.1-Depth-dev at full size, random weights, on `runtime` (CPU-offloaded when
    `runtime.offload`: then built on the CPU)."""
    device = "cpu" if runtime.offload else runtime.device
    components = full_components(device, runtime.dtype)
    return FluxDepthRetexturer(**components, runtime=runtime, options=RetextureOptions())


def synthetic_depth(seed: int, size: int = 1024) -> np.ndarray:
    """A (size, size) float32 depth map in [0, 1]: a random near blob on a far floor ramp."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:size, 0:size] / (size - 1)
    cx, cy, r = rng.uniform(0.35, 0.65), rng.uniform(0.35, 0.65), rng.uniform(0.15, 0.3)
    blob = np.clip(1.0 - ((xx - cx) ** 2 + (yy - cy) ** 2) / r**2, 0.0, 1.0)
    return np.clip(0.3 * yy + 0.7 * blob, 0.0, 1.0).astype(np.float32)


def run_full(backend: FluxDepthRetexturer, seed: int, warmup: bool = False) -> str:
    """Re-texture one asset: `VIEWS` views at 1024², 30 steps, guidance 10 (warm-up: one
    view, 1 step, so kernel selection and allocator growth are not timed).

    Returns:
        A note for the benchmark table: what ran and the mean output pixel value.
    """
    prompt = retexture_prompt(DESCRIPTION)
    views, steps = (1, 1) if warmup else (VIEWS, backend.options.steps)
    with np.errstate(invalid="ignore"):  # random weights may decode non-finite pixels
        images = [
            backend.retexture(prompt, synthetic_depth(seed + k), seed=seed + k, steps=steps) for k in range(views)
        ]
    o = backend.options
    mean = float(np.mean([im.mean() for im in images]))
    return f"{views} view(s) {o.width}x{o.height}, {steps} steps, guidance {o.guidance:g}, mean pixel {mean:.1f}"
