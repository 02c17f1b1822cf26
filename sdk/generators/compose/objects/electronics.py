"""Desk electronics builders: keyboard and monitor ("held").

Both face +Z (the user sits at +Z). A keyboard lies flat, its keys up; a
monitor stands on its foot, the screen facing +Z. Two hands carry them by
their ±X ends (`side_left` = +X, `side_right` = -X).
"""

from __future__ import annotations

import numpy as np

from hoiexport.sdk.generators.compose.objects.base import Anchor, Blueprint
from hoiexport.sdk.generators.compose.objects.geometry import (
    Part,
    beam,
    frame_of,
    hull_spheres,
    rounded_box,
)
from hoiexport.sdk.generators.compose.objects.materials import Material
from hoiexport.sdk.generators.compose.objects.sampling import pick, style, uniform

_CASES = [(30, 30, 32), (45, 46, 50), (215, 215, 212), (120, 122, 128)]
KEY_PITCH_M = 0.019
"""Distance between neighbouring key centres (1 u), metres (ISO/ANSI keyboards)."""

_MAIN_ROWS: tuple[tuple[float, ...], ...] = (
    (1, -1, 1, 1, 1, 1, -0.5, 1, 1, 1, 1, -0.5, 1, 1, 1, 1),  # Esc, F1–F12 (negative: a gap)
    (1,) * 13 + (2,),
    (1.5,) + (1,) * 12 + (1.5,),
    (1.75,) + (1,) * 11 + (2.25,),
    (2.25,) + (1,) * 10 + (2.75,),
    (1.25, 1.25, 1.25, 6.25, 1.25, 1.25, 1.25, 1.25),
)
"""Key widths (in u) of the main block, back row (function keys) first; each row is 15 u."""
_NAV_ROWS: tuple[tuple[float, ...], ...] = ((1, 1, 1), (1, 1, 1), (1, 1, 1), (), (-1, 1, -1), (1, 1, 1))
_PAD_ROWS: tuple[tuple[float, ...], ...] = ((), (1, 1, 1, 1), (1, 1, 1, 1), (1, 1, 1, 1), (1, 1, 1, 1), (2, 1, 1))


# --------------------------------------------------------------------------- keyboard


def _key_row(widths: tuple[float, ...], x0: float, z: float, y: float, cap: float) -> tuple[list[Part], float]:
    """Key caps of one row starting at x0 and running towards +X (the typist, at +Z
    facing -Z, has their left at -X); negative widths are gaps. Returns the parts
    and the row's end x."""
    parts = []
    x = x0
    for wu in widths:
        width = abs(wu) * KEY_PITCH_M
        if wu > 0:
            parts.append(Part(rounded_box((width - 0.003, cap, KEY_PITCH_M - 0.003), (x + width / 2, y, z), 0.0015),
                              "keys", refine=False))
        x += width
    return parts, x


def build_keyboard(rng: np.random.Generator, variant: str | None, action: str | None) -> Blueprint:
    """A computer keyboard lying flat: a case rising slightly towards the back and
    the key caps of a 104-key (full) or 87-key (compact) layout.

    Ranges: full 0.43–0.47 m wide, compact 0.36–0.39 m; 0.125–0.155 m deep;
    0.025–0.04 m tall to the key tops.
    """
    kind = style(rng, variant, ("full", "compact"))
    margin = uniform(rng, 0.008, 0.016)
    units = 15 + 0.5 + 3 + (0.5 + 4 if kind == "full" else 0.0)
    w = units * KEY_PITCH_M + 2 * margin
    n_rows = 6
    d = n_rows * KEY_PITCH_M + 0.25 * KEY_PITCH_M + 2 * margin
    t_front, t_back = uniform(rng, 0.014, 0.018), uniform(rng, 0.022, 0.03)
    corner = 0.004
    pts = [(sx * (w / 2 - corner), y, sz * (d / 2 - corner))
           for sx in (-1, 1) for sz in (-1, 1) for y in (corner, (t_front if sz > 0 else t_back) - corner)]
    parts = [Part(hull_spheres(pts, corner, 6), "main", "box", frame_of(np.eye(3), (0.0, 0.0, 0.0)))]
    cap = 0.009
    key_parts: list[Part] = []
    x_left = -w / 2 + margin  # the typist's left (-X in object terms: the typist faces -Z)
    for r in range(n_rows):
        # row 0 (function keys) at the back (-Z), with a quarter-u gap before the rest
        z = -d / 2 + margin + KEY_PITCH_M / 2 + r * KEY_PITCH_M + (0.25 * KEY_PITCH_M if r > 0 else 0.0)
        surface = t_back + (t_front - t_back) * (z + d / 2) / d
        y = surface + cap / 2 - 0.003
        blocks = [(_MAIN_ROWS[r], x_left), (_NAV_ROWS[r], x_left + 15.5 * KEY_PITCH_M)]
        if kind == "full":
            blocks.append((_PAD_ROWS[r], x_left + 19 * KEY_PITCH_M))
        for widths, x0 in blocks:
            row, _ = _key_row(widths, x0, z, y, cap)
            key_parts += row
    parts += key_parts
    top = max(t_back, t_front) + cap - 0.003
    y_mid = (t_front + t_back) / 4
    anchors = {
        "keys": Anchor.at((0.0, (t_front + t_back) / 2 + cap - 0.003, 0.0), (0, 1, 0), (1, 0, 0)),
        "side_left": Anchor.at((w / 2, y_mid, 0.0), (1, 0, 0), (0, 0, 1)),
        "side_right": Anchor.at((-w / 2, y_mid, 0.0), (-1, 0, 0), (0, 0, 1)),
        "front": Anchor.at((0.0, t_front / 2, d / 2), (0, 0, 1), (1, 0, 0)),
    }
    case = pick(rng, _CASES)
    keys = (235, 235, 232) if np.mean(case) > 150 else (38, 38, 40)
    slots = {"main": Material("plastic", case), "keys": Material("plastic", keys)}
    dims = {"keyboard_width": w, "keyboard_depth": d, "keyboard_height": top}
    return Blueprint(parts, slots, dims, anchors, "held", {"variant": kind}, edge_length=0.05)


