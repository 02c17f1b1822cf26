"""Ball builder: soccer, basketball, volleyball, beach or plain ball.

The sphere's uv is the mirrored longitude |atan2(z, x)| / π and the latitude
(see `geometry.project_uv`), so every pattern here is drawn as a function of the
direction and is symmetric under z → -z (the mirror the uv cannot tell apart).
"""

from __future__ import annotations

import numpy as np
from hoiexport.sdk.generators.compose.objects.base import Anchor, Blueprint
from hoiexport.sdk.generators.compose.objects.geometry import Part, frame_of, sphere
from hoiexport.sdk.generators.compose.objects.materials import Material, TilePainter, material_tile

_PHI = (1 + 5**0.5) / 2
_ICOSA = np.array(
    [[0, s1, s2 * _PHI] for s1 in (-1, 1) for s2 in (-1, 1)]
    + [[s1, s2 * _PHI, 0] for s1 in (-1, 1) for s2 in (-1, 1)]
    + [[s2 * _PHI, 0, s1] for s1 in (-1, 1) for s2 in (-1, 1)],
    float,
)
_ICOSA /= np.linalg.norm(_ICOSA, axis=1, keepdims=True)
"""The 12 pentagon centres of a truncated icosahedron (soccer ball), symmetric
under every coordinate sign flip."""

RADIUS_RANGES: dict[str, tuple[float, float]] = {
    "soccer": (0.108, 0.112),
    "basketball": (0.117, 0.122),
    "volleyball": (0.103, 0.107),
    "beach": (0.15, 0.25),
    "plain": (0.09, 0.12),
    "yoga": (0.275, 0.375),
}
"""Ball radius range per variant, metres (FIFA size 5, FIBA size 7, FIVB, 55–75 cm
exercise balls, ...)."""

_DEFAULT = {
    "soccer": Material("plastic", (240, 240, 238)),
    "basketball": Material("rubber", (205, 95, 40)),
    "volleyball": Material("plastic", (240, 238, 230)),
    "beach": Material("plastic", (220, 40, 40)),
    "plain": Material("rubber", (200, 40, 40)),
    "yoga": Material("rubber", (80, 120, 200)),
}


def _directions(side: int) -> np.ndarray:
    """(side, side, 3) unit directions of each texel under the mirrored lat-long uv."""
    u = (np.arange(side) + 0.5) / side
    v = (np.arange(side) + 0.5) / side
    lon = u[None, :] * np.pi
    lat = v[:, None] * np.pi
    return np.stack(
        [np.sin(lat) * np.cos(lon), np.cos(lat) * np.ones_like(lon), np.sin(lat) * np.sin(lon)], axis=-1
    )


def _contrast(color: tuple[int, int, int]) -> np.ndarray:
    return np.array((25, 25, 28) if np.mean(color) > 110 else (240, 240, 238), float)


def _paint(variant: str) -> TilePainter:
    """A tile painter for `materials.build_atlas` drawing the variant's pattern."""

    def painter(k: int, mat: Material, side: int, rng: np.random.Generator) -> np.ndarray:
        base = material_tile(mat, rng, side).astype(float)
        d = _directions(side)
        ink = _contrast(mat.color)
        if variant == "soccer":
            ang = np.arccos(np.clip(d @ _ICOSA.T, -1, 1)).min(axis=-1)
            patch = ang < 0.36
            seam = (ang > 0.36) & (ang < 0.38)
            base[patch] = ink * 0.9 + base[patch] * 0.1
            base[seam] *= 0.6
        elif variant == "basketball":
            w = 0.022
            line = (np.abs(d[..., 0]) < w) | (np.abs(d[..., 1]) < w) | (np.abs(np.abs(d[..., 2]) - 0.72) < w * 0.8)
            base[line] = (25, 22, 20)
        elif variant == "volleyball":
            dom = np.abs(d).argmax(axis=-1)
            colors = [np.array(mat.color, float), np.array((240, 200, 40), float), np.array((30, 70, 160), float)]
            for a in range(3):
                base[dom == a] = base[dom == a] * 0.2 + colors[a] * 0.8
            edge = np.sort(np.abs(d), axis=-1)
            base[(edge[..., 2] - edge[..., 1]) < 0.02] *= 0.7
        elif variant == "beach":
            lon = np.arctan2(d[..., 2], d[..., 0])
            gore = np.floor(np.abs(lon) / (np.pi / 3)).astype(int).clip(0, 2)
            colors = [np.array(mat.color, float), np.array((245, 245, 240), float), np.array((40, 110, 210), float)]
            for g in range(3):
                base[gore == g] = colors[g]
            base[np.abs(d[..., 1]) > 0.93] = (245, 245, 240)
        return np.clip(np.round(base), 0, 255).astype(np.uint8)

    return painter


def build_ball(rng: np.random.Generator, variant: str | None, action: str | None) -> Blueprint:
    """A ball resting on the floor (centre at y = radius).

    Ranges (radius, m): soccer 0.108–0.112, basketball 0.117–0.122, volleyball
    0.103–0.107, beach 0.15–0.25, plain 0.09–0.12, yoga (exercise ball)
    0.275–0.375.
    """
    kind = variant if variant in RADIUS_RANGES else str(rng.choice(["soccer", "basketball", "volleyball", "plain"]))
    r = float(rng.uniform(*RADIUS_RANGES[kind]))
    parts = [Part(sphere(r, (0.0, r, 0.0), 48), "main", "sphere", frame_of(np.eye(3), (0.0, r, 0.0)))]
    anchors = {
        "center": Anchor.at((0.0, r, 0.0), (0, 1, 0), (0, 0, 1)),
        "top": Anchor.at((0.0, 2 * r, 0.0), (0, 1, 0), (0, 0, 1)),
        "bottom": Anchor.at((0.0, 0.0, 0.0), (0, -1, 0), (0, 0, 1)),
        "side_left": Anchor.at((r, r, 0.0), (1, 0, 0), (0, 1, 0)),
        "side_right": Anchor.at((-r, r, 0.0), (-1, 0, 0), (0, 1, 0)),
        "back": Anchor.at((0.0, r, -r), (0, 0, -1), (0, 1, 0)),
    }
    return Blueprint(parts, {"main": _DEFAULT[kind]}, {"radius": r, "diameter": 2 * r}, anchors, "held",
                     {"variant": kind}, edge_length=1.0, painter=None if kind in ("plain", "yoga") else _paint(kind),
                     floor_trim=False)
