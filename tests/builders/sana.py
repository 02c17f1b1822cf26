"""SANA text-to-image pipeline parts with random weights, tiny (tests) or full
size (`benchmarks/gpu_chain.py`); nothing is downloaded.

"tiny": real classes, toy sizes: a 1-layer `Gemma2Model` text encoder with an
offline Gemma-style tokenizer (BPE with byte fallback, built with `tokenizers`),
a 2-block `AutoencoderDC` (×2 downsampling, 4 latent channels), a 1-block
`SanaTransformer2DModel` and a `FlowMatchEulerDiscreteScheduler`. Images of
32×32 px denoise in 2 steps in well under a second on one CPU core.

"full": the architecture of Efficient-Large-Model/Sana_1600M_1024px_diffusers
(the lock's `sana-1600m-1024px`, whose transformer HOI3DGen's fine-tune
replaces); the benchmark renders one asset's worth of views with it (3 view
prompts, 1024², 50 steps, guidance 4.5, 300 text tokens after SANA's CHI prefix:
issue #6 stage 1). Sources, public:

- transformer: diffusers `scripts/convert_sana_to_diffusers.py`, model
  "SanaMS_1600M_P1_D20": num_attention_heads 70, attention_head_dim 32,
  num_layers 20, num_cross_attention_heads 20, cross_attention_head_dim 112,
  cross_attention_dim 2240; and its fixed kwargs: in/out_channels 32,
  caption_channels 2304, mlp_ratio 2.5, attention_bias False, sample_size
  1024 // 32, patch_size 1, norm_elementwise_affine False, norm_eps 1e-6,
  interpolation_scale None at 1024 px. SANA 1.5 1.6B is the same plus
  qk_norm "rms_norm_across_heads".
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

The full-size tokenizer is a word-level stand-in: one token per
whitespace-separated word of the CHI prefix and the view prompts of
`FULL_DESCRIPTION`, so the text encoder sees somewhat fewer tokens than Gemma's
(≈ 1.3 per word); the transformer always attends to 300 text tokens, as with the
real tokenizer. Random weights may produce non-finite pixels; timing and memory
do not depend on it.
"""

from __future__ import annotations

import string
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Any

from hoiexport.sdk.generators.hoi3dgen.runtime import Runtime
from hoiexport.sdk.generators.hoi3dgen.sana import SANA_CHI, SanaOptions, SanaTextToImage
from hoiexport.sdk.generators.hoi3dgen.views import view_prompts

from tests.builders.sizes import Size, building

if TYPE_CHECKING:
    import torch
    from diffusers import SanaTransformer2DModel
    from transformers import GemmaTokenizerFast

TEXT_DIM = 8
"""Tiny Gemma hidden size = the tiny transformer's caption channels."""

FULL_DESCRIPTION = "A person sitting on a wooden chair, holding a cup"
"""The description whose view prompts the full-size word-level tokenizer knows
(the one `benchmarks/gpu_chain.py` renders)."""

_SPECIALS = ("<pad>", "<eos>", "<bos>", "<unk>")
"""Gemma's first special tokens: <pad>=0 <eos>=1 <bos>=2 <unk>=3."""


def tiny_gemma_tokenizer() -> GemmaTokenizerFast:
    """A Gemma tokenizer built offline: BPE with byte fallback (like Gemma's),
    special tokens <pad>=0 <eos>=1 <bos>=2 <unk>=3 <mask>=4, the 256 byte
    tokens, '▁' and the printable ASCII characters; '<bos>' starts every sequence."""
    from tokenizers import Tokenizer, decoders, normalizers, processors
    from tokenizers.models import BPE
    from transformers import GemmaTokenizerFast

    vocab: dict[str, int] = {t: i for i, t in enumerate((*_SPECIALS, "<mask>"))}
    for b in range(256):
        vocab[f"<0x{b:02X}>"] = len(vocab)
    for ch in "▁" + string.ascii_letters + string.digits + string.punctuation:
        vocab.setdefault(ch, len(vocab))
    tok = Tokenizer(BPE(vocab=vocab, merges=[], unk_token="<unk>", fuse_unk=True, byte_fallback=True))
    tok.normalizer = normalizers.Replace(" ", "▁")
    tok.decoder = decoders.Sequence([decoders.Replace("▁", " "), decoders.ByteFallback(), decoders.Fuse()])
    tok.post_processor = processors.TemplateProcessing(single="<bos> $A", special_tokens=[("<bos>", vocab["<bos>"])])
    return GemmaTokenizerFast(tokenizer_object=tok)


