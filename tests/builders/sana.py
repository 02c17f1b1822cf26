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

`write_<entry>(models_dir)` writes each SANA lock entry tiny, in its real
on-disk layout, for the loadability tests (see their docstrings):
`write_sana1_5_1600m_1024px`, `write_sana_1600m_1024px` (diffusers folders with
`model_index.json` and the shards the lock lists) and `write_hoi3dgen_sana`
(a SANA-native training checkpoint); `LOCK_WRITERS` maps entry names to them.

The full-size tokenizer is a word-level stand-in: one token per
whitespace-separated word of the CHI prefix and the view prompts of
`FULL_DESCRIPTION`, so the text encoder sees somewhat fewer tokens than Gemma's
(≈ 1.3 per word); the transformer always attends to 300 text tokens, as with the
real tokenizer. Random weights may produce non-finite pixels; timing and memory
do not depend on it.
"""

from __future__ import annotations

import json
import random
import string
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from hoiexport.sdk.generators.hoi3dgen.runtime import Runtime
from hoiexport.sdk.generators.hoi3dgen.sana import (
    FINETUNE_FILE,
    FINETUNE_MODEL,
    SANA_BASES,
    SANA_CHI,
    SanaOptions,
    SanaTextToImage,
)
from hoiexport.sdk.generators.hoi3dgen.sana_convert import QK_NORM
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


# ----------------------------------------------------------------------------- lock entries on disk


def write_shards(folder: Path, single: str, stem: str, index: str, count: int) -> list[str]:
    """Split the safetensors file `folder/single` into `count` shards laid out as
    Hugging Face writes them, and remove it.

    Shards are `{stem}-0000i-of-0000n.safetensors` (keys in sorted order, split
    into contiguous runs) with `{"format": "pt"}` metadata; `index` is the JSON
    index `{"metadata": {"total_size": bytes}, "weight_map": {key: shard}}` that
    transformers (`model.safetensors.index.json`) and diffusers
    (`diffusion_pytorch_model.safetensors.index.json`) read.

    Returns:
        The shard file names, in order.
    """
    from safetensors.torch import load_file, save_file

    state = load_file(str(folder / single))
    keys = sorted(state)
    if len(keys) < count:
        raise ValueError(f"{folder / single} has {len(keys)} tensors, fewer than {count} shards")
    names, weight_map = [], {}
    for i, part in enumerate(np.array_split(np.arange(len(keys)), count), start=1):
        name = f"{stem}-{i:05d}-of-{count:05d}.safetensors"
        chunk = {keys[j]: state[keys[j]].contiguous() for j in part}
        save_file(chunk, str(folder / name), metadata={"format": "pt"})
        weight_map.update(dict.fromkeys(chunk, name))
        names.append(name)
    total = sum(t.numel() * t.element_size() for t in state.values())
    (folder / index).write_text(json.dumps({"metadata": {"total_size": total}, "weight_map": weight_map}, indent=2))
    (folder / single).unlink()
    return names


FLOW_DPM_SOLVER: Mapping[str, Any] = dict(flow_shift=3.0, use_flow_sigmas=True, prediction_type="flow_prediction")
"""The scheduler SANA's diffusers folders ship (`DPMSolverMultistepScheduler`;
diffusers' `convert_sana_to_diffusers.py` default "flow-dpm_solver")."""


def _write_base(
    models_dir: Path, entry: str, *, qk_norm: str | None, transformer_shards: int, dtype: torch.dtype
) -> Path:
    """A tiny diffusers SANA folder under `models_dir/entry`: `model_index.json`,
    scheduler/, tokenizer/, text_encoder/ (Gemma-2, two safetensors shards + index, as
    both SANA repositories), vae/ (one file) and transformer/ (`transformer_shards`
    files; weights and Gemma-2 in `dtype`)."""
    from diffusers import DPMSolverMultistepScheduler, SanaPipeline

    folder = Path(models_dir) / entry
    parts = sana_components("tiny", qk_norm=qk_norm)
    parts["scheduler"] = DPMSolverMultistepScheduler(**FLOW_DPM_SOLVER)
    parts["transformer"].to(dtype=dtype)
    parts["text_encoder"].to(dtype=dtype)
    SanaPipeline(**parts).save_pretrained(folder, safe_serialization=True)
    write_shards(folder / "text_encoder", "model.safetensors", "model", "model.safetensors.index.json", 2)
    if transformer_shards > 1:
        write_shards(folder / "transformer", "diffusion_pytorch_model.safetensors", "diffusion_pytorch_model",
                     "diffusion_pytorch_model.safetensors.index.json", transformer_shards)
    return folder


