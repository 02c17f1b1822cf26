"""Joint limits for pose refinement (a soft prior, DESIGN §7b).

Each joint's axis-angle rotation (relative to its parent, in the rest-aligned
frame of `bodies/protocol.py`) is expressed in a per-joint basis and each
component is kept inside [low, high] radians by a squared hinge penalty.

Bases: the world axes (X = the body's left, Y = up, Z = forward) for most
joints; for elbows the basis is built from the rest forearm direction a
(elbow → wrist): flexion about a × Z (positive moves the forearm forwards),
twist about a, and the third axis. Knees flex about +X (positive moves the
shank backwards), hips flex about -X (the thigh forwards is negative X).
Elbow and knee flexion bounds are shifted by the rest pose's own bend.
Limits are deliberately generous: they rule out impossible bends (knees and
elbows bending backwards, heads turned round), not unusual poses.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from hoiexport.sdk.core.skeleton import JOINT_INDEX, NUM_JOINTS

_WIDE = 3.2  # radians, effectively unlimited

# joint → (low, high) per basis axis, radians (world basis unless noted)
_LIMITS: dict[str, tuple[tuple[float, float, float], tuple[float, float, float]]] = {
    "left_hip": ((-2.5, -0.8, -0.6), (0.7, 0.8, 1.3)),
    "right_hip": ((-2.5, -0.8, -1.3), (0.7, 0.8, 0.6)),
    "left_knee": ((-0.1, -0.4, -0.2), (2.7, 0.4, 0.2)),
    "right_knee": ((-0.1, -0.4, -0.2), (2.7, 0.4, 0.2)),
    "spine1": ((-0.5, -0.6, -0.5), (1.0, 0.6, 0.5)),
    "spine2": ((-0.4, -0.5, -0.4), (0.8, 0.5, 0.4)),
    "spine3": ((-0.4, -0.5, -0.4), (0.8, 0.5, 0.4)),
    "left_ankle": ((-0.9, -0.6, -0.6), (0.9, 0.6, 0.6)),
    "right_ankle": ((-0.9, -0.6, -0.6), (0.9, 0.6, 0.6)),
    "left_foot": ((-0.6, -0.3, -0.3), (0.6, 0.3, 0.3)),
    "right_foot": ((-0.6, -0.3, -0.3), (0.6, 0.3, 0.3)),
    "neck": ((-0.7, -0.9, -0.5), (0.8, 0.9, 0.5)),
    "head": ((-0.6, -0.7, -0.4), (0.6, 0.7, 0.4)),
    "left_collar": ((-0.5, -0.5, -0.5), (0.5, 0.5, 0.5)),
    "right_collar": ((-0.5, -0.5, -0.5), (0.5, 0.5, 0.5)),
    "left_shoulder": ((-_WIDE,) * 3, (_WIDE,) * 3),
    "right_shoulder": ((-_WIDE,) * 3, (_WIDE,) * 3),
    # elbows in their (flexion, twist, third) basis
    "left_elbow": ((-0.15, -1.8, -0.35), (2.7, 1.8, 0.35)),
    "right_elbow": ((-0.15, -1.8, -0.35), (2.7, 1.8, 0.35)),
    "left_wrist": ((-1.3, -1.2, -1.3), (1.3, 1.2, 1.3)),
    "right_wrist": ((-1.3, -1.2, -1.3), (1.3, 1.2, 1.3)),
    "left_hand": ((-0.8, -0.8, -0.8), (0.8, 0.8, 0.8)),
    "right_hand": ((-0.8, -0.8, -0.8), (0.8, 0.8, 0.8)),
}


@dataclass
class JointLimits:
    """Per-joint bases and bounds.

    Attributes:
        basis: (24, 3, 3) float32; row k of basis[j] is joint j's k-th axis.
        low: (24, 3) float32 radians (-inf for the unconstrained pelvis).
        high: (24, 3) float32 radians.
    """

    basis: np.ndarray
    low: np.ndarray
    high: np.ndarray

    def penalty(self, pose: torch.Tensor) -> torch.Tensor:
        """Sum of squared violations, radians², of a (B, 24, 3) or (24, 3) pose."""
        basis = torch.as_tensor(self.basis, dtype=pose.dtype, device=pose.device)
        low = torch.as_tensor(self.low, dtype=pose.dtype, device=pose.device)
        high = torch.as_tensor(self.high, dtype=pose.dtype, device=pose.device)
        comp = torch.einsum("jkc,...jc->...jk", basis, pose)
        over = torch.relu(comp - high) + torch.relu(low - comp)
        return (over * over).sum()

    def violation(self, pose: np.ndarray) -> np.ndarray:
        """(24, 3) float64 radians by which each component of a (24, 3) pose leaves its bounds."""
        comp = np.einsum("jkc,jc->jk", self.basis.astype(np.float64), np.asarray(pose, np.float64))
        return np.maximum(comp - self.high, 0.0) + np.maximum(self.low - comp, 0.0)


def joint_limits(rest_joints: np.ndarray) -> JointLimits:
    """The joint limits of a body with these (24, 3) rest joint positions (module docstring)."""
    rest = np.asarray(rest_joints, np.float64)
    basis = np.tile(np.eye(3), (NUM_JOINTS, 1, 1))
    low = np.full((NUM_JOINTS, 3), -np.inf)
    high = np.full((NUM_JOINTS, 3), np.inf)
    for side in ("left", "right"):
        a = rest[JOINT_INDEX[f"{side}_wrist"]] - rest[JOINT_INDEX[f"{side}_elbow"]]
        a /= np.linalg.norm(a)
        flex = np.cross(a, [0.0, 0.0, 1.0])
        flex /= np.linalg.norm(flex)
        basis[JOINT_INDEX[f"{side}_elbow"]] = np.stack([flex, a, np.cross(flex, a)])
    for name, (lo, hi) in _LIMITS.items():
        low[JOINT_INDEX[name]] = lo
        high[JOINT_INDEX[name]] = hi
    # a rest pose with bent elbows / knees (Anny's A-pose) may straighten them by that much
    for joint, upper, lower in (("elbow", "shoulder", "wrist"), ("knee", "hip", "ankle")):
        for side in ("left", "right"):
            j = JOINT_INDEX[f"{side}_{joint}"]
            u = rest[j] - rest[JOINT_INDEX[f"{side}_{upper}"]]
            v = rest[JOINT_INDEX[f"{side}_{lower}"]] - rest[j]
            bend = float(np.arccos(np.clip(u @ v / (np.linalg.norm(u) * np.linalg.norm(v)), -1.0, 1.0)))
            low[j, 0] -= bend
            high[j, 0] -= bend
    return JointLimits(basis.astype(np.float32), low.astype(np.float32), high.astype(np.float32))
