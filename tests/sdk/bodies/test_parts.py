"""Body-part labels from SMPL-24 skin weights (DESIGN §6)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from hoiexport.sdk.bodies.parts import JOINT_PARTS, PART_INDEX, TORSO, part_labels_from_weights
from hoiexport.sdk.bodies.skinning import vertex_normals
from hoiexport.sdk.core.errors import InputError
from hoiexport.sdk.core.skeleton import JOINT_INDEX, SMPL_JOINT_NAMES
from hoiexport.sdk.core.types import BODY_PARTS


def test_every_joint_has_a_part_and_every_part_a_joint():
    assert set(JOINT_PARTS) == set(SMPL_JOINT_NAMES)
    named = {p for p in JOINT_PARTS.values() if p != TORSO} | {"back", "torso_front"}
    assert named == set(BODY_PARTS)


def test_argmax_joint_and_normal_side_decide_the_label():
    weights = np.full((48, 24), 0.01, np.float32)
    for j in range(24):
        weights[2 * j : 2 * j + 2, j] = 0.8
    normals = np.tile(np.array([[0.0, 0.0, 1.0], [0.0, 0.0, -1.0]], np.float32), (24, 1))
    labels = part_labels_from_weights(weights, normals)
    assert labels.dtype == np.int8 and labels.shape == (48,)
    for name, j in JOINT_INDEX.items():
        front, back = BODY_PARTS[labels[2 * j]], BODY_PARTS[labels[2 * j + 1]]
        if JOINT_PARTS[name] == TORSO:
            assert (front, back) == ("torso_front", "back"), name
        else:
            assert front == back == JOINT_PARTS[name], name


def test_bad_inputs_are_named():
    with pytest.raises(InputError, match="skin_weights must be"):
        part_labels_from_weights(np.ones((5, 23)), np.ones((5, 3)))
    with pytest.raises(InputError, match="rest_normals must be"):
        part_labels_from_weights(np.ones((5, 24)), np.ones((4, 3)))
    with pytest.raises(InputError, match="no body part for joint"):
        part_labels_from_weights(np.ones((5, 2)), np.ones((5, 3)), joint_names=("pelvis", "tail"))


def test_anny_labels_cover_all_12_parts_in_the_right_places(anny):
    labels = anny.part_labels
    assert labels.shape == (13718,) and labels.dtype == np.int8
    counts = np.bincount(labels, minlength=len(BODY_PARTS))
    assert (counts > 100).all(), dict(zip(BODY_PARTS, counts.tolist(), strict=True))

    out = anny.forward(torch.zeros(1, 24, 3))
    v = out.vertices[0].numpy()
    normals = vertex_normals(v, anny.faces)

    def centre(part: str) -> np.ndarray:
        return v[labels == PART_INDEX[part]].mean(axis=0)

    for side, sign in (("left", 1.0), ("right", -1.0)):
        for part in ("hand", "arm", "leg", "foot"):
            assert sign * centre(f"{side}_{part}")[0] > 0.05, f"{side}_{part} is on the {side} (+X = left)"
    assert centre("head")[1] > centre("torso_front")[1] > centre("hips")[1] > centre("left_leg")[1]
    assert centre("left_leg")[1] > centre("left_foot")[1]
    assert (normals[labels == PART_INDEX["back"], 2] < 0).all()
    assert (normals[labels == PART_INDEX["torso_front"], 2] >= 0).all()
    assert centre("back")[2] < centre("torso_front")[2]
