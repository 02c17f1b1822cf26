"""Hands that grasp: Anny's finger joints closed around the surface a hand holds.

The SMPL-24 skeleton every body model is posed through has no finger joints:
each hand's fingers move rigidly with its `*_hand` joint, so a hand placed on an
object stays flat or hovers. `close_fingers` curls one hand's fingers with
Anny's own finger bones (`anny_body.FINGER_BONES`), in the manner of GraspIt!'s
auto-grasp (Miller and Allen, 2004): every joint of a finger flexes at its own
rate (`GripProfile`); when a segment touches the object (`GraspOptions.contact_m`)
the joints proximal to it stop and the distal ones keep curling, wrapping the
finger round the surface; a step that would push a segment more than
`GraspOptions.max_penetration_m` into the object is halved until it is below
`GraspOptions.min_step_deg`, and then those joints stop there. Joints stop at
the grip's cap (at most the joint's limit, `JointLimits`) otherwise. A finger
that starts inside the object (a palm pressed on a face with Anny's relaxed
fingers, a thumb standing out of the palm) first gets out, step by step taking
whichever move raises its deepest point most: opening, closing, or for the
thumb abducting either way (it lies down towards the palm plane as on a flat
hand). Closing is tested on farthest-point samples of each segment's skin;
every finger vertex is checked at the end, and a finger with a point deeper
than allowed backs off.

Grips (`GRIPS`, the compose generator's `InteractionPlan.grip` names):

| grip    | fingers                                   | thumb                         |
|---------|-------------------------------------------|-------------------------------|
| wrap    | close round the object                    | closes opposite the fingers   |
| hook    | close round a bar                         | relaxed                       |
| press   | nearly flat, bent at the knuckles onto the surface | stays as posed       |
| support | curl slightly up round an object on the palm | slightly curled            |
| none    | relaxed curl of a free hand               | relaxed                       |

Angles: a joint's flexion is in degrees relative to Anny's rest hand (its
fingers already slightly curled), positive towards the palm. The metacarpo-
phalangeal flexion of the four fingers counts the share of the SMPL `*_hand`
joint's rotation about that joint's axis (the compose hook grip curls it 50°),
so caps and limits bound the whole curl (and the thumb's, when it is carried
by the `*_hand` joint: `GraspOptions.thumb_base`).

The exported skeleton stays SMPL-24: the finger pose is *baked* into the posed
surface (`finger_vertices`, `apply_finger_poses`) and recorded
(`FingerPose.to_json`) for provenance.

Frames and units: internal frame (+Y up, the character faces +Z, metres); the
object surface is in the same world frame as the posed body (`BodyParams`
translation and scale applied).

Example::

    query = SurfaceQuery(placed_object_mesh)
    right = close_fingers(body, params, "right", query, "wrap")
    left = close_fingers(body, params, "left", query, "none")      # relaxed, kept out of the object
    fit = apply_finger_poses(body, fit, (right, left))            # fit.mesh with curled fingers
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Literal, Protocol, runtime_checkable

import numpy as np
import torch

from hoiexport.sdk.bodies.anny_body import FINGER_BONES, FINGER_JOINTS, FINGERS, HANDS, FingerSkin, ThumbBase
from hoiexport.sdk.bodies.protocol import BodyOutput, BodyParams
from hoiexport.sdk.bodies.skinning import vertex_normals
from hoiexport.sdk.core.errors import InputError
from hoiexport.sdk.core.skeleton import JOINT_INDEX
from hoiexport.sdk.core.types import BodyFit
from hoiexport.sdk.geometry.surface import SurfaceQuery

Hand = Literal["right", "left"]
Grip = Literal["hook", "wrap", "press", "support", "none"]

_BONES_PER_HAND = 15
_NUM_FINGERS = len(FINGERS)
_DOFS = 4
"""Degrees of freedom per finger: its three joints, then the thumb's abduction (unused by the fingers)."""
_ESCAPE_DEPTH_M = 0.005
"""Getting out of the object, a finger this much deeper takes one more step at once (metres)."""


