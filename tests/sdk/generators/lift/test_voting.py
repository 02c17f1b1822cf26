"""Vertex voting: ground-truth labels recovered from clean and from corrupted masks,
diffusion, island removal, the split keeping appearance, fragment reassignment."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp
from hoiexport.sdk.contacts.analysis import vertex_areas
from hoiexport.sdk.core.errors import InputError
from hoiexport.sdk.geometry.orbit import OrbitOptions, render_orbit
from hoiexport.sdk.generators.lift.segment import LabelsSegmenter, ViewMasks
from hoiexport.sdk.generators.lift.synthetic import MaskCorruption, corrupt_masks
from hoiexport.sdk.generators.lift.voting import (
    adjacency,
    diffuse_labels,
    label_accuracy,
    reassign_fragments,
    remove_islands,
    split_mesh,
    vote_labels,
)
from hoiexport.sdk.core.types import Mesh
from tests.builders.lift_scene import make_lift_scene


@pytest.fixture(scope="module")
def scene():
    return make_lift_scene()


@pytest.fixture(scope="module")
def views(scene):
    return render_orbit(scene.combined, OrbitOptions(views=8, resolution=256))


@pytest.fixture(scope="module")
def clean_masks(scene, views):
    return LabelsSegmenter(scene.combined.faces, scene.labels).segment(views, ["person", "box"])


def test_clean_masks_recover_the_labels(scene, views, clean_masks):
    result = vote_labels(scene.combined, views, clean_masks)
    acc = label_accuracy(result.labels, scene.labels)
    assert acc >= 0.98, acc
    assert result.labels.shape == (len(scene.combined.vertices),) and result.labels.dtype == np.int8
    assert np.allclose(result.probabilities.sum(axis=1), 1.0, atol=1e-5)
    assert 0.5 < result.voted.mean() < 1.0  # some vertices (between the legs, armpits) are never seen
    assert result.views_seen.max() <= 8


def test_corrupted_masks_still_recover_the_labels(scene, views, clean_masks):
    # at 256 px a pixel is ~6.5 mm on the body: blobs up to 6 px (~4 cm), borders moved up to 2 px
    corruption = MaskCorruption(morph_px=2, blobs=3, blob_radius_px=(2, 6), missed=2)
    masks = corrupt_masks(clean_masks, np.random.default_rng(3), corruption)
    assert (masks.scores == 0).sum() == 2 and not np.array_equal(masks.masks, clean_masks.masks)
    result = vote_labels(scene.combined, views, masks)
    assert label_accuracy(result.labels, scene.labels) >= 0.97


def test_mask_frames_must_match(scene, views, clean_masks):
    short = ViewMasks(clean_masks.labels, clean_masks.masks[:3], clean_masks.scores[:3], "x")
    with pytest.raises(InputError, match="do not match"):
        vote_labels(scene.combined, views, short)


def test_split_keeps_uv_texture_and_colours(scene):
    human, obj = split_mesh(scene.combined, scene.labels)
    assert len(human.vertices) == len(scene.human.vertices) and len(obj.faces) == len(scene.obj.faces)
    assert np.allclose(human.vertices, scene.human.vertices)
    # the box keeps its texture through the merged atlas and its uv
    assert obj.texture is not None and obj.uv is not None and obj.texture.image.shape == scene.combined.texture.image.shape
    assert (obj.colors == 255).all()  # textured part: white vertex colours (multiplied)
    assert np.array_equal(human.colors, scene.human.colors)  # coloured part: its colours
    with pytest.raises(InputError, match="no faces for the object"):
        split_mesh(scene.combined, np.zeros(len(scene.combined.vertices), int))


def test_diffusion_interpolates_along_the_graph():
    # a path 0-1-2-3-4 with the ends known: harmonic values are linear
    faces = np.array([[0, 1, 1], [1, 2, 2], [2, 3, 3], [3, 4, 4]])
    adj = adjacency(faces, 5)
    known = np.array([True, False, False, False, True])
    values = np.zeros((5, 2))
    values[0] = [1, 0]
    values[4] = [0, 1]
    out = diffuse_labels(adj, known, values, np.zeros((5, 3)))
    assert np.allclose(out[:, 1], [0, 0.25, 0.5, 0.75, 1.0])
    # a part without a voted vertex takes its nearest voted vertex's label
    adj2 = sp.block_diag([adj, adjacency(np.array([[0, 1, 1]]), 2)]).tocsr()
    points = np.vstack([np.zeros((5, 3)), [[0.0, 0.0, 5.0], [0.0, 0.0, 6.0]]])
    points[4] = [0.0, 0.0, 4.0]
    out2 = diffuse_labels(adj2, np.r_[known, False, False], np.vstack([values, np.zeros((2, 2))]), points)
    assert np.allclose(out2[5:], [[0, 1], [0, 1]])


def test_small_islands_flip_but_separate_pieces_stay():
    # a 10x10 grid labelled 0 with a 1-vertex island of 1, plus a separate triangle labelled 1
    n = 10
    idx = np.arange(n * n).reshape(n, n)
    quads = np.stack([idx[:-1, :-1], idx[1:, :-1], idx[1:, 1:], idx[:-1, 1:]], -1).reshape(-1, 4)
    faces = np.vstack([quads[:, [0, 1, 2]], quads[:, [0, 2, 3]], [[100, 101, 102]]])
    labels = np.zeros(103, int)
    labels[idx[5, 5]] = 1
    labels[100:] = 1
    areas = np.ones(103)
    out = remove_islands(adjacency(faces, 103), labels, areas, 0.05)
    assert out[idx[5, 5]] == 0 and (out[100:] == 1).all()


def test_fragments_near_the_body_go_back_to_the_person(scene):
    labels = scene.labels.astype(np.int64).copy()
    # cut a patch out of the person's forehead and call it "object"
    head = np.argsort(-scene.combined.vertices[:, 1])[:40]
    labels[head] = 1
    out = reassign_fragments(scene.combined, labels, scene.body.mesh)
    assert (out[head] == 0).all()
    assert np.array_equal(out, scene.labels)


def test_a_large_patch_lying_on_the_body_goes_back_too(scene):
    """A piece above `max_fraction` of the object's area moves when it lies on the body (`snap_m`)."""
    labels = scene.labels.astype(np.int64).copy()
    verts = scene.combined.vertices
    person = np.flatnonzero(scene.labels == 0)
    head = person[np.argsort(-verts[person, 1])[:400]]
    labels[head] = 1
    mesh = Mesh(verts, scene.combined.faces)
    areas = vertex_areas(mesh)
    assert areas[head].sum() > 0.05 * areas[scene.labels == 1].sum()  # too large for the size rule alone
    kept = reassign_fragments(scene.combined, labels, scene.body.mesh, snap_m=0.0)
    assert (kept[head] == 1).mean() > 0.8  # the main piece of the patch stays (small bits of it move)
    out = reassign_fragments(scene.combined, labels, scene.body.mesh)
    assert np.array_equal(out, scene.labels)
