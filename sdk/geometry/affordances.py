"""Affordances found on any object mesh: where a body can grasp, sit, lean, step or push.

`find_affordances(mesh)` reads the geometry alone (no category, no hand-written
anchors) and returns typed `Affordance`s, each a point, an outward normal, a
tangent axis, a size, a radius and a score. Everything is measured with embree
rays on `SurfaceQuery`'s oriented surface and ~6k area-weighted, seeded
surface samples:

- graspable parts (`Affordances.graspable`):
  * bars: a sample is thin when the inward ray along -normal meets the
    opposite wall within `bar_thickness_m`; it is a *bar* sample when rays
    from its medial point across its tangent plane (4 lines) find it thin
    across too, not much flatter than round (a blade is not a bar), and long
    the other way. Bar samples, averaged per small voxel, link when their
    medial points are close, their axes agree and their thicknesses match;
    a linked region's grasp point is the middle of the straight part around
    its geodesic middle (the apex of an arched strap, the middle of a bar
    even when the region runs into one of its posts), on the bar's axis.
    Rays perpendicular to the bar there measure the finger clearance; a bar
    with the object behind it across a finger's gap is a loop, kind "handle"
    (a hook grip), its normal the open side away from the object. A free
    bar is kind "grip", its normal the outside when it runs along the
    object's ±X/±Z boundary (a book's spine), else the direction across it
    nearest +Z (the library's convention). Two parallel loops side by side
    within a hand's width (a tote's straps) add one "handle" between them.
  * round bodies: slices along the up axis (and the long axis) probed by 16
    rays each; runs of round, hand-sized sections (circle fit) are "grip"s on
    their axis (a bottle's body, a sword's grip), or on the outer wall when
    the axis runs through a cavity (a mug, a cup).
  * a flat object that fits a hand and has no grip otherwise is held on the
    palm: a "grip" at its centre.
- whole-object grasps (`whole_object`): "one_hand" for small, light objects;
  "two_hands" as the ±X side points ("left" = +X) for objects up to
  `two_hand_width_m` wide: the middle of the outermost band of the side a
  hand can hold (solid behind it or palm-wide), or a hand hole cut into it.
- upward regions: upward faces (normal·Y > `up_cos`) connected through edges,
  patches at the same height merged across small gaps (slats). The highest
  region with a real footprint is the `top`; a top that is a ring around a
  cavity is a `rim` (its front point). Flat regions at seat height with room for the hips are
  `seats` (forward axis away from a backrest found by rays from above the
  seat: `backrests` holds its front face at mid height and its top edge),
  except a large plate on legs without a backrest (a table top); a top that
  is a plate on legs has four `edges`. Low regions and low horizontal bars
  are `foot_supports`.
- near-vertical faces grouped by facing and plane: `lean_supports` where they
  reach `lean_height_m`, `push_surfaces` at `push_height_m`; `faces` are the
  ±Z face centres.

`Affordances.anchors()` names the best of them in the compose anchor
vocabulary (`ANCHOR_NAMES`, conventions of `compose.objects`' anchor table).

Frame: the mesh's own, the internal one (+Y up, metres; "front" = +Z, "left"
= +X). Heights are measured from the mesh's lowest point (its floor), so a
mesh need not rest exactly on y = 0. Every returned vector is float64. A
20–30k-face mesh takes 0.15–0.2 s (2 CPU cores, embree), 0.6 s on a busy machine.

Example::

    found = find_affordances(prop_mesh)
    found.anchors()["handle"].point       # (3,) metres, on the bar's axis
    [a.kind for a in found.graspable]     # ["handle", "grip", ...]
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import trimesh
from scipy import ndimage
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components, dijkstra
from scipy.spatial import cKDTree

from hoiexport.sdk.core.errors import InputError
from hoiexport.sdk.core.types import Mesh
from hoiexport.sdk.geometry.surface import SurfaceQuery

AffordanceKind = Literal[
    "handle",
    "grip",
    "rim",
    "one_hand",
    "two_hands",
    "seat",
    "backrest",
    "backrest_top",
    "lean",
    "foot_support",
    "top",
    "push",
    "edge",
    "face",
]
"""What an `Affordance` offers: "handle" a loop for a hook grip; "grip" a bar or
round body the hand wraps; "rim" the top of an open container; "one_hand" /
"two_hands" the whole object in one hand / between two palms; "seat",
"backrest", "backrest_top"; "lean" a near-vertical face to lean on; "foot_support"
a low face or rung for a foot; "top" the highest flat region; "push" a face the
palms reach; "edge" a table top's edge; "face" the object's ±Z face centre."""

Side = Literal["left", "right", "front", "back"]
"""Direction of a sided affordance in the object frame: left +X, right -X, front +Z, back -Z."""

ANCHOR_NAMES: tuple[str, ...] = (
    "handle",
    "grip",
    "rim",
    "seat",
    "backrest",
    "backrest_top",
    "top",
    "side_left",
    "side_right",
    "front",
    "back",
    "edge_front",
    "edge_back",
    "edge_left",
    "edge_right",
)
"""Every name `Affordances.anchors` can give, in the compose anchor vocabulary."""

_UP = np.array([0.0, 1.0, 0.0])
_X = np.array([1.0, 0.0, 0.0])
_Z = np.array([0.0, 0.0, 1.0])
_SIDE_DIRECTIONS: dict[Side, np.ndarray] = {"left": _X, "right": -_X, "front": _Z, "back": -_Z}
"""Side → the outward direction it names (object frame)."""

_EPS = 1e-4
"""Ray origins start this far (metres) off the surface they leave."""

_FAR = 1e3
"""Distance (metres) that stands for "no hit"."""

_BAR_LINES = 4
"""Tangent-plane lines (45° apart) probed from each thin sample's medial point."""

_AXIS_COS = math.cos(math.radians(35.0))
"""Bar samples link when their local axes are within 35° of each other."""

_FLAT_M = 0.03
"""A seat or a table top varies in height by at most this much (metres): a dome is neither."""

_BAR_ASPECT = 3.0
"""Largest ratio of a bar's two cross-section widths: flatter is a blade or a plate's edge."""

_CLEARANCE_RAYS = 12
"""Directions around a bar, perpendicular to it, probed for finger clearance."""

_SECTION_RAYS = 16
"""Rays per slice of the round-section (wrap grip) search."""


def _check(ok: bool, message: str) -> None:
    if not ok:
        raise InputError(message)


def _positive(name: str, value: float) -> None:
    _check(
        isinstance(value, (int, float)) and math.isfinite(value) and value > 0,
        f"AffordanceOptions.{name} must be a finite number > 0, got {value!r}",
    )


def _interval(name: str, value: tuple[float, float]) -> None:
    _check(
        isinstance(value, tuple)
        and len(value) == 2
        and all(isinstance(v, (int, float)) and math.isfinite(v) and v >= 0 for v in value)
        and value[0] < value[1],
        f"AffordanceOptions.{name} must be a pair (low, high) of metres with 0 <= low < high, got {value!r}",
    )


@dataclass(frozen=True)
class AffordanceOptions:
    """Thresholds of `find_affordances`; lengths in metres, heights above the mesh's lowest point.

    Attributes:
        samples: surface points sampled (area-weighted, seeded) for thickness and faces.
        seed: seed of the surface sampling (the same mesh and seed give the same result).
        up_cos: a face is upward when normal·Y exceeds this (0.9: within ~26°).
        bar_thickness_m: (min, max) cross-section of a bar (handle, strap, rail).
            The lower bound is below the issue's 1.5 cm because the library's mug
            handles are 1.0–1.4 cm and its bag straps 1.4–1.8 cm thick.
        grip_diameter_m: (min, max) diameter of a round section a hand wraps
            (a 9 cm mug body still fits).
        min_bar_length_m: shortest bar (along its axis) that counts as graspable.
        finger_clearance_m: smallest gap next to a bar that fingers pass through
            (the library's suitcase handles stand 1.1 cm above the case).
        loop_reach_m: a bar is a loop (a "handle") when the object lies at most
            this far behind it, away from the approaching hand (a bucket's
            bail stands 0.4 m above the bucket's floor).
        seat_height_m: heights of a seat's surface (the library's bar stools
            sit at up to 0.78 m, above the issue's 0.75 m).
        seat_min_size_m: smallest extent of a seat in both horizontal directions.
        table_min_size_m: a plate on legs at least this long, without a
            backrest, is a table top (edges, no seat).
        table_height_m: heights of a top whose edges are named (tables,
            counters, stools); a lamp shade's top is not a table.
        plate_max_thickness_m: a region no thicker than this is a plate.
        lean_height_m: heights a near-vertical face must reach to be leaned on.
        lean_min_width_m: narrowest face to lean on.
        push_height_m: heights of faces the palms reach to push or pull.
        push_min_width_m: narrowest face both palms press on.
        foot_height_m: heights of a foot support's top.
        foot_min_size_m: (min, max) horizontal extents a foot needs.
        one_hand_width_m: an object with a horizontal width up to this fits one hand.
        one_hand_size_m: an object whose every extent is up to this fits one hand.
        one_hand_volume_m3: and, either way, it encloses at most this volume (15 l:
            a thin wall is not held in one hand).
        two_hand_width_m: widest X extent held between two palms (the ±X side points;
            the issue's ~0.7 m, widened to the library's 0.8 m "huge" boxes and yoga balls).
        two_hand_max_height_m: tallest object held between two palms.
    """

    samples: int = 6000
    seed: int = 0
    up_cos: float = 0.9
    bar_thickness_m: tuple[float, float] = (0.008, 0.05)
    grip_diameter_m: tuple[float, float] = (0.015, 0.10)
    min_bar_length_m: float = 0.04
    finger_clearance_m: float = 0.008
    loop_reach_m: float = 0.5
    seat_height_m: tuple[float, float] = (0.3, 0.8)
    seat_min_size_m: float = 0.2
    table_min_size_m: float = 0.6
    table_height_m: tuple[float, float] = (0.3, 1.2)
    plate_max_thickness_m: float = 0.1
    lean_height_m: tuple[float, float] = (0.5, 1.6)
    lean_min_width_m: float = 0.25
    push_height_m: tuple[float, float] = (0.6, 1.3)
    push_min_width_m: float = 0.15
    foot_height_m: tuple[float, float] = (0.05, 0.6)
    foot_min_size_m: tuple[float, float] = (0.08, 0.15)
    one_hand_width_m: float = 0.12
    one_hand_size_m: float = 0.25
    one_hand_volume_m3: float = 0.015
    two_hand_width_m: float = 0.8
    two_hand_max_height_m: float = 1.2

    def __post_init__(self) -> None:
        _check(
            isinstance(self.samples, int) and 500 <= self.samples <= 200_000,
            f"AffordanceOptions.samples must be an integer in [500, 200000], got {self.samples!r}",
        )
        _check(isinstance(self.seed, int), f"AffordanceOptions.seed must be an integer, got {self.seed!r}")
        _check(
            isinstance(self.up_cos, (int, float)) and 0.5 <= self.up_cos < 1.0,
            f"AffordanceOptions.up_cos must be in [0.5, 1), got {self.up_cos!r}",
        )
        for name in ("bar_thickness_m", "grip_diameter_m", "seat_height_m", "table_height_m", "lean_height_m",
                     "push_height_m", "foot_height_m", "foot_min_size_m"):
            _interval(name, getattr(self, name))
        for name in ("min_bar_length_m", "finger_clearance_m", "loop_reach_m", "seat_min_size_m",
                     "table_min_size_m", "plate_max_thickness_m", "lean_min_width_m", "push_min_width_m",
                     "one_hand_width_m", "one_hand_size_m", "one_hand_volume_m3", "two_hand_width_m",
                     "two_hand_max_height_m"):
            _positive(name, getattr(self, name))


