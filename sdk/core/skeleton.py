"""The SMPL-24 export skeleton (DESIGN §5): joint names, parents, helpers."""

from __future__ import annotations

import numpy as np

SMPL_JOINT_NAMES: tuple[str, ...] = (
    "pelvis",
    "left_hip",
    "right_hip",
    "spine1",
    "left_knee",
    "right_knee",
    "spine2",
    "left_ankle",
    "right_ankle",
    "spine3",
    "left_foot",
    "right_foot",
    "neck",
    "left_collar",
    "right_collar",
    "head",
    "left_shoulder",
    "right_shoulder",
    "left_elbow",
    "right_elbow",
    "left_wrist",
    "right_wrist",
    "left_hand",
    "right_hand",
)
"""SMPL-24 joint names in SMPL order; index 0 (pelvis) is the root."""

SMPL_PARENTS: np.ndarray = np.array(
    [-1, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 9, 9, 12, 13, 14, 16, 17, 18, 19, 20, 21],
    dtype=np.int32,
)
"""(24,) int32 parent index of each SMPL-24 joint, -1 for the pelvis."""

NUM_JOINTS = len(SMPL_JOINT_NAMES)
JOINT_INDEX: dict[str, int] = {n: i for i, n in enumerate(SMPL_JOINT_NAMES)}
