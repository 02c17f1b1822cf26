"""Original SAM 2 / 2.1 checkpoints (facebookresearch/sam2) → transformers' `Sam2VideoModel` folder.

The lock entry `sam2-1-hiera-large` pins what HOI3DGen's release loads: the
original `sam2.1_hiera_large.pt` (a pickle whose top-level dict holds the state
dict under "model": `sam2/build_sam.py` `_load_checkpoint`) and its Hydra config
`sam2.1_hiera_l.yaml`. transformers' `Sam2Model` / `Sam2VideoModel` cannot read
that file: the module names differ (`image_encoder.trunk.blocks.N` →
`vision_encoder.backbone.blocks.N`, `sam_mask_decoder` → `mask_decoder`, ...),
the four prompt point embeddings are one tensor there, and the architecture
comes from the yaml, not a `config.json`.

This module converts the pair once into a transformers-format folder (the
layout of the Hub's `facebook/sam2.1-hiera-*` transformers checkpoints: a
`sam2_video` `config.json` + `model.safetensors`, which `Sam2VideoModel` and
`Sam2Model` both load) and caches it next to the original, in
`<folder>/transformers/` (written atomically; `source.json` records the
source files' size, modification time and sha256 and this converter's version,
so a changed checkpoint or yaml is converted again). When the folder is not
writable the cache goes to `<cache dir>/sam2/<sha256 prefix>/`.

The key mapping follows transformers' `models/sam2_video/convert_sam2_video_to_hf.py`
(read, not copied) and was checked against the module tree of
`sam2/modeling/sam2_base.py` built from the official yaml files: every key of
the original state dict maps to exactly one parameter of `Sam2VideoModel`, with
the same shape; one rule table below, full-match regexes, no substring chains.
The configuration is read from the yaml (PyYAML, a dependency of transformers):
each value the yaml gives, else the default of the original constructor that
takes it; values the original code fixes (mask decoder MLP width 2048, 8
heads, IoU head width 256, prompt mask channels 16, fuser MLP 4 × dim) are the
constants of `SAM2Base._build_sam_heads` / `CXBlock`. Settings that
transformers implements only one way (e.g. `use_high_res_features_in_sam`,
`fpn_interp_model: nearest`, cross-attention `kv_in_dim: 64`) are checked:
a yaml that differs is refused with one clear error instead of a silently
different model.

Loading stays on `torch.load(weights_only=True)` (`hoiexport.sdk.models.load_checkpoint`):
the Hub's scan of `sam2.1_hiera_large.pt` lists only OrderedDict and tensor
rebuild imports.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hoiexport.sdk.core.cache import atomic_directory, atomic_write_bytes, cache_dir
from hoiexport.sdk.core.errors import HOIExportError, ModelUnavailableError
from hoiexport.sdk.models import TransformersFolder, load_checkpoint, sha256_file

if TYPE_CHECKING:
    import torch

CONVERTER_VERSION = 1
"""Bumped when the conversion's output changes, so old caches are converted again."""

CACHE_FOLDER = "transformers"
"""Subfolder of the original checkpoint's folder that holds the converted model."""

STAMP = "source.json"
"""File in the converted folder recording what it was converted from."""

ORIGINAL_FILES: dict[str, str] = {
    "sam2.1_hiera_tiny.pt": "sam2.1_hiera_t.yaml",
    "sam2.1_hiera_small.pt": "sam2.1_hiera_s.yaml",
    "sam2.1_hiera_base_plus.pt": "sam2.1_hiera_b+.yaml",
    "sam2.1_hiera_large.pt": "sam2.1_hiera_l.yaml",
    "sam2_hiera_tiny.pt": "sam2_hiera_t.yaml",
    "sam2_hiera_small.pt": "sam2_hiera_s.yaml",
    "sam2_hiera_base_plus.pt": "sam2_hiera_b+.yaml",
    "sam2_hiera_large.pt": "sam2_hiera_l.yaml",
}
"""The official checkpoints and their configs (facebookresearch/sam2
`checkpoints/download_ckpts.sh`, `sam2/configs/sam2.1/`, `sam2/configs/sam2/`).
A folder holding one of these pairs is read as that pair; otherwise a folder
with exactly one `*.pt` and one `*.yaml` is."""


# ----------------------------------------------------------------------------- finding the files


@dataclass(frozen=True)
class OriginalSam2:
    """An original-format SAM 2 checkpoint and its Hydra config.

    Attributes:
        checkpoint: the `.pt` file ({"model": state dict}).
        config: the `.yaml` file (`model:` with `_target_` entries).
    """

    checkpoint: Path
    config: Path


