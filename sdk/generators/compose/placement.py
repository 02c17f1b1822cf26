"""Contact placement by optimisation: body pose and object pose (DESIGN §7 "compose").

Given a pose prior, an initial placement and the body parts that must touch the
object, `optimise_placement` moves the free joints of the body, its translation
and (for a held object) the object's rigid pose, with torch autograd through the
body model (`BodyRig`: the model's rest shape, joints and skin weights posed by
SMPL kinematics and linear blend skinning, equal to `BodyModel.forward`), so that:

- every requested part touches the object (its closest vertex within
  `touch_gap_m` of the surface),
- every other part keeps `clear_m` away (parts the requested contact
  configuration tolerates, e.g. a forearm beside the hand: `tolerated_clear_m`),
- neither surface enters the other (hinge on signed distances, both ways),
- the feet stand on the floor y = 0 (or, seated or lying, nothing goes below it),
- body sites reach their anchors (palm → handle, back → backrest ...),
- joints stay near the prior and inside `actions.JOINT_LIMITS`.

Nearest-neighbour queries run without gradients once per block of steps
(scipy k-d trees over dense object surface samples and over the posed body
vertices); between refreshes the distances are differentiable point-to-plane
distances to the planes found then, evaluated on the vertex subset that
matters (a few thousand of Anny's 13,718 vertices).

Two stages, each run by L-BFGS (strong-Wolfe line search): "reach" (site
targets, prior, limits, floor; on the sites' and soles' vertices only), then
"contact" (everything) in blocks between refreshes, each block held near its
start by a trust-region term so its linearised distances stay valid. All
positions are metres in the internal frame
(+Y up, the character faces +Z); the object's mesh is in its own frame and
placed by a rotation R and translation t: x_world = R @ x_object + t.
"""

from __future__ import annotations

import dataclasses
import functools
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import torch
from scipy.spatial import cKDTree

from hoiexport.sdk.bodies.pose_library import JOINT_LIMITS, PRIOR_SIGMA_DEG
from hoiexport.sdk.bodies.poser import Poser, rodrigues
from hoiexport.sdk.bodies.protocol import BodyModel
from hoiexport.sdk.core.errors import InputError
from hoiexport.sdk.core.skeleton import NUM_JOINTS, SMPL_JOINT_NAMES
from hoiexport.sdk.core.types import BODY_PARTS, Mesh
from hoiexport.sdk.geometry.normals import vertex_normals
from hoiexport.sdk.geometry.surface import SurfaceQuery

FloorMode = Literal["stand", "above"]
""""stand": the soles of `PlacementProblem.feet` rest on y = 0 and nothing goes
below it; "above": nothing goes below y = 0 (seated, lying)."""

ObjectMotion = Literal["fixed", "free"]
""""fixed": the object stays where it is (on the floor, a seat); "free": its
rigid pose is optimised too (a held object)."""

_CM = 0.01


@dataclass(frozen=True)
class LossWeights:
    """Relative weights of the placement losses (each is a sum of squared
    centimetre-scaled residuals, or of squared radians for the pose terms)."""

    touch: float = 20.0
    penetration: float = 20.0
    clear: float = 1.0
    tolerated: float = 0.2
    site: float = 1.0
    orient: float = 2.0
    floor: float = 4.0
    prior: float = 1.0
    limits: float = 50.0
    object_prior: float = 0.2


@dataclass(frozen=True)
class PlacementOptions:
    """Settings of `optimise_placement`.

    Attributes:
        reach_iters: L-BFGS iterations of the "reach" stage.
        contact_blocks: nearest-neighbour refreshes of the "contact" stage.
        block_iters: L-BFGS iterations between two refreshes.
        step_rad: trust-region scale of joint and object rotations per block, radians.
        step_m: trust-region scale of translations per block, metres.
        touch_gap_m: gap a touching part's closest vertex aims for, metres.
        clear_m: distance every non-requested part keeps, metres (the contact
            analysis counts a part as touching within 4 cm).
        tolerated_clear_m: distance kept by parts the requested configuration
            tolerates (weighted by `LossWeights.tolerated`), metres.
        margin_m: signed distance below which a point counts as penetrating, metres.
        near_m: radius within which points enter the distance terms, metres.
        sample_spacing_m: spacing of the object surface samples, metres.
        prior_scale: factor on `actions.PRIOR_SIGMA_DEG` (the per-joint prior
            scales, degrees; the pelvis entry is the global orientation's).
        object_sigma_m: prior scale of a free object's translation, metres.
        object_sigma_deg: prior scale of a free object's rotation, degrees.
        weights: loss weights.
    """

    reach_iters: int = 20
    contact_blocks: int = 6
    block_iters: int = 6
    step_rad: float = 0.08
    step_m: float = 0.02
    touch_gap_m: float = 0.003
    clear_m: float = 0.055
    tolerated_clear_m: float = 0.045
    margin_m: float = 0.0025
    near_m: float = 0.07
    sample_spacing_m: float = 0.006
    prior_scale: float = 1.0
    object_sigma_m: float = 0.08
    object_sigma_deg: float = 15.0
    weights: LossWeights = field(default_factory=LossWeights)

    def __post_init__(self) -> None:
        for name in ("reach_iters", "contact_blocks", "block_iters"):
            if not isinstance(getattr(self, name), int) or getattr(self, name) < 0:
                raise InputError(f"PlacementOptions.{name} must be a non-negative integer, got {getattr(self, name)!r}")
        for name in ("step_rad", "step_m", "near_m", "sample_spacing_m", "prior_scale",
                     "object_sigma_m", "object_sigma_deg"):
            if not getattr(self, name) > 0:
                raise InputError(f"PlacementOptions.{name} must be > 0, got {getattr(self, name)!r}")