@runtime_checkable
class FingeredBody(Protocol):
    """A body model whose finger bones can be posed (`anny_body.AnnyBody`)."""

    def rest_bone_heads(self, shape: dict[str, Any] | None = None) -> np.ndarray:
        """(B_all, 3) float64 rest bone heads, metres, internal frame."""
        ...

    @property
    def bone_labels(self) -> tuple[str, ...]:
        """Names of the rows of `rest_bone_heads`."""
        ...

    @property
    def finger_vertex_ids(self) -> np.ndarray:
        """(N,) int64 vertices some finger bone moves."""
        ...

    @property
    def finger_weights(self) -> np.ndarray:
        """(N, 30) float32 their weights on `FINGER_BONES`."""
        ...

    def finger_skin(
        self,
        pose: torch.Tensor | np.ndarray,
        shape: dict[str, Any] | None = None,
        transl: torch.Tensor | np.ndarray | None = None,
        scale: torch.Tensor | float = 1.0,
        vertex_ids: np.ndarray | None = None,
        thumb_base: ThumbBase = "hand",
    ) -> FingerSkin:
        """Skinning of some vertices with the finger bones free."""
        ...

    def forward_fingers(
        self,
        pose: torch.Tensor | np.ndarray,
        finger_pose: torch.Tensor | np.ndarray,
        shape: dict[str, Any] | None = None,
        transl: torch.Tensor | np.ndarray | None = None,
        scale: torch.Tensor | float = 1.0,
        thumb_base: ThumbBase = "hand",
    ) -> BodyOutput:
        """The body posed with finger rotations."""
        ...


Range = tuple[float, float]


@dataclass(frozen=True)
class JointLimits:
    """Range of each finger joint, degrees relative to Anny's rest hand (positive:
    flexion towards the palm, negative: extension); proximal to distal (`FINGER_JOINTS`).

    Attributes:
        finger: index to little finger: MCP, PIP, DIP.
        thumb: CMC (opposition: the thumb swings across the front of the palm
            towards the middle finger), MCP, IP.
        thumb_abduction: the thumb's second CMC motion: positive lifts it off the
            palm plane (palmar abduction), negative lays it towards the palm
            plane and outwards, as on a flat hand.
    """

    finger: tuple[Range, Range, Range] = ((-20.0, 90.0), (-5.0, 100.0), (-5.0, 75.0))
    thumb: tuple[Range, Range, Range] = ((-30.0, 50.0), (-15.0, 55.0), (-15.0, 75.0))
    thumb_abduction: Range = (-45.0, 30.0)

    def array(self) -> np.ndarray:
        """(5, 4, 2) float64 (lo, hi) per finger (`FINGERS`) and degree of freedom
        (the three joints, then the thumb's abduction; fixed at 0 for the fingers), degrees."""
        out = np.zeros((_NUM_FINGERS, _DOFS, 2))
        out[0, :3] = self.thumb
        out[0, 3] = self.thumb_abduction
        out[1:, :3] = self.finger
        return out


@dataclass(frozen=True)
class GripProfile:
    """How one grip closes a hand (`GRIPS`).

    Attributes:
        says: the grip in one sentence.
        finger_cap_deg: largest flexion of the four fingers' MCP, PIP, DIP,
            degrees (clipped to `JointLimits`); the fingers stop earlier at contact.
        thumb_cap_deg: the same for the thumb's CMC, MCP, IP.
        finger_rate: relative flexion speed of MCP, PIP, DIP while closing.
        thumb_rate: relative flexion speed of CMC, MCP, IP.
        missed: the grip (`GRIPS`) whose caps a finger that touches nothing and
            never came within `GraspOptions.exact_m` of the object falls back to
            (a finger beside a narrow handle stays relaxed rather than closing
            into the palm), or None to keep the curl; a finger that came that
            near takes its closest approach.
    """

    says: str
    finger_cap_deg: tuple[float, float, float]
    thumb_cap_deg: tuple[float, float, float]
    finger_rate: tuple[float, float, float] = (1.0, 1.2, 0.8)
    thumb_rate: tuple[float, float, float] = (1.0, 1.0, 1.0)
    missed: str | None = "none"

    def caps(self) -> np.ndarray:
        """(5, 4) float64 flexion caps per finger (`FINGERS`) and degree of freedom,
        degrees (the abduction column is 0: closing never abducts)."""
        out = np.zeros((_NUM_FINGERS, _DOFS))
        out[0, :3] = self.thumb_cap_deg
        out[1:, :3] = self.finger_cap_deg
        return out

    def rates(self) -> np.ndarray:
        """(5, 4) float64 relative flexion speeds, the fastest joint of each finger 1
        (abduction 0)."""
        out = np.zeros((_NUM_FINGERS, _DOFS))
        out[0, :3] = self.thumb_rate
        out[1:, :3] = self.finger_rate
        return out / out.max(axis=1, keepdims=True)


_RELAXED_THUMB = (8.0, 10.0, 10.0)
"""Thumb flexion of a relaxed thumb (hook, press, none), degrees."""

