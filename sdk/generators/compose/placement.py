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
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import torch
from scipy.spatial import cKDTree

from hoiexport.sdk.bodies.protocol import BodyModel
from hoiexport.sdk.generators.compose.actions import JOINT_LIMITS, PRIOR_SIGMA_DEG
from hoiexport.sdk.core.errors import InputError
from hoiexport.sdk.core.skeleton import NUM_JOINTS, SMPL_JOINT_NAMES
from hoiexport.sdk.core.types import BODY_PARTS, Mesh

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

    Uses the model's rest vertices, rest joints (its `forward` at the zero pose)
    and skin weights with SMPL kinematics and linear blend skinning, so `pose`
    on all vertices equals `BodyModel.forward` with scale 1 (tests check it).
    Written for many small steps: joints are chained level by level of the
    tree and positioned by one matrix product over their ancestors.

    Attributes:
        body: the body model.
        shape: its shape parameters (e.g. an Anny phenotype dict).
        rest_vertices: (V, 3) float32 tensor, metres.
        rest_joints: (24, 3) float32 tensor, metres.
        weights: (V, 24) float32 tensor of skin weights.
        faces: (F, 3) int64 triangles.
        part_labels: (V,) int8 indices into `BODY_PARTS`.
    """

    def __init__(self, body: BodyModel, shape: dict | None) -> None:
        with torch.no_grad():
            out = body.forward(torch.zeros(1, NUM_JOINTS, 3), shape)
        self.body = body
        self.shape = shape
        self.rest_vertices = out.vertices[0].float()
        self.rest_joints = out.rest_joints[0].float()
        self.weights = torch.as_tensor(body.skin_weights, dtype=torch.float32)
        self.faces = np.asarray(body.faces, dtype=np.int64)
        self.part_labels = np.asarray(body.part_labels)
        parents = np.asarray(body.parents, dtype=np.int64)
        self.parents = torch.as_tensor(parents)
        depth = np.zeros(len(parents), dtype=np.int64)
        for j in range(1, len(parents)):
            depth[j] = depth[parents[j]] + 1
        self._levels = []
        for d in range(1, int(depth.max()) + 1):
            level = np.flatnonzero(depth == d)
            self._levels.append((torch.as_tensor(level), torch.as_tensor(parents[level])))
        # bone j: rest offset from the parent (the root's: its rest position, rotated by identity)
        self._bone = self.rest_joints - torch.cat([torch.zeros(1, 3), self.rest_joints[self.parents[1:]]])
        self._parents_nonroot = torch.as_tensor(parents[1:])
        ancestors = np.zeros((len(parents), len(parents)), dtype=np.float32)
        for j in range(len(parents)):
            k = j
            while k >= 0:
                ancestors[j, k] = 1.0
                k = parents[k]
        self._ancestors = torch.as_tensor(ancestors)

    @property
    def num_vertices(self) -> int:
        return int(self.rest_vertices.shape[0])

    def pose(
        self, pose: torch.Tensor, transl: torch.Tensor, index: torch.Tensor | None = None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Posed vertices of a subset and the joint transforms.

        Args:
            pose: (24, 3) axis-angle radians (SMPL convention, `bodies.protocol`).
            transl: (3,) metres.
            index: (N,) int64 vertex indices, or None for all vertices.

        Returns:
            vertices (N, 3) metres and joint-to-world transforms (24, 4, 4)
            (rotation = accumulated rotation, translation = joint position).
        """
        local = _rodrigues(pose)
        world_r = local
        for level, par in self._levels:
            world_r = world_r.index_put((level,), world_r[par] @ local[level])
        # joint positions: the root plus every ancestor's rotated bone (one matmul)
        rotated = (world_r[self._parents_nonroot] @ self._bone[1:, :, None])[..., 0]
        world_p = self._ancestors @ torch.cat([self._bone[:1], rotated])
        skin_t = world_p - (world_r @ self.rest_joints[..., None])[..., 0]
        rest = self.rest_vertices if index is None else self.rest_vertices[index]
        weights = self.weights if index is None else self.weights[index]
        blend = (weights @ torch.cat([world_r, skin_t[..., None]], dim=-1).reshape(NUM_JOINTS, 12)).reshape(-1, 3, 4)
        verts = (blend[..., :3] @ rest[..., None])[..., 0] + blend[..., 3] + transl
        world = torch.zeros(NUM_JOINTS, 4, 4)
        world[:, :3, :3] = world_r
        world[:, :3, 3] = world_p + transl
        world[:, 3, 3] = 1.0
        return verts, world

    def posed_numpy(self, pose: np.ndarray, transl: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """All posed vertices (V, 3) and joint transforms (24, 4, 4), float64 numpy, no grad."""
        with torch.no_grad():
            v, w = self.pose(torch.as_tensor(pose, dtype=torch.float32), torch.as_tensor(transl, dtype=torch.float32))
        return v.numpy().astype(np.float64), w.numpy().astype(np.float64)


def _rodrigues(rotvec: torch.Tensor) -> torch.Tensor:
    """(J, 3) axis-angle radians → (J, 3, 3) rotation matrices (finite gradients at 0)."""
    angle = torch.sqrt((rotvec**2).sum(-1, keepdim=True) + 1e-16)
    axis = rotvec / angle
    x, y, z = axis.unbind(-1)
    zero = torch.zeros_like(x)
    k = torch.stack([zero, -z, y, z, zero, -x, -y, x, zero], dim=-1).reshape(-1, 3, 3)
    s, c = torch.sin(angle)[..., None], torch.cos(angle)[..., None]
    return torch.eye(3) + s * k + (1.0 - c) * (k @ k)


def vertex_normals(vertices: np.ndarray, faces: np.ndarray) -> np.ndarray:
    """(V, 3) float64 area-weighted unit vertex normals."""
    tri = vertices[faces]
    fn = np.cross(tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0])
    out = np.zeros_like(vertices)
    for k in range(3):
        for c in range(3):
            out[:, c] += np.bincount(faces[:, k], weights=fn[:, c], minlength=len(vertices))
    return out / np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-12)


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
    def query(self):  # -> SurfaceQuery
        """The contact module's `SurfaceQuery` of the mesh (inside tests)."""
        from hoiexport.sdk.contacts import SurfaceQuery

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


