"""Segmenters: masks from labels, and the real Grounding DINO + SAM 2 code path on
tiny random-weight models (shapes, dtypes, loading from folders), plus weight resolution."""

from __future__ import annotations

import json

import numpy as np
import pytest
import trimesh
from hoiexport.sdk.core.errors import InputError, ModelUnavailableError
from hoiexport.sdk.geometry.orbit import OrbitOptions, render_orbit
from hoiexport.sdk.generators.lift.segment import (
    GROUNDING_DINO_WEIGHTS,
    SAM2_WEIGHTS,
    GroundedSam2Options,
    GroundedSam2Segmenter,
    LabelsSegmenter,
    Segmenter,
    ViewMasks,
    face_labels_from_vertices,
    resolve_grounded_sam2,
)
from hoiexport.sdk.models import TransformersFolder, resolve_weights
from hoiexport.sdk.core.types import Mesh
from tests.builders.segment import tiny_grounded_sam2


@pytest.fixture(scope="module")
def two_boxes():
    """A tall box (person) beside a small one (object), and their orbit at 64 px."""
    a = trimesh.creation.box((0.4, 1.6, 0.3))
    b = trimesh.creation.box((0.3, 0.3, 0.3))
    b.apply_translation((0.5, -0.3, 0.0))
    mesh = Mesh(np.vstack([a.vertices, b.vertices]), np.vstack([a.faces, b.faces + len(a.vertices)]), name="boxes")
    labels = np.r_[np.zeros(len(a.vertices), int), np.ones(len(b.vertices), int)]
    return mesh, labels, render_orbit(mesh, OrbitOptions(views=4, resolution=64))


def test_labels_segmenter_masks_match_the_face_ids(two_boxes):
    mesh, labels, views = two_boxes
    seg = LabelsSegmenter(mesh.faces, labels)
    assert isinstance(seg, Segmenter)
    out = seg.segment(views, ["person", "box"])
    assert out.masks.shape == (4, 2, 64, 64) and out.masks.dtype == bool
    assert out.scores.shape == (4, 2) and out.scores.dtype == np.float32
    face_label = face_labels_from_vertices(mesh.faces, labels, 2)
    seen = views.face_ids >= 0
    assert np.array_equal(out.masks[:, 1], seen & (face_label[np.maximum(views.face_ids, 0)] == 1))
    assert not (out.masks[:, 0] & out.masks[:, 1]).any()
    assert np.array_equal(out.masks[:, 0] | out.masks[:, 1], seen)
    assert np.array_equal(out.scores, out.masks.any(axis=(2, 3)).astype(np.float32))  # 0 where hidden
    assert out.scores[:3].all() and out.scores[3, 1] == 0  # from -X the tall box hides the small one


def test_labels_segmenter_rejects_bad_labels(two_boxes):
    mesh, labels, views = two_boxes
    with pytest.raises(InputError, match="faces index vertex"):
        LabelsSegmenter(mesh.faces, labels[:5])
    with pytest.raises(InputError, match="only 1 labels"):
        LabelsSegmenter(mesh.faces, labels).segment(views, ["person"])
    with pytest.raises(InputError, match="distinct"):
        LabelsSegmenter(mesh.faces, labels).segment(views, ["person", "Person"])


def test_view_masks_check_their_shapes():
    with pytest.raises(InputError, match="masks must be"):
        ViewMasks(["a", "b"], np.zeros((2, 1, 4, 4), bool), np.zeros((2, 2)), "x")


# --------------------------------------------------------------------------------------
# Grounding DINO + SAM 2 on tiny random-weight models (the transformers architectures)
# --------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    pytest.importorskip("transformers")
    return tiny_grounded_sam2(tmp_path_factory.mktemp("tiny"))


def test_grounded_sam2_runs_end_to_end(two_boxes, tiny):
    _, _, views = two_boxes
    detector, processor, sam = tiny
    seg = GroundedSam2Segmenter(detector, processor, sam, options=GroundedSam2Options(box_threshold=0.0,
                                                                                      batch_size=2, device="cpu"))
    assert isinstance(seg, Segmenter)
    out = seg.segment(views, ["person", "suitcase"])  # "suitcase" spans two word pieces
    assert out.labels == ["person", "suitcase"] and out.backend == "grounded_sam2"
    assert out.masks.shape == (4, 2, 64, 64) and out.masks.dtype == bool
    assert out.scores.shape == (4, 2) and out.scores.dtype == np.float32
    assert ((out.scores >= 0) & (out.scores <= 1)).all()


def test_grounded_sam2_threshold_drops_unfound_labels(two_boxes, tiny):
    _, _, views = two_boxes
    seg = GroundedSam2Segmenter(*tiny, options=GroundedSam2Options(box_threshold=1.0, device="cpu"))
    out = seg.segment(views, ["person", "box"])
    unfound = out.scores == 0
    assert unfound.any() and not out.masks[unfound].any()  # a label not found has an empty mask


def test_grounded_sam2_loads_from_folders(two_boxes, tiny, tmp_path):
    detector, processor, sam = tiny
    gd_dir, sam_dir = tmp_path / "gd", tmp_path / "sam"
    detector.save_pretrained(gd_dir)
    processor.save_pretrained(gd_dir)
    sam.save_pretrained(sam_dir)
    (sam_dir / "preprocessor_config.json").write_text(json.dumps({"image_mean": [0.5] * 3, "image_std": [0.25] * 3}))
    seg = GroundedSam2Segmenter.from_pretrained(gd_dir, sam_dir, GroundedSam2Options(box_threshold=0.0, device="cpu"))
    assert seg.sam_mean.flatten().tolist() == [0.5] * 3
    out = seg.segment(two_boxes[2], ["person", "box"])
    assert out.masks.shape == (4, 2, 64, 64)


def test_missing_or_wrong_format_weights_name_the_model_and_fix(tmp_path):
    with pytest.raises(ModelUnavailableError,
                       match=r"model 'sam2-1-hiera-large' \(stage segmentation\): .* does not exist; fix: pass"):
        resolve_weights(SAM2_WEIGHTS, tmp_path / "nowhere")
    original = tmp_path / "sam2-original"
    original.mkdir()
    (original / "sam2.1_hiera_large.pt").write_bytes(b"x")
    with pytest.raises(ModelUnavailableError, match="original-format checkpoint sam2.1_hiera_large.pt"):
        resolve_weights(SAM2_WEIGHTS, original)
    good = tmp_path / "gd"
    good.mkdir()
    (good / "config.json").write_text("{}")
    (good / "model.safetensors").write_bytes(b"x")
    assert TransformersFolder().problem(good) is None
    assert resolve_weights(GROUNDING_DINO_WEIGHTS, good) == good
    with pytest.raises(ModelUnavailableError, match="sam2-1-hiera-large.*CLI: --sam-dir"):
        resolve_grounded_sam2(good, original)


def test_lock_resolution_reports_missing_weights(tmp_path, monkeypatch):
    monkeypatch.setenv("HOIEXPORT_MODELS", str(tmp_path))
    with pytest.raises(ModelUnavailableError, match="grounding-dino-base"):
        resolve_weights(GROUNDING_DINO_WEIGHTS)
    with pytest.raises(ModelUnavailableError, match="grounding-dino-base"):
        GroundedSam2Segmenter.from_pretrained()
