"""Canonical body poses used as starting points for registration.

A pose is written as target directions of a few bones ("the right forearm
points forward"), in the body's own frame (+Y up, faces +Z, +X = its left),
and turned into SMPL-24 axis-angle for a given body by rotating each bone,
minimally, from its rest direction to the target (`aim_pose`). Building poses
this way works on any rest pose (Anny's A-pose, SMPL's T-pose).

Targets are grouped by limb (`LIMB_STATES`: each arm down / forward / bent /
up / out to the side / reaching down-forward, the legs standing / apart /
sitting / kicking / stepping / lunging, the
spine straight / bent), so a pose is one state per limb and a search can
change one limb at a time.
"""

from __future__ import annotations

import functools

import numpy as np
from hoiexport.sdk.core.skeleton import JOINT_INDEX, SMPL_PARENTS
from scipy.spatial.transform import Rotation

BONE_CHILD: dict[str, str] = {
    "left_hip": "left_knee",
    "right_hip": "right_knee",
    "left_knee": "left_ankle",
    "right_knee": "right_ankle",
    "spine1": "spine2",
    "spine2": "spine3",
    "spine3": "neck",
    "left_shoulder": "left_elbow",
    "right_shoulder": "right_elbow",
    "left_elbow": "left_wrist",
    "right_elbow": "right_wrist",
    "left_wrist": "left_hand",
    "right_wrist": "right_hand",
}
"""Joint → the joint its bone points to (the bone a target direction aims)."""


def _mirror(targets: dict[str, tuple[float, float, float]]) -> dict[str, tuple[float, float, float]]:
    """Left ↔ right mirror of bone targets (x → -x)."""
    out = {}
    for joint, (x, y, z) in targets.items():
        name = joint.replace("left_", "@").replace("right_", "left_").replace("@", "right_")
        out[name] = (-x, y, z)
    return out


_ARM_DOWN_R = {"right_shoulder": (-0.15, -1.0, 0.0), "right_elbow": (-0.05, -1.0, 0.12)}
_ARM_FORWARD_R = {"right_shoulder": (-0.1, -0.25, 1.0), "right_elbow": (0.05, 0.0, 1.0)}
_ARM_BENT_R = {"right_shoulder": (-0.1, -1.0, 0.2), "right_elbow": (0.05, -0.15, 1.0)}
_ARM_UP_R = {"right_shoulder": (-0.3, 1.0, 0.1), "right_elbow": (-0.05, 1.0, 0.0)}
_ARM_REACH_DOWN_R = {"right_shoulder": (-0.1, -0.7, 0.7), "right_elbow": (0.0, -0.6, 0.8)}
_ARM_SIDE_R = {"right_shoulder": (-1.0, -0.2, 0.0), "right_elbow": (-1.0, -0.1, 0.2)}
_LEG_SIT_R = {"right_hip": (-0.05, -0.1, 1.0), "right_knee": (0.0, -1.0, -0.05)}
_LEG_KICK_R = {"right_hip": (-0.05, -0.75, 0.65), "right_knee": (0.0, -0.7, 0.7)}
_LEG_STEP_BACK_R = {"right_hip": (-0.05, -1.0, -0.3), "right_knee": (0.0, -1.0, -0.35)}
_LEG_WIDE_R = {"right_hip": (-0.35, -1.0, 0.0), "right_knee": (-0.3, -1.0, 0.0)}
_LEG_LUNGE_FRONT_R = {"right_hip": (-0.1, -0.6, 0.8), "right_knee": (0.0, -1.0, 0.15)}
_LEG_LUNGE_BACK_R = {"right_hip": (-0.05, -0.65, -0.75), "right_knee": (0.0, -0.6, -0.8)}
_BEND = {"spine1": (0.0, 0.75, 0.65), "spine2": (0.0, 0.6, 0.8), "spine3": (0.0, 0.6, 0.8)}


def _both(right: dict) -> dict:
    return {**right, **_mirror(right)}


LIMB_STATES: dict[str, dict[str, dict[str, tuple[float, float, float]]]] = {
    "right_arm": {"rest": {}, "down": _ARM_DOWN_R, "forward": _ARM_FORWARD_R, "bent": _ARM_BENT_R,
                  "up": _ARM_UP_R, "side": _ARM_SIDE_R, "reach_down": _ARM_REACH_DOWN_R},
    "left_arm": {"rest": {}, "down": _mirror(_ARM_DOWN_R), "forward": _mirror(_ARM_FORWARD_R),
                 "bent": _mirror(_ARM_BENT_R), "up": _mirror(_ARM_UP_R), "side": _mirror(_ARM_SIDE_R),
                 "reach_down": _mirror(_ARM_REACH_DOWN_R)},
    "legs": {"stand": {}, "sit": _both(_LEG_SIT_R), "right_kick": _LEG_KICK_R, "left_kick": _mirror(_LEG_KICK_R),
             "wide": _both(_LEG_WIDE_R),
             "right_forward_step": {**_LEG_KICK_R, **_mirror(_LEG_STEP_BACK_R)},
             "left_forward_step": {**_mirror(_LEG_KICK_R), **_LEG_STEP_BACK_R},
             "right_lunge": {**_LEG_LUNGE_FRONT_R, **_mirror(_LEG_LUNGE_BACK_R)},
             "left_lunge": {**_mirror(_LEG_LUNGE_FRONT_R), **_LEG_LUNGE_BACK_R}},
    "spine": {"straight": {}, "bent": _BEND},
}
"""Limb group → state name → bone target directions (body frame). A full pose
is one state per group (`compose_targets`); `CANONICAL_POSES` are named ones."""

