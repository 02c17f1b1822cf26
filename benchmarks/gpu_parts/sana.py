"""Full-size SANA 1600M 1024px with random weights, for the GPU chain benchmark.

`build_full(runtime)` returns a `SanaTextToImage` whose `SanaPipeline` has the
architecture of Efficient-Large-Model/Sana_1600M_1024px_diffusers (the lock's
`sana-1600m-1024px`, whose transformer HOI3DGen's fine-tune replaces) with random
weights, built directly on the GPU in the runtime's dtype; `run_full(backend,
seed, warmup)` renders one asset's worth of views (3 view prompts, 1024², 50
steps, guidance 4.5, 300 text tokens after SANA's CHI prefix — issue #6 stage 1).

Architecture (sources, public):
- transformer: diffusers `scripts/convert_sana_to_diffusers.py`, model
  "SanaMS_1600M_P1_D20": num_attention_heads 70, attention_head_dim 32,
  num_layers 20, num_cross_attention_heads 20, cross_attention_head_dim 112,
  cross_attention_dim 2240; and its fixed kwargs: in/out_channels 32,
  caption_channels 2304, mlp_ratio 2.5, attention_bias False, sample_size
  1024 // 32, patch_size 1, norm_elementwise_affine False, norm_eps 1e-6,
  interpolation_scale None at 1024 px. SANA 1.5 1.6B is the same plus
  qk_norm "rms_norm_across_heads" (`qk_norm=True` here).
- text encoder: Gemma-2-2B (`Efficient-Large-Model/gemma-2-2b-it` in that script;
  `transformers.Gemma2Model`, the decoder without LM head): hidden 2304,
  intermediate 9216, 26 layers, 8 heads, 4 KV heads, head_dim 256, vocab 256000,
  sliding window 4096, query_pre_attn_scalar 256, attention / final soft-caps 50 / 30
  (AI-Hypercomputer/maxtext `hf_model_configs.py` gemma2_2b_config and
  transformers' `Gemma2Config` defaults, which are Gemma-2-2B's).
- VAE: diffusers `scripts/convert_dcae_to_diffusers.py`, "dc-ae-f32c32-sana-1.0":
  latent_channels 32, block_out_channels (128, 256, 512, 512, 1024, 1024),
  encoder/decoder block types 3 × ResBlock then 3 × EfficientViTBlock,
  qkv multiscales (5,) on the ViT blocks, encoder_layers_per_block
  (2, 2, 2, 3, 3, 3), decoder_layers_per_block (3, 3, 3, 3, 3, 3), conv
  downsampling, interpolate upsampling, rms_norm / silu, scaling_factor 0.41407.
- scheduler: the same Sana script's default "flow-dpm_solver":
  `DPMSolverMultistepScheduler(flow_shift=3.0, use_flow_sigmas=True,
  prediction_type="flow_prediction")`.

The tokenizer is a word-level stand-in built here (no download): one token per
whitespace-separated word of the CHI prefix and the prompt, so the text encoder
sees somewhat fewer tokens than Gemma's (≈ 1.3 per word); the transformer always
attends to 300 text tokens, as with the real tokenizer. Random weights may
produce non-finite pixels; timing and memory do not depend on it.
"""

from __future__ import annotations

import numpy as np

from hoiexport.sdk.core.errors import InputError
from hoiexport.sdk.generators.hoi3dgen.runtime import Runtime
from hoiexport.sdk.generators.hoi3dgen.sana import SANA_CHI, SanaOptions, SanaTextToImage
from hoiexport.sdk.generators.hoi3dgen.views import view_prompts

from .building import building

DESCRIPTION = "A person sitting on a wooden chair, holding a cup"


def _tokenizer():
    """Word-level Gemma stand-in: <pad>=0 <eos>=1 <bos>=2 <unk>=3, then the words of
    the CHI prefix and the benchmark prompts; '<bos>' starts every sequence."""
    from tokenizers import Tokenizer, pre_tokenizers, processors
    from tokenizers.models import WordLevel
    from transformers import GemmaTokenizerFast

    vocab = {t: i for i, t in enumerate(("<pad>", "<eos>", "<bos>", "<unk>"))}
    for word in " ".join([*SANA_CHI, *view_prompts(DESCRIPTION)]).split():
        vocab.setdefault(word, len(vocab))
    tok = Tokenizer(WordLevel(vocab=vocab, unk_token="<unk>"))
    tok.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    tok.post_processor = processors.TemplateProcessing(single="<bos> $A", special_tokens=[("<bos>", 2)])
    return GemmaTokenizerFast(tokenizer_object=tok)