def find_original(folder: str | os.PathLike[str]) -> OriginalSam2 | None:
    """The original checkpoint + yaml in `folder` (see `ORIGINAL_FILES`), or None."""
    root = Path(folder)
    if not root.is_dir():
        return None
    for ckpt, cfg in ORIGINAL_FILES.items():
        if (root / ckpt).is_file() and (root / cfg).is_file():
            return OriginalSam2(root / ckpt, root / cfg)
    pts = sorted(p for p in root.glob("*.pt") if p.is_file())
    yamls = sorted(p for p in root.glob("*.yaml") if p.is_file())
    if len(pts) == 1 and len(yamls) == 1:
        return OriginalSam2(pts[0], yamls[0])
    return None


@dataclass(frozen=True)
class Sam2Weights:
    """SAM 2 weights a loader can use: a transformers-format folder, or the original
    checkpoint + yaml (converted on first use by `transformers_folder`).

    Attributes:
        description: see `hoiexport.sdk.models.FolderLayout`.
    """

    description: str = (
        "a SAM 2 folder: the original sam2 checkpoint and its yaml (e.g. sam2.1_hiera_large.pt + "
        "sam2.1_hiera_l.yaml, converted to transformers on first use) or a transformers-format folder "
        "(config.json + *.safetensors); CLI: --sam-dir"
    )

    def problem(self, folder: Path) -> str | None:
        if find_original(folder) is not None:
            return None
        problem = TransformersFolder().problem(folder)
        if problem is None:
            return None
        if folder.is_dir() and any(folder.glob("*.pt")):
            return f"{folder} holds a *.pt checkpoint but not its sam2 yaml config (e.g. sam2.1_hiera_l.yaml)"
        return problem


# ----------------------------------------------------------------------------- configuration