@dataclass(frozen=True, eq=False)
class Affordance:
    """One place on an object a body part can use.

    Attributes:
        kind: what it offers (`AffordanceKind`).
        point: (3,) float64 metres, object frame: a bar's or round body's point on
            its axis, else a point on the surface.
        normal: (3,) float64 unit: the outward side a body part approaches from.
        axis: (3,) float64 unit tangent: a bar's direction, a seat's forward
            direction, a face's horizontal direction.
        size: (along, across) extent, metres: a bar's length and thickness, a
            region's two horizontal extents, a face's width and height.
        radius: bar / grip radius (how deep `point` lies inside), metres; 0 for faces.
        score: quality in [0, 1]; lists are sorted best first.
        side: the side a sided affordance is on (two-hand points, faces, edges), else None.
    """

    kind: AffordanceKind
    point: np.ndarray
    normal: np.ndarray
    axis: np.ndarray
    size: tuple[float, float]
    radius: float
    score: float
    side: Side | None = None

    def to_json(self) -> dict[str, Any]:
        """Plain JSON-able fields (lists of floats)."""
        return {
            "kind": self.kind,
            "point": [float(v) for v in self.point],
            "normal": [float(v) for v in self.normal],
            "axis": [float(v) for v in self.axis],
            "size": [float(v) for v in self.size],
            "radius": float(self.radius),
            "score": float(self.score),
            "side": self.side,
        }


@dataclass(frozen=True, eq=False)
class Affordances:
    """Everything `find_affordances` found on one mesh; every tuple best first.

    Attributes:
        graspable: "handle" (loops) and "grip" (free bars, round bodies).
        rims: "rim" of an open container.
        whole_object: "one_hand", and "two_hands" as a left (+X) and right (-X) pair.
        seats: "seat" (axis forward, away from its backrest).
        backrests: "backrest" (front face, mid height) and "backrest_top" per seat with one.
        lean_supports: "lean" near-vertical faces reaching `lean_height_m`.
        foot_supports: "foot_support" low regions and rungs.
        tops: "top": the highest region with a real footprint (at most one).
        push_surfaces: "push" faces at `push_height_m`.
        edges: "edge" midpoints of a table top, one per side it has.
        faces: "face" centres of the object's ±Z faces (where a side has one).
        bounds: (2, 3) float64 lowest and highest corner of the mesh's box, metres.
        furniture: whether a plate carries a body (a seat or a table top on
            legs): furniture is held by its backrest, edges or sides, so the
            anchors name no "handle" or "grip" on it.
    """

    graspable: tuple[Affordance, ...] = ()
    rims: tuple[Affordance, ...] = ()
    whole_object: tuple[Affordance, ...] = ()
    seats: tuple[Affordance, ...] = ()
    backrests: tuple[Affordance, ...] = ()
    lean_supports: tuple[Affordance, ...] = ()
    foot_supports: tuple[Affordance, ...] = ()
    tops: tuple[Affordance, ...] = ()
    push_surfaces: tuple[Affordance, ...] = ()
    edges: tuple[Affordance, ...] = ()
    faces: tuple[Affordance, ...] = ()
    bounds: np.ndarray = field(default_factory=lambda: np.zeros((2, 3)))
    furniture: bool = False

    def anchors(self) -> dict[str, Affordance]:
        """The best affordances under the compose anchor names (`ANCHOR_NAMES`).

        Conventions follow `compose.objects`' anchor table: "handle" / "grip" a
        point on the bar's / body's axis, or on the outer wall facing the
        normal when the axis runs through a cavity (a cup); neither is named
        on furniture, which is held by its backrest, edges or sides; "rim" the
        rim's front (+Z) point; "seat" / "top" the surface centre; "backrest"
        its front face at mid height; "backrest_top" its top edge centre;
        "side_left" / "side_right" the two-hand points on ±X; "front" /
        "back" the ±Z face centres; "edge_*" a table top's edge midpoints.

        Returns:
            name → `Affordance`, only for the names that apply.
        """
        out: dict[str, Affordance] = {}
        for name, rule in _ANCHOR_RULES.items():
            found = rule(self)
            if found is not None:
                out[name] = found
        return out


def _first_of(items: tuple[Affordance, ...], kind: str, side: Side | None = None) -> Affordance | None:
    return next((a for a in items if a.kind == kind and (side is None or a.side == side)), None)


def _carried(kind: str) -> Callable[[Affordances], Affordance | None]:
    def rule(found: Affordances) -> Affordance | None:
        return None if found.furniture else _first_of(found.graspable, kind)

    return rule


def _sided(attribute: str, kind: str, side: Side) -> Callable[[Affordances], Affordance | None]:
    def rule(found: Affordances) -> Affordance | None:
        items: tuple[Affordance, ...] = getattr(found, attribute)
        return _first_of(items, kind, side)

    return rule


def _listed(attribute: str, kind: str) -> Callable[[Affordances], Affordance | None]:
    def rule(found: Affordances) -> Affordance | None:
        items: tuple[Affordance, ...] = getattr(found, attribute)
        return _first_of(items, kind)

    return rule


_ANCHOR_RULES: dict[str, Callable[[Affordances], Affordance | None]] = {
    "handle": _carried("handle"),
    "grip": _carried("grip"),
    "rim": _listed("rims", "rim"),
    "seat": _listed("seats", "seat"),
    "backrest": _listed("backrests", "backrest"),
    "backrest_top": _listed("backrests", "backrest_top"),
    "top": _listed("tops", "top"),
    "side_left": _sided("whole_object", "two_hands", "left"),
    "side_right": _sided("whole_object", "two_hands", "right"),
    "front": _sided("faces", "face", "front"),
    "back": _sided("faces", "face", "back"),
    "edge_front": _sided("edges", "edge", "front"),
    "edge_back": _sided("edges", "edge", "back"),
    "edge_left": _sided("edges", "edge", "left"),
    "edge_right": _sided("edges", "edge", "right"),
}
"""Anchor name → how it is picked from the found affordances (`ANCHOR_NAMES` order)."""


# --------------------------------------------------------------------------- vectors


def _unit(v: np.ndarray) -> np.ndarray:
    """Rows (or one vector) scaled to unit length; zero rows stay zero."""
    n = np.linalg.norm(v, axis=-1, keepdims=True)
    return np.asarray(v / np.where(n > 1e-12, n, 1.0), dtype=np.float64)


def _perpendicular(v: np.ndarray) -> np.ndarray:
    """(N, 3) unit vectors perpendicular to the rows of `v` (N, 3)."""
    helper = np.where(np.abs(v[:, :1]) < 0.9, _X, _UP)
    return _unit(np.cross(v, helper))


def _flat(v: np.ndarray) -> np.ndarray:
    """`v` with its vertical component removed, unit length (zero if vertical)."""
    return _unit(np.array([v[0], 0.0, v[2]], dtype=np.float64))


def _towards(v: np.ndarray, axis: np.ndarray, preferred: np.ndarray) -> np.ndarray:
    """The unit direction perpendicular to `axis` closest to `preferred` (else to +X, +Y)."""
    for want in (preferred, _X, _UP):
        d = want - (want @ axis) * axis
        if np.linalg.norm(d) > 1e-3:
            return _unit(d)
    return _unit(v)


# --------------------------------------------------------------------------- the scene


