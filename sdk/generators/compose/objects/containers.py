"""Container builders: box, bottle, mug ("held") and bin ("floor").

Round containers are solids of revolution about +Y; hollow ones (mug, open
wastebasket) are real cups with a cavity, still watertight surfaces.
"""

from __future__ import annotations

import math

import numpy as np
from hoiexport.sdk.generators.compose.objects.base import Anchor, Blueprint
from hoiexport.sdk.generators.compose.objects.geometry import (
    Part,
    arc_tube,
    capsule,
    cylinder,
    frame_of,
    lathe,
    rotation_to,
    rounded_box,
    tapered_box,
)
from hoiexport.sdk.generators.compose.objects.materials import DARK, PLASTICS, Material

_GLAZES = [(236, 233, 226), (40, 70, 130), (170, 40, 40), (30, 30, 32), (120, 160, 120), (220, 200, 150)]
_Z_TO_X = np.array([[0.0, 1.0, 0.0], [-1.0, 0.0, 0.0], [0.0, 0.0, 1.0]])
"""Rotation by -90° about Z: an arc from +X over +Y to -X becomes one from -Y
over +X to +Y (a C bulging towards +X)."""


def _u(rng: np.random.Generator, lo: float, hi: float) -> float:
    return float(rng.uniform(lo, hi))


def _pick(rng: np.random.Generator, options: list):
    return options[int(rng.integers(len(options)))]


def _axis_frame(y: float = 0.0) -> np.ndarray:
    return frame_of(np.eye(3), (0.0, y, 0.0))


# --------------------------------------------------------------------------- box


BOX_SIZES: dict[str, tuple[tuple[float, float], tuple[float, float], tuple[float, float]]] = {
    "tiny": ((0.10, 0.16), (0.08, 0.14), (0.06, 0.12)),
    "small": ((0.18, 0.28), (0.15, 0.24), (0.12, 0.22)),
    "medium": ((0.30, 0.42), (0.25, 0.35), (0.22, 0.35)),
    "large": ((0.45, 0.60), (0.35, 0.45), (0.35, 0.50)),
    "huge": ((0.65, 0.80), (0.50, 0.65), (0.50, 0.70)),
}
"""Size variant → (long side, short side, height) ranges of a cardboard carton, metres
(BEHAVE's tiny / small / medium / large boxes and a huge one)."""


