"""Original SAM 2.1 checkpoints (facebookresearch/sam2 layout) → transformers' Sam2VideoModel / Sam2Model:
the mapping reproduces the weights exactly, the cache is reused and refreshed, bad files are one clear error."""

from __future__ import annotations

import json
import os
from collections import OrderedDict

import pytest

torch = pytest.importorskip("torch")
tf = pytest.importorskip("transformers")

from hoiexport.sdk.core.errors import ModelUnavailableError
from hoiexport.sdk.generators.lift import sam2_convert as sc
from hoiexport.sdk.generators.lift.segment import image_model_of
from tests.builders.segment import (
    SAM2_CHECKPOINT,
    SAM2_CONFIG,
    original_state_dict,
    sam2_video_config,
    sam2_yaml,
    tiny_sam2_video,
    write_original_sam2,
    write_sam2_1_hiera_large,
)

REAL_TINY_KEYS = 326
"""Keys of `sam2.modeling.sam2_base.SAM2Base` built from `sam2_yaml("tiny")` by the
official code (facebookresearch/sam2 @ 2b90b9f, instantiated from the yaml); the
builder's original state dict was checked to hold exactly those names and shapes."""

ORIGINAL_NAMES = (
    "maskmem_tpos_enc", "no_mem_embed", "no_mem_pos_enc", "no_obj_ptr", "no_obj_embed_spatial",
    "mask_downsample.weight", "obj_ptr_proj.layers.2.weight", "obj_ptr_tpos_proj.weight",
    "image_encoder.trunk.pos_embed", "image_encoder.trunk.pos_embed_window", "image_encoder.trunk.patch_embed.proj.weight",
    "image_encoder.trunk.blocks.0.norm1.weight", "image_encoder.trunk.blocks.0.attn.qkv.weight",
    "image_encoder.trunk.blocks.0.mlp.layers.1.weight", "image_encoder.trunk.blocks.1.proj.weight",
    "image_encoder.neck.convs.3.conv.weight",
    "memory_attention.layers.1.cross_attn_image.out_proj.weight", "memory_attention.layers.0.norm3.bias",
    "memory_attention.norm.weight",
    "memory_encoder.mask_downsampler.encoder.12.weight", "memory_encoder.mask_downsampler.encoder.10.bias",
    "memory_encoder.pix_feat_proj.weight", "memory_encoder.fuser.layers.0.gamma", "memory_encoder.fuser.layers.0.pwconv2.bias",
    "memory_encoder.out_proj.weight",
    "sam_prompt_encoder.pe_layer.positional_encoding_gaussian_matrix", "sam_prompt_encoder.point_embeddings.3.weight",
    "sam_prompt_encoder.mask_downscaling.6.weight", "sam_prompt_encoder.not_a_point_embed.weight",
    "sam_mask_decoder.transformer.layers.1.cross_attn_image_to_token.out_proj.bias",
    "sam_mask_decoder.transformer.layers.0.mlp.layers.1.weight", "sam_mask_decoder.transformer.norm_final_attn.weight",
    "sam_mask_decoder.output_upscaling.3.weight", "sam_mask_decoder.output_hypernetworks_mlps.3.layers.2.bias",
    "sam_mask_decoder.iou_prediction_head.layers.1.weight", "sam_mask_decoder.pred_obj_score_head.layers.2.weight",
    "sam_mask_decoder.obj_score_token.weight", "sam_mask_decoder.conv_s1.weight",
)
"""Names from facebookresearch/sam2's module tree (`sam2/modeling/*`)."""


@pytest.fixture(scope="module")
def video():
    return tiny_sam2_video(0)


@pytest.fixture()
def entry(tmp_path):
    return write_sam2_1_hiera_large(tmp_path)


def test_the_builder_writes_the_original_sam2_layout(entry):
    raw = torch.load(entry / SAM2_CHECKPOINT, map_location="cpu", weights_only=True)
    assert list(raw) == ["model"] and isinstance(raw["model"], OrderedDict)
    keys = set(raw["model"])
    assert len(keys) == REAL_TINY_KEYS
    assert set(ORIGINAL_NAMES) <= keys
    assert not any(k.startswith(("vision_encoder.", "prompt_encoder.", "mask_decoder.", "shared_image")) for k in keys)
    assert "model:" in (entry / SAM2_CONFIG).read_text()
    assert sc.find_original(entry) == sc.OriginalSam2(entry / SAM2_CHECKPOINT, entry / SAM2_CONFIG)