def word_gemma_tokenizer() -> GemmaTokenizerFast:
    """Word-level Gemma stand-in: <pad>=0 <eos>=1 <bos>=2 <unk>=3, then the words of
    the CHI prefix and of `FULL_DESCRIPTION`'s view prompts; '<bos>' starts every sequence."""
    from tokenizers import Tokenizer, pre_tokenizers, processors
    from tokenizers.models import WordLevel
    from transformers import GemmaTokenizerFast

    vocab = {t: i for i, t in enumerate(_SPECIALS)}
    for word in " ".join([*SANA_CHI, *view_prompts(FULL_DESCRIPTION)]).split():
        vocab.setdefault(word, len(vocab))
    tok = Tokenizer(WordLevel(vocab=vocab, unk_token="<unk>"))
    tok.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    tok.post_processor = processors.TemplateProcessing(single="<bos> $A", special_tokens=[("<bos>", 2)])
    return GemmaTokenizerFast(tokenizer_object=tok)


@dataclass(frozen=True)
class SanaSize:
    """Constructor arguments of the five `SanaPipeline` components at one size.

    Attributes:
        tokenizer: makes the offline stand-in tokenizer.
        text_encoder: `Gemma2Config` keyword arguments; without "vocab_size" the
            vocabulary is the tokenizer's.
        vae: `AutoencoderDC` keyword arguments.
        transformer: `SanaTransformer2DModel` keyword arguments except qk_norm.
        scheduler: diffusers scheduler class name and keyword arguments.
        options: the backend's default options at this size.
    """

    tokenizer: Callable[[], GemmaTokenizerFast]
    text_encoder: Mapping[str, Any]
    vae: Mapping[str, Any]
    transformer: Mapping[str, Any]
    scheduler: tuple[str, Mapping[str, Any]]
    options: SanaOptions


SIZES: dict[Size, SanaSize] = {
    "tiny": SanaSize(
        tokenizer=tiny_gemma_tokenizer,
        text_encoder=dict(
            hidden_size=TEXT_DIM,
            intermediate_size=16,
            num_hidden_layers=1,
            num_attention_heads=2,
            num_key_value_heads=2,
            head_dim=4,
            max_position_embeddings=2048,
            pad_token_id=0,
            bos_token_id=2,
            eos_token_id=1,
            attn_implementation="eager",
        ),
        vae=dict(
            in_channels=3,
            latent_channels=4,
            attention_head_dim=2,
            encoder_block_types=("ResBlock", "EfficientViTBlock"),
            decoder_block_types=("ResBlock", "EfficientViTBlock"),
            encoder_block_out_channels=(8, 8),
            decoder_block_out_channels=(8, 8),
            encoder_qkv_multiscales=((), (5,)),
            decoder_qkv_multiscales=((), (5,)),
            encoder_layers_per_block=(1, 1),
            decoder_layers_per_block=(1, 1),
            downsample_block_type="conv",
            upsample_block_type="interpolate",
            decoder_norm_types="rms_norm",
            decoder_act_fns="silu",
            scaling_factor=0.41407,
        ),
        transformer=dict(
            patch_size=1,
            in_channels=4,
            out_channels=4,
            num_layers=1,
            num_attention_heads=2,
            attention_head_dim=4,
            num_cross_attention_heads=2,
            cross_attention_head_dim=4,
            cross_attention_dim=8,
            caption_channels=TEXT_DIM,
            sample_size=16,
        ),
        scheduler=("FlowMatchEulerDiscreteScheduler", dict(shift=3.0)),
        # 32² px, 2 steps, 96 text tokens (the byte-level tokenizer spends one token
        # per character; the whole view prompt must fit)
        options=SanaOptions(height=32, width=32, steps=2, max_sequence_length=96, resolution_binning=False),
    ),
    "full": SanaSize(
        tokenizer=word_gemma_tokenizer,
        text_encoder=dict(
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
        ),
        vae=dict(
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
        ),
        transformer=dict(
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
        ),
        scheduler=(
            "DPMSolverMultistepScheduler",
            dict(flow_shift=3.0, use_flow_sigmas=True, prediction_type="flow_prediction"),
        ),
        options=SanaOptions(),
    ),
}
"""The SANA pipeline at each size (full: see the module docstring for sources)."""


