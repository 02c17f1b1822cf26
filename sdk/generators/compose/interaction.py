"""How a prompt's interaction is staged: pose, sites, anchors and the initial placement.

`plan_interaction` decides, from the requested contact configuration, the action
and the object, which *mode* the compose generator uses (one table of `PlanRule`s
per configuration, `_PLAN_RULES`; the first rule that applies decides):

| mode        | configurations           | pose (action library)                 | object                          |
|-------------|--------------------------|---------------------------------------|---------------------------------|
| near        | no_contact               | stand / sit_floor / kneel / squat / crouch | on the floor, ≥ 20 cm away |
| point       | no_contact               | point_at                              | on the floor where the pointing arm's line meets it |
| hold_one    | right_hand, left_hand    | carry / hold / hold_palm_up / grab / hold_out(_palm_up) / throw | held: hooked, wrapped or on the palm |
| reach_one   | right_hand, left_hand    | drag / pull / push(_low)_one_hand / carry / grab(_low) | on the floor, one hand on it (a suitcase is held by its trolley handle) |
| hold_two    | both_hands               | hold_two_hands / lift                 | held between the palms          |
| reach_two   | both_hands               | push / push_low (objects < 0.6 m)     | on the floor, both hands on it  |
| hug         | both_hands               | hug                                   | held against the chest, the arms around it |
| overhead    | both_hands               | raise_overhead                        | held between the palms above the head |
| forearms    | both_hands               | lean_forearms                         | a flat top 0.55-1.15 m high, both forearms on it |
| wear_back   | back                     | wear_on_back                          | held against the back           |
| lean_back   | back                     | lean_back                             | a backrest behind, the lower back on its top |
| lean_wall   | back                     | lean_back (knees bent to the height)  | any vertical side ≥ 0.6 m behind, the back against it |
| sit_floor   | back                     | sit_floor                             | any vertical side ≥ 0.25 m behind a body seated on the floor (leaning against a lower side too) |
| lie         | back, other              | lie / lie_flat                        | back: a table, the lower back on its end, the legs hanging off; other: a bench or table, lying on it |
| foot        | right_leg, left_leg      | kick                                  | on the floor, the foot on it    |
| foot_on     | right_leg, left_leg      | rest_foot (raised to the height)      | a flat top ≤ 0.8 m, one sole on it |
| sit         | other                    | sit                                   | chair, stool, bench, box, table edge ... |
| sit_back    | other                    | sit_back                              | chair / bench, seated, the back against its backrest |
| stand_on    | other                    | stand_on                              | both feet on its top            |
| perch       | other                    | step_on / squat / crouch / kneel      | a flat top, the feet (the knees and shins) on it |
| lean_side   | other                    | lean_side / lean_side_shoulder        | a top at elbow height under the forearm, or a vertical side ≥ 1.3 m at the shoulder |
| shoulder    | other                    | carry_shoulder                        | a portable object on the shoulder, the hand on its outer side |
| under_arm   | other                    | carry_under_arm                       | a portable object ≤ 35 cm thick between the upper arm and the chest |

The issue #15 rules ask what the object offers, found on its mesh by ray casting
(`affordances`: its flat top, its vertical sides and their heights) or by its
anchors (a seat, a backrest, a handle, a grip); none asks for a category.

`build_problem` turns a plan into a `placement.PlacementProblem` through one
`Stager` per mode (`_STAGERS`), each returning a typed `StageSpec`: the seeded
pose, the analytic initial placement (object at the hand for held objects, the
body onto the seat, the backrest behind the back, the hand or foot at the
anchor of a floor object ...), the site targets and the parts that must touch
or stay clear. Left-side configurations use the mirrored pose.

Anchors are the object library's (`objects` package docs); a grip's radius is
the anchor's depth inside the object (a handle bar's radius, a bottle's), 0 for
anchors on the surface. Frames: internal (+Y up, metres, character faces +Z);
objects are placed by x_world = R @ x_object + t.
"""

from __future__ import annotations

import math
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any, Literal, Protocol

import numpy as np
import trimesh
from scipy.spatial.transform import Rotation

from hoiexport.sdk.bodies.pose_library import (
    LEAN_FOREARMS_BEND,
    LEAN_LOWER,
    LEAN_SIDE_TILT,
    REST_FOOT_RAISE,
    UNDER_ARM_RAISE,
    Euler,
    Side,
    axis_angle_to_euler,
    euler_to_axis_angle,
    free_joint_indices,
    get_pose,
    mirror_rotations,
)
from hoiexport.sdk.generators.compose.objects import ProceduralObject
from hoiexport.sdk.generators.compose.placement import (
    BodyRig,
    FloorMode,
    ObjectMotion,
    ObjectSurface,
    PlacementProblem,
    Site,
    SiteTarget,
)
from hoiexport.sdk.core.errors import InputError
from hoiexport.sdk.core.skeleton import JOINT_INDEX
from hoiexport.sdk.core.types import BODY_PARTS, ContactConfig, Prompt

Mode = Literal[
    "near", "hold_one", "reach_one", "hold_two", "reach_two", "wear_back",
    "lean_back", "lie", "foot", "sit", "sit_back", "stand_on",
    "point", "perch", "foot_on", "lean_wall", "sit_floor", "lean_side", "forearms", "hug", "overhead",
    "shoulder", "under_arm",
]
Grip = Literal["hook", "wrap", "press", "support", "none"]

HOOK_CURL_DEG = 50.0
"""Finger curl of the hook grip (fingers around a handle bar), degrees. Larger
curls would drag Anny's thumb, whose bones turn with the finger joint about the
knuckles; where a handle leaves less room under the bar than the fingers need
(a suitcase's top handle), the bar rests in the finger tips (`_crook`)."""
HOOK_WRIST_DEG = 0.0
"""Wrist flexion of the hook grip, degrees (0: the hand continues the forearm)."""

_HOOK_ANCHORS = ("trolley_handle", "handle", "backrest_top", "rim", "edge_back", "edge_front")
_TOLERATED: dict[ContactConfig, tuple[str, ...]] = {
    ContactConfig.RIGHT_HAND: ("right_arm", "torso_front"),
    ContactConfig.LEFT_HAND: ("left_arm", "torso_front"),
    ContactConfig.BOTH_HANDS: ("right_arm", "left_arm", "torso_front"),
    ContactConfig.BACK: ("hips", "head"),
    ContactConfig.RIGHT_LEG: ("right_leg",),
    ContactConfig.LEFT_LEG: ("left_leg",),
    ContactConfig.NO_CONTACT: (),
    ContactConfig.OTHER: tuple(p for p in BODY_PARTS if p != "head"),
}
"""Parts the classification rule lets touch besides the requested ones
(`contacts.classify`); they keep a softer clearance."""


@dataclass(frozen=True)
class InteractionPlan:
    """How one interaction is staged.

    Attributes:
        mode: see the module table.
        pose: action-library pose name.
        side: "right" or "left" (left uses the mirrored pose and sites).
        touch: body parts that must touch the object.
        tolerated: parts the requested configuration lets touch too; in the
            hand and leg configurations they are still kept away softly, in
            back and other they are free to touch (`free_parts`).
        anchor: object anchor name the interaction uses, if any.
        grip: how a hand holds the anchor.
        object_motion: "free" for a held object, else "fixed".
        floor: feet on the floor ("stand") or only above it ("above").
    """

    mode: Mode
    pose: str
    side: Side
    touch: tuple[str, ...]
    tolerated: tuple[str, ...]
    anchor: str | None = None
    grip: Grip = "none"
    object_motion: ObjectMotion = "fixed"
    floor: FloorMode = "stand"

    @property
    def free_parts(self) -> tuple[str, ...]:
        """Tolerated parts with no clearance: leaning, wearing, lying, sitting and
        standing on an object touch it with the hips, thighs, head ... as a matter of course."""
        return self.tolerated if self.mode in _FREE_TOUCH_MODES else ()


_FREE_TOUCH_MODES = frozenset({"lean_back", "wear_back", "lie", "sit", "sit_back", "stand_on", "perch", "lean_wall",
                               "sit_floor", "lean_side", "forearms", "hug", "shoulder", "under_arm"})
"""Modes whose tolerated parts touch freely (`InteractionPlan.free_parts`)."""


SIT_BACK_RECLINE_DEG = 12.0
"""Backwards tilt of the pelvis in the `sit_back` prior, degrees (actions table)."""

LOW_OBJECT_M = 0.6
"""Objects lower than this are pressed on from a bent-over pose (`push_low*`)."""


def _press_pose(obj: ProceduralObject, one_hand: bool) -> str:
    low = obj.dims["height"] < LOW_OBJECT_M
    return ("push_low" if low else "push") + ("_one_hand" if one_hand else "")


def _unsupported(prompt: Prompt, obj: ProceduralObject, why: str) -> InputError:
    cfg = prompt.requested_config.value if prompt.requested_config else "?"
    return InputError(
        f"the compose generator cannot stage {prompt.action!r} with contact {cfg!r} on a {obj.category}: {why}"
    )


# --------------------------------------------------------------------------- affordances (from the mesh)

FLAT_TOP_MIN_M = 0.18
"""Smallest side of an upward flat region that counts as a top a foot, both feet or
the knees can rest on, metres."""
LEAN_SIDE_MIN_M = 0.6
"""Lowest vertical side a standing body leans its back against, metres: the lower
back of a leaning adult with the knees bent (`LEAN_LOWER`) comes down to about here."""
FLOOR_SIDE_MIN_M = 0.25
"""Lowest vertical side a body sitting on the floor leans its back against, metres
(its lower back is about 18 cm above the floor)."""
FOOT_TOP_MAX_M = 0.8
"""Highest top a standing body raises one foot onto, metres (hip flexion ~110°)."""
KNEEL_TOP_MAX_M = 0.65
"""Highest top a body kneels, squats or crouches on, metres."""
FOREARM_TOP_M = (0.55, 1.15)
"""Heights of a top a standing body leans on with both forearms, metres."""
ELBOW_TOP_M = (0.7, 1.15)
"""Heights of a top a standing body rests one forearm on, leaning sideways, metres."""
SHOULDER_SIDE_MIN_M = 1.3
"""Lowest vertical side a standing body leans its shoulder against, metres."""
HAND_SIZE_M = 0.4
"""Largest extent of an object one hand holds out, throws or grabs by its body, metres."""
ARMS_SIZE_M = (0.12, 0.75)
"""Extent across the arms of an object hugged or raised overhead, metres."""


@dataclass(frozen=True)
class Top:
    """An upward-facing flat region of an object (object frame, metres).

    Attributes:
        height: its height above the floor.
        centre: (3,) its centre (y = `height`).
        size: its (x, z) extents.
    """

    height: float
    centre: np.ndarray
    size: tuple[float, float]


@dataclass(frozen=True)
class SideFace:
    """A vertical face of an object, seen from one of 8 horizontal directions (object frame).

    Attributes:
        point: (3,) the middle of its upper 6 cm (y = `top` - 0.02), metres.
        normal: (3,) its horizontal outward unit normal.
        top: height of its upper edge, metres.
        bottom: height down to which it runs without a gap below the top, metres.
        width: its horizontal extent near the top, metres.
    """

    point: np.ndarray
    normal: np.ndarray
    top: float
    bottom: float
    width: float


@dataclass(frozen=True)
class Affordances:
    """What a body can use on an object, found on its mesh (`affordances`).

    Attributes:
        top: the largest upward flat region at least `FLAT_TOP_MIN_M` on both sides, or None.
        sides: vertical faces, one per horizontal direction that sees one.
        height: the object's height, metres.
        size: (x, y, z) extents of its bounding box, metres.
    """

    top: Top | None
    sides: tuple[SideFace, ...]
    height: float
    size: tuple[float, float, float]

    def side(self, min_top: float) -> SideFace | None:
        """The widest side whose top is at least `min_top` metres high, or None."""
        tall = [s for s in self.sides if s.top >= min_top]
        return max(tall, key=lambda s: s.width) if tall else None

    @property
    def tallest_side(self) -> float:
        """Height of the highest vertical side's top, metres (0 without one)."""
        return max((s.top for s in self.sides), default=0.0)


_AFFORDANCES: dict[int, tuple[weakref.ref, Affordances]] = {}


def affordances(obj: ProceduralObject) -> Affordances:
    """The top and vertical sides of an object's mesh, by ray casting (cached per object).

    Top: vertical rays on a 1.5 cm grid; hits on faces with normal y > 0.9 are
    grouped by height (2 cm bins) and the largest group whose x and z extents
    are both at least `FLAT_TOP_MIN_M`, that covers at least half of its extents
    (not a rim) and is not walled in (not a cavity's floor) is the top. Sides: for 8 horizontal
    directions, rays on a 2.5 cm × 2 cm grid towards the object; of the hits on
    faces within 55° of facing back along the ray (and within 17° of vertical),
    those within 4 cm of the outermost make the side; its top is their highest.
    """
    key = id(obj)
    cached = _AFFORDANCES.get(key)
    if cached is not None and cached[0]() is obj:
        return cached[1]
    tm = trimesh.Trimesh(obj.mesh.vertices.astype(np.float64), obj.mesh.faces, process=False)
    lo, hi = tm.bounds
    found = Affordances(_flat_top(tm, lo, hi), _vertical_sides(tm, lo, hi), float(hi[1] - lo[1]),
                        tuple(float(v) for v in hi - lo))  # type: ignore[arg-type]
    for k in [k for k, (ref, _) in _AFFORDANCES.items() if ref() is None]:
        del _AFFORDANCES[k]
    _AFFORDANCES[key] = (weakref.ref(obj), found)
    return found


def _flat_top(tm: trimesh.Trimesh, lo: np.ndarray, hi: np.ndarray) -> Top | None:
    xs = np.arange(lo[0] + 0.0075, hi[0], 0.015)
    zs = np.arange(lo[2] + 0.0075, hi[2], 0.015)
    gx, gz = np.meshgrid(xs, zs, indexing="ij")
    origins = np.stack([gx.ravel(), np.full(gx.size, hi[1] + 1.0), gz.ravel()], axis=1)
    loc, ray, tri = tm.ray.intersects_location(origins, np.tile([0.0, -1.0, 0.0], (len(origins), 1)),
                                               multiple_hits=False)
    if len(ray) == 0:
        return None
    flat = np.asarray(tm.face_normals)[tri][:, 1] > 0.9
    loc = loc[flat]
    if len(loc) == 0:
        return None
    bins = np.round(loc[:, 1] / 0.02).astype(np.int64)
    best: Top | None = None
    best_count = 0
    for b in np.unique(bins):
        pts = loc[bins == b]
        size = (float(np.ptp(pts[:, 0])) + 0.015, float(np.ptp(pts[:, 2])) + 0.015)
        if min(size) < FLAT_TOP_MIN_M or len(pts) <= best_count or len(pts) * 0.015**2 < 0.5 * size[0] * size[1]:
            continue  # too small, smaller than the best, or a rim around a hole rather than a surface
        centre = np.array([(pts[:, 0].min() + pts[:, 0].max()) / 2, float(pts[:, 1].mean()),
                           (pts[:, 2].min() + pts[:, 2].max()) / 2])
        if _walled(tm, centre, size):
            continue  # the floor of a cavity (an open bin), not a top
        best, best_count = Top(float(pts[:, 1].mean()), centre, size), len(pts)
    return best


def _walled(tm: trimesh.Trimesh, centre: np.ndarray, size: tuple[float, float]) -> bool:
    """Whether a flat region is walled in on all four sides 10 cm above it (a cavity's floor)."""
    dirs = np.array([[1.0, 0.0, 0.0], [-1.0, 0.0, 0.0], [0.0, 0.0, 1.0], [0.0, 0.0, -1.0]])
    origins = np.tile(centre + np.array([0.0, 0.1, 0.0]), (4, 1))
    _, ray, _ = tm.ray.intersects_location(origins, dirs, multiple_hits=False)
    return len(np.unique(ray)) == 4