def write_sana1_5_1600m_1024px(models_dir: Path) -> Path:
    """Lock entry `sana1-5-1600m-1024px` (Efficient-Large-Model/SANA1.5_1.6B_1024px_diffusers),
    tiny: a diffusers folder whose transformer has SANA 1.5's query/key norms
    (`qk_norm="rms_norm_across_heads"`), stored in bf16 as one file (the repository
    is BF16; its transformer weights are fetched by pattern), with the Gemma-2 text
    encoder in bf16 as two shards + index (the file names the lock lists).

    Returns:
        The entry's folder, `models_dir/sana1-5-1600m-1024px`.
    """
    import torch

    return _write_base(models_dir, SANA_BASES["sana-1.5"].name, qk_norm=QK_NORM, transformer_shards=1,
                       dtype=torch.bfloat16)


def write_sana_1600m_1024px(models_dir: Path) -> Path:
    """Lock entry `sana-1600m-1024px` (Efficient-Large-Model/Sana_1600M_1024px_diffusers),
    tiny: a diffusers folder with a SANA 1.0 transformer (no query/key norms) in fp32
    as two shards + index, and the text encoder as two shards + index — the file
    names the lock lists.

    Returns:
        The entry's folder, `models_dir/sana-1600m-1024px`.
    """
    import torch

    return _write_base(models_dir, SANA_BASES["sana-1.0"].name, qk_norm=None, transformer_shards=2,
                       dtype=torch.float32)


_MLP_NAMES = (("inverted_conv", "conv_inverted"), ("depth_conv", "conv_depth"), ("point_conv", "conv_point"))
"""SANA's GLUMBConv layer names → diffusers' `GLUMBConv` names."""


def native_sana_state_dict(
    sd: Mapping[str, torch.Tensor], *, pos_embed_tokens: int | None = None, caption_tokens: int = 300, seed: int = 0
) -> dict[str, torch.Tensor]:
    """A diffusers `SanaTransformer2DModel` state dict under NVlabs/Sana's `SanaMS`
    names (written from SANA's module names: x_embedder, t_embedder.mlp, t_block,
    y_embedder.y_proj, attention_y_norm, blocks.N.{attn.qkv, attn.q_norm/k_norm,
    cross_attn.q_linear/kv_linear/q_norm/k_norm, mlp.*_conv.conv}, final_layer),
    plus the tensors SANA stores that diffusers drops.

    Args:
        sd: the diffusers state dict (any number of blocks; with or without q/k norms).
        pos_embed_tokens: add SANA's stored sin-cos table `pos_embed` (1, tokens,
            hidden) of models with `use_pe` (SANA 1.0); None = none (SANA 1.5: `use_pe: false`).
        caption_tokens: rows of the null caption embedding `y_embedder.y_embedding`
            (SANA: `model_max_length` 300).
        seed: seed of the null caption embedding's random values.

    Returns:
        native name → tensor (copies).
    """
    import torch

    g = torch.Generator().manual_seed(seed)
    caption_dim = sd["caption_projection.linear_1.weight"].shape[1]
    n: dict[str, torch.Tensor] = {
        "x_embedder.proj.weight": sd["patch_embed.proj.weight"],
        "x_embedder.proj.bias": sd["patch_embed.proj.bias"],
        "t_block.1.weight": sd["time_embed.linear.weight"],
        "t_block.1.bias": sd["time_embed.linear.bias"],
        "attention_y_norm.weight": sd["caption_norm.weight"],
        "final_layer.linear.weight": sd["proj_out.weight"],
        "final_layer.linear.bias": sd["proj_out.bias"],
        "final_layer.scale_shift_table": sd["scale_shift_table"],
        "y_embedder.y_embedding": torch.randn(caption_tokens, caption_dim, generator=g) / caption_dim**0.5,
    }
    if pos_embed_tokens is not None:
        n["pos_embed"] = torch.zeros(1, pos_embed_tokens, sd["patch_embed.proj.weight"].shape[0])
    for j in (1, 2):
        for p in ("weight", "bias"):
            n[f"t_embedder.mlp.{2 * (j - 1)}.{p}"] = sd[f"time_embed.emb.timestep_embedder.linear_{j}.{p}"]
            n[f"y_embedder.y_proj.fc{j}.{p}"] = sd[f"caption_projection.linear_{j}.{p}"]
    layers = 1 + max(int(k.split(".")[1]) for k in sd if k.startswith("transformer_blocks."))
    for i in range(layers):
        b, d = f"blocks.{i}.", f"transformer_blocks.{i}."
        n[b + "scale_shift_table"] = sd[d + "scale_shift_table"]
        n[b + "attn.qkv.weight"] = torch.cat([sd[d + f"attn1.to_{x}.weight"] for x in "qkv"])
        n[b + "attn.proj.weight"] = sd[d + "attn1.to_out.0.weight"]
        n[b + "attn.proj.bias"] = sd[d + "attn1.to_out.0.bias"]
        n[b + "cross_attn.q_linear.weight"] = sd[d + "attn2.to_q.weight"]
        n[b + "cross_attn.q_linear.bias"] = sd[d + "attn2.to_q.bias"]
        n[b + "cross_attn.kv_linear.weight"] = torch.cat([sd[d + "attn2.to_k.weight"], sd[d + "attn2.to_v.weight"]])
        n[b + "cross_attn.kv_linear.bias"] = torch.cat([sd[d + "attn2.to_k.bias"], sd[d + "attn2.to_v.bias"]])
        n[b + "cross_attn.proj.weight"] = sd[d + "attn2.to_out.0.weight"]
        n[b + "cross_attn.proj.bias"] = sd[d + "attn2.to_out.0.bias"]
        for native, ours in _MLP_NAMES:
            for p in ("weight", "bias"):
                if f"{d}ff.{ours}.{p}" in sd:
                    n[f"{b}mlp.{native}.conv.{p}"] = sd[f"{d}ff.{ours}.{p}"]
        if d + "attn1.norm_q.weight" in sd:
            for native, ours in (("attn", "attn1"), ("cross_attn", "attn2")):
                n[f"{b}{native}.q_norm.weight"] = sd[f"{d}{ours}.norm_q.weight"]
                n[f"{b}{native}.k_norm.weight"] = sd[f"{d}{ours}.norm_k.weight"]
    return {k: v.clone() for k, v in n.items()}