CANONICAL_POSES: dict[str, dict[str, str]] = {
    "rest": {},
    "stand": {"right_arm": "down", "left_arm": "down"},
    "arms_forward": {"right_arm": "forward", "left_arm": "forward"},
    "arms_bent": {"right_arm": "bent", "left_arm": "bent"},
    "arms_up": {"right_arm": "up", "left_arm": "up"},
    "right_arm_forward": {"right_arm": "forward", "left_arm": "down"},
    "left_arm_forward": {"right_arm": "down", "left_arm": "forward"},
    "right_arm_bent": {"right_arm": "bent", "left_arm": "down"},
    "left_arm_bent": {"right_arm": "down", "left_arm": "bent"},
    "sit": {"legs": "sit", "right_arm": "bent", "left_arm": "bent"},
    "sit_arms_forward": {"legs": "sit", "right_arm": "forward", "left_arm": "forward"},
    "right_kick": {"legs": "right_kick", "right_arm": "down", "left_arm": "down"},
    "left_kick": {"legs": "left_kick", "right_arm": "down", "left_arm": "down"},
    "bend_forward": {"spine": "bent", "right_arm": "down", "left_arm": "down"},
    "push": {"spine": "bent", "right_arm": "forward", "left_arm": "forward", "legs": "right_forward_step"},
    "lunge_reach": {"spine": "bent", "right_arm": "reach_down", "left_arm": "reach_down", "legs": "right_lunge"},
    "reach_forward": {"spine": "bent", "right_arm": "forward", "left_arm": "forward"},
}
"""Name → limb states (groups left out take their first state)."""


def full_states(states: dict[str, str]) -> dict[str, str]:
    """`states` with every group of `LIMB_STATES` filled in (first state by default)."""
    return {g: states.get(g, next(iter(options))) for g, options in LIMB_STATES.items()}


def compose_targets(states: dict[str, str]) -> dict[str, tuple[float, float, float]]:
    """Bone targets of one state per limb group (missing groups: their first state)."""
    out: dict[str, tuple[float, float, float]] = {}
    for group, state in full_states(states).items():
        out.update(LIMB_STATES[group][state])
    return out


def _rotation_between(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """(3, 3) minimal rotation taking unit vector a to unit vector b (Rodrigues)."""
    v = np.cross(a, b)
    c = float(a @ b)
    s = float(np.linalg.norm(v))
    if s < 1e-12:
        if c > 0:
            return np.eye(3)
        axis = np.cross(a, [1.0, 0.0, 0.0] if abs(a[0]) < 0.9 else [0.0, 1.0, 0.0])
        axis /= np.linalg.norm(axis)
        return 2.0 * np.outer(axis, axis) - np.eye(3)  # half turn about an axis normal to a
    k = np.array([[0.0, -v[2], v[1]], [v[2], 0.0, -v[0]], [-v[1], v[0], 0.0]])
    return np.eye(3) + k + k @ k * ((1.0 - c) / (s * s))


_JOINT_NAMES = {i: n for n, i in JOINT_INDEX.items()}


def aim_pose(rest_joints: np.ndarray, targets: dict[str, tuple[float, float, float]]) -> np.ndarray:
    """SMPL-24 axis-angle pose that points bones at target directions.

    Args:
        rest_joints: (24, 3) rest joint positions of the body (its shape), metres.
        targets: joint name (a key of `BONE_CHILD`) → direction its bone should
            point in, in the body frame (need not be unit).

    Returns:
        (24, 3) float32 axis-angle radians (row 0, the global orientation, is 0).
        Each listed bone gets the minimal world rotation from its rest direction
        to its target; unlisted joints keep their parent's world rotation.
    """
    rest = np.asarray(rest_joints, np.float64)
    world = np.tile(np.eye(3), (24, 1, 1))
    local = np.tile(np.eye(3), (24, 1, 1))
    for j in range(24):
        parent = int(SMPL_PARENTS[j])
        parent_rot = world[parent] if parent >= 0 else np.eye(3)
        name = _JOINT_NAMES[j]
        if name in targets:
            d0 = rest[JOINT_INDEX[BONE_CHILD[name]]] - rest[j]
            target = np.asarray(targets[name], np.float64)
            world[j] = _rotation_between(d0 / np.linalg.norm(d0), target / np.linalg.norm(target))
            local[j] = parent_rot.T @ world[j]
        else:
            world[j] = parent_rot
    return Rotation.from_matrix(local).as_rotvec().astype(np.float32)


def canonical_poses(rest_joints: np.ndarray) -> dict[str, np.ndarray]:
    """Every pose of `CANONICAL_POSES` for a body: name → (24, 3) float32 axis-angle."""
    return {name: aim_pose(rest_joints, compose_targets(states)) for name, states in CANONICAL_POSES.items()}


@functools.lru_cache(maxsize=1)
def _library_poses() -> tuple[tuple[str, np.ndarray], ...]:
    from hoiexport.sdk.bodies.pose_library import POSES, sample_pose

    out: list[tuple[str, np.ndarray]] = []
    for name in POSES:
        for side in ("right", "left"):
            pose = np.asarray(sample_pose(name, side, np.random.default_rng(0), noise=0.0), np.float32)
            if not any(np.allclose(pose, other, atol=1e-6) for _, other in out):  # symmetric poses once
                out.append((f"{name}/{side}", pose))
    return tuple(out)


def action_library_poses() -> dict[str, np.ndarray]:
    """The action pose library's poses (`bodies.pose_library`) as registration candidates.

    Each library pose (`bodies.pose_library.POSES`) as authored and mirrored,
    without seeded variation; a symmetric pose appears once.

    Returns:
        "name/side" → (24, 3) float32 axis-angle radians (row 0 holds the
        pose's own pelvis tilt, e.g. a lean; no yaw).
    """
    return {name: pose.copy() for name, pose in _library_poses()}