def _vertical_sides(tm: trimesh.Trimesh, lo: np.ndarray, hi: np.ndarray) -> tuple[SideFace, ...]:
    centre = (lo + hi) / 2
    reach = float(np.linalg.norm((hi - lo)[[0, 2]])) / 2
    ys = np.append(np.arange(0.02, hi[1] - 0.01, 0.02), hi[1] - 0.005)
    ss = np.arange(-reach, reach + 1e-9, 0.025)
    gs, gy = np.meshgrid(ss, ys, indexing="ij")
    normals = np.asarray(tm.face_normals)
    out = []
    for k in range(8):
        a = k * math.pi / 4
        d = np.array([math.sin(a), 0.0, math.cos(a)])
        t = np.array([math.cos(a), 0.0, -math.sin(a)])
        origins = centre * np.array([1.0, 0.0, 1.0]) + d * (reach + 0.5) + np.outer(gs.ravel(), t) \
            + np.outer(gy.ravel(), [0.0, 1.0, 0.0])
        loc, ray, tri = tm.ray.intersects_location(origins, np.tile(-d, (len(origins), 1)), multiple_hits=False)
        if len(ray) == 0:
            continue
        n = normals[tri]
        vertical = (np.abs(n[:, 1]) < 0.3) & (n @ d > 0.57)
        if not vertical.any():
            continue
        depth = loc @ d
        near = vertical & (depth > depth[vertical].max() - 0.04)
        top = float(loc[near, 1].max())
        band = near & (loc[:, 1] > top - 0.06)
        s_band = gs.ravel()[ray[band]]
        width = float(np.ptp(s_band)) + 0.025
        bottoms = []
        for s in np.unique(s_band):
            col = np.sort(loc[near & (gs.ravel()[ray] == s), 1])[::-1]
            gaps = np.flatnonzero(np.diff(col) < -0.03)
            bottoms.append(col[gaps[0]] if len(gaps) else col[-1])
        normal = n[band].mean(axis=0) * np.array([1.0, 0.0, 1.0])
        normal /= np.linalg.norm(normal)
        point = loc[band].mean(axis=0)
        point[1] = top - 0.02
        out.append(SideFace(point, normal, top, float(np.median(bottoms)), width))
    return tuple(out)


# --------------------------------------------------------------------------- planning rules

_HOLDING = ("carry", "hold", "lift")
"""Actions that hold an object up (one hand, both hands or on the back)."""


@dataclass(frozen=True)
class _Request:
    """What the planning rules look at: one prompt's request on one object.

    Attributes:
        prompt: the parsed prompt (refusals quote its action and configuration).
        obj: the object.
        config: requested configuration (`no_contact` when the prompt names none).
        action: requested action ("stand" when the prompt names none).
    """

    prompt: Prompt
    obj: ProceduralObject
    config: ContactConfig
    action: str

    @property
    def anchors(self) -> dict:
        """The object's anchors (name → anchor)."""
        return self.obj.anchors

    @property
    def side(self) -> Side:
        """"left" for the left hand or leg, or for contact 'other' naming only left parts
        ("leaning with her left shoulder"), else "right"."""
        if self.config in (ContactConfig.LEFT_HAND, ContactConfig.LEFT_LEG):
            return "left"
        parts = self.prompt.contact_parts
        if self.config is ContactConfig.OTHER and any(p.startswith("left_") for p in parts) \
                and not any(p.startswith("right_") for p in parts):
            return "left"
        return "right"

    @property
    def afford(self) -> Affordances:
        """The object's top and vertical sides, found on its mesh (`affordances`)."""
        return affordances(self.obj)

    @property
    def tolerated(self) -> tuple[str, ...]:
        """Parts the requested configuration lets touch too (`_TOLERATED`)."""
        return _TOLERATED[self.config]

    @property
    def hand(self) -> tuple[str, ...]:
        """The one touching hand of a one-hand configuration."""
        return (f"{self.side}_hand",)

    @property
    def rolling(self) -> bool:
        """A suitcase carried, held or lifted by its trolley handle: it rolls behind the hand."""
        return self.obj.category == "suitcase" and self.action in _HOLDING and "trolley_handle" in self.anchors

    @property
    def hook_anchor(self) -> str | None:
        """The first anchor of `_HOOK_ANCHORS` the object has (a bar a hand can hook), if any."""
        return next((n for n in _HOOK_ANCHORS if n in self.anchors), None)

    @property
    def seat(self) -> str | None:
        """The anchor a body sits or stands on: "seat", else "top", else None."""
        return "seat" if "seat" in self.anchors else "top" if "top" in self.anchors else None


@dataclass(frozen=True)
class PlanRule:
    """One row of a configuration's planning table (`_PLAN_RULES`).

    The first rule whose `when` holds decides: it builds the plan, or, with no
    `plan`, refuses the request with `refuse` as the reason.

    Attributes:
        says: the rule in one sentence.
        when: whether the rule applies to a request.
        plan: builds the `InteractionPlan`; None for a refusal.
        refuse: why the compose generator cannot stage the request (refusals only).
    """

    says: str
    when: Callable[[_Request], bool]
    plan: Callable[[_Request], InteractionPlan] | None = None
    refuse: str | None = None


def _always(request: _Request) -> bool:
    """Applies to every request (a table's last rule)."""
    return True


def _press_one(r: _Request) -> InteractionPlan:
    """One palm presses on a floor object (bent over when it is low)."""
    return InteractionPlan("reach_one", _press_pose(r.obj, one_hand=True), r.side, r.hand, r.tolerated, None, "press")


def _hook_one(r: _Request) -> InteractionPlan:
    """One hand hooks the object's first bar (`_Request.hook_anchor`) and drags, pulls or rolls it."""
    return InteractionPlan("reach_one", "carry" if r.rolling else r.action, r.side, r.hand, r.tolerated,
                           r.hook_anchor, "hook")


def _held_one(pose: str, anchor: str | None, grip: Grip) -> Callable[[_Request], InteractionPlan]:
    """The plan of an object held up in one hand by `anchor` with `grip`, in pose `pose`."""

    def plan(r: _Request) -> InteractionPlan:
        return InteractionPlan("hold_one", pose, r.side, r.hand, r.tolerated, anchor, grip, "free")

    return plan


_BOTH_HANDS = ("right_hand", "left_hand")

_NEAR_POSES: dict[str, tuple[str, FloorMode]] = {
    "sit_floor": ("sit_floor", "above"), "kneel": ("kneel", "above"), "squat": ("squat", "stand"),
    "crouch": ("crouch", "above"), "stand": ("stand", "stand"),
}
"""Action → (pose, floor mode) of a body near the object, touching only the floor."""

_PERCH_PARTS: dict[str, tuple[str, ...]] = {
    "step_on": ("left_foot", "right_foot"), "squat": ("left_foot", "right_foot"),
    "crouch": ("left_foot", "right_foot"), "kneel": ("right_leg", "left_leg"),
}
"""Action → the parts a body rests on an object's top with (`_perch`)."""


def _near_plan(r: _Request) -> InteractionPlan:
    """The body on the floor near the object (standing, sitting on the floor, kneeling ...)."""
    pose, floor = _NEAR_POSES.get(r.action, _NEAR_POSES["stand"])
    return InteractionPlan("near", pose, "right", (), (), floor=floor)


def _grab_pose(height: float) -> str:
    """"grab_low" (bent over) for a hold below `LOW_OBJECT_M` + 0.1 m, else "grab"."""
    return "grab_low" if height < LOW_OBJECT_M + 0.1 else "grab"


def _grab_hook(r: _Request) -> InteractionPlan:
    """One hand hooks the object's first bar where the object stands."""
    anchor = _anchor_of(r)
    return InteractionPlan("reach_one", _grab_pose(float(r.anchors[anchor].point[1])), r.side, r.hand, r.tolerated,
                           anchor, "hook")


def _anchor_of(r: _Request) -> str:
    anchor = r.hook_anchor
    assert anchor is not None, "a hook plan without a bar"
    return anchor


def _grab_press(r: _Request) -> InteractionPlan:
    """One palm on an object with no bar or grip, where it stands."""
    return InteractionPlan("reach_one", _grab_pose(r.afford.height), r.side, r.hand, r.tolerated, None, "press")


def _arms_fit(r: _Request, longest: float) -> bool:
    """Whether both arms reach around the object: its narrower horizontal side within
    `ARMS_SIZE_M` and no extent over `longest` metres."""
    x, y, z = r.afford.size
    return ARMS_SIZE_M[0] <= min(x, z) <= ARMS_SIZE_M[1] and max(x, y, z) <= longest


def _foot_top(r: _Request, highest: float) -> bool:
    """Whether the object has a flat top between 8 cm and `highest` metres."""
    top = r.afford.top
    return top is not None and 0.08 <= top.height <= highest


def _names_arm(r: _Request) -> bool:
    """The text names an arm (a shoulder) without its hand: "over her left shoulder"."""
    parts = set(r.prompt.contact_parts)
    return bool(parts & {"right_arm", "left_arm"}) and not parts & {"right_hand", "left_hand"}


def _other_side(r: _Request, keep_clear: tuple[str, ...]) -> tuple[str, ...]:
    """Contact 'other''s tolerated parts less `keep_clear` (those must not touch: a hand
    touching with its own arm alone would make the contact a hand's)."""
    return tuple(p for p in r.tolerated if p not in keep_clear)


_NO_CONTACT_RULES = (
    PlanRule("point at it: the object on the floor where the arm points", lambda r: r.action == "point_at",
             lambda r: InteractionPlan("point", "point_at", "right", (), ())),
    PlanRule("sit on the floor, kneel, squat, crouch or stand near the object", _always, _near_plan),
)

_ONE_HAND_RULES = (
    PlanRule("drag or pull with no bar to hook: press on it",
             lambda r: r.action in ("drag", "pull") and r.hook_anchor is None, _press_one),
    PlanRule("drag or pull: hook the first bar", lambda r: r.action in ("drag", "pull"), _hook_one),
    PlanRule("a suitcase carried by its trolley handle rolls behind the hand", lambda r: r.rolling, _hook_one),
    PlanRule("push, lean or stand: press on it", lambda r: r.action in ("push", "lean", "stand"), _press_one),
    PlanRule("hold up by the handle", lambda r: r.action in _HOLDING and "handle" in r.anchors,
             _held_one("carry", "handle", "hook")),
    PlanRule("hold up by the grip, the hand wrapped round it", lambda r: r.action in _HOLDING and "grip" in r.anchors,
             _held_one("hold", "grip", "wrap")),
    PlanRule("a portable thing with nothing to grip rests on the palm",
             lambda r: r.action in _HOLDING and r.obj.kind == "held", _held_one("hold_palm_up", None, "support")),
    PlanRule("hold up by the backrest", lambda r: r.action in _HOLDING and "backrest_top" in r.anchors,
             _held_one("carry", "backrest_top", "hook")),
    PlanRule("hold up by the rim", lambda r: r.action in _HOLDING and "rim" in r.anchors,
             _held_one("carry", "rim", "hook")),
    PlanRule("nothing to hold it by: press on it", lambda r: r.action in _HOLDING, _press_one),
    PlanRule("grab a grip: the hand wraps round it and takes it up",
             lambda r: r.action == "grab" and "grip" in r.anchors,
             _held_one("grab", "grip", "wrap")),
    PlanRule("grab a bar (a handle, a backrest, a rim): hook it where the object stands",
             lambda r: r.action == "grab" and r.hook_anchor is not None, _grab_hook),
    PlanRule("grab anything else: the palm on it where it stands", lambda r: r.action == "grab", _grab_press),
    PlanRule("hold out by the handle", lambda r: r.action == "hold_out" and "handle" in r.anchors,
             _held_one("hold_out", "handle", "hook")),
    PlanRule("hold out by the grip", lambda r: r.action == "hold_out" and "grip" in r.anchors,
             _held_one("hold_out", "grip", "wrap")),
    PlanRule("hold out on the palm: an object no bigger than a hand holds",
             lambda r: r.action == "hold_out" and max(r.afford.size) <= HAND_SIZE_M,
             _held_one("hold_out_palm_up", None, "support")),
    PlanRule("throw by the grip", lambda r: r.action == "throw" and "grip" in r.anchors,
             _held_one("throw", "grip", "wrap")),
    PlanRule("throw from the palm: an object no bigger than a hand holds",
             lambda r: r.action == "throw" and max(r.afford.size) <= HAND_SIZE_M,
             _held_one("throw", None, "support")),
    PlanRule("holding out or throwing needs something one hand holds", lambda r: r.action in ("hold_out", "throw"),
             refuse=f"holding out or throwing with one hand needs a handle, a grip or an object at most "
                    f"{HAND_SIZE_M:.2f} m across; ask for both hands to lift or raise it"),
    PlanRule("other actions", _always,
             refuse="one-hand contact goes with carry, hold, lift, drag, pull, push, lean, grab, hold out or throw"),
)

_TWO_HAND_RULES = (
    PlanRule("hold up between the palms", lambda r: r.action in ("carry", "carry_two_hands", "hold", "lift"),
             lambda r: InteractionPlan("hold_two", "lift" if r.action == "lift" else "hold_two_hands", "right",
                                       _BOTH_HANDS, r.tolerated, None, "press", "free")),
    PlanRule("push, pull, drag, lean or stand: both palms press on it",
             lambda r: r.action in ("push", "pull", "drag", "lean", "stand"),
             lambda r: InteractionPlan("reach_two", _press_pose(r.obj, one_hand=False), "right", _BOTH_HANDS,
                                       r.tolerated, None, "press")),
    PlanRule("hug: both arms around an object held against the chest",
             lambda r: r.action == "hug" and _arms_fit(r, 0.9),
             lambda r: InteractionPlan("hug", "hug", "right", (*_BOTH_HANDS, "torso_front"), r.tolerated, None,
                                       "press", "free")),
    PlanRule("raise overhead: held up between the palms above the head",
             lambda r: r.action == "raise_overhead" and _arms_fit(r, 0.8),
             lambda r: InteractionPlan("overhead", "raise_overhead", "right", _BOTH_HANDS, r.tolerated, None,
                                       "press", "free")),
    PlanRule("hugging or raising overhead needs an object the arms reach around",
             lambda r: r.action in ("hug", "raise_overhead"),
             refuse=f"hugging or raising an object overhead needs one {ARMS_SIZE_M[0]:.2f}-{ARMS_SIZE_M[1]:.2f} m "
                    "across that the arms reach around; hold or push a bigger one"),
    PlanRule("lean on the forearms: a flat top at forearm height",
             lambda r: r.action == "lean_forearms" and r.afford.top is not None
             and FOREARM_TOP_M[0] <= r.afford.top.height <= FOREARM_TOP_M[1],
             lambda r: InteractionPlan("forearms", "lean_forearms", "right", (*_BOTH_HANDS, "right_arm", "left_arm"),
                                       r.tolerated, None, "press")),
    PlanRule("leaning on the forearms needs a top at forearm height", lambda r: r.action == "lean_forearms",
             refuse=f"leaning on the forearms needs a flat top {FOREARM_TOP_M[0]}-{FOREARM_TOP_M[1]} m high "
                    "(a table, a counter)"),
    PlanRule("other actions", _always,
             refuse="two-hand contact goes with carry, hold, lift, push, pull, drag, lean, hug, raise overhead or "
                    "lean on the forearms"),
)