class _Scene:
    """The oriented surface, its embree rays and the surface samples.

    Attributes:
        tm: `SurfaceQuery.surface` (coincident vertices merged, outward winding).
        normals: (F, 3) unit outward face normals.
        lo, hi: (3,) corners of the mesh's box; `floor` = lo[1].
        points: (S, 3) area-weighted surface samples; `sample_normals` (S, 3);
            `sample_faces` (S,).
        area_per_sample: surface area one sample stands for, m².
        spacing: typical distance between neighbouring samples, metres.
        thickness: (S,) distance to the opposite wall along the inward normal
            (`_FAR` when the ray leaves an open mesh).
        centroid: (3,) mean of the samples (the surface's centroid).
        volume: enclosed volume (open borders capped), m³.
    """

    def __init__(self, mesh: Mesh, options: AffordanceOptions) -> None:
        query = SurfaceQuery(mesh)
        self.tm: trimesh.Trimesh = query.surface
        self.volume = abs(float(query.closed.volume))
        self.normals = np.asarray(self.tm.face_normals, dtype=np.float64)
        self._plane_point = np.asarray(self.tm.triangles[:, 0], dtype=np.float64)
        self._ray = self.tm.ray
        self.lo, self.hi = (np.asarray(b, dtype=np.float64) for b in self.tm.bounds)
        self.floor = float(self.lo[1])
        areas = np.asarray(self.tm.area_faces, dtype=np.float64)
        total = float(areas.sum())
        _check(total > 0, f"mesh {mesh.name!r} has no surface area; affordances need a surface")
        rng = np.random.default_rng(options.seed)
        n = options.samples
        faces = rng.choice(len(areas), size=n, p=areas / total)
        r1, r2 = np.sqrt(rng.random(n)), rng.random(n)
        w = np.stack([1.0 - r1, r1 * (1.0 - r2), r1 * r2], axis=1)
        tri = np.asarray(self.tm.triangles, dtype=np.float64)[faces]
        self.points = np.einsum("sk,skd->sd", w, tri)
        self.sample_faces = faces
        self.sample_normals = self.normals[faces]
        self.area_per_sample = total / n
        self.spacing = math.sqrt(self.area_per_sample)
        dist, _ = self.first(self.points - self.sample_normals * _EPS, -self.sample_normals)
        self.thickness = dist + _EPS
        self.centroid = self.points.mean(axis=0)

    @property
    def extent(self) -> np.ndarray:
        return np.asarray(self.hi - self.lo)

    def first(self, origins: np.ndarray, directions: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """First hit of each ray.

        Args:
            origins: (N, 3) metres.
            directions: (N, 3) unit directions.

        Returns:
            (N,) float64 distance along the ray (`_FAR` for a miss) and (N,)
            int64 face hit (-1 for a miss).
        """
        o = np.asarray(origins, dtype=np.float64).reshape(-1, 3)
        d = np.asarray(directions, dtype=np.float64).reshape(-1, 3)
        dist = np.full(len(o), _FAR)
        if len(o) == 0:
            return dist, np.zeros(0, dtype=np.int64)
        face = np.asarray(self._ray.intersects_first(o, d), dtype=np.int64)
        hit = face >= 0
        n = self.normals[face[hit]]
        denom = np.einsum("ij,ij->i", d[hit], n)
        num = np.einsum("ij,ij->i", self._plane_point[face[hit]] - o[hit], n)
        safe = np.abs(denom) > 1e-9
        t = np.where(safe, num / np.where(safe, denom, 1.0), 0.0)
        dist[hit] = np.maximum(t, 0.0)
        return dist, face

    def hits(self, origins: np.ndarray, directions: np.ndarray, count: int) -> tuple[np.ndarray, np.ndarray]:
        """The first `count` hits along each ray, in order.

        Returns:
            (N, count) float64 distances (`_FAR` past the last hit) and (N, count)
            int64 faces (-1 past the last hit).
        """
        o = np.asarray(origins, dtype=np.float64).reshape(-1, 3).copy()
        d = np.asarray(directions, dtype=np.float64).reshape(-1, 3)
        dist = np.full((len(o), count), _FAR)
        faces = np.full((len(o), count), -1, dtype=np.int64)
        travelled = np.zeros(len(o))
        live = np.arange(len(o))
        for k in range(count):
            if len(live) == 0:
                break
            t, f = self.first(o[live], d[live])
            ok = f >= 0
            live = live[ok]
            t, f = t[ok], f[ok]
            travelled[live] += t
            dist[live, k] = travelled[live]
            faces[live, k] = f
            o[live] += d[live] * (t + _EPS)[:, None]
            travelled[live] += _EPS
        return dist, faces


# --------------------------------------------------------------------------- bars (handles, free bars)


@dataclass(frozen=True)
class _Bar:
    """One bar region (internal): grasp point on the axis, local axis, radius, length."""

    point: np.ndarray
    axis: np.ndarray
    radius: float
    length: float
    lowest: float


def _bar_regions(scene: _Scene, options: AffordanceOptions) -> list[_Bar]:
    """Bar regions: thin samples whose cross-section is thin both ways, linked along their axes
    (medial points within 2 sample spacings, axes within 35°, thicknesses within 30 %)."""
    t_lo, t_hi = options.bar_thickness_m
    thin = np.flatnonzero((scene.thickness >= t_lo) & (scene.thickness <= t_hi))
    if len(thin) < 6:
        return []
    p, n, t = scene.points[thin], scene.sample_normals[thin], scene.thickness[thin]
    medial = p - n * (t / 2.0)[:, None]
    u = _perpendicular(n)
    v = np.cross(n, u)
    angles = np.arange(_BAR_LINES) * (math.pi / _BAR_LINES)
    lines = np.cos(angles)[None, :, None] * u[:, None] + np.sin(angles)[None, :, None] * v[:, None]  # (T, L, 3)
    origin = np.repeat(medial, _BAR_LINES, axis=0)
    flat = lines.reshape(-1, 3)
    forward, _ = scene.first(origin, flat)
    backward, _ = scene.first(origin, -flat)
    widths = (forward + backward).reshape(-1, _BAR_LINES)
    across = widths.min(axis=1)
    along = widths.max(axis=1)
    round_enough = np.maximum(t, across) <= _BAR_ASPECT * np.minimum(t, across)
    bar = (across >= t_lo) & (across <= t_hi) & (along >= 2.0 * np.maximum(t, across)) & round_enough
    if bar.sum() < 6:
        return []
    # the cross direction: for a round bar 1/width² ∝ cos²(angle from it), whose doubled-angle mean over
    # the 4 lines (45° apart) gives that angle exactly
    inv = 1.0 / np.maximum(widths, 1e-6) ** 2
    phi = 0.5 * np.arctan2((inv * np.sin(2 * angles)).sum(axis=1), (inv * np.cos(2 * angles)).sum(axis=1))
    cross_dir = np.cos(phi)[:, None] * u + np.sin(phi)[:, None] * v
    axis = _unit(np.cross(n, cross_dir))[bar]
    pts, thick = medial[bar], t[bar]
    link = max(0.012, 2.0 * scene.spacing)
    # medial points crowd onto the axes: one node per voxel of a third of the link keeps the graph
    # small; a node averages its samples (the axis as the main direction of their axes' outer products)
    _, voxel, count = np.unique(np.floor(pts / (link / 3.0)).astype(np.int64), axis=0, return_inverse=True,
                                return_counts=True)
    voxel = voxel.reshape(-1)
    if len(count) < 6:
        return []
    m = len(count)
    pts = np.stack([np.bincount(voxel, weights=pts[:, k], minlength=m) for k in range(3)], axis=1) / count[:, None]
    thick = np.bincount(voxel, weights=thick, minlength=m) / count
    tensor = np.zeros((m, 3, 3))
    np.add.at(tensor, voxel, axis[:, :, None] * axis[:, None, :])
    values, vectors = np.linalg.eigh(tensor)
    axis = vectors[:, :, 2]
    coherent = values[:, 2] >= 0.8 * count  # a node mixing two directions sits on a junction (bar meets post)
    pts, thick, axis = pts[coherent], thick[coherent], axis[coherent]
    m = len(pts)
    if m < 6:
        return []
    pairs = cKDTree(pts).query_pairs(link, output_type="ndarray")
    if len(pairs) == 0:
        return []
    t0, t1 = thick[pairs[:, 0]], thick[pairs[:, 1]]
    keep = (np.abs(np.einsum("ij,ij->i", axis[pairs[:, 0]], axis[pairs[:, 1]])) >= _AXIS_COS) & (
        np.abs(t0 - t1) <= 0.3 * np.maximum(t0, t1) + 0.002)  # a thicker grip on a thin shaft is a part of its own
    pairs = pairs[keep]
    weight = np.linalg.norm(pts[pairs[:, 0]] - pts[pairs[:, 1]], axis=1) + 1e-6
    graph = coo_matrix((weight, (pairs[:, 0], pairs[:, 1])), shape=(m, m)).tocsr()
    _, label = connected_components(graph, directed=False)
    regions: list[_Bar] = []
    for comp in np.flatnonzero(np.bincount(label) >= 6):
        members = np.flatnonzero(label == comp)
        bar_region = _bar_from_members(pts[members], thick[members], axis[members], graph[members][:, members],
                                       options)
        if bar_region is not None:
            regions.append(bar_region)
    return regions


def _bar_from_members(pts: np.ndarray, thick: np.ndarray, axis: np.ndarray, graph: Any,
                      options: AffordanceOptions) -> _Bar | None:
    """The grasp point, axis, radius and length of one linked set of bar nodes.

    The geodesic middle (over the link graph) between the two ends of the
    region gives the local axis (the main direction of the nodes within 2 cm
    of it); the grasp point is the middle of the straight part around it (the
    nodes connected to it whose axes stay within 25°): the apex of an arch,
    the middle of a bar even when the region runs on into one of its posts.
    """
    d0 = dijkstra(graph, directed=False, indices=0)
    a = int(np.argmax(np.where(np.isfinite(d0), d0, -1.0)))
    da = dijkstra(graph, directed=False, indices=a)
    b = int(np.argmax(np.where(np.isfinite(da), da, -1.0)))
    db = dijkstra(graph, directed=False, indices=b)
    length = float(da[b])
    if not math.isfinite(length) or length < options.min_bar_length_m:
        return None
    on_path = np.isfinite(da) & np.isfinite(db) & (da + db <= 1.15 * length + 0.01)
    off = np.where(on_path, np.abs(da - length / 2.0), np.inf)
    ranked = np.sort(off)
    if len(ranked) < 3 or not np.isfinite(ranked[2]):
        return None
    middle = off <= max(0.01, 0.08 * length, ranked[1])  # at least the two nodes nearest the middle
    window = off <= max(0.02, 0.2 * length, ranked[2])
    near = pts[window] - pts[window].mean(axis=0)
    _, _, vt = np.linalg.svd(near, full_matrices=False)
    direction = _unit(vt[0])
    start = pts[middle].mean(axis=0)
    straight = np.abs(axis @ direction) >= math.cos(math.radians(25.0))
    straight |= middle
    sub = graph[straight][:, straight]
    _, part = connected_components(sub, directed=False)
    keep_idx = np.flatnonzero(straight)
    seed_part = part[np.flatnonzero(middle[straight])]
    run = keep_idx[np.isin(part, seed_part)]
    proj = (pts[run] - start) @ direction
    offset = np.abs(proj - (proj.min() + proj.max()) / 2.0)
    second = float(np.sort(offset)[min(1, len(run) - 1)])
    close = run[offset <= max(0.01, second)]  # the nodes within 1 cm of the straight part's middle (>= 2)
    return _Bar(
        point=pts[close].mean(axis=0),
        axis=direction,
        radius=float(np.median(thick[window])) / 2.0,
        length=length,
        lowest=float(pts[:, 1].min() - np.median(thick) / 2.0),
    )


@dataclass(frozen=True)
class _Around:
    """What lies around a bar (internal): open fraction, approach normal, loop or not."""

    open_fraction: float
    normal: np.ndarray
    loop: bool


def _around(scene: _Scene, bar: _Bar, options: AffordanceOptions) -> _Around:
    """Probe the directions perpendicular to a bar from its axis point.

    A direction is open when the ray leaves the bar within about its radius
    (not through a plate or blade it is part of) and then crosses a gap of at
    least `finger_clearance_m` (or nothing). The approach normal is the mean of
    the directions that escape the object (else the open ones), weighted by how
    much they point away from the object's centroid; the bar is a loop when,
    behind it (along -normal), the object lies across a finger-wide gap within
    `loop_reach_m`.
    """
    b1 = _perpendicular(bar.axis[None])[0]
    b2 = np.cross(bar.axis, b1)
    ang = np.arange(_CLEARANCE_RAYS) * (2.0 * math.pi / _CLEARANCE_RAYS)
    dirs = np.cos(ang)[:, None] * b1 + np.sin(ang)[:, None] * b2
    dist, _ = scene.hits(np.repeat(bar.point[None], len(dirs), axis=0), dirs, 2)
    gap = dist[:, 1] - dist[:, 0]
    leaves = dist[:, 0] <= 2.5 * bar.radius + 0.005  # else the bar is attached there (a plate, a blade)
    opened = leaves & (gap >= options.finger_clearance_m)
    escape = leaves & (dist[:, 1] >= _FAR)
    outward = _towards(bar.point - scene.centroid, bar.axis, bar.point - scene.centroid)
    weight = np.maximum(dirs @ outward, 0.0)
    pick = escape if (escape & (weight > 0)).any() else opened
    chosen = (dirs * (weight * pick)[:, None]).sum(axis=0)  # perpendicular to the bar, as every dir is
    normal = _unit(chosen) if np.linalg.norm(chosen) > 1e-9 else outward
    back, _ = scene.hits(bar.point[None], -normal[None], 2)
    behind = back[0, 1] - back[0, 0]
    loop = bool(back[0, 0] <= 2.5 * bar.radius + 0.005 and options.finger_clearance_m <= behind <= options.loop_reach_m)
    return _Around(float(opened.mean()), normal, loop)


def _bar_affordances(scene: _Scene, options: AffordanceOptions) -> tuple[list[Affordance], list[_Bar]]:
    """Handles (loops) and free-bar grips, each scored; also the raw bars (for rungs).

    Bars with less than half their surroundings open are dropped. A handle's
    score is open fraction² × bar size (1–4.5 cm thick) × length (8 cm fits
    four fingers) × height above the centroid (an object hangs best from a
    handle high above it); a free bar's is open fraction² × `_grip_score`,
    cut to 0.3 for a bar standing on the floor (a leg).
    """
    out: list[Affordance] = []
    bars = _bar_regions(scene, options)
    height = max(float(scene.extent[1]), 1e-6)
    for bar in bars:
        around = _around(scene, bar, options)
        if around.open_fraction < 0.5:
            continue
        diameter = 2.0 * bar.radius
        size_score = 1.0 if 0.01 <= diameter <= 0.045 else 0.6
        length_score = min(1.0, bar.length / 0.08)  # room for four fingers
        grounded = bar.lowest <= scene.floor + 0.005
        # an object hangs best from a handle high above its centroid
        high = float(np.clip(0.5 + (bar.point[1] - scene.centroid[1]) / height, 0.2, 1.0))
        kind: AffordanceKind = "handle" if around.loop and not grounded else "grip"
        # a bar blocked around its middle (a cross-guard where the blade and grip meet) holds badly
        free = around.open_fraction**2
        if kind == "handle":
            score = free * size_score * length_score * high
            normal = around.normal
        else:
            score = free * _grip_score(scene, bar.point, bar.length, bar.radius) * (0.3 if grounded else 1.0)
            normal = _free_bar_normal(scene, bar)
        out.append(Affordance(kind, bar.point, normal, bar.axis, (bar.length, diameter), bar.radius, float(score)))
    pairs = _paired_handles([a for a in out if a.kind == "handle"])
    paired = {id(a) for pair in pairs for a in pair[1:]}
    out = [_rescored(a, 0.9 * a.score) if id(a) in paired else a for a in out] + [pair[0] for pair in pairs]
    return out, bars


def _free_bar_normal(scene: _Scene, bar: _Bar) -> np.ndarray:
    """The side a palm comes from to wrap a free bar: the outside when the bar runs
    along the object's ±X / ±Z boundary (a book's spine), else the direction
    across it nearest +Z (the library's convention: the palm from the front)."""
    for side in ("left", "right", "front", "back"):
        d = _SIDE_DIRECTIONS[side]
        edge = (scene.hi if d.sum() > 0 else scene.lo) @ d
        if edge - bar.point @ d <= bar.radius + 0.02 and abs(bar.axis @ d) < 0.5:
            return _towards(d, bar.axis, d)
    return _towards(_Z, bar.axis, _Z)


def _grip_score(scene: _Scene, point: np.ndarray, length: float, radius: float) -> float:
    """How well a hand wraps a bar or round body: long enough for the whole hand
    (12 cm), a wrap-able radius, near the object's centroid (held balanced)."""
    size = 1.0 if 0.006 <= radius <= 0.045 else 0.6
    balance = float(np.clip(1.0 - np.linalg.norm(point - scene.centroid) / max(float(scene.extent.max()), 1e-6),
                            0.3, 1.0))
    return min(1.0, length / 0.12) * size * balance


def _rescored(a: Affordance, score: float) -> Affordance:
    return Affordance(a.kind, a.point, a.normal, a.axis, a.size, a.radius, float(score), a.side)


def _paired_handles(handles: list[Affordance]) -> list[tuple[Affordance, Affordance, Affordance]]:
    """One handle between two parallel loops side by side within a hand's width (a tote's straps).

    The hand closes around both: the pair's midpoint on the axis line, scored
    as the better of the two (each alone then counts 0.9 of its score).

    Returns:
        (pair handle, first loop, second loop) per pair.
    """
    out = []
    for i, a in enumerate(handles):
        for b in handles[i + 1:]:
            offset = b.point - a.point
            if (
                abs(a.axis @ b.axis) >= 0.9
                and a.normal @ b.normal >= 0.8
                and np.linalg.norm(offset) <= 0.12
                and abs(offset @ a.axis) <= 0.03
                and abs(offset @ a.normal) <= 0.03
            ):
                across = float(np.linalg.norm(offset)) + a.size[1]
                both = Affordance("handle", (a.point + b.point) / 2.0, _unit(a.normal + b.normal), a.axis,
                                  (min(a.size[0], b.size[0]), across), max(a.radius, b.radius), max(a.score, b.score))
                out.append((both, a, b))
    return out


# --------------------------------------------------------------------------- round sections (wrap grips)


def _circle_fit(xy: np.ndarray) -> tuple[np.ndarray, float, float]:
    """Least-squares circle (Kåsa) through (N, 2) points: centre, radius, rms residual."""
    a = np.column_stack([2.0 * xy, np.ones(len(xy))])
    rhs = (xy**2).sum(axis=1)
    sol, *_ = np.linalg.lstsq(a, rhs, rcond=None)
    centre = sol[:2]
    radius = math.sqrt(max(float(sol[2] + centre @ centre), 0.0))
    resid = np.linalg.norm(xy - centre, axis=1) - radius
    return centre, radius, float(np.sqrt(np.mean(resid**2)))


def _batch_circle_rms(plane: np.ndarray, valid: np.ndarray) -> np.ndarray:
    """Relative rms residual (rms / radius) of a Kåsa circle fit per slice, all slices at once.

    Args:
        plane: (S, R, 2) hit points per slice; valid: (S, R) which are hits.

    Returns:
        (S,) float64; inf where a slice has fewer than 3 hits or no circle.
    """
    w = valid.astype(np.float64)
    a = np.concatenate([2.0 * plane, np.ones(plane.shape[:2] + (1,))], axis=2) * w[:, :, None]
    rhs = (plane**2).sum(axis=2) * w
    ata = np.einsum("sri,srj->sij", a, a) + np.eye(3) * 1e-12
    atb = np.einsum("sri,sr->si", a, rhs)
    sol = np.linalg.solve(ata, atb[:, :, None])[:, :, 0]
    centre = sol[:, :2]
    r2 = sol[:, 2] + (centre**2).sum(axis=1)
    r = np.sqrt(np.maximum(r2, 1e-18))
    resid = (np.linalg.norm(plane - centre[:, None], axis=2) - r[:, None]) * w
    rms = np.sqrt((resid**2).sum(axis=1) / np.maximum(w.sum(axis=1), 1.0)) / r
    return np.where((w.sum(axis=1) >= 3) & (r2 > 0), rms, np.inf)


def _round_sections(scene: _Scene, axis: np.ndarray, options: AffordanceOptions) -> list[Affordance]:
    """Runs of round, hand-sized sections along `axis`: grips a hand wraps.

    Each slice perpendicular to `axis` (5 mm apart) is probed by
    `_SECTION_RAYS` rays from outside towards the box's centre line; a circle
    fit with outliers dropped (a mug's handle) decides whether the section is
    round (up to 4 of its hits may be dropped, worst first; the kept hits must
    surround the centre with no gap over 90°); a batched first fit skips the
    slices far from round. Consecutive round slices whose radius stays within
    15 % of the run's first form a run; a run at least `min_bar_length_m` long
    and of a wrap-able diameter is a grip at its middle, on its axis, or, when
    the axis runs through a cavity (a mug, a cup), on the outer wall facing
    the grip's normal (the library's rule: only points inside a solid bar lie
    on an axis).
    """
    d_lo, d_hi = options.grip_diameter_m
    centre = (scene.lo + scene.hi) / 2.0
    b1 = _perpendicular(axis[None])[0]
    b2 = np.cross(axis, b1)
    proj = scene.points @ axis
    s_lo, s_hi = float(proj.min()), float(proj.max())
    count = int(np.clip((s_hi - s_lo) / 0.005, 8, 160))
    s = np.linspace(s_lo + 0.003, s_hi - 0.003, count)
    ang = np.arange(_SECTION_RAYS) * (2.0 * math.pi / _SECTION_RAYS)
    dirs = np.cos(ang)[:, None] * b1 + np.sin(ang)[:, None] * b2
    reach = float(np.linalg.norm(scene.extent)) + 0.05
    base = centre + axis * (s - centre @ axis)[:, None]  # (count, 3)
    origins = (base[:, None, :] + dirs[None] * reach).reshape(-1, 3)
    dist, _ = scene.first(origins, np.tile(-dirs, (count, 1)))
    dist = dist.reshape(count, _SECTION_RAYS)
    radius = np.full(count, np.nan)
    centres = np.zeros((count, 2))
    valid = dist < _FAR
    q = (reach - np.where(valid, dist, reach))[:, :, None] * dirs[None]  # hits relative to the centre line
    plane = np.stack([q @ b1, q @ b2], axis=2)  # (count, rays, 2)
    first_rms = _batch_circle_rms(plane, valid)
    for k in np.flatnonzero((valid.sum(axis=1) >= _SECTION_RAYS - 3) & (first_rms <= 0.3)):
        xy = plane[k][valid[k]]
        c, r, rms = _circle_fit(xy)
        while rms > 0.04 * r + 0.001 and len(xy) > _SECTION_RAYS - 5:
            worst = int(np.argmax(np.abs(np.linalg.norm(xy - c, axis=1) - r)))
            xy = np.delete(xy, worst, axis=0)
            c, r, rms = _circle_fit(xy)
        around = np.sort(np.arctan2(xy[:, 1] - c[1], xy[:, 0] - c[0]))
        widest = np.max(np.diff(np.concatenate([around, around[:1] + 2.0 * math.pi]))) if len(around) else 7.0
        if rms <= 0.04 * r + 0.001 and d_lo <= 2 * r <= d_hi and widest <= math.pi / 2:
            radius[k], centres[k] = r, c
    out: list[Affordance] = []
    i = 0
    while i < count:
        if np.isnan(radius[i]):
            i += 1
            continue
        j = i
        while j + 1 < count and not np.isnan(radius[j + 1]) and abs(radius[j + 1] - radius[i]) <= 0.15 * radius[i]:
            j += 1
        length = float(s[j] - s[i]) + 0.005
        if length >= options.min_bar_length_m:
            mid = (s[i] + s[j]) / 2.0
            c2 = np.median(centres[i : j + 1], axis=0)
            point = centre + axis * (mid - centre @ axis) + b1 * c2[0] + b2 * c2[1]
            r = float(np.median(radius[i : j + 1]))
            up_axis = axis if axis @ _UP >= 0 else -axis
            normal = _towards(_Z, up_axis, _Z)
            score = _grip_score(scene, point, length, r)
            point = _onto_wall(scene, point, normal, r)
            out.append(Affordance("grip", point, normal, up_axis, (length, 2 * r), r, score))
        i = j + 1
    return out


def _onto_wall(scene: _Scene, point: np.ndarray, normal: np.ndarray, radius: float) -> np.ndarray:
    """A round body's grip point: `point` on its axis when the axis is inside the solid
    (the first surface met along `normal` is left, not entered); else (a cup's
    cavity) the outer wall along `normal`: the second surface met, or `radius` out."""
    dist, face = scene.hits(point[None], normal[None], 2)
    if face[0, 0] >= 0 and scene.normals[face[0, 0]] @ normal > 0.0:
        return point
    return np.asarray(point + normal * (dist[0, 1] if face[0, 1] >= 0 else radius))


def _grips(scene: _Scene, options: AffordanceOptions) -> list[Affordance]:
    """Round-section grips along the up axis and, when it differs by > 30°, the long axis."""
    axes = [_UP]
    centred = scene.points - scene.centroid
    _, _, vt = np.linalg.svd(centred[:: max(1, len(centred) // 2000)], full_matrices=False)
    if abs(vt[0] @ _UP) < math.cos(math.radians(30.0)):
        axes.append(_unit(vt[0]))
    out: list[Affordance] = []
    for axis in axes:
        out += _round_sections(scene, axis, options)
    return out


# --------------------------------------------------------------------------- upward regions


@dataclass(frozen=True)
class _Region:
    """A connected upward-facing region (internal).

    Attributes:
        faces: its mesh faces.
        centre: (3,) area-weighted centre (exact, from the mesh faces), metres.
        top: (3,) the surface point above `centre` on the region (or `centre` when
            the region does not cover it: a ring).
        extents: (2,) horizontal extents along its principal axes, largest first.
        major: (3,) horizontal unit direction of the largest extent.
        area: m² (sum of its faces).
        fill: area / (extents product).
        covers_centre: whether the region holds the point above its centre.
        thickness: median thickness of its samples (plate test), metres.
        spread: height range of its faces, metres (flat: a few mm; a dome's cap: more).
    """

    faces: np.ndarray
    centre: np.ndarray
    top: np.ndarray
    extents: np.ndarray
    major: np.ndarray
    area: float
    fill: float
    covers_centre: bool
    thickness: float
    spread: float

    @property
    def footprint(self) -> float:
        return float(self.extents[0] * self.extents[1])


def _upward_regions(scene: _Scene, options: AffordanceOptions) -> list[_Region]:
    """Connected upward regions of the mesh.

    Upward faces (normal·Y > `up_cos`) that share edges form patches (a thin
    rim stays one patch); patches whose tops are within 1 cm in height and
    whose points come within 3.5 cm horizontally merge (a bench's slats, their
    rounded edges included).
    """
    up = np.flatnonzero(scene.normals[:, 1] >= options.up_cos)
    if len(up) == 0:
        return []
    local = np.full(len(scene.normals), -1, dtype=np.int64)
    local[up] = np.arange(len(up))
    adj = np.asarray(scene.tm.face_adjacency, dtype=np.int64).reshape(-1, 2)
    adj = adj[(local[adj[:, 0]] >= 0) & (local[adj[:, 1]] >= 0)]
    m = len(up)
    graph = coo_matrix((np.ones(len(adj)), (local[adj[:, 0]], local[adj[:, 1]])), shape=(m, m))
    n_patch, patch = connected_components(graph, directed=False)
    tri = np.asarray(scene.tm.triangles, dtype=np.float64)[up]
    patch_top = np.full(n_patch, -np.inf)
    np.maximum.at(patch_top, patch, tri[:, :, 1].max(axis=1))
    # points standing for each patch: its corners and the samples on it, thinned to 8 mm cells
    on_up = local[scene.sample_faces] >= 0
    pts = np.concatenate([tri.reshape(-1, 3), scene.points[on_up]])
    owner = np.concatenate([np.repeat(patch, 3), patch[local[scene.sample_faces[on_up]]]])
    key = np.column_stack([owner, np.floor(pts / 0.008).astype(np.int64)])
    _, first = np.unique(key, axis=0, return_index=True)
    pts, owner = pts[first], owner[first]
    pairs = cKDTree(pts[:, [0, 2]]).query_pairs(0.035, output_type="ndarray")
    if len(pairs):
        a, b = owner[pairs[:, 0]], owner[pairs[:, 1]]
        join = (a != b) & (np.abs(patch_top[a] - patch_top[b]) <= 0.01)
        a, b = a[join], b[join]
    else:
        a = b = np.zeros(0, dtype=np.int64)
    merged = coo_matrix((np.ones(len(a)), (a, b)), shape=(n_patch, n_patch))
    _, group = connected_components(merged, directed=False)
    face_group = group[patch]
    regions: list[_Region] = []
    for g in np.unique(face_group):
        faces = up[face_group == g]
        region = _region(scene, faces, pts[group[owner] == g])
        if region is not None:
            regions.append(region)
    return regions


def _region(scene: _Scene, faces: np.ndarray, outline: np.ndarray) -> _Region | None:
    """Statistics of one upward region from its faces (exact area and centre).

    Args:
        faces: (K,) indices of its faces.
        outline: (P, 3) points standing for it (face corners, samples), metres.
    """
    area_f = np.asarray(scene.tm.area_faces, dtype=np.float64)[faces]
    area = float(area_f.sum())
    if area < 1e-4:
        return None
    centre = (np.asarray(scene.tm.triangles_center, dtype=np.float64)[faces] * area_f[:, None]).sum(axis=0) / area
    members = np.flatnonzero(np.isin(scene.sample_faces, faces))
    spread = scene.points[members] if len(members) >= 3 else outline
    xz = spread[:, [0, 2]] - centre[[0, 2]]
    if len(xz) >= 3 and np.ptp(xz, axis=0).max() > 0:
        _, vecs = np.linalg.eigh(np.cov(xz.T))
        major2 = vecs[:, 1]
    else:
        major2 = np.array([1.0, 0.0])
    minor2 = np.array([-major2[1], major2[0]])
    rim = outline[:, [0, 2]] - centre[[0, 2]]
    ext = np.array([np.ptp(rim @ major2), np.ptp(rim @ minor2)])
    if ext[1] > ext[0]:
        ext = ext[::-1]
        major2 = minor2
    fill = float(area / max(ext[0] * ext[1], 1e-12))
    major = np.array([major2[0], 0.0, major2[1]])
    origin = np.array([centre[0], scene.hi[1] + 0.05, centre[2]])
    dist, hit_faces = scene.hits(origin[None], -_UP[None], 12)
    top = centre.copy()
    on = np.isin(hit_faces[0], faces)
    covers = bool(on.any())
    if covers:
        top = origin - _UP * dist[0, int(np.argmax(on))]
    else:
        top[1] = float(np.median(outline[:, 1]))
    thickness = float(np.median(scene.thickness[members])) if len(members) else _FAR
    heights = np.asarray(scene.tm.triangles, dtype=np.float64)[faces][:, :, 1]
    return _Region(faces, centre, top, ext, major, area, fill, covers, thickness, float(np.ptp(heights)))


# --------------------------------------------------------------------------- seats and backrests


@dataclass(frozen=True)
class _Backrest:
    """A backrest found above a seat (internal)."""

    forward: np.ndarray
    front: Affordance
    top: Affordance


def _backrest(scene: _Scene, seat: _Region, options: AffordanceOptions) -> _Backrest | None:
    """Look for a backrest from above a seat: wide, seat-facing surfaces in one direction.

    Rays leave the seat's centre line (and lines 10 cm to either side) in 8
    horizontal directions at heights from 3 to 80 cm above the seat. A
    direction whose three lines all meet surfaces facing back at the seat over
    at least 8 cm of height holds a backrest (a post is too narrow to stop all
    three). Its front face's mean normal gives the forward direction; the
    backrest point and top come from a fine scan along -forward (`_scan_backrest`).
    """
    base = seat.top
    heights = base[1] + np.arange(0.03, 0.8, 0.01)
    best: tuple[float, np.ndarray] | None = None
    half = float(seat.extents.max()) / 2.0
    for k in range(8):
        ang = k * math.pi / 4.0
        d = np.array([math.cos(ang), 0.0, math.sin(ang)])
        side = np.cross(_UP, d)
        covered = []
        normals = []
        for offset in (-0.1, 0.0, 0.1):
            origins = base + side * offset + (heights - base[1])[:, None] * _UP
            dist, face = scene.first(origins, np.repeat(d[None], len(origins), axis=0))
            n = scene.normals[np.maximum(face, 0)]
            ok = (face >= 0) & (dist <= half + 0.2) & (n @ -d >= 0.6) & (np.abs(n[:, 1]) <= 0.6)
            covered.append(ok.sum() * 0.01)
            normals.append(n[ok])
        coverage = min(covered)
        if coverage >= 0.08 and (best is None or coverage > best[0]):
            best = (coverage, _flat(np.concatenate(normals).mean(axis=0)))
    if best is None:
        return None
    return _scan_backrest(scene, seat, best[1])


def _scan_backrest(scene: _Scene, seat: _Region, forward: np.ndarray) -> _Backrest | None:
    """Backrest point and top from horizontal rays along -forward every 5 mm above the seat.

    Hits facing the seat split into runs of consecutive heights wherever they
    skip a height or jump in depth; runs more than 6 mm behind the front-most
    one along the backrest's tilt (posts behind slats) are dropped, leaving
    the slats, or one panel. The backrest point is the middle of the run
    nearest the backrest's mid height (the higher of two within 1 cm); the top
    is the middle of the highest run's top face (`_backrest_top`).
    """
    base = seat.top
    heights = base[1] + np.arange(0.02, 0.85, 0.005)
    origins = base + (heights - base[1])[:, None] * _UP
    back = -forward
    dist, face = scene.hits(origins, np.repeat(back[None], len(origins), axis=0), 2)
    n = scene.normals[np.maximum(face[:, 0], 0)]
    reach = float(seat.extents.max()) / 2.0 + 0.25
    ok = (face[:, 0] >= 0) & (dist[:, 0] <= reach) & (n @ forward >= 0.5) & (np.abs(n[:, 1]) <= 0.6)
    if ok.sum() < 4:
        return None
    idx = np.flatnonzero(ok)
    jump = np.abs(np.diff(dist[idx, 0])) > 0.006 + 0.3 * np.diff(heights[idx])
    runs = [r for r in np.split(idx, np.flatnonzero((np.diff(idx) > 2) | jump) + 1) if len(r) >= 2]
    if not runs:
        return None
    slopes = [np.polyfit(heights[r], dist[r, 0], 1)[0] for r in runs if len(r) >= 3]
    slope = float(np.median(slopes)) if slopes else 0.0
    intercept = np.array([np.median(dist[r, 0] - slope * heights[r]) for r in runs])
    runs = [r for r, b in zip(runs, intercept, strict=True) if b <= intercept.min() + 0.006]
    lo, hi = heights[runs[0][0]], heights[runs[-1][-1]]
    mid = (lo + hi) / 2.0
    centres = [(heights[r[0]] + heights[r[-1]]) / 2.0 for r in runs]
    gaps = np.array([abs(c - mid) for c in centres])
    near = np.flatnonzero(gaps <= gaps.min() + 0.01)
    pick = int(near[np.argmax(np.asarray(centres)[near])])  # a near tie: the higher slat, for the upper back
    run = runs[pick]
    y = centres[pick]
    o = base + (y - base[1]) * _UP
    d_front, f_front = scene.first(o[None], back[None])
    if f_front[0] < 0:
        return None
    point = o + back * d_front[0]
    normal = _unit(scene.normals[face[run, 0]].mean(axis=0))
    axis = _unit(np.cross(_UP, forward))
    width = _extent_along(scene, point, normal, axis)
    front = Affordance("backrest", point, normal, axis, (width, float(hi - lo)), 0.0,
                       float(min(1.0, (hi - lo) / 0.3)))
    top = _backrest_top(scene, base, back, heights[runs[-1][-1]], float(dist[runs[-1][-1], 0]), axis, width,
                        front.score)
    return _Backrest(forward, front, top)


def _backrest_top(scene: _Scene, base: np.ndarray, back: np.ndarray, y_last: float, d_last: float,
                  axis: np.ndarray, width: float, score: float) -> Affordance:
    """The top edge centre of a backrest: the middle of the top face of its highest part.

    Rays straight down, 2 mm apart, walk backwards from the front face at the
    highest backrest hit (`y_last`, `d_last` along `back` from `base`); the
    first flat stretch of hits near that height (rising at most 1.5 mm per
    step: not the rounded front edge, not the step up to a post standing
    higher behind the slat) is the top face.
    """
    deltas = np.arange(-0.004, 0.15, 0.002)
    front = base + back * d_last
    origins = front + back * deltas[:, None]
    origins[:, 1] = scene.hi[1] + 0.05
    dist, face = scene.first(origins, np.repeat(-_UP[None], len(origins), axis=0))
    h = np.where(face >= 0, origins[:, 1] - dist, -_FAR)
    flat = (h >= y_last - 0.02) & (np.abs(np.gradient(h)) <= 0.0015)
    idx = np.flatnonzero(flat)
    if len(idx) == 0:
        point = front.copy()
        point[1] = y_last
        return Affordance("backrest_top", point, _UP.copy(), axis, (width, 0.0), 0.0, score)
    seg = np.split(idx, np.flatnonzero(np.diff(idx) > 1) + 1)[0]
    mid = (deltas[seg[0]] + deltas[seg[-1]]) / 2.0
    point = front + back * mid
    point[1] = float(h[seg].max())
    return Affordance("backrest_top", point, _UP.copy(), axis, (width, float(deltas[seg[-1]] - deltas[seg[0]])), 0.0,
                      score)


def _extent_along(scene: _Scene, point: np.ndarray, normal: np.ndarray, axis: np.ndarray) -> float:
    """Width of the surface through `point` along `axis` (rays in front of it, 1 cm apart), metres."""
    offsets = np.arange(-1.0, 1.0001, 0.01)
    origins = point + normal * 0.02 + offsets[:, None] * axis
    dist, face = scene.first(origins, np.repeat(-normal[None], len(origins), axis=0))
    hit = (face >= 0) & (dist <= 0.06)
    return float(np.ptp(offsets[hit]) + 0.01) if hit.any() else 0.0


def _on_legs(scene: _Scene, region: _Region, options: AffordanceOptions) -> bool:
    """Whether a top is a plate on legs with edges to hold (a table's, a stool's, a
    chair's or bench's seat): flat, thin, at least `seat_min_size_m` both ways,
    mostly filled, its top within `table_height_m`."""
    lo, hi = options.table_height_m
    return bool(region.spread <= _FLAT_M and region.thickness <= options.plate_max_thickness_m
                and region.extents[1] >= options.seat_min_size_m and region.fill >= 0.5
                and lo <= region.top[1] - scene.floor <= hi)


def _top_edges(scene: _Scene, region: _Region) -> list[Affordance]:
    """The four edge midpoints of a table top, at half the top's thickness, by rays from outside."""
    y = region.top[1] - min(region.thickness, 0.1) / 2.0
    out = []
    for side, d in _SIDE_DIRECTIONS.items():
        origin = region.centre.copy()
        origin[1] = y
        origin = origin + d * (float(np.abs(scene.extent).max()) + 0.1)
        dist, face = scene.first(origin[None], -d[None])
        if face[0] < 0:
            continue
        n = scene.normals[face[0]]
        if n @ d < 0.7:
            continue
        point = origin - d * dist[0]
        axis = _unit(np.cross(_UP, d))
        out.append(Affordance("edge", point, d.copy(), axis, (float(region.extents[0]), region.thickness), 0.0,
                              1.0, side))
    return out


# --------------------------------------------------------------------------- whole-object grasps


def _side_point(scene: _Scene, sign: float) -> Affordance | None:
    """Where a hand holds the object on its +X (sign 1) or -X side.

    A grid of rays along ∓X (about 100 heights, 80 depths) finds the surface
    facing that side where a hand can hold it: where the solid crossed from
    the hit is at least 6 cm (or most of the object's width: a slab's rim,
    a box's side), or where the surface stays out over a palm-wide window of
    depths (5 cm, or half a thin object's depth: a thin-walled bin). Legs,
    rails and loops are neither. The side band
    is the tallest run of heights within 1 cm of the outermost such surface
    (2 or 3 cm when a proud hoop leaves nothing palm-tall), at least 2.5 cm
    tall (or half the object's height); the hand goes to its middle, or
    into a hand hole cut into it (a recess 2–8 cm tall and >= 1 cm deep with
    the band above and below it: the point is on the recess's floor), at the
    middle of the outermost depths.
    """
    d = _X * sign
    h, depth = float(scene.extent[1]), float(scene.extent[2])
    y_step = float(np.clip(h / 100.0, 0.001, 0.005))
    heights = np.arange(scene.floor + y_step / 2, scene.hi[1], y_step)
    z_step = float(np.clip(depth / 80.0, 0.001, 0.005))
    zs = np.arange(scene.lo[2] + z_step / 2, scene.hi[2], z_step)
    if len(heights) < 3 or len(zs) < 1:
        return None
    yy, zz = np.meshgrid(heights, zs, indexing="ij")
    start = (scene.hi[0] if sign > 0 else -scene.lo[0]) + 0.1
    origins = np.stack([np.full(yy.size, sign * start), yy.ravel(), zz.ravel()], axis=1)
    dist, face = scene.hits(origins, np.repeat(-d[None], len(origins), axis=0), 2)
    n = scene.normals[np.maximum(face[:, 0], 0)]
    facing = (face[:, 0] >= 0) & (n @ d >= 0.5)
    solid = facing & (dist[:, 1] - dist[:, 0] >= min(0.06, 0.8 * float(scene.extent[0])))
    hit_x = start - dist[:, 0]  # outward coordinate of each hit
    any_reach = np.where(facing, hit_x, -_FAR).reshape(yy.shape)
    palm_w = min(0.05, 0.5 * depth)
    window = max(1, min(len(zs), int(round(palm_w / z_step))))
    palm = ndimage.minimum_filter1d(any_reach, size=window, axis=1, mode="constant", cval=-_FAR)
    reach = np.maximum(np.where(solid, hit_x, -_FAR).reshape(yy.shape), palm)
    outer = reach.max(axis=1)
    if outer.max() <= -_FAR / 2:
        return None
    top = float(outer.max())
    tall = min(0.025, 0.5 * h)
    runs: list[np.ndarray] = []
    for slack in (0.01, 0.02, 0.03):  # a hoop or rail standing proud of the side widens the band
        idx = np.flatnonzero(outer >= top - slack)
        runs = [r for r in np.split(idx, np.flatnonzero(np.diff(idx) > 1) + 1)
                if len(r) and heights[r[-1]] - heights[r[0]] + y_step >= tall - 1e-9]
        if runs:
            break
    if not runs:
        return None
    run = max(runs, key=lambda r: heights[r[-1]] - heights[r[0]])
    z_mid = [np.mean(zs[reach[i] >= outer[i] - 0.003]) for i in run]
    z_hold = float(np.median(z_mid))
    col = int(np.argmin(np.abs(zs - z_hold)))
    y_hold = (heights[run[0]] + heights[run[-1]]) / 2.0
    recess = outer[run] - reach[run, col]
    hole = np.flatnonzero(recess >= 0.01)
    for part in np.split(hole, np.flatnonzero(np.diff(hole) > 1) + 1) if len(hole) else []:
        span = heights[run[part[-1]]] - heights[run[part[0]]] + y_step
        if 0.02 <= span <= 0.08 and part[0] > 0 and part[-1] < len(run) - 1:
            y_hold = (heights[run[part[0]]] + heights[run[part[-1]]]) / 2.0
            break
    row = int(np.argmin(np.abs(heights - y_hold)))
    in_hole = y_hold != (heights[run[0]] + heights[run[-1]]) / 2.0
    surface = np.where(facing, hit_x, -_FAR).reshape(yy.shape)[row, col]
    x = surface if in_hole and surface > -_FAR / 2 else (
        reach[row, col] if reach[row, col] >= outer[row] - 0.01 else outer[row])
    point = np.array([sign * x, y_hold, z_hold])
    side: Side = "left" if sign > 0 else "right"
    band = float(heights[run[-1]] - heights[run[0]] + y_step)
    return Affordance("two_hands", point, d.copy(), _Z.copy(), (band, float(scene.extent[0])), 0.0, 1.0, side)


def _fits_one_hand(scene: _Scene, options: AffordanceOptions) -> bool:
    """Narrow enough in a horizontal direction, or small in every direction, and light (small volume)."""
    w, h, d = (float(v) for v in scene.extent)
    small = min(w, d) <= options.one_hand_width_m or max(w, h, d) <= options.one_hand_size_m
    return small and scene.volume <= options.one_hand_volume_m3


def _whole_object(scene: _Scene, grips: list[Affordance], options: AffordanceOptions) -> list[Affordance]:
    """One-hand and two-hand grasps of the whole object by its size."""
    w, h, d = (float(v) for v in scene.extent)
    out: list[Affordance] = []
    if _fits_one_hand(scene, options):
        centre = (scene.lo + scene.hi) / 2.0
        best = max(grips, key=lambda a: a.score, default=None)
        point = best.point if best is not None else centre
        radius = best.radius if best is not None else min(w, d) / 2.0
        out.append(Affordance("one_hand", point, _Z.copy(), _UP.copy(), (h, min(w, d)), radius, 1.0))
    if w <= options.two_hand_width_m and h <= options.two_hand_max_height_m:
        for sign in (1.0, -1.0):
            found = _side_point(scene, sign)
            if found is not None:
                out.append(found)
    return out


def _faces(scene: _Scene) -> list[Affordance]:
    """Centres of the object's ±Z faces.

    The centre is the area centroid of the interior of the samples facing
    that way (normal within 45°; `_face_interior`: a guitar's neck does not
    pull its body's back centre), brought onto the surface by a ray along ∓Z; when that ray
    lands on a part facing elsewhere (a handle, a strap), it is nudged up to
    4 cm in height and width. A side with less than 6 × 6 cm of facing
    surface has no face.
    """
    out = []
    cos45 = math.cos(math.radians(45.0))
    nudges = [(0.0, 0.0)] + [(r * math.cos(a), r * math.sin(a)) for r in (0.01, 0.02, 0.03, 0.04)
                             for a in np.arange(8) * (math.pi / 4.0)]
    for side in ("front", "back"):
        d = _SIDE_DIRECTIONS[side]
        facing = scene.sample_normals @ d >= cos45
        if facing.sum() * scene.area_per_sample < 0.0036:
            continue
        c = _face_interior(scene, facing).mean(axis=0)
        start = (scene.hi[2] if d[2] > 0 else -scene.lo[2]) + 0.1
        origins = np.array([[c[0] + dx, c[1] + dy, d[2] * start] for dx, dy in nudges])
        dist, face = scene.first(origins, np.repeat(-d[None], len(origins), axis=0))
        good = (face >= 0) & (scene.normals[np.maximum(face, 0)] @ d >= cos45)
        if not good.any():
            continue
        k = int(np.argmax(good))
        point = origins[k] - d * dist[k]
        area = float(facing.sum() * scene.area_per_sample)
        out.append(Affordance("face", point, d.copy(), _unit(np.cross(_UP, d)),
                              (float(scene.extent[0]), float(scene.extent[1])), 0.0, float(min(1.0, area / 0.04)),
                              side))
    return out


def _face_interior(scene: _Scene, facing: np.ndarray) -> np.ndarray:
    """The facing samples whose neighbours within 4 cm all face that way too
    (the face eroded by 4 cm: strips narrower than 8 cm vanish); all of them
    when nothing is left (a small object)."""
    pts = scene.points[facing]
    others = scene.points[~facing]
    if len(others) == 0:
        return pts
    blocked = cKDTree(others).query_ball_point(pts, 0.04, return_length=True)
    inner = np.asarray(blocked) == 0
    return pts[inner] if inner.sum() >= 3 else pts


def _flat_grip(scene: _Scene, options: AffordanceOptions) -> Affordance | None:
    """A flat object a hand holds on its palm (a phone, a book): a grip at its
    centre, its normal against the thin side (from below when it lies flat),
    its axis along its longest extent. Only for objects at most 3 cm thin
    that fit one hand."""
    ext = scene.extent
    thin = int(np.argmin(ext))
    if ext[thin] > 0.03 or not _fits_one_hand(scene, options):
        return None
    normal = -np.eye(3)[thin]
    longest = np.eye(3)[int(np.argmax(ext))]
    return Affordance("grip", (scene.lo + scene.hi) / 2.0, normal, longest.copy(),
                      (float(ext.max()), float(ext[thin])), float(ext[thin]) / 2.0, 0.5)


# --------------------------------------------------------------------------- vertical faces


def _vertical_faces(scene: _Scene, options: AffordanceOptions) -> tuple[list[Affordance], list[Affordance]]:
    """Lean supports and push surfaces from near-vertical samples grouped by facing and plane."""
    vert = np.flatnonzero(np.abs(scene.sample_normals[:, 1]) < 0.3)
    lean: list[Affordance] = []
    push: list[Affordance] = []
    if len(vert) < 3:
        return lean, push
    n = scene.sample_normals[vert]
    azimuth = np.arctan2(n[:, 2], n[:, 0])
    sector = np.round(azimuth / (math.pi / 8.0)).astype(np.int64) % 16
    for s in np.unique(sector):
        members = vert[sector == s]
        facing = _flat(scene.sample_normals[members].mean(axis=0))
        offset = scene.points[members] @ facing
        order = np.argsort(offset)
        planes = np.split(members[order], np.flatnonzero(np.diff(offset[order]) > 0.02) + 1)
        for plane in planes:
            if len(plane) < 5:
                continue
            pts = scene.points[plane]
            pairs = cKDTree(pts).query_pairs(max(0.03, 2.0 * scene.spacing), output_type="ndarray")
            m = len(plane)
            graph = coo_matrix((np.ones(len(pairs)), (pairs[:, 0], pairs[:, 1])), shape=(m, m)) if len(pairs) \
                else coo_matrix((m, m))
            _, label = connected_components(graph, directed=False)
            for lab in np.flatnonzero(np.bincount(label) >= 5):
                part = plane[label == lab]
                lean += _face_window(scene, part, facing, options.lean_height_m, options.lean_min_width_m, 0.02,
                                     "lean")
                push += _face_window(scene, part, facing, options.push_height_m, options.push_min_width_m, 0.03,
                                     "push")
    lean.sort(key=lambda a: -a.score)
    push.sort(key=lambda a: -a.score)
    return lean, push


def _face_window(scene: _Scene, part: np.ndarray, facing: np.ndarray, window: tuple[float, float],
                 min_width: float, min_height: float, kind: AffordanceKind) -> list[Affordance]:
    """The piece of a vertical face cluster inside a height window, if wide and tall enough."""
    y = scene.points[part, 1] - scene.floor
    inside = part[(y >= window[0]) & (y <= window[1])]
    if len(inside) < 3:
        return []
    pts = scene.points[inside]
    axis = _unit(np.cross(_UP, facing))
    width = float(np.ptp(pts @ axis)) + scene.spacing
    tall = float(np.ptp(pts[:, 1])) + scene.spacing
    if width < min_width or tall < min_height:
        return []
    area = len(inside) * scene.area_per_sample
    normal = _unit(scene.sample_normals[inside].mean(axis=0))
    score = float(min(1.0, area / 0.16))
    return [Affordance(kind, pts.mean(axis=0), normal, axis, (width, tall), 0.0, score)]


# --------------------------------------------------------------------------- the finder


def _region_affordance(kind: AffordanceKind, region: _Region, axis: np.ndarray, score: float) -> Affordance:
    return Affordance(kind, region.top.copy(), _UP.copy(), axis, (float(region.extents[0]),
                      float(region.extents[1])), 0.0, float(score))


def find_affordances(mesh: Mesh, options: AffordanceOptions = AffordanceOptions()) -> Affordances:
    """Find where a body can grasp, sit, lean, step on or push an object mesh.

    Args:
        mesh: the object, internal frame (+Y up, metres); watertight meshes
            give the best thicknesses, open ones still work (rays that leave
            count as thick).
        options: thresholds (`AffordanceOptions`).

    Returns:
        `Affordances` (object frame, float64, every list best first).

    Raises:
        InputError: an empty mesh, non-finite vertices or faces out of range.
    """
    if not isinstance(options, AffordanceOptions):
        raise InputError(f"options must be AffordanceOptions, got {type(options).__name__}")
    scene = _Scene(mesh, options)
    bar_affs, bars = _bar_affordances(scene, options)
    graspable = sorted(bar_affs + _grips(scene, options), key=lambda a: -a.score)
    if not any(a.kind == "grip" for a in graspable):
        flat = _flat_grip(scene, options)
        graspable += [flat] if flat is not None else []
    regions = _upward_regions(scene, options)
    seated = _seats(scene, regions, options)
    topped = _tops(scene, regions, options)
    lean, push = _vertical_faces(scene, options)
    return Affordances(
        graspable=tuple(graspable),
        rims=topped.rims,
        whole_object=tuple(_whole_object(scene, [a for a in graspable if a.kind == "grip"], options)),
        seats=seated.seats,
        backrests=seated.backrests,
        lean_supports=tuple(lean),
        foot_supports=_foot_supports(scene, regions, bars, options),
        tops=topped.tops,
        push_surfaces=tuple(push),
        edges=topped.edges,
        faces=tuple(_faces(scene)),
        bounds=np.stack([scene.lo, scene.hi]),
        furniture=seated.plate or bool(topped.edges),
    )


@dataclass(frozen=True)
class _Seated:
    """Seats found (internal): seats best first, their backrests, whether any seat is a plate."""

    seats: tuple[Affordance, ...]
    backrests: tuple[Affordance, ...]
    plate: bool


def _seats(scene: _Scene, regions: list[_Region], options: AffordanceOptions) -> _Seated:
    """Flat, hip-sized regions at seat height, each with its backrest if rays find one.

    A large plate on legs without a backrest is a table top, not a seat.
    The score prefers a height near 0.45 m and a backrest.
    """
    seats: list[Affordance] = []
    backrests: list[Affordance] = []
    plate_seat = False
    s_lo, s_hi = options.seat_height_m
    for region in regions:
        height = region.top[1] - scene.floor
        if not (s_lo <= height <= s_hi and region.extents[1] >= options.seat_min_size_m and region.fill >= 0.5
                and region.spread <= _FLAT_M):
            continue
        found = _backrest(scene, region, options)
        plate = region.thickness <= options.plate_max_thickness_m
        plate_seat = plate_seat or plate
        if found is None and plate and region.extents[0] >= options.table_min_size_m:
            continue
        forward = found.forward if found is not None else _Z.copy()
        score = (1.0 - min(1.0, abs(height - 0.45) / 0.5)) * (1.0 if found is not None else 0.8)
        seats.append(_region_affordance("seat", region, forward, score))
        if found is not None:
            backrests += [found.front, found.top]
    return _Seated(tuple(sorted(seats, key=lambda a: -a.score)), tuple(backrests), plate_seat)


@dataclass(frozen=True)
class _Topped:
    """The top and what it makes of the object (internal): the top, a rim, a table top's edges."""

    tops: tuple[Affordance, ...]
    rims: tuple[Affordance, ...]
    edges: tuple[Affordance, ...]


def _tops(scene: _Scene, regions: list[_Region], options: AffordanceOptions) -> _Topped:
    """The highest region whose footprint is at least a fifth of the largest one's
    (not a handle's top), its rim when it rings a cavity, its edges when it is a
    plate on legs."""
    largest = max((r.footprint for r in regions), default=0.0)
    region = max((r for r in regions if r.footprint >= 0.2 * largest), key=lambda r: r.top[1], default=None)
    if region is None:
        return _Topped((), (), ())
    rims = (_rim(scene, region),) if not region.covers_centre and region.fill < 0.5 else ()
    edges = tuple(_top_edges(scene, region)) if _on_legs(scene, region, options) else ()
    return _Topped((_region_affordance("top", region, _Z.copy(), 1.0),), rims, edges)


def _foot_supports(scene: _Scene, regions: list[_Region], bars: list[_Bar],
                   options: AffordanceOptions) -> tuple[Affordance, ...]:
    """Low regions a foot fits on, and low horizontal bars (rungs, foot rings) with room above."""
    f_lo, f_hi = options.foot_height_m
    narrow, long = options.foot_min_size_m
    feet: list[Affordance] = []
    for region in regions:
        height = region.top[1] - scene.floor
        if f_lo <= height <= f_hi and region.extents[1] >= narrow and region.extents[0] >= long \
                and region.covers_centre:
            feet.append(_region_affordance("foot_support", region, region.major, min(1.0, region.area / 0.03)))
    for bar in bars:
        height = bar.point[1] - scene.floor
        if f_lo <= height <= f_hi and abs(bar.axis[1]) < 0.35 and bar.lowest > scene.floor + 0.02 \
                and bar.length >= narrow:
            room, _ = scene.first((bar.point + _UP * (bar.radius + 0.005))[None], _UP[None])
            if room[0] >= 0.15:
                feet.append(Affordance("foot_support", bar.point, _UP.copy(), bar.axis, (bar.length, 2 * bar.radius),
                                       bar.radius, 0.5))
    return tuple(sorted(feet, key=lambda a: -a.score))


def _rim(scene: _Scene, region: _Region) -> Affordance:
    """The rim of an open container: its front (+Z) point, on the rim's top
    (a rotationally symmetric rim has no better choice; compose hooks it there).
    """
    pts = np.asarray(scene.tm.triangles_center, dtype=np.float64)[region.faces]
    rel = pts - region.centre
    front = pts[(np.abs(rel[:, 0]) <= max(0.01, 2 * scene.spacing)) & (rel[:, 2] > 0)]
    point = front.mean(axis=0) if len(front) else pts[np.argmax(rel[:, 2])]
    point = np.array([point[0], region.top[1], point[2]])
    return Affordance("rim", point, _UP.copy(), _X.copy(), (float(region.extents[0]), float(region.extents[1])), 0.0,
                      1.0)