GRIPS: dict[str, GripProfile] = {
    "wrap": GripProfile("fingers close round the object, the thumb closes opposite them",
                        (90.0, 100.0, 75.0), (50.0, 55.0, 75.0)),
    "hook": GripProfile("four fingers close round a bar, the thumb relaxed", (90.0, 100.0, 75.0), _RELAXED_THUMB),
    "press": GripProfile("the palm presses: the fingers, nearly flat, bend at the knuckles onto the surface, "
                         "the thumb stays", (20.0, 12.0, 8.0), (0.0, 0.0, 0.0), finger_rate=(1.0, 0.6, 0.4)),
    "support": GripProfile("an object rests on the palm, the fingers curl slightly up round it",
                           (30.0, 35.0, 25.0), (15.0, 15.0, 15.0)),
    "none": GripProfile("a free hand: a relaxed natural curl", (12.0, 18.0, 10.0), _RELAXED_THUMB, missed=None),
}
"""Grip name (the compose generator's `InteractionPlan.grip`) → how it closes a hand."""


@dataclass(frozen=True)
class GraspOptions:
    """Settings of `close_fingers`.

    Attributes:
        contact_m: a finger segment within this distance of the object touches
            it (its proximal joints stop), metres.
        max_penetration_m: deepest a finger point may go into the object, metres
            (signed distance >= -max_penetration_m), unless the hand was placed
            deeper than its joints can get out of.
        step_deg: flexion step of the fastest joint of a finger, degrees.
        min_step_deg: a step that would penetrate is halved down to this, then
            the joints stop, degrees.
        samples_per_segment: finger surface points per segment tested while
            closing (farthest-point samples of its vertices, which keep half the
            allowed depth as margin); the result is then checked on every
            finger vertex.
        exact_m: distances are measured exactly only below this (a cheap
            lower bound settles the others: neither touching nor within the
            allowed depth), metres; more than `contact_m` and `max_penetration_m`.
        max_iterations: steps of each phase at most (a bound, never reached in practice).
        thumb_base: what carries the thumbs (`anny_body.ThumbBase`): "hand"
            (default) starts from the thumb the SMPL-24 pose gives, the one a
            placement was measured with; "wrist" frees it from the `*_hand`
            joint's curl (anatomically right, but it moves the thumb).
        limits: joint ranges.
    """

    contact_m: float = 0.003
    max_penetration_m: float = 0.002
    step_deg: float = 4.0
    min_step_deg: float = 0.5
    samples_per_segment: int = 24
    exact_m: float = 0.008
    max_iterations: int = 200
    thumb_base: ThumbBase = "hand"
    limits: JointLimits = field(default_factory=JointLimits)

    def __post_init__(self) -> None:
        for name in ("contact_m", "max_penetration_m", "exact_m"):
            value = getattr(self, name)
            if not (np.isfinite(value) and value >= 0.0):
                raise InputError(f"GraspOptions.{name} must be a finite distance >= 0 metres, got {value!r}")
        if not self.exact_m > max(self.contact_m, self.max_penetration_m):
            raise InputError(f"GraspOptions.exact_m must exceed contact_m and max_penetration_m, got {self.exact_m!r}")
        if not 0.0 < self.min_step_deg <= self.step_deg <= 45.0:
            raise InputError(
                f"GraspOptions needs 0 < min_step_deg <= step_deg <= 45 degrees, got {self.min_step_deg!r}, "
                f"{self.step_deg!r}"
            )
        if not (isinstance(self.samples_per_segment, int) and self.samples_per_segment >= 1):
            raise InputError(f"GraspOptions.samples_per_segment must be an integer >= 1, got "
                             f"{self.samples_per_segment!r}")
        if not (isinstance(self.max_iterations, int) and self.max_iterations >= 1):
            raise InputError(f"GraspOptions.max_iterations must be an integer >= 1, got {self.max_iterations!r}")