def full_components(device: str = "cpu", dtype=None, aux_dtype=None, qk_norm: bool = False) -> dict:
    """The five `SanaPipeline` components at SANA 1600M 1024px size, random weights,
    built on `device` ("meta" allocates nothing): the transformer in `dtype`, the
    Gemma-2 encoder and the VAE in `aux_dtype` (default: `dtype`)."""
    import torch
    from diffusers import AutoencoderDC, DPMSolverMultistepScheduler, SanaTransformer2DModel
    from transformers import Gemma2Config, Gemma2Model

    dtype = dtype or torch.float32
    aux_dtype = aux_dtype or dtype
    torch.manual_seed(0)
    with building(device, dtype):
        transformer = SanaTransformer2DModel(
            in_channels=32,
            out_channels=32,
            num_attention_heads=70,
            attention_head_dim=32,
            num_layers=20,
            num_cross_attention_heads=20,
            cross_attention_head_dim=112,
            cross_attention_dim=2240,
            caption_channels=2304,
            mlp_ratio=2.5,
            attention_bias=False,
            sample_size=32,
            patch_size=1,
            norm_elementwise_affine=False,
            norm_eps=1e-6,
            interpolation_scale=None,
            qk_norm="rms_norm_across_heads" if qk_norm else None,
        )
    with building(device, aux_dtype):
        text_encoder = Gemma2Model(
            Gemma2Config(
                vocab_size=256000,
                hidden_size=2304,
                intermediate_size=9216,
                num_hidden_layers=26,
                num_attention_heads=8,
                num_key_value_heads=4,
                head_dim=256,
                hidden_activation="gelu_pytorch_tanh",
                max_position_embeddings=8192,
                rms_norm_eps=1e-6,
                query_pre_attn_scalar=256,
                sliding_window=4096,
                attn_logit_softcapping=50.0,
                final_logit_softcapping=30.0,
                pad_token_id=0,
                eos_token_id=1,
                bos_token_id=2,
            )
        )
        vae = AutoencoderDC(
            in_channels=3,
            latent_channels=32,
            attention_head_dim=32,
            encoder_block_types=("ResBlock",) * 3 + ("EfficientViTBlock",) * 3,
            decoder_block_types=("ResBlock",) * 3 + ("EfficientViTBlock",) * 3,
            encoder_block_out_channels=(128, 256, 512, 512, 1024, 1024),
            decoder_block_out_channels=(128, 256, 512, 512, 1024, 1024),
            encoder_layers_per_block=(2, 2, 2, 3, 3, 3),
            decoder_layers_per_block=(3, 3, 3, 3, 3, 3),
            encoder_qkv_multiscales=((), (), (), (5,), (5,), (5,)),
            decoder_qkv_multiscales=((), (), (), (5,), (5,), (5,)),
            downsample_block_type="conv",
            upsample_block_type="interpolate",
            decoder_norm_types="rms_norm",
            decoder_act_fns="silu",
            scaling_factor=0.41407,
        )
    scheduler = DPMSolverMultistepScheduler(flow_shift=3.0, use_flow_sigmas=True, prediction_type="flow_prediction")
    return {
        "tokenizer": _tokenizer(),
        "text_encoder": text_encoder,
        "vae": vae,
        "transformer": transformer,
        "scheduler": scheduler,
    }


def build_full(runtime: Runtime, qk_norm: bool = False) -> SanaTextToImage:
    """SANA 1600M 1024px at full size, random weights, on `runtime` (built on the
    CPU when `runtime.offload`)."""
    import torch

    device = "cpu" if runtime.offload else runtime.device
    aux = torch.bfloat16 if runtime.dtype == torch.float16 else runtime.dtype
    components = full_components(device, runtime.dtype, aux, qk_norm=qk_norm)
    return SanaTextToImage(**components, runtime=runtime, options=SanaOptions())


def run_full(backend: SanaTextToImage, seed: int, warmup: bool = False) -> str:
    """Render one asset: the 3 view prompts at 1024², 50 steps, guidance 4.5, in one
    batch (warm-up: one view, 1 step, so kernel selection and allocator growth are
    not timed).

    Returns:
        A note for the benchmark table: what ran and the mean output pixel value.
    """
    prompts = view_prompts(DESCRIPTION)
    prompts, steps = (prompts[:1], 1) if warmup else (prompts, backend.options.steps)
    try:
        images = backend.generate(prompts, seed=seed, steps=steps)
        mean = f"mean pixel {float(np.mean([im.mean() for im in images])):.1f}"
    except InputError as exc:  # random weights may decode non-finite pixels
        if "non-finite" not in str(exc):
            raise
        mean = "non-finite pixels (random weights)"
    o = backend.options
    return f"{len(prompts)} view(s) {o.width}x{o.height}, {steps} steps, guidance {o.guidance:g}, {mean}"
