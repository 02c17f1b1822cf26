"""Grounding DINO + SAM 2 with random weights for tests, in memory and in the lock's on-disk layouts.

In memory: `tiny_grounded_sam2` (a tiny `GroundingDinoForObjectDetection`, its
processor and a tiny `Sam2Model`) and `tiny_sam2_models` (a `Sam2Model` and a
`Sam2VideoModel` sharing one set of weights, of the tiny sam2 yaml `sam2_yaml`).

On disk (`LOCK_WRITERS`), each lock entry tiny, in the file layout of its real
repository:

- `write_sam2_1_hiera_large`: facebook/sam2.1-hiera-large as the official
  HOI3DGen code loads it, the ORIGINAL sam2 files: `sam2.1_hiera_large.pt`, a
  torch pickle `{"model": OrderedDict(name -> tensor)}` under facebookresearch/sam2's
  module names (`image_encoder.trunk.blocks.N...`, `sam_mask_decoder...`,
  `memory_attention...`, `memory_encoder...`), and `sam2.1_hiera_l.yaml`, a
  Hydra config with the structure of `sam2/configs/sam2.1/sam2.1_hiera_l.yaml`
  at tiny sizes (`sam2_yaml`). The original names are produced by
  `original_state_dict`, written from the module tree of `sam2/modeling/*`
  (independently of `hoiexport.sdk.generators.lift.sam2_convert`, which maps
  the other way).
- `write_grounding_dino_base`: IDEA-Research/grounding-dino-base's files
  (config.json, model.safetensors, the published `preprocessor_config.json` keys,
  special_tokens_map.json, tokenizer.json, tokenizer_config.json).

The lock pins `sam2.1_hiera_large.pt` by sha256 and size (the real file), so a
tiny stand-in only verifies against `unpinned.unpinned_lock((SAM2_ENTRY,))`; tests
resolve through it by patching `load_lock` in the module
`hoiexport.sdk.models.resolve` (`importlib.import_module`: the package's
attribute `resolve` is the function).
"""

from __future__ import annotations

import json
import re
from collections import OrderedDict
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import torch

from tests.builders.sizes import Size

VOCAB = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", ".", "person", "box", "a", "suit", "##case"]

SAM2_ENTRY = "sam2-1-hiera-large"
SAM2_CHECKPOINT = "sam2.1_hiera_large.pt"
SAM2_CONFIG = "sam2.1_hiera_l.yaml"
GROUNDING_DINO_ENTRY = "grounding-dino-base"


# ----------------------------------------------------------------------------- Grounding DINO


def tiny_grounding_dino(tmp_path: Path):
    """(detector, processor): a tiny `GroundingDinoForObjectDetection` and its
    processor (an offline BERT tokenizer over `VOCAB`, written under `tmp_path`)."""
    import transformers as tf

    torch.manual_seed(0)
    vocab = Path(tmp_path) / "vocab.txt"
    vocab.parent.mkdir(parents=True, exist_ok=True)
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
    return detector, processor


def tiny_grounded_sam2(tmp_path: Path):
    """(detector, processor, sam): `tiny_grounding_dino` and a tiny `Sam2Model`."""
    import transformers as tf

    detector, processor = tiny_grounding_dino(tmp_path)
    torch.manual_seed(0)
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


GROUNDING_DINO_PREPROCESSOR = {
    "do_normalize": True,
    "do_pad": True,
    "do_rescale": True,
    "do_resize": True,
    "format": "coco_detection",
    "image_mean": [0.485, 0.456, 0.406],
    "image_processor_type": "GroundingDinoImageProcessor",
    "image_std": [0.229, 0.224, 0.225],
    "processor_class": "GroundingDinoProcessor",
    "resample": 2,
    "rescale_factor": 0.00392156862745098,
    "size": {"longest_edge": 1333, "shortest_edge": 800},
}
"""The keys of IDEA-Research/grounding-dino-base's published `preprocessor_config.json`
(457 bytes, "Upload processor" d5d2765)."""

GROUNDING_DINO_SPECIAL_TOKENS = {
    "cls_token": "[CLS]", "mask_token": "[MASK]", "pad_token": "[PAD]", "sep_token": "[SEP]", "unk_token": "[UNK]",
}
"""The published `special_tokens_map.json` of the Grounding DINO repositories (BERT's)."""