def test_conversion_reproduces_the_transformers_weights_exactly(entry, video):
    folder = sc.transformers_folder(entry)
    assert folder == entry / sc.CACHE_FOLDER
    assert {p.name for p in folder.iterdir()} == {"config.json", "model.safetensors", sc.STAMP}
    assert json.loads((folder / "config.json").read_text())["model_type"] == "sam2_video"
    loaded = tf.Sam2VideoModel.from_pretrained(folder, local_files_only=True).eval()
    want, got = video.state_dict(), loaded.state_dict()
    assert set(want) == set(got)
    assert all(torch.equal(want[k], got[k]) for k in want)

    # the image model loads from the same folder and predicts exactly what the directly built one does
    image = tf.Sam2Model.from_pretrained(folder, local_files_only=True).eval()
    direct = image_model_of(video)
    pixels = torch.randn(1, 3, 64, 64, generator=torch.Generator().manual_seed(3))
    boxes = torch.tensor([[[8.0, 10.0, 50.0, 44.0]]])
    with torch.no_grad():
        a = image(pixel_values=pixels, input_boxes=boxes, multimask_output=False)
        b = direct(pixel_values=pixels, input_boxes=boxes, multimask_output=False)
    assert torch.equal(a.pred_masks, b.pred_masks) and torch.equal(a.iou_scores, b.iou_scores)


def test_the_mapping_inverts_the_builders_original_names(video):
    """Every original key maps to one Sam2VideoModel parameter with its shape, and back."""
    original = original_state_dict(video.state_dict())
    converted = sc.convert_state_dict(original, sam2_video_config("tiny"))
    want = video.state_dict()
    assert set(converted) == set(want)
    assert all(torch.equal(converted[k], want[k]) for k in want)


def test_the_full_size_config_is_sam2_1_hiera_large():
    """`sam2_yaml("full")` (the values of sam2.1_hiera_l.yaml) gives the published 224.4 M parameters."""
    model = sc._empty_video_model(sam2_video_config("full"))
    assert round(sum(p.numel() for p in model.parameters()) / 1e6, 1) == 224.4
    cfg = model.config
    assert cfg.vision_config.backbone_config.blocks_per_stage == [2, 6, 36, 4]
    assert cfg.vision_config.backbone_config.global_attention_blocks == [23, 33, 43]
    assert cfg.vision_config.backbone_config.window_size_per_stage == [8, 4, 16, 8]
    assert cfg.enable_temporal_pos_encoding_for_object_pointers and cfg.enable_occlusion_spatial_embedding


def test_the_cache_is_reused_and_converted_again_when_a_source_changes(entry, monkeypatch):
    folder = sc.transformers_folder(entry)
    weights = folder / "model.safetensors"
    first = weights.stat().st_mtime_ns

    def fail(*args, **kwargs):
        raise AssertionError("converted again")

    with monkeypatch.context() as m:
        m.setattr(sc, "convert_original", fail)
        assert sc.transformers_folder(entry) == folder  # unchanged: reused
        ckpt = entry / SAM2_CHECKPOINT
        os.utime(ckpt, ns=(ckpt.stat().st_atime_ns, ckpt.stat().st_mtime_ns + 10_000_000_000))
        assert sc.transformers_folder(entry) == folder  # touched, same bytes: reused (sha256 compared)
        stamp = json.loads((folder / sc.STAMP).read_text())
        assert stamp["checkpoint"]["mtime_ns"] == ckpt.stat().st_mtime_ns
        assert stamp["converter"] == sc.CONVERTER_VERSION
    assert weights.stat().st_mtime_ns == first

    other = tiny_sam2_video(1)
    write_original_sam2(entry, other)  # new weights, same names
    assert sc.transformers_folder(entry) == folder
    loaded = tf.Sam2VideoModel.from_pretrained(folder, local_files_only=True)
    assert torch.equal(loaded.no_memory_embedding, other.no_memory_embedding)

    (entry / SAM2_CONFIG).write_text(sam2_yaml("tiny").replace("num_maskmem: 3", "num_maskmem: 2"))
    with pytest.raises(ModelUnavailableError, match="shape mismatch"):  # the yaml changed: converted again
        sc.transformers_folder(entry)
    assert torch.equal(tf.Sam2VideoModel.from_pretrained(folder).no_memory_embedding, other.no_memory_embedding)