def build_box(rng: np.random.Generator, variant: str | None, action: str | None) -> Blueprint:
    """A box: taped cardboard carton, lidded plastic storage box or wooden crate
    with hand-hole recesses; a size variant (`BOX_SIZES`) is a carton of that size.

    Ranges: cardboard 0.25–0.60 × 0.20–0.45 × 0.15–0.45 m (sizes: tiny
    0.10–0.16 m long … huge 0.65–0.80 m); storage 0.35–0.55 × 0.25–0.40 ×
    0.18–0.35 m; crate 0.40–0.60 × 0.30–0.40 × 0.25–0.35 m.
    """
    size = variant if variant in BOX_SIZES else None
    kind = "cardboard" if size else variant if variant in ("cardboard", "storage", "crate") else (
        "cardboard" if rng.uniform() < 0.6 else _pick(rng, ["storage", "crate"]))
    parts: list[Part] = []
    cuts: list[Part] = []
    style = {"variant": kind}
    if kind == "cardboard":
        long_r, short_r, h_r = BOX_SIZES[size] if size else ((0.25, 0.60), (0.20, 0.45), (0.15, 0.45))
        if size:
            a, b, h = _u(rng, *long_r), _u(rng, *short_r), _u(rng, *h_r)
            style["size"] = size
        else:
            a, b, h = _u(rng, 0.25, 0.60), _u(rng, 0.20, 0.45), _u(rng, 0.15, 0.45)
        w, d = max(a, b), min(a, b)
        parts.append(Part(rounded_box((w, h, d), (0, h / 2, 0), 0.003), "main"))
        tape_w = min(_u(rng, 0.045, 0.055), 0.4 * d)
        flap = min(0.07, 0.4 * h)
        parts.append(Part(rounded_box((w + 0.002, 0.002, tape_w), (0, h, 0), 0.0008), "tape"))
        for sx in (-1, 1):
            parts.append(Part(rounded_box((0.002, flap, tape_w), (sx * w / 2, h - flap / 2, 0), 0.0008), "tape"))
        slots = {"main": Material("cardboard", (176, 134, 88)), "tape": Material("plastic", (196, 160, 110))}
        hold_y = h / 2
    elif kind == "storage":
        w, d, h = _u(rng, 0.35, 0.55), _u(rng, 0.25, 0.40), _u(rng, 0.18, 0.35)
        lid_t = 0.025
        parts.append(Part(tapered_box((w * 0.93, d * 0.93), (w, d), h - lid_t + 0.005, 0.0, 0.015), "main"))
        parts.append(Part(rounded_box((w + 0.012, lid_t, d + 0.012), (0, h - lid_t / 2, 0), 0.008), "accent"))
        slots = {"main": Material("plastic", _pick(rng, PLASTICS)), "accent": Material("plastic", _pick(rng, PLASTICS))}
        hold_y = h - lid_t - 0.02
    else:
        w, d, h = _u(rng, 0.40, 0.60), _u(rng, 0.30, 0.40), _u(rng, 0.25, 0.35)
        parts.append(Part(rounded_box((w, h, d), (0, h / 2, 0), 0.004), "main"))
        hold_y = h - 0.06
        for sx in (-1, 1):
            cuts.append(Part(rounded_box((0.04, 0.035, 0.11), (sx * w / 2, hold_y, 0), 0.012), "main"))
        slots = {"main": Material("wood", (170, 130, 85))}
    side_x = w / 2 - (0.02 if kind == "crate" else 0.0)  # a crate is held in its hand holes (2 cm deep)
    anchors = {
        "top": Anchor.at((0.0, h, 0.0), (0, 1, 0), (0, 0, 1)),
        "side_left": Anchor.at((side_x, hold_y, 0.0), (1, 0, 0), (0, 0, 1)),
        "side_right": Anchor.at((-side_x, hold_y, 0.0), (-1, 0, 0), (0, 0, 1)),
        "front": Anchor.at((0.0, h / 2, d / 2), (0, 0, 1), (1, 0, 0)),
        "back": Anchor.at((0.0, h / 2, -d / 2), (0, 0, -1), (1, 0, 0)),
    }
    dims = {"box_width": w, "box_depth": d, "box_height": h}
    return Blueprint(parts, slots, dims, anchors, "held", style, cuts=cuts, edge_length=0.03)


# --------------------------------------------------------------------------- bottle


def _bottle_profile(r: float, h_body: float, rn: float, neck_top: float, fillet: float = 0.004) -> list[tuple[float, float]]:
    """(r, y) outline: flat base with a fillet, straight body, cosine shoulder, neck."""
    pts = [(0.0, 0.0), (r - fillet, 0.0), (r, fillet), (r, h_body)]
    shoulder_top = h_body + (neck_top - h_body) * 0.55
    for t in np.linspace(0.0, 1.0, 10)[1:]:
        pts.append((rn + (r - rn) * 0.5 * (1 + math.cos(math.pi * t)), h_body + (shoulder_top - h_body) * t))
    pts += [(rn, neck_top), (0.0, neck_top)]
    return pts


