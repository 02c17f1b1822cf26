"""Per-vertex body-part labels from SMPL-24 skin weights (DESIGN §6).

Shared by every body model posed through the 24 SMPL joints. Each vertex takes
the joint with its largest skin weight, and that joint's part:

| SMPL-24 joint(s)                          | part                              |
|-------------------------------------------|-----------------------------------|
| right_wrist, right_hand                   | right_hand                        |
| left_wrist, left_hand                     | left_hand                         |
| right_shoulder (upper arm), right_elbow   | right_arm                         |
| left_shoulder (upper arm), left_elbow     | left_arm                          |
| spine1, spine2, spine3, left/right_collar | back or torso_front (see below)   |
| pelvis                                    | hips (buttocks / hips)            |
| right_hip (thigh), right_knee (shin)      | right_leg                         |
| left_hip (thigh), left_knee (shin)        | left_leg                          |
| right_ankle, right_foot                   | right_foot                        |
| left_ankle, left_foot                     | left_foot                         |
| neck, head                                | head                              |

Torso vertices are split by their rest-pose normal: facing backwards
(normal · +Z < 0 in the internal frame, where the character faces +Z) is `back`,
otherwise `torso_front`.
"""

from __future__ import annotations

import numpy as np

from hoiexport.sdk.core.errors import InputError
from hoiexport.sdk.core.skeleton import SMPL_JOINT_NAMES
from hoiexport.sdk.core.types import BODY_PARTS

TORSO = "torso"
"""Marker in `JOINT_PARTS` for joints whose vertices are split into back / torso_front."""

JOINT_PARTS: dict[str, str] = {
    "pelvis": "hips",
    "left_hip": "left_leg",
    "right_hip": "right_leg",
    "spine1": TORSO,
    "left_knee": "left_leg",
    "right_knee": "right_leg",
    "spine2": TORSO,
    "left_ankle": "left_foot",
    "right_ankle": "right_foot",
    "spine3": TORSO,
    "left_foot": "left_foot",
    "right_foot": "right_foot",
    "neck": "head",
    "left_collar": TORSO,
    "right_collar": TORSO,
    "head": "head",
    "left_shoulder": "left_arm",
    "right_shoulder": "right_arm",
    "left_elbow": "left_arm",
    "right_elbow": "right_arm",
    "left_wrist": "left_hand",
    "right_wrist": "right_hand",
    "left_hand": "left_hand",
    "right_hand": "right_hand",
}
"""SMPL-24 joint name → body part (`TORSO`: split by normal into back / torso_front)."""

PART_INDEX: dict[str, int] = {name: i for i, name in enumerate(BODY_PARTS)}
"""Body-part name → index into `BODY_PARTS` (the value stored in label arrays)."""


def part_labels_from_weights(
    skin_weights: np.ndarray,
    rest_normals: np.ndarray,
    joint_names: tuple[str, ...] = SMPL_JOINT_NAMES,
) -> np.ndarray:
    """Label every vertex with a body part.

    Args:
        skin_weights: (V, J) float skin weights onto `joint_names`.
        rest_normals: (V, 3) float vertex normals in the rest pose, internal
            frame (+Y up, character faces +Z); only their Z sign is used.
        joint_names: the J joint names, each a key of `JOINT_PARTS`.

    Returns:
        (V,) int8 indices into `hoiexport.sdk.core.types.BODY_PARTS`.

    Raises:
        InputError: mismatched shapes or an unknown joint name.
    """
    weights = np.asarray(skin_weights)
    normals = np.asarray(rest_normals)
    if weights.ndim != 2 or weights.shape[1] != len(joint_names):
        raise InputError(f"skin_weights must be (V, {len(joint_names)}), got {weights.shape}")
    if normals.shape != (weights.shape[0], 3):
        raise InputError(f"rest_normals must be ({weights.shape[0]}, 3), got {normals.shape}")
    unknown = [n for n in joint_names if n not in JOINT_PARTS]
    if unknown:
        raise InputError(f"no body part for joint(s) {unknown}; known joints: {sorted(JOINT_PARTS)}")

    back, front = PART_INDEX["back"], PART_INDEX["torso_front"]
    joint_part = np.array([PART_INDEX.get(JOINT_PARTS[n], -1) for n in joint_names], dtype=np.int8)
    labels = joint_part[np.argmax(weights, axis=1)]
    torso = labels == -1
    labels[torso] = np.where(normals[torso, 2] < 0.0, back, front)
    return labels.astype(np.int8)