def _coerce(node: Any) -> Any:
    """YAML 1.1 reads `1e-6` (no dot) as a string; Hydra/OmegaConf reads a float."""
    if isinstance(node, dict):
        return {k: _coerce(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_coerce(v) for v in node]
    if isinstance(node, str) and re.fullmatch(r"[+-]?(\d+\.?\d*|\.\d+)[eE][+-]?\d+", node):
        return float(node)
    return node


def read_original_config(path: str | os.PathLike[str]) -> dict[str, Any]:
    """The `model:` section of a sam2 Hydra yaml, as plain Python values.

    Raises:
        ModelUnavailableError: PyYAML missing, the file unreadable, or no `model:` mapping.
    """
    try:
        import yaml
    except ImportError:
        raise ModelUnavailableError(
            f"reading the SAM 2 config {path} needs PyYAML (installed with transformers): pip install pyyaml"
        ) from None
    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise ModelUnavailableError(f"cannot read the SAM 2 config {path}: {exc}; re-download it") from exc
    model = data.get("model") if isinstance(data, dict) else None
    if not isinstance(model, dict):
        raise ModelUnavailableError(
            f"the SAM 2 config {path} has no 'model:' mapping: it is not a sam2 config (e.g. sam2.1_hiera_l.yaml)"
        )
    return dict(_coerce(model))


_REQUIRED = object()

_FIXED: tuple[tuple[str, Any, Any], ...] = (
    ("image_encoder.scalp", 0, 1),
    ("image_encoder.trunk.dim_mul", 2.0, 2.0),
    ("image_encoder.trunk.head_mul", 2.0, 2.0),
    ("image_encoder.neck.fpn_interp_model", "bilinear", "nearest"),
    ("image_encoder.neck.fuse_type", "sum", "sum"),
    ("image_encoder.neck.position_encoding.normalize", True, True),
    ("image_encoder.neck.position_encoding.temperature", 10000, 10000),
    ("memory_attention.pos_enc_at_input", True, True),
    ("memory_attention.layer.pos_enc_at_attn", False, False),
    ("memory_attention.layer.pos_enc_at_cross_attn_keys", True, True),
    ("memory_attention.layer.pos_enc_at_cross_attn_queries", False, False),
    ("memory_attention.layer.cross_attention.rope_k_repeat", False, True),
    ("memory_attention.layer.cross_attention.kv_in_dim", None, 64),
    ("memory_encoder.out_dim", _REQUIRED, 64),
    ("memory_encoder.fuser.layer.use_dwconv", True, True),
    ("memory_encoder.fuser.input_projection", False, False),
    ("backbone_stride", 16, 16),
    ("use_high_res_features_in_sam", False, True),
    ("directly_add_no_mem_embed", False, True),
    ("use_mask_input_as_output_without_sam", False, True),
    ("iou_prediction_use_sigmoid", False, True),
    ("use_obj_ptrs_in_encoder", False, True),
    ("only_obj_ptrs_in_the_past_for_eval", False, True),
    ("pred_obj_scores", False, True),
    ("pred_obj_scores_mlp", False, True),
    ("fixed_no_obj_ptr", False, True),
    ("soft_no_obj_ptr", False, False),
    ("use_multimask_token_for_obj_ptr", False, True),
    ("use_mlp_for_obj_ptr_proj", False, True),
    ("non_overlap_masks_for_mem_enc", False, False),
    ("memory_temporal_stride_for_eval", 1, 1),
)
"""(yaml path under `model:`, the original constructor's default, the only value
transformers' SAM 2 implements). Every official 2.0 / 2.1 yaml has these values."""

MASK_DECODER_MLP_DIM = 2048
MASK_DECODER_HEADS = 8
IOU_HEAD_HIDDEN_DIM = 256
PROMPT_MASK_CHANNELS = 16
"""Constants of `SAM2Base._build_sam_heads` (`TwoWayTransformer(depth=2, mlp_dim=2048,
num_heads=8)`, `iou_head_hidden_dim=256`, `PromptEncoder(mask_in_chans=16)`)."""


class _Yaml:
    """Dotted-path reads of the `model:` section with the original constructors' defaults."""

    def __init__(self, model: Mapping[str, Any], source: str) -> None:
        self.model = model
        self.source = source

    def get(self, path: str, default: Any = _REQUIRED) -> Any:
        node: Any = self.model
        for part in path.split("."):
            if not isinstance(node, Mapping) or part not in node:
                if default is _REQUIRED:
                    raise ModelUnavailableError(
                        f"the SAM 2 config {self.source} has no model.{path}: it is not a complete sam2 "
                        "config; use the yaml published with the checkpoint (e.g. sam2.1_hiera_l.yaml)"
                    )
                return default
            node = node[part]
        return node


def video_config(model: Mapping[str, Any], source: str = "the yaml") -> dict[str, Any]:
    """`Sam2VideoConfig` keyword arguments for a sam2 yaml's `model:` section.

    Args:
        model: `read_original_config(...)`.
        source: how to name the yaml in messages.

    Returns:
        A JSON-serialisable dict (`transformers.Sam2VideoConfig(**it)`).

    Raises:
        ModelUnavailableError: a required value is missing, or a setting differs
            from the only one transformers implements (`_FIXED`).
    """
    y = _Yaml(model, source)
    wrong = []
    for path, default, required in _FIXED:
        value = y.get(path, default)
        if value != required:
            wrong.append(f"model.{path} = {value!r} (transformers implements {required!r})")
    attn = "memory_attention.layer.self_attention"
    cross = "memory_attention.layer.cross_attention"
    for key, default in (("num_heads", _REQUIRED), ("downsample_rate", 1), ("rope_theta", 10000.0),
                         ("feat_sizes", [32, 32]), ("dropout", 0.0)):
        a, b = y.get(f"{attn}.{key}", default), y.get(f"{cross}.{key}", default)
        if a != b:
            wrong.append(f"model.{attn}.{key} = {a!r} but model.{cross}.{key} = {b!r} (transformers shares one value)")
    tpos = [bool(y.get(p, d)) for p, d in (("add_tpos_enc_to_obj_ptrs", True), ("proj_tpos_enc_in_obj_ptrs", False),
                                           ("use_signed_tpos_enc_to_obj_ptrs", False))]
    if len(set(tpos)) != 1:
        wrong.append("add_tpos_enc_to_obj_ptrs, proj_tpos_enc_in_obj_ptrs and use_signed_tpos_enc_to_obj_ptrs "
                     f"are {tpos} (transformers implements all on, SAM 2.1, or all off, SAM 2.0)")
    d_model = int(y.get("image_encoder.neck.d_model"))
    if int(y.get("image_encoder.neck.position_encoding.num_pos_feats")) != d_model:
        wrong.append("model.image_encoder.neck.position_encoding.num_pos_feats differs from d_model")
    if d_model % 64:
        wrong.append(f"model.image_encoder.neck.d_model = {d_model} is not a multiple of the memory dimension 64")
    if int(y.get("memory_encoder.in_dim", 256)) != d_model:
        wrong.append(f"model.memory_encoder.in_dim = {y.get('memory_encoder.in_dim', 256)} differs from d_model {d_model}")
    if wrong:
        raise ModelUnavailableError(
            f"the SAM 2 config {source} describes a model transformers' Sam2VideoModel does not implement: "
            + "; ".join(wrong)
            + ". Use an official sam2 / sam2.1 checkpoint with its yaml"
        )

    size = int(y.get("image_size", 512))
    trunk = "image_encoder.trunk"
    embed, heads = int(y.get(f"{trunk}.embed_dim", 96)), int(y.get(f"{trunk}.num_heads", 1))
    stages = [int(s) for s in y.get(f"{trunk}.stages", [2, 3, 16, 3])]
    backbone = {
        "model_type": "sam2_hiera_det_model",
        "image_size": [size, size],
        "hidden_size": embed,
        "num_attention_heads": heads,
        "blocks_per_stage": stages,
        "embed_dim_per_stage": [embed * 2**i for i in range(len(stages))],
        "num_attention_heads_per_stage": [heads * 2**i for i in range(len(stages))],
        "num_query_pool_stages": int(y.get(f"{trunk}.q_pool", 3)),
        "query_stride": [int(s) for s in y.get(f"{trunk}.q_stride", [2, 2])],
        "window_size_per_stage": [int(s) for s in y.get(f"{trunk}.window_spec", [8, 4, 14, 7])],
        "global_attention_blocks": [int(s) for s in y.get(f"{trunk}.global_att_blocks", [12, 16, 20])],
        "window_positional_embedding_background_size": [
            int(s) for s in y.get(f"{trunk}.window_pos_embed_bkg_spatial_size", [14, 14])
        ],
    }
    neck = "image_encoder.neck"
    vision = {
        "model_type": "sam2_vision_model",
        "backbone_config": backbone,
        "backbone_channel_list": [int(c) for c in y.get(f"{neck}.backbone_channel_list")],
        "backbone_feature_sizes": [[size // s, size // s] for s in (4, 8, 16)],
        "fpn_hidden_size": d_model,
        "fpn_kernel_size": int(y.get(f"{neck}.kernel_size", 1)),
        "fpn_stride": int(y.get(f"{neck}.stride", 1)),
        "fpn_padding": int(y.get(f"{neck}.padding", 0)),
        "fpn_top_down_levels": [int(s) for s in y.get(f"{neck}.fpn_top_down_levels", [0, 1, 2, 3])],
        "num_feature_levels": 3,
    }
    memory_dim = int(y.get("memory_encoder.out_dim"))
    fuser_dim = int(y.get("memory_encoder.fuser.layer.dim"))
    return {
        "vision_config": vision,
        "prompt_encoder_config": {
            "hidden_size": d_model,
            "image_size": size,
            "patch_size": int(y.get("backbone_stride", 16)),
            "mask_input_channels": PROMPT_MASK_CHANNELS,
        },
        "mask_decoder_config": {
            "hidden_size": d_model,
            "mlp_dim": MASK_DECODER_MLP_DIM,
            "num_hidden_layers": 2,
            "num_attention_heads": MASK_DECODER_HEADS,
            "iou_head_depth": 3,
            "iou_head_hidden_dim": IOU_HEAD_HIDDEN_DIM,
        },
        "image_size": size,
        "num_maskmem": int(y.get("num_maskmem", 7)),
        "sigmoid_scale_for_mem_enc": float(y.get("sigmoid_scale_for_mem_enc", 1.0)),
        "sigmoid_bias_for_mem_enc": float(y.get("sigmoid_bias_for_mem_enc", 0.0)),
        "enable_occlusion_spatial_embedding": bool(y.get("no_obj_embed_spatial", False)),
        "enable_temporal_pos_encoding_for_object_pointers": tpos[0],
        "multimask_output_in_sam": bool(y.get("multimask_output_in_sam", False)),
        "multimask_min_pt_num": int(y.get("multimask_min_pt_num", 1)),
        "multimask_max_pt_num": int(y.get("multimask_max_pt_num", 1)),
        "multimask_output_for_tracking": bool(y.get("multimask_output_for_tracking", False)),
        "max_object_pointers_in_encoder": int(y.get("max_obj_ptrs_in_encoder", 16)),
        "max_cond_frame_num": int(y.get("max_cond_frames_in_attn", -1)),
        "memory_attention_hidden_size": int(y.get("memory_attention.d_model")),
        "memory_attention_num_layers": int(y.get("memory_attention.num_layers")),
        "memory_attention_num_attention_heads": int(y.get(f"{attn}.num_heads")),
        "memory_attention_downsample_rate": int(y.get(f"{attn}.downsample_rate", 1)),
        "memory_attention_feed_forward_hidden_size": int(y.get("memory_attention.layer.dim_feedforward")),
        "memory_attention_feed_forward_hidden_act": str(y.get("memory_attention.layer.activation", "relu")),
        "memory_attention_dropout": float(y.get("memory_attention.layer.dropout", 0.1)),
        "memory_attention_rope_feat_sizes": [int(s) for s in y.get(f"{attn}.feat_sizes", [32, 32])],
        "memory_attention_rope_dropout": float(y.get(f"{attn}.dropout", 0.0)),
        "rope_parameters": {"rope_type": "axial", "rope_theta": float(y.get(f"{attn}.rope_theta", 10000.0))},
        "memory_encoder_hidden_size": d_model,
        "memory_encoder_output_channels": memory_dim,
        "mask_downsampler_embed_dim": int(y.get("memory_encoder.mask_downsampler.embed_dim", 256)),
        "mask_downsampler_kernel_size": int(y.get("memory_encoder.mask_downsampler.kernel_size", 4)),
        "mask_downsampler_stride": int(y.get("memory_encoder.mask_downsampler.stride", 4)),
        "mask_downsampler_padding": int(y.get("memory_encoder.mask_downsampler.padding", 0)),
        "mask_downsampler_total_stride": int(y.get("memory_encoder.mask_downsampler.total_stride", 16)),
        "memory_fuser_num_layers": int(y.get("memory_encoder.fuser.num_layers")),
        "memory_fuser_embed_dim": fuser_dim,
        "memory_fuser_intermediate_dim": 4 * fuser_dim,
        "memory_fuser_kernel_size": int(y.get("memory_encoder.fuser.layer.kernel_size", 7)),
        "memory_fuser_padding": int(y.get("memory_encoder.fuser.layer.padding", 3)),
        "memory_fuser_layer_scale_init_value": float(y.get("memory_encoder.fuser.layer.layer_scale_init_value", 1e-6)),
    }


# ----------------------------------------------------------------------------- key mapping

_Rename = Callable[["re.Match[str]"], str]

_MLP_RE = re.compile(r"^(?P<mlp>(?:.+\.)?(?:mlp|output_hypernetworks_mlps\.\d+|iou_prediction_head|pred_obj_score_head|"
                     r"obj_ptr_proj))\.layers\.(?P<i>\d+)\.(?P<p>weight|bias)$")
"""The original `MLP` modules (`sam2/modeling/sam2_utils.py`): `layers.0 .. layers.n-1`."""

_PREFIXES: tuple[tuple[str, str], ...] = (
    ("image_encoder.trunk.", "vision_encoder.backbone."),
    ("image_encoder.neck.", "vision_encoder.neck."),
    ("sam_prompt_encoder.", "prompt_encoder."),
    ("sam_mask_decoder.", "mask_decoder."),
    ("memory_encoder.fuser.", "memory_encoder.memory_fuser."),
    ("obj_ptr_proj.", "object_pointer_proj."),
)
"""Module prefixes renamed as a whole (applied before the rules below)."""

_NORM = {"norm": "layer_norm", "norm1": "layer_norm1", "norm2": "layer_norm2", "norm3": "layer_norm3",
         "norm4": "layer_norm4"}
_PROMPT_MASK = {"0": "conv1", "1": "layer_norm1", "3": "conv2", "4": "layer_norm2", "6": "conv3"}
_UPSCALE = {"0": "upscale_conv1", "1": "upscale_layer_norm", "3": "upscale_conv2"}
_FUSER = {"gamma": "scale", "dwconv.weight": "depthwise_conv.weight", "dwconv.bias": "depthwise_conv.bias",
          "norm.weight": "layer_norm.weight", "norm.bias": "layer_norm.bias"}
_TOP = {
    "maskmem_tpos_enc": "memory_temporal_positional_encoding",
    "no_mem_embed": "no_memory_embedding",
    "no_mem_pos_enc": "no_memory_positional_encoding",
    "no_obj_ptr": "no_object_pointer",
    "no_obj_embed_spatial": "occlusion_spatial_embedding_parameter",
    "mask_downsample.weight": "mask_downsample.weight",
    "mask_downsample.bias": "mask_downsample.bias",
}
_P = r"(?P<p>weight|bias)"
_ATTN = r"(?P<a>self_attn|cross_attn_image|cross_attn_token_to_image|cross_attn_image_to_token|final_attn_token_to_image)"

_RULES: tuple[tuple[re.Pattern[str], _Rename], ...] = tuple(
    (re.compile(pattern), rename)
    for pattern, rename in (
        ((r"^(?P<k>maskmem_tpos_enc|no_mem_embed|no_mem_pos_enc|no_obj_ptr|no_obj_embed_spatial|"
          r"mask_downsample\.weight|mask_downsample\.bias)$"), lambda m: _TOP[m["k"]]),
        (r"^obj_ptr_tpos_proj\." + _P + "$", lambda m: f"temporal_positional_encoding_projection_layer.{m['p']}"),
        # image encoder (Hiera trunk + FPN neck)
        (r"^vision_encoder\.backbone\.(?P<k>pos_embed|pos_embed_window)$", lambda m: m[0]),
        (r"^vision_encoder\.backbone\.patch_embed\.proj\." + _P + "$",
         lambda m: f"vision_encoder.backbone.patch_embed.projection.{m['p']}"),
        (r"^vision_encoder\.backbone\.blocks\.(?P<n>\d+)\.(?P<k>norm1|norm2)\." + _P + "$",
         lambda m: f"vision_encoder.backbone.blocks.{m['n']}.{_NORM[m['k']]}.{m['p']}"),
        (r"^vision_encoder\.backbone\.blocks\.\d+\.(attn\.qkv|attn\.proj|proj)\." + _P + "$", lambda m: m[0]),
        (r"^vision_encoder\.neck\.convs\.(?P<n>\d+)\.conv\." + _P + "$",
         lambda m: f"vision_encoder.neck.convs.{m['n']}.{m['p']}"),
        # memory attention
        (r"^memory_attention\.layers\.(?P<n>\d+)\." + _ATTN + r"\.(?P<k>q_proj|k_proj|v_proj|out_proj)\." + _P + "$",
         lambda m: f"memory_attention.layers.{m['n']}.{m['a']}.{'o_proj' if m['k'] == 'out_proj' else m['k']}."
                   f"{m['p']}"),
        (r"^memory_attention\.layers\.\d+\.(linear1|linear2)\." + _P + "$", lambda m: m[0]),
        (r"^memory_attention\.layers\.(?P<n>\d+)\.(?P<k>norm1|norm2|norm3)\." + _P + "$",
         lambda m: f"memory_attention.layers.{m['n']}.{_NORM[m['k']]}.{m['p']}"),
        (r"^memory_attention\.norm\." + _P + "$", lambda m: f"memory_attention.layer_norm.{m['p']}"),
        # memory encoder
        (r"^memory_encoder\.pix_feat_proj\." + _P + "$", lambda m: f"memory_encoder.feature_projection.{m['p']}"),
        (r"^memory_encoder\.out_proj\." + _P + "$", lambda m: f"memory_encoder.projection.{m['p']}"),
        ((r"^memory_encoder\.memory_fuser\.layers\.(?P<n>\d+)\.(?P<k>gamma|dwconv\.weight|dwconv\.bias|"
          r"norm\.weight|norm\.bias)$"), lambda m: f"memory_encoder.memory_fuser.layers.{m['n']}.{_FUSER[m['k']]}"),
        (r"^memory_encoder\.memory_fuser\.layers\.(?P<n>\d+)\.pwconv(?P<i>[12])\." + _P + "$",
         lambda m: f"memory_encoder.memory_fuser.layers.{m['n']}.pointwise_conv{m['i']}.{m['p']}"),
        # prompt encoder (point_embeddings.N are concatenated separately)
        (r"^prompt_encoder\.pe_layer\.positional_encoding_gaussian_matrix$",
         lambda m: "prompt_encoder.shared_embedding.positional_embedding"),
        (r"^prompt_encoder\.(not_a_point_embed|no_mask_embed)\.weight$", lambda m: m[0]),
        (r"^prompt_encoder\.mask_downscaling\.(?P<n>[0-9])\." + _P + "$",
         lambda m: f"prompt_encoder.mask_embed.{_PROMPT_MASK[m['n']]}.{m['p']}" if m["n"] in _PROMPT_MASK else ""),
        # mask decoder
        (r"^mask_decoder\.(iou_token|mask_tokens|obj_score_token)\.weight$", lambda m: m[0]),
        (r"^mask_decoder\.(conv_s0|conv_s1)\." + _P + "$", lambda m: m[0]),
        (r"^mask_decoder\.output_upscaling\.(?P<n>[0-9])\." + _P + "$",
         lambda m: f"mask_decoder.{_UPSCALE[m['n']]}.{m['p']}" if m["n"] in _UPSCALE else ""),
        (r"^mask_decoder\.transformer\.(?P<l>layers\.\d+\.)?" + _ATTN + r"\.(?P<k>q_proj|k_proj|v_proj|out_proj)\."
         + _P + "$",
         lambda m: f"mask_decoder.transformer.{m['l'] or ''}{m['a']}."
                   f"{'o_proj' if m['k'] == 'out_proj' else m['k']}.{m['p']}"),
        (r"^mask_decoder\.transformer\.layers\.(?P<n>\d+)\.(?P<k>norm1|norm2|norm3|norm4)\." + _P + "$",
         lambda m: f"mask_decoder.transformer.layers.{m['n']}.{_NORM[m['k']]}.{m['p']}"),
        (r"^mask_decoder\.transformer\.norm_final_attn\." + _P + "$",
         lambda m: f"mask_decoder.transformer.layer_norm_final_attn.{m['p']}"),
    )
)
"""One original key (after `_PREFIXES`) → one transformers key; "" = no counterpart."""


def _few(items: list[str], n: int = 5) -> str:
    shown = ", ".join(items[:n])
    return shown + (f" (+{len(items) - n} more)" if len(items) > n else "")


def _mlp_depths(keys: list[str]) -> dict[str, int]:
    """Number of linear layers of every original MLP module, by its (original) prefix."""
    depth: dict[str, int] = {}
    for key in keys:
        m = _MLP_RE.match(key)
        if m:
            depth[m["mlp"]] = max(depth.get(m["mlp"], 0), int(m["i"]) + 1)
    return depth


def _downsampler_last(keys: list[str]) -> int:
    """Index of the final 1×1 conv of the memory encoder's mask downsampler (`encoder.N`)."""
    found = [int(m[1]) for k in keys if (m := re.match(r"^memory_encoder\.mask_downsampler\.encoder\.(\d+)\.", k))]
    return max(found, default=-1)


def _rename(key: str, depths: Mapping[str, int], last_conv: int) -> str:
    """The transformers name of one original key; "" when no rule knows it."""
    m = _MLP_RE.match(key)
    if m:
        n, i = depths[m["mlp"]], int(m["i"])
        part = "proj_in" if i == 0 else "proj_out" if i == n - 1 else f"layers.{i - 1}"
        key = f"{m['mlp']}.{part}.{m['p']}"
        for old, new in _PREFIXES:
            if key.startswith(old):
                key = new + key[len(old):]
        return key
    d = re.match(r"^memory_encoder\.mask_downsampler\.encoder\.(?P<n>\d+)\." + _P + "$", key)
    if d:
        n = int(d["n"])
        if n == last_conv:
            return f"memory_encoder.mask_downsampler.final_conv.{d['p']}"
        sub = {0: "conv", 1: "layer_norm"}.get(n % 3)
        return f"memory_encoder.mask_downsampler.layers.{n // 3}.{sub}.{d['p']}" if sub else ""
    for old, new in _PREFIXES:
        if key.startswith(old):
            key = new + key[len(old):]
            break
    for pattern, rename in _RULES:
        r = pattern.match(key)
        if r:
            return rename(r)
    return ""


def convert_state_dict(
    sd: Mapping[str, torch.Tensor], config: Mapping[str, Any], source: str = "the checkpoint"
) -> dict[str, torch.Tensor]:
    """Rename an original sam2 state dict onto transformers' `Sam2VideoModel`.

    Args:
        sd: original name → tensor (`checkpoint["model"]`).
        config: `video_config(...)` of the checkpoint's yaml.
        source: how to name the checkpoint in messages.

    Returns:
        transformers name → tensor: exactly the parameters of `Sam2VideoModel(config)`
        with their shapes (`Sam2Model` loads the subset it has). The prompt
        encoder's four point embeddings are concatenated; its random-Fourier
        matrix also fills `shared_image_embedding` (a copy).

    Raises:
        ModelUnavailableError: keys no rule knows, parameters missing, or shape
            mismatches; one message names the checkpoint, a few of each, and the fix.
    """
    import torch

    keys = list(sd)
    depths, last_conv = _mlp_depths(keys), _downsampler_last(keys)
    out: dict[str, torch.Tensor] = {}
    origin: dict[str, str] = {}
    unknown: list[str] = []
    points: dict[int, torch.Tensor] = {}
    for key, tensor in sd.items():
        p = re.fullmatch(r"sam_prompt_encoder\.point_embeddings\.(\d+)\.weight", key)
        if p:
            points[int(p[1])] = tensor
            continue
        name = _rename(key, depths, last_conv)
        if not name:
            unknown.append(key)
        elif name in out:
            unknown.append(f"{key} (also maps to {name}, like {origin[name]})")
        else:
            out[name], origin[name] = tensor, key
    if points:
        if sorted(points) != list(range(len(points))):
            unknown.append(f"sam_prompt_encoder.point_embeddings.{sorted(points)}")
        else:
            out["prompt_encoder.point_embed.weight"] = torch.cat([points[i] for i in range(len(points))], dim=0)
    pe = out.get("prompt_encoder.shared_embedding.positional_embedding")
    if pe is not None:
        out["shared_image_embedding.positional_embedding"] = pe.clone()

    expected = {k: tuple(v.shape) for k, v in _empty_video_model(config).state_dict().items()}
    missing = sorted(k for k in expected if k not in out)
    extra = sorted(f"{origin.get(k, k)} -> {k}" for k in out if k not in expected)
    mismatched = sorted(f"{origin.get(k, k)} {tuple(out[k].shape)} vs {expected[k]}"
                        for k in out if k in expected and tuple(out[k].shape) != expected[k])
    if unknown or missing or extra or mismatched:
        parts = []
        if unknown:
            parts.append(f"{len(unknown)} key(s) no rule knows: {_few(sorted(unknown))}")
        if extra:
            parts.append(f"{len(extra)} key(s) transformers' Sam2VideoModel lacks: {_few(extra)}")
        if missing:
            parts.append(f"{len(missing)} parameter(s) the checkpoint does not provide: {_few(missing)}")
        if mismatched:
            parts.append(f"{len(mismatched)} shape mismatch(es) with the yaml's architecture: {_few(mismatched, 3)}")
        raise ModelUnavailableError(
            f"cannot convert the SAM 2 checkpoint {source} to transformers: {'; '.join(parts)}. "
            "It is not an original sam2 / sam2.1 checkpoint matching its yaml: use the .pt and .yaml of the same "
            "release (e.g. sam2.1_hiera_large.pt + sam2.1_hiera_l.yaml), or pass a transformers-format folder"
        )
    return {k: v.contiguous() for k, v in out.items()}


def _empty_video_model(config: Mapping[str, Any]) -> Any:
    """`Sam2VideoModel(config)` with parameters on the meta device (names and shapes only)."""
    import transformers as tf
    from accelerate import init_empty_weights

    with init_empty_weights():
        return tf.Sam2VideoModel(tf.Sam2VideoConfig(**config))


# ----------------------------------------------------------------------------- cache


def _file_record(path: Path, previous: Mapping[str, Any] | None) -> dict[str, Any]:
    """name, size, mtime_ns and sha256 of `path` (the sha256 of `previous` is reused
    when size and modification time are unchanged)."""
    st = path.stat()
    record = {"name": path.name, "size": st.st_size, "mtime_ns": st.st_mtime_ns}
    if previous and all(previous.get(k) == record[k] for k in record) and previous.get("sha256"):
        record["sha256"] = previous["sha256"]
    else:
        record["sha256"] = sha256_file(path)
    return record


def _read_stamp(folder: Path) -> dict[str, Any] | None:
    try:
        stamp = json.loads((folder / STAMP).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return stamp if isinstance(stamp, dict) else None


def _stamp(original: OriginalSam2, previous: Mapping[str, Any] | None) -> dict[str, Any]:
    prev = previous or {}
    return {
        "converter": CONVERTER_VERSION,
        "checkpoint": _file_record(original.checkpoint, prev.get("checkpoint")),
        "config": _file_record(original.config, prev.get("config")),
    }


def _same_source(a: Mapping[str, Any] | None, b: Mapping[str, Any]) -> bool:
    if not a or a.get("converter") != b["converter"]:
        return False
    return all(
        isinstance(a.get(f), Mapping) and all(a[f].get(k) == b[f][k] for k in ("name", "size", "sha256"))
        for f in ("checkpoint", "config")
    )


def convert_original(original: OriginalSam2, out: str | os.PathLike[str]) -> Path:
    """Convert an original checkpoint + yaml into a transformers-format folder `out`.

    Writes `config.json` (`Sam2VideoConfig`), `model.safetensors` and `STAMP`,
    through a temporary sibling folder renamed into place (a failure leaves `out`
    as it was).

    Raises:
        ModelUnavailableError: unreadable or refused files, a yaml transformers
            cannot express, or a checkpoint that does not match it.
    """
    import transformers as tf
    from safetensors.torch import save_file

    model = read_original_config(original.config)
    config = video_config(model, str(original.config))
    try:
        sd = load_checkpoint(original.checkpoint, key="model")
    except HOIExportError as exc:
        raise ModelUnavailableError(
            f"cannot read the SAM 2 checkpoint {original.checkpoint}: {exc}. An original sam2 checkpoint is a "
            "torch file whose top-level dict holds the state dict under 'model'; re-download it"
        ) from exc
    converted = convert_state_dict(sd, config, str(original.checkpoint))
    stamp = _stamp(original, None)
    with atomic_directory(out, overwrite=True) as tmp:
        cfg = tf.Sam2VideoConfig(**config)
        cfg.architectures = ["Sam2VideoModel"]
        cfg.save_pretrained(tmp)
        save_file(converted, str(tmp / "model.safetensors"), metadata={"format": "pt"})
        (tmp / STAMP).write_text(json.dumps(stamp, indent=1, sort_keys=True), encoding="utf-8")
    return Path(out)


def _writable_cache(folder: Path) -> Path:
    """`folder/CACHE_FOLDER` when it can be created there, else under the cache dir."""
    target = folder / CACHE_FOLDER
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        if os.access(target.parent, os.W_OK) and (not target.exists() or os.access(target, os.W_OK)):
            return target
    except OSError:
        pass
    key = hashlib.sha256(str(folder.resolve()).encode()).hexdigest()[:16]
    return cache_dir() / "sam2" / key


def converted_folder(original: OriginalSam2, cache: str | os.PathLike[str] | None = None) -> Path:
    """The transformers-format folder of `original`, converting it when the cache
    is missing, from an older converter, or from other source files.

    Args:
        original: the checkpoint and yaml.
        cache: where to keep the converted model (default `<checkpoint folder>/transformers`,
            or under the cache dir when that folder is not writable).

    Returns:
        A folder `Sam2VideoModel.from_pretrained` / `Sam2Model.from_pretrained` load.

    Raises:
        ModelUnavailableError: as `convert_original`.
    """
    target = Path(cache) if cache is not None else _writable_cache(original.checkpoint.parent)
    previous = _read_stamp(target)
    current = _stamp(original, previous)
    if _same_source(previous, current) and (target / "config.json").is_file() and (
        target / "model.safetensors"
    ).is_file():
        if previous != current:  # touched, same content: remember the new modification times
            try:
                atomic_write_bytes(target / STAMP, json.dumps(current, indent=1, sort_keys=True).encode())
            except OSError:
                pass
        return target
    return convert_original(original, target)


def transformers_folder(folder: str | os.PathLike[str], cache: str | os.PathLike[str] | None = None) -> Path:
    """A transformers-format SAM 2 folder for `folder` (checked with `Sam2Weights`).

    The original checkpoint + yaml, when `folder` holds them (the lock entry's
    pinned files), are converted (cached, see `converted_folder`); otherwise
    `folder` itself must be a transformers-format folder.

    Raises:
        ModelUnavailableError: neither layout, or the conversion failed.
    """
    root = Path(folder)
    original = find_original(root)
    if original is not None:
        return converted_folder(original, cache)
    problem = Sam2Weights().problem(root)
    if problem is not None:
        raise ModelUnavailableError(f"{problem}; pass {Sam2Weights().description}")
    return root

