"""Initial body estimates for registration (DESIGN §7 stage 6).

`BodyEstimator` is the narrow protocol of the first guess of a body's pose,
orientation, position and size on a human surface; the GPU chain plugs an image
regressor (CameraHMR class) in here. `PointCloudEstimator` is the CPU default,
from the human surface alone:

1. Upright prior: the surface stands along +Y.
2. Facing: yaws evenly spaced from a normal of the torso band's principal
   horizontal axis (`facing_yaws`).
3. Candidates: every canonical pose (`poses.py`, plus any extra poses given)
   at every facing, each scaled by height ratio, placed by bounding-box centre
   and one robust translation step, scored by the bidirectional mean of
   capped distances over a subset of body vertices.
4. Limb-state descent from the best candidate of each of the best few
   facings: one limb group at a time (each arm,
   the legs, the spine; `poses.LIMB_STATES`), try its other states, keep any
   that lowers the score; repeat while it improves. This reaches combinations
   no canonical pose lists (right arm forward, left arm up, sitting). The
   compose action library's poses (`poses.action_library_poses`: pushing,
   lifting, kicking, lying ...) are scored at the best facings too.
5. The best few get a robust similarity fit (`register.fit_similarity`); the
   lowest energy wins.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

import numpy as np
import torch
from hoiexport.sdk.bodies.protocol import BodyModel, BodyParams
from hoiexport.sdk.generators.lift.chamfer import sample_surface
from hoiexport.sdk.generators.lift.poses import (
    CANONICAL_POSES,
    LIMB_STATES,
    action_library_poses,
    aim_pose,
    canonical_poses,
    compose_targets,
    full_states,
)
from hoiexport.sdk.generators.lift.register import (
    RegisterOptions,
    Similarity,
    SubsetPoser,
    apply_similarity,
    posed_vertices,
    body_subset,
    fit_similarity,
    surface_normals,
)
from hoiexport.sdk.core.threads import limit_threads
from hoiexport.sdk.core.types import Mesh
from hoiexport.sdk.geometry.normals import vertex_normals
from scipy.spatial import cKDTree
from scipy.spatial.transform import Rotation


@runtime_checkable
class BodyEstimator(Protocol):
    """First guess of the body on a human surface."""

    name: str

    def estimate(self, human: Mesh, body: BodyModel) -> list[BodyParams]:
        """Initial `BodyParams` of `body` for the human surface (internal frame,
        metres): one or more hypotheses, most likely first."""
        ...


@dataclass(frozen=True)
class EstimatorOptions:
    """Settings of `PointCloudEstimator`.

    Attributes:
        samples: human-surface samples used for scoring.
        body_points: body vertices used for scoring (area-weighted random subset).
        yaw_steps: facings tried per pose (`facing_yaws`).
        descent_starts: facings (the best ones) whose best candidate is refined
            by limb-state descent.
        descent_passes: passes over the limb groups per descent.
        library_facings: the compose action library's poses
            (`poses.action_library_poses`) are scored at this many of the best
            facings (0: not at all).
        top_k: candidates re-ranked by a similarity fit (0: none; `register_body`
            screens the hypotheses itself).
        hypotheses: candidates `estimate` returns (for `register.register_body` to screen).
        similarity_sigmas_cm: Geman–McClure σ of that fit's rounds, cm.
        seed: sampling seed.
    """

    samples: int = 800
    body_points: int = 500
    yaw_steps: int = 8
    descent_starts: int = 2
    descent_passes: int = 1
    library_facings: int = 2
    top_k: int = 0
    hypotheses: int = 3
    similarity_sigmas_cm: tuple[float, ...] = (10.0, 6.0)
    seed: int = 0


@dataclass
class Candidate:
    """One scored initial guess.

    Attributes:
        pose_name: canonical pose name, limb states, or "name/side" of a
            library pose.
        yaw_deg: facing, degrees about +Y (0 = facing +Z).
        pose: (24, 3) float32 axis-angle pose before placement.
        score_cm: its trimmed Chamfer (mean of both directions, cm) or, after the
            similarity fit, its robust energy.
        states: its limb states (`poses.LIMB_STATES`), None for an extra pose.
        facing_deg: the searched facing it came from.
        placement: the similarity placing the posed body (unit scale, rest
            pelvis `pelvis`) on the surface; `params` folds it in.
        pelvis: (3,) rest pelvis joint, metres.
        fitted: the body parameters once computed (or given, after a
            similarity fit); read them through `params`.
    """

    pose_name: str
    yaw_deg: float
    pose: np.ndarray
    score_cm: float
    states: dict[str, str] | None = None
    facing_deg: float = 0.0
    placement: Similarity = field(default_factory=Similarity)
    pelvis: np.ndarray = field(default_factory=lambda: np.zeros(3))
    fitted: BodyParams | None = None

    @property
    def params(self) -> BodyParams:
        """Body parameters of the guess (computed on first use: most candidates
        are only scored)."""
        if self.fitted is None:
            self.fitted = apply_similarity(BodyParams(pose=self.pose), self.placement, self.pelvis)
        return self.fitted


def facing_yaws(points: np.ndarray, steps: int = 8) -> list[float]:
    """Candidate facings, yaw about +Y in degrees (0 = facing +Z).

    The principal horizontal axis of the torso band (30–70 % of the height) is
    the shoulder / hip line, so a normal of it is the likely facing; `steps`
    yaws evenly spaced from that one cover the sign ambiguity and poses that
    mislead the axis (arms held forward).

    Args:
        points: (N, 3) human-surface samples, +Y up, metres.
        steps: number of yaws.
    """
    y = points[:, 1]
    lo, hi = np.percentile(y, [1.0, 99.0])
    band = points[(y > lo + 0.3 * (hi - lo)) & (y < lo + 0.7 * (hi - lo))]
    if len(band) < 10:
        band = points
    xz = band[:, [0, 2]] - band[:, [0, 2]].mean(axis=0)
    _, evecs = np.linalg.eigh(xz.T @ xz)
    lateral = evecs[:, 1]  # largest variance: the shoulder / hip line
    yaw = float(np.degrees(np.arctan2(-lateral[1], lateral[0])))  # facing = lateral turned by 90°
    return [((yaw + k * 360.0 / steps + 180.0) % 360.0) - 180.0 for k in range(steps)]


_SCORE_CAP_M = 0.15
"""Distances are capped at this in candidate scores: a missing or misplaced limb
costs the same however far off it is, and a stray point cannot dominate. (Not
trimmed: a wrongly placed arm is about the largest few percent of the residuals,
exactly what trimming would throw away.)"""


def _unique(candidates: list[Candidate]) -> list[Candidate]:
    """Candidates without repeats (same pose and facing), order kept."""
    seen, out = set(), []
    for c in candidates:
        key = (np.round(np.asarray(c.pose), 4).tobytes(), round(c.yaw_deg, 3))
        if key not in seen:
            seen.add(key)
            out.append(c)
    return out


class _Scorer:
    """Places a posed candidate on the human samples and scores it (module docstring, step 3)."""

    def __init__(self, points: np.ndarray) -> None:
        self.points = points
        self.tree = cKDTree(points)
        self.y_lo, self.y_hi = np.percentile(points[:, 1], [0.5, 99.5])
        self.centre = 0.5 * (points.min(axis=0) + points.max(axis=0))

    def place(self, name: str, yaw: float, vertices: np.ndarray, pose: np.ndarray, pelvis: np.ndarray,
              states: dict[str, str] | None = None) -> Candidate:
        """The candidate of pose `name` (its posed subset `vertices`) turned to `yaw`, placed and scored."""
        rot = Rotation.from_euler("y", yaw, degrees=True).as_matrix()
        moved = vertices @ rot.T
        lo, hi = moved.min(axis=0), moved.max(axis=0)
        scale = (self.y_hi - self.y_lo) / max(hi[1] - lo[1], 1e-6)
        shift = self.centre - 0.5 * scale * (lo + hi)
        moved = moved * scale + shift
        d_bh, i_bh = self.tree.query(moved)  # one robust translation step
        keep = d_bh <= np.partition(d_bh, (4 * len(d_bh)) // 5)[(4 * len(d_bh)) // 5]
        step = np.median(self.points[i_bh[keep]] - moved[keep], axis=0)
        moved += step
        cap = _SCORE_CAP_M  # distances beyond it score the cap: the searches need not look further
        d_bh, _ = self.tree.query(moved, distance_upper_bound=cap)
        d_hb, _ = cKDTree(moved).query(self.points, distance_upper_bound=cap)
        score = 0.5 * (np.minimum(d_bh, cap).mean() + np.minimum(d_hb, cap).mean()) * 100.0
        sim = Similarity(float(scale), rot, shift + step)
        return Candidate(name, float(yaw), pose, float(score), states, float(yaw), sim, pelvis)


class PointCloudEstimator:
    """Initial estimate from the human surface alone (module docstring).

    Attributes:
        name: "pointcloud".
        options: sampling and search settings.
        extra_poses: more named (24, 3) candidate poses (e.g. an action library's).
    """

    name = "pointcloud"

    def __init__(
        self,
        options: EstimatorOptions | None = None,
        extra_poses: dict[str, np.ndarray] | None = None,
        register_options: RegisterOptions | None = None,
    ) -> None:
        self.options = options or EstimatorOptions()
        self.extra_poses = dict(extra_poses or {})
        self.register_options = register_options or RegisterOptions()
        self.last_candidates: list[Candidate] = []

    def candidates(self, human: Mesh, body: BodyModel) -> list[Candidate]:
        """Every scored guess, best first (the top ones after their similarity fit)."""
        opts = self.options
        points, faces = sample_surface(human, opts.samples, opts.seed)
        normals = surface_normals(human)[faces]
        with torch.no_grad():
            rest = body.forward(torch.zeros(1, 24, 3))
        rest_joints = rest.rest_joints[0].numpy()
        pelvis = rest_joints[0].astype(np.float64)
        poses = {**canonical_poses(rest_joints), **self.extra_poses}
        names = list(poses)
        subset, weights = body_subset(body, opts.body_points, opts.seed)
        poser = SubsetPoser(body, {}, subset)
        verts = dict(zip(names, poser.pose_batch(np.stack([poses[n] for n in names])), strict=True))
        scorer = _Scorer(points)
        scored = [
            scorer.place(name, yaw, verts[name], poses[name], pelvis,
                         full_states(CANONICAL_POSES[name]) if name in CANONICAL_POSES else None)
            for yaw in facing_yaws(points, opts.yaw_steps)
            for name in names
        ]
        scored.sort(key=lambda c: c.score_cm)
        starts: dict[float, Candidate] = {}  # the best candidate of each of the best searched facings
        for cand in scored:
            if cand.states is not None and cand.facing_deg not in starts:
                starts[cand.facing_deg] = cand
            if len(starts) == opts.descent_starts:
                break
        descended = [self._descend(start, poser, rest_joints, scorer, pelvis) for start in starts.values()]
        library = action_library_poses() if opts.library_facings > 0 else {}
        if library:  # the action library at the best facings only: most of its poses are far from most surfaces
            facings = list(dict.fromkeys(c.facing_deg for c in scored))[: opts.library_facings]
            lib_verts = poser.pose_batch(np.stack(list(library.values())))
            descended += [scorer.place(name, yaw, v, pose, pelvis)
                          for yaw in facings
                          for (name, pose), v in zip(library.items(), lib_verts, strict=True)]
        scored = _unique(sorted(descended + scored, key=lambda c: c.score_cm))
        refined = []
        for cand in scored[: opts.top_k]:
            start = posed_vertices(body, cand.params)
            sim, energy = fit_similarity(
                start[subset], vertex_normals(start, body.faces)[subset], points, normals,
                source_weights=weights, init=Similarity(), options=self.register_options,
                sigmas_cm=opts.similarity_sigmas_cm,
            )
            params = apply_similarity(cand.params, sim, pelvis)
            refined.append(Candidate(cand.pose_name, cand.yaw_deg, cand.pose, energy, cand.states, cand.facing_deg,
                                     fitted=params))
        refined.sort(key=lambda c: c.score_cm)
        return refined + scored[opts.top_k :]

    def _descend(self, start: Candidate, poser: SubsetPoser, rest_joints: np.ndarray, scorer: _Scorer,
                 pelvis: np.ndarray) -> Candidate:
        """Coordinate descent over limb states from `start` (module docstring, step 4)."""
        best = start
        for _ in range(self.options.descent_passes):
            improved = False
            for group, options in LIMB_STATES.items():
                assert best.states is not None
                trials = [{**best.states, group: s} for s in options if s != best.states[group]]
                trial_poses = np.stack([aim_pose(rest_joints, compose_targets(t)) for t in trials])
                verts = poser.pose_batch(trial_poses)
                for states, pose, v in zip(trials, trial_poses, verts, strict=True):
                    name = ",".join(f"{g}={st}" for g, st in states.items())
                    cand = scorer.place(name, best.yaw_deg, v, pose, pelvis, states)
                    if cand.score_cm < best.score_cm:
                        best, improved = cand, True
            if not improved:
                break
        return best

    def estimate(self, human: Mesh, body: BodyModel) -> list[BodyParams]:
        """The `options.hypotheses` best candidates' parameters, best first (see `candidates`)."""
        with limit_threads(torch_threads=1, blas_threads=1):
            self.last_candidates = self.candidates(human, body)
        return [c.params for c in self.last_candidates[: self.options.hypotheses]]


__all__ = ["BodyEstimator", "Candidate", "EstimatorOptions", "PointCloudEstimator", "Similarity", "facing_yaws"]