_BACK_RULES = (
    PlanRule("lean back on the backrest", lambda r: r.action == "lean" and "backrest_top" in r.anchors,
             lambda r: InteractionPlan("lean_back", "lean_back", "right", ("back",), r.tolerated, "backrest_top")),
    PlanRule("lean back against a vertical side, the knees bent as low as it needs",
             lambda r: r.action == "lean" and r.afford.side(LEAN_SIDE_MIN_M) is not None,
             lambda r: InteractionPlan("lean_wall", "lean_back", "right", ("back",), r.tolerated)),
    PlanRule("sit on the floor, the back against a vertical side (leaning against a low one too)",
             lambda r: r.action in ("sit_floor", "lean") and r.afford.side(FLOOR_SIDE_MIN_M) is not None,
             lambda r: InteractionPlan("sit_floor", "sit_floor", "right", ("back",), r.tolerated, None, "none",
                                       "fixed", "above")),
    PlanRule("leaning or sitting on the floor against it needs a side high enough",
             lambda r: r.action in ("sit_floor", "lean"),
             refuse=f"leaning the back against an object needs a backrest or a vertical side at least "
                    f"{FLOOR_SIDE_MIN_M} m high (sitting on the floor against it below {LEAN_SIDE_MIN_M} m); "
                    "ask for no contact to sit next to it"),
    PlanRule("lying with the back only needs a support without a backrest",
             lambda r: r.action == "lie" and (r.obj.category not in ("bench", "table") or "backrest" in r.anchors),
             refuse="lying with only the back touching needs a support without a backrest (a table); on a bench "
                    "the backrest meets the arms, so ask for contact 'other'"),
    PlanRule("lie on the support's end, the legs hanging off", lambda r: r.action == "lie",
             lambda r: InteractionPlan("lie", "lie", "right", ("back",), r.tolerated, None, "none", "fixed",
                                       "above")),
    PlanRule("a portable object is worn on the back", lambda r: r.action in _HOLDING and r.obj.kind == "held",
             lambda r: InteractionPlan("wear_back", "wear_on_back", "right", ("back",), r.tolerated, None, "none",
                                       "free")),
    PlanRule("sitting is contact 'other'", lambda r: r.action == "sit",
             refuse="a seated body touches the seat with its hips and thighs, which makes contact 'other'; ask for "
                    "contact 'other' (the back still goes on the backrest when the text names it)"),
    PlanRule("other actions", _always,
             refuse="back contact goes with lean (a backrest or a vertical side), sitting on the floor against it, "
                    "lie (bench, table) or carry / hold of a portable object (a backpack)"),
)

_ONE_LEG_RULES = (
    PlanRule("sitting or lying touches with more than one leg", lambda r: r.action in ("sit", "lie"),
             refuse="a single leg touching goes with kick, push, rest a foot on or stand next to"),
    PlanRule("rest a foot on a flat top",
             lambda r: r.action in ("rest_foot", "step_on") and _foot_top(r, FOOT_TOP_MAX_M),
             lambda r: InteractionPlan("foot_on", "rest_foot", r.side, (f"{r.side}_foot",), r.tolerated, None, "none",
                                       "fixed", "stand")),
    PlanRule("resting a foot needs a flat top", lambda r: r.action in ("rest_foot", "step_on"),
             refuse=f"resting a foot on an object needs a flat top 0.08-{FOOT_TOP_MAX_M} m high (a step, a stool, "
                    "a box, a bench or a chair seat)"),
    PlanRule("the foot on the object", _always,
             lambda r: InteractionPlan("foot", "kick", r.side, (f"{r.side}_foot",), r.tolerated, None, "none",
                                       "fixed", "stand")),
)

_OTHER_RULES = (
    PlanRule("sitting needs a seat", lambda r: r.action == "sit" and r.seat is None,
             refuse="sitting needs a seat or a top surface"),
    PlanRule("sitting against a backrest needs one",
             lambda r: r.action == "sit" and "back" in r.prompt.contact_parts and "backrest" not in r.anchors,
             refuse="sitting with the back against a backrest needs a chair or a bench with one; drop the backrest "
                    "words or pick one of those objects"),
    PlanRule("sit, the back against the backrest", lambda r: r.action == "sit" and "back" in r.prompt.contact_parts,
             lambda r: InteractionPlan("sit_back", "sit_back", "right", ("back",), r.tolerated, r.seat, "none",
                                       "fixed", "stand")),
    PlanRule("sit on the seat", lambda r: r.action == "sit",
             lambda r: InteractionPlan("sit", "sit", "right", ("right_leg", "left_leg"), r.tolerated, r.seat,
                                       "none", "fixed", "stand")),
    PlanRule("lying needs a bench or a table", lambda r: r.action == "lie" and r.obj.category not in ("bench", "table"),
             refuse="lying needs a bench or a table"),
    PlanRule("lie flat on the support", lambda r: r.action == "lie",
             lambda r: InteractionPlan("lie", "lie_flat", "right", ("back", "right_leg", "left_leg"), r.tolerated,
                                       None, "none", "fixed", "above")),
    PlanRule("standing on it needs a flat top",
             lambda r: r.action == "stand" and (r.seat is None or r.obj.category in ("ball", "bottle", "mug")),
             refuse="standing on an object needs a flat top (box, stool, chair, bench, table)"),
    PlanRule("stand on its top", lambda r: r.action == "stand",
             lambda r: InteractionPlan("stand_on", "stand_on", "right", ("left_foot", "right_foot"), r.tolerated,
                                       r.seat, "none", "fixed", "above")),
    PlanRule("step onto, squat or crouch on a flat top",
             lambda r: r.action in ("step_on", "squat", "crouch") and _foot_top(r, FOOT_TOP_MAX_M),
             lambda r: InteractionPlan("perch", r.action, "right", _PERCH_PARTS[r.action], r.tolerated, None, "none",
                                       "fixed", "above")),
    PlanRule("kneel on a low flat top", lambda r: r.action == "kneel" and _foot_top(r, KNEEL_TOP_MAX_M),
             lambda r: InteractionPlan("perch", "kneel", "right", _PERCH_PARTS["kneel"], r.tolerated, None, "none",
                                       "fixed", "above")),
    PlanRule("stepping, squatting, crouching or kneeling on it needs a flat top",
             lambda r: r.action in _PERCH_PARTS,
             refuse=f"stepping, squatting or crouching on an object needs a flat top at most {FOOT_TOP_MAX_M} m high, "
                    f"kneeling one at most {KNEEL_TOP_MAX_M} m (a box, a stool, a bench)"),
    PlanRule("lean sideways: one forearm across a top at elbow height",
             lambda r: r.action == "lean_side" and ELBOW_TOP_M[0] <= r.afford.height <= ELBOW_TOP_M[1],
             lambda r: InteractionPlan("lean_side", "lean_side", r.side, (f"{r.side}_arm",),
                                       _other_side(r, (f"{r.side}_hand", "head")))),
    PlanRule("lean sideways: the shoulder against a tall side",
             lambda r: r.action == "lean_side" and r.afford.tallest_side >= SHOULDER_SIDE_MIN_M,
             lambda r: InteractionPlan("lean_side", "lean_side_shoulder", r.side, (f"{r.side}_arm",),
                                       _other_side(r, (f"{r.side}_hand", "head")))),
    PlanRule("leaning sideways needs a top at elbow height or a tall side", lambda r: r.action == "lean_side",
             refuse=f"leaning sideways needs a top {ELBOW_TOP_M[0]}-{ELBOW_TOP_M[1]} m high for the forearm or a "
                    f"vertical side at least {SHOULDER_SIDE_MIN_M} m high for the shoulder"),
    PlanRule("carry on the shoulder: a portable object, the hand steadying it",
             lambda r: (r.action == "carry_shoulder" or (r.action in _HOLDING and _names_arm(r)))
             and r.obj.kind == "held" and max(r.afford.size) <= 1.1,
             lambda r: InteractionPlan("shoulder", "carry_shoulder", r.side, (f"{r.side}_hand",),
                                       (*r.tolerated, "head"), None, "support", "free")),
    PlanRule("carry under the arm: a portable object at most 35 cm thick",
             lambda r: r.action == "carry_under_arm" and r.obj.kind == "held"
             and 0.08 <= min(r.afford.size[0], r.afford.size[2]) <= 0.35 and r.afford.height <= 0.6,
             lambda r: InteractionPlan("under_arm", "carry_under_arm", r.side, (f"{r.side}_arm", "torso_front"),
                                       _other_side(r, (f"{r.side}_hand", "head")), None, "support", "free")),
    PlanRule("carrying on the shoulder or under the arm needs a portable object",
             lambda r: r.action in ("carry_shoulder", "carry_under_arm") or (r.action in _HOLDING and _names_arm(r)),
             refuse="carrying on the shoulder needs a portable object at most 1.1 m long, under the arm one at most "
                    "0.35 m thick and 0.6 m high"),
    PlanRule("other actions", _always,
             refuse="contact 'other' goes with sit, lie, stand, step onto, kneel, squat or crouch (on the object), "
                    "lean sideways, or carry on the shoulder or under the arm"),
)

_PLAN_RULES: dict[ContactConfig, tuple[PlanRule, ...]] = {
    ContactConfig.NO_CONTACT: _NO_CONTACT_RULES,
    ContactConfig.RIGHT_HAND: _ONE_HAND_RULES,
    ContactConfig.LEFT_HAND: _ONE_HAND_RULES,
    ContactConfig.BOTH_HANDS: _TWO_HAND_RULES,
    ContactConfig.BACK: _BACK_RULES,
    ContactConfig.RIGHT_LEG: _ONE_LEG_RULES,
    ContactConfig.LEFT_LEG: _ONE_LEG_RULES,
    ContactConfig.OTHER: _OTHER_RULES,
}
"""Configuration → its planning table; every table ends with a rule that always applies."""


def plan_interaction(prompt: Prompt, obj: ProceduralObject) -> InteractionPlan:
    """Choose the mode, pose, grip and parts of an interaction (module table).

    The requested configuration picks a table of `PlanRule`s (`_PLAN_RULES`);
    its first rule that applies builds the plan or refuses the request.

    Args:
        prompt: parsed prompt with `action` and `requested_config` set.
        obj: the object.

    Raises:
        InputError: a combination the compose generator cannot stage, naming
            the reason and what would work.
    """
    request = _Request(prompt, obj, prompt.requested_config or ContactConfig.NO_CONTACT, prompt.action or "stand")
    for rule in _PLAN_RULES[request.config]:
        if rule.when(request):
            if rule.plan is None:
                raise _unsupported(prompt, obj, rule.refuse or rule.says)
            return rule.plan(request)
    raise _unsupported(prompt, obj, "no planning rule applies")


# --------------------------------------------------------------------------- body sites


@dataclass(frozen=True)
class BodySites:
    """Named points on a body (see `body_sites`).

    Attributes:
        palm: side → palm centre; normal out of the palm; carried by the wrist.
        palm_clearance: side → how far the hand (the thumb) stands out of the
            palm plane near the palm centre, metres: a palm pressing on a face
            is held this far off it so nothing of the hand goes in.
        palm_normal: side → (3,) rest palm normal n.
        finger_dir: side → (3,) rest finger direction f (wrist → knuckles).
        forearm_dir: side → (3,) rest forearm direction u (elbow → wrist).
        sole: foot part name → sole; normal down; carried by the ankle.
        toe: side → front of the foot; normal forward; carried by the toes joint.
        back_mid: middle of the back; normal backwards; carried by spine2.
        back_low: lumbar back above the hips; normal backwards; carried by spine1.
        hook_hand: side → (hand surface samples, knuckle-area vertex ids, their
            mean, wrist position), all in the rest frame with the hand in the
            hook grip (`hook_grip`).
    """

    palm: dict[str, Site]
    palm_clearance: dict[str, float]
    palm_normal: dict[str, np.ndarray]
    finger_dir: dict[str, np.ndarray]
    forearm_dir: dict[str, np.ndarray]
    sole: dict[str, Site]
    toe: dict[str, Site]
    back_mid: Site
    back_low: Site
    hook_hand: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]]
    hook_cache: dict[tuple, Site] = field(default_factory=dict)

    def hook_grip(self, side: str) -> dict[int, np.ndarray]:
        """Joint rotations (SMPL index → (3,) axis-angle) of the hook grip: the wrist
        flexed `HOOK_WRIST_DEG` and the fingers curled `HOOK_CURL_DEG` towards the
        palm, so the fingers stand about square to the forearm."""
        axis = np.cross(self.finger_dir[side], self.palm_normal[side])
        axis /= np.linalg.norm(axis)
        return {
            JOINT_INDEX[f"{side}_wrist"]: axis * math.radians(HOOK_WRIST_DEG),
            JOINT_INDEX[f"{side}_hand"]: axis * math.radians(HOOK_CURL_DEG),
        }

    def curl(self, side: str, degrees: float) -> np.ndarray:
        """(3,) axis-angle of the `*_hand` joint curling the fingers towards the palm."""
        axis = np.cross(self.finger_dir[side], self.palm_normal[side])
        return axis / np.linalg.norm(axis) * math.radians(degrees)

    def hook_site(self, side: str, radius: float, clearance: float = 0.3) -> Site:
        """Where the centre of a bar of `radius` metres sits in the hook grip when the
        object's surface lies `clearance` metres beyond the bar centre, away from
        the wrist (a suitcase's top under its handle): see `_crook`. The site is
        carried by the wrist; its normal points from the bar up the forearm (the
        side a hooked handle is approached from)."""
        key = (side, round(float(radius), 4), round(min(float(clearance), 0.3), 3))
        site = self.hook_cache.get(key)
        if site is None:
            samples, ids, mean, _ = self.hook_hand[side]
            u = self.forearm_dir[side]
            flex = Rotation.from_rotvec(self.hook_grip(side)[JOINT_INDEX[f"{side}_wrist"]]).as_matrix()
            centre = _crook(samples, u, flex @ self.palm_normal[side], key[1], key[2])
            site = Site(f"{side}_hook", ids, JOINT_INDEX[f"{side}_wrist"], flex.T @ -u, flex.T @ (centre - mean))
            self.hook_cache[key] = site
        return site


def body_sites(rig: BodyRig) -> BodySites:
    """Sites of a body from its rest pose.

    Hand frame at rest: f = wrist → knuckles (the `*_hand` joint); the palm normal
    n is the direction the fingertips curl to, orthogonal to f (Anny's relaxed
    fingers curl towards the palm).
    """
    v = rig.rest_vertices.numpy().astype(np.float64)
    joints = rig.rest_joints.numpy().astype(np.float64)
    labels = rig.part_labels
    weights = rig.weights.numpy()
    normals = _rest_normals(rig)
    palm, palm_clearance, palm_normal, finger_dir, forearm_dir, toe = {}, {}, {}, {}, {}, {}
    for side in ("right", "left"):
        wrist_j = JOINT_INDEX[f"{side}_wrist"]
        wrist, knuckle = joints[wrist_j], joints[JOINT_INDEX[f"{side}_hand"]]
        f = knuckle - wrist
        f /= np.linalg.norm(f)
        fingers = weights[:, JOINT_INDEX[f"{side}_hand"]] > 0.5
        d = np.linalg.norm(v[fingers] - wrist, axis=1)
        tips = v[fingers][d >= np.quantile(d, 0.9)].mean(axis=0)
        c = tips - knuckle
        n = c - (c @ f) * f
        n /= np.linalg.norm(n)
        sel = np.flatnonzero((weights[:, wrist_j] > 0.5) & (normals @ n > 0.6))
        palm[side] = Site(f"{side}_palm", sel, wrist_j, n)
        centre = v[sel].mean(axis=0)
        hand = labels == BODY_PARTS.index(f"{side}_hand")
        rel = v[hand] - centre
        around = np.linalg.norm(rel - np.outer(rel @ n, n), axis=1) < 0.06
        palm_clearance[side] = float(max(0.0, (rel[around] @ n).max()))
        palm_normal[side] = n
        finger_dir[side] = f
        u = wrist - joints[JOINT_INDEX[f"{side}_elbow"]]
        forearm_dir[side] = u / np.linalg.norm(u)
        foot = np.flatnonzero(labels == BODY_PARTS.index(f"{side}_foot"))
        low = foot[v[foot, 1] <= v[foot, 1].min() + 0.05]
        front = low[v[low, 2] >= v[low, 2].max() - 0.008]
        tip = v[front].mean(axis=0)
        toe[side] = Site(f"{side}_toe", front, JOINT_INDEX[f"{side}_foot"], np.array([0.0, 0.0, 1.0]),
                         np.array([0.0, 0.0, v[low, 2].max() - tip[2] + 0.004]))
    sole = {}
    for foot_name in ("left_foot", "right_foot"):
        foot = np.flatnonzero(labels == BODY_PARTS.index(foot_name))
        low = foot[v[foot, 1] <= v[foot, 1].min() + 0.012]
        ankle = JOINT_INDEX[foot_name.replace("foot", "ankle")]
        sole[foot_name] = Site(f"{foot_name}_sole", low, ankle, np.array([0.0, -1.0, 0.0]))
    back = np.flatnonzero((labels == BODY_PARTS.index("back")) & (np.abs(v[:, 0]) < 0.06) & (normals[:, 2] < -0.7))
    y2 = joints[JOINT_INDEX["spine2"], 1]
    mid = back[np.abs(v[back, 1] - y2) < 0.04]
    low = back[v[back, 1] <= v[back, 1].min() + 0.04]
    back_mid = Site("back_mid", mid, JOINT_INDEX["spine2"], np.array([0.0, 0.0, -1.0]))
    back_low = Site("back_low", low, JOINT_INDEX["spine1"], np.array([0.0, 0.0, -1.0]))
    sites = BodySites(palm, palm_clearance, palm_normal, finger_dir, forearm_dir, sole, toe, back_mid, back_low, {})
    for side in ("right", "left"):
        pose = np.zeros((len(rig.parents), 3))
        for j, rv in sites.hook_grip(side).items():
            pose[j] = rv
        posed, world = rig.posed_numpy(pose, np.zeros(3))
        wrist = world[JOINT_INDEX[f"{side}_wrist"], :3, 3]
        knuckle = world[JOINT_INDEX[f"{side}_hand"], :3, 3]
        hand = labels == BODY_PARTS.index(f"{side}_hand")
        faces = rig.faces[hand[rig.faces].all(axis=1)]
        bary = np.array([[1, 0, 0], [1, 1, 0], [1, 1, 1], [2, 1, 1], [4, 1, 1], [1, 4, 1], [1, 1, 4]], float)
        bary /= bary.sum(axis=1, keepdims=True)
        dense = np.einsum("pk,fkd->fpd", bary, posed[faces]).reshape(-1, 3)
        dense = dense[np.linalg.norm(dense - knuckle, axis=1) < 0.13]
        wrist_j = JOINT_INDEX[f"{side}_wrist"]
        ids = np.flatnonzero((weights[:, wrist_j] > 0.5) & (np.linalg.norm(posed - knuckle, axis=1) < 0.035))
        sites.hook_hand[side] = (dense, ids, posed[ids].mean(axis=0), wrist)
    return sites


