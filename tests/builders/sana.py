"""Tiny random-weight SANA pipeline parts for tests (no downloads).

Real classes, toy sizes: a 1-layer `Gemma2Model` text encoder with an offline
Gemma-style tokenizer (BPE with byte fallback, built with `tokenizers`), a 2-block
`AutoencoderDC` (×2 downsampling, 4 latent channels), a 1-block
`SanaTransformer2DModel` and a `FlowMatchEulerDiscreteScheduler`. Images of
32×32 px denoise in 2 steps in well under a second on one CPU core.
"""

from __future__ import annotations

import string

from hoiexport.sdk.generators.hoi3dgen.runtime import Runtime
from hoiexport.sdk.generators.hoi3dgen.sana import SanaOptions, SanaTextToImage

TEXT_DIM = 8
"""Gemma hidden size = the transformer's caption channels."""

TINY_OPTIONS = SanaOptions(height=32, width=32, steps=2, max_sequence_length=96, resolution_binning=False)
"""Defaults for the tiny pipeline: 32² px, 2 steps, 96 text tokens (the byte-level
tokenizer spends one token per character; the whole view prompt must fit)."""


def tiny_gemma_tokenizer():
    """A Gemma tokenizer built offline: BPE with byte fallback (like Gemma's),
    special tokens <pad>=0 <eos>=1 <bos>=2 <unk>=3 <mask>=4, the 256 byte
    tokens, '▁' and the printable ASCII characters; '<bos>' starts every sequence."""
    from tokenizers import Tokenizer, decoders, normalizers, processors
    from tokenizers.models import BPE
    from transformers import GemmaTokenizerFast

    vocab: dict[str, int] = {t: i for i, t in enumerate(("<pad>", "<eos>", "<bos>", "<unk>", "<mask>"))}
    for b in range(256):
        vocab[f"<0x{b:02X}>"] = len(vocab)
    for ch in "▁" + string.ascii_letters + string.digits + string.punctuation:
        vocab.setdefault(ch, len(vocab))
    tok = Tokenizer(BPE(vocab=vocab, merges=[], unk_token="<unk>", fuse_unk=True, byte_fallback=True))
    tok.normalizer = normalizers.Replace(" ", "▁")
    tok.decoder = decoders.Sequence([decoders.Replace("▁", " "), decoders.ByteFallback(), decoders.Fuse()])
    tok.post_processor = processors.TemplateProcessing(single="<bos> $A", special_tokens=[("<bos>", vocab["<bos>"])])
    return GemmaTokenizerFast(tokenizer_object=tok)


def tiny_sana_transformer(*, qk_norm: str | None = None, seed: int = 0):
    """A 1-block `SanaTransformer2DModel` (hidden 8, 2 heads, 4 latent channels)."""
    import torch
    from diffusers import SanaTransformer2DModel

    torch.manual_seed(seed)
    return SanaTransformer2DModel(
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
        qk_norm=qk_norm,
    ).eval()


def tiny_sana_components(*, seed: int = 0) -> dict:
    """tokenizer, text_encoder, vae, transformer, scheduler of a tiny `SanaPipeline`."""
    import torch
    from diffusers import AutoencoderDC, FlowMatchEulerDiscreteScheduler
    from transformers import Gemma2Config, Gemma2Model

    tokenizer = tiny_gemma_tokenizer()
    torch.manual_seed(seed)
    text_encoder = Gemma2Model(
        Gemma2Config(
            vocab_size=len(tokenizer),
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
        )
    ).eval()
    torch.manual_seed(seed)
    vae = AutoencoderDC(
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
    ).eval()
    return {
        "tokenizer": tokenizer,
        "text_encoder": text_encoder,
        "vae": vae,
        "transformer": tiny_sana_transformer(seed=seed),
        "scheduler": FlowMatchEulerDiscreteScheduler(shift=3.0),
    }


def tiny_sana(runtime: Runtime, options: SanaOptions = TINY_OPTIONS) -> SanaTextToImage:
    """A `SanaTextToImage` on tiny random weights (32² px, 2 steps by default)."""
    return SanaTextToImage(**tiny_sana_components(), runtime=runtime, options=options)
