"""The action pose library: pose priors on the SMPL-24 skeleton (compose stages them, lift scores them).

Every prior is a table of joint rotations, authored for the right side (a
left-handed or left-footed interaction uses the mirror image, `mirror_rotations`).

Units and axes. A rotation is three intrinsic X-Y-Z Euler angles in degrees,
`R = Rx(x) @ Ry(y) @ Rz(z)`, of a joint's frame relative to its parent, about the
joint, *relative to Anny's rest pose* (`hoiexport.sdk.bodies.anny_body`): the
A-pose with the arms ~45° down and the forearms slightly bent forward, every
joint frame aligned with the internal frame (+X the character's left, +Y up,
+Z the direction the character faces). Joints left out of a table keep their
rest rotation. Signs, seen from the internal frame:

- +X rotates +Y towards +Z: a limb hanging down swings backwards (knee flexion
  is +X, hip flexion -X), a bone pointing up tips forwards (spine flexion +X).
- +Y turns +Z towards +X (the character's left), about the vertical.
- +Z turns +X towards +Y: the left arm rises, the right arm drops
  (so -35° on the left shoulder and +35° on the right bring both arms down
  from the A-pose to the sides).

Variation: `sample_pose` adds seeded Gaussian noise (`NOISE_DEG`, per axis,
clipped at 2 sigma) to the table, so different seeds give different poses.

Joint limits (`JOINT_LIMITS`): each joint's rotation angle from rest is at most
`max_deg`; hinge-like joints (knees) also bound their Euler angles. The
placement optimiser penalises anything outside them; every library pose lies
inside (tests check it).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
from scipy.spatial.transform import Rotation

from hoiexport.sdk.core.errors import InputError
from hoiexport.sdk.core.skeleton import JOINT_INDEX, NUM_JOINTS, SMPL_JOINT_NAMES

Euler = tuple[float, float, float]
"""Intrinsic X-Y-Z Euler angles, degrees (module docstring)."""

Side = Literal["right", "left"]

CHAINS: dict[str, tuple[str, ...]] = {
    "root": ("pelvis",),
    "spine": ("spine1", "spine2", "spine3"),
    "head": ("neck", "head"),
    "right_arm": ("right_collar", "right_shoulder", "right_elbow", "right_wrist"),
    "left_arm": ("left_collar", "left_shoulder", "left_elbow", "left_wrist"),
    "right_leg": ("right_hip", "right_knee", "right_ankle"),
    "left_leg": ("left_hip", "left_knee", "left_ankle"),
    "hips": ("left_hip", "right_hip"),
}
"""Named joint groups a pose lets the placement optimiser move."""

_ARMS_DOWN: dict[str, Euler] = {
    "right_shoulder": (2, 0, 35),
    "right_elbow": (37, -8, 0),
    "right_wrist": (-1, -3, -3),
    "right_hand": (-2, -7, -8),
    "left_shoulder": (2, 0, -35),
    "left_elbow": (37, 8, 0),
    "left_wrist": (-1, 3, 3),
    "left_hand": (-2, 7, 8),
}
"""Both arms relaxed at the sides, palms facing the thighs."""

_LIE_ARMS: dict[str, Euler] = {
    "right_shoulder": (-14, 7, 35), "right_elbow": (-58, 69, 82), "right_wrist": (-1, -3, -3),
    "right_hand": (-2, -7, -8), "left_shoulder": (-14, -7, -35), "left_elbow": (-48, -74, -72),
    "left_wrist": (-1, 3, 3), "left_hand": (-2, 7, 8),
}
"""Forearms folded across the belly (lying on the back)."""

_STANCE: dict[str, Euler] = {
    "right_hip": (0, 0, 4), "left_hip": (0, 0, -4), "right_ankle": (0, 0, -4), "left_ankle": (0, 0, 4),
}
"""Standing with the feet about hip width apart, soles flat (Anny's rest pose spreads
the legs ~6° each; this brings them in by 4°)."""

_HANDS_ON_THIGHS: dict[str, Euler] = {
    "right_shoulder": (24, 21, 21), "right_elbow": (10, 48, -62), "right_wrist": (8, 10, -44),
    "right_hand": (-3, -8, -9), "left_shoulder": (24, -21, -21), "left_elbow": (10, -48, 63),
    "left_wrist": (8, -10, 44), "left_hand": (-3, 8, 9),
}
"""Seated upright (`sit`): both palms resting on the thighs, 60 % of the way to the knees."""

_HANDS_ON_KNEES: dict[str, Euler] = {
    "right_shoulder": (-23, 21, 14), "right_elbow": (-5, 43, 7), "right_wrist": (-4, 40, 15),
    "right_hand": (-3, -8, -9), "left_shoulder": (-23, -21, -14), "left_elbow": (-5, -43, -7),
    "left_wrist": (-4, -40, -15), "left_hand": (-3, 8, 9),
}
"""Seated on the floor with the knees up (`sit_floor`): the hands resting on the knees."""

_SIT_LEGS: dict[str, Euler] = {
    "right_hip": (-85, 9, 0), "left_hip": (-85, -9, 0), "right_knee": (78, 1, 13), "left_knee": (78, -1, -13),
    "right_ankle": (-7, 2, 0), "left_ankle": (-7, -2, 0),
}
"""Seated on a chair: hips and knees bent ~90°."""

_LEAN_LEGS: dict[str, Euler] = {**_STANCE, "right_ankle": (10, 0, -4), "left_ankle": (10, 0, 4)}
"""The stance of a body inclined 10° backwards: the ankles turn the soles back flat."""

LEAN_LOWER: dict[str, Euler] = {"right_hip": (-1, 0, 0), "left_hip": (-1, 0, 0),
                                "right_knee": (1, 0, 0), "left_knee": (1, 0, 0)}
"""How the `lean_back` pose lowers itself per degree of thigh tilt α (the staging of
a lean against a low vertical side, `interaction._lean_side`): the thighs tip α
forwards, the knees bend α, so the shins stay upright and the soles flat."""

LEAN_SIDE_TILT: dict[str, Euler] = {"pelvis": (0, 0, 1), "right_ankle": (0, 0, -1), "left_ankle": (0, 0, -1)}
"""How `lean_side` tilts the whole body towards its right per degree, the soles kept
flat (`interaction._lean_side` brings the forearm to the support's height)."""

LEAN_FOREARMS_BEND: dict[str, Euler] = {"pelvis": (1, 0, 0), "right_hip": (-1, 0, 0), "left_hip": (-1, 0, 0)}
"""How `lean_forearms` bends further forward at the hips per degree, the legs kept
upright (`interaction._forearms` brings the forearms to the top's height)."""

UNDER_ARM_RAISE: dict[str, Euler] = {"right_shoulder": (0, 0, -1)}
"""How `carry_under_arm` raises the upper arm sideways per degree, to make room for
the object (`interaction._under_arm`)."""

REST_FOOT_RAISE: dict[str, Euler] = {"right_hip": (-1, 0, 0), "right_knee": (1, 0, 0)}
"""How `rest_foot` raises the foot per degree: the hip flexes, the knee bends as much
(the shin keeps its direction); staged to the support's height (`interaction._foot_on`)."""


@dataclass(frozen=True)
class PosePrior:
    """One pose of the action library (authored for the right side).

    Attributes:
        name: pose name.
        rotations: joint name → `Euler` (degrees, relative to the rest pose).
        chains: names in `CHAINS` the placement optimiser may move.
        description: what the pose shows.
        flexibility: factor on `PRIOR_SIGMA_DEG` for this pose (a pose that
            must adapt to the object's height is more flexible).
    """

    name: str
    rotations: dict[str, Euler]
    chains: tuple[str, ...]
    description: str
    flexibility: float = 1.0

    @property
    def free_joints(self) -> tuple[str, ...]:
        """Joint names of `chains`."""
        return tuple(j for c in self.chains for j in CHAINS[c])


_PUSH_LOW_ONE_HAND: dict[str, Euler] = {
    **_ARMS_DOWN, "left_shoulder": (-30, 0, -35), "spine1": (18, 0, 0), "spine2": (22, 0, 0), "spine3": (-10, 0, 0),
    "right_hip": (-22, 2, 2),
    "left_hip": (-7, -1, -2), "right_knee": (27, -2, 2), "left_knee": (22, 2, -1), "right_shoulder": (-60, 29, 35),
    "right_elbow": (77, 11, -23), "right_wrist": (-4, -7, -8), "right_hand": (-5, -12, -12),
}

POSES: dict[str, PosePrior] = {
    p.name: p
    for p in (
        PosePrior("stand", {**_ARMS_DOWN, **_STANCE}, ("spine", "right_arm", "left_arm"),
                  "standing, arms relaxed at the sides, feet hip width apart"),
        PosePrior("stand_on", {**_ARMS_DOWN, "right_hip": (4, 0, 6), "left_hip": (4, 0, -6),
                               "right_knee": (-8, 1, -1), "left_knee": (-8, -1, 1)},
                  ("spine", "right_leg", "left_leg"), "standing with the feet together (on top of an object)"),
        PosePrior("carry", {**_ARMS_DOWN, **_STANCE, "right_shoulder": (1, 0, 20), "right_elbow": (44, -13, 2),
                            "right_hand": (-14, 50, 60)},
                  ("spine", "right_arm"),
                  "right arm hanging, abducted ~20°, fingers curled ~75° around a handle"),
        PosePrior("hold", {**_ARMS_DOWN, **_STANCE, "right_shoulder": (-12, 6, 33), "right_elbow": (-17, 26, -2),
                           "right_hand": (2, 9, 8)},
                  ("spine", "right_arm"),
                  "right forearm forward at the waist, thumb up, fingers curled ~35°"),
        PosePrior("hold_palm_up", {**_ARMS_DOWN, **_STANCE, "right_shoulder": (-12, 6, 33),
                                   "right_elbow": (-34, -35, 64)},
                  ("spine", "right_arm"), "right forearm forward, palm up (an object resting on the hand)"),
        PosePrior("hold_two_hands", {**_STANCE, "right_shoulder": (-14, 8, 33), "right_elbow": (-14, 26, 0),
                                     "right_wrist": (-1, -3, -3), "right_hand": (-1, -4, -5),
                                     "left_shoulder": (-14, -8, -33), "left_elbow": (-14, -26, 0),
                                     "left_wrist": (-1, 3, 3), "left_hand": (-1, 4, 5)},
                  ("spine", "right_arm", "left_arm"),
                  "both forearms forward at the waist, palms facing each other"),
        PosePrior("lift", {"spine1": (8, 0, 0), "spine2": (14, 0, 0), "right_hip": (-12, 1, 2),
                           "left_hip": (-12, -1, -2), "right_knee": (11, -1, 1), "left_knee": (11, 1, -1),
                           "right_shoulder": (-43, 20, 36), "right_elbow": (3, -6, -2),
                           "right_wrist": (-1, -3, -3), "right_hand": (-1, -4, -4),
                           "left_shoulder": (-43, -20, -36), "left_elbow": (3, 6, 2),
                           "left_wrist": (-1, 3, 3), "left_hand": (-1, 4, 4)},
                  ("spine", "right_arm", "left_arm", "right_leg", "left_leg"),
                  "trunk bent ~20°, knees bent, both arms reaching down-forward, palms facing each other"),
        PosePrior("push", {"spine1": (5, 0, 0), "spine2": (16, 0, 0), "right_hip": (-15, 1, 2),
                           "left_hip": (16, 1, -2), "right_knee": (5, 0, 1), "left_knee": (-6, 0, -1),
                           "right_shoulder": (-79, 42, 34), "right_elbow": (24, -15, -6),
                           "right_wrist": (-36, 5, -25), "right_hand": (-9, -13, -15),
                           "left_shoulder": (-79, -42, -34), "left_elbow": (24, 15, 6),
                           "left_wrist": (-36, -5, 25), "left_hand": (-9, 13, 15)},
                  ("spine", "right_arm", "left_arm", "right_leg", "left_leg"),
                  "leaning into a push: arms forward, palms forward, right foot forward, left foot back"),
        PosePrior("push_one_hand", {**_ARMS_DOWN, "left_shoulder": (-17, 0, -35), "spine1": (5, 0, 0),
                                    "spine2": (12, 0, 0),
                                    "right_hip": (-15, 1, 2), "left_hip": (16, 1, -2), "right_knee": (5, 0, 1),
                                    "left_knee": (-6, 0, -1), "right_shoulder": (-79, 42, 34),
                                    "right_elbow": (24, -15, -6), "right_wrist": (-36, 5, -25),
                                    "right_hand": (-9, -13, -15)},
                  ("spine", "right_arm", "right_leg", "left_leg"),
                  "pressing with the right hand: right arm forward, palm forward, left arm hanging"),
        PosePrior("push_low", {"spine1": (18, 0, 0), "spine2": (22, 0, 0), "spine3": (-10, 0, 0),
                               "right_hip": (-22, 2, 2), "left_hip": (-7, -1, -2), "right_knee": (27, -2, 2),
                               "left_knee": (22, 2, -1), "right_shoulder": (-60, 29, 35),
                               "right_elbow": (77, 11, -23), "right_wrist": (-4, -7, -8), "right_hand": (-5, -12, -12),
                               "left_shoulder": (-60, -29, -35), "left_elbow": (77, -11, 23),
                               "left_wrist": (-4, 7, 8), "left_hand": (-5, 12, 12)},
                  ("spine", "right_arm", "left_arm", "hips"),
                  "bent over ~35° with bent knees, both hands reaching down-forward (pressing on a low object)",
                  2.0),
        PosePrior("push_low_one_hand", dict(_PUSH_LOW_ONE_HAND),
                  ("spine", "right_arm", "hips"),
                  "bent over ~35° with bent knees, the right hand reaching down-forward, the left arm hanging",
                  2.0),
        PosePrior("drag", {**_ARMS_DOWN, **_STANCE, "spine1": (6, 0, 0), "right_shoulder": (22, -11, 26),
                           "right_elbow": (52, -10, -6), "right_hand": (-11, 47, 55)},
                  ("spine", "right_arm"),
                  "walking away from the object, right arm reaching back-down, fingers hooked"),
        PosePrior("pull", {**_ARMS_DOWN, "spine1": (-12, 0, 0), "right_hip": (-10, 1, 2), "left_hip": (10, 0, -2),
                           "right_shoulder": (-43, 21, 33), "right_elbow": (72, 6, -50),
                           "right_wrist": (-1, -3, -3), "right_hand": (-1, -2, -2),
                           "left_shoulder": (13, 5, -35), "left_elbow": (40, 5, 2)},
                  ("spine", "right_arm", "right_leg", "left_leg"),
                  "facing the object, leaning back, right arm reaching forward, palm down to hook a bar"),
        PosePrior("kick", {"right_hip": (-24, 2, 1), "right_knee": (1, 0, 2), "right_ankle": (30, 1, 2),
                           "left_hip": (0, 0, -4), "left_ankle": (0, 0, 4),
                           "right_shoulder": (6, -3, 15), "right_elbow": (34, -10, -3),
                           "right_wrist": (-1, -3, -3), "right_hand": (-3, -8, -8),
                           "left_shoulder": (-8, -5, -20), "left_elbow": (31, 11, -5),
                           "left_wrist": (-1, 3, 3), "left_hand": (-2, 7, 8)},
                  ("right_leg", "left_leg", "spine"),
                  "right leg swung forward, toes pointed, arms out for balance"),
        PosePrior("lean_back", {**_ARMS_DOWN, **_LEAN_LEGS, "pelvis": (-10, 0, 0)},
                  ("root", "spine", "right_leg", "left_leg"),
                  "whole body inclined ~10° backwards, soles flat, arms relaxed at the sides "
                  "(`LEAN_LOWER` lowers it for a low support)"),
        PosePrior("wear_on_back", {**_STANCE, "right_shoulder": (-4, 3, 28), "right_elbow": (-90, 54, 40),
                                   "right_wrist": (-1, -3, -3), "right_hand": (2, 20, 19),
                                   "left_shoulder": (-4, -3, -28), "left_elbow": (-90, -54, -40),
                                   "left_wrist": (-1, 3, 3), "left_hand": (2, -20, -19)},
                  ("spine", "right_arm", "left_arm"),
                  "standing, hands at the chest as if holding shoulder straps"),
        PosePrior("sit", {**_SIT_LEGS, **_HANDS_ON_THIGHS},
                  ("spine", "right_leg", "left_leg", "right_arm", "left_arm"),
                  "sitting: hips and knees bent ~90°, palms resting on the thighs"),
        PosePrior("sit_back", {"pelvis": (-12, 0, 0), "right_hip": (-73, 9, 0), "left_hip": (-73, -9, 0),
                               "right_knee": (78, 1, 13), "left_knee": (78, -1, -13),
                               "right_ankle": (-7, 2, 0), "left_ankle": (-7, -2, 0),
                               "right_shoulder": (16, 24, 22), "right_elbow": (15, 40, -53),
                               "right_wrist": (9, 11, -40), "right_hand": (-3, -8, -9),
                               "left_shoulder": (16, -24, -22), "left_elbow": (15, -40, 53),
                               "left_wrist": (9, -11, 40), "left_hand": (-3, 8, 9)},
                  ("spine", "right_leg", "left_leg", "right_arm", "left_arm"),
                  "sitting reclined ~12° against a backrest: the pelvis tips back, the hips open by as "
                  "much so the thighs stay on the seat, palms resting on the thighs"),
        PosePrior("lie", {**_LIE_ARMS, "right_knee": (85, 0, 0), "left_knee": (85, 0, 0)},
                  ("spine", "right_arm", "left_arm", "right_leg", "left_leg"),
                  "lying on the back (the placement rotates the body), forearms folded on the belly, "
                  "knees bent ~85° so the lower legs hang over the end of the support"),
        PosePrior("lie_flat", dict(_LIE_ARMS), ("spine", "right_arm", "left_arm", "right_leg", "left_leg"),
                  "lying flat on the back (the placement rotates the body), forearms folded on the belly"),
        # ---- issue #15 actions
        PosePrior("rest_foot", {**_ARMS_DOWN, "right_hip": (-75, 0, 2), "right_knee": (90, 0, 0),
                                "right_ankle": (-10, 0, -2), "left_hip": (0, 0, -3), "left_ankle": (0, 0, 3),
                                "right_shoulder": (-2, 28, 35), "right_elbow": (26, 19, -52),
                                "right_wrist": (4, -3, -49)},
                  ("spine", "right_leg", "left_leg", "left_arm"),
                  "standing on the left leg, the right foot raised onto a support (`REST_FOOT_RAISE` sets "
                  "its height), the right palm resting on the raised knee, the left arm relaxed"),
        PosePrior("step_on", {"right_hip": (-12, 0, 5), "right_knee": (16, 0, 0), "right_ankle": (-4, 0, -5),
                              "left_hip": (-6, 0, -5), "left_knee": (8, 0, 0), "left_ankle": (-2, 0, 5),
                              "spine1": (4, 0, 0), "right_shoulder": (-10, 0, 25), "right_elbow": (25, -8, 0),
                              "right_wrist": (-1, -3, -3), "right_hand": (-2, -7, -8),
                              "left_shoulder": (5, 0, -25), "left_elbow": (25, 8, 0),
                              "left_wrist": (-1, 3, 3), "left_hand": (-2, 7, 8)},
                  ("spine", "right_leg", "left_leg"),
                  "just stepped up onto a top: both feet on it, knees soft, arms a little out for balance"),
        PosePrior("lean_side", {**_ARMS_DOWN, **_STANCE, "right_shoulder": (-14, 18, 37),
                                "right_elbow": (24, 8, -35), "right_wrist": (-3, -7, -38)},
                  ("spine", "right_arm", "right_leg", "left_leg"),
                  "standing beside the support, the right forearm resting across its top at elbow height, "
                  "the left arm relaxed"),
        PosePrior("lean_side_shoulder", {**_ARMS_DOWN, **_STANCE, "pelvis": (0, 0, 8), "right_shoulder": (2, 0, 42),
                                         "right_hip": (0, 0, -4), "left_hip": (0, 0, -12),
                                         "right_ankle": (0, 0, -4), "left_ankle": (0, 0, 4)},
                  ("root", "spine", "right_arm", "right_leg", "left_leg"),
                  "inclined ~8° to the right, the right shoulder and upper arm against a tall side, arms relaxed"),
        PosePrior("lean_forearms", {**_ARMS_DOWN, "pelvis": (64, 0, 0), "spine1": (6, 0, 0), "spine2": (6, 0, 0),
                                    "neck": (-25, 0, 0), "head": (-20, 0, 0),
                                    "right_hip": (-60, 0, 4), "left_hip": (-60, 0, -4),
                                    "right_knee": (8, 0, 0), "left_knee": (8, 0, 0),
                                    "right_ankle": (-4, 0, -4), "left_ankle": (-4, 0, 4),
                                    "right_shoulder": (-74, -4, 46), "right_elbow": (-35, 34, 25),
                                    "right_wrist": (55, 40, -60), "left_shoulder": (-74, 3, -45),
                                    "left_elbow": (-36, -34, -24), "left_wrist": (55, -40, 60)},
                  ("spine", "right_arm", "left_arm", "hips"),
                  "bent forward at the hips (~70°, `interaction._forearms` fits it to the top's height), both "
                  "forearms flat on a top, pointing ahead, palms down, the head up", 1.5),
        PosePrior("sit_floor", {**_HANDS_ON_KNEES, "pelvis": (-7, 0, 0), "right_hip": (-117, 8, 8),
                                "left_hip": (-117, -8, -8), "right_knee": (61, 0, 0), "left_knee": (61, 0, 0),
                                "right_ankle": (7, 0, 0), "left_ankle": (7, 0, 0)},
                  ("spine", "right_arm", "left_arm"),
                  "sitting on the floor, knees up, feet flat, the hands resting on the knees"),
        PosePrior("kneel", {**_ARMS_DOWN, "right_hip": (-5, 0, 3), "left_hip": (-5, 0, -3),
                            "right_knee": (95, 0, 0), "left_knee": (95, 0, 0),
                            "right_ankle": (40, 0, 0), "left_ankle": (40, 0, 0)},
                  ("spine", "right_arm", "left_arm"),
                  "kneeling upright on both knees, the shins flat behind, arms relaxed at the sides"),
        PosePrior("squat", {"spine1": (10, 0, 0), "spine2": (10, 0, 0), "right_hip": (-105, 14, 12),
                            "left_hip": (-105, -14, -12), "right_knee": (135, 0, 0), "left_knee": (135, 0, 0),
                            "right_ankle": (-35, 0, 0), "left_ankle": (-35, 0, 0),
                            "right_shoulder": (-41, 27, 23), "right_elbow": (8, 39, -12), "right_wrist": (5, 37, 2),
                            "right_hand": (-3, -8, -9), "left_shoulder": (-41, -27, -23), "left_elbow": (8, -39, 12),
                            "left_wrist": (5, -37, -2), "left_hand": (-3, 8, 9)},
                  ("spine", "right_arm", "left_arm"),
                  "deep squat, heels down, knees apart, the forearms resting on the knees"),
        PosePrior("crouch", {"spine1": (15, 0, 0), "spine2": (15, 0, 0), "spine3": (5, 0, 0),
                             "right_hip": (-100, 6, 8), "left_hip": (-100, -6, -8), "right_knee": (140, 0, 0),
                             "left_knee": (140, 0, 0), "right_ankle": (-12, 0, 0), "left_ankle": (-12, 0, 0),
                             "right_shoulder": (-43, 28, 16), "right_elbow": (-4, 42, -12), "right_wrist": (1, 37, 5),
                             "right_hand": (-3, -8, -9), "left_shoulder": (-43, -28, -15), "left_elbow": (-4, -42, 12),
                             "left_wrist": (1, -37, -5), "left_hand": (-3, 8, 9)},
                  ("spine", "right_arm", "left_arm"),
                  "crouching low on the balls of the feet, trunk forward, the hands hanging before the knees"),
        PosePrior("hug", {**_STANCE, "right_shoulder": (-19, 2, 22), "right_elbow": (-28, 35, 29),
                          "right_wrist": (-16, 24, 26), "right_hand": (-8, -10, -12),
                          "left_shoulder": (-19, -2, -22), "left_elbow": (-28, -35, -29),
                          "left_wrist": (-16, -24, -26), "left_hand": (-8, 10, 12)},
                  ("spine", "right_arm", "left_arm"),
                  "both arms around an object held against the chest, the hands behind its sides"),
        PosePrior("grab", {**_ARMS_DOWN, **_STANCE, "left_shoulder": (-18, 0, -35), "spine1": (8, 0, 0),
                           "spine2": (10, 0, 0),
                           "right_hip": (-8, 0, 4), "left_hip": (4, 0, -4), "right_shoulder": (-45, 31, 40),
                           "right_elbow": (61, -4, -14), "right_wrist": (-1, -3, -41), "right_hand": (-14, 50, 60)},
                  ("spine", "right_arm", "hips"),
                  "leaning a little forward, the right arm reaching down-forward to take hold, the left arm relaxed"),
        PosePrior("grab_low", {**_ARMS_DOWN, "pelvis": (35, 0, 0), "spine1": (12, 0, 0), "spine2": (12, 0, 0),
                               "neck": (-15, 0, 0), "head": (-10, 0, 0), "right_hip": (-82, 2, 4),
                               "left_hip": (-72, -2, -4), "right_knee": (82, 0, 0), "left_knee": (72, 0, 0),
                               "right_ankle": (-35, 0, -4), "left_ankle": (-35, 0, 4),
                               "left_shoulder": (-55, 0, -35), "right_shoulder": (-75, 34, 42),
                               "right_elbow": (62, -4, -14), "right_wrist": (-1, -3, -40),
                               "right_hand": (-5, -12, -12)},
                  ("spine", "right_arm", "hips"),
                  "bent over ~60° with the knees bent ~80°, the right hand reaching down to take hold of a low "
                  "object, the left arm hanging", 2.0),
        PosePrior("raise_overhead", {**_STANCE, "right_shoulder": (-162, 61, 33), "right_elbow": (27, -31, 14),
                                     "right_wrist": (-14, -24, 12), "right_hand": (-1, -4, -5),
                                     "left_shoulder": (-162, -61, -33), "left_elbow": (27, 31, -14),
                                     "left_wrist": (-14, 23, -12), "left_hand": (-1, 4, 5)},
                  ("spine", "right_arm", "left_arm"),
                  "both arms raised, the hands above the head about shoulder width apart, palms facing each other"),
        PosePrior("hold_out", {**_ARMS_DOWN, **_STANCE, "right_shoulder": (-79, 3, 42), "right_elbow": (44, -15, 2),
                               "right_wrist": (-4, -7, -7), "right_hand": (2, 9, 8)},
                  ("spine", "right_arm"),
                  "the right arm extended forward at shoulder height, thumb up, the left arm relaxed"),
        PosePrior("hold_out_palm_up", {**_ARMS_DOWN, **_STANCE, "right_shoulder": (-67, -30, 46),
                                       "right_elbow": (24, -23, 17), "right_wrist": (-13, -15, 20)},
                  ("spine", "right_arm"),
                  "the right arm extended forward, palm up (an object resting on the hand), the left arm relaxed"),
        PosePrior("throw", {**_ARMS_DOWN, "pelvis": (0, -20, 0), "spine2": (0, -10, 0),
                            "right_hip": (12, 20, 6), "left_hip": (-18, 20, -4), "right_knee": (5, 0, 0),
                            "left_knee": (10, 0, 0), "right_shoulder": (-58, 13, -32), "right_elbow": (-48, 28, -42),
                            "right_wrist": (-25, -8, -7), "left_shoulder": (-70, -20, -30), "left_elbow": (30, 8, 0)},
                  ("spine", "right_arm"),
                  "winding up to throw: turned ~20° to the right, left foot forward, the right hand behind "
                  "the head palm forward, the left arm pointing ahead"),
        PosePrior("point_at", {**_ARMS_DOWN, **_STANCE, "right_shoulder": (-56, 5, 31), "right_elbow": (45, -17, 4),
                               "right_wrist": (-6, -10, -9), "right_hand": (-14, 50, 60)},
                  ("spine",),
                  "the right arm stretched out pointing ahead and down, the fingers curled, the left arm relaxed"),
        PosePrior("carry_shoulder", {**_ARMS_DOWN, **_STANCE, "neck": (0, 0, -8), "right_shoulder": (-73, -1, 2),
                                     "right_elbow": (-78, 34, 12), "right_wrist": (-29, -10, 2)},
                  ("spine", "right_arm", "head"),
                  "an object resting on the right shoulder, the right hand raised beside the head steadying it, "
                  "the head tilted away, the left arm relaxed"),
        PosePrior("carry_under_arm", {**_ARMS_DOWN, **_STANCE, "right_shoulder": (-5, 0, 8),
                                      "right_elbow": (8, 25, 16), "right_wrist": (-20, 30, 40)},
                  ("spine", "right_arm"),
                  "an object held against the right side of the chest under the upper arm, the forearm "
                  "wrapped round its front, the left arm relaxed"),
    )
}
"""Pose name → prior. Which pose an interaction uses is decided by
`hoiexport.sdk.generators.compose.interaction` from the action, the contact and the object."""

NOISE_DEG: dict[str, float] = {
    "pelvis": 1.5, "spine1": 2.0, "spine2": 2.0, "spine3": 2.0, "neck": 5.0, "head": 6.0,
    "left_collar": 1.5, "right_collar": 1.5, "left_shoulder": 4.0, "right_shoulder": 4.0,
    "left_elbow": 5.0, "right_elbow": 5.0, "left_wrist": 4.0, "right_wrist": 4.0,
    "left_hand": 4.0, "right_hand": 4.0, "left_hip": 2.5, "right_hip": 2.5,
    "left_knee": 3.0, "right_knee": 3.0, "left_ankle": 2.0, "right_ankle": 2.0,
    "left_foot": 2.0, "right_foot": 2.0,
}
"""Standard deviation of the seeded per-axis variation, degrees."""


PRIOR_SIGMA_DEG: dict[str, float] = {
    "pelvis": 6.0, "spine1": 5.0, "spine2": 5.0, "spine3": 5.0, "neck": 10.0, "head": 10.0,
    "left_collar": 5.0, "right_collar": 5.0, "left_shoulder": 20.0, "right_shoulder": 20.0,
    "left_elbow": 20.0, "right_elbow": 20.0, "left_wrist": 15.0, "right_wrist": 15.0,
    "left_hand": 10.0, "right_hand": 10.0, "left_hip": 12.0, "right_hip": 12.0,
    "left_knee": 15.0, "right_knee": 15.0, "left_ankle": 10.0, "right_ankle": 10.0,
    "left_foot": 10.0, "right_foot": 10.0,
}
"""How far the placement may move each free joint from its prior: the scale (degrees)
of the quadratic prior ((angle difference / sigma)²)."""


@dataclass(frozen=True)
class JointLimit:
    """Range of motion of one joint, relative to the rest pose.

    Attributes:
        max_deg: largest rotation angle from rest, degrees.
        euler_min: optional lower bounds of the X, Y, Z Euler angles, degrees.
        euler_max: optional upper bounds, degrees.
    """

    max_deg: float
    euler_min: Euler | None = None
    euler_max: Euler | None = None


JOINT_LIMITS: dict[str, JointLimit] = {
    "pelvis": JointLimit(180.0),
    "spine1": JointLimit(35.0), "spine2": JointLimit(35.0), "spine3": JointLimit(30.0),
    "neck": JointLimit(45.0), "head": JointLimit(45.0),
    "left_collar": JointLimit(25.0), "right_collar": JointLimit(25.0),
    "left_shoulder": JointLimit(150.0), "right_shoulder": JointLimit(150.0),
    "left_elbow": JointLimit(160.0), "right_elbow": JointLimit(160.0),
    "left_wrist": JointLimit(80.0), "right_wrist": JointLimit(80.0),
    "left_hand": JointLimit(100.0), "right_hand": JointLimit(100.0),
    "left_hip": JointLimit(130.0), "right_hip": JointLimit(130.0),
    "left_knee": JointLimit(150.0, (-15.0, -25.0, -25.0), (150.0, 25.0, 25.0)),
    "right_knee": JointLimit(150.0, (-15.0, -25.0, -25.0), (150.0, 25.0, 25.0)),
    "left_ankle": JointLimit(50.0), "right_ankle": JointLimit(50.0),
    "left_foot": JointLimit(40.0), "right_foot": JointLimit(40.0),
}
"""Joint name → `JointLimit` (SMPL-24; the pelvis is the global orientation)."""


def _mirror_name(name: str) -> str:
    if name.startswith("right_"):
        return "left_" + name[len("right_"):]
    if name.startswith("left_"):
        return "right_" + name[len("left_"):]
    return name


def mirror_rotations(rotations: dict[str, Euler]) -> dict[str, Euler]:
    """The mirror image of a rotation table across the body's midplane (x → -x).

    Left and right joints swap; reflecting Rx(a) Ry(b) Rz(c) by diag(-1, 1, 1)
    gives Rx(a) Ry(-b) Rz(-c).
    """
    return {_mirror_name(k): (float(e[0]), -float(e[1]), -float(e[2])) for k, e in rotations.items()}


def mirror_pose(pose: np.ndarray) -> np.ndarray:
    """(24, 3) axis-angle pose → its mirror image across x = 0 (left/right swapped).

    For an axis-angle vector (a pseudo-vector) the reflection gives (ax, -ay, -az).
    """
    pose = np.asarray(pose, dtype=np.float64).reshape(NUM_JOINTS, 3)
    out = np.empty_like(pose)
    for i, name in enumerate(SMPL_JOINT_NAMES):
        out[JOINT_INDEX[_mirror_name(name)]] = pose[i] * np.array([1.0, -1.0, -1.0])
    return out


def euler_to_axis_angle(euler_deg: Euler | np.ndarray) -> np.ndarray:
    """Intrinsic X-Y-Z Euler degrees → (3,) axis-angle radians."""
    return Rotation.from_euler("XYZ", np.asarray(euler_deg, dtype=np.float64), degrees=True).as_rotvec()


def axis_angle_to_euler(axis_angle: np.ndarray) -> np.ndarray:
    """(..., 3) axis-angle radians → (..., 3) intrinsic X-Y-Z Euler degrees."""
    return Rotation.from_rotvec(np.asarray(axis_angle, dtype=np.float64)).as_euler("XYZ", degrees=True)


def rotations_to_pose(rotations: dict[str, Euler]) -> np.ndarray:
    """A rotation table → (24, 3) float64 axis-angle pose, radians (SMPL order).

    Raises:
        InputError: a joint name that is not an SMPL-24 joint.
    """
    pose = np.zeros((NUM_JOINTS, 3))
    for name, euler in rotations.items():
        if name not in JOINT_INDEX:
            raise InputError(f"unknown joint {name!r} in a pose table; use SMPL-24 names")
        pose[JOINT_INDEX[name]] = euler_to_axis_angle(euler)
    return pose


def get_pose(name: str) -> PosePrior:
    """The library pose `name`.

    Raises:
        InputError: unknown name (lists the known ones).
    """
    try:
        return POSES[name]
    except KeyError:
        raise InputError(f"unknown pose {name!r}; the action library has: {', '.join(POSES)}") from None


def sample_pose(name: str, side: Side, rng: np.random.Generator, noise: float = 1.0) -> np.ndarray:
    """A library pose with seeded variation, for one side.

    Args:
        name: pose name in `POSES`.
        side: "right" uses the table as authored, "left" its mirror image.
        rng: numpy Generator (the seed's pose stream).
        noise: scale of `NOISE_DEG` (0 = the table exactly).

    Returns:
        (24, 3) float64 axis-angle pose, radians, relative to Anny's rest pose.
    """
    prior = get_pose(name)
    table = dict(prior.rotations)
    if side == "left":
        table = mirror_rotations(table)
    elif side != "right":
        raise InputError(f"side must be 'right' or 'left', got {side!r}")
    out: dict[str, Euler] = {}
    for joint in SMPL_JOINT_NAMES:  # fixed order: the same seed draws the same numbers
        base = np.asarray(table.get(joint, (0.0, 0.0, 0.0)), dtype=np.float64)
        sigma = NOISE_DEG[joint] * noise
        jitter = np.clip(rng.normal(0.0, 1.0, 3), -2.0, 2.0) * sigma
        if joint == "pelvis":
            jitter[:] = 0.0  # the global orientation is set by the placement
        out[joint] = tuple(base + jitter)
    return rotations_to_pose(out)


def free_joint_indices(name: str, side: Side) -> tuple[int, ...]:
    """SMPL-24 indices of the joints a pose lets the optimiser move (mirrored for "left")."""
    joints = get_pose(name).free_joints
    if side == "left":
        joints = tuple(_mirror_name(j) for j in joints)
    return tuple(sorted(JOINT_INDEX[j] for j in joints))


def limit_excess_deg(pose: np.ndarray) -> dict[str, float]:
    """How far each joint of a (24, 3) axis-angle pose lies outside `JOINT_LIMITS`, degrees (0 = inside)."""
    pose = np.asarray(pose, dtype=np.float64).reshape(NUM_JOINTS, 3)
    out: dict[str, float] = {}
    for i, name in enumerate(SMPL_JOINT_NAMES):
        lim = JOINT_LIMITS[name]
        excess = max(0.0, float(np.degrees(np.linalg.norm(pose[i]))) - lim.max_deg)
        if lim.euler_min is not None and lim.euler_max is not None:
            e = axis_angle_to_euler(pose[i])
            excess = max(excess, float(np.max(np.asarray(lim.euler_min) - e)), float(np.max(e - np.asarray(lim.euler_max))))
        out[name] = excess
    return out