def build_bottle(rng: np.random.Generator, variant: str | None, action: str | None) -> Blueprint:
    """A bottle: water (plastic), wine (glass, long neck) or flask (metal, big cap).

    Ranges: height 0.19–0.31 m with cap, body radius 0.030–0.042 m.
    """
    kind = variant if variant in ("water", "wine", "flask") else _pick(rng, ["water", "wine", "flask"])
    if kind == "water":
        r, h, rn = _u(rng, 0.030, 0.038), _u(rng, 0.19, 0.24), _u(rng, 0.012, 0.014)
        body_frac, cap_h, cap_r = _u(rng, 0.68, 0.76), 0.02, rn + 0.003
        main = Material("plastic", (150, 190, 220))
        cap = Material("plastic", _pick(rng, [(30, 80, 160), (230, 230, 230), (40, 40, 44)]))
    elif kind == "wine":
        r, h, rn = _u(rng, 0.036, 0.040), _u(rng, 0.27, 0.31), _u(rng, 0.0125, 0.014)
        body_frac, cap_h, cap_r = _u(rng, 0.58, 0.64), 0.03, rn + 0.0015
        main = Material("glass", _pick(rng, [(40, 80, 50), (70, 40, 30), (30, 50, 40)]))
        cap = Material("metal", (120, 30, 40))
    else:
        r, h, rn = _u(rng, 0.033, 0.042), _u(rng, 0.21, 0.28), 0.0
        body_frac, cap_h, cap_r = 0.88, _u(rng, 0.035, 0.045), 0.0
        main = Material("metal", (190, 192, 196))
        cap = Material("plastic", DARK)
    if kind == "flask":
        rn = r * 0.82
        cap_r = rn
    h_body = h * body_frac
    neck_top = h - cap_h * 0.6
    parts = [Part(lathe(_bottle_profile(r, h_body, rn, neck_top), 40), "main", "cylinder", _axis_frame())]
    parts.append(Part(cylinder(cap_r, cap_h, (0, h - cap_h, 0), segments=28), "cap", "cylinder", _axis_frame(h - cap_h)))
    anchors = {
        "grip": Anchor.at((0.0, h_body * 0.5, 0.0), (0, 0, 1), (0, 1, 0)),
        "neck": Anchor.at((0.0, (h_body + neck_top) / 2 + (neck_top - h_body) * 0.25, 0.0), (0, 0, 1), (0, 1, 0)),
        "top": Anchor.at((0.0, h, 0.0), (0, 1, 0), (0, 0, 1)),
    }
    dims = {"body_radius": r, "neck_radius": rn, "bottle_height": h, "grip_radius": r}
    return Blueprint(parts, {"main": main, "cap": cap}, dims, anchors, "held", {"variant": kind}, edge_length=0.015)


# --------------------------------------------------------------------------- mug


def build_mug(rng: np.random.Generator, variant: str | None, action: str | None) -> Blueprint:
    """A ceramic mug: hollow cylinder with a C-shaped handle on the +X side.

    Ranges: outer radius 0.037–0.045 m, height 0.085–0.105 m, wall 4–6 mm.
    """
    r, h = _u(rng, 0.037, 0.045), _u(rng, 0.085, 0.105)
    wall, base = _u(rng, 0.004, 0.006), _u(rng, 0.006, 0.009)
    big_r, tube = _u(rng, 0.026, 0.032), _u(rng, 0.005, 0.007)
    big_r = min(big_r, h / 2 - tube - 0.008)
    outer = [(0.0, 0.0), (r - 0.003, 0.0), (r, 0.003), (r, h), (0.0, h)]
    parts = [Part(lathe(outer, 48), "main", "cylinder", _axis_frame())]
    cx, cy = r - 0.004, h * 0.52
    handle_frame = frame_of(_Z_TO_X, (cx, cy, 0.0))
    parts.append(Part(arc_tube(big_r, tube, 180.0, handle_frame, 24, 12), "main", "cylinder",
                      frame_of(rotation_to((0, 0, 1)), (cx, cy, 0.0))))
    cavity = lathe([(0.0, base), (r - wall - 0.003, base), (r - wall, base + 0.003), (r - wall, h + 0.02),
                    (0.0, h + 0.02)], 48)
    cuts = [Part(cavity, "main", "cylinder", _axis_frame())]
    anchors = {  # the cavity leaves nothing on the axis: grip and rim are on the wall facing +Z
        "handle": Anchor.at((cx + big_r, cy, 0.0), (1, 0, 0), (0, 1, 0)),
        "rim": Anchor.at((0.0, h, r - wall / 2), (0, 1, 0), (1, 0, 0)),
        "grip": Anchor.at((0.0, h * 0.5, r), (0, 0, 1), (0, 1, 0)),
    }
    dims = {"mug_radius": r, "mug_height": h, "wall": wall, "handle_radius": big_r, "handle_bar_radius": tube,
            "grip_radius": r}
    return Blueprint(parts, {"main": Material("ceramic", _pick(rng, _GLAZES))}, dims, anchors, "held",
                     {"handle": "c"}, cuts=cuts, edge_length=0.01)


# --------------------------------------------------------------------------- bin