def sana_transformer(
    size: Size,
    *,
    qk_norm: str | None = None,
    seed: int = 0,
    device: str | torch.device = "cpu",
    dtype: torch.dtype | None = None,
) -> SanaTransformer2DModel:
    """A `SanaTransformer2DModel` of `size` with weights seeded by `seed`, in eval mode.

    Args:
        size: "tiny" (hidden 8, 2 heads, 4 latent channels, 1 block) or "full" (1600M).
        qk_norm: None (SANA 1.0) or "rms_norm_across_heads" (SANA 1.5).
        seed: torch seed of the random weights.
        device: where the weights are created ("meta" allocates nothing).
        dtype: weight dtype; None = float32.
    """
    import torch
    from diffusers import SanaTransformer2DModel

    torch.manual_seed(seed)
    with building(device, dtype):
        return SanaTransformer2DModel(**SIZES[size].transformer, qk_norm=qk_norm).eval()


def sana_components(
    size: Size,
    *,
    seed: int = 0,
    device: str | torch.device = "cpu",
    dtype: torch.dtype | None = None,
    aux_dtype: torch.dtype | None = None,
    qk_norm: str | None = None,
) -> dict[str, Any]:
    """tokenizer, text_encoder, vae, transformer, scheduler of a `SanaPipeline` of `size`.

    Each network's weights are seeded by `seed` before it is built.

    Args:
        size: "tiny" or "full".
        seed: torch seed of the random weights.
        device: where the weights are created ("meta" allocates nothing).
        dtype: the transformer's weight dtype; None = float32.
        aux_dtype: the Gemma-2 encoder's and the VAE's dtype; None = `dtype`.
        qk_norm: the transformer's query/key norm (see `sana_transformer`).
    """
    import diffusers
    import torch
    from diffusers import AutoencoderDC
    from transformers import Gemma2Config, Gemma2Model

    spec = SIZES[size]
    aux_dtype = aux_dtype or dtype
    tokenizer = spec.tokenizer()
    torch.manual_seed(seed)
    with building(device, aux_dtype):
        text_encoder = Gemma2Model(Gemma2Config(**{"vocab_size": len(tokenizer), **spec.text_encoder})).eval()
    torch.manual_seed(seed)
    with building(device, aux_dtype):
        vae = AutoencoderDC(**spec.vae).eval()
    scheduler_class, scheduler_kwargs = spec.scheduler
    return {
        "tokenizer": tokenizer,
        "text_encoder": text_encoder,
        "vae": vae,
        "transformer": sana_transformer(size, qk_norm=qk_norm, seed=seed, device=device, dtype=dtype),
        "scheduler": getattr(diffusers, scheduler_class)(**scheduler_kwargs),
    }


def build_sana(
    size: Size,
    runtime: Runtime,
    options: SanaOptions | None = None,
    *,
    device: str | torch.device = "cpu",
    dtype: torch.dtype | None = None,
    aux_dtype: torch.dtype | None = None,
) -> SanaTextToImage:
    """A `SanaTextToImage` over `sana_components(size, ...)` on `runtime`.

    Args:
        size: "tiny" or "full".
        runtime: the backend's runtime.
        options: None = the size's default (tiny: 32² px, 2 steps; full: `SanaOptions()`).
        device, dtype, aux_dtype: where and in which dtypes the weights are created
            (see `sana_components`); the tests build on the CPU in float32.
    """
    options = SIZES[size].options if options is None else options
    components = sana_components(size, device=device, dtype=dtype, aux_dtype=aux_dtype)
    return SanaTextToImage(**components, runtime=runtime, options=options)


# The tiny size, under the names the tests call.
TINY_OPTIONS = SIZES["tiny"].options
tiny_sana_transformer = partial(sana_transformer, "tiny")
tiny_sana_components = partial(sana_components, "tiny")
tiny_sana = partial(build_sana, "tiny")
