"""Registration of a body model to a human surface (DESIGN §7b).

Two methods, chosen by `RegisterOptions.method` (`REGISTRATIONS` maps each name
to its implementation):

"refine" (default, ours): hypotheses, robust similarity, then pose and shape
refinement, described below.

"paper": the official HOI3DGen alignment as released (agshar96/Hoi3DGen
`scripts/segmentMeshes/reproject_and_align_camHMR.py`, run by
`run_segmentation_pipe.sh` step 5 on the SMPL mesh that the CameraHMR fork's
`mesh_estimator_hoi3d.py` writes), reproduced step by step (`paper_alignment`):

1. Frame: the release works in the Blender scene that `render.py` normalised
   (`normalize_scene`: scale 1 / max bounding-box extent of the whole human +
   object scene, bounding-box centre at the origin, +Z up). The human point
   cloud and the initial body mesh are mapped into that frame
   (`scene_normalisation`); Adam's step sizes are in its units.
2. `scale_source_mesh`: `trimesh.bounds.oriented_bounds` of the body mesh and of
   the human point cloud; the body mesh is scaled per axis of its own oriented
   box (extents in ascending order, matched by the release's index logic) to
   the cloud's box extents: an ANISOTROPIC pre-scale.
3. `translate_source_mesh`: the body mesh's (area-weighted) centroid onto the
   cloud's centroid (mean of its points).
4. `align_source_mesh_w_rotation`: 7-DoF similarity (rotation vector by
   Rodrigues with θ = |r| + 1e-8, translation, uniform scale, all starting at the
   identity), `torch.optim.Adam` lr 1e-2, 50 iterations, minimising
   `pytorch3d.loss.chamfer_distance(cloud_points, body_vertices)` with its
   defaults (squared nearest-point distances, mean per direction, the two
   directions summed) on 5000 points drawn without replacement from the cloud
   (`np.random.choice`, seeded here by `options.seed`) against all body
   vertices. The rotation is about the scene origin, as released.
5. No pose or shape refinement: the body keeps the estimator's pose and shape.

The initial body: the release's is CameraHMR's SMPL in the chosen front frame's
camera (`mesh_estimator_hoi3d.py`: no camera translation, turned 180° about x),
put into the scene by that camera's pose (`get_world_SMPL_mesh`); only its
orientation, pose and shape survive steps 2–3. Here it is the first estimate of
whichever `BodyEstimator` runs, in the body model in use (Anny by default, SMPL
from the user's files with `LiftOptions.body_model = "smpl"`).

The release bakes the anisotropic pre-scale into the registered mesh it writes
(`aligned_SMPL.obj`, and `SMPL_transform.npz` holds the full 4×4 affine). A
`BodyFit` is an animatable body (pose, shape, one uniform scale) and cannot
hold a per-axis scale, so: `Registration.paper.mesh` is the release's registered
mesh (the affine map applied to the initial body's mesh, anisotropic scale
included) with its own Chamfer, and `Registration.params` / `fit` carry the
nearest similarity of that affine map (`nearest_similarity`: its rotation, the
volume-preserving uniform scale det^(1/3), the mesh centroid mapped to the same
point). The asset's body, its contacts and the reported `chamfer` use the
`BodyFit`.

The human point cloud is what `register_body(points=...)` gets (the lifting
chain passes the release's person cloud: masked orbit depth reprojected, masks
eroded, points near the object cloud dropped; `lift.official_point_clouds`);
without one, `options.cloud_samples` area-uniform samples of the human surface
stand in for it. The scene box is `register_body(scene_box=...)`, else the
human's own bounding box.

"refine": both stages minimise a robust Chamfer energy between a subset of the
body's vertices and area-uniform samples of the human surface. Correspondences
are found (without gradient) at the start of every round, nearest neighbours
over [position, w · normal] so surfaces facing different ways do not pair up;
within a round L-BFGS steps the parameters. Residuals are point-to-plane plus a
little point-to-point, in cm².

1. `fit_similarity`: 7-DoF similarity (uniform scale, rotation, translation) of
   the initial body, its vertices held fixed.
2. `refine_body`: all 24 joint rotations, translation, scale and, in the last
   rounds, the shape, with priors: joint limits (`priors.py`), staying near the
   initial pose, and a shape prior; Anny phenotypes stay in [0, 1] (sigmoid).
   While the shape is fixed, the vertex subset is posed by the body's own linear
   blend skinning, verified against `body.forward` (`SubsetPoser`).

`register_body` takes one or more initial estimates (hypotheses): each gets the
similarity stage and a short first pose round; the lowest energy goes on. If it
ends with a Chamfer above `RegisterOptions.retry_above_cm`, the next ones are
finished too (at most `retries`) and the lowest Chamfer wins. ("paper" uses the
first estimate only, as the release has one CameraHMR estimate.)

Speed: the energy and its gradient are evaluated in NumPy (`_RoundEnergy`), and
the subset is posed by `bodies.poser.Poser.skin` (forward kinematics and
skinning in NumPy with analytic gradients), with one torch / BLAS thread: a few
hundred evaluations of a few thousand residuals, where autograd's per-operation
cost would dominate.

Robustness (clothing, hair, segmentation errors, holes): every residual goes
through Geman–McClure with a scale σ that shrinks over the rounds; optionally
the worst `trim` fraction of human→body residuals is dropped (off by default: a
misplaced limb is exactly the largest few percent of the residuals).

The reported Chamfer (both methods) is `chamfer.chamfer_report`: the
bidirectional mean of unsquared point-to-surface distances in cm
(`CHAMFER_DEFINITION`), and the release's squared convention in cm²
(`SQUARED_CHAMFER_DEFINITION`).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, get_args

import numpy as np
import torch
import trimesh
from hoiexport.sdk.bodies.poser import Poser
from hoiexport.sdk.bodies.protocol import BodyModel, BodyParams
from hoiexport.sdk.bodies.skinning import axis_angle_to_matrix
from hoiexport.sdk.contacts.analysis import vertex_areas
from hoiexport.sdk.core.errors import InputError
from hoiexport.sdk.core.threads import limit_threads
from hoiexport.sdk.geometry.normals import vertex_normals
from hoiexport.sdk.generators.lift.chamfer import (
    ChamferReport,
    chamfer_report,
    geman_mcclure,
    sample_surface,
)
from hoiexport.sdk.generators.lift.priors import joint_limits
from hoiexport.sdk.core.types import BodyFit, Mesh
from scipy.spatial import cKDTree
from scipy.spatial.transform import Rotation

_CM = 100.0  # residuals are optimised in centimetres so priors and data share a scale

RegistrationMethod = Literal["refine", "paper"]
"""Names of the registration methods (`REGISTRATIONS`)."""


@dataclass(frozen=True)
class RegisterOptions:
    """Settings of the registration.

    Attributes:
        scan_samples: area-uniform samples of the human surface.
        body_points: body vertices in the energy (an area-uniform random subset).
        similarity_sigmas_cm: Geman–McClure σ of each similarity round, cm.
        pose_sigmas_cm: σ of each pose round, cm; the last `shape_rounds` of
            them also optimise the shape.
        shape_rounds: rounds at the end that refine the shape too.
        lbfgs_steps: L-BFGS iterations per pose round.
        similarity_steps: L-BFGS iterations per similarity round (7 unknowns).
        point_weight: residuals are point-to-plane plus this share of
            point-to-point (the plane term removes the sampling floor, the point
            term keeps surfaces from sliding).
        trim: fraction of the largest human→body residuals dropped per round.
        body_to_human_weight: weight of the body→human term (the human→body
            term has weight 1); lower trusts the human surface's holes less.
        limit_weight: joint-limit penalty weight (per radian², against cm²).
        init_weight: weight of staying near the initial joint rotations (per radian²).
        shape_weight: shape prior weight (Anny: per unit² of phenotype change;
            SMPL: per beta²).
        normal_weight_m: correspondences are searched over [position, w · normal]
            (metres per unit normal); 0 matches by position only.
        hypotheses: most initial estimates `register_body` screens.
        screen_rounds: pose rounds each hypothesis runs before the best one
            (lowest energy) goes on alone.
        screen_steps: L-BFGS iterations per screening round (the kept
            hypothesis then continues the last screened round up to
            `lbfgs_steps` iterations in all).
        retry_above_cm: when the kept hypothesis ends with a Chamfer above
            this (cm), the next one by screening energy is finished too, and
            the lower Chamfer wins (screening after one short round can
            misrank pose families; a wrong one ends several cm off).
        retries: most further hypotheses finished that way.
        chamfer_samples: samples per surface of the reported Chamfer.
        seed: sampling seed (and, for "paper", the seed of the release's
            unseeded `np.random.choice` of the target points).
        method: "refine" (ours: every field above) or "paper" (the release's
            alignment, module docstring: only the fields below, `seed` and
            `chamfer_samples` apply).
        adam_lr: "paper": Adam learning rate (release: 1e-2).
        adam_iterations: "paper": Adam iterations (release: 50).
        target_points: "paper": points drawn from the human cloud for the
            loss (release: 5000; all of them when the cloud has fewer).
        cloud_samples: "paper": area-uniform samples of the human surface that
            stand in for the release's person point cloud when `register_body`
            gets none.
    """

    scan_samples: int = 3000
    body_points: int = 2000
    similarity_sigmas_cm: tuple[float, ...] = (8.0,)
    pose_sigmas_cm: tuple[float, ...] = (8.0, 4.0, 2.0, 1.5)
    shape_rounds: int = 2
    lbfgs_steps: int = 25
    similarity_steps: int = 10
    point_weight: float = 0.1
    trim: float = 0.0
    body_to_human_weight: float = 0.5
    limit_weight: float = 30.0
    init_weight: float = 0.3
    shape_weight: float = 3.0
    normal_weight_m: float = 0.05
    hypotheses: int = 3
    screen_rounds: int = 1
    screen_steps: int = 10
    retry_above_cm: float = 1.2
    retries: int = 2
    chamfer_samples: int = 3000
    seed: int = 0
    method: RegistrationMethod = "refine"
    adam_lr: float = 1e-2
    adam_iterations: int = 50
    target_points: int = 5000
    cloud_samples: int = 50_000

    def __post_init__(self) -> None:
        if self.method not in get_args(RegistrationMethod):
            raise InputError(
                f"RegisterOptions.method must be one of {', '.join(get_args(RegistrationMethod))}, got {self.method!r}"
            )
        if self.adam_lr <= 0 or self.adam_iterations < 1 or self.target_points < 100 or self.cloud_samples < 100:
            raise InputError(
                "RegisterOptions.adam_lr must be > 0, adam_iterations >= 1, target_points and cloud_samples >= 100; "
                f"got {self.adam_lr}, {self.adam_iterations}, {self.target_points}, {self.cloud_samples}"
            )
        if self.scan_samples < 100 or self.body_points < 100:
            raise InputError(
                f"RegisterOptions.scan_samples and body_points must be >= 100, got {self.scan_samples}, "
                f"{self.body_points}"
            )
        if not 0.0 <= self.trim < 0.5:
            raise InputError(f"RegisterOptions.trim must be in [0, 0.5), got {self.trim}")
        if any(s <= 0 for s in self.similarity_sigmas_cm + self.pose_sigmas_cm):
            raise InputError("RegisterOptions sigmas must be > 0 cm")
        if self.retries < 0 or self.retry_above_cm <= 0:
            raise InputError(
                f"RegisterOptions.retries must be >= 0 and retry_above_cm > 0, got {self.retries}, "
                f"{self.retry_above_cm}"
            )
        if not 0 <= self.shape_rounds <= len(self.pose_sigmas_cm):
            raise InputError(
                f"RegisterOptions.shape_rounds must be in [0, {len(self.pose_sigmas_cm)}], got {self.shape_rounds}"
            )


@dataclass
class Similarity:
    """p ↦ scale · rotation @ p + translation (internal frame, metres).

    Attributes:
        scale: uniform scale.
        rotation: (3, 3) float64 rotation matrix.
        translation: (3,) float64 metres.
    """

    scale: float = 1.0
    rotation: np.ndarray = field(default_factory=lambda: np.eye(3))
    translation: np.ndarray = field(default_factory=lambda: np.zeros(3))

    def apply(self, points: np.ndarray) -> np.ndarray:
        """(N, 3) points mapped by the similarity."""
        return self.scale * np.asarray(points, np.float64) @ self.rotation.T + self.translation

    def compose(self, inner: Similarity) -> Similarity:
        """self ∘ inner."""
        return Similarity(
            self.scale * inner.scale,
            self.rotation @ inner.rotation,
            self.scale * self.rotation @ inner.translation + self.translation,
        )


@dataclass
class Registration:
    """A body registered to a human surface.

    Attributes:
        params: the fitted body parameters.
        fit: the body evaluated at `params` (mesh, skeleton, skin weights, parts).
        chamfer: Chamfer between the human surface and the fitted body (cm).
        init: the initial estimate the kept hypothesis started from.
        similarity: the similarity stage's transform of that initial body.
        timings_s: "similarity", "refine", "chamfer" seconds ("paper": the
            whole alignment counts as "similarity", "refine" is 0).
        tried: hypotheses finished (1, or more after a poor result; see
            `RegisterOptions.retry_above_cm`).
        method: the `RegisterOptions.method` that ran.
        paper: the release's own result (method "paper" only), its registered
            mesh with the anisotropic pre-scale included.
    """

    params: BodyParams
    fit: BodyFit
    chamfer: ChamferReport
    init: BodyParams
    similarity: Similarity
    timings_s: dict[str, float] = field(default_factory=dict)
    tried: int = 1
    method: RegistrationMethod = "refine"
    paper: PaperAlignment | None = None


@dataclass
class PaperAlignment:
    """What the release's alignment computed (method "paper", module docstring).

    Attributes:
        transform: (4, 4) float64 affine map, internal frame, metres: the
            initial body's mesh → the release's registered mesh (similarity ∘
            centroid shift ∘ anisotropic pre-scale).
        prescale: (3,) float64 per-axis factors of the pre-scale, along the
            initial mesh's oriented-box axes in ascending extent order.
        mesh: the release's registered mesh (`transform` applied to the initial
            body's mesh): not a `BodyFit`, since it carries the per-axis scale.
        chamfer: Chamfer of `mesh` to the human surface, both conventions.
        losses: (adam_iterations,) the squared-Chamfer loss at each Adam
            iteration before its step, scene units² (the release prints the
            first and the last).
        scene_extent_m: the scene's largest bounding-box extent, metres (one
            scene unit).
    """

    transform: np.ndarray
    prescale: np.ndarray
    mesh: Mesh
    chamfer: ChamferReport
    losses: list[float]
    scene_extent_m: float


class _RoundEnergy:
    """The robust bidirectional Chamfer energy of one round, cm², with its
    correspondences fixed, as a differentiable function of the body points.

    Each residual is point-to-plane (along the partner's normal) plus
    `options.point_weight` times point-to-point, in cm², through Geman–McClure
    with scale σ; the human→body term is a (trimmed) mean over the human
    samples, the body→human term a weighted sum over the body points, scaled by
    `options.body_to_human_weight`.

    Evaluated in float64 NumPy with its analytic gradient (`_EnergyFunction`):
    a few thousand residuals per call, a few hundred calls per registration,
    where autograd's gathers and scatters would cost several times as much.
    """

    def __init__(self, scan: np.ndarray, scan_normals: np.ndarray, nearest_body: np.ndarray,
                 nearest_scan: np.ndarray, body_normals: np.ndarray, weights: np.ndarray, sigma_cm: float,
                 options: RegisterOptions) -> None:
        """Fix the round's correspondences.

        Args:
            scan: (N, 3) human samples, metres.
            scan_normals: (N, 3) their unit normals.
            nearest_body: (N,) index of each sample's body point.
            nearest_scan: (P,) index of each body point's sample.
            body_normals: (P, 3) unit body normals at the round's start.
            weights: (P,) body point weights summing to 1.
            sigma_cm: Geman–McClure scale, cm.
            options: `point_weight`, `trim`, `body_to_human_weight`.
        """
        self.nearest_body = np.asarray(nearest_body, np.int64)
        self.scan = np.asarray(scan, np.float64)
        self.n_hb = np.asarray(body_normals, np.float64)[self.nearest_body]
        self.target_bh = self.scan[nearest_scan]
        self.n_bh = np.asarray(scan_normals, np.float64)[nearest_scan]
        self.weights = options.body_to_human_weight * np.asarray(weights, np.float64)
        self.sigma = float(sigma_cm)
        self.s2 = self.sigma**2
        self.point_weight = options.point_weight
        self.trim = options.trim
        self.count = len(body_normals)

    def _residuals(self, d: np.ndarray, n: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Geman–McClure of the residuals d (K, 3) cm along n, its derivative, and d(residual)/d(d)."""
        along = np.einsum("kc,kc->k", d, n)
        squared = along * along + self.point_weight * np.einsum("kc,kc->k", d, d)
        rho = geman_mcclure(squared, self.sigma)
        slope = (self.s2 / (self.s2 + squared)) ** 2  # dρ/d(squared)
        return rho, slope, 2.0 * (along[:, None] * n + self.point_weight * d)

    def value_and_grad(self, moved: np.ndarray) -> tuple[float, np.ndarray]:
        """Energy (cm²) at body points `moved` (P, 3) metres, and its (P, 3) gradient per metre."""
        d_hb = (self.scan - moved[self.nearest_body]) * _CM
        rho, slope, dres = self._residuals(d_hb, self.n_hb)
        coeff = np.full(len(rho), 1.0 / len(rho))
        if self.trim > 0 and len(rho) >= 10:  # mean of the smallest ceil(N (1 - trim)) values
            keep = math.ceil(len(rho) * (1.0 - self.trim))
            kept = np.argpartition(rho, keep - 1)[:keep]
            coeff = np.zeros(len(rho))
            coeff[kept] = 1.0 / keep
        value = float(coeff @ rho)
        contrib = -_CM * (coeff * slope)[:, None] * dres  # d(d_hb)/d(moved) = -100
        grad = np.stack([np.bincount(self.nearest_body, weights=contrib[:, c], minlength=self.count)
                         for c in range(3)], axis=1)
        d_bh = (moved - self.target_bh) * _CM
        rho, slope, dres = self._residuals(d_bh, self.n_bh)
        value += float(self.weights @ rho)
        grad += _CM * (self.weights * slope)[:, None] * dres
        return value, grad

    def __call__(self, moved: torch.Tensor) -> torch.Tensor:
        """The energy of (P, 3) body points `moved` (metres, with grad) as a 0-d tensor."""
        return _EnergyFunction.apply(moved, self)


class _EnergyFunction(torch.autograd.Function):
    @staticmethod
    def forward(ctx: Any, moved: torch.Tensor, energy: _RoundEnergy) -> torch.Tensor:
        value, grad = energy.value_and_grad(moved.detach().numpy().astype(np.float64))
        ctx.grad = grad
        return torch.tensor(value, dtype=moved.dtype)

    @staticmethod
    def backward(ctx: Any, grad_output: torch.Tensor) -> tuple[torch.Tensor, None]:
        return grad_output * torch.from_numpy(ctx.grad).to(grad_output.dtype), None


def _match(points: np.ndarray, normals: np.ndarray, scan: _Scan, weights: np.ndarray, sigma_cm: float,
           options: RegisterOptions) -> _RoundEnergy:
    """The round's energy with correspondences found now: the nearest body point
    of each sample and the nearest sample of each body point.

    The search runs over [p, w·n] so a point prefers partners facing its way (an
    arm's inner side does not match the torso's flank); `scan.tree` holds the
    human samples' features built the same way.
    """
    nw = options.normal_weight_m
    feats = np.hstack([points, nw * normals]) if nw > 0 else points
    _, nearest_body = cKDTree(feats).query(scan.tree.data)
    _, nearest_scan = scan.tree.query(feats)
    return _RoundEnergy(scan.points, scan.normals, nearest_body, nearest_scan, normals, weights, sigma_cm, options)


def _scan_tree(samples: np.ndarray, normals: np.ndarray, normal_weight: float) -> cKDTree:
    return cKDTree(np.hstack([samples, normal_weight * normals]) if normal_weight > 0 else samples)


def surface_normals(mesh: Mesh) -> np.ndarray:
    """(F, 3) float64 unit face normals of `mesh`: winding made consistent
    (trimesh), then flipped if they point inwards on (area-weighted) average."""
    import trimesh

    tm = trimesh.Trimesh(mesh.vertices.astype(np.float64), mesh.faces, process=False)
    if not tm.is_winding_consistent:
        trimesh.repair.fix_winding(tm)
    normals = np.asarray(tm.face_normals, np.float64)
    centres = tm.triangles_center - tm.triangles_center.mean(axis=0)
    if float(np.einsum("fc,fc,f->", normals, centres, tm.area_faces)) < 0:  # wound inwards
        normals = -normals
    return normals


def body_subset(body: BodyModel, count: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """An area-uniform random subset of the body's vertices (rest pose, default shape).

    Returns:
        (P,) int64 sorted vertex indices and (P,) float64 weights summing to 1.
    """
    with torch.no_grad():
        rest = body.forward(torch.zeros(1, 24, 3)).vertices[0].double().numpy()
    areas = vertex_areas(Mesh(rest, body.faces))
    count = min(count, len(areas))
    rng = np.random.default_rng(seed)
    idx = np.sort(rng.choice(len(areas), size=count, replace=False, p=areas / areas.sum()))
    return idx, np.full(count, 1.0 / count)


def fit_similarity(
    source: np.ndarray,
    source_normals: np.ndarray,
    target: np.ndarray,
    target_normals: np.ndarray,
    *,
    source_weights: np.ndarray | None = None,
    init: Similarity | None = None,
    options: RegisterOptions = RegisterOptions(),
    sigmas_cm: tuple[float, ...] | None = None,
) -> tuple[Similarity, float]:
    """Robust-Chamfer 7-DoF similarity taking `source` points onto `target` points.

    Args:
        source: (P, 3) points to move (e.g. body vertices), metres.
        source_normals: (P, 3) their unit normals.
        target: (N, 3) fixed points (e.g. human-surface samples), metres.
        target_normals: (N, 3) their unit normals.
        source_weights: (P,) non-negative weights of the source points.
        init: starting similarity (default: no rotation, centroids aligned, scale
            from the ratio of RMS radii).
        options: robustness and step settings.
        sigmas_cm: σ per round (default `options.similarity_sigmas_cm`).

    Returns:
        The similarity and its final robust energy (cm²).
    """
    src = np.asarray(source, np.float64)
    src_n = np.asarray(source_normals, np.float64)
    tgt = np.asarray(target, np.float64)
    w = np.ones(len(src)) if source_weights is None else np.asarray(source_weights, np.float64)
    w = w / w.sum()
    centre = (w[:, None] * src).sum(axis=0)
    if init is None:  # centroids together, sizes matched by RMS radius
        spread = np.sqrt((w * ((src - centre) ** 2).sum(axis=1)).sum())
        t_centre = tgt.mean(axis=0)
        scale0 = float(np.sqrt(((tgt - t_centre) ** 2).sum(axis=1).mean()) / max(spread, 1e-12))
        init = Similarity(scale0, np.eye(3), t_centre - scale0 * centre)
    # p' = exp(log_s) · R(rotvec) R0 (p - c) + m, starting at the initial similarity
    src_c = torch.as_tensor(src - centre, dtype=torch.float32)
    r0 = torch.as_tensor(init.rotation, dtype=torch.float32)
    log_s = torch.tensor(math.log(init.scale), dtype=torch.float32, requires_grad=True)
    rotvec = torch.zeros(3, dtype=torch.float32, requires_grad=True)
    m = torch.as_tensor(init.apply(centre[None])[0], dtype=torch.float32).clone().requires_grad_(True)
    scan = _Scan.of(tgt, np.asarray(target_normals, np.float64), options.normal_weight_m)

    def rotation() -> torch.Tensor:
        return axis_angle_to_matrix(rotvec[None])[0] @ r0

    def moved() -> torch.Tensor:
        return torch.exp(log_s) * src_c @ rotation().T + m

    energy = 0.0
    for sigma in sigmas_cm or options.similarity_sigmas_cm:
        with torch.no_grad():
            round_energy = _match(moved().double().numpy(), src_n @ rotation().double().numpy().T, scan, w,
                                  sigma, options)
        opt = torch.optim.LBFGS([log_s, rotvec, m], lr=1.0, max_iter=options.similarity_steps,
                                line_search_fn="strong_wolfe")

        def closure(opt=opt, round_energy=round_energy) -> torch.Tensor:
            opt.zero_grad()
            loss = round_energy(moved())
            loss.backward()
            return loss

        energy = float(opt.step(closure).detach())
    with torch.no_grad():
        rot = rotation().double().numpy()
        scale = float(torch.exp(log_s))
        translation = m.double().numpy() - scale * rot @ centre
    return Similarity(scale, rot, translation), energy


def apply_similarity(params: BodyParams, sim: Similarity, rest_pelvis: np.ndarray) -> BodyParams:
    """Body parameters whose body equals `sim` applied to the body of `params`.

    The body is s_b (R0 H + j0) + t_b with R0 the global orientation, j0 the rest
    pelvis and H the rest of the pose; applying p ↦ sRp + t gives scale s s_b,
    global orientation R R0 and translation s s_b R j0 + s R t_b + t − s s_b j0.

    Args:
        params: the body's parameters.
        sim: the similarity to fold in.
        rest_pelvis: (3,) the rest-pose pelvis joint of the body's shape (unscaled), metres.
    """
    j0 = np.asarray(rest_pelvis, np.float64)
    pose = np.asarray(params.pose, np.float64).copy()
    r0 = Rotation.from_rotvec(pose[0]).as_matrix()
    pose[0] = Rotation.from_matrix(sim.rotation @ r0).as_rotvec()
    s_new = sim.scale * float(params.scale)
    t_new = s_new * sim.rotation @ j0 + sim.scale * sim.rotation @ np.asarray(params.transl, np.float64)
    t_new = t_new + sim.translation - s_new * j0
    return BodyParams(pose=pose.astype(np.float32), shape=dict(params.shape), transl=t_new.astype(np.float32),
                      scale=s_new)


_SHAPE_MARGIN = 1e-3
"""Bounded shape values start and stay this share of their range inside the bounds."""


class _Shape:
    """Differentiable shape values of a body model (its `ShapeSpace`) and their prior.

    Bounded values (Anny's phenotypes in [0, 1]) are lo + (hi − lo) sigmoid(t)
    of a free tensor t, so they stay inside the bounds; unbounded ones (SMPL's
    betas) are the tensor itself. The prior is |values − centre|², the centre
    being the starting values or the space's default (`ShapeSpace.prior_centre`).
    """

    def __init__(self, body: BodyModel, shape: dict[str, Any]) -> None:
        self.space = body.shape_space
        start = self.space.clamp(torch.as_tensor(self.space.vector(shape), dtype=torch.float64), _SHAPE_MARGIN)
        self.start = start
        self.centre = start if self.space.prior_centre == "start" else torch.as_tensor(self.space.default)
        self.tensor = self._free(start).clone().requires_grad_(True)

    def _free(self, values: torch.Tensor) -> torch.Tensor:
        """The free tensor of (K,) shape values."""
        if self.space.bounds is None:
            return values
        lo, hi = self.space.bounds
        return torch.logit((values - lo) / (hi - lo))

    def values(self) -> torch.Tensor:
        """(K,) float64 shape values, differentiable."""
        if self.space.bounds is None:
            return self.tensor
        lo, hi = self.space.bounds
        return lo + (hi - lo) * torch.sigmoid(self.tensor)

    def shape(self) -> dict[str, Any]:
        """The body model's shape dict of the current values (differentiable)."""
        return self.space.shape_dict(self.values())

    def step(self) -> float:
        """Finite-difference step in shape-value units."""
        return self.space.step

    def clip(self, values: torch.Tensor) -> torch.Tensor:
        return self.space.clamp(values, _SHAPE_MARGIN)

    def prior(self) -> torch.Tensor:
        return (self.values() - self.centre).square().sum()

    def to_json(self) -> dict[str, Any]:
        return self.space.to_json(self.values().detach().numpy())


class SubsetPoser:
    """Differentiable positions of a subset of body vertices.

    While the shape is fixed, the subset is posed by the body's `Poser`
    restricted to it (`Poser.skin`: linear blend skinning of its rest positions
    with analytic gradients), which is cheap; this fast path is used only if it
    reproduces `body.forward` on a test pose (`Poser.reproduces`: true for Anny;
    SMPL's pose blend shapes make it fall back to `body.forward`). When the shape
    is optimised too, the rest positions and joints are taken as linear in the
    shape values around the current ones (central differences of
    `ShapeSpace.rest`, `linearize`): Anny's phenotype blend weights are piecewise
    linear, so this is exact within a cell; the final body is always evaluated
    by the model.

    Attributes:
        poser: the body's `Poser` on the subset.
        rest_vertices: (1, P, 3) float32 rest positions of the subset, metres.
        rest_joints: (1, 24, 3) float32 rest joints, metres.
        linear: whether the fast path is used.
    """

    def __init__(self, body: BodyModel, shape: dict[str, Any], subset: np.ndarray) -> None:
        self.body, self.subset, self.shape = body, torch.as_tensor(subset), shape
        self.poser = Poser.of_body(body, shape).subset(self.subset)
        self.rest_vertices = self.poser.rest_vertices[None]
        self.rest_joints = self.poser.rest_joints[None]
        self.linear = self.poser.reproduces(body, shape, self.subset)
        self._lin: tuple[torch.Tensor, ...] | None = None

    def pose_batch(self, poses: np.ndarray) -> np.ndarray:
        """(B, P, 3) float64 subset positions for (B, 24, 3) poses (no translation / scale, no grad)."""
        p = torch.as_tensor(np.asarray(poses, np.float32))
        with torch.no_grad():
            if not self.linear:
                return self.body.forward(p, self.shape).vertices[:, self.subset].double().numpy()
            return self.poser.skin_batch(p).double().numpy()

    def linearize(self, shape: _Shape) -> None:
        """Rest positions / joints as linear functions of the shape values near the current ones."""
        if not self.linear:
            return
        with torch.no_grad():
            v0 = shape.values().detach().clone()
            steps = torch.eye(len(v0), dtype=v0.dtype) * shape.step()
            hi, lo = shape.clip(v0 + steps), shape.clip(v0 - steps)  # (K, K): row k moves value k
            values = torch.cat([hi, lo, v0[None]])  # every body in one batched forward
            vertices, joints = shape.space.rest(values)
            k = len(v0)
            span = (hi.diagonal() - lo.diagonal()).float()
            d_vert = (vertices[:k, self.subset] - vertices[k : 2 * k, self.subset]) / span[:, None, None]
            d_joint = (joints[:k] - joints[k : 2 * k]) / span[:, None, None]
            self._lin = (v0, vertices[2 * k :, self.subset], joints[2 * k :], d_vert, d_joint)

    def points(self, pose: torch.Tensor, transl: torch.Tensor, scale: torch.Tensor,
               shape: _Shape | None = None) -> torch.Tensor:
        """(P, 3) posed subset, metres; with `shape`, differentiable in its values too."""
        if not self.linear:
            out = self.body.forward(pose[None], shape.shape() if shape is not None else self.shape,
                                    transl[None], scale)
            return out.vertices[0, self.subset]
        if shape is None:
            return self.poser.skin(pose) * scale + transl
        if self._lin is None:
            self.linearize(shape)
        v0, rest_v, rest_j, d_vert, d_joint = self._lin  # type: ignore[misc]
        delta = (shape.values() - v0).float()
        rv = rest_v + torch.einsum("k,kvc->vc", delta, d_vert)[None]
        rj = rest_j + torch.einsum("k,kjc->jc", delta, d_joint)[None]
        return self.poser.skin(pose, rv[0], rj[0]) * scale + transl


def rest_pelvis(body: BodyModel, shape: dict[str, Any]) -> np.ndarray:
    """(3,) rest-pose pelvis joint of `body` with `shape`, unscaled, metres."""
    with torch.no_grad():
        out = body.forward(torch.zeros(1, 24, 3), shape)
    return out.rest_joints[0, 0].double().numpy()


@dataclass
class _Scan:
    """The human surface as the energies see it: samples, normals, search tree."""

    points: np.ndarray
    normals: np.ndarray
    tree: cKDTree

    @classmethod
    def of(cls, samples: np.ndarray, normals: np.ndarray, normal_weight: float) -> _Scan:
        samples = np.asarray(samples, np.float64)
        normals = np.asarray(normals, np.float64)
        return cls(samples, normals, _scan_tree(samples, normals, normal_weight))


class _Refiner:
    """Pose, translation, scale and shape of one hypothesis, refined round by round."""

    def __init__(self, scan: _Scan, body: BodyModel, init: BodyParams, options: RegisterOptions,
                 prior_pose: np.ndarray | None = None) -> None:
        self.scan, self.body, self.options = scan, body, options
        self.subset, self.point_weights = body_subset(body, options.body_points, options.seed)
        self.shape = _Shape(body, init.shape)
        self.poser = SubsetPoser(body, init.shape, self.subset)
        self.pose = torch.as_tensor(np.asarray(init.pose, np.float32)).clone().requires_grad_(True)
        self.transl = torch.as_tensor(np.asarray(init.transl, np.float32)).clone().requires_grad_(True)
        self.log_scale = torch.tensor(math.log(float(init.scale)), requires_grad=True)
        self.anchor = torch.as_tensor(np.asarray(init.pose if prior_pose is None else prior_pose, np.float32))
        self.limits = joint_limits(self.poser.rest_joints[0].numpy())
        self.faces = np.asarray(body.faces)
        self.energy = math.inf

    def _points(self, with_shape: bool) -> torch.Tensor:
        return self.poser.points(self.pose, self.transl, torch.exp(self.log_scale),
                                 self.shape if with_shape else None)

    def run(self, sigmas: Sequence[float], with_shape: Sequence[bool], steps: int | None = None) -> float:
        """Run one round per σ (cm), `steps` L-BFGS iterations each (default
        `options.lbfgs_steps`); returns the last round's energy (cm²)."""
        opts = self.options
        for sigma, shaped in zip(sigmas, with_shape, strict=True):
            with torch.no_grad():
                full = self.body.forward(self.pose[None], self.shape.shape(), self.transl[None],
                                         torch.exp(self.log_scale)).vertices[0]
                normals = vertex_normals(full.double().numpy(), self.faces)[self.subset]
                round_energy = _match(full[torch.as_tensor(self.subset)].double().numpy(), normals, self.scan,
                                      self.point_weights, sigma, opts)
            variables = [self.pose, self.transl, self.log_scale] + ([self.shape.tensor] if shaped else [])
            opt = torch.optim.LBFGS(variables, lr=1.0, max_iter=steps or opts.lbfgs_steps, line_search_fn="strong_wolfe")

            def closure(shaped: bool = shaped, opt=opt, round_energy=round_energy) -> torch.Tensor:
                opt.zero_grad()
                loss = round_energy(self._points(shaped))
                loss = loss + opts.limit_weight * self.limits.penalty(self.pose)
                loss = loss + opts.init_weight * (self.pose[1:] - self.anchor[1:]).square().sum()
                loss = loss + opts.shape_weight * self.shape.prior()
                loss.backward()
                return loss

            self.energy = float(opt.step(closure).detach())
        return self.energy

    def params(self) -> BodyParams:
        with torch.no_grad():
            return BodyParams(
                pose=self.pose.detach().numpy().copy(),
                shape=self.shape.to_json(),
                transl=self.transl.detach().numpy().copy(),
                scale=float(torch.exp(self.log_scale)),
            )


def _shape_flags(options: RegisterOptions) -> list[bool]:
    n = len(options.pose_sigmas_cm)
    return [k >= n - options.shape_rounds for k in range(n)]


def refine_body(
    human_samples: np.ndarray,
    human_normals: np.ndarray,
    body: BodyModel,
    init: BodyParams,
    options: RegisterOptions = RegisterOptions(),
    prior_pose: np.ndarray | None = None,
) -> tuple[BodyParams, float]:
    """Refine pose, translation, scale and shape against human-surface samples.

    Args:
        human_samples: (N, 3) area-uniform samples of the human surface, metres.
        human_normals: (N, 3) their unit outward normals.
        body: the body model.
        init: starting parameters (after the similarity stage).
        options: robustness, priors, rounds (`pose_sigmas_cm`, the last
            `shape_rounds` of them with the shape).
        prior_pose: (24, 3) pose the "stay near" prior pulls towards (default:
            `init.pose`); the global orientation (row 0) is never pulled.

    Returns:
        The refined parameters and the final robust energy (cm²).
    """
    scan = _Scan.of(human_samples, human_normals, options.normal_weight_m)
    refiner = _Refiner(scan, body, init, options, prior_pose)
    energy = refiner.run(options.pose_sigmas_cm, _shape_flags(options))
    return refiner.params(), energy


def register_body(
    human: Mesh,
    body: BodyModel,
    init: BodyParams | Sequence[BodyParams],
    options: RegisterOptions = RegisterOptions(),
    *,
    points: np.ndarray | None = None,
    scene_box: np.ndarray | None = None,
) -> Registration:
    """Register `body` to the human surface from initial estimates (module docstring).

    "refine": with several initial estimates (hypotheses), each gets the
    similarity stage and the first `options.screen_rounds` pose rounds; the one
    with the lowest energy then runs the remaining rounds. (Which pose family a
    surface shows is often clear only after its limbs have moved: a rigid
    candidate with an arm down can score better than one with the arm half-way
    right.) "paper": the release's alignment of the first estimate.

    Args:
        human: the segmented human surface, internal frame, metres.
        body: the body model.
        init: the initial estimate, or several, most likely first (e.g. from a
            `BodyEstimator`); at most `options.hypotheses` are used.
        options: registration settings (`options.method` picks the method).
        points: "paper": (N, 3) the human point cloud, internal frame, metres
            (default: `options.cloud_samples` samples of `human`).
        scene_box: "paper": (2, 3) lower and upper corner of the whole scene's
            bounding box (human + object), internal frame, metres: the release
            normalises that scene to extent 1 (default: `human`'s box).

    Returns:
        `Registration` with the fitted parameters, the evaluated `BodyFit` and the
        Chamfer (cm, bidirectional mean of unsquared distances; and squared, cm²).

    Raises:
        InputError: no estimate, or a degenerate point cloud / scene box.
    """
    inits = [init] if isinstance(init, BodyParams) else list(init)
    if not inits:
        raise InputError("register_body needs at least one initial estimate")
    target = RegistrationInput(human, points, scene_box)
    with limit_threads(torch_threads=1, blas_threads=1):
        return REGISTRATIONS[options.method].run(target, body, inits[: options.hypotheses], options)


@dataclass(frozen=True)
class RegistrationInput:
    """What a registration method registers to.

    Attributes:
        human: the segmented human surface, internal frame, metres.
        points: (N, 3) a human point cloud (internal frame, metres), or None.
        scene_box: (2, 3) the whole scene's bounding box corners, or None.
    """

    human: Mesh
    points: np.ndarray | None = None
    scene_box: np.ndarray | None = None


@dataclass(frozen=True)
class RegistrationMethodSpec:
    """One registration method of `REGISTRATIONS`.

    Attributes:
        run: (target, body, initial estimates, options) → `Registration`.
        uses_point_cloud: whether it registers to a human point cloud (the
            lifting chain then builds the release's person cloud for it).
        summary: one line for reports.
    """

    run: Callable[[RegistrationInput, BodyModel, list[BodyParams], RegisterOptions], Registration]
    uses_point_cloud: bool
    summary: str


def _register_refine(target: RegistrationInput, body: BodyModel, inits: list[BodyParams],
                     options: RegisterOptions) -> Registration:
    human = target.human
    t0 = time.perf_counter()
    samples, faces = sample_surface(human, options.scan_samples, options.seed)
    normals = surface_normals(human)[faces]
    scan = _Scan.of(samples, normals, options.normal_weight_m)
    subset, w = body_subset(body, options.body_points, options.seed)
    starts, sims = [], []
    for init in inits:
        start = posed_vertices(body, init)
        sim, _ = fit_similarity(start[subset], vertex_normals(start, body.faces)[subset], samples, normals,
                                source_weights=w, init=Similarity(), options=options)  # from the estimate
        starts.append(apply_similarity(init, sim, rest_pelvis(body, init.shape)))
        sims.append(sim)
    t1 = time.perf_counter()
    flags = _shape_flags(options)
    screen = min(options.screen_rounds, len(flags)) if len(inits) > 1 else 0
    refiners = [_Refiner(scan, body, p, options) for p in starts]
    for r in refiners:
        r.run(options.pose_sigmas_cm[:screen], flags[:screen], options.screen_steps)
    ranked = [int(k) for k in np.argsort([r.energy for r in refiners])] if screen else [0]
    finished: list[tuple[float, int, BodyParams, BodyFit, ChamferReport]] = []
    refine_s = chamfer_s = 0.0
    for k in ranked[: 1 + options.retries]:
        t_a = time.perf_counter()
        if screen and options.screen_steps < options.lbfgs_steps:  # finish the last screened round
            refiners[k].run(options.pose_sigmas_cm[screen - 1 : screen], flags[screen - 1 : screen],
                            options.lbfgs_steps - options.screen_steps)
        refiners[k].run(options.pose_sigmas_cm[screen:], flags[screen:])
        params = refiners[k].params()
        t_b = time.perf_counter()
        fit = body.fit(params)
        chamfer = chamfer_report(human, fit.mesh, samples=options.chamfer_samples, seed=options.seed)
        refine_s, chamfer_s = refine_s + t_b - t_a, chamfer_s + time.perf_counter() - t_b
        finished.append((chamfer.chamfer_cm, k, params, fit, chamfer))
        if chamfer.chamfer_cm <= options.retry_above_cm:
            break
    _, best, params, fit, chamfer = min(finished, key=lambda f: f[0])
    screen_s = time.perf_counter() - t1 - refine_s - chamfer_s
    return Registration(
        params=params,
        fit=fit,
        chamfer=chamfer,
        init=inits[best],
        similarity=sims[best],
        timings_s={"similarity": t1 - t0, "refine": screen_s + refine_s, "chamfer": chamfer_s},
        tried=len(finished),
        method="refine",
    )


def posed_vertices(body: BodyModel, params: BodyParams) -> np.ndarray:
    """(V, 3) float64 vertices of `body` at `params`, metres."""
    with torch.no_grad():
        out = body.forward(
            torch.as_tensor(np.asarray(params.pose, np.float32))[None],
            params.shape,
            torch.as_tensor(np.asarray(params.transl, np.float32))[None],
            float(params.scale),
        )
    return out.vertices[0].double().numpy()


INTERNAL_TO_BLENDER = np.array([[1.0, 0.0, 0.0], [0.0, 0.0, -1.0], [0.0, 1.0, 0.0]])
"""(3, 3) rotation from the internal frame (+Y up, glTF axes) to Blender's (+Z
up), as Blender's glTF importer maps axes: (x, y, z) ↦ (x, −z, y)."""


def scene_normalisation(scene_box: np.ndarray) -> tuple[np.ndarray, float]:
    """The release's scene frame (`render.py` `normalize_scene` after the glTF import).

    Args:
        scene_box: (2, 3) lower and upper corner of the scene's bounding box,
            internal frame, metres.

    Returns:
        (4, 4) float64 map internal frame (metres) → scene frame (Blender axes,
        bounding-box centre at the origin, largest extent 1), and that extent in
        metres.

    Raises:
        InputError: a box that is not (2, 3), not finite, or empty.
    """
    box = np.asarray(scene_box, np.float64)
    if box.shape != (2, 3) or not np.isfinite(box).all():
        raise InputError(f"scene_box must be a finite (2, 3) array of box corners, got shape {box.shape}")
    extent = float(np.max(box[1] - box[0]))
    if extent <= 0:
        raise InputError(f"scene_box {box.tolist()} is empty; pass the scene's lower and upper corners")
    to_scene = np.eye(4)
    to_scene[:3, :3] = INTERNAL_TO_BLENDER / extent
    to_scene[:3, 3] = -INTERNAL_TO_BLENDER @ (0.5 * (box[0] + box[1])) / extent
    return to_scene, extent


def _rodrigues(rotvec: torch.Tensor) -> torch.Tensor:
    """(B, 3, 3) rotations of (B, 3) rotation vectors, as the release computes them
    (θ = |r| + 1e-8, so the identity has a gradient)."""
    theta = torch.norm(rotvec, dim=-1, keepdim=True) + 1e-8
    k = rotvec / theta
    zero = torch.zeros_like(k[:, 0])
    skew = torch.stack([zero, -k[:, 2], k[:, 1], k[:, 2], zero, -k[:, 0], -k[:, 1], k[:, 0], zero], dim=-1)
    skew = skew.reshape(-1, 3, 3)
    eye = torch.eye(3, dtype=rotvec.dtype).expand(rotvec.shape[0], -1, -1)
    return eye + torch.sin(theta).unsqueeze(-1) * skew + (1 - torch.cos(theta)).unsqueeze(-1) * (skew @ skew)


def _pytorch3d_chamfer(fixed: torch.Tensor, fixed_tree: cKDTree, moving: torch.Tensor,
                       near_moving: np.ndarray | None = None) -> torch.Tensor:
    """`pytorch3d.loss.chamfer_distance(fixed[None], moving[None])[0]` with its
    defaults: mean squared nearest-point distance each way, summed. Nearest
    neighbours by k-d tree (no gradient; `near_moving`, each fixed point's
    nearest moving point, when the caller has it); the distances, and so the
    gradient, as pytorch3d's `knn_points` gives them."""
    moving_np = moving.detach().numpy()
    if near_moving is None:
        _, near_moving = cKDTree(moving_np).query(fixed.numpy())
    _, near_fixed = fixed_tree.query(moving_np)
    cham_fixed = (fixed - moving[torch.from_numpy(np.asarray(near_moving))]).square().sum(-1).mean()
    cham_moving = (moving - fixed[torch.from_numpy(near_fixed)]).square().sum(-1).mean()
    return cham_fixed + cham_moving


def paper_alignment(source: Mesh, cloud: np.ndarray, *, lr: float = 1e-2, iterations: int = 50,
                    points: int = 5000, seed: int = 0) -> tuple[np.ndarray, np.ndarray, list[float]]:
    """The release's alignment of a mesh to a point cloud (module docstring, steps 2–4).

    Runs in whatever frame its inputs are in; the release's is the
    scene-normalised one (`scene_normalisation`), which sets Adam's step size.

    Args:
        source: the mesh to align (the initial body), in that frame.
        cloud: (N, 3) the target point cloud, same frame.
        lr: Adam learning rate.
        iterations: Adam iterations.
        points: points drawn from the cloud for the loss (all if it has fewer).
        seed: seed of that draw (`np.random.RandomState(seed).choice`, as the
            release's `np.random.choice` without a seed).

    Returns:
        (4, 4) float64 affine map of `source` onto the cloud (similarity ∘
        centroid shift ∘ pre-scale), (3,) the pre-scale factors, and the loss
        before each Adam step (squared units of the frame).

    Raises:
        InputError: a cloud of fewer than 4 points, or one (or a mesh) whose
            oriented box is flat.
    """
    cloud = np.asarray(cloud, np.float64).reshape(-1, 3)
    if len(cloud) < 4 or not np.isfinite(cloud).all():
        raise InputError(f"the human point cloud needs at least 4 finite points, got {len(cloud)}")
    src = trimesh.Trimesh(np.asarray(source.vertices, np.float64), np.asarray(source.faces))  # processed, as released
    target = trimesh.PointCloud(cloud)
    # scale_source_mesh: per-axis scale between the oriented boxes
    src_to_box, _ = trimesh.bounds.oriented_bounds(src)
    tgt_to_box, _ = trimesh.bounds.oriented_bounds(target)
    src.apply_transform(src_to_box)
    tgt_boxed = trimesh.PointCloud(cloud.copy())
    tgt_boxed.apply_transform(tgt_to_box)
    src_ext, tgt_ext = np.asarray(src.bounding_box.extents), np.asarray(tgt_boxed.bounding_box.extents)
    src_order, tgt_order = np.argsort(src_ext), np.argsort(tgt_ext)
    factors = np.array([tgt_ext[int(np.where(tgt_order == src_order[i])[0][0])] / src_ext[i] for i in range(3)])
    if not (np.isfinite(factors).all() and (factors > 0).all()):
        raise InputError(f"the human point cloud or the body mesh is flat (box extents {tgt_ext.round(4).tolist()}, "
                         f"{src_ext.round(4).tolist()}); it cannot be aligned")
    prescale = np.diag([*factors, 1.0])
    src.apply_transform(prescale)
    src.apply_transform(np.linalg.inv(src_to_box))
    transform = np.linalg.inv(src_to_box) @ prescale @ src_to_box
    # translate_source_mesh: centroids together (mesh: area-weighted; cloud: mean)
    shift = np.eye(4)
    shift[:3, 3] = np.asarray(target.centroid) - np.asarray(src.centroid)
    src.apply_transform(shift)
    transform = shift @ transform
    # align_source_mesh_w_rotation: 7-DoF Adam on the squared Chamfer
    draw = cloud
    if len(draw) > points:
        draw = draw[np.random.RandomState(seed).choice(len(draw), points, replace=False)]
    fixed = torch.tensor(draw, dtype=torch.float32)
    fixed_tree = cKDTree(fixed.numpy())
    moving = torch.tensor(np.asarray(src.vertices), dtype=torch.float32)
    translation = torch.zeros(1, 1, 3, requires_grad=True)
    scale = torch.ones(1, 1, 1, requires_grad=True)
    rotvec = torch.zeros(1, 3, requires_grad=True)
    optimizer = torch.optim.Adam([translation, rotvec, scale], lr=lr)
    moving_tree = cKDTree(moving.numpy())
    losses = []
    for _ in range(iterations):
        optimizer.zero_grad()
        rotation = _rodrigues(rotvec)[0]
        moved = scale[0] * (moving @ rotation.T) + translation[0]
        near = None
        s_now = float(scale.detach())
        if s_now > 0:  # nearest of s R y + t to x = nearest y to R^T (x - t) / s: one tree for all iterations
            local = (fixed - translation.detach()[0]) @ rotation.detach() / s_now
            _, near = moving_tree.query(local.numpy())
        loss = _pytorch3d_chamfer(fixed, fixed_tree, moved, near)
        loss.backward()
        optimizer.step()
        losses.append(float(loss.detach()))
    with torch.no_grad():
        similarity = np.eye(4)
        similarity[:3, :3] = float(scale.detach()) * _rodrigues(rotvec.detach())[0].double().numpy()
        similarity[:3, 3] = translation.detach()[0, 0].double().numpy()
    return similarity @ transform, factors, losses


def nearest_similarity(affine: np.ndarray, centre: np.ndarray) -> Similarity:
    """The similarity closest to an affine map that an animatable body can hold.

    Rotation: the polar factor of the linear part (exact when the linear part is
    a rotation times a symmetric positive scale, as the release's is); scale:
    |det|^(1/3) (the volume is kept); translation: `centre` goes where the
    affine map sends it.

    Args:
        affine: (4, 4) affine map.
        centre: (3,) the point kept in place (e.g. the mesh's centroid).
    """
    linear = np.asarray(affine, np.float64)[:3, :3]
    u, _, vt = np.linalg.svd(linear)
    fix = np.diag([1.0, 1.0, float(np.sign(np.linalg.det(u @ vt)))])
    rotation = u @ fix @ vt
    scale = float(abs(np.linalg.det(linear)) ** (1.0 / 3.0))
    c = np.asarray(centre, np.float64)
    moved = linear @ c + np.asarray(affine, np.float64)[:3, 3]
    return Similarity(scale, rotation, moved - scale * rotation @ c)


def _apply_affine(affine: np.ndarray, points: np.ndarray) -> np.ndarray:
    return np.asarray(points, np.float64) @ affine[:3, :3].T + affine[:3, 3]


def _register_paper(target: RegistrationInput, body: BodyModel, inits: list[BodyParams],
                    options: RegisterOptions) -> Registration:
    human, init = target.human, inits[0]
    t0 = time.perf_counter()
    cloud = target.points
    if cloud is None:
        cloud, _ = sample_surface(human, options.cloud_samples, options.seed)
    box = target.scene_box
    if box is None:
        box = np.stack([human.vertices.min(axis=0), human.vertices.max(axis=0)])
    to_scene, extent = scene_normalisation(box)
    start = posed_vertices(body, init)
    in_scene = Mesh(_apply_affine(to_scene, start), body.faces)
    scene_affine, factors, losses = paper_alignment(
        in_scene, _apply_affine(to_scene, cloud), lr=options.adam_lr, iterations=options.adam_iterations,
        points=options.target_points, seed=options.seed)
    affine = np.linalg.inv(to_scene) @ scene_affine @ to_scene
    centre = trimesh.Trimesh(start, body.faces, process=False).centroid
    sim = nearest_similarity(affine, centre)
    params = apply_similarity(init, sim, rest_pelvis(body, init.shape))
    t1 = time.perf_counter()
    fit = body.fit(params)
    chamfer = chamfer_report(human, fit.mesh, samples=options.chamfer_samples, seed=options.seed)
    paper_mesh = Mesh(_apply_affine(affine, start).astype(np.float32), body.faces, name="body_paper")
    paper = PaperAlignment(
        transform=affine,
        prescale=factors,
        mesh=paper_mesh,
        chamfer=chamfer_report(human, paper_mesh, samples=options.chamfer_samples, seed=options.seed),
        losses=losses,
        scene_extent_m=extent,
    )
    return Registration(
        params=params,
        fit=fit,
        chamfer=chamfer,
        init=init,
        similarity=sim,
        timings_s={"similarity": t1 - t0, "refine": 0.0, "chamfer": time.perf_counter() - t1},
        tried=1,
        method="paper",
        paper=paper,
    )


REGISTRATIONS: dict[str, RegistrationMethodSpec] = {
    "refine": RegistrationMethodSpec(
        _register_refine, False,
        "ours: hypotheses, robust similarity (L-BFGS), pose + shape refinement with priors"),
    "paper": RegistrationMethodSpec(
        _register_paper, True,
        "official HOI3DGen: OBB anisotropic pre-scale, centroid, 7-DoF Adam lr 1e-2 x 50 on 5000 points, "
        "squared Chamfer, no refinement"),
}
"""Registration method name (`RegisterOptions.method`) → implementation."""

PAPER_REGISTER_OPTIONS = RegisterOptions(method="paper", chamfer_samples=5000)
"""The release's registration (module docstring): Adam lr 1e-2 × 50 iterations
on 5000 cloud points; Chamfer reported on 5000 samples."""