class _State:
    """Parameters and the cached nearest-neighbour structure of one run."""

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
        labels = rig.part_labels
        self.part_of = torch.as_tensor(labels.astype(np.int64))
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
        self.cache: dict | None = None

    # -- parameters

    def parameters(self) -> list[torch.Tensor]:
        """The optimised tensors; `scales` holds each one's trust-region size."""
        params, self.scales = [self.delta], [self.opts.step_rad]
        if self.problem.move_root:
            params.append(self.dtransl)
            self.scales.append(self.opts.step_m)
        if self.problem.object_motion == "free":
            params += [self.dobj_t, self.dobj_r]
            self.scales += [self.opts.step_m, self.opts.step_rad]
        return params

    def current_pose(self) -> torch.Tensor:
        pose = self.pose0.clone()
        pose[self.free] = pose[self.free] + self.delta
        return pose

    def transl(self) -> torch.Tensor:
        return self.transl0 + self.dtransl

    def object_pose(self) -> tuple[torch.Tensor, torch.Tensor]:
        if self.problem.object_motion == "free":
            return self.rot0 @ _rotvec_matrix(self.dobj_r), self.trans0 + self.dobj_t
        return self.rot0, self.trans0

    # -- nearest neighbours (no grad)

    def refresh(self, subset_extra: np.ndarray) -> None:
        """Re-find, without gradients, the planes of the distance terms and the
        vertex subset they need (`cache`), at the current parameters.

        Body vertices within `near_m` of the object (in its frame) get their
        plane on the object (`ObjectSurface.signed_distance`); a touching part
        with none that near keeps its 24 closest vertices in play; object probes
        within 3 cm of the body get their nearest body vertex and its normal;
        vertices below 6 cm height enter the floor term.
        """
        opts, surf = self.opts, self.surface
        with torch.no_grad():
            pose, transl = self.current_pose(), self.transl()
            rot, trans = self.object_pose()
        verts, _ = self.rig.posed_numpy(pose.numpy(), transl.numpy())
        R, t = rot.numpy().astype(np.float64), trans.numpy().astype(np.float64)
        local = (verts - t) @ R
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
        normals = vertex_normals(verts, self.rig.faces)
        # floor: the lowest vertices
        low = np.flatnonzero(verts[:, 1] < 0.06)
        subset = np.unique(np.concatenate([near, j, low, subset_extra]).astype(np.int64))

        def rows(idx: np.ndarray) -> torch.Tensor:
            return torch.as_tensor(np.searchsorted(subset, np.asarray(idx, dtype=np.int64)), dtype=torch.int64)

        self.cache = {
            "subset": torch.as_tensor(subset),
            "rows": rows,
            "h_rows": rows(near),
            "h_parts": torch.as_tensor(labels[near].astype(np.int64)),
            "h_s": torch.as_tensor(s, dtype=torch.float32),
            "h_n": torch.as_tensor(n, dtype=torch.float32),
            "o_probe": torch.as_tensor(surf.probes[pin], dtype=torch.float32),
            "o_rows": rows(j),
            "o_n": torch.as_tensor(normals[j], dtype=torch.float32),
            "low_rows": rows(low),
        }


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
    w = options.weights
    site_vertices = np.unique(np.concatenate([t.site.vertices for t in problem.targets] or [np.zeros(0, np.int64)]))
    soles = np.concatenate([state.sole_index[f] for f in ("left_foot", "right_foot")])
    always = np.unique(np.concatenate([site_vertices, soles])).astype(np.int64)
    object_vertices = torch.as_tensor(surface.vertices, dtype=torch.float32)

    def site_terms(verts: torch.Tensor, rows, world: torch.Tensor, rot: torch.Tensor, trans: torch.Tensor):
        total = torch.zeros(())
        for tgt in problem.targets:
            p, n = _site_world(tgt.site, verts, rows(tgt.site.vertices), world)
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

    def floor_terms(verts: torch.Tensor, rows, low_rows: torch.Tensor | None):
        total = torch.zeros(())
        if problem.floor == "stand":
            for foot in problem.feet:
                sole = verts[rows(state.sole_index[foot]), 1]
                total = total + w.floor * (_softmin(sole, 0.0005) / _CM).pow(2)
        if low_rows is not None and len(low_rows):
            total = total + w.floor * (torch.relu(-verts[low_rows, 1]) / _CM).pow(2).sum()
        return total

    def pose_terms(pose: torch.Tensor):
        dp = (pose - state.prior)[state.free]
        prior = w.prior * (state.prior_w[state.free][:, None] * dp.pow(2)).sum()
        return prior, w.limits * limit_penalty(pose) / 100.0

    def object_terms(rot: torch.Tensor, trans: torch.Tensor):
        if problem.object_motion != "free":
            return torch.zeros(())
        sigma_r = problem.object_sigma_deg or options.object_sigma_deg
        lo = (state.dobj_t / (problem.object_sigma_m or options.object_sigma_m)).pow(2).sum()
        lo = lo + (state.dobj_r / math.radians(sigma_r)).pow(2).sum()
        lowest = _softmin((object_vertices @ rot.T + trans)[:, 1], 0.0005)
        floor = (torch.relu(0.004 - lowest) / _CM).pow(2)
        return w.object_prior * lo + w.floor * floor

    params = state.parameters()
    evaluations = 0

    def proximal(anchor: list[torch.Tensor]) -> torch.Tensor:
        """Trust region around the block's start: (moved / scale)², so a block cannot
        leave the region where its linearised distances hold."""
        total = torch.zeros(())
        for p, p0, scale in zip(params, anchor, state.scales):
            total = total + ((p - p0) / scale).pow(2).sum()
        return total

    # -- stage 1: reach (sites, prior, limits, floor)
    if options.reach_iters and problem.targets:
        sub = torch.as_tensor(always)

        def lookup(idx: np.ndarray) -> torch.Tensor:
            return torch.as_tensor(np.searchsorted(always, np.asarray(idx, dtype=np.int64)), dtype=torch.int64)

        def reach_closure() -> torch.Tensor:
            nonlocal evaluations
            evaluations += 1
            opt.zero_grad()
            pose = state.current_pose()
            verts, world = rig.pose(pose, state.transl(), sub)
            rot, trans = state.object_pose()
            prior, limits = pose_terms(pose)
            loss = site_terms(verts, lookup, world, rot, trans) + floor_terms(verts, lookup, None) + prior + limits
            loss = loss + object_terms(rot, trans)
            loss.backward()
            return loss

        opt = _lbfgs(params, options.reach_iters)
        opt.step(reach_closure)

    # -- stage 2: contact, in blocks between nearest-neighbour refreshes
    terms: dict[str, torch.Tensor] = {}

    def contact_terms() -> dict[str, torch.Tensor]:
        c = state.cache
        pose = state.current_pose()
        verts, world = rig.pose(pose, state.transl(), c["subset"])
        rot, trans = state.object_pose()
        out = _contact_terms(state, verts, rot, trans, c, options)
        out["site"] = site_terms(verts, c["rows"], world, rot, trans)
        out["floor"] = floor_terms(verts, c["rows"], c["low_rows"])
        out["prior"], out["limits"] = pose_terms(pose)
        out["object"] = object_terms(rot, trans)
        return out

    for block in range(options.contact_blocks):
        state.refresh(always)
        start = [p.detach().clone() for p in params]

        def contact_closure() -> torch.Tensor:
            nonlocal evaluations
            evaluations += 1
            opt.zero_grad()
            loss = sum(contact_terms().values()) + proximal(start)
            loss.backward()
            return loss

        opt = _lbfgs(params, options.block_iters)
        opt.step(contact_closure)
        with torch.no_grad():
            now = contact_terms()
        if block >= 1 and all(float(now[n]) < 0.05 for n in ("touch", "penetration", "clear")):
            break  # every contact condition holds: done
    state.refresh(always)
    with torch.no_grad():
        terms = contact_terms()
    steps = evaluations

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
        steps=steps,
    )


