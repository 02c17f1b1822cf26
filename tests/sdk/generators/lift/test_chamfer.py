"""Chamfer in both conventions: unsquared point-to-surface (ours, cm) and squared point-to-point as
pytorch3d's `chamfer_distance` (the release's registration loss, cm²), on hand-computed cases."""

from __future__ import annotations

import numpy as np
import pytest
from hoiexport.sdk.core.errors import InputError
from hoiexport.sdk.core.types import Mesh
from hoiexport.sdk.generators.lift.chamfer import (
    CHAMFER_DEFINITION,
    SQUARED_CHAMFER_DEFINITION,
    chamfer_report,
    squared_chamfer,
)


def test_squared_chamfer_by_hand():
    # one point each, 3-4-5 apart: 25 each way; pytorch3d's loss is their SUM, 50
    assert squared_chamfer(np.zeros((1, 3)), np.array([[3.0, 4.0, 0.0]])) == (25.0, 25.0)
    a = np.array([[0.0, 0.0, 0.0], [1.0, 0.0, 0.0]])
    b = np.array([[0.0, 0.0, 1.0]])
    # a → b: 1 and 2 (squared), mean 1.5; b → a: the nearer a, 1
    assert squared_chamfer(a, b) == pytest.approx((1.5, 1.0))
    assert squared_chamfer(b, a) == pytest.approx((1.0, 1.5))  # the directions swap, nothing else
    with pytest.raises(InputError, match="non-empty"):
        squared_chamfer(np.zeros((0, 3)), b)


def _grid(spacing: float, z: float) -> Mesh:
    """A 1 m × 1 m square at height z, triangulated on a grid of `spacing`."""
    n = int(round(1.0 / spacing)) + 1
    xs = np.linspace(0.0, 1.0, n)
    x, y = np.meshgrid(xs, xs, indexing="ij")
    vertices = np.c_[x.ravel(), y.ravel(), np.full(n * n, z)]
    idx = np.arange(n * n).reshape(n, n)
    a, b, c, d = idx[:-1, :-1].ravel(), idx[1:, :-1].ravel(), idx[1:, 1:].ravel(), idx[:-1, 1:].ravel()
    faces = np.r_[np.c_[a, b, c], np.c_[a, c, d]]
    return Mesh(vertices, faces)


def test_both_conventions_on_parallel_squares_2_cm_apart():
    """Unsquared point-to-surface: exactly 2 cm. Squared, human samples → body vertices on a 1 cm grid:
    2² + E[dx² + dy²] over a grid cell = 4 + 2 · 1²/12 = 4.1667 cm²; body vertices → human samples adds
    the samples' own spacing (Poisson nearest neighbour: 1 / (π · 0.5 per cm²) ≈ 0.64 cm²)."""
    human, body = _grid(0.01, 0.0), _grid(0.01, 0.02)
    report = chamfer_report(human, body, samples=5000, seed=0)
    assert report.chamfer_cm == pytest.approx(2.0, abs=1e-6)
    assert report.human_to_body_cm == pytest.approx(2.0, abs=1e-6) == report.body_to_human_cm
    assert report.squared_human_to_body_cm2 == pytest.approx(4.0 + 1.0 / 6.0, abs=0.05)
    assert 4.3 < report.squared_body_to_human_cm2 < 4.9
    assert report.squared_cm2 == pytest.approx(report.squared_human_to_body_cm2 + report.squared_body_to_human_cm2)
    data = report.to_json()
    assert data["definition"] == CHAMFER_DEFINITION and "unsquared" in data["definition"]
    assert data["squared_definition"] == SQUARED_CHAMFER_DEFINITION and "summed" in data["squared_definition"]
    assert data["squared_cm2"] == pytest.approx(report.squared_cm2, abs=1e-4)


def test_the_conventions_scale_differently():
    """Twice the offset: unsquared doubles, the squared distance part quadruples."""
    human = _grid(0.01, 0.0)
    near = chamfer_report(human, _grid(0.01, 0.02), samples=3000, seed=1)
    far = chamfer_report(human, _grid(0.01, 0.04), samples=3000, seed=1)
    assert far.chamfer_cm == pytest.approx(2 * near.chamfer_cm, rel=1e-6)
    # same samples and grid: only the 2² → 4² part changes, in each direction
    assert far.squared_human_to_body_cm2 - near.squared_human_to_body_cm2 == pytest.approx(12.0, abs=1e-6)
    assert far.squared_body_to_human_cm2 - near.squared_body_to_human_cm2 == pytest.approx(12.0, abs=1e-6)


def test_chamfer_report_is_deterministic():
    human, body = _grid(0.02, 0.0), _grid(0.02, 0.01)
    assert chamfer_report(human, body, samples=1000, seed=3) == chamfer_report(human, body, samples=1000, seed=3)
