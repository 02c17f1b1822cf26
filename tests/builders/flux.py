"""A tiny random-weight FLUX.1-Depth pipeline (the real diffusers / transformers
classes) for tests of the `hoi3dgen` re-texturing stage and the chain.

Sizes: a 1 + 1-block `FluxTransformer2DModel` whose input is 2 × the packed latent
channels (noisy latent + control latent, as FLUX.1-Depth's 128 = 2 × 64), a
two-level `AutoencoderKL` with 4 latent channels (downscale 2, so outputs are
multiples of 4 px), 2-layer CLIP and T5 encoders 32 wide, and offline CLIP / T5
tokenizers (transformers' tokenizers-backed classes) over a printable-ASCII
vocabulary built here: nothing is downloaded.
"""

from __future__ import annotations

import string

from hoiexport.sdk.generators.hoi3dgen.retexture import FluxDepthRetexturer, RetextureOptions
from hoiexport.sdk.generators.hoi3dgen.runtime import Runtime

TINY_OPTIONS = RetextureOptions(steps=2, guidance=10.0, height=32, width=32, max_sequence_length=32)
"""2 steps at 32 × 32, 32 T5 tokens."""

_CHARS = [c for c in string.printable if not c.isspace()]


def tiny_clip_tokenizer():
    """CLIP BPE tokenizer: every printable ASCII character, word-final or not; no merges."""
    from transformers import CLIPTokenizer

    vocab = {"<|startoftext|>": 0, "<|endoftext|>": 1}
    for c in _CHARS:
        vocab.setdefault(c, len(vocab))
        vocab.setdefault(c + "</w>", len(vocab))
    return CLIPTokenizer(vocab=vocab, merges=[], model_max_length=77)


def tiny_t5_tokenizer():
    """T5 Unigram tokenizer: <pad>=0, </s>=1, <unk>=2, then characters with and
    without the word-start marker; no sentinel tokens."""
    from transformers import T5TokenizerFast

    pieces = [("<pad>", 0.0), ("</s>", 0.0), ("<unk>", 0.0), ("\u2581", -2.0)]
    for c in _CHARS:
        pieces += [(c, -5.0), ("\u2581" + c, -4.0)]
    return T5TokenizerFast(vocab=pieces, extra_ids=0)


def tiny_flux_components() -> dict:
    """The seven `FluxControlPipeline` components, tiny, with seeded random weights."""
    import torch
    from diffusers import AutoencoderKL, FlowMatchEulerDiscreteScheduler, FluxTransformer2DModel
    from transformers import CLIPTextConfig, CLIPTextModel, T5Config, T5EncoderModel

    tokenizer, tokenizer_2 = tiny_clip_tokenizer(), tiny_t5_tokenizer()
    latent_channels = 4
    packed = 4 * latent_channels  # 2×2 patches of the latent
    torch.manual_seed(0)
    transformer = FluxTransformer2DModel(
        patch_size=1,
        in_channels=2 * packed,  # noisy latent + control latent
        out_channels=packed,
        num_layers=1,
        num_single_layers=1,
        attention_head_dim=16,
        num_attention_heads=2,
        joint_attention_dim=32,  # = T5 d_model
        pooled_projection_dim=32,  # = CLIP hidden size (pooled output)
        guidance_embeds=True,
        axes_dims_rope=[4, 6, 6],  # sums to attention_head_dim
    )
    torch.manual_seed(0)
    text_encoder = CLIPTextModel(
        CLIPTextConfig(
            vocab_size=len(tokenizer),
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
        )
    )
    torch.manual_seed(0)
    text_encoder_2 = T5EncoderModel(
        T5Config(
            vocab_size=len(tokenizer_2),
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
        )
    )
    torch.manual_seed(0)
    vae = AutoencoderKL(
        in_channels=3,
        out_channels=3,
        down_block_types=("DownEncoderBlock2D", "DownEncoderBlock2D"),
        up_block_types=("UpDecoderBlock2D", "UpDecoderBlock2D"),
        block_out_channels=(8, 16),
        layers_per_block=1,
        latent_channels=latent_channels,
        norm_num_groups=4,
        sample_size=32,
        use_quant_conv=False,
        use_post_quant_conv=False,
        scaling_factor=0.3611,  # FLUX VAE values
        shift_factor=0.1159,
    )
    # FLUX.1's scheduler settings (dynamic shifting by image sequence length).
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


def tiny_flux(runtime: Runtime) -> FluxDepthRetexturer:
    """A `FluxDepthRetexturer` over `tiny_flux_components()`, defaults `TINY_OPTIONS`."""
    return FluxDepthRetexturer(**tiny_flux_components(), runtime=runtime, options=TINY_OPTIONS)
