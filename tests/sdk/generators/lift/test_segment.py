"""Segmenters: masks from labels, and the real Grounding DINO + SAM 2 code path on
tiny random-weight models (shapes, dtypes, loading from folders), plus weight resolution."""

from __future__ import annotations

import importlib
import json

import numpy as np
import pytest
import torch
import trimesh

from hoiexport.sdk.core.errors import InputError, ModelUnavailableError
from hoiexport.sdk.core.types import Mesh
from hoiexport.sdk.generators.lift.segment import (
    GROUNDING_DINO_WEIGHTS,
    SAM2_WEIGHTS,
    GroundedSam2Options,
    GroundedSam2Segmenter,
    LabelsSegmenter,
    Segmenter,
    ViewMasks,
    erode_masks,
    face_labels_from_vertices,
    resolve_grounded_sam2,
)
from hoiexport.sdk.geometry.orbit import OrbitOptions, render_orbit
from hoiexport.sdk.models import TransformersFolder, resolve_weights
from tests.builders.unpinned import unpinned_lock
from tests.builders.segment import (
    GROUNDING_DINO_ENTRY,
    SAM2_CHECKPOINT,
    SAM2_ENTRY,
    tiny_grounded_sam2,
    tiny_grounding_dino,
    tiny_sam2_models,
    tiny_sam2_video,
    write_grounding_dino_base,
    write_sam2_1_hiera_large,
)


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
    with pytest.raises(ModelUnavailableError, match=r"holds a \*\.pt checkpoint but not its sam2 yaml config.*"
                                                     r"fix: pass a SAM 2 folder: the original sam2 checkpoint"):
        resolve_weights(SAM2_WEIGHTS, original)
    good = tmp_path / "gd"
    good.mkdir()
    (good / "config.json").write_text("{}")
    (good / "model.safetensors").write_bytes(b"x")
    assert TransformersFolder().problem(good) is None
    assert resolve_weights(GROUNDING_DINO_WEIGHTS, good) == good
    with pytest.raises(ModelUnavailableError, match="sam2-1-hiera-large.*CLI: --sam-dir"):
        resolve_grounded_sam2(good, original)
    (original / "sam2.1_hiera_l.yaml").write_text("model: {}")
    assert resolve_grounded_sam2(good, original) == (good, original)  # the original pair: converted on load


def test_lock_resolution_reports_missing_weights(tmp_path, monkeypatch):
    monkeypatch.setenv("HOIEXPORT_MODELS", str(tmp_path))
    with pytest.raises(ModelUnavailableError, match="grounding-dino-base"):
        resolve_weights(GROUNDING_DINO_WEIGHTS)
    with pytest.raises(ModelUnavailableError, match="grounding-dino-base"):
        GroundedSam2Segmenter.from_pretrained()


# --------------------------------------------------------------------------------------
# the lock entries in their real layouts (original sam2 checkpoint, Grounding DINO folder)
# --------------------------------------------------------------------------------------

@pytest.fixture()
def models(tmp_path, monkeypatch):
    """A fake $HOIEXPORT_MODELS holding both lock entries tiny; the lock's pins of the
    real sam2.1_hiera_large.pt (sha256, size) are lifted for the tiny stand-in."""
    pytest.importorskip("transformers")
    root = tmp_path / "models"
    write_grounding_dino_base(root)
    write_sam2_1_hiera_large(root)
    monkeypatch.setenv("HOIEXPORT_MODELS", str(root))
    lock = unpinned_lock((SAM2_ENTRY,))
    monkeypatch.setattr(importlib.import_module("hoiexport.sdk.models.resolve"), "load_lock", lambda path=None: lock)
    return root


def test_the_segmenter_loads_the_lock_entries_from_their_real_layouts(models, two_boxes):
    gd, sam = resolve_grounded_sam2()
    assert (gd, sam) == (models / GROUNDING_DINO_ENTRY, models / SAM2_ENTRY)
    seg = GroundedSam2Segmenter.from_pretrained(options=GroundedSam2Options(box_threshold=0.0, device="cpu"))
    assert (models / SAM2_ENTRY / "transformers" / "model.safetensors").is_file()  # converted next to the original
    assert seg.tracker is None and type(seg.sam).__name__ == "Sam2Model"
    want = tiny_sam2_video(0).state_dict()
    assert all(torch.equal(v, want[k]) for k, v in seg.sam.state_dict().items())
    out = seg.segment(two_boxes[2], ["person", "box"])
    assert out.masks.shape == (4, 2, 64, 64)

    tracking = GroundedSam2Segmenter.from_pretrained(
        options=GroundedSam2Options(box_threshold=0.0, device="cpu", masks="track", erode_iterations=2))
    assert type(tracking.tracker).__name__ == "Sam2VideoModel"
    assert tracking.sam.vision_encoder.backbone.patch_embed.projection.weight.data_ptr() == (
        tracking.tracker.vision_encoder.backbone.patch_embed.projection.weight.data_ptr())  # one copy of the weights
    out = tracking.segment(two_boxes[2], ["person", "box"])
    assert out.masks.shape == (4, 2, 64, 64) and out.scores.shape == (4, 2)