def write_grounding_dino_base(models_dir: Path) -> Path:
    """Lock entry `grounding-dino-base` (IDEA-Research/grounding-dino-base), tiny, in
    the repository's file layout: the detector of `tiny_grounding_dino` saved as
    transformers writes it (`config.json`, `model.safetensors`), the tokenizer's
    `tokenizer.json` + `tokenizer_config.json` + `vocab.txt`, and the repository's
    processor files (`preprocessor_config.json` with the published keys at the
    tiny 128 px size, `special_tokens_map.json`) instead of transformers 5's
    `processor_config.json`.

    Returns:
        The entry's folder, `models_dir/grounding-dino-base`.
    """
    folder = Path(models_dir) / GROUNDING_DINO_ENTRY
    detector, processor = tiny_grounding_dino(folder)  # writes folder/vocab.txt
    detector.save_pretrained(folder, safe_serialization=True)
    processor.tokenizer.save_pretrained(folder)
    preprocessor = {**GROUNDING_DINO_PREPROCESSOR, "size": {"longest_edge": 128, "shortest_edge": 128}}
    (folder / "preprocessor_config.json").write_text(json.dumps(preprocessor, indent=2) + "\n")
    (folder / "special_tokens_map.json").write_text(json.dumps(GROUNDING_DINO_SPECIAL_TOKENS, indent=2) + "\n")
    (folder / "processor_config.json").unlink(missing_ok=True)
    return folder


# ----------------------------------------------------------------------------- SAM 2 (original format)

SAM2_SIZES: dict[Size, dict[str, Any]] = {
    "tiny": dict(image_size=64, embed_dim=8, num_heads=1, stages=[1, 1, 2, 1], global_att_blocks=[3],
                 bkg=[2, 2], window_spec=[4, 2, 2, 2], channels=[64, 32, 16, 8], d_model=128, memory_layers=2,
                 feed_forward=64, feat_sizes=[4, 4], fuser_layers=1, num_maskmem=3),
    "full": dict(image_size=1024, embed_dim=144, num_heads=2, stages=[2, 6, 36, 4], global_att_blocks=[23, 33, 43],
                 bkg=[7, 7], window_spec=[8, 4, 16, 8], channels=[1152, 576, 288, 144], d_model=256,
                 memory_layers=4, feed_forward=2048, feat_sizes=[64, 64], fuser_layers=2, num_maskmem=7),
}
"""Sizes of the sam2 yaml. "full" is SAM 2.1 Hiera-L (facebookresearch/sam2
`sam2/configs/sam2.1/sam2.1_hiera_l.yaml`); "tiny" keeps its structure (4 Hiera
stages, 3 query-pool stages, stride-16 prompt grid, memory out_dim and cross-attention
kv_in_dim 64, which transformers fixes) at 64 px and 8..64 Hiera channels (d_model 128: the object pointers are split into
d_model / 64 memory tokens, and d_model = 64 would drop the memory projection)."""