# --------------------------------------------------------------------------- body rig


class BodyRig:
    """A body model with fixed shape, posed on any vertex subset (torch, differentiable).

    The body's `bodies.poser.Poser` (its rest vertices and joints at `shape`, its
    skin weights, SMPL kinematics and linear blend skinning) with the mesh data
    placement needs; `pose` on all vertices equals `BodyModel.forward` with
    scale 1 (tests check it).

    Attributes:
        body: the body model.
        shape: its shape parameters (e.g. an Anny phenotype dict).
        poser: the posed body.
        rest_vertices: (V, 3) float32 tensor, metres.
        rest_joints: (24, 3) float32 tensor, metres.
        weights: (V, 24) float32 tensor of skin weights.
        faces: (F, 3) int64 triangles.
        part_labels: (V,) int8 indices into `BODY_PARTS`.
        parents: (24,) int64 tensor of joint parents.
    """

    def __init__(self, body: BodyModel, shape: dict | None) -> None:
        self.body = body
        self.shape = shape
        self.poser = Poser.of_body(body, shape)
        self.rest_vertices = self.poser.rest_vertices
        self.rest_joints = self.poser.rest_joints
        self.weights = self.poser.weights
        self.faces = np.asarray(body.faces, dtype=np.int64)
        self.part_labels = np.asarray(body.part_labels)
        self.parents = torch.as_tensor(np.asarray(body.parents, dtype=np.int64))

    @property
    def num_vertices(self) -> int:
        return self.poser.num_vertices

    def pose(
        self, pose: torch.Tensor, transl: torch.Tensor, index: torch.Tensor | None = None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Posed vertices of a subset and the joint transforms (`Poser.pose`).

        Args:
            pose: (24, 3) axis-angle radians (SMPL convention, `bodies.protocol`).
            transl: (3,) metres.
            index: (N,) int64 vertex indices, or None for all vertices.

        Returns:
            vertices (N, 3) metres and joint-to-world transforms (24, 4, 4)
            (rotation = accumulated rotation, translation = joint position).
        """
        return self.poser.pose(pose, transl, index)

    def posed_numpy(self, pose: np.ndarray, transl: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """All posed vertices (V, 3) and joint transforms (24, 4, 4), float64 numpy, no grad."""
        return self.poser.posed_numpy(pose, transl)


_rodrigues = rodrigues
"""(J, 3) axis-angle radians → (J, 3, 3) rotation matrices (`bodies.poser.rodrigues`)."""


# --------------------------------------------------------------------------- object surface


class ObjectSurface:
    """Dense oriented samples of an object's surface, in the object's frame.

    Attributes:
        mesh: the object mesh (object frame, metres).
        points: (S, 3) float64 surface samples, about `spacing` apart.
        normals: (S, 3) float64 outward unit normals of the faces holding them.
        probes: (P, 3) float64 `points` plus the mesh vertices (its corners and
            edges), tested for lying inside the body.
    """

    def __init__(self, mesh: Mesh, spacing: float = 0.006) -> None:
        import trimesh

        tm = trimesh.Trimesh(mesh.vertices.astype(np.float64), mesh.faces, process=False)
        if tm.volume < 0:
            tm.invert()
        tri = tm.triangles
        area = tm.area_faces
        counts = np.maximum(1, np.ceil(area / spacing**2)).astype(np.int64)
        face = np.repeat(np.arange(len(tri)), counts)
        rng = np.random.default_rng(0)  # fixed: the same object always gets the same samples
        u, v = rng.random(len(face)), rng.random(len(face))
        flip = u + v > 1.0
        u[flip], v[flip] = 1.0 - u[flip], 1.0 - v[flip]
        first = np.r_[0, np.cumsum(counts)[:-1]]
        u[first], v[first] = 1.0 / 3.0, 1.0 / 3.0  # every face keeps its centroid
        t = tri[face]
        self.points = t[:, 0] + u[:, None] * (t[:, 1] - t[:, 0]) + v[:, None] * (t[:, 2] - t[:, 0])
        self.normals = np.asarray(tm.face_normals)[face]
        self.mesh = mesh
        self.tree = cKDTree(self.points)
        self.probes = np.vstack([self.points, np.asarray(tm.vertices)])
        cell = np.floor(self.probes / 0.015).astype(np.int64)
        _, first, self.probe_cell = np.unique(cell, axis=0, return_index=True, return_inverse=True)
        self.probe_cell = self.probe_cell.reshape(-1)
        self.probe_reps = self.probes[first]  # one probe per 1.5 cm cell, cell order
        self.bounds = np.array([self.points.min(axis=0), self.points.max(axis=0)])
        self.inside_test_m = 0.015
        cell = np.floor(self.points / 0.015).astype(np.int64)
        _, first = np.unique(cell, axis=0, return_index=True)
        self.coarse_index = np.sort(first)
        self.coarse_tree = cKDTree(self.points[self.coarse_index])
        self.vertices = np.asarray(tm.vertices)

    def signed_distance(
        self, points: np.ndarray, within: float | None = None
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Signed distances of points given in the object frame, as local planes.

        The nearest surface sample s gives the distance |x - s|; the sign comes
        from an inside test (ray winding number, `SurfaceQuery.contains`) for
        points within `inside_test_m` of the surface (farther ones count as
        outside: placements never start that deep inside); the
        plane's unit normal g is the direction from s to x (flipped inside),
        or the sample's face normal when x lies within 2 mm of s. Then
        g · (x - s) is the signed distance at x and, to first order, near it.

        Args:
            points: (N, 3) metres, object frame.
            within: only points with a sample closer than this (metres) are
                answered (much faster for far points); None answers all.

        Returns:
            (M,) indices of the answered points; their (M,) float64 signed
            distances (negative inside), metres; the (M, 3) plane points s and
            (M, 3) unit plane normals g.
        """
        # a coarse tree (one sample per 1.5 cm cell) first; the fine one near the surface
        if within is None:
            dist, k = self.coarse_tree.query(points)
            rows = np.arange(len(points))
        else:
            dist, k = self.coarse_tree.query(points, distance_upper_bound=within)
            rows = np.flatnonzero(np.isfinite(dist))
            dist, k = dist[rows], k[rows]
        k = self.coarse_index[k]
        x = points[rows]
        fine = np.flatnonzero(dist < 0.03 + 0.015 * math.sqrt(3))  # every point truly within 3 cm
        if len(fine):
            dist[fine], k[fine] = self.tree.query(x[fine])
        s, g = self.points[k], self.normals[k].copy()
        # a point lies behind its nearest face, almost along the face normal, when it
        # is inside; near the surface (edges) the rays decide; beyond 3 cm (coarse
        # samples, possibly on the far side of a thin wall) points count as outside
        inside = np.zeros(len(x), dtype=bool)
        inside[fine] = np.einsum("ij,ij->i", x[fine] - s[fine], g[fine]) < -0.9 * dist[fine]
        coarse = np.ones(len(x), dtype=bool)
        coarse[fine] = False
        deep = coarse & np.all((x > self.bounds[0]) & (x < self.bounds[1]), axis=1) \
            & (np.einsum("ij,ij->i", x - s, g) < 0.0)
        close = np.flatnonzero((dist < self.inside_test_m) | deep)
        if len(close):
            inside[close] = self.query.contains(x[close])
        sign = np.where(inside, -1.0, 1.0)
        far = dist > 0.002
        g[far] = sign[far, None] * (x[far] - s[far]) / dist[far, None]
        return rows, np.einsum("ij,ij->i", x - s, g), s, g

    @functools.cached_property
    def query(self) -> SurfaceQuery:
        """The geometry floor's `SurfaceQuery` of the mesh (inside tests)."""
        return SurfaceQuery(self.mesh, 0.02)


# --------------------------------------------------------------------------- problem


@dataclass(frozen=True)
class Site:
    """A point on the body: the mean of some vertices plus a joint-carried offset.

    Attributes:
        name: for messages.
        vertices: (K,) int64 body vertex indices.
        joint: SMPL-24 index of the joint whose rotation carries the vectors below.
        normal_rest: (3,) unit direction in the rest pose (e.g. out of the palm).
        offset_rest: (3,) offset from the vertex mean in the rest pose, metres.
    """

    name: str
    vertices: np.ndarray
    joint: int
    normal_rest: np.ndarray
    offset_rest: np.ndarray = field(default_factory=lambda: np.zeros(3))

    def with_offset(self, distance_m: float) -> Site:
        """This site moved `distance_m` along its normal."""
        return dataclasses.replace(self, offset_rest=np.asarray(self.normal_rest, float) * float(distance_m))


@dataclass(frozen=True)
class SiteTarget:
    """Pull a body site onto a point (optionally turning its normal).

    Attributes:
        site: the body site.
        point: (3,) metres, in the object's frame when `on_object`, else world.
        on_object: whether `point` and `normal` move with the object.
        normal: optional (3,) unit direction the site normal should take.
        weight: relative weight.
    """

    site: Site
    point: np.ndarray
    on_object: bool = True
    normal: np.ndarray | None = None
    weight: float = 1.0


@dataclass
class PlacementProblem:
    """What to optimise and towards what.

    Attributes:
        pose: (24, 3) initial axis-angle pose, radians.
        prior: (24, 3) prior pose the free joints are pulled back to.
        free_joints: SMPL-24 indices of the joints that move (0: global orientation).
        transl: (3,) initial body translation, metres.
        object_rotation: (3, 3) initial object rotation.
        object_translation: (3,) initial object translation, metres.
        object_motion: "fixed" or "free".
        touch: parts that must touch the object.
        tolerated: parts allowed near the object, kept away softly (a forearm
            beside a held object).
        free: parts that may touch as well, with no clearance at all (the
            thighs of a seated body, the buttocks of one leaning back).
        floor: `FloorMode`.
        feet: soles kept on the floor in "stand" mode ("left_foot", "right_foot").
        targets: site targets.
        move_root: whether the body translation is optimised.
        prior_scale: factor on the joint prior scales (the pose's flexibility).
        object_sigma_deg: prior scale of a free object's rotation, degrees
            (None: `PlacementOptions.object_sigma_deg`); small for an object
            hanging from a hand, which gravity keeps upright.
        object_sigma_m: prior scale of a free object's translation, metres
            (None: `PlacementOptions.object_sigma_m`).
    """

    pose: np.ndarray
    prior: np.ndarray
    free_joints: tuple[int, ...]
    transl: np.ndarray
    object_rotation: np.ndarray
    object_translation: np.ndarray
    object_motion: ObjectMotion
    touch: tuple[str, ...]
    tolerated: tuple[str, ...]
    floor: FloorMode
    feet: tuple[str, ...] = ("left_foot", "right_foot")
    targets: tuple[SiteTarget, ...] = ()
    move_root: bool = True
    free: tuple[str, ...] = ()
    prior_scale: float = 1.0
    object_sigma_deg: float | None = None
    object_sigma_m: float | None = None


@dataclass
class PlacementResult:
    """The optimised placement.

    Attributes:
        pose: (24, 3) float64 axis-angle radians.
        transl: (3,) float64 body translation, metres.
        object_rotation: (3, 3) float64.
        object_translation: (3,) float64 metres.
        losses: final loss terms (name → value).
        steps: loss evaluations run (L-BFGS closures).
    """

    pose: np.ndarray
    transl: np.ndarray
    object_rotation: np.ndarray
    object_translation: np.ndarray
    losses: dict[str, float]
    steps: int


# --------------------------------------------------------------------------- helpers


def _euler_xyz(rot: torch.Tensor) -> torch.Tensor:
    """(..., 3, 3) rotations → (..., 3) intrinsic X-Y-Z Euler angles, radians."""
    x = torch.atan2(-rot[..., 1, 2], rot[..., 2, 2])
    y = torch.asin(rot[..., 0, 2].clamp(-1.0 + 1e-6, 1.0 - 1e-6))
    z = torch.atan2(-rot[..., 0, 1], rot[..., 0, 0])
    return torch.stack([x, y, z], dim=-1)


def limit_penalty(pose: torch.Tensor) -> torch.Tensor:
    """Squared excess (degrees²) of a (24, 3) pose over `JOINT_LIMITS`."""
    angle = torch.sqrt((pose**2).sum(-1) + 1e-12)
    max_rad = torch.tensor([math.radians(JOINT_LIMITS[n].max_deg) for n in SMPL_JOINT_NAMES])
    total = (torch.relu(angle - max_rad) * (180.0 / math.pi)).pow(2).sum()
    boxed = [i for i, n in enumerate(SMPL_JOINT_NAMES) if JOINT_LIMITS[n].euler_min is not None]
    if boxed:
        lo = torch.tensor([JOINT_LIMITS[SMPL_JOINT_NAMES[i]].euler_min for i in boxed], dtype=torch.float32)
        hi = torch.tensor([JOINT_LIMITS[SMPL_JOINT_NAMES[i]].euler_max for i in boxed], dtype=torch.float32)
        e = _euler_xyz(_rodrigues(pose[boxed])) * (180.0 / math.pi)
        total = total + (torch.relu(lo - e) + torch.relu(e - hi)).pow(2).sum()
    return total


def _softmin(values: torch.Tensor, tau: float) -> torch.Tensor:
    """Smooth minimum, at most tau·log(N) below the true one (0.5 mm: ~3 mm for 500 values)."""
    return -tau * torch.logsumexp(-values / tau, dim=0)


def _rotvec_matrix(rotvec: torch.Tensor) -> torch.Tensor:
    return _rodrigues(rotvec[None])[0]


# --------------------------------------------------------------------------- optimiser


@dataclass(frozen=True)
class _VertexSubset:
    """A sorted subset of the body's vertices, posed on its own (`BodyRig.pose(index=...)`).

    Attributes:
        ids: (N,) int64 sorted, unique body vertex indices.
        index: (N,) int64 tensor of `ids`: the `index` argument of `BodyRig.pose`.
    """

    ids: np.ndarray
    index: torch.Tensor

    @classmethod
    def of(cls, ids: np.ndarray) -> _VertexSubset:
        """The subset of sorted, unique (N,) int64 vertex indices `ids`."""
        return cls(ids, torch.as_tensor(ids))

    def rows(self, vertices: np.ndarray) -> torch.Tensor:
        """(K,) int64 rows, in the posed subset, of (K,) body vertex indices that lie in it."""
        return torch.as_tensor(np.searchsorted(self.ids, np.asarray(vertices, dtype=np.int64)), dtype=torch.int64)


@dataclass(frozen=True)
class _Planes:
    """The distance terms' planes and rows, found without gradients by `_State.refresh`.

    Between two refreshes the "contact" stage poses only `subset` and measures
    linearised signed distances to these planes (`_contact_terms`).

    Attributes:
        subset: the body vertices posed during the block.
        body_rows: (M,) int64 rows (in `subset`) of the body vertices near the object.
        body_parts: (M,) int64 their `BODY_PARTS` indices.
        body_plane_points: (M, 3) float32 plane points s on the object's surface,
            metres, object frame.
        body_plane_normals: (M, 3) float32 unit plane normals g, object frame.
        probes: (P, 3) float32 object probes near the body, metres, object frame.
        probe_rows: (P,) int64 rows (in `subset`) of each probe's nearest body vertex.
        probe_normals: (P, 3) float32 unit normals of those vertices, world frame.
        low_rows: (L,) int64 rows of the vertices below 6 cm (the floor term).
    """

    subset: _VertexSubset
    body_rows: torch.Tensor
    body_parts: torch.Tensor
    body_plane_points: torch.Tensor
    body_plane_normals: torch.Tensor
    probes: torch.Tensor
    probe_rows: torch.Tensor
    probe_normals: torch.Tensor
    low_rows: torch.Tensor


class _State:
    """Parameters, fixed loss inputs and the current distance planes of one run.

    Attributes:
        rig, surface, problem, opts: the run's inputs.
        params: the optimised tensors (joint deltas, then the body translation
            and the object's translation and rotation when they move).
        scales: each parameter's trust-region size (radians or metres).
        always: vertices posed in every stage (the sites' and the soles').
        object_vertices: (K, 3) float32 object mesh vertices, object frame.
        planes: the distance planes of the current "contact" block (None
            before the first `refresh`).
        evaluations: loss evaluations so far (L-BFGS closures).
    """

    def __init__(self, rig: BodyRig, surface: ObjectSurface, problem: PlacementProblem, opts: PlacementOptions):
        self.rig, self.surface, self.problem, self.opts = rig, surface, problem, opts
        self.pose0 = torch.as_tensor(problem.pose, dtype=torch.float32)
        self.prior = torch.as_tensor(problem.prior, dtype=torch.float32)
        self.free = torch.as_tensor(sorted(problem.free_joints), dtype=torch.int64)
        self.delta = torch.zeros(len(self.free), 3, requires_grad=True)
        self.transl0 = torch.as_tensor(problem.transl, dtype=torch.float32)
        self.dtransl = torch.zeros(3, requires_grad=True)
        self.rot0 = torch.as_tensor(problem.object_rotation, dtype=torch.float32)
        self.trans0 = torch.as_tensor(problem.object_translation, dtype=torch.float32)
        self.dobj_t = torch.zeros(3, requires_grad=True)
        self.dobj_r = torch.zeros(3, requires_grad=True)
        self.touch_ids = [BODY_PARTS.index(p) for p in problem.touch]
        free = {BODY_PARTS.index(p) for p in problem.free} - set(self.touch_ids)
        tolerated = {BODY_PARTS.index(p) for p in problem.tolerated} - set(self.touch_ids) - free
        self.tolerated_ids = sorted(tolerated)
        self.clear_ids = sorted(set(range(len(BODY_PARTS))) - set(self.touch_ids) - tolerated - free)
        sigma = np.radians([PRIOR_SIGMA_DEG[n] for n in SMPL_JOINT_NAMES]) * opts.prior_scale * problem.prior_scale
        self.prior_w = torch.as_tensor(1.0 / sigma**2, dtype=torch.float32)
        self.sole_index = {
            foot: np.flatnonzero(_sole_mask(rig, foot)) for foot in ("left_foot", "right_foot")
        }
        site_vertices = np.unique(np.concatenate([t.site.vertices for t in problem.targets]
                                                 or [np.zeros(0, np.int64)]))
        soles = np.concatenate([self.sole_index[f] for f in ("left_foot", "right_foot")])
        self.always = _VertexSubset.of(np.unique(np.concatenate([site_vertices, soles])).astype(np.int64))
        self.object_vertices = torch.as_tensor(surface.vertices, dtype=torch.float32)
        self.params, self.scales = self._parameters()
        self.planes: _Planes | None = None
        self.evaluations = 0

    # -- parameters

    def _parameters(self) -> tuple[list[torch.Tensor], list[float]]:
        """The optimised tensors and each one's trust-region size."""
        params, scales = [self.delta], [self.opts.step_rad]
        if self.problem.move_root:
            params.append(self.dtransl)
            scales.append(self.opts.step_m)
        if self.problem.object_motion == "free":
            params += [self.dobj_t, self.dobj_r]
            scales += [self.opts.step_m, self.opts.step_rad]
        return params, scales

    def current_pose(self) -> torch.Tensor:
        """(24, 3) float32 axis-angle pose, radians: the initial pose plus the free joints' deltas."""
        pose = self.pose0.clone()
        pose[self.free] = pose[self.free] + self.delta
        return pose

    def transl(self) -> torch.Tensor:
        """(3,) float32 body translation, metres."""
        return self.transl0 + self.dtransl

    def object_pose(self) -> tuple[torch.Tensor, torch.Tensor]:
        """The object's (3, 3) rotation and (3,) translation (metres), float32."""
        if self.problem.object_motion == "free":
            return self.rot0 @ _rotvec_matrix(self.dobj_r), self.trans0 + self.dobj_t
        return self.rot0, self.trans0

    # -- nearest neighbours (no grad)

    def refresh(self) -> _Planes:
        """Re-find, without gradients, the planes of the distance terms and the
        vertex subset they need (`planes`), at the current parameters.

        Body vertices within `near_m` of the object (in its frame) get their
        plane on the object (`ObjectSurface.signed_distance`); a touching part
        with none that near keeps its 24 closest vertices in play; object probes
        within 3 cm of the body get their nearest body vertex and its normal;
        vertices below 6 cm height enter the floor term; the `always` vertices
        are posed too.
        """
        with torch.no_grad():
            pose, transl = self.current_pose(), self.transl()
            rot, trans = self.object_pose()
        verts, _ = self.rig.posed_numpy(pose.numpy(), transl.numpy())
        R, t = rot.numpy().astype(np.float64), trans.numpy().astype(np.float64)
        near, s, n = self._body_planes((verts - t) @ R)
        pin, j = self._probes_near(verts, R, t)
        normals = vertex_normals(verts, self.rig.faces)
        # floor: the lowest vertices
        low = np.flatnonzero(verts[:, 1] < 0.06)
        subset = _VertexSubset.of(np.unique(np.concatenate([near, j, low, self.always.ids]).astype(np.int64)))
        self.planes = _Planes(
            subset=subset,
            body_rows=subset.rows(near),
            body_parts=torch.as_tensor(self.rig.part_labels[near].astype(np.int64)),
            body_plane_points=torch.as_tensor(s, dtype=torch.float32),
            body_plane_normals=torch.as_tensor(n, dtype=torch.float32),
            probes=torch.as_tensor(self.surface.probes[pin], dtype=torch.float32),
            probe_rows=subset.rows(j),
            probe_normals=torch.as_tensor(normals[j], dtype=torch.float32),
            low_rows=subset.rows(low),
        )
        return self.planes

    def _body_planes(self, local: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Body vertices near the object and their planes on it (`refresh`).

        Args:
            local: (V, 3) float64 posed body vertices in the object's frame, metres.

        Returns:
            (M,) body vertex indices, their (M, 3) plane points s and (M, 3)
            unit plane normals g (object frame, `ObjectSurface.signed_distance`).
        """
        opts, surf = self.opts, self.surface
        lo, hi = surf.bounds[0] - opts.near_m, surf.bounds[1] + opts.near_m
        near = np.flatnonzero(np.all((local >= lo) & (local <= hi), axis=1))
        labels = self.rig.part_labels
        if len(near):
            rows, d, s, n = surf.signed_distance(local[near], within=opts.near_m)
            keep = d < opts.near_m
            near, s, n = near[rows][keep], s[keep], n[keep]
        else:
            s = n = np.zeros((0, 3))
        # every touching part keeps its closest vertices in play, however far
        extra_idx, extra_s, extra_n = [], [], []
        near_parts = set(np.unique(labels[near]).tolist())
        for pid in self.touch_ids:
            if pid in near_parts:
                continue
            part = np.flatnonzero(labels == pid)[::3]
            if len(part) == 0:
                continue
            _, d, sp, npn = surf.signed_distance(local[part])
            best = np.argsort(d)[:24]
            extra_idx.append(part[best])
            extra_s.append(sp[best])
            extra_n.append(npn[best])
        if extra_idx:
            near = np.concatenate([near, *extra_idx])
            s = np.vstack([s, *extra_s])
            n = np.vstack([n, *extra_n])
        return near, s, n

    def _probes_near(self, verts: np.ndarray, R: np.ndarray, t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Object probes within 3 cm of the body and their nearest body vertices (`refresh`).

        Args:
            verts: (V, 3) float64 posed body vertices, metres, world frame.
            R: (3, 3) float64 object rotation.
            t: (3,) float64 object translation, metres.

        Returns:
            (P,) indices into `ObjectSurface.probes` and (P,) body vertex indices.
        """
        surf = self.surface
        # object probes near the body → nearest body vertex and its normal; cells of
        # 1.5 cm first (one probe each), then every probe of the cells near the body
        body_tree = cKDTree(verts)
        reps = surf.probe_reps @ R.T + t
        dist, _ = body_tree.query(reps, distance_upper_bound=0.03 + 0.015 * math.sqrt(3))
        cells = np.flatnonzero(np.isfinite(dist))
        pin = np.flatnonzero(np.isin(surf.probe_cell, cells))
        if len(pin):
            dist, j = body_tree.query(surf.probes[pin] @ R.T + t, distance_upper_bound=0.03)
            ok = np.isfinite(dist)
            pin, j = pin[ok], j[ok]
        else:
            j = np.zeros(0, np.int64)
        return pin, j


def _sole_mask(rig: BodyRig, foot: str) -> np.ndarray:
    """Vertices of a foot within 1.2 cm of its lowest rest vertex (the sole)."""
    pid = BODY_PARTS.index(foot)
    mask = rig.part_labels == pid
    y = rig.rest_vertices[:, 1].numpy()
    return mask & (y <= y[mask].min() + 0.012)


def _site_world(site: Site, verts: torch.Tensor, rows: torch.Tensor, world: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    rot = world[site.joint, :3, :3]
    p = verts[rows].mean(0) + rot @ torch.as_tensor(site.offset_rest, dtype=torch.float32)
    n = rot @ torch.as_tensor(site.normal_rest, dtype=torch.float32)
    return p, n


def optimise_placement(
    rig: BodyRig, surface: ObjectSurface, problem: PlacementProblem, options: PlacementOptions = PlacementOptions()
) -> PlacementResult:
    """Optimise a placement (module docstring).

    The recipe: the "reach" stage (`_reach_stage`), the "contact" stage in
    blocks between nearest-neighbour refreshes (`_contact_stage`), then the
    loss terms at the result, measured on fresh planes.

    Args:
        rig: the body with its shape.
        surface: the object's surface samples.
        problem: initial values, free variables and targets.
        options: steps, rates, distances, weights.

    Returns:
        `PlacementResult` with the final pose, translations and loss terms.
    """
    if problem.pose.shape != (NUM_JOINTS, 3) or problem.prior.shape != (NUM_JOINTS, 3):
        raise InputError(f"placement pose and prior must be ({NUM_JOINTS}, 3) axis-angle, got {problem.pose.shape}")
    state = _State(rig, surface, problem, options)
    if options.reach_iters and problem.targets:
        _reach_stage(state)
    _contact_stage(state)
    state.refresh()
    with torch.no_grad():
        terms = _placement_terms(state)
    return _result(state, terms)


# -- stages


def _reach_stage(state: _State) -> None:
    """Stage 1, "reach": site targets, prior, limits and floor, posing only `_State.always`."""
    _minimise(state, state.opts.reach_iters, functools.partial(_reach_loss, state))


def _contact_stage(state: _State) -> None:
    """Stage 2, "contact": every term, in blocks between nearest-neighbour refreshes.

    Each block is held near its start by `_proximal`; from the second block on,
    the stage stops early once the touch, penetration and clearance terms all
    fall below 0.05.
    """
    for block in range(state.opts.contact_blocks):
        state.refresh()
        start = [p.detach().clone() for p in state.params]
        _minimise(state, state.opts.block_iters, functools.partial(_block_loss, state, start))
        with torch.no_grad():
            now = _placement_terms(state)
        if block >= 1 and all(float(now[n]) < 0.05 for n in ("touch", "penetration", "clear")):
            break  # every contact condition holds: done


def _minimise(state: _State, iterations: int, loss_of: Callable[[], torch.Tensor]) -> None:
    """Run L-BFGS (`_lbfgs`) on `state.params` for `iterations`, counting evaluations.

    Args:
        state: the run; its parameters move, `evaluations` counts the closures.
        iterations: L-BFGS iterations.
        loss_of: the scalar loss at the current parameters (with grad).
    """
    opt = _lbfgs(state.params, iterations)

    def closure() -> torch.Tensor:  # L-BFGS re-evaluates the loss through a closure
        state.evaluations += 1
        opt.zero_grad()
        loss = loss_of()
        loss.backward()
        return loss

    opt.step(closure)


def _result(state: _State, terms: dict[str, torch.Tensor]) -> PlacementResult:
    """The run's parameters and final loss terms as a float64 `PlacementResult`."""
    with torch.no_grad():
        pose = state.current_pose().numpy().astype(np.float64)
        transl = state.transl().numpy().astype(np.float64)
        rot, trans = state.object_pose()
    return PlacementResult(
        pose=pose,
        transl=transl,
        object_rotation=rot.detach().numpy().astype(np.float64),
        object_translation=trans.detach().numpy().astype(np.float64),
        losses={k: float(v.detach()) for k, v in terms.items()},
        steps=state.evaluations,
    )


def _lbfgs(params: list[torch.Tensor], iterations: int) -> torch.optim.LBFGS:
    """L-BFGS with a strong-Wolfe line search, at most 1.5 evaluations per iteration."""
    return torch.optim.LBFGS(params, lr=1.0, max_iter=iterations, max_eval=int(iterations * 1.5) + 1,
                             history_size=10, line_search_fn="strong_wolfe",
                             tolerance_grad=1e-7, tolerance_change=1e-9)


# -- losses (scalar float32 tensors; squared centimetre-scaled residuals unless said otherwise)


def _reach_loss(state: _State) -> torch.Tensor:
    """Loss of the "reach" stage: sites, floor (soles only), prior, limits, object prior."""
    pose = state.current_pose()
    verts, world = state.rig.pose(pose, state.transl(), state.always.index)
    rot, trans = state.object_pose()
    prior, limits = _pose_terms(state, pose)
    loss = _site_terms(state, verts, state.always, world, rot, trans) + _floor_terms(state, verts, state.always, None)
    loss = loss + prior + limits
    return loss + _object_terms(state, rot, trans)


def _block_loss(state: _State, start: list[torch.Tensor]) -> torch.Tensor:
    """Loss of one "contact" block: every term plus the trust region around `start`."""
    return sum(_placement_terms(state).values()) + _proximal(state, start)


def _placement_terms(state: _State) -> dict[str, torch.Tensor]:
    """Every loss term at the current parameters, on the current planes (`_State.refresh`).

    Returns:
        name → scalar tensor: "touch", "penetration", "clear" (`_contact_terms`),
        "site", "floor", "prior", "limits", "object".
    """
    planes = state.planes
    assert planes is not None, "_State.refresh runs before the placement terms"
    pose = state.current_pose()
    verts, world = state.rig.pose(pose, state.transl(), planes.subset.index)
    rot, trans = state.object_pose()
    out = _contact_terms(state, verts, rot, trans, planes, state.opts)
    out["site"] = _site_terms(state, verts, planes.subset, world, rot, trans)
    out["floor"] = _floor_terms(state, verts, planes.subset, planes.low_rows)
    out["prior"], out["limits"] = _pose_terms(state, pose)
    out["object"] = _object_terms(state, rot, trans)
    return out


def _site_terms(state: _State, verts: torch.Tensor, subset: _VertexSubset, world: torch.Tensor,
                rot: torch.Tensor, trans: torch.Tensor) -> torch.Tensor:
    """Site targets: each site onto its point and its normal along the target's.

    Args:
        state: the run.
        verts: (N, 3) posed vertices of `subset`, metres, world frame.
        subset: the posed vertices.
        world: (24, 4, 4) joint-to-world transforms.
        rot: (3, 3) object rotation.
        trans: (3,) object translation, metres.
    """
    w = state.opts.weights
    total = torch.zeros(())
    for tgt in state.problem.targets:
        p, n = _site_world(tgt.site, verts, subset.rows(tgt.site.vertices), world)
        point = torch.as_tensor(tgt.point, dtype=torch.float32)
        if tgt.on_object:
            point = rot @ point + trans
        total = total + w.site * tgt.weight * ((p - point) / _CM).pow(2).sum()
        if tgt.normal is not None:
            normal = torch.as_tensor(tgt.normal, dtype=torch.float32)
            if tgt.on_object:
                normal = rot @ normal
            total = total + w.orient * tgt.weight * 10.0 * (1.0 - (n * normal).sum())
    return total


def _floor_terms(state: _State, verts: torch.Tensor, subset: _VertexSubset,
                 low_rows: torch.Tensor | None) -> torch.Tensor:
    """Floor y = 0: the soles of `problem.feet` on it ("stand"), and the `low_rows`
    of `verts` ((N, 3) posed `subset`, metres) not below it (None: none checked)."""
    w = state.opts.weights
    total = torch.zeros(())
    if state.problem.floor == "stand":
        for foot in state.problem.feet:
            sole = verts[subset.rows(state.sole_index[foot]), 1]
            total = total + w.floor * (_softmin(sole, 0.0005) / _CM).pow(2)
    if low_rows is not None and len(low_rows):
        total = total + w.floor * (torch.relu(-verts[low_rows, 1]) / _CM).pow(2).sum()
    return total


def _pose_terms(state: _State, pose: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """The prior (squared radians over the joints' prior scales) and the joint limits
    (`limit_penalty`, degrees² / 100) of a (24, 3) axis-angle pose."""
    w = state.opts.weights
    dp = (pose - state.prior)[state.free]
    prior = w.prior * (state.prior_w[state.free][:, None] * dp.pow(2)).sum()
    return prior, w.limits * limit_penalty(pose) / 100.0


def _object_terms(state: _State, rot: torch.Tensor, trans: torch.Tensor) -> torch.Tensor:
    """A free object's prior (its moves over their scales, squared) and its lowest point
    kept 4 mm above the floor; 0 for a fixed object."""
    problem, options, w = state.problem, state.opts, state.opts.weights
    if problem.object_motion != "free":
        return torch.zeros(())
    sigma_r = problem.object_sigma_deg or options.object_sigma_deg
    lo = (state.dobj_t / (problem.object_sigma_m or options.object_sigma_m)).pow(2).sum()
    lo = lo + (state.dobj_r / math.radians(sigma_r)).pow(2).sum()
    lowest = _softmin((state.object_vertices @ rot.T + trans)[:, 1], 0.0005)
    floor = (torch.relu(0.004 - lowest) / _CM).pow(2)
    return w.object_prior * lo + w.floor * floor


def _proximal(state: _State, anchor: list[torch.Tensor]) -> torch.Tensor:
    """Trust region around the block's start: (moved / scale)², so a block cannot
    leave the region where its linearised distances hold."""
    total = torch.zeros(())
    for p, p0, scale in zip(state.params, anchor, state.scales):
        total = total + ((p - p0) / scale).pow(2).sum()
    return total


def _contact_terms(state: _State, verts: torch.Tensor, rot: torch.Tensor, trans: torch.Tensor,
                   planes: _Planes, opts: PlacementOptions) -> dict[str, torch.Tensor]:
    """Touch, penetration and clearance terms from the planes of the last refresh.

    Args:
        state: the run (its touching, tolerated and clear parts).
        verts: (N, 3) posed vertices of `planes.subset`, metres, world frame.
        rot: (3, 3) object rotation.
        trans: (3,) object translation, metres.
        planes: `_State.refresh`'s planes.
        opts: distances and weights.

    Returns:
        "touch", "penetration", "clear" → scalar tensors.
    """
    w = opts.weights
    out: dict[str, torch.Tensor] = {}
    hv = verts[planes.body_rows]
    local = (hv - trans) @ rot
    d = ((local - planes.body_plane_points) * planes.body_plane_normals).sum(-1)  # body vertices to the object
    parts = planes.body_parts
    pen = (torch.relu(opts.margin_m - d) / _CM).pow(2).sum()
    touch = torch.zeros(())
    for pid in state.touch_ids:
        sel = parts == pid
        if bool(sel.any()):
            touch = touch + ((_softmin(d[sel], 0.0005) - opts.touch_gap_m) / _CM).pow(2)
    clear = torch.zeros(())
    for ids, gap, weight in ((state.clear_ids, opts.clear_m, w.clear),
                             (state.tolerated_ids, opts.tolerated_clear_m, w.tolerated)):
        if ids:
            sel = torch.isin(parts, torch.as_tensor(ids))
            if bool(sel.any()):
                clear = clear + weight * (torch.relu(gap - d[sel]) / _CM).pow(2).sum()
    if len(planes.probe_rows):
        probes = planes.probes @ rot.T + trans
        do = ((probes - verts[planes.probe_rows]) * planes.probe_normals).sum(-1)  # object probes to the body
        pen = pen + (torch.relu(opts.margin_m - do) / _CM).pow(2).sum()
    out["touch"] = w.touch * touch
    out["penetration"] = w.penetration * pen
    out["clear"] = clear
    return out