def test_the_pinned_sam2_checkpoint_is_still_checked(models, monkeypatch):
    """Without lifting the pins, the tiny stand-in fails the lock's size check, naming the file."""
    monkeypatch.undo()
    monkeypatch.setenv("HOIEXPORT_MODELS", str(models))
    with pytest.raises(ModelUnavailableError, match=r"sam2-1-hiera-large \(segmentation\): size mismatch at .*"
                                                     + SAM2_CHECKPOINT.replace(".", r"\.")):
        resolve_grounded_sam2()


def test_tracking_needs_a_video_checkpoint(models, tmp_path):
    image_only = tmp_path / "image-only"
    tiny_sam2_models(0)[0].save_pretrained(image_only)
    with pytest.raises(ModelUnavailableError, match=r"is a 'sam2' checkpoint without SAM 2's memory modules"):
        GroundedSam2Segmenter.from_pretrained(sam_dir=image_only, options=GroundedSam2Options(masks="track", device="cpu"))
    detector, processor = tiny_grounding_dino(tmp_path)
    with pytest.raises(InputError, match="masks='track' needs SAM 2's video model"):
        GroundedSam2Segmenter(detector, processor, tiny_sam2_models(0)[0], options=GroundedSam2Options(masks="track"))


# --------------------------------------------------------------------------------------
# the tracking mask path
# --------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def tracker_parts(tmp_path_factory):
    pytest.importorskip("transformers")
    detector, processor = tiny_grounding_dino(tmp_path_factory.mktemp("gd"))
    image, video = tiny_sam2_models(0)
    return detector, processor, image, video


def test_tracking_runs_around_the_orbit(two_boxes, tracker_parts):
    _, _, views = two_boxes
    detector, processor, image, video = tracker_parts
    options = GroundedSam2Options(box_threshold=0.0, device="cpu", masks="track")
    seg = GroundedSam2Segmenter(detector, processor, image, tracker=video, options=options)
    names, masks, scores = seg.track_images(views.rgb, ["person", "suitcase"])
    assert names == ["person", "suitcase"]
    assert masks.shape == (4, 2, 64, 64) and masks.dtype == bool
    assert scores.shape == (4, 2) and scores.dtype == np.float32
    assert ((scores >= 0) & (scores <= 1)).all()
    assert not (scores[~masks.any(axis=(2, 3))]).any()  # an empty mask has no confidence

    # the start frame: the one whose least confident label is detected most confidently
    _, box_scores = seg._detect(views.rgb, names)
    start, _, start_scores = seg._start(views.rgb, names)
    assert start == int(np.argmax(box_scores.min(axis=1))) and np.allclose(start_scores, box_scores[start])

    # a given start frame; each frame is reached from it the short way round
    fixed = GroundedSam2Segmenter(detector, processor, image, tracker=video,
                                  options=GroundedSam2Options(box_threshold=0.0, device="cpu", masks="track",
                                                              start_frame=3))
    out = fixed.segment(views, ["person", "box"])
    assert out.masks.shape == (4, 2, 64, 64) and out.backend == "grounded_sam2"

    with pytest.raises(InputError, match="start_frame 7 is past the orbit's last frame 3"):
        GroundedSam2Segmenter(detector, processor, image, tracker=video,
                              options=GroundedSam2Options(masks="track", start_frame=7, device="cpu")
                              ).segment(views, ["person", "box"])


def test_tracking_masks_nothing_when_the_start_frame_finds_nothing(two_boxes, tracker_parts):
    detector, processor, _, video = tracker_parts
    seg = GroundedSam2Segmenter(detector, processor, None, tracker=video,
                                options=GroundedSam2Options(box_threshold=1.0, device="cpu", masks="track"))
    out = seg.segment(two_boxes[2], ["person", "box"])
    assert not out.masks.any() and not out.scores.any()


def test_erosion_is_opencvs_3x3_erosion():
    masks = np.zeros((2, 1, 12, 12), bool)
    masks[0, 0, 2:9, 2:9] = True  # a 7 x 7 square inside the image
    masks[1, 0, 0:6, 6:12] = True  # a 6 x 6 block in the top-right corner
    out = erode_masks(masks, 2)
    inner = np.zeros((12, 12), bool)
    inner[4:7, 4:7] = True  # two 3 x 3 erosions shrink the square by 2 px on each side
    corner = np.zeros((12, 12), bool)
    corner[0:4, 8:12] = True  # ... but not from the image border (cv2.erode's default border)
    assert np.array_equal(out[0, 0], inner) and np.array_equal(out[1, 0], corner)
    assert np.array_equal(erode_masks(masks, 0), masks)


def test_options_are_checked():
    with pytest.raises(InputError, match="masks must be one of"):
        GroundedSam2Options(masks="video")  # type: ignore[arg-type]
    with pytest.raises(InputError, match="start_frame must be a frame index"):
        GroundedSam2Options(start_frame=-1)
    with pytest.raises(InputError, match="erode_iterations must be an integer >= 0"):
        GroundedSam2Options(erode_iterations=-2)