@dataclass(frozen=True)
class FingerPose:
    """One hand's finger pose (`close_fingers`).

    Attributes:
        hand: "right" or "left".
        grip: the grip that closed it (`GRIPS`).
        rotations: (15, 3) float64 axis-angle radians of the hand's finger bones
            (its half of `anny_body.FINGER_BONES`), rest internal frame, each
            relative to its parent bone (SMPL convention).
        flexion_deg: (5, 3) float64 flexion per finger (`FINGERS`) and joint
            (`FINGER_JOINTS`), degrees relative to Anny's rest hand; the four
            fingers' MCP includes the `*_hand` joint's share.
        thumb_abduction_deg: the thumb's abduction (`JointLimits.thumb_abduction`), degrees.
        touching: (5, 3) bool, segments within `GraspOptions.contact_m` of the object.
        clearance_m: (5,) float64 smallest signed distance of each finger's
            vertices to the object, metres (negative: inside; inf: no object),
            measured up to `clearance_limit_m`.
        thumb_base: what carries the thumb (`anny_body.ThumbBase`).
        clearance_limit_m: a clearance of this value means at least this far
            (`GraspOptions.exact_m`); inf without object.
    """

    hand: Hand
    grip: Grip
    rotations: np.ndarray
    flexion_deg: np.ndarray
    thumb_abduction_deg: float
    touching: np.ndarray
    clearance_m: np.ndarray
    thumb_base: ThumbBase
    clearance_limit_m: float = math.inf

    def to_json(self) -> dict[str, Any]:
        """Provenance record: grip, thumb base, the clearance limit (mm, null
        without object), per finger the joint flexions (degrees), the touching
        segments and the clearance (mm, null without object); the thumb's abduction."""
        fingers: dict[str, Any] = {}
        for f, name in enumerate(FINGERS):
            joints = FINGER_JOINTS[name]
            c = float(self.clearance_m[f])
            fingers[name] = {
                "flexion_deg": {j: round(float(self.flexion_deg[f, k]), 2) for k, j in enumerate(joints)},
                "touching": [j for k, j in enumerate(joints) if self.touching[f, k]],
                "clearance_mm": round(1000.0 * c, 2) if np.isfinite(c) else None,
            }
        fingers["thumb"]["abduction_deg"] = round(float(self.thumb_abduction_deg), 2)
        limit = round(1000.0 * self.clearance_limit_m, 2) if math.isfinite(self.clearance_limit_m) else None
        return {"hand": self.hand, "grip": self.grip, "thumb_base": self.thumb_base, "clearance_limit_mm": limit,
                "fingers": fingers}


@dataclass(frozen=True)
class _Hand:
    """One hand's finger rig for one posed body.

    Attributes:
        skin: the hand's points posed with free finger bones.
        segment: (n,) int64 segment (finger * 3 + joint) of each point, -1 for
            points mostly on the palm.
        finger_rows: rows of `skin`'s points that are finger points (segment >= 0).
        samples: rows tested while closing.
        axes: (5, 4, 3) float64 unit rotation axes per finger and degree of
            freedom, rest frame (positive turns towards the palm; the thumb's
            fourth is its abduction, the fingers' is unused).
        hand_share_deg: (5, 4) flexion the SMPL `*_hand` joint already gives.
    """

    skin: FingerSkin
    segment: np.ndarray
    finger_rows: np.ndarray
    samples: np.ndarray
    axes: np.ndarray
    hand_share_deg: np.ndarray


def _require_fingers(body: Any) -> FingeredBody:
    if not isinstance(body, FingeredBody):
        raise InputError(
            f"closing fingers needs a body model with finger bones (anny), got {getattr(body, 'name', body)!r}"
        )
    return body


def _farthest_points(points: np.ndarray, k: int) -> np.ndarray:
    """(min(k, n),) int64 sorted indices of a deterministic farthest-point sample of (n, 3) points."""
    n = len(points)
    if n <= k:
        return np.arange(n)
    chosen = [int(np.argmax(np.linalg.norm(points - points.mean(axis=0), axis=1)))]
    dist = np.linalg.norm(points - points[chosen[0]], axis=1)
    for _ in range(k - 1):
        chosen.append(int(np.argmax(dist)))
        dist = np.minimum(dist, np.linalg.norm(points - points[chosen[-1]], axis=1))
    return np.array(sorted(chosen), dtype=np.int64)


def _unit(v: np.ndarray) -> np.ndarray:
    return v / np.linalg.norm(v, axis=-1, keepdims=True)