def test_an_explicit_cache_folder(entry, tmp_path):
    original = sc.find_original(entry)
    out = sc.converted_folder(original, tmp_path / "elsewhere")
    assert out == tmp_path / "elsewhere" and (out / "model.safetensors").is_file()
    assert not (entry / sc.CACHE_FOLDER).exists()


@pytest.mark.parametrize("damage, message", [
    ("garbage", r"cannot read the SAM 2 checkpoint .*sam2\.1_hiera_large\.pt: .*corrupt or not a PyTorch checkpoint"),
    ("no_model_key", r"sam2\.1_hiera_large\.pt: .*no key 'model'.*under 'model'"),
    ("missing_key", (r"cannot convert the SAM 2 checkpoint .*sam2\.1_hiera_large\.pt to transformers: 1 parameter\(s\) "
                     r"the checkpoint does not provide: mask_decoder\.conv_s0\.weight\. .*use the \.pt and \.yaml of "
                     r"the same release")),
    ("unknown_key", r"1 key\(s\) no rule knows: sam_mask_decoder\.extra_head\.weight"),
    ("code", r"refused to load .*sam2\.1_hiera_large\.pt"),
])
def test_a_broken_checkpoint_is_one_clear_error(entry, damage, message):
    ckpt = entry / SAM2_CHECKPOINT
    sd = torch.load(ckpt, weights_only=True)["model"]
    if damage == "garbage":
        ckpt.write_bytes(b"not a checkpoint")
    elif damage == "no_model_key":
        torch.save({"state_dict": sd}, ckpt)
    elif damage == "missing_key":
        del sd["sam_mask_decoder.conv_s0.weight"]
        torch.save({"model": sd}, ckpt)
    elif damage == "unknown_key":
        sd["sam_mask_decoder.extra_head.weight"] = torch.zeros(2)
        torch.save({"model": sd}, ckpt)
    else:
        torch.save({"model": sd, "config": ModelUnavailableError("x")}, ckpt)
    with pytest.raises(ModelUnavailableError, match=message):
        sc.transformers_folder(entry)
    assert not (entry / sc.CACHE_FOLDER).exists()  # nothing half-written


@pytest.mark.parametrize("edit, message", [
    (("fpn_interp_model: nearest", "fpn_interp_model: bilinear"),
     r"does not implement: model\.image_encoder\.neck\.fpn_interp_model = 'bilinear' \(transformers implements 'nearest'\)"),
    (("  use_high_res_features_in_sam: true\n", ""), r"model\.use_high_res_features_in_sam = False"),
    (("    num_layers: 2\n  memory_encoder", "  memory_encoder"), r"sam2\.1_hiera_l\.yaml has no model\.memory_attention\.num_layers"),
    (("model:", "network:"), r"has no 'model:' mapping"),
])
def test_a_config_transformers_cannot_express_is_refused(entry, edit, message):
    cfg = entry / SAM2_CONFIG
    text = cfg.read_text()
    assert edit[0] in text
    cfg.write_text(text.replace(edit[0], edit[1]))
    with pytest.raises(ModelUnavailableError, match=message):
        sc.transformers_folder(entry)


def test_yaml_numbers_read_as_hydra_reads_them(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text(sam2_yaml("tiny"))
    cfg = sc.read_original_config(path)
    assert cfg["memory_encoder"]["fuser"]["layer"]["layer_scale_init_value"] == 1e-6  # "1e-6" is text to YAML 1.1
    assert sc.video_config(cfg)["memory_fuser_layer_scale_init_value"] == 1e-6


def test_the_weights_layout_accepts_both_formats(entry, tmp_path, video):
    layout = sc.Sam2Weights()
    assert layout.problem(entry) is None
    hf = tmp_path / "hf"
    video.save_pretrained(hf)
    assert layout.problem(hf) is None
    assert sc.transformers_folder(hf) == hf
    lone = tmp_path / "lone"
    lone.mkdir()
    (lone / SAM2_CHECKPOINT).write_bytes(b"x")
    assert "holds a *.pt checkpoint but not its sam2 yaml config" in layout.problem(lone)
    with pytest.raises(ModelUnavailableError, match="not its sam2 yaml config.*pass a SAM 2 folder"):
        sc.transformers_folder(lone)
    assert layout.problem(tmp_path / "none") == f"{tmp_path / 'none'} does not exist"