def _crook(samples: np.ndarray, u: np.ndarray, palm_normal: np.ndarray, radius: float, clearance: float) -> np.ndarray:
    """Centre (rest frame) of a bar held in the hook grip.

    The bar runs across the hand (perpendicular to the forearm direction `u` and
    the palm normal); the hand's surface samples within 4.5 cm of the bar's
    middle are rasterised on a 1.5 mm grid of the plane of `u` and the palm
    normal, and a Euclidean distance transform gives every cell's distance to
    the hand. A cell is valid when that distance is ≥ radius + 2 mm and no
    sample reaches further than `clearance` - 3 mm beyond it along `u` (into the
    object's surface under the bar). Among valid cells the most enclosed wins:
    the most hand cells within radius + 1.5 cm both on its palm side and beyond
    it along `u` (the crook between palm and fingers). When none is valid (a gap
    too small for the fingers) the cell reaching least far beyond is used.
    """
    from scipy import ndimage

    m = palm_normal - (palm_normal @ u) * u
    m /= np.linalg.norm(m)
    k = np.cross(u, m)
    origin = samples.mean(axis=0)
    rel = samples - origin
    rel = rel[np.abs(rel @ k) < 0.045]
    pu, pm = rel @ u, rel @ m
    h = 0.0015
    pad = 0.03
    lo_u, lo_m = pu.min() - pad, pm.min() - pad
    shape = (int((pu.max() + pad - lo_u) / h) + 1, int((pm.max() + pad - lo_m) / h) + 1)
    occ = np.zeros(shape, dtype=bool)
    occ[((pu - lo_u) / h).astype(int), ((pm - lo_m) / h).astype(int)] = True
    occ = ndimage.binary_closing(occ, iterations=2)  # close gaps between samples
    occ = ndimage.binary_fill_holes(occ)
    dist = ndimage.distance_transform_edt(~occ) * h
    cu = lo_u + np.arange(shape[0]) * h
    reach = (pu.max() - cu)[:, None] * np.ones(shape)
    clear = dist >= radius + 0.002
    valid = clear & (reach <= clearance - 0.003)
    r = int(np.ceil((radius + 0.015) / h))
    yy, xx = np.mgrid[-r:r + 1, -r:r + 1]
    disk = (yy**2 + xx**2) <= r * r
    cut = int(np.ceil(0.5 * radius / h))
    palm_side = ndimage.correlate(occ.astype(float), (disk & (xx < -cut)).astype(float), mode="constant")
    beyond = ndimage.correlate(occ.astype(float), (disk & (yy > cut)).astype(float), mode="constant")
    score = np.minimum(palm_side, beyond)
    if not valid.any():
        valid, score = clear, -reach
    score = np.where(valid, score, -np.inf)
    i, j = np.unravel_index(int(np.argmax(score)), shape)
    return origin + u * (lo_u + i * h) + m * (lo_m + j * h)


def _rest_normals(rig: BodyRig) -> np.ndarray:
    from hoiexport.sdk.geometry.normals import vertex_normals

    return vertex_normals(rig.rest_vertices.numpy().astype(np.float64), rig.faces)