def _hand_rig(body: FingeredBody, params: BodyParams, hand: Hand, options: GraspOptions) -> _Hand:
    """The finger points, segments and rotation axes of one hand of a posed body.

    Rest-frame hand axes: f (wrist → knuckles), the palm normal n (out of the
    palm, the side the fingers curl to). A finger joint's flexion axis is
    (segment direction × n), so a positive angle turns the segment towards n.
    The thumb opposes towards a point 2 cm in front of the middle finger's
    knuckle (CMC; MCP and IP bend towards it too); its abduction axis is
    (thumb direction × n).
    """
    h = HANDS.index(hand)
    ids_all = body.finger_vertex_ids
    weights = body.finger_weights[:, _BONES_PER_HAND * h : _BONES_PER_HAND * (h + 1)]  # (N, 15)
    mine = weights.sum(axis=1) > 0.0
    ids, w = ids_all[mine], weights[mine]
    segment = np.where(w.sum(axis=1) > 0.5, np.argmax(w, axis=1), -1)
    pose = torch.as_tensor(np.asarray(params.pose, dtype=np.float64)).reshape(1, -1, 3)
    transl = torch.as_tensor(np.asarray(params.transl, dtype=np.float64)).reshape(1, 3)
    skin = body.finger_skin(pose, params.shape, transl, float(params.scale), ids, options.thumb_base)
    rest = skin.rest[0].numpy().astype(np.float64)

    labels = list(body.bone_labels)
    heads_all = body.rest_bone_heads(params.shape)
    side = ".R" if hand == "right" else ".L"
    heads = heads_all[[labels.index(b) for b in FINGER_BONES[_BONES_PER_HAND * h : _BONES_PER_HAND * (h + 1)]]]
    heads = heads.reshape(_NUM_FINGERS, 3, 3)
    wrist = heads_all[labels.index("wrist" + side)]
    knuckle = heads[1:, 0].mean(axis=0)  # the SMPL *_hand joint (`anny_body.joint_anchor_bones`)
    tips = np.empty((_NUM_FINGERS, 3))
    for f in range(_NUM_FINGERS):
        y = _unit(heads[f, 2] - heads[f, 1])
        pts = rest[segment == 3 * f + 2]
        reach = float(((pts - heads[f, 2]) @ y).max()) if len(pts) else 0.0
        tips[f] = heads[f, 2] + y * max(reach, 0.01)
    ends = np.concatenate([heads[:, 1:], tips[:, None]], axis=1)  # (5, 3, 3) segment ends
    direction = _unit(ends - heads)

    f_dir = _unit(knuckle - wrist)
    n = _unit(np.cross(f_dir, heads[4, 0] - heads[1, 0]))
    if float((tips[1:].mean(axis=0) - knuckle) @ n) < 0.0:  # Anny's rest fingers curl towards the palm
        n = -n
    axes = np.zeros((_NUM_FINGERS, _DOFS, 3))
    axes[1:, :3] = _unit(np.cross(direction[1:], n))
    target = heads[2, 0] + 0.02 * n
    axes[0, 0] = _unit(np.cross(_unit(tips[0] - heads[0, 0]), target - heads[0, 0]))
    for k in (1, 2):
        axes[0, k] = _unit(np.cross(direction[0, k], target - heads[0, k]))
    axes[0, 3] = _unit(np.cross(_unit(tips[0] - heads[0, 0]), n))

    hand_rotvec = np.asarray(params.pose, dtype=np.float64).reshape(-1, 3)[JOINT_INDEX[f"{hand}_hand"]]
    share = np.zeros((_NUM_FINGERS, _DOFS))
    share[1:, 0] = np.degrees(axes[1:, 0] @ hand_rotvec)
    if options.thumb_base == "hand":
        share[0, [0, 3]] = np.degrees(axes[0, [0, 3]] @ hand_rotvec)

    finger_rows = np.flatnonzero(segment >= 0)
    samples = []
    for s in range(3 * _NUM_FINGERS):
        rows = finger_rows[segment[finger_rows] == s]
        samples.append(rows[_farthest_points(rest[rows], options.samples_per_segment)])
    return _Hand(skin, segment, finger_rows, np.concatenate(samples), axes, share)


def _rotations(rig: _Hand, own_deg: np.ndarray) -> np.ndarray:
    """(..., 15, 3) axis-angle radians of a hand's finger bones for (..., 5, 4) own angles, degrees."""
    rad = np.radians(own_deg)
    rot = rad[..., :3, None] * rig.axes[:, :3]
    rot[..., 0, :] += rad[..., 3, None] * rig.axes[:, 3]  # the thumb's abduction turns its first bone too
    return rot.reshape(*own_deg.shape[:-2], _BONES_PER_HAND, 3)