def build_bin(rng: np.random.Generator, variant: str | None, action: str | None) -> Blueprint:
    """A bin: lidded trash can (round or square, lid handle, pedal) or an open,
    tapered wastebasket (hollow).

    Ranges: lidded 0.55–0.72 m tall, 0.34–0.42 m across; wastebasket
    0.28–0.38 m tall, 0.26–0.32 m across at the rim.
    """
    kind = variant if variant in ("lidded", "open") else _pick(rng, ["lidded", "open"])
    parts: list[Part] = []
    cuts: list[Part] = []
    style = {"variant": kind}
    if kind == "lidded":
        h, r = _u(rng, 0.55, 0.72), _u(rng, 0.17, 0.21)
        lid_t = 0.03
        body_h = h - lid_t - 0.035
        shape = _pick(rng, ["round", "square"])
        style["shape"] = shape
        if shape == "round":
            parts.append(Part(cylinder(r, body_h + 0.005, segments=48), "main", "cylinder", _axis_frame()))
            parts.append(Part(cylinder(r + 0.008, lid_t, (0, body_h, 0), segments=48), "accent", "cylinder",
                              _axis_frame(body_h)))
        else:
            parts.append(Part(rounded_box((1.8 * r, body_h + 0.005, 1.8 * r), (0, (body_h + 0.005) / 2, 0), 0.02), "main"))
            parts.append(Part(rounded_box((1.8 * r + 0.016, lid_t, 1.8 * r + 0.016), (0, body_h + lid_t / 2, 0), 0.012),
                              "accent"))
        top = body_h + lid_t
        hl, hh = 0.12, 0.035
        for x in (-hl / 2, hl / 2):
            parts.append(Part(rounded_box((0.02, hh + 0.01, 0.025), (x, top + hh / 2 - 0.005, 0), 0.005), "accent"))
        p0, p1 = (-hl / 2, top + hh, 0.0), (hl / 2, top + hh, 0.0)
        parts.append(Part(capsule(p0, p1, 0.011, 16), "accent", "cylinder", frame_of(rotation_to((1, 0, 0)), p0)))
        front = r * (0.9 if shape == "square" else 1.0)
        parts.append(Part(rounded_box((0.12, 0.02, 0.06), (0, 0.03, front + 0.02), 0.006), "accent"))
        anchors = {
            "handle": Anchor.at((0.0, top + hh, 0.0), (0, 1, 0), (1, 0, 0)),
            "top": Anchor.at((0.0, top, 0.0), (0, 1, 0), (0, 0, 1)),
            "pedal": Anchor.at((0.0, 0.04, front + 0.03), (0, 1, 0), (1, 0, 0)),
        }
        side_y, side_x = body_h * 0.7, front
        main = Material(_pick(rng, ["metal", "plastic"]), (190, 192, 196))
        if main.kind == "plastic":
            main = Material("plastic", _pick(rng, PLASTICS))
        slots = {"main": main, "accent": Material("plastic", DARK)}
        dims = {"bin_height": h, "bin_radius": r}
    else:
        h, rb, rt = _u(rng, 0.28, 0.38), _u(rng, 0.11, 0.13), _u(rng, 0.13, 0.16)
        t, base = 0.004, 0.006
        profile = [(0.0, 0.0), (rb, 0.0), (rt, h), (rt - t, h), (rb - t, base), (0.0, base)]
        parts.append(Part(lathe(profile, 48), "main", "cylinder", _axis_frame()))
        anchors = {
            "rim": Anchor.at((0.0, h, rt - t / 2), (0, 1, 0), (1, 0, 0)),
            "top": Anchor.at((0.0, h, 0.0), (0, 1, 0), (0, 0, 1)),
        }
        side_y, side_x = h * 0.7, rb + (rt - rb) * 0.7
        slots = {"main": Material("plastic", _pick(rng, PLASTICS))}
        dims = {"bin_height": h, "bin_radius": rt, "bottom_radius": rb}
    anchors["side_left"] = Anchor.at((side_x, side_y, 0.0), (1, 0, 0), (0, 1, 0))
    anchors["side_right"] = Anchor.at((-side_x, side_y, 0.0), (-1, 0, 0), (0, 1, 0))
    return Blueprint(parts, slots, dims, anchors, "floor", style, cuts=cuts, edge_length=0.03)
