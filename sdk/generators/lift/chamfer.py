"""Chamfer distance between two surfaces, and the robust residual used to fit them.

Reported Chamfer (DESIGN §7b): the bidirectional mean of unsquared distances,
in centimetres: `(mean_a d(a, B) + mean_b d(b, A)) / 2`, where the a's and b's
are area-uniform samples of surfaces A and B and d is the exact point-to-surface
(point–triangle) distance. Unsquared, so a number in cm reads as "on average the
surfaces are this far apart".
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypeVar

import numpy as np
import torch
import trimesh

from hoiexport.sdk.core.errors import InputError
from hoiexport.sdk.core.types import Mesh
from hoiexport.sdk.geometry.surface import SurfaceQuery

CHAMFER_DEFINITION = (
    "bidirectional mean of unsquared point-to-surface distances, cm: "
    "(mean over human-mesh samples of the distance to the body + "
    "mean over body samples of the distance to the human mesh) / 2"
)


@dataclass
class ChamferReport:
    """Chamfer distance between a human mesh and a registered body.

    Attributes:
        human_to_body_cm: mean distance from human-surface samples to the body, cm.
        body_to_human_cm: mean distance from body-surface samples to the human surface, cm.
        chamfer_cm: their mean (the reported Chamfer, `CHAMFER_DEFINITION`).
        samples: samples drawn on each surface.
    """

    human_to_body_cm: float
    body_to_human_cm: float
    chamfer_cm: float
    samples: int

    def to_json(self) -> dict:
        return {
            "chamfer_cm": round(self.chamfer_cm, 4),
            "human_to_body_cm": round(self.human_to_body_cm, 4),
            "body_to_human_cm": round(self.body_to_human_cm, 4),
            "samples": self.samples,
            "definition": CHAMFER_DEFINITION,
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


def chamfer_report(human: Mesh, body: Mesh, samples: int = 5000, seed: int = 0) -> ChamferReport:
    """The reported Chamfer between two surfaces (module docstring), cm.

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
    return ChamferReport(h2b, b2h, 0.5 * (h2b + b2h), samples)


_Squared = TypeVar("_Squared", torch.Tensor, np.ndarray)


def geman_mcclure(squared: _Squared, sigma: float) -> _Squared:
    """Geman–McClure robust penalty of squared residuals, metres²:
    ρ(r) = σ² r² / (σ² + r²): ≈ r² for r ≪ σ, saturating at σ² for outliers."""
    s2 = sigma * sigma
    return s2 * squared / (s2 + squared)