def save_sana_training_checkpoint(
    path: Path, state_dict: Mapping[str, torch.Tensor], ema: Mapping[str, torch.Tensor] | None = None
) -> None:
    """Write `state_dict` (native names) as NVlabs/Sana's DDP training checkpoint:
    `{"state_dict": {"module." + name: tensor}, "state_dict_ema"?, "optimizer",
    "epoch", "rng_state" {torch, numpy, python, generator}}` — the numpy RNG state
    is what makes the loader's numpy allow-list necessary."""
    import torch

    ckpt: dict[str, Any] = {
        "state_dict": {f"module.{k}": v for k, v in state_dict.items()},
        "optimizer": {"state": {0: {"exp_avg": torch.zeros(3)}}, "param_groups": [{"lr": 2e-5, "params": [0]}]},
        "epoch": 1050,
        "rng_state": {
            "torch": torch.get_rng_state(),
            "numpy": np.random.RandomState(0).get_state(),
            "python": random.Random(0).getstate(),
            "generator": torch.Generator().manual_seed(42).get_state(),
        },
    }
    if ema is not None:
        ckpt["state_dict_ema"] = dict(ema)
    torch.save(ckpt, path)


def finetune_state_dict(seed: int = 3) -> dict[str, torch.Tensor]:
    """The diffusers state dict `write_hoi3dgen_sana` writes: a tiny SANA 1.5
    transformer (query/key norms) with every tensor replaced by seeded noise (so the
    norms and scale-shift tables are not at their trivial initial values)."""
    import torch

    model = sana_transformer("tiny", qk_norm=QK_NORM)
    g = torch.Generator().manual_seed(seed)
    return {k: torch.randn(v.shape, generator=g) * 0.3 for k, v in model.state_dict().items()}


def write_hoi3dgen_sana(models_dir: Path) -> Path:
    """Lock entry `hoi3dgen-sana` (agshar96/hoi3dgen_weights), tiny: `epoch_1050_step_25201.pth`
    as NVlabs/Sana's training code saves it (`save_sana_training_checkpoint`): the
    transformer under SANA's native names with SANA 1.5's query/key norms, no
    `pos_embed` (`use_pe: false`), the null caption embedding, EMA weights
    (0.5 × the weights) and the training state. Its weights are `finetune_state_dict()`.

    Returns:
        The entry's folder, `models_dir/hoi3dgen-sana`.
    """
    folder = Path(models_dir) / FINETUNE_MODEL
    folder.mkdir(parents=True, exist_ok=True)
    sd = finetune_state_dict()
    tokens = SIZES["tiny"].options.max_sequence_length
    native = native_sana_state_dict(sd, caption_tokens=tokens)
    ema = native_sana_state_dict({k: v * 0.5 for k, v in sd.items()}, caption_tokens=tokens)
    save_sana_training_checkpoint(folder / FINETUNE_FILE, native, ema=ema)
    return folder


LOCK_WRITERS: dict[str, Callable[[Path], Path]] = {
    SANA_BASES["sana-1.5"].name: write_sana1_5_1600m_1024px,
    SANA_BASES["sana-1.0"].name: write_sana_1600m_1024px,
    FINETUNE_MODEL: write_hoi3dgen_sana,
}
"""Lock entry → the function that writes it tiny under a models dir."""
