"""Degrading clean data to look generated: new topology, clothing offset, holes; corrupted masks."""

from __future__ import annotations

import numpy as np
import pytest
import trimesh
from hoiexport.sdk.generators.lift.chamfer import point_to_surface
from hoiexport.sdk.generators.lift.segment import ViewMasks
from hoiexport.sdk.generators.lift.synthetic import (
    DegradeOptions,
    MaskCorruption,
    corrupt_masks,
    degrade_surface,
)
from hoiexport.sdk.core.types import Mesh


def test_degraded_sphere_is_offset_remeshed_and_holed():
    sphere = trimesh.creation.icosphere(subdivisions=4, radius=0.3)
    mesh = Mesh(sphere.vertices, sphere.faces, colors=np.tile([9, 8, 7], (len(sphere.vertices), 1)))
    out = degrade_surface(mesh, None, np.random.default_rng(0), DegradeOptions(target_faces=3000, holes=2, noise_cm=0.05))
    assert 0.5 <= out.clothing_cm <= 2.0
    assert len(out.mesh.faces) < 3000 and len(out.mesh.vertices) != len(mesh.vertices)
    r = np.linalg.norm(out.mesh.vertices, axis=1)
    offset_cm = (r - 0.3) * 100
    assert offset_cm.min() > 0.6 * out.clothing_cm - 0.5 and offset_cm.max() < out.clothing_cm + 0.5
    assert not trimesh.Trimesh(out.mesh.vertices, out.mesh.faces).is_watertight  # the holes
    assert (out.mesh.colors == [9, 8, 7]).all() and len(out.source_vertex) == len(out.mesh.vertices)
    assert point_to_surface(out.mesh.vertices[:50], mesh).max() < 0.03


def test_corrupted_masks_differ_but_keep_labels_and_shapes():
    masks = np.zeros((4, 2, 32, 32), bool)
    masks[:, 0, 4:20, 8:24] = True
    masks[:, 1, 20:28, 8:24] = True
    clean = ViewMasks(["person", "box"], masks, np.ones((4, 2)), "labels")
    out = corrupt_masks(clean, np.random.default_rng(1), MaskCorruption(missed=1))
    assert out.labels == clean.labels and out.masks.shape == masks.shape and out.backend == "labels+corrupted"
    assert (out.scores == 0).sum() == 1 and ((out.scores == 0) | (out.scores >= 0.6)).all()
    assert (out.masks != masks).any()
    with pytest.raises(Exception, match="two labels"):
        corrupt_masks(ViewMasks(["a"], masks[:, :1], np.ones((4, 1)), "x"), np.random.default_rng(0))