# --------------------------------------------------------------------------- monitor


def build_monitor(rng: np.random.Generator, variant: str | None, action: str | None) -> Blueprint:
    """A flat-screen computer monitor: a thin panel with a glass screen inside its
    bezel, a back housing, a neck and a flat foot.

    Ranges: 21–27 inch panels 0.48–0.58 m wide × 0.29–0.35 m tall, 18–25 mm
    thick; panel bottom 0.07–0.12 m above the foot's underside; foot
    0.20–0.26 × 0.16–0.22 m.
    """
    pw, ph, pt = uniform(rng, 0.48, 0.58), uniform(rng, 0.29, 0.35), uniform(rng, 0.018, 0.025)
    lift = uniform(rng, 0.07, 0.12)
    fw, fd, ft = uniform(rng, 0.20, 0.26), uniform(rng, 0.16, 0.22), uniform(rng, 0.012, 0.018)
    yc, zc = lift + ph / 2, 0.0  # the panel on the foot's mid-plane: the middle of the object's depth
    parts = [Part(rounded_box((pw, ph, pt), (0.0, yc, zc), 0.004), "main")]
    bezel, chin = uniform(rng, 0.006, 0.012), uniform(rng, 0.012, 0.025)
    sw, sh = pw - 2 * bezel, ph - bezel - chin
    parts.append(Part(rounded_box((sw, sh, 0.002), (0.0, lift + chin + sh / 2, zc + pt / 2), 0.0008), "screen"))
    hw, hh, hd = pw * 0.55, ph * 0.55, uniform(rng, 0.025, 0.035)
    z_back = zc - pt / 2
    parts.append(Part(rounded_box((hw, hh, hd + 0.004), (0.0, yc, z_back - hd / 2 + 0.002), 0.01), "main"))
    parts.append(Part(rounded_box((fw, ft, fd), (0.0, ft / 2, 0.0), 0.005), "main"))
    z_neck = z_back - hd + 0.008
    p0, p1 = np.array([0.0, ft - 0.004, z_neck - 0.02]), np.array([0.0, yc, z_neck])
    neck, nf = beam(p0, p1, uniform(rng, 0.045, 0.07), 0.02, 0.005, up=(0, 0, 1))
    parts.append(Part(neck, "main", "box", nf))
    anchors = {
        "screen": Anchor.at((0.0, lift + chin + sh / 2, zc + pt / 2 + 0.001), (0, 0, 1), (1, 0, 0)),
        "top_edge": Anchor.at((0.0, lift + ph, zc), (0, 1, 0), (1, 0, 0)),
        "side_left": Anchor.at((pw / 2, yc, zc), (1, 0, 0), (0, 1, 0)),
        "side_right": Anchor.at((-pw / 2, yc, zc), (-1, 0, 0), (0, 1, 0)),
        "back": Anchor.at((0.0, yc, z_back - hd), (0, 0, -1), (1, 0, 0)),
    }
    slots = {"main": Material("plastic", pick(rng, _CASES)), "screen": Material("glass", (14, 16, 22))}
    dims = {"panel_width": pw, "panel_height": ph, "panel_thickness": pt, "diagonal_in": float(np.hypot(sw, sh) / 0.0254)}
    return Blueprint(parts, slots, dims, anchors, "held", {"bezel_mm": f"{1000 * bezel:.0f}"}, edge_length=0.03)