def _points(rig: _Hand, hand: Hand, own_deg: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """(K, len(rows), 3) float64 world positions of some of the hand's points for
    (K, 5, 4) own angles (K finger poses at once)."""
    h = HANDS.index(hand)
    finger_pose = np.zeros((len(own_deg), len(FINGER_BONES), 3))
    finger_pose[:, _BONES_PER_HAND * h : _BONES_PER_HAND * (h + 1)] = _rotations(rig, own_deg)
    return rig.skin(torch.as_tensor(finger_pose)).numpy()[:, rows]


def _signed_distance(query: SurfaceQuery | None, points: np.ndarray, exact: float) -> np.ndarray:
    """(N,) float64 signed distance to the object (negative inside), metres; inf without object.

    Points whose cheap lower bound (`SurfaceQuery.coarse_bounds`) is `exact` or
    more get that bound (they neither touch the object nor lie within the
    allowed depth); the others their distance to the faces with the nearest
    centroids (`SurfaceQuery.closest_near`, never below the true distance).
    The sign is the inside test's (`SurfaceQuery.contains`).
    """
    if query is None:
        return np.full(len(points), np.inf)
    out = np.full(len(points), exact)
    lo, hi = query.bounds
    near = np.all((points >= lo - exact) & (points <= hi + exact), axis=1)
    if near.any():
        p = points[near]
        _, distance = query.coarse_bounds(p)
        band = distance < exact
        if band.any():
            distance[band] = query.closest_near(p[band]).distance
        out[near] = np.where(query.contains(p), -distance, distance)
    return out


def _per(values: np.ndarray, group: np.ndarray, size: int) -> np.ndarray:
    """(size,) smallest value per group id (inf for an empty group)."""
    out = np.full(size, np.inf)
    np.minimum.at(out, group, values)
    return out


def close_fingers(
    body: Any,
    params: BodyParams,
    hand: Hand,
    obj_surface: SurfaceQuery | None,
    grip: Grip,
    options: GraspOptions | None = None,
) -> FingerPose:
    """Curl one hand's fingers round the object it holds (module docstring).

    Three phases, every finger at once: (1) fingers that start deeper in the
    object than allowed get out, each step taking whichever of opening,
    closing or (thumb) abducting raises the finger's deepest point most; (2)
    the fingers close, joints stopping at contact (segments touching from the
    start stop their joints at once), penetration or the grip's cap; a finger
    that touched nothing then takes its closest approach to the object if it
    came within `GraspOptions.exact_m`, else at most the curl of the grip's
    `GripProfile.missed`; (3) every finger vertex is checked, and a finger with
    a point too deep backs off its flexion (or gets out as in 1).

    Args:
        body: the body model (Anny: `FingeredBody`).
        params: the posed body (`BodyParams`: SMPL-24 pose, shape, translation, scale).
        hand: "right" or "left".
        obj_surface: the object in the same world frame, or None (a free hand:
            the fingers go to the grip's caps).
        grip: a `GRIPS` name: "wrap", "hook", "press", "support" or "none" (relaxed).
        options: tolerances and limits (`GraspOptions`).

    Returns:
        The hand's `FingerPose`. Deterministic.

    Raises:
        InputError: a body without finger bones, an unknown hand or grip, bad options.
    """
    fingered = _require_fingers(body)
    opts = options if options is not None else GraspOptions()
    if hand not in HANDS:
        raise InputError(f"hand must be one of {list(HANDS)}, got {hand!r}")
    profile = GRIPS.get(grip)
    if profile is None:
        raise InputError(f"unknown grip {grip!r}; use one of {', '.join(GRIPS)}")
    rig = _hand_rig(fingered, params, hand, opts)
    limits = opts.limits.array()
    lo = np.minimum(limits[..., 0] - rig.hand_share_deg, 0.0)
    hi = np.maximum(np.minimum(limits[..., 1], np.where(profile.rates() > 0, profile.caps(), limits[..., 1]))
                    - rig.hand_share_deg, 0.0)  # a grip never undoes the *_hand joint's curl, but to get out
    rates = profile.rates()
    pen = -opts.max_penetration_m
    pen_samples = 0.5 * pen  # the samples keep a margin: points between them may go a little deeper
    moves = np.tril(np.ones((3, 3), dtype=bool))  # [s, k]: joint k moves segment s when k <= s
    sample_segment = rig.segment[rig.samples]
    all_segment = rig.segment[rig.finger_rows]

    def measure(own: np.ndarray, fingers: np.ndarray, every: bool = False) -> np.ndarray:
        """(K, 5, 3) deepest point per segment for (K, 5, 4) own angles, over the
        samples (every finger vertex when `every`) of the `fingers` (5,) only (inf elsewhere)."""
        rows, segment = (rig.finger_rows, all_segment) if every else (rig.samples, sample_segment)
        keep = fingers[segment // 3]
        rows, segment = rows[keep], segment[keep]
        pts = _points(rig, hand, own, rows)
        d = _signed_distance(obj_surface, pts.reshape(-1, 3), opts.exact_m).reshape(len(own), -1)
        return np.stack([_per(row, segment, 3 * _NUM_FINGERS) for row in d]).reshape(len(own), _NUM_FINGERS, 3)

    def get_out(q: np.ndarray, d: np.ndarray, stuck: np.ndarray, last: np.ndarray,
                every: bool = False) -> tuple[np.ndarray, np.ndarray]:
        """One step out of the object for the `stuck` (5,) fingers, whose joints up
        to `last` (5,) may move: of opening, closing and (thumb) abducting either
        way, the move that raises the finger's deepest point most (`d` (5, 3)
        now, per segment); a finger no move raises keeps its angles. Returns the
        new angles and distances."""
        joints = np.zeros((_NUM_FINGERS, _DOFS), dtype=bool)
        joints[:, :3] = np.arange(3)[None, :] <= last[:, None]
        unit = np.where(joints, np.maximum(rates, 0.5), 0.0)
        abduct = np.zeros((_NUM_FINGERS, _DOFS))
        abduct[:, 3] = 1.0
        directions = np.stack([-unit, unit, -abduct, abduct])
        depth = d.min(axis=1)
        # deep fingers take longer steps: one more step per `_ESCAPE_DEPTH_M` of depth, at most 3
        size = opts.step_deg * np.clip(1.0 + np.floor(-depth / _ESCAPE_DEPTH_M), 1.0, 3.0)
        cands = np.where(stuck[None, :, None], np.clip(q + size[None, :, None] * directions, lo, hi_out), q)
        changed = stuck & (np.abs(cands - q) > 1e-9).any(axis=2)  # (4, 5)
        keep = np.flatnonzero(changed.any(axis=1))
        if not len(keep):
            return q, d
        d_cand = measure(cands[keep], changed.any(axis=0), every)  # (k, 5, 3)
        gain = np.where(changed[keep], d_cand.min(axis=2) - depth[None, :], -np.inf)
        best = np.argmax(gain, axis=0)
        take = np.flatnonzero(gain[best, np.arange(_NUM_FINGERS)] > 1e-5)
        q_out, d_out = q.copy(), d.copy()
        q_out[take] = cands[keep][best[take], take]
        d_out[take] = d_cand[best[take], take]
        return q_out, d_out

    hi_out = np.maximum(hi, limits[..., 1] - rig.hand_share_deg)  # getting out may use the whole range
    everyone = np.ones(_NUM_FINGERS, dtype=bool)
    q = np.zeros((_NUM_FINGERS, _DOFS))
    d = measure(q[None], everyone)[0]

    # 1. get out where the hand starts inside the object
    stuck = (d < pen_samples).any(axis=1)
    for _ in range(opts.max_iterations):
        if not stuck.any():
            break
        inside = d < pen_samples
        last = np.where(inside.any(axis=1), 2 - np.argmax(inside[:, ::-1], axis=1), 0)
        q_new, d = get_out(q, d, stuck, last)
        stuck = (np.abs(q_new - q) > 1e-9).any(axis=1) & (d < pen_samples).any(axis=1)
        q = q_new

    # 2. close: joints flex at their rates, stop at contact (already touching: at once),
    # penetration or cap
    locked = (q[:, :3] >= hi[:, :3] - 1e-9) | (rates[:, :3] <= 0.0)
    touching = measure(q[None], everyone, every=True)[0] <= opts.contact_m  # every vertex: samples may miss
    last_touch = np.where(touching.any(axis=1), 2 - np.argmax(touching[:, ::-1], axis=1), -1)
    locked |= np.arange(3)[None, :] <= last_touch[:, None]
    step = np.full(_NUM_FINGERS, opts.step_deg)
    nearest_q, nearest_d = q.copy(), d.min(axis=1)  # each finger's closest approach to the object
    for _ in range(opts.max_iterations):
        active = ~locked
        moving = active.any(axis=1)
        if not moving.any():
            break
        proposal = q.copy()
        proposal[:, :3] = np.where(active, np.minimum(q[:, :3] + step[:, None] * rates[:, :3], hi[:, :3]),
                                   q[:, :3])
        d_new = measure(proposal[None], moving)[0]
        for f in np.flatnonzero(moving):
            moved = (moves & active[f][None, :]).any(axis=1)  # segments that moved
            bad = moved & (d_new[f] < pen_samples) & (d_new[f] < d[f] - 1e-5)
            if bad.any():
                if step[f] / 2.0 >= opts.min_step_deg:
                    step[f] /= 2.0
                else:
                    locked[f, : int(np.flatnonzero(bad).max()) + 1] = True
                continue
            q[f], d[f] = proposal[f], d_new[f]
            if d[f].min() < nearest_d[f] - 1e-5:
                nearest_q[f], nearest_d[f] = q[f], d[f].min()
            touch = moved & (d_new[f] <= opts.contact_m)
            if touch.any():
                locked[f, : int(np.flatnonzero(touch).max()) + 1] = True
            locked[f] |= q[f, :3] >= hi[f, :3] - 1e-9

    # a finger that found nothing to close on: where it came near the object, its
    # closest approach; elsewhere the missed grip's curl at most
    missed = GRIPS.get(profile.missed) if profile.missed is not None else None
    if missed is not None and obj_surface is not None:
        free = ~(d <= opts.contact_m).any(axis=1)
        near = free & (nearest_d < opts.exact_m)
        q[near] = nearest_q[near]
        far = free & ~near
        relaxed = np.maximum(missed.caps() - rig.hand_share_deg, 0.0)
        q[far, :3] = np.minimum(q[far, :3], relaxed[far, :3])

    # 3. every finger vertex: a finger with a point too deep between the samples backs
    # off its flexion (when it started clear) or gets out as in 1
    start, now = measure(np.stack([np.zeros_like(q), q]), everyone, every=True)
    clear_at_start = start.min(axis=1) >= pen
    for _ in range(opts.max_iterations):
        over = now.min(axis=1) < pen
        back = over & clear_at_start & (np.abs(q) > 1e-6).any(axis=1)
        out = over & ~back
        q_new, now = get_out(q, now, out, np.full(_NUM_FINGERS, 2), every=True) if out.any() else (q, now)
        if not (back.any() or (np.abs(q_new - q) > 1e-9).any()):
            break
        q = q_new
        if back.any():
            q[back] *= 0.85
            now[back] = measure(q[None], back, every=True)[0][back]

    flexion = q + rig.hand_share_deg
    return FingerPose(
        hand=hand,
        grip=grip,
        rotations=_rotations(rig, q),
        flexion_deg=flexion[:, :3],
        thumb_abduction_deg=float(flexion[0, 3]),
        touching=now <= opts.contact_m,
        clearance_m=now.min(axis=1),
        thumb_base=opts.thumb_base,
        clearance_limit_m=opts.exact_m if obj_surface is not None else math.inf,
    )


def relax_fingers(
    body: Any,
    params: BodyParams,
    hand: Hand,
    obj_surface: SurfaceQuery | None = None,
    options: GraspOptions | None = None,
) -> FingerPose:
    """A free hand's relaxed natural curl (`close_fingers` with grip "none"), kept
    out of `obj_surface` when one is given."""
    return close_fingers(body, params, hand, obj_surface, "none", options)


def finger_pose_array(poses: Sequence[FingerPose]) -> tuple[np.ndarray, ThumbBase]:
    """The (30, 3) float64 `anny_body.FINGER_BONES` rotations of at most one pose per
    hand (zeros for a hand without one), and their common thumb base.

    Raises:
        InputError: two poses for one hand, or poses with different thumb bases.
    """
    out = np.zeros((len(FINGER_BONES), 3))
    seen: set[str] = set()
    bases = {p.thumb_base for p in poses}
    if len(bases) > 1:
        raise InputError(f"finger poses must share one thumb_base, got {sorted(bases)}")
    for p in poses:
        if p.hand in seen:
            raise InputError(f"two finger poses for the {p.hand} hand; pass one per hand")
        seen.add(p.hand)
        h = HANDS.index(p.hand)
        out[_BONES_PER_HAND * h : _BONES_PER_HAND * (h + 1)] = p.rotations
    base: ThumbBase = next(iter(bases)) if bases else "hand"
    return out, base


def finger_vertices(body: Any, params: BodyParams, poses: Sequence[FingerPose]) -> np.ndarray:
    """(V, 3) float32 posed body vertices with the finger poses applied, metres,
    internal frame (`AnnyBody.forward_fingers`): what compose bakes into the human mesh.

    Raises:
        InputError: a body without finger bones, or bad poses (`finger_pose_array`).
    """
    fingered = _require_fingers(body)
    finger_pose, base = finger_pose_array(poses)
    out = fingered.forward_fingers(
        torch.as_tensor(np.asarray(params.pose, dtype=np.float32)).reshape(1, -1, 3),
        torch.as_tensor(finger_pose, dtype=torch.float32),
        params.shape,
        torch.as_tensor(np.asarray(params.transl, dtype=np.float32)).reshape(1, 3),
        float(params.scale),
        base,
    )
    return out.vertices[0].numpy().astype(np.float32)


def apply_finger_poses(body: Any, fit: BodyFit, poses: Sequence[FingerPose]) -> BodyFit:
    """A copy of `fit` whose mesh has the finger poses baked in (vertices and normals);
    skeleton, skin weights and part labels unchanged (finger vertices stay on the
    SMPL-24 joints, so the exported bind mesh holds the grasp).

    Args:
        body: the body model `fit` came from (`fit.params` holds its pose, shape,
            translation and scale).
        fit: a `BodyFit` of that model.
        poses: at most one `FingerPose` per hand.

    Raises:
        InputError: see `finger_vertices`; a fit of another topology.
    """
    params = BodyParams.from_json(fit.params)
    vertices = finger_vertices(body, params, poses)
    if vertices.shape != fit.mesh.vertices.shape:
        raise InputError(f"fit mesh has {len(fit.mesh.vertices)} vertices, the body model {len(vertices)}")
    mesh = replace(fit.mesh, vertices=vertices, normals=vertex_normals(vertices, fit.mesh.faces))
    return replace(fit, mesh=mesh)


def fingers_note(poses: Mapping[str, FingerPose] | Sequence[FingerPose]) -> dict[str, Any]:
    """Provenance `notes["fingers"]`: hand → `FingerPose.to_json()` (without the repeated hand)."""
    items = poses.values() if isinstance(poses, Mapping) else poses
    return {p.hand: {k: v for k, v in p.to_json().items() if k != "hand"} for p in items}