def _lbfgs(params: list[torch.Tensor], iterations: int) -> torch.optim.LBFGS:
    return torch.optim.LBFGS(params, lr=1.0, max_iter=iterations, max_eval=int(iterations * 1.5) + 1,
                             history_size=10, line_search_fn="strong_wolfe",
                             tolerance_grad=1e-7, tolerance_change=1e-9)


def _contact_terms(state: _State, verts: torch.Tensor, rot: torch.Tensor, trans: torch.Tensor,
                   c: dict, opts: PlacementOptions) -> dict[str, torch.Tensor]:
    """Touch, penetration and clearance terms from the cached planes."""
    w = opts.weights
    out: dict[str, torch.Tensor] = {}
    hv = verts[c["h_rows"]]
    local = (hv - trans) @ rot
    d = ((local - c["h_s"]) * c["h_n"]).sum(-1)  # signed distance of body vertices to the object
    parts = c["h_parts"]
    pen = (torch.relu(opts.margin_m - d) / _CM).pow(2).sum()
    touch = torch.zeros(())
    for pid in state.touch_ids:
        sel = parts == pid
        if bool(sel.any()):
            touch = touch + ((_softmin(d[sel], 0.0005) - opts.touch_gap_m) / _CM).pow(2)
    clear = torch.zeros(())
    for ids, gap, weight in ((state.clear_ids, opts.clear_m, w.clear), (state.tolerated_ids, opts.tolerated_clear_m, w.tolerated)):
        if ids:
            sel = torch.isin(parts, torch.as_tensor(ids))
            if bool(sel.any()):
                clear = clear + weight * (torch.relu(gap - d[sel]) / _CM).pow(2).sum()
    if len(c["o_rows"]):
        probes = c["o_probe"] @ rot.T + trans
        do = ((probes - verts[c["o_rows"]]) * c["o_n"]).sum(-1)  # signed distance of object probes to the body
        pen = pen + (torch.relu(opts.margin_m - do) / _CM).pow(2).sum()
    out["touch"] = w.touch * touch
    out["penetration"] = w.penetration * pen
    out["clear"] = clear
    return out