def sam2_yaml(size: Size = "tiny") -> str:
    """A sam2.1 Hydra config (the layout of `sam2.1_hiera_l.yaml`) at `size`."""
    s = SAM2_SIZES[size]
    d = s["d_model"]

    def flow(values: list[int]) -> str:
        return "[" + ", ".join(str(v) for v in values) + "]"

    return f"""# @package _global_

# SAM 2.1 ({size}) in the layout of facebookresearch/sam2 sam2/configs/sam2.1/sam2.1_hiera_l.yaml
model:
  _target_: sam2.modeling.sam2_base.SAM2Base
  image_encoder:
    _target_: sam2.modeling.backbones.image_encoder.ImageEncoder
    scalp: 1
    trunk:
      _target_: sam2.modeling.backbones.hieradet.Hiera
      embed_dim: {s["embed_dim"]}
      num_heads: {s["num_heads"]}
      stages: {flow(s["stages"])}
      global_att_blocks: {flow(s["global_att_blocks"])}
      window_pos_embed_bkg_spatial_size: {flow(s["bkg"])}
      window_spec: {flow(s["window_spec"])}
    neck:
      _target_: sam2.modeling.backbones.image_encoder.FpnNeck
      position_encoding:
        _target_: sam2.modeling.position_encoding.PositionEmbeddingSine
        num_pos_feats: {d}
        normalize: true
        scale: null
        temperature: 10000
      d_model: {d}
      backbone_channel_list: {flow(s["channels"])}
      fpn_top_down_levels: [2, 3]
      fpn_interp_model: nearest
  memory_attention:
    _target_: sam2.modeling.memory_attention.MemoryAttention
    d_model: {d}
    pos_enc_at_input: true
    layer:
      _target_: sam2.modeling.memory_attention.MemoryAttentionLayer
      activation: relu
      dim_feedforward: {s["feed_forward"]}
      dropout: 0.1
      pos_enc_at_attn: false
      self_attention:
        _target_: sam2.modeling.sam.transformer.RoPEAttention
        rope_theta: 10000.0
        feat_sizes: {flow(s["feat_sizes"])}
        embedding_dim: {d}
        num_heads: 1
        downsample_rate: 1
        dropout: 0.1
      d_model: {d}
      pos_enc_at_cross_attn_keys: true
      pos_enc_at_cross_attn_queries: false
      cross_attention:
        _target_: sam2.modeling.sam.transformer.RoPEAttention
        rope_theta: 10000.0
        feat_sizes: {flow(s["feat_sizes"])}
        rope_k_repeat: True
        embedding_dim: {d}
        num_heads: 1
        downsample_rate: 1
        dropout: 0.1
        kv_in_dim: 64
    num_layers: {s["memory_layers"]}
  memory_encoder:
    _target_: sam2.modeling.memory_encoder.MemoryEncoder
    out_dim: 64
    in_dim: {d}
    position_encoding:
      _target_: sam2.modeling.position_encoding.PositionEmbeddingSine
      num_pos_feats: 64
      normalize: true
      scale: null
      temperature: 10000
    mask_downsampler:
      _target_: sam2.modeling.memory_encoder.MaskDownSampler
      embed_dim: {d}
      kernel_size: 3
      stride: 2
      padding: 1
    fuser:
      _target_: sam2.modeling.memory_encoder.Fuser
      layer:
        _target_: sam2.modeling.memory_encoder.CXBlock
        dim: {d}
        kernel_size: 7
        padding: 3
        layer_scale_init_value: 1e-6
        use_dwconv: True
      num_layers: {s["fuser_layers"]}
  num_maskmem: {s["num_maskmem"]}
  image_size: {s["image_size"]}
  sigmoid_scale_for_mem_enc: 20.0
  sigmoid_bias_for_mem_enc: -10.0
  use_mask_input_as_output_without_sam: true
  directly_add_no_mem_embed: true
  no_obj_embed_spatial: true
  use_high_res_features_in_sam: true
  multimask_output_in_sam: true
  iou_prediction_use_sigmoid: True
  use_obj_ptrs_in_encoder: true
  add_tpos_enc_to_obj_ptrs: true
  proj_tpos_enc_in_obj_ptrs: true
  use_signed_tpos_enc_to_obj_ptrs: true
  only_obj_ptrs_in_the_past_for_eval: true
  pred_obj_scores: true
  pred_obj_scores_mlp: true
  fixed_no_obj_ptr: true
  multimask_output_for_tracking: true
  use_multimask_token_for_obj_ptr: true
  multimask_min_pt_num: 0
  multimask_max_pt_num: 1
  use_mlp_for_obj_ptr_proj: true
  compile_image_encoder: False
"""


def sam2_video_config(size: Size = "tiny") -> dict[str, Any]:
    """`Sam2VideoConfig` kwargs of `sam2_yaml(size)` (read as the converter reads a yaml)."""
    import yaml

    from hoiexport.sdk.generators.lift.sam2_convert import video_config

    model = yaml.safe_load(sam2_yaml(size))["model"]
    model["memory_encoder"]["fuser"]["layer"]["layer_scale_init_value"] = 1e-6  # YAML 1.1 reads "1e-6" as text
    return video_config(model, f"sam2_yaml({size!r})")