def site_world(site: Site, verts: np.ndarray, world: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(3,) position and (3,) unit normal of a site on a posed body (numpy)."""
    rot = world[site.joint, :3, :3]
    return verts[site.vertices].mean(axis=0) + rot @ site.offset_rest, rot @ site.normal_rest


# --------------------------------------------------------------------------- geometry helpers


def align(a1: np.ndarray, b1: np.ndarray, a2: np.ndarray, b2: np.ndarray) -> np.ndarray:
    """(3, 3) rotation taking a1 onto b1 exactly and a2 as close to b2 as possible."""

    def frame(x: np.ndarray, y: np.ndarray) -> np.ndarray:
        x = x / np.linalg.norm(x)
        y = y - (y @ x) * x
        ny = np.linalg.norm(y)
        if ny < 1e-8:  # a2 parallel to a1: any perpendicular
            y = np.cross(x, [1.0, 0.0, 0.0] if abs(x[0]) < 0.9 else [0.0, 1.0, 0.0])
            ny = np.linalg.norm(y)
        y = y / ny
        return np.stack([x, y, np.cross(x, y)], axis=1)

    return frame(np.asarray(b1, float), np.asarray(b2, float)) @ frame(np.asarray(a1, float), np.asarray(a2, float)).T


def yaw(angle: float) -> np.ndarray:
    """(3, 3) rotation about +Y by `angle` radians."""
    c, s = math.cos(angle), math.sin(angle)
    return np.array([[c, 0.0, s], [0.0, 1.0, 0.0], [-s, 0.0, c]])


def _yaw_towards(axis_obj: np.ndarray, target: np.ndarray) -> np.ndarray:
    """Yaw rotation turning a horizontal object axis towards a world direction's horizontal part."""
    a = np.array([axis_obj[0], 0.0, axis_obj[2]])
    b = np.array([target[0], 0.0, target[2]])
    if np.linalg.norm(a) < 1e-6 or np.linalg.norm(b) < 1e-6:
        return np.eye(3)
    ang = math.atan2(a[2], a[0]) - math.atan2(b[2], b[0])
    return yaw(ang)


def anchor_depth(surface: ObjectSurface, point: np.ndarray) -> float:
    """How deep an anchor lies inside its object (a bar's radius), metres; 0 outside."""
    _, d, _, _ = surface.signed_distance(np.asarray(point, float)[None])
    return max(0.0, -float(d[0]))


def bar_clearance(obj: ProceduralObject, point: np.ndarray, normal: np.ndarray, radius: float) -> float:
    """Distance from a bar's centre to the next surface on its far side from the hand
    (along -normal, past the bar itself), metres; 0.3 when nothing is within 0.3 m."""
    tm = trimesh.Trimesh(obj.mesh.vertices.astype(np.float64), obj.mesh.faces, process=False)
    start = np.asarray(point, float) - np.asarray(normal, float) * (radius + 0.002)
    hits = []
    for dx in (-0.03, 0.0, 0.03):  # across the fingers' width
        origin = start + np.asarray(_perp(normal), float) * dx
        hit = _ray(tm, origin, -np.asarray(normal, float))
        if hit is not None:
            hits.append(radius + 0.002 + float(np.linalg.norm(hit[0] - origin)))
    return min(hits + [0.3])


def _perp(v: np.ndarray) -> np.ndarray:
    v = np.asarray(v, float)
    p = np.cross(v, [1.0, 0.0, 0.0] if abs(v[0]) < 0.9 else [0.0, 1.0, 0.0])
    return p / np.linalg.norm(p)


def _ray(tm: trimesh.Trimesh, origin: np.ndarray, direction: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """First hit (point, outward face normal) of one ray, or None."""
    loc, _, tri = tm.ray.intersects_location(np.asarray(origin, float)[None], np.asarray(direction, float)[None],
                                             multiple_hits=True)
    if len(loc) == 0:
        return None
    k = int(np.argmin(np.linalg.norm(loc - origin, axis=1)))
    return loc[k], np.asarray(tm.face_normals[tri[k]])


# --------------------------------------------------------------------------- problem building


@dataclass(frozen=True)
class Staging:
    """The initial placement and everything `optimise_placement` needs.

    Attributes:
        problem: the placement problem.
        plan: the plan it stages.
        notes: facts for provenance (grip radius, object yaw, fall-backs taken),
            JSON-able once numpy scalars are made floats (`generate._plain`).
    """

    problem: PlacementProblem
    plan: InteractionPlan
    notes: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class StageSpec:
    """What one staging mode decides: the initial placement and its targets.

    Frames: internal (+Y up, metres, the character faces +Z); the object is
    placed by x_world = object_rotation @ x_object + object_translation.

    Attributes:
        pose: (24, 3) float64 axis-angle pose, radians, after the mode's own
            changes (a grip, the lying orientation); also the optimiser's prior.
        transl: (3,) float64 body translation, metres.
        object_rotation: (3, 3) float64 object rotation.
        object_translation: (3,) float64 object translation, metres.
        targets: site targets (`placement.SiteTarget`).
        notes: facts for provenance, in the order they are written.
        floor: the floor mode when the mode decides it (a seat's height), else
            None: the plan's.
        feet: soles kept on the floor in "stand" mode.
        move_root: whether the optimiser moves the body translation.
        object_sigma_deg: prior scale of a free object's rotation, degrees
            (None: `PlacementOptions.object_sigma_deg`).
        object_sigma_m: prior scale of a free object's translation, metres
            (None: `PlacementOptions.object_sigma_m`).
        object_fixed: a held object that stays where it is after all (too tall
            to hang from the hand: it stands on the floor).
    """

    pose: np.ndarray
    transl: np.ndarray
    object_rotation: np.ndarray
    object_translation: np.ndarray
    targets: tuple[SiteTarget, ...] = ()
    notes: dict[str, Any] = field(default_factory=dict)
    floor: FloorMode | None = None
    feet: tuple[str, ...] = ("left_foot", "right_foot")
    move_root: bool = True
    object_sigma_deg: float | None = None
    object_sigma_m: float | None = None
    object_fixed: bool = False


class Stager(Protocol):
    """One staging mode (`_STAGERS`): the initial placement of a plan.

    Args:
        plan: from `plan_interaction`.
        rig: the body with its shape.
        sites: `body_sites(rig)`.
        obj: the object (its own frame).
        surface: `ObjectSurface(obj.mesh)`.
        pose: (24, 3) float64 seeded pose, axis-angle radians.
        rng: the seed's placement stream.
    """

    def __call__(self, plan: InteractionPlan, rig: BodyRig, sites: BodySites, obj: ProceduralObject,
                 surface: ObjectSurface, pose: np.ndarray, rng: np.random.Generator) -> StageSpec: ...


def _grounded(rig: BodyRig, pose: np.ndarray, transl: np.ndarray, floor_y: float = 0.0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Translation moving the posed body so its lowest vertex is at `floor_y`; posed vertices and joints."""
    verts, world = rig.posed_numpy(pose, transl)
    shift = np.array([0.0, floor_y - verts[:, 1].min(), 0.0])
    return transl + shift, verts + shift, _shift_world(world, shift)


def _shift_world(world: np.ndarray, shift: np.ndarray) -> np.ndarray:
    out = world.copy()
    out[:, :3, 3] += shift
    return out


def _object_mesh_world(obj: ProceduralObject, rot: np.ndarray, trans: np.ndarray) -> trimesh.Trimesh:
    return trimesh.Trimesh(obj.mesh.vertices.astype(np.float64) @ rot.T + trans, obj.mesh.faces, process=False)


def build_problem(
    plan: InteractionPlan,
    rig: BodyRig,
    sites: BodySites,
    obj: ProceduralObject,
    surface: ObjectSurface,
    pose: np.ndarray,
    rng: np.random.Generator,
) -> Staging:
    """The initial placement of a plan (module docstring) as a `PlacementProblem`.

    The plan's mode picks its `Stager` (`_STAGERS`); the `StageSpec` it returns
    and the plan make the problem.

    Args:
        plan: from `plan_interaction`.
        rig: the body with its shape.
        sites: `body_sites(rig)`.
        obj: the object (its own frame).
        surface: `ObjectSurface(obj.mesh)`.
        pose: (24, 3) seeded pose (axis-angle radians) to start from; after the
            staging's own changes (a grip, the lying orientation) it is also the
            prior the optimiser pulls the free joints back to.
        rng: the seed's placement stream (sides, yaw, distance choices).
    """
    stage = _STAGERS[plan.mode](plan, rig, sites, obj, surface, np.asarray(pose, float), rng)
    problem = PlacementProblem(
        pose=stage.pose,
        prior=np.asarray(stage.pose, float).copy(),
        free_joints=free_joint_indices(plan.pose, plan.side),
        transl=stage.transl,
        object_rotation=stage.object_rotation,
        object_translation=stage.object_translation,
        object_motion="fixed" if stage.object_fixed else plan.object_motion,
        touch=plan.touch,
        tolerated=plan.tolerated,
        free=plan.free_parts,
        floor=stage.floor or plan.floor,
        feet=stage.feet,
        targets=stage.targets,
        move_root=stage.move_root,
        prior_scale=get_pose(plan.pose).flexibility,
        object_sigma_deg=stage.object_sigma_deg,
        object_sigma_m=stage.object_sigma_m,
    )
    return Staging(problem, plan, stage.notes)


def _near(plan: InteractionPlan, rig: BodyRig, sites: BodySites, obj: ProceduralObject,
          surface: ObjectSurface, pose: np.ndarray, rng: np.random.Generator) -> StageSpec:
    """near: the object on the floor in a seeded direction, 20-45 cm beyond the body."""
    transl, verts, _ = _grounded(rig, pose, np.zeros(3))
    angle = float(rng.choice([-100.0, -60.0, -30.0, 30.0, 60.0, 100.0])) + float(rng.uniform(-10, 10))
    direction = np.array([math.sin(math.radians(angle)), 0.0, math.cos(math.radians(angle))])
    rot = yaw(float(rng.uniform(-math.pi, math.pi)))
    body_r = float(np.max(np.abs(verts[:, [0, 2]] @ direction[[0, 2]])))
    ov = obj.mesh.vertices.astype(np.float64) @ rot.T
    obj_r = float(np.max(np.abs(ov[:, [0, 2]] @ direction[[0, 2]])))
    gap = float(rng.uniform(0.2, 0.45))
    trans = direction * (body_r + obj_r + gap)
    return StageSpec(pose, transl, rot, trans, move_root=False, notes={"direction_deg": angle, "gap_m": gap})


def _hand_frame(plan_side: str, sites: BodySites, world: np.ndarray, rig: BodyRig) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """World (f, n, k): finger direction, palm normal, knuckle axis n × f of one hand."""
    rot = world[JOINT_INDEX[f"{plan_side}_wrist"], :3, :3]
    f = rot @ sites.finger_dir[plan_side]
    n = rot @ sites.palm_normal[plan_side]
    return f, n, np.cross(n, f)


def _anchor_name(plan: InteractionPlan) -> str:
    """`plan.anchor`: the modes staged on an anchor are always planned with one."""
    assert plan.anchor is not None, f"a {plan.mode!r} plan without an anchor"
    return plan.anchor


def _hold_one(plan: InteractionPlan, rig: BodyRig, sites: BodySites, obj: ProceduralObject,
              surface: ObjectSurface, pose: np.ndarray, rng: np.random.Generator) -> StageSpec:
    """hold_one: the object at the hand, hooked by a bar, wrapped by the palm or resting on it;
    standing on the floor instead when too tall to hang from the hand."""
    side = plan.side
    transl, verts, world = _grounded(rig, pose, np.zeros(3))
    _, n, k = _hand_frame(side, sites, world, rig)
    notes: dict[str, Any] = {"grip": plan.grip}
    up_axis = np.array([0.0, 1.0, 0.0])
    if plan.grip == "support":  # resting on the palm: its bottom centre on the palm, upright along the palm normal
        site = sites.palm[side].with_offset(0.004)
        point = np.zeros(3)
        rot = align(up_axis, n, np.array([0.0, 0.0, 1.0]), np.array([0.0, 0.0, 1.0]))
        normal_target = None
    else:
        anchor = obj.anchors[_anchor_name(plan)]
        radius = anchor_depth(surface, anchor.point)
        notes["grip_radius_m"] = radius
        point = anchor.point
        if plan.grip == "hook":
            pose = pose.copy()
            for j, rv in sites.hook_grip(side).items():
                pose[j] = rv
            verts, world = rig.posed_numpy(pose, transl)
            _, n, k = _hand_frame(side, sites, world, rig)
            clearance = bar_clearance(obj, anchor.point, anchor.normal, radius)
            notes["clearance_m"] = clearance
            site = sites.hook_site(side, radius, clearance)
            _, up = site_world(site, verts, world)
        else:  # wrap
            site = sites.palm[side].with_offset(radius + 0.006)
            up = -n
        # anchor normal ↦ the side the hand comes from; bar axis ↦ ± knuckle axis, the sign
        # that keeps the object more upright
        r1 = align(anchor.normal, up, anchor.axis, k)
        r2 = align(anchor.normal, up, anchor.axis, -k)
        rot = r2 if (r2 @ up_axis)[1] > (r1 @ up_axis)[1] + 1e-9 else r1
        normal_target = anchor.normal
    p_site, _ = site_world(site, verts, world)
    trans = p_site - rot @ point
    low = float((obj.mesh.vertices.astype(np.float64) @ rot.T + trans)[:, 1].min())
    on_floor = low < 0.015
    if on_floor:
        # too tall to hang from the hand: it stands on the floor and the hand goes to it
        rot = _upright(rot)
        trans = p_site - rot @ point
        trans[1] = 0.0
        notes["on_floor"] = True
    hanging = plan.grip == "hook"
    return StageSpec(pose, transl, rot, trans, targets=(SiteTarget(site, point, True, normal_target),), notes=notes,
                     object_sigma_deg=4.0 if hanging else None, object_sigma_m=0.02 if hanging else None,
                     object_fixed=on_floor)


def _upright(rot: np.ndarray) -> np.ndarray:
    """The yaw rotation (object standing on its base) facing where `rot` turns the
    object's front (+Z), or its +X side when the front points up or down."""
    z = rot @ np.array([0.0, 0.0, 1.0])
    if math.hypot(z[0], z[2]) > 0.3:
        return yaw(math.atan2(z[0], z[2]))
    x = rot @ np.array([1.0, 0.0, 0.0])
    return yaw(math.atan2(-x[2], x[0]))


def _side_points(obj: ProceduralObject, rot: np.ndarray, trans: np.ndarray, height: float, dz: float = 0.0,
                 dzs: tuple[float, ...] = (0.0, 0.03, -0.03, 0.06, -0.06),
                 dys: tuple[float, ...] = (0.0, -0.03, 0.03, -0.06, 0.06)) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """World points and outward normals where two palms press on the object's ±X sides at `height`,
    `dz` metres behind (+Z of) its middle: rays along ∓X, trying the row offsets `dzs` then `dys` in order."""
    tm = _object_mesh_world(obj, rot, trans)
    lo, hi = tm.bounds
    centre = (lo + hi) / 2
    pts, nrm = [], []
    for s in (1.0, -1.0):
        found = None
        for ddz in dzs:
            for dy in dys:
                origin = np.array([centre[0] + s * (hi[0] - lo[0] + 0.2), height + dy, centre[2] + dz + ddz])
                found = _ray(tm, origin, np.array([-s, 0.0, 0.0]))
                if found is not None:
                    break
            if found is not None:
                break
        if found is None:
            raise InputError(f"the {obj.category} has no side surface for two hands at {height:.2f} m")
        pts.append(found[0])
        nrm.append(found[1])
    return pts, nrm


def _hold_two(plan: InteractionPlan, rig: BodyRig, sites: BodySites, obj: ProceduralObject,
              surface: ObjectSurface, pose: np.ndarray, rng: np.random.Generator) -> StageSpec:
    """hold_two: the object held up between the palms, pressed on its ±X sides, the fingers wrapped."""
    transl, verts, world = _grounded(rig, pose, np.zeros(3))
    palms = [site_world(sites.palm[s], verts, world)[0] for s in ("right", "left")]
    hand_y = float(np.mean([p[1] for p in palms]))
    hand_z = float(np.mean([p[2] for p in palms]))
    w, d = obj.dims["width"], obj.dims["depth"]
    rot = yaw(math.pi / 2) if (w > 0.6 and d < w) else np.eye(3)
    ov = obj.mesh.vertices.astype(np.float64) @ rot.T
    lo, hi = ov.min(axis=0), ov.max(axis=0)
    height = float(hi[1] - lo[1])
    grip_y = 0.55 * height if obj.category not in ("chair", "bench", "stool", "table") else (
        obj.dims.get("seat_height", obj.dims.get("top_height", height)) - 0.04)
    torso = (rig.part_labels == BODY_PARTS.index("torso_front"))
    band = torso & (np.abs(verts[:, 1] - hand_y) < 0.15)
    front = float(verts[band, 2].max()) if band.any() else float(verts[:, 2].max())
    z_centre = max(hand_z, front + 0.07 - lo[2])
    trans = np.array([0.0, hand_y - grip_y, z_centre])
    if hand_y - grip_y < 0.02:
        trans[1] = 0.02
    pts, nrm = _side_points(obj, rot, trans, trans[1] + grip_y)
    inv = rot.T
    tm = _object_mesh_world(obj, rot, trans)
    targets = []
    curls = {}
    pose = pose.copy()
    for s, p, nn in zip(("left", "right"), pts, nrm):
        # +X side (the character's left) is pressed by the left palm
        site = sites.palm[s].with_offset(sites.palm_clearance[s] + 0.004)
        targets.append(SiteTarget(site, inv @ (p - trans), True, inv @ (-nn)))
        f, _, _ = _hand_frame(s, sites, world, rig)
        curls[s] = wrap_curl_deg(tm, p, nn, f)
        pose[JOINT_INDEX[f"{s}_hand"]] = sites.curl(s, curls[s])
    return StageSpec(pose, transl, rot, trans, targets=tuple(targets),
                     notes={"grip": "press", "grip_height_m": float(grip_y), "finger_curl_deg": curls})


FINGER_LENGTH_M = 0.09
"""Knuckles-to-fingertips length used to wrap the fingers around a curved surface."""


def wrap_curl_deg(tm: trimesh.Trimesh, point: np.ndarray, normal: np.ndarray, tangent: np.ndarray) -> float:
    """Finger curl (degrees) that wraps the fingers around the surface at `point`.

    The surface's radius of curvature along `tangent` (the finger direction) is
    estimated from how far it falls away 6 cm to either side (the sagitta δ over
    the half chord c: R = (c² + δ²) / 2δ); the curl is the angle the fingers
    subtend on that circle, `FINGER_LENGTH_M` / R, at most 60°. Flat: 0.
    """
    n = np.asarray(normal, float) / np.linalg.norm(normal)
    t = np.asarray(tangent, float) - (np.asarray(tangent, float) @ n) * n
    if np.linalg.norm(t) < 1e-6:
        return 0.0
    t /= np.linalg.norm(t)
    c = 0.06
    drops = []
    for sgn in (1.0, -1.0):
        origin = point + sgn * c * t + n * 0.05
        hit = _ray(tm, origin, -n)
        drops.append(0.2 if hit is None else float((point - hit[0]) @ n))
    delta = max(0.0, min(drops))
    if delta < 1e-4:
        return 0.0
    radius = (c * c + delta * delta) / (2.0 * delta)
    return float(min(60.0, math.degrees(FINGER_LENGTH_M / radius)))


def _press_points(obj: ProceduralObject, rot: np.ndarray, trans: np.ndarray, xs: list[float],
                  reach_height: float) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Where palms press on a floor object in front of the body (the object's -Z side):
    its near face at `reach_height`, or its top near the near edge when the top is lower."""
    tm = _object_mesh_world(obj, rot, trans)
    lo, hi = tm.bounds
    top = hi[1]
    pts, nrm = [], []
    for x in xs:
        hit = None
        if top < reach_height + 0.1:
            # palm down on the top, 6 cm behind the near edge
            near = _ray(tm, np.array([x, top - 0.02, lo[2] - 1.0]), np.array([0.0, 0.0, 1.0]))
            z0 = (near[0][2] if near is not None else lo[2]) + 0.06
            hit = _ray(tm, np.array([x, top + 1.0, z0]), np.array([0.0, -1.0, 0.0]))
        if hit is None:
            y = min(reach_height, top - 0.05)
            hit = _ray(tm, np.array([x, y, lo[2] - 1.0]), np.array([0.0, 0.0, 1.0]))
        if hit is None:
            hit = _ray(tm, np.array([(lo[0] + hi[0]) / 2, min(reach_height, top - 0.03), lo[2] - 1.0]),
                       np.array([0.0, 0.0, 1.0]))
        if hit is None:
            raise InputError(f"the {obj.category} offers no surface for the hands to press on")
        pts.append(hit[0])
        nrm.append(hit[1])
    return pts, nrm


def _reach_one(plan: InteractionPlan, rig: BodyRig, sites: BodySites, obj: ProceduralObject,
               surface: ObjectSurface, pose: np.ndarray, rng: np.random.Generator) -> StageSpec:
    """reach_one: one hand on a floor object, hooking its bar or pressing on it (by the plan's grip)."""
    return _REACH_ONE_GRIPS[plan.grip](plan, rig, sites, obj, surface, pose, rng)


def _reach_hook(plan: InteractionPlan, rig: BodyRig, sites: BodySites, obj: ProceduralObject,
                surface: ObjectSurface, pose: np.ndarray, rng: np.random.Generator) -> StageSpec:
    """reach_one, hook grip: the hand hooks the anchor's bar; the object stands on the floor,
    turned so its bulk lies away from the body, which backs off to clear it."""
    transl, verts, world = _grounded(rig, pose, np.zeros(3))
    side = plan.side
    anchor = obj.anchors[_anchor_name(plan)]
    radius = anchor_depth(surface, anchor.point)
    pose = pose.copy()
    for j, rv in sites.hook_grip(side).items():
        pose[j] = rv
    verts, world = rig.posed_numpy(pose, transl)
    _, _, k = _hand_frame(side, sites, world, rig)
    clearance = bar_clearance(obj, anchor.point, anchor.normal, radius)
    site = sites.hook_site(side, radius, clearance)
    p_site, _ = site_world(site, verts, world)
    # the bar along the knuckle axis (either way round: the object's bulk away from the body)
    pelvis = world[0, :3, 3]
    best = None
    for turn in (0.0, math.pi):
        cand = yaw(turn) @ _yaw_towards(anchor.axis, k)
        t_cand = p_site - cand @ anchor.point
        t_cand[1] = 0.0
        centre = cand @ surface.bounds.mean(axis=0) + t_cand
        far = float(np.hypot(centre[0] - pelvis[0], centre[2] - pelvis[2]))
        if best is None or far > best[0]:
            best = (far, cand, t_cand)
    assert best is not None  # the loop ran twice
    _, rot, trans = best
    transl = transl + _back_off(rig, verts, surface, rot, trans, (f"{side}_hand", f"{side}_arm"))
    notes = {"grip": plan.grip, "anchor": plan.anchor, "grip_radius_m": radius, "clearance_m": clearance}
    return StageSpec(pose, transl, rot, trans, targets=(SiteTarget(site, anchor.point, True, anchor.normal),),
                     notes=notes)


def _reach_press(plan: InteractionPlan, rig: BodyRig, sites: BodySites, obj: ProceduralObject,
                 surface: ObjectSurface, pose: np.ndarray, rng: np.random.Generator) -> StageSpec:
    """reach_one (press grip) and reach_two: the object stands in front of the body, facing it
    with its widest side; the palms press on its near face or its top."""
    sides = ("right", "left") if plan.mode == "reach_two" else (plan.side,)
    transl, verts, world = _grounded(rig, pose, np.zeros(3))
    targets = []
    w, d = obj.dims["width"], obj.dims["depth"]
    rot = yaw(math.pi / 2) if d > w * 1.15 else np.eye(3)
    palms = {s: site_world(sites.palm[s], verts, world)[0] for s in sides}
    reach_h = float(np.mean([p[1] for p in palms.values()]))
    reach_z = float(np.mean([p[2] for p in palms.values()]))
    ov = obj.mesh.vertices.astype(np.float64) @ rot.T
    lo = ov.min(axis=0)
    x_mid = 0.0 if len(sides) == 2 else float(palms[sides[0]][0])
    trans = np.array([x_mid, 0.0, reach_z + 0.05 - lo[2]])
    half = min(0.2, 0.35 * obj.dims["width" if rot[0, 0] > 0.5 else "depth"])
    xs = [-half, half] if len(sides) == 2 else [x_mid]
    pts, nrm = _press_points(obj, rot, trans, xs, reach_h)
    inv = rot.T
    for s, p, nn in zip(sides, pts, nrm):
        targets.append(SiteTarget(sites.palm[s].with_offset(sites.palm_clearance[s] + 0.004), inv @ (p - trans),
                                  True, inv @ (-nn)))
    # move the body so the hands start near the press points, but keep the object's
    # near side at least 8 cm in front of everything of the body below its top
    shift = np.mean(pts, axis=0) - np.mean([palms[s] for s in sides], axis=0)
    shift[2] -= 0.06
    top = float((ov + trans)[:, 1].max())
    below = verts[:, 1] < top + 0.02
    front = float(verts[below, 2].max()) + shift[2]
    near_side = float((ov + trans)[:, 2].min())
    shift[2] -= max(0.0, front + 0.08 - near_side)
    transl = transl + np.array([shift[0], 0.0, shift[2]])
    notes = {"grip": plan.grip, "press_height_m": float(np.mean([p[1] for p in pts]))}
    return StageSpec(pose, transl, rot, trans, targets=tuple(targets), notes=notes)


_REACH_ONE_GRIPS: dict[Grip, Stager] = {"hook": _reach_hook, "press": _reach_press}
"""Grip → staging of a one-hand reach."""


def _back_off(rig: BodyRig, verts: np.ndarray, surface: ObjectSurface, rot: np.ndarray, trans: np.ndarray,
              reaching: tuple[str, ...], clear: float = 0.07) -> np.ndarray:
    """Horizontal body shift (3,) that keeps every part but the `reaching` ones
    `clear` metres from a floor object placed at (rot, trans): away from the
    object, by the shortfall (the reaching limb then stretches in the reach stage)."""
    keep = ~np.isin(rig.part_labels, [BODY_PARTS.index(p) for p in reaching])
    local = (verts[keep] - trans) @ rot
    rows, d, _, _ = surface.signed_distance(local, within=clear)
    if len(rows) == 0 or d.min() >= clear:
        return np.zeros(3)
    away = verts[keep].mean(axis=0) - (rot @ surface.bounds.mean(axis=0) + trans)
    away[1] = 0.0
    if np.linalg.norm(away) < 1e-6:
        return np.zeros(3)
    return away / np.linalg.norm(away) * (clear - float(d.min()) + 0.01)


def _foot(plan: InteractionPlan, rig: BodyRig, sites: BodySites, obj: ProceduralObject,
          surface: ObjectSurface, pose: np.ndarray, rng: np.random.Generator) -> StageSpec:
    """foot: standing on the other foot, the toe on the object's surface nearest the toe's
    height and the object's middle (seen from the body); the body backs off to clear it."""
    side = plan.side
    support = "left_foot" if side == "right" else "right_foot"
    verts, world = rig.posed_numpy(pose, np.zeros(3))
    sole = verts[sites.sole[support].vertices][:, 1].min()
    transl = np.array([0.0, -sole, 0.0])
    verts, world = verts + transl, _shift_world(world, transl)
    toe, _ = site_world(sites.toe[side], verts, world)
    rot = yaw(float(rng.uniform(-0.4, 0.4))) if obj.category != "ball" else np.eye(3)
    trans = np.array([toe[0], 0.0, 0.0])
    tm = _object_mesh_world(obj, rot, trans)
    lo, hi = tm.bounds
    h0 = float(np.clip(toe[1], 0.03, 0.6 * (hi[1] - lo[1])))
    # the object's surface nearest the toe's height and the object's middle, seen from the body (+Z rays
    # on a 2 cm grid); legs of chairs and stools are hit where a seat or panel is not
    heights = np.array(sorted({h0, 0.04, 0.08, 0.12, 0.16, 0.2, 0.25, 0.3, 0.4, 0.5}))
    heights = heights[heights < hi[1] - 0.01]
    xs = (lo[0] + hi[0]) / 2 + np.arange(-(hi[0] - lo[0]) / 2, (hi[0] - lo[0]) / 2 + 1e-9, 0.02)
    gx, gy = np.meshgrid(xs, heights, indexing="ij")
    origins = np.stack([gx.ravel(), gy.ravel(), np.full(gx.size, lo[2] - 1.0)], axis=1)
    locations, ray, _ = tm.ray.intersects_location(origins, np.tile([0.0, 0.0, 1.0], (len(origins), 1)),
                                                   multiple_hits=False)
    if len(ray) == 0:
        raise InputError(f"the {obj.category} has no face a foot can touch")
    h = origins[ray, 1]
    dx = origins[ray, 0] - (lo[0] + hi[0]) / 2
    cost = ((h - h0) / 0.1) ** 2 + (dx / 0.1) ** 2 + (locations[:, 2] - lo[2]) / 0.1
    k = int(np.argmin(cost))
    point, touch_height = locations[k], float(h[k])
    shift = np.array([toe[0] - point[0], 0.0, toe[2] + 0.004 - point[2]])
    trans = trans + shift
    local = rot.T @ (point + shift - trans)
    transl = transl + _back_off(rig, verts, surface, rot, trans, (f"{side}_foot", f"{side}_leg"))
    return StageSpec(pose, transl, rot, trans, targets=(SiteTarget(sites.toe[side], local, True, None, 0.5),),
                     feet=(support,), notes={"touch_height_m": touch_height})


def _wear_back(plan: InteractionPlan, rig: BodyRig, sites: BodySites, obj: ProceduralObject,
               surface: ObjectSurface, pose: np.ndarray, rng: np.random.Generator) -> StageSpec:
    """wear_back: the object's back panel (or back face) against the middle of the back."""
    transl, verts, world = _grounded(rig, pose, np.zeros(3))
    back, n_back = site_world(sites.back_mid, verts, world)
    if "back_panel" in obj.anchors:
        anchor = obj.anchors["back_panel"]
        point, normal = anchor.point, anchor.normal
    elif "back" in obj.anchors:
        anchor = obj.anchors["back"]
        point, normal = anchor.point, anchor.normal
    else:
        tm = trimesh.Trimesh(obj.mesh.vertices.astype(np.float64), obj.mesh.faces, process=False)
        lo, hi = tm.bounds
        hit = _ray(tm, np.array([0.0, (lo[1] + hi[1]) / 2, lo[2] - 1.0]), np.array([0.0, 0.0, 1.0]))
        if hit is None:
            raise InputError(f"the {obj.category} has no back face to rest on the back")
        point, normal = hit
    # whatever sticks out beyond the anchor's plane (a backpack's straps) is what meets the back
    normal = np.asarray(normal, float)
    out = float(((obj.mesh.vertices.astype(np.float64) - point) @ normal).max())
    point = point + normal * max(0.0, out)
    rot = align(normal, -n_back, np.array([0.0, 1.0, 0.0]), np.array([0.0, 1.0, 0.0]))
    trans = back + n_back * 0.006 - rot @ point
    site = sites.back_mid.with_offset(0.004)
    return StageSpec(pose, transl, rot, trans, targets=(SiteTarget(site, point, True, None, 0.5),),
                     notes={"anchor": "back"})


def _lean_back(plan: InteractionPlan, rig: BodyRig, sites: BodySites, obj: ProceduralObject,
               surface: ObjectSurface, pose: np.ndarray, rng: np.random.Generator) -> StageSpec:
    """lean_back: a chair or bench behind the body, turned to it, its backrest top at the lower
    back; the knees bend (`LEAN_LOWER`) when the backrest is lower than the lower back."""
    anchor = obj.anchors["backrest_top"]
    radius = anchor_depth(surface, anchor.point)
    site = sites.back_low.with_offset(radius + 0.004)
    lowered = 0.0
    if _site_height(rig, site, _FEET)(pose) > anchor.point[1] + 0.01:
        pose, lowered = _fit_amount(pose, LEAN_LOWER, "right", _site_height(rig, site, _FEET), float(anchor.point[1]),
                                    np.arange(0.0, 72.5, 2.5))
    transl, verts, world = _grounded(rig, pose, np.zeros(3))
    rot = yaw(math.pi)  # the backrest turns towards the person's back
    p_site, _ = site_world(site, verts, world)
    a_world = rot @ anchor.point
    trans = np.array([p_site[0] - a_world[0], 0.0, p_site[2] - a_world[2]])
    return StageSpec(pose, transl, rot, trans, targets=(SiteTarget(site, anchor.point, True, None, 1.0),),
                     notes={"anchor": "backrest_top", "grip_radius_m": radius, "knees_lowered_deg": lowered})


def _lie(plan: InteractionPlan, rig: BodyRig, sites: BodySites, obj: ProceduralObject,
         surface: ObjectSurface, pose: np.ndarray, rng: np.random.Generator) -> StageSpec:
    """Lying on the back along the support's long (x) axis, head towards ±x (seeded).

    "lie_flat" centres the body on the support. "lie" (back contact only) puts
    the end of the support under the lower back: the pelvis and the bent legs
    hang beyond it, the feet towards the floor.
    """
    head = float(rng.choice([-1.0, 1.0]))
    # body up (+Y) ↦ head direction (±X), face (+Z) ↦ up (+Y), body left (+X) ↦ their cross product
    root = np.array([[0.0, head, 0.0], [0.0, 0.0, 1.0], [head, 0.0, 0.0]])
    pose = pose.copy()
    pose[0] = Rotation.from_matrix(root).as_rotvec()
    top = "seat" if "seat" in obj.anchors else "top"
    seat = obj.anchors[top].point
    length = obj.dims.get("length", obj.dims["width"])
    verts, world = rig.posed_numpy(pose, np.zeros(3))
    back_vertices = np.flatnonzero(rig.part_labels == BODY_PARTS.index("back"))
    lowest = float(verts[back_vertices, 1].min())
    pelvis = world[0, :3, 3]
    low_back, _ = site_world(sites.back_low, verts, world)
    if plan.pose == "lie":
        dx = -head * (length / 2 - 0.05) - low_back[0]  # support ends 5 cm past the lower back
    else:
        dx = -head * max(0.0, length / 2 - 0.6) - pelvis[0]
    # away from a backrest, towards the seat's front edge
    z = seat[2] + (0.04 if "backrest" in obj.anchors else 0.0)
    transl = np.array([dx, seat[1] + 0.004 - lowest, z - pelvis[2]])
    mid, _ = site_world(sites.back_mid, verts + transl, _shift_world(world, transl))
    target = np.array([mid[0], seat[1] + 0.004, z])
    return StageSpec(pose, transl, np.eye(3), np.zeros(3),
                     targets=(SiteTarget(sites.back_mid, target, True, None, 0.3),), notes={"head_towards_x": head})


def _sit(plan: InteractionPlan, rig: BodyRig, sites: BodySites, obj: ProceduralObject,
         surface: ObjectSurface, pose: np.ndarray, rng: np.random.Generator) -> StageSpec:
    """sit: the lowest hip and thigh vertices under the pelvis on the seat (towards its back
    when there is a backrest, on its front edge, the knees beyond it, when there is none and
    it is deep, a table); the feet on the floor only for a seat about knee height."""
    verts, world = rig.posed_numpy(pose, np.zeros(3))
    pelvis = world[0, :3, 3]
    labels = rig.part_labels
    seatable = np.isin(labels, [BODY_PARTS.index(p) for p in ("hips", "right_leg", "left_leg")])
    under = seatable & (np.abs(verts[:, 0] - pelvis[0]) < 0.12) & (np.abs(verts[:, 2] - pelvis[2]) < 0.12)
    idx = np.flatnonzero(under)
    idx = idx[np.argsort(verts[idx, 1])[:40]]
    site = Site("seat_contact", np.sort(idx), 0, np.array([0.0, -1.0, 0.0]))
    anchor = obj.anchors[_anchor_name(plan)]
    point = anchor.point.copy()
    p_site, _ = site_world(site, verts, world)
    if "backrest" in obj.anchors:
        depth = obj.dims.get("seat_depth", obj.dims["depth"])
        point = point + np.array([0.0, 0.0, -0.15 * depth])
    else:  # a deep top (a table): sit on its front edge, the knees 3 cm beyond it
        tm = trimesh.Trimesh(obj.mesh.vertices.astype(np.float64), obj.mesh.faces, process=False)
        edge = _ray(tm, np.array([point[0], point[1] - 0.01, float(tm.bounds[1][2]) + 1.0]), np.array([0.0, 0.0, -1.0]))
        knee = max(world[JOINT_INDEX[k], 2, 3] for k in ("right_knee", "left_knee")) - p_site[2]
        if edge is not None:
            point[2] = max(point[2], float(edge[0][2]) + 0.03 - float(knee))
    transl = point + np.array([0.0, 0.004, 0.0]) - p_site
    # feet on the floor only when the seat is about knee height (not a bar stool, not a low box)
    rest = rig.rest_vertices.numpy()
    knee = float(rig.rest_joints[JOINT_INDEX["right_knee"], 1]) - float(rest[:, 1].min())
    floor: FloorMode = "stand" if knee - 0.06 <= point[1] <= knee + 0.08 else "above"
    return StageSpec(pose, transl, np.eye(3), np.zeros(3), targets=(SiteTarget(site, point, True, None, 0.5),),
                     floor=floor, notes={"seat": plan.anchor, "feet_on_floor": floor == "stand"})


def _sit_back(plan: InteractionPlan, rig: BodyRig, sites: BodySites, obj: ProceduralObject,
              surface: ObjectSurface, pose: np.ndarray, rng: np.random.Generator) -> StageSpec:
    """Seated as `_sit`, reclined with the backrest, then slid backwards (-Z)
    until the first back or hip vertex meets it.

    The `sit_back` prior reclines the pelvis by `SIT_BACK_RECLINE_DEG`; the
    staging turns it on to the backrest's own tilt (`dims["back_tilt_deg"]`),
    opening the hips by as much so the thighs keep their direction (and the
    shoulders, so the hands stay on the thighs). The middle
    of the back is then pulled onto the backrest where its backwards ray lands.
    """
    pose = np.asarray(pose, float).copy()
    extra = math.radians(obj.dims.get("back_tilt_deg", SIT_BACK_RECLINE_DEG) - SIT_BACK_RECLINE_DEG)
    pelvis = Rotation.from_rotvec(pose[0])
    tip = Rotation.from_rotvec([-extra, 0.0, 0.0])
    pose[0] = (tip * pelvis).as_rotvec()
    for hip in ("right_hip", "left_hip"):
        j = JOINT_INDEX[hip]
        # the thigh keeps its world direction: R_pelvis' R_hip' = R_pelvis R_hip
        pose[j] = ((tip * pelvis).inv() * pelvis * Rotation.from_rotvec(pose[j])).as_rotvec()
    for side in ("right", "left"):
        # the upper arm keeps its world direction too: the hands stay on the thighs
        chain = Rotation.identity()
        for name in ("spine1", "spine2", "spine3", f"{side}_collar"):
            chain = chain * Rotation.from_rotvec(pose[JOINT_INDEX[name]])
        j = JOINT_INDEX[f"{side}_shoulder"]
        pose[j] = (chain.inv() * (tip * pelvis).inv() * pelvis * chain * Rotation.from_rotvec(pose[j])).as_rotvec()
    seated = _sit(plan, rig, sites, obj, surface, pose, rng)
    verts, world = rig.posed_numpy(seated.pose, seated.transl)
    labels = rig.part_labels
    behind = np.flatnonzero(np.isin(labels, [BODY_PARTS.index(p) for p in ("back", "hips")]))
    seat_y = obj.anchors[_anchor_name(plan)].point[1]
    behind = behind[verts[behind, 1] > seat_y + 0.03]  # not the buttocks on the seat itself
    origins = verts[behind]
    dirs = np.tile(np.array([0.0, 0.0, -1.0]), (len(origins), 1))
    tm = trimesh.Trimesh(obj.mesh.vertices.astype(np.float64), obj.mesh.faces, process=False)
    loc, ray_idx, _ = tm.ray.intersects_location(origins, dirs, multiple_hits=False)
    if len(loc) == 0:
        raise InputError(f"the {obj.category}'s backrest is not behind the seated body; "
                         "its seat or backrest anchors are inconsistent")
    gap = float(np.min(origins[ray_idx, 2] - loc[:, 2]))
    shift = np.array([0.0, 0.0, -(gap - 0.004)])
    targets = [_slid_z(t, shift[2]) for t in seated.targets]
    mid, _ = site_world(sites.back_mid, verts + shift, _shift_world(world, shift))
    hit = _ray(tm, mid, np.array([0.0, 0.0, -1.0]))
    if hit is not None:
        targets.append(SiteTarget(sites.back_mid.with_offset(0.004), hit[0], True, None, 1.0))
    notes = {**seated.notes, "feet_on_floor": False,
             "recline_deg": round(SIT_BACK_RECLINE_DEG + math.degrees(extra), 2),
             "slid_back_m": round(gap - 0.004, 4), "back_on_backrest": hit is not None}
    return replace(
        seated,
        transl=seated.transl + shift,
        targets=tuple(targets),
        notes=notes,
        floor="above",  # the feet follow the recline; they may hang a little
        move_root=False,  # seat and backrest hold the pelvis; the limbs and spine adapt
    )


def _slid_z(target: SiteTarget, dz: float) -> SiteTarget:
    """A target whose point is moved `dz` metres along Z (its frame's)."""
    point = target.point.copy()
    point[2] = point[2] + dz
    return replace(target, point=point)


def _stand_on(plan: InteractionPlan, rig: BodyRig, sites: BodySites, obj: ProceduralObject,
              surface: ObjectSurface, pose: np.ndarray, rng: np.random.Generator) -> StageSpec:
    """stand_on: both soles on the top anchor's height, their midpoint above the anchor."""
    anchor = obj.anchors[_anchor_name(plan)]
    verts, world = rig.posed_numpy(pose, np.zeros(3))
    soles = [site_world(sites.sole[f], verts, world)[0] for f in ("left_foot", "right_foot")]
    mid = np.mean(soles, axis=0)
    lowest = min(verts[sites.sole[f].vertices][:, 1].min() for f in ("left_foot", "right_foot"))
    transl = np.array([anchor.point[0] - mid[0], anchor.point[1] + 0.003 - lowest, anchor.point[2] - mid[2]])
    targets = []
    for f, p in zip(("left_foot", "right_foot"), soles):
        local = p + transl
        local[1] = anchor.point[1]
        targets.append(SiteTarget(sites.sole[f], local, True, None, 0.3))
    return StageSpec(pose, transl, np.eye(3), np.zeros(3), targets=tuple(targets), notes={"top": plan.anchor})


# --------------------------------------------------------------------------- issue #15 stagers


def _adjusted(pose: np.ndarray, table: dict[str, Euler], amount: float, side: Side) -> np.ndarray:
    """`pose` with `amount` × a per-degree rotation table (`pose_library.LEAN_LOWER` ...) added
    to its joints' Euler angles (the table mirrored for the left side)."""
    if side == "left":
        table = mirror_rotations(table)
    out = np.asarray(pose, float).copy()
    for joint, per_degree in table.items():
        j = JOINT_INDEX[joint]
        out[j] = euler_to_axis_angle(axis_angle_to_euler(out[j]) + amount * np.asarray(per_degree, float))
    return out


def _fit_amount(pose: np.ndarray, table: dict[str, Euler], side: Side, measure: Callable[[np.ndarray], float],
                target: float, amounts: np.ndarray) -> tuple[np.ndarray, float]:
    """The pose of `amounts` (degrees of `table`, `_adjusted`) whose `measure` comes closest to
    `target`, linearly interpolated between the two grid amounts around it; and that amount."""
    values = np.array([measure(_adjusted(pose, table, float(a), side)) for a in amounts])
    k = int(np.argmin(np.abs(values - target)))
    best = float(amounts[k])
    for j in (k - 1, k + 1):
        if 0 <= j < len(amounts) and (values[j] - target) * (values[k] - target) < 0:
            t = (target - values[k]) / (values[j] - values[k])
            best = float(amounts[k] + t * (amounts[j] - amounts[k]))
    return _adjusted(pose, table, best, side), best


def _extreme_site(name: str, rig: BodyRig, verts: np.ndarray, world: np.ndarray, mask: np.ndarray,
                  direction: np.ndarray, joint: str, band: float = 0.012) -> Site:
    """A site of the vertices in `mask` that lie furthest along `direction` on the posed body
    (within `band` metres of the furthest): the underside of a forearm, the top of a shoulder.
    Carried by `joint`; its normal is `direction`, taken back to the rest frame."""
    ids = np.flatnonzero(mask)
    proj = verts[ids] @ direction
    ids = ids[proj >= proj.max() - band]
    rot = world[JOINT_INDEX[joint], :3, :3]
    return Site(name, np.sort(ids), JOINT_INDEX[joint], rot.T @ np.asarray(direction, float))


def _limb_mask(rig: BodyRig, verts: np.ndarray, world: np.ndarray, part: str, start: str, end: str,
               lo: float, hi: float) -> np.ndarray:
    """Vertices of `part` between `lo` and `hi` of the way from joint `start` to joint `end` (posed)."""
    a, b = world[JOINT_INDEX[start], :3, 3], world[JOINT_INDEX[end], :3, 3]
    u = b - a
    t = (verts - a) @ u / float(u @ u)
    return (rig.part_labels == BODY_PARTS.index(part)) & (t >= lo) & (t <= hi)


def _sole_height(rig: BodyRig, foot: str) -> Callable[[np.ndarray], float]:
    """Measure: height of the lowest vertex of `foot` above the other foot's lowest, metres."""
    other = "left_foot" if foot == "right_foot" else "right_foot"
    this_ids = np.flatnonzero(rig.part_labels == BODY_PARTS.index(foot))
    other_ids = np.flatnonzero(rig.part_labels == BODY_PARTS.index(other))

    def measure(pose: np.ndarray) -> float:
        verts, _ = rig.posed_numpy(pose, np.zeros(3))
        return float(verts[this_ids, 1].min() - verts[other_ids, 1].min())

    return measure


def _site_height(rig: BodyRig, site: Site, floor_parts: tuple[str, ...]) -> Callable[[np.ndarray], float]:
    """Measure: height of a site above the lowest vertex of `floor_parts` (the body stood on them)."""
    ids = np.flatnonzero(np.isin(rig.part_labels, [BODY_PARTS.index(p) for p in floor_parts]))

    def measure(pose: np.ndarray) -> float:
        verts, world = rig.posed_numpy(pose, np.zeros(3))
        return float(site_world(site, verts, world)[0][1] - verts[ids, 1].min())

    return measure


_FEET = ("left_foot", "right_foot")


def _point(plan: InteractionPlan, rig: BodyRig, sites: BodySites, obj: ProceduralObject,
           surface: ObjectSurface, pose: np.ndarray, rng: np.random.Generator) -> StageSpec:
    """point: the object on the floor where the pointing arm's line (shoulder → wrist) meets
    it, at least 30 cm beyond the body, turned at random."""
    transl, verts, world = _grounded(rig, pose, np.zeros(3))
    shoulder = world[JOINT_INDEX[f"{plan.side}_shoulder"], :3, 3]
    wrist = world[JOINT_INDEX[f"{plan.side}_wrist"], :3, 3]
    d = (wrist - shoulder) / np.linalg.norm(wrist - shoulder)
    flat = np.array([d[0], 0.0, d[2]]) / max(1e-6, math.hypot(d[0], d[2]))
    reach = wrist[1] / max(0.2, -d[1]) if d[1] < 0 else 1.5
    rot = yaw(float(rng.uniform(-math.pi, math.pi)))
    ov = obj.mesh.vertices.astype(np.float64) @ rot.T
    centre = (ov.min(axis=0) + ov.max(axis=0)) / 2
    obj_r = float(np.max(np.abs(ov[:, [0, 2]] - centre[[0, 2]]) @ np.abs(flat[[0, 2]])))
    body_r = float(np.max(verts[:, [0, 2]] @ flat[[0, 2]]))
    dist = max(float(np.hypot(*(wrist + d * reach)[[0, 2]])), body_r + obj_r + 0.3)
    trans = flat * dist - np.array([centre[0], 0.0, centre[2]])
    trans[1] = 0.0
    return StageSpec(pose, transl, rot, trans, move_root=False, notes={"distance_m": dist})


def _top_of(obj: ProceduralObject) -> Top:
    top = affordances(obj).top
    if top is None:
        raise InputError(f"the {obj.category} has no flat top")
    return top


def _perch(plan: InteractionPlan, rig: BodyRig, sites: BodySites, obj: ProceduralObject,
           surface: ObjectSurface, pose: np.ndarray, rng: np.random.Generator) -> StageSpec:
    """perch: the body on the object's flat top, resting on `plan.touch` (the feet, or the
    knees and shins), their lowest vertices on the top, centred on it. Kneeling on a seat
    with a backrest faces the backrest, and the shins lie along the longer side of the top."""
    top = _top_of(obj)
    rot = np.eye(3)
    if plan.pose == "kneel":
        rot = yaw(math.pi) if "backrest" in obj.anchors else yaw(math.pi / 2) if top.size[0] > top.size[1] \
            else np.eye(3)
    verts, world = rig.posed_numpy(pose, np.zeros(3))
    joint = {"left_foot": "left_ankle", "right_foot": "right_ankle", "right_leg": "right_knee",
             "left_leg": "left_knee"}
    rests = [_extreme_site(f"{p}_rest", rig, verts, world, rig.part_labels == BODY_PARTS.index(p),
                           np.array([0.0, -1.0, 0.0]), joint[p]) for p in plan.touch]
    points = [site_world(s, verts, world)[0] for s in rests]
    lowest = min(float(verts[s.vertices, 1].min()) for s in rests)
    centre = rot @ top.centre
    mid = np.mean(points, axis=0)
    transl = np.array([centre[0] - mid[0], top.height + 0.003 - lowest, centre[2] - mid[2]])
    targets = []
    for s, p in zip(rests, points):
        local = rot.T @ np.array([p[0] + transl[0], top.height, p[2] + transl[2]])
        targets.append(SiteTarget(s, local, True, None, 0.3))
    return StageSpec(pose, transl, rot, np.zeros(3), targets=tuple(targets), notes={"top_height_m": top.height})


def _foot_on(plan: InteractionPlan, rig: BodyRig, sites: BodySites, obj: ProceduralObject,
             surface: ObjectSurface, pose: np.ndarray, rng: np.random.Generator) -> StageSpec:
    """foot_on: standing on one foot, the other raised onto the object's flat top: hip and knee
    flex together (`REST_FOOT_RAISE`) until the raised sole is at the top's height; the sole
    lands 12 cm inside the top's near edge (a seat with a backrest faces the body)."""
    side = plan.side
    raised, support = f"{side}_foot", ("left_foot" if side == "right" else "right_foot")
    top = _top_of(obj)
    pose, amount = _fit_amount(pose, REST_FOOT_RAISE, side, _sole_height(rig, raised), top.height + 0.004,
                               np.arange(-60.0, 41.0, 5.0))
    verts, world = rig.posed_numpy(pose, np.zeros(3))
    transl = np.array([0.0, -float(verts[sites.sole[support].vertices, 1].min()), 0.0])
    verts, world = verts + transl, _shift_world(world, transl)
    sole, _ = site_world(sites.sole[raised], verts, world)
    rot = yaw(math.pi) if "backrest" in obj.anchors else yaw(float(rng.uniform(-0.3, 0.3)))
    towards_body = rot.T @ np.array([0.0, 0.0, -1.0])
    extent = abs(towards_body[0]) * top.size[0] + abs(towards_body[2]) * top.size[1]
    point = top.centre + towards_body * max(0.0, extent / 2 - 0.12)
    trans = sole - rot @ point
    trans[1] = 0.0
    transl = transl + _back_off(rig, verts, surface, rot, trans, (raised, f"{side}_leg"))
    return StageSpec(pose, transl, rot, trans, targets=(SiteTarget(sites.sole[raised], point, True, None, 1.0),),
                     feet=(support,), notes={"top_height_m": top.height, "raise_deg": round(amount, 2)})


def _back_contact(side_face: SideFace, site_h: float) -> float:
    """The height where a back site at `site_h` meets a vertical side: `site_h`, kept on the face."""
    lo = min(side_face.bottom + 0.01, side_face.top - 0.02)
    return float(np.clip(site_h, lo, side_face.top - 0.015))


def _lean_wall(plan: InteractionPlan, rig: BodyRig, sites: BodySites, obj: ProceduralObject,
               surface: ObjectSurface, pose: np.ndarray, rng: np.random.Generator) -> StageSpec:
    """lean_wall: the back against the object's widest vertical side (at least
    `LEAN_SIDE_MIN_M` high), turned to face the body's back. Against a side that reaches
    the middle of the back that site leans on it; else the lower back does, the knees
    bending (`LEAN_LOWER`) until it is as low as the side's top."""
    side_face = affordances(obj).side(LEAN_SIDE_MIN_M)
    if side_face is None:
        raise InputError(f"the {obj.category} has no vertical side {LEAN_SIDE_MIN_M} m high to lean on")
    rot = _yaw_towards(side_face.normal, np.array([0.0, 0.0, 1.0]))
    mid_h = _site_height(rig, sites.back_mid, _FEET)(pose)
    lowered = 0.0
    if side_face.top >= mid_h + 0.05:
        site, contact = sites.back_mid, _back_contact(side_face, mid_h)
    else:
        site = sites.back_low
        contact = _back_contact(side_face, _site_height(rig, site, _FEET)(pose))
        pose, lowered = _fit_amount(pose, LEAN_LOWER, "right", _site_height(rig, site, _FEET), contact,
                                    np.arange(0.0, 72.5, 2.5))
    site = site.with_offset(0.004)
    transl, verts, world = _grounded(rig, pose, np.zeros(3))
    p_site, _ = site_world(site, verts, world)
    point = side_face.point.copy()
    point[1] = contact
    trans = p_site - rot @ point
    trans[1] = 0.0
    return StageSpec(pose, transl, rot, trans, targets=(SiteTarget(site, point, True, None, 1.0),),
                     notes={"side_top_m": side_face.top, "contact_height_m": contact, "knees_lowered_deg": lowered})


def _sit_floor(plan: InteractionPlan, rig: BodyRig, sites: BodySites, obj: ProceduralObject,
               surface: ObjectSurface, pose: np.ndarray, rng: np.random.Generator) -> StageSpec:
    """sit_floor: seated on the floor, the object's widest vertical side (at least
    `FLOOR_SIDE_MIN_M` high) behind, against the middle of the back, or the lower back
    when the side is lower."""
    side_face = affordances(obj).side(FLOOR_SIDE_MIN_M)
    if side_face is None:
        raise InputError(f"the {obj.category} has no vertical side {FLOOR_SIDE_MIN_M} m high to lean on")
    rot = _yaw_towards(side_face.normal, np.array([0.0, 0.0, 1.0]))
    transl, verts, world = _grounded(rig, pose, np.zeros(3))
    mid, _ = site_world(sites.back_mid, verts, world)
    site = sites.back_mid if side_face.top >= mid[1] + 0.03 else sites.back_low
    site = site.with_offset(0.004)
    p_site, _ = site_world(site, verts, world)
    point = side_face.point.copy()
    point[1] = _back_contact(side_face, float(p_site[1]))
    trans = p_site - rot @ point
    trans[1] = 0.0
    return StageSpec(pose, transl, rot, trans, targets=(SiteTarget(site, point, True, None, 1.0),),
                     notes={"side_top_m": side_face.top, "site": site.name})


def _forearm_site(rig: BodyRig, verts: np.ndarray, world: np.ndarray, side: str) -> Site:
    """The underside of a forearm (30-55 % from elbow to wrist), posed as it is."""
    mask = _limb_mask(rig, verts, world, f"{side}_arm", f"{side}_elbow", f"{side}_wrist", 0.3, 0.55)
    return _extreme_site(f"{side}_forearm", rig, verts, world, mask, np.array([0.0, -1.0, 0.0]), f"{side}_elbow")


def _lean_side(plan: InteractionPlan, rig: BodyRig, sites: BodySites, obj: ProceduralObject,
               surface: ObjectSurface, pose: np.ndarray, rng: np.random.Generator) -> StageSpec:
    """lean_side: the object beside the body (on the plan's side). "lean_side": the forearm
    across the object's top, the body tilting towards it (`LEAN_SIDE_TILT`) until the
    forearm is at the top's height, the hand beyond the top. "lean_side_shoulder": the
    outer upper arm against its tallest vertical side."""
    side = plan.side
    sign = -1.0 if side == "right" else 1.0  # the object's side of the body (±X)
    ov = obj.mesh.vertices.astype(np.float64)
    notes: dict[str, Any] = {}
    if plan.pose == "lean_side":
        height = float(ov[:, 1].max())
        verts, world = rig.posed_numpy(pose, np.zeros(3))
        site = _forearm_site(rig, verts, world, side)
        pose, tilt = _fit_amount(pose, LEAN_SIDE_TILT, side, _site_height(rig, site, _FEET), height + 0.004,
                                 np.arange(-10.0, 31.0, 2.5))
        transl, verts, world = _grounded(rig, pose, np.zeros(3))
        f = world[JOINT_INDEX[f"{side}_wrist"], :3, 3] - world[JOINT_INDEX[f"{side}_elbow"], :3, 3]
        f = np.array([f[0], 0.0, f[2]]) / max(1e-6, math.hypot(f[0], f[2]))
        upper = ov[ov[:, 1] >= height - 0.015]
        xz = upper[:, [0, 2]] - upper[:, [0, 2]].mean(axis=0)
        _, _, vt = np.linalg.svd(xz, full_matrices=False)
        long_axis = np.array([vt[0, 0], 0.0, vt[0, 1]])
        rot = _yaw_towards(long_axis, np.cross(np.array([0.0, 1.0, 0.0]), f))
        f_obj = rot.T @ f
        along = upper @ f_obj
        point = upper.mean(axis=0) + f_obj * max(0.0, float(np.ptp(along)) / 2 - 0.04)
        point[1] = height
        site = site.with_offset(0.004)
        notes["tilt_deg"] = round(tilt, 2)
    else:
        side_face = affordances(obj).side(SHOULDER_SIDE_MIN_M)
        if side_face is None:
            raise InputError(f"the {obj.category} has no vertical side {SHOULDER_SIDE_MIN_M} m high")
        rot = _yaw_towards(side_face.normal, np.array([-sign, 0.0, 0.0]))
        transl, verts, world = _grounded(rig, pose, np.zeros(3))
        mask = _limb_mask(rig, verts, world, f"{side}_arm", f"{side}_shoulder", f"{side}_elbow", 0.15, 0.5)
        site = _extreme_site(f"{side}_upper_arm", rig, verts, world, mask, np.array([sign, 0.0, 0.0]),
                             f"{side}_shoulder").with_offset(0.004)
        p, _ = site_world(site, verts, world)
        point = side_face.point.copy()
        point[1] = _back_contact(side_face, float(p[1]))
    p_site, _ = site_world(site, verts, world)
    trans = p_site - rot @ point
    trans[1] = 0.0
    transl = transl + _back_off(rig, verts, surface, rot, trans, (f"{side}_arm", f"{side}_hand"), clear=0.06)
    return StageSpec(pose, transl, rot, trans, targets=(SiteTarget(site, point, True, None, 1.0),), notes=notes)


def _forearms(plan: InteractionPlan, rig: BodyRig, sites: BodySites, obj: ProceduralObject,
              surface: ObjectSurface, pose: np.ndarray, rng: np.random.Generator) -> StageSpec:
    """forearms: bent forward at the hips (`LEAN_FOREARMS_BEND`) until both forearms are
    at the height of the object's flat top, which stands in front with its wider side to
    the body, its near edge 8 cm before the forearms and clear of the thighs."""
    top = _top_of(obj)
    verts, world = rig.posed_numpy(pose, np.zeros(3))
    arms = [_forearm_site(rig, verts, world, s) for s in ("right", "left")]
    measures = [_site_height(rig, a, _FEET) for a in arms]
    pose, bend = _fit_amount(pose, LEAN_FOREARMS_BEND, "right", lambda p: float(np.mean([m(p) for m in measures])),
                             top.height + 0.006, np.arange(-30.0, 41.0, 2.5))
    transl, verts, world = _grounded(rig, pose, np.zeros(3))
    arms = [a.with_offset(0.004) for a in arms]
    points = [site_world(a, verts, world)[0] for a in arms]
    rot = yaw(math.pi / 2) if top.size[0] < top.size[1] else np.eye(3)
    centre = rot @ top.centre
    depth = top.size[1] if rot[0, 0] > 0.5 else top.size[0]
    near_z = min(p[2] for p in points) - 0.08
    trans = np.array([float(np.mean([p[0] for p in points])) - centre[0], 0.0, near_z + depth / 2 - centre[2]])
    limbs = np.isin(rig.part_labels, [BODY_PARTS.index(p) for p in ("right_arm", "left_arm", "right_hand",
                                                                     "left_hand")])
    below = (verts[:, 1] < top.height + 0.03) & ~limbs
    front = float(verts[below, 2].max()) if below.any() else -1.0
    if near_z < front + 0.03:  # the edge would cut the thighs: the body steps back
        transl[2] -= front + 0.03 - near_z
        points = [p + np.array([0.0, 0.0, -(front + 0.03 - near_z)]) for p in points]
    targets = [SiteTarget(a, rot.T @ (np.array([p[0], top.height, p[2]]) - trans), True, None, 1.0)
               for a, p in zip(arms, points)]
    shift = np.array([0.0, 0.0, transl[2]]) - np.array([0.0, 0.0, _grounded(rig, pose, np.zeros(3))[0][2]])
    for s in ("right", "left"):
        palm = sites.palm[s].with_offset(sites.palm_clearance[s] + 0.004)
        p = site_world(palm, verts, world)[0] + shift
        targets.append(SiteTarget(palm, rot.T @ (np.array([p[0], top.height, p[2]]) - trans), True,
                                  np.array([0.0, -1.0, 0.0]), 0.5))
    return StageSpec(pose, transl, rot, trans, targets=tuple(targets),
                     notes={"top_height_m": top.height, "bend_deg": round(bend, 2)})


def _side_points_at(obj: ProceduralObject, rot: np.ndarray, trans: np.ndarray, height: float,
                    dz: float) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """World points and outward normals on the object's +X and -X sides at `height`, `dz`
    metres behind (+Z of) its middle (nearest rows first)."""
    return _side_points(obj, rot, trans, height, dz, dzs=(0.0, -0.03, 0.03, -0.06), dys=(0.0, -0.03, 0.03))


def _palms_on(plan_pose: np.ndarray, rig: BodyRig, sites: BodySites, world: np.ndarray, obj: ProceduralObject,
              rot: np.ndarray, trans: np.ndarray, pts: list[np.ndarray], nrm: list[np.ndarray]
              ) -> tuple[np.ndarray, list[SiteTarget], dict[str, float]]:
    """Both palms on (+X: left, -X: right) side points, the fingers curled to the surface."""
    tm = _object_mesh_world(obj, rot, trans)
    pose = plan_pose.copy()
    targets, curls = [], {}
    for s, p, nn in zip(("left", "right"), pts, nrm):
        site = sites.palm[s].with_offset(sites.palm_clearance[s] + 0.004)
        targets.append(SiteTarget(site, rot.T @ (p - trans), True, rot.T @ (-nn)))
        f, _, _ = _hand_frame(s, sites, world, rig)
        curls[s] = wrap_curl_deg(tm, p, nn, f)
        pose[JOINT_INDEX[f"{s}_hand"]] = sites.curl(s, curls[s])
    return pose, targets, curls


def _hug(plan: InteractionPlan, rig: BodyRig, sites: BodySites, obj: ProceduralObject,
         surface: ObjectSurface, pose: np.ndarray, rng: np.random.Generator) -> StageSpec:
    """hug: the object held against the chest at the hands' height, its narrower side across
    the arms; the palms on its sides a quarter of its depth behind its middle."""
    transl, verts, world = _grounded(rig, pose, np.zeros(3))
    palms = [site_world(sites.palm[s], verts, world)[0] for s in ("right", "left")]
    y_c = float(np.mean([p[1] for p in palms]))
    size = affordances(obj).size
    rot = yaw(math.pi / 2) if size[0] > size[2] else np.eye(3)
    ov = obj.mesh.vertices.astype(np.float64) @ rot.T
    lo, hi = ov.min(axis=0), ov.max(axis=0)
    chest = (rig.part_labels == BODY_PARTS.index("torso_front")) & (np.abs(verts[:, 1] - y_c) < 0.12)
    front = float(verts[chest, 2].max()) if chest.any() else float(verts[:, 2].max())
    trans = np.array([float(np.mean([p[0] for p in palms])) - (lo[0] + hi[0]) / 2,
                      max(0.02 - lo[1], y_c - (lo[1] + hi[1]) / 2), front + 0.004 - lo[2]])
    height = trans[1] + (lo[1] + hi[1]) / 2
    pts, nrm = _side_points_at(obj, rot, trans, height, 0.25 * (hi[2] - lo[2]))
    pose, targets, curls = _palms_on(pose, rig, sites, world, obj, rot, trans, pts, nrm)
    return StageSpec(pose, transl, rot, trans, targets=tuple(targets),
                     notes={"grip": "hug", "finger_curl_deg": curls})


def _overhead(plan: InteractionPlan, rig: BodyRig, sites: BodySites, obj: ProceduralObject,
              surface: ObjectSurface, pose: np.ndarray, rng: np.random.Generator) -> StageSpec:
    """overhead: the object held between the raised palms, its narrower side across the
    arms, its bottom at least 5 cm above the head."""
    transl, verts, world = _grounded(rig, pose, np.zeros(3))
    palms = [site_world(sites.palm[s], verts, world)[0] for s in ("right", "left")]
    hand_y = float(np.mean([p[1] for p in palms]))
    head_top = float(verts[rig.part_labels == BODY_PARTS.index("head"), 1].max())
    size = affordances(obj).size
    rot = yaw(math.pi / 2) if size[0] > size[2] else np.eye(3)
    ov = obj.mesh.vertices.astype(np.float64) @ rot.T
    lo, hi = ov.min(axis=0), ov.max(axis=0)
    h = float(hi[1] - lo[1])
    ty = max(hand_y - 0.5 * h, head_top + 0.05) - lo[1]
    grip = float(np.clip(hand_y - (ty + lo[1]), 0.2 * h, 0.8 * h))
    trans = np.array([float(np.mean([p[0] for p in palms])) - (lo[0] + hi[0]) / 2, ty,
                      float(np.mean([p[2] for p in palms])) - (lo[2] + hi[2]) / 2])
    pts, nrm = _side_points_at(obj, rot, trans, ty + lo[1] + grip, 0.0)
    pose, targets, curls = _palms_on(pose, rig, sites, world, obj, rot, trans, pts, nrm)
    return StageSpec(pose, transl, rot, trans, targets=tuple(targets),
                     notes={"grip": "press", "grip_height_m": grip, "finger_curl_deg": curls})


def _shoulder(plan: InteractionPlan, rig: BodyRig, sites: BodySites, obj: ProceduralObject,
              surface: ObjectSurface, pose: np.ndarray, rng: np.random.Generator) -> StageSpec:
    """shoulder: the object upright on the top of the shoulder (its longer horizontal side
    front to back), moved outwards to clear the head as far as 5 cm of it still rest on the
    shoulder; the palm on its outer side."""
    side = plan.side
    sign = -1.0 if side == "right" else 1.0
    transl, verts, world = _grounded(rig, pose, np.zeros(3))
    a = world[JOINT_INDEX[f"{side}_collar"], :3, 3]
    b = world[JOINT_INDEX[f"{side}_shoulder"], :3, 3]
    spot = a + 0.75 * (b - a)
    near = np.hypot(verts[:, 0] - spot[0], verts[:, 2] - spot[2]) < 0.06
    mask = near & (rig.part_labels == BODY_PARTS.index("back"))  # the trapezius: contact 'other', not a hand's
    if mask.sum() < 5:
        mask = near & np.isin(rig.part_labels, [BODY_PARTS.index(p) for p in (f"{side}_arm", "back", "torso_front")])
    site = _extreme_site(f"{side}_shoulder_top", rig, verts, world, mask, np.array([0.0, 1.0, 0.0]),
                         f"{side}_collar").with_offset(0.004)
    size = affordances(obj).size
    rot = yaw(math.pi / 2) if size[0] > size[2] else np.eye(3)
    ov = obj.mesh.vertices.astype(np.float64) @ rot.T
    lo, hi = ov.min(axis=0), ov.max(axis=0)
    bottom = np.array([(lo[0] + hi[0]) / 2, lo[1], (lo[2] + hi[2]) / 2])
    p_site, _ = site_world(site, verts, world)
    trans = p_site - bottom
    head = verts[rig.part_labels == BODY_PARTS.index("head")]
    inner = trans[0] + (hi[0] if side == "right" else lo[0])
    gap = (float(head[:, 0].min()) - 0.01 - inner) if side == "right" else (inner - float(head[:, 0].max()) - 0.01)
    trans[0] += sign * min(max(0.0, (hi[0] - lo[0]) / 2 - 0.05), max(0.0, -gap))
    tm = _object_mesh_world(obj, rot, trans)
    mid_y = float((tm.bounds[0][1] + tm.bounds[1][1]) / 2)
    outer = _ray(tm, np.array([trans[0] + sign * 1.0, mid_y, trans[2] + (lo[2] + hi[2]) / 2]),
                 np.array([-sign, 0.0, 0.0]))
    targets = [SiteTarget(site, rot.T @ (p_site - trans), True, None, 1.0)]
    if outer is not None:
        palm = sites.palm[side].with_offset(sites.palm_clearance[side] + 0.004)
        targets.append(SiteTarget(palm, rot.T @ (outer[0] - trans), True, rot.T @ (-outer[1])))
    return StageSpec(pose, transl, rot, trans, targets=tuple(targets), notes={"grip": "shoulder"},
                     object_sigma_m=0.03, object_sigma_deg=6.0)


def _under_arm(plan: InteractionPlan, rig: BodyRig, sites: BodySites, obj: ProceduralObject,
               surface: ObjectSurface, pose: np.ndarray, rng: np.random.Generator) -> StageSpec:
    """under_arm: the object against the side of the chest just above the elbow (its top
    below the armpit), its thinner side across; the arm raised (`UNDER_ARM_RAISE`) until the
    elbow clears its outer side, the inner upper arm pulled onto that side."""
    side = plan.side
    sign = -1.0 if side == "right" else 1.0
    size = affordances(obj).size
    rot = yaw(math.pi / 2) if size[0] > size[2] else np.eye(3)
    ov = obj.mesh.vertices.astype(np.float64) @ rot.T
    lo, hi = ov.min(axis=0), ov.max(axis=0)
    half = (hi - lo) / 2
    transl, verts, world = _grounded(rig, pose, np.zeros(3))
    elbow_y = float(world[JOINT_INDEX[f"{side}_elbow"], 1, 3])
    armpit_y = float(world[JOINT_INDEX[f"{side}_shoulder"], 1, 3]) - 0.07
    y_c = max(min(elbow_y + 0.06, armpit_y - 0.03 - half[1]), half[1] + 0.05)
    torso = np.isin(rig.part_labels, [BODY_PARTS.index("torso_front"), BODY_PARTS.index("back")])
    band = torso & (np.abs(verts[:, 1] - y_c) < 0.06)
    flank = float(verts[band, 0].min()) if side == "right" else float(verts[band, 0].max())
    z_c = float((verts[band, 2].min() + verts[band, 2].max()) / 2) + 0.03
    centre = np.array([flank + sign * (half[0] + 0.004), y_c, z_c])
    outer_x = centre[0] + sign * half[0]
    elbow_x = _joint_x(rig, f"{side}_elbow")
    pose, raised = _fit_amount(pose, UNDER_ARM_RAISE, side, elbow_x, outer_x + sign * 0.05,
                               np.arange(0.0, 46.0, 2.5))
    transl, verts, world = _grounded(rig, pose, np.zeros(3))
    trans = centre - (lo + hi) / 2
    tm = _object_mesh_world(obj, rot, trans)
    mask = _limb_mask(rig, verts, world, f"{side}_arm", f"{side}_shoulder", f"{side}_elbow", 0.45, 0.85)
    arm = _extreme_site(f"{side}_inner_arm", rig, verts, world, mask, np.array([-sign, 0.0, 0.0]),
                        f"{side}_shoulder").with_offset(0.004)
    p_arm, _ = site_world(arm, verts, world)
    targets = []
    hit = _ray(tm, np.array([centre[0] + sign * 1.0, min(p_arm[1], centre[1]), centre[2]]), np.array([-sign, 0.0, 0.0]))
    if hit is not None:
        targets.append(SiteTarget(arm, rot.T @ (hit[0] - trans), True, None, 1.0))
    return StageSpec(pose, transl, rot, trans, targets=tuple(targets), notes={"arm_raised_deg": round(raised, 2)},
                     object_sigma_m=0.03, object_sigma_deg=8.0)


def _joint_x(rig: BodyRig, joint: str) -> Callable[[np.ndarray], float]:
    """Measure: x of a joint on the posed body, metres."""
    j = JOINT_INDEX[joint]

    def measure(pose: np.ndarray) -> float:
        return float(rig.posed_numpy(pose, np.zeros(3))[1][j, 0, 3])

    return measure


_STAGERS: dict[Mode, Stager] = {
    "near": _near,
    "hold_one": _hold_one,
    "reach_one": _reach_one,
    "hold_two": _hold_two,
    "reach_two": _reach_press,
    "wear_back": _wear_back,
    "lean_back": _lean_back,
    "lie": _lie,
    "foot": _foot,
    "sit": _sit,
    "sit_back": _sit_back,
    "stand_on": _stand_on,
    "point": _point,
    "perch": _perch,
    "foot_on": _foot_on,
    "lean_wall": _lean_wall,
    "sit_floor": _sit_floor,
    "lean_side": _lean_side,
    "forearms": _forearms,
    "hug": _hug,
    "overhead": _overhead,
    "shoulder": _shoulder,
    "under_arm": _under_arm,
}
