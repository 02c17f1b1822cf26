"""Tiny random-weight Grounding DINO + SAM 2 (the transformers architectures) for tests."""

from __future__ import annotations

from pathlib import Path

import torch

VOCAB = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", ".", "person", "box", "a", "suit", "##case"]


def tiny_grounded_sam2(tmp_path: Path):
    """(detector, processor, sam): a tiny GroundingDinoForObjectDetection with its
    processor (an offline BERT tokenizer written under `tmp_path`) and a tiny Sam2Model."""
    import transformers as tf

    torch.manual_seed(0)
    vocab = tmp_path / "vocab.txt"
    vocab.write_text("\n".join(VOCAB) + "\n")
    tokenizer = tf.BertTokenizerFast(vocab_file=str(vocab), do_lower_case=True)
    gd_config = tf.GroundingDinoConfig(
        backbone_config=dict(model_type="swin", image_size=64, patch_size=4, embed_dim=8, depths=[1, 1, 1, 1],
                             num_heads=[1, 1, 1, 1], window_size=4, out_features=["stage2", "stage3", "stage4"]),
        text_config=dict(model_type="bert", vocab_size=len(VOCAB), hidden_size=16, num_hidden_layers=1,
                         num_attention_heads=2, intermediate_size=32, max_position_embeddings=64),
        num_queries=10, encoder_layers=1, decoder_layers=2, encoder_ffn_dim=32, decoder_ffn_dim=32, d_model=32,
        encoder_attention_heads=2, decoder_attention_heads=2, max_text_len=32, num_feature_levels=4,
        encoder_n_points=2, decoder_n_points=2,
    )
    detector = tf.GroundingDinoForObjectDetection(gd_config)
    # 128 px inputs keep the coarsest feature level above 1x1 (GroupNorm needs > 1 value)
    image_processor = tf.GroundingDinoImageProcessorPil(size={"shortest_edge": 128, "longest_edge": 128})
    processor = tf.GroundingDinoProcessor(image_processor, tokenizer)
    sam_config = tf.Sam2Config(
        vision_config=dict(
            model_type="sam2_vision_model",
            backbone_config=dict(model_type="sam2_hiera_det_model", image_size=[64, 64], hidden_size=8,
                                 blocks_per_stage=[1, 1, 2, 1], embed_dim_per_stage=[8, 16, 32, 64],
                                 num_attention_heads_per_stage=[1, 1, 1, 1], window_size_per_stage=[4, 2, 2, 2],
                                 global_attention_blocks=[3], window_positional_embedding_background_size=[2, 2]),
            backbone_channel_list=[64, 32, 16, 8], backbone_feature_sizes=[[16, 16], [8, 8], [4, 4]],
            fpn_hidden_size=32,
        ),
        prompt_encoder_config=dict(hidden_size=32, image_size=64, patch_size=16, mask_input_channels=4),
        mask_decoder_config=dict(hidden_size=32, mlp_dim=32, num_attention_heads=2, iou_head_hidden_dim=16),
    )
    sam = tf.Sam2Model(sam_config)
    return detector, processor, sam