def tiny_sam2_video(seed: int = 0):
    """A tiny `Sam2VideoModel` of `sam2_yaml("tiny")` whose every tensor is the default
    initialisation plus seeded noise (0.02 std), so no weight sits at a trivial value
    (`shared_image_embedding` stays a copy of the prompt encoder's matrix, as in SAM 2)."""
    import transformers as tf

    torch.manual_seed(seed)
    model = tf.Sam2VideoModel(tf.Sam2VideoConfig(**sam2_video_config("tiny")))
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for tensor in model.state_dict().values():
            if tensor.is_floating_point():
                tensor.add_(torch.randn(tensor.shape, generator=g) * 0.02)
        # one tensor in the original (the prompt encoder's random-Fourier matrix), two copies here
        model.shared_image_embedding.positional_embedding.copy_(model.prompt_encoder.shared_embedding.positional_embedding)
    return model.eval()


def tiny_sam2_models(seed: int = 0):
    """(image, video): `tiny_sam2_video(seed)` and the `Sam2Model` inside it
    (`lift.segment.image_model_of`, sharing its tensors)."""
    from hoiexport.sdk.generators.lift.segment import image_model_of

    video = tiny_sam2_video(seed)
    return image_model_of(video), video


# transformers name -> original sam2 name, applied in order (the original module tree:
# sam2/modeling/sam2_base.py, backbones/hieradet.py + image_encoder.py, memory_attention.py,
# memory_encoder.py, sam/prompt_encoder.py, sam/mask_decoder.py, sam/transformer.py, sam2_utils.MLP)
_ORIGINAL_NAMES: tuple[tuple[str, str | Callable[[re.Match[str]], str]], ...] = (
    (r"^memory_temporal_positional_encoding$", "maskmem_tpos_enc"),
    (r"^no_memory_embedding$", "no_mem_embed"),
    (r"^no_memory_positional_encoding$", "no_mem_pos_enc"),
    (r"^no_object_pointer$", "no_obj_ptr"),
    (r"^occlusion_spatial_embedding_parameter$", "no_obj_embed_spatial"),
    (r"^temporal_positional_encoding_projection_layer\.", "obj_ptr_tpos_proj."),
    (r"^object_pointer_proj\.", "obj_ptr_proj."),
    (r"^vision_encoder\.backbone\.patch_embed\.projection\.", "image_encoder.trunk.patch_embed.proj."),
    (r"^vision_encoder\.backbone\.", "image_encoder.trunk."),
    (r"^vision_encoder\.neck\.convs\.(\d+)\.", r"image_encoder.neck.convs.\1.conv."),
    (r"^prompt_encoder\.shared_embedding\.positional_embedding$",
     "sam_prompt_encoder.pe_layer.positional_encoding_gaussian_matrix"),
    (r"^prompt_encoder\.mask_embed\.(conv1|layer_norm1|conv2|layer_norm2|conv3)\.",
     lambda m: "sam_prompt_encoder.mask_downscaling."
               + {"conv1": "0", "layer_norm1": "1", "conv2": "3", "layer_norm2": "4", "conv3": "6"}[m[1]] + "."),
    (r"^prompt_encoder\.", "sam_prompt_encoder."),
    (r"^mask_decoder\.(upscale_conv1|upscale_layer_norm|upscale_conv2)\.",
     lambda m: "sam_mask_decoder.output_upscaling."
               + {"upscale_conv1": "0", "upscale_layer_norm": "1", "upscale_conv2": "3"}[m[1]] + "."),
    (r"^mask_decoder\.transformer\.layer_norm_final_attn\.", "sam_mask_decoder.transformer.norm_final_attn."),
    (r"^mask_decoder\.", "sam_mask_decoder."),
    (r"^memory_encoder\.feature_projection\.", "memory_encoder.pix_feat_proj."),
    (r"^memory_encoder\.projection\.", "memory_encoder.out_proj."),
    (r"^memory_encoder\.mask_downsampler\.layers\.(\d+)\.conv\.",
     lambda m: f"memory_encoder.mask_downsampler.encoder.{3 * int(m[1])}."),
    (r"^memory_encoder\.mask_downsampler\.layers\.(\d+)\.layer_norm\.",
     lambda m: f"memory_encoder.mask_downsampler.encoder.{3 * int(m[1]) + 1}."),
    (r"^memory_encoder\.memory_fuser\.layers\.(\d+)\.scale$", r"memory_encoder.fuser.layers.\1.gamma"),
    (r"^memory_encoder\.memory_fuser\.layers\.(\d+)\.depthwise_conv\.", r"memory_encoder.fuser.layers.\1.dwconv."),
    (r"^memory_encoder\.memory_fuser\.layers\.(\d+)\.pointwise_conv(\d)\.", r"memory_encoder.fuser.layers.\1.pwconv\2."),
    (r"^memory_encoder\.memory_fuser\.", "memory_encoder.fuser."),
    (r"\.layer_norm(\d?)\.", r".norm\1."),
    (r"\.o_proj\.", ".out_proj."),
)

