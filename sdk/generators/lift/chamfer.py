"""Chamfer distance between two surfaces in two conventions, and the robust
residual used to fit them.

Reported Chamfer (DESIGN §7b), `CHAMFER_DEFINITION`: the bidirectional mean of
unsquared distances, in centimetres: `(mean_a d(a, B) + mean_b d(b, A)) / 2`,
where the a's and b's are area-uniform samples of surfaces A and B and d is the
exact point-to-surface (point–triangle) distance. Unsquared, so a number in cm
reads as "on average the surfaces are this far apart".

Squared Chamfer, `SQUARED_CHAMFER_DEFINITION`: the convention of the official
HOI3DGen registration (agshar96/Hoi3DGen
`scripts/segmentMeshes/reproject_and_align_camHMR.py`, which minimises
`pytorch3d.loss.chamfer_distance(target_points, smpl_vertices)` with its
defaults: squared Euclidean nearest-POINT distances, `point_reduction="mean"`
per direction, and the two directions SUMMED, not averaged):
`mean_a min_v |a − v|² + mean_v min_a |v − a|²` over the human points a and the
body's vertices v, here in cm². Point-to-point, so it keeps a sampling floor of
roughly (spacing / 2)² per direction (≈ 0.5–1 cm² for 5000 points on a human).
The release optimises it in the scene-normalised frame (scene extent 1) and only
prints it; it has no evaluation script, so how the paper turns its registration
error into "cm" cannot be read from the public code. Multiply cm² by
1e-4 / extent_m² for the release's own scene units.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypeVar

import numpy as np
import torch
import trimesh
from scipy.spatial import cKDTree

from hoiexport.sdk.core.errors import InputError
from hoiexport.sdk.core.types import Mesh
from hoiexport.sdk.geometry.surface import SurfaceQuery

CHAMFER_DEFINITION = (
    "bidirectional mean of unsquared point-to-surface distances, cm: "
    "(mean over human-mesh samples of the distance to the body + "
    "mean over body samples of the distance to the human mesh) / 2"
)

SQUARED_CHAMFER_DEFINITION = (
    "squared Chamfer as pytorch3d.loss.chamfer_distance (the official HOI3DGen registration loss), cm^2: "
    "mean over human points of the squared distance to the nearest body vertex + "
    "mean over body vertices of the squared distance to the nearest human point (summed, point-to-point)"
)


@dataclass
class ChamferReport:
    """Chamfer distance between a human mesh and a registered body.

    Attributes:
        human_to_body_cm: mean distance from human-surface samples to the body, cm.
        body_to_human_cm: mean distance from body-surface samples to the human surface, cm.
        chamfer_cm: their mean (the reported Chamfer, `CHAMFER_DEFINITION`).
        samples: samples drawn on each surface.
        squared_human_to_body_cm2: mean squared distance from the human
            samples to the nearest body vertex, cm².
        squared_body_to_human_cm2: mean squared distance from the body
            vertices to the nearest human sample, cm².
        squared_cm2: their sum (`SQUARED_CHAMFER_DEFINITION`, the official
            registration's loss), cm².
    """

    human_to_body_cm: float
    body_to_human_cm: float
    chamfer_cm: float
    samples: int
    squared_human_to_body_cm2: float
    squared_body_to_human_cm2: float
    squared_cm2: float

    def to_json(self) -> dict:
        return {
            "chamfer_cm": round(self.chamfer_cm, 4),
            "human_to_body_cm": round(self.human_to_body_cm, 4),
            "body_to_human_cm": round(self.body_to_human_cm, 4),
            "samples": self.samples,
            "definition": CHAMFER_DEFINITION,
            "squared_cm2": round(self.squared_cm2, 4),
            "squared_human_to_body_cm2": round(self.squared_human_to_body_cm2, 4),
            "squared_body_to_human_cm2": round(self.squared_body_to_human_cm2, 4),
            "squared_definition": SQUARED_CHAMFER_DEFINITION,
        }


def sample_surface(mesh: Mesh, count: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Area-uniform random points on a mesh.

    Args:
        mesh: the surface (metres).
        count: number of points.
        seed: random seed (same seed, same points).

    Returns:
        points (count, 3) float64 metres, and (count,) int64 face of each point.
    """
    if len(mesh.faces) == 0:
        raise InputError(f"mesh {mesh.name!r} has no triangles to sample")
    tm = trimesh.Trimesh(mesh.vertices.astype(np.float64), mesh.faces, process=False)
    points, faces = trimesh.sample.sample_surface(tm, count, seed=seed)
    return np.asarray(points, np.float64), np.asarray(faces, np.int64)


def point_to_surface(points: np.ndarray, mesh: Mesh, candidates: int = 16) -> np.ndarray:
    """(N,) float64 distance from each point to `mesh`, metres.

    `SurfaceQuery.closest_near`: the exact point–triangle distance to each of
    the `candidates` faces with the nearest centroids, minimised. It equals the
    true distance whenever the closest face is among them (always, for points
    near a surface whose faces are of similar size) and never underestimates it.

    Raises:
        InputError: `mesh` has no triangles or non-finite vertices.
    """
    return SurfaceQuery(mesh).closest_near(points, candidates).distance


def squared_chamfer(a: np.ndarray, b: np.ndarray) -> tuple[float, float]:
    """Both directions of the squared point-set Chamfer, as pytorch3d's
    `chamfer_distance` with its defaults computes them (its loss is their sum).

    Args:
        a: (N, 3) points.
        b: (M, 3) points, same frame and unit.

    Returns:
        mean over a of the squared distance to the nearest b, and mean over b
        of the squared distance to the nearest a, in the input unit squared.

    Raises:
        InputError: an empty or non-finite point set.
    """
    a = np.asarray(a, np.float64).reshape(-1, 3)
    b = np.asarray(b, np.float64).reshape(-1, 3)
    if len(a) == 0 or len(b) == 0 or not (np.isfinite(a).all() and np.isfinite(b).all()):
        raise InputError(f"squared_chamfer needs non-empty finite point sets, got {len(a)} and {len(b)} points")
    d_ab, _ = cKDTree(b).query(a)
    d_ba, _ = cKDTree(a).query(b)
    return float(np.mean(d_ab**2)), float(np.mean(d_ba**2))


def chamfer_report(human: Mesh, body: Mesh, samples: int = 5000, seed: int = 0) -> ChamferReport:
    """The Chamfer between two surfaces in both conventions (module docstring).

    Unsquared: `samples` area-uniform samples of each surface, exact
    point-to-surface distances, cm. Squared: the same human samples against the
    body's vertices (as the official code uses the SMPL mesh's vertices),
    point-to-point, cm².

    Args:
        human: the human surface (e.g. the segmented, generated human), metres.
        body: the registered body surface, metres, same frame.
        samples: samples per surface.
        seed: sampling seed.
    """
    a, _ = sample_surface(human, samples, seed)
    b, _ = sample_surface(body, samples, seed + 1)
    a_to_b = point_to_surface(a, body)
    b_to_a = point_to_surface(b, human)
    h2b, b2h = float(a_to_b.mean() * 100.0), float(b_to_a.mean() * 100.0)
    sq_h2b, sq_b2h = squared_chamfer(a * 100.0, np.asarray(body.vertices, np.float64) * 100.0)
    return ChamferReport(h2b, b2h, 0.5 * (h2b + b2h), samples, sq_h2b, sq_b2h, sq_h2b + sq_b2h)


_Squared = TypeVar("_Squared", torch.Tensor, np.ndarray)


def geman_mcclure(squared: _Squared, sigma: float) -> _Squared:
    """Geman–McClure robust penalty of squared residuals, metres²:
    ρ(r) = σ² r² / (σ² + r²): ≈ r² for r ≪ σ, saturating at σ² for outliers."""
    s2 = sigma * sigma
    return s2 * squared / (s2 + squared)