_HF_MLP = re.compile(r"^(?P<x>.+\.mlp|.*output_hypernetworks_mlps\.\d+|.*iou_prediction_head|.*pred_obj_score_head|"
                     r"object_pointer_proj)\.(?P<part>proj_in|proj_out|layers\.\d+)\.(?P<p>weight|bias)$")


def original_state_dict(hf: Mapping[str, torch.Tensor]) -> OrderedDict[str, torch.Tensor]:
    """A transformers `Sam2VideoModel` state dict under facebookresearch/sam2's names.

    The inverse of the conversion, written from the original module tree: MLPs
    are `layers.0 .. layers.n-1`; the prompt encoder's point embeddings are four
    (1, C) `Embedding`s; the mask downsampler is one `nn.Sequential` (conv, norm,
    GELU per stage, then a 1×1 conv); `shared_image_embedding` does not exist.
    Tensors are copied.
    """
    hidden: dict[str, int] = {}
    for key in hf:
        m = _HF_MLP.match(key)
        if m and m["part"].startswith("layers."):
            hidden[m["x"]] = max(hidden.get(m["x"], 0), int(m["part"].split(".")[1]) + 1)
    stages = 1 + max(int(k.split(".")[3]) for k in hf if k.startswith("memory_encoder.mask_downsampler.layers."))
    out: OrderedDict[str, torch.Tensor] = OrderedDict()
    for key, tensor in hf.items():
        if key == "shared_image_embedding.positional_embedding":
            continue
        if key == "prompt_encoder.point_embed.weight":
            for i in range(tensor.shape[0]):
                out[f"sam_prompt_encoder.point_embeddings.{i}.weight"] = tensor[i : i + 1].clone()
            continue
        name = key
        m = _HF_MLP.match(key)
        if m:
            last = hidden.get(m["x"], 0) + 1
            part = m["part"]
            index = 0 if part == "proj_in" else last if part == "proj_out" else int(part.split(".")[1]) + 1
            name = f"{m['x']}.layers.{index}.{m['p']}"
        name = re.sub(r"^memory_encoder\.mask_downsampler\.final_conv\.",
                      f"memory_encoder.mask_downsampler.encoder.{3 * stages}.", name)
        for pattern, repl in _ORIGINAL_NAMES:
            name = re.sub(pattern, repl, name)
        out[name] = tensor.detach().clone()
    return out


def write_original_sam2(folder: Path, video, *, size: Size = "tiny",
                        checkpoint: str = SAM2_CHECKPOINT, config: str = SAM2_CONFIG) -> Path:
    """Write `video`'s weights as an original sam2 checkpoint (`torch.save({"model":
    original_state_dict(...)})`) and `sam2_yaml(size)` into `folder`.

    Returns:
        `folder`.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    torch.save({"model": original_state_dict(video.state_dict())}, folder / checkpoint)
    (folder / config).write_text(sam2_yaml(size))
    return folder


def write_sam2_1_hiera_large(models_dir: Path) -> Path:
    """Lock entry `sam2-1-hiera-large` (facebook/sam2.1-hiera-large), tiny, in the
    original sam2 layout: `sam2.1_hiera_large.pt` ({"model": state dict} under the
    original names) + `sam2.1_hiera_l.yaml`; weights `tiny_sam2_video(seed=0)`.

    The `.pt` is pinned by sha256 and size in the lock: resolve it through
    `unpinned.unpinned_lock((SAM2_ENTRY,))`.

    Returns:
        The entry's folder, `models_dir/sam2-1-hiera-large`.
    """
    return write_original_sam2(Path(models_dir) / SAM2_ENTRY, tiny_sam2_video(0))


LOCK_WRITERS: dict[str, Callable[[Path], Path]] = {
    SAM2_ENTRY: write_sam2_1_hiera_large,
    GROUNDING_DINO_ENTRY: write_grounding_dino_base,
}
"""Lock entry → the function that writes it tiny under a models dir."""
