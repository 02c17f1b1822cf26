"""Storage builders: bucket, crate, toolbox, container ("held") and barrel ("support").

Each stands on y = 0 with its front at +Z. Carry handles follow the luggage
convention: the `handle` anchor is the centre of the grasped bar, normal +Y
(the hand hooks it from above), axis along the bar (+X).
"""

from __future__ import annotations

import numpy as np

from hoiexport.sdk.generators.compose.objects.base import Anchor, Blueprint
from hoiexport.sdk.generators.compose.objects.geometry import (
    Part,
    arc_tube,
    beam,
    capsule,
    ccw,
    cylinder,
    frame_of,
    lathe,
    rotation_to,
    rounded_box,
    tapered_box,
)
from hoiexport.sdk.generators.compose.objects.materials import DARK, PLASTICS, Material
from hoiexport.sdk.generators.compose.objects.sampling import pick, style, uniform

_WOODS = [(170, 130, 85), (150, 104, 62), (190, 150, 100), (130, 90, 55)]
_STEELS = [(190, 60, 50), (40, 80, 150), (60, 62, 66), (190, 192, 196), (40, 110, 70)]
_HORIZONTAL_RING = np.array([[1.0, 0.0, 0.0], [0.0, 0.0, 1.0], [0.0, -1.0, 0.0]])
"""Rotation taking a torus' local Z axis to +Y (a horizontal ring)."""


def _axis_frame(y: float = 0.0) -> np.ndarray:
    return frame_of(np.eye(3), (0.0, y, 0.0))


def _ring(radius: float, tube: float, y: float, slot: str) -> Part:
    """A horizontal torus of `radius` (centre line) and `tube` at height y."""
    solid = arc_tube(radius, tube, 360.0, frame_of(_HORIZONTAL_RING, (0.0, y, 0.0)), 48, 8)
    return Part(solid, slot, "cylinder", _axis_frame(y), refine=False)


def _carry_handle(top: float, length: float, height: float, bar_r: float, slot: str) -> list[Part]:
    """A carry handle on a top face at y = `top`: two posts and a round bar along X."""
    parts = []
    for x in (-length / 2, length / 2):
        parts.append(Part(rounded_box((0.022, height + 0.012, 0.028), (x, top + height / 2 - 0.006, 0.0), 0.006),
                          slot))
    p0, p1 = (-length / 2, top + height, 0.0), (length / 2, top + height, 0.0)
    parts.append(Part(capsule(p0, p1, bar_r, 16), slot, "cylinder", frame_of(rotation_to((1, 0, 0)), p0)))
    return parts


# --------------------------------------------------------------------------- bucket


def build_bucket(rng: np.random.Generator, variant: str | None, action: str | None) -> Blueprint:
    """A bucket: a tapered open pail with a rolled rim, two ears and a wire bail
    standing up over it with a grip sleeve (the `handle`).

    Ranges: height 0.24–0.32 m, rim radius 0.13–0.16 m, bottom 0.10–0.125 m;
    bail apex 0.14–0.17 m above the ears.
    """
    kind = style(rng, variant, ("plastic", "metal"))
    h, rt = uniform(rng, 0.24, 0.32), uniform(rng, 0.13, 0.16)
    rb = rt * uniform(rng, 0.76, 0.82)
    wall = 0.003 if kind == "metal" else 0.004

    def radius_at(y: float) -> float:
        return rb + (rt - rb) * y / h

    outer = [(0.0, 0.0), (rb - 0.004, 0.0), (rb, 0.004), (rt, h), (0.0, h)]
    parts = [Part(lathe(ccw(outer), 48), "main", "cylinder", _axis_frame())]
    cavity = [(0.0, 0.008), (rb - wall, 0.008), (rt - wall, h), (rt - wall, h + 0.004), (0.0, h + 0.004)]  # clear of the bail
    cuts = [Part(lathe(ccw(cavity), 48), "main", "cylinder", _axis_frame())]
    parts.append(_ring(rt - 0.001, 0.005, h - 0.003, "main"))
    y_ear = h - 0.035
    r_ear = radius_at(y_ear)
    for sx in (-1, 1):
        parts.append(Part(rounded_box((0.016, 0.034, 0.026), (sx * (r_ear + 0.006), y_ear, 0.0), 0.005), "accent"))
    bail_r = r_ear + 0.012
    bail_t = uniform(rng, 0.0028, 0.0036)
    bail = arc_tube(bail_r, bail_t, 180.0, frame_of(np.eye(3), (0.0, y_ear, 0.0)), 36, 8)
    parts.append(Part(bail, "metal", "cylinder", frame_of(rotation_to((0, 0, 1)), (0.0, y_ear, 0.0)), refine=False))
    apex = y_ear + bail_r
    grip_r, grip_len = uniform(rng, 0.010, 0.012), uniform(rng, 0.10, 0.12)
    p0, p1 = (-grip_len / 2, apex, 0.0), (grip_len / 2, apex, 0.0)
    parts.append(Part(capsule(p0, p1, grip_r, 16), "accent", "cylinder", frame_of(rotation_to((1, 0, 0)), p0)))
    y_side = 0.6 * h
    anchors = {
        "handle": Anchor.at((0.0, apex, 0.0), (0, 1, 0), (1, 0, 0)),
        "rim": Anchor.at((0.0, h, rt - wall / 2), (0, 1, 0), (1, 0, 0)),
        "side_left": Anchor.at((radius_at(y_side), y_side, 0.0), (1, 0, 0), (0, 1, 0)),
        "side_right": Anchor.at((-radius_at(y_side), y_side, 0.0), (-1, 0, 0), (0, 1, 0)),
    }
    main = Material("metal", (178, 182, 186)) if kind == "metal" else Material("plastic", pick(rng, PLASTICS))
    slots = {"main": main, "accent": Material("plastic", DARK), "metal": Material("metal", (160, 162, 166))}
    dims = {"bucket_height": h, "rim_radius": rt, "bottom_radius": rb, "handle_height": apex,
            "handle_bar_radius": grip_r}
    return Blueprint(parts, slots, dims, anchors, "held", {"variant": kind}, cuts=cuts, edge_length=0.03)


# --------------------------------------------------------------------------- barrel


def build_barrel(rng: np.random.Generator, variant: str | None, action: str | None) -> Blueprint:
    """A barrel: a bulged wooden cask of 20–28 staves (facets) with iron hoops, or a
    steel drum with rolling hoops and rims. Its flat top is a seat.

    Ranges: wooden 0.55–0.85 m tall, 0.46–0.66 m across the bilge; drum
    0.84–0.89 m tall, 0.57–0.60 m across.
    """
    kind = style(rng, variant, ("wooden", "drum"))
    parts: list[Part] = []
    if kind == "wooden":
        h = uniform(rng, 0.55, 0.85)
        r_mid = uniform(rng, 0.23, 0.32)
        r_end = r_mid * uniform(rng, 0.84, 0.90)
        staves = int(rng.integers(20, 29))
        ys = np.linspace(0.0, h, 17)
        prof = [(0.0, 0.0)] + [(r_end + (r_mid - r_end) * (1 - ((y - h / 2) / (h / 2)) ** 2), y) for y in ys] + [(0.0, h)]
        parts.append(Part(lathe(ccw(prof), staves), "main", "cylinder", _axis_frame()))

        def radius_at(y: float) -> float:
            return r_end + (r_mid - r_end) * (1 - ((y - h / 2) / (h / 2)) ** 2)

        hoop_t = uniform(rng, 0.006, 0.008)
        for y in (0.03, 0.17 * h, 0.83 * h, h - 0.03):
            parts.append(_ring(radius_at(y) + 0.001, hoop_t, y, "metal"))
        main = Material("wood", pick(rng, _WOODS))
        metal = Material("metal", (60, 58, 56))
        style_ = {"variant": kind, "staves": str(staves)}
    else:
        h = uniform(rng, 0.84, 0.875)
        r_mid = r_end = uniform(rng, 0.283, 0.29)
        parts.append(Part(cylinder(r_end, h, segments=56), "main", "cylinder", _axis_frame()))
        for y in (0.012, h - 0.012):
            parts.append(_ring(r_end, 0.007, y, "main"))
        for y in (h / 3, 2 * h / 3):
            parts.append(_ring(r_end + 0.002, 0.009, y, "main"))
        parts.append(Part(cylinder(0.03, 0.012, (0.14, h - 0.008, 0.06), segments=16), "metal", "cylinder",
                          _axis_frame(h)))

        def radius_at(y: float) -> float:
            return r_end

        main = Material("metal", pick(rng, _STEELS))
        metal = Material("metal", (150, 152, 156))
        style_ = {"variant": kind}
    r_half = radius_at(h / 2)
    bulge = r_mid + (0.011 if kind == "drum" else 0.0)
    anchors = {
        "top": Anchor.at((0.0, h, 0.0), (0, 1, 0), (0, 0, 1)),
        "side_left": Anchor.at((r_half, h / 2, 0.0), (1, 0, 0), (0, 1, 0)),
        "side_right": Anchor.at((-r_half, h / 2, 0.0), (-1, 0, 0), (0, 1, 0)),
        "front": Anchor.at((0.0, h / 2, r_half), (0, 0, 1), (1, 0, 0)),
        "back": Anchor.at((0.0, h / 2, -r_half), (0, 0, -1), (1, 0, 0)),
    }
    dims = {"barrel_height": h, "bilge_radius": bulge, "head_radius": r_end}
    return Blueprint(parts, {"main": main, "metal": metal}, dims, anchors, "support", style_, edge_length=0.05)


# --------------------------------------------------------------------------- crate


def build_crate(rng: np.random.Generator, variant: str | None, action: str | None) -> Blueprint:
    """A closed wooden crate: a recessed core framed by battens on every edge, plank
    slats on the sides and top, diagonal braces front and back, and a hand hole in
    each end (±X). Its top is flat enough to sit or stand on.

    Ranges: 0.45–0.65 wide × 0.38–0.50 deep × 0.32–0.50 m tall; battens 4–5 cm.
    """
    w, d, h = uniform(rng, 0.45, 0.65), uniform(rng, 0.38, 0.50), uniform(rng, 0.32, 0.50)
    a = uniform(rng, 0.04, 0.05)  # batten
    s = 0.012  # how far the core is recessed: the slats stand this proud of it
    e = 0.004  # ... and reach this far into it
    parts = [Part(rounded_box((w - 2 * s, h - 2 * s, d - 2 * s), (0.0, h / 2, 0.0), 0.004), "inner")]
    for sx in (-1, 1):  # posts
        for sz in (-1, 1):
            parts.append(Part(rounded_box((a, h, a), (sx * (w / 2 - a / 2), h / 2, sz * (d / 2 - a / 2)), 0.003),
                              "frame"))
    for y in (a / 2, h - a / 2):  # rails along X and Z, bottom and top
        for sz in (-1, 1):
            parts.append(Part(rounded_box((w, a, a), (0.0, y, sz * (d / 2 - a / 2)), 0.003), "frame"))
        for sx in (-1, 1):
            parts.append(Part(rounded_box((a, a, d), (sx * (w / 2 - a / 2), y, 0.0), 0.003), "frame"))
    n_side = int(rng.integers(2, 4))
    gap = 0.012
    span = h - 2 * a
    slat_h = (span - (n_side + 1) * gap) / n_side
    for k in range(n_side):
        y = a + gap + slat_h / 2 + k * (slat_h + gap)
        for sz in (-1, 1):
            parts.append(Part(rounded_box((w - 2 * a + 0.01, slat_h, s + e), (0.0, y, sz * (d / 2 - (s + e) / 2)), 0.002),
                              "main"))
        for sx in (-1, 1):
            parts.append(Part(rounded_box((s + e, slat_h, d - 2 * a + 0.01), (sx * (w / 2 - (s + e) / 2), y, 0.0), 0.002),
                              "main"))
    n_top = int(rng.integers(3, 6))
    top_w = (d - 2 * a - (n_top - 1) * 0.006) / n_top
    for k in range(n_top):
        z = -d / 2 + a + top_w / 2 + k * (top_w + 0.006)
        parts.append(Part(rounded_box((w - 2 * a + 0.01, s + e, top_w), (0.0, h - (s + e) / 2, z), 0.002), "main"))
    for sz in (-1, 1):  # diagonal braces, flush with the slats
        p0 = np.array([-(w / 2 - a * 0.8), a * 0.8, sz * (d / 2 - (s + e) / 2)])
        p1 = np.array([w / 2 - a * 0.8, h - a * 0.8, sz * (d / 2 - (s + e) / 2)])
        solid, frame = beam(p0, p1, slat_h * 0.7 if n_side > 2 else a, s + e, 0.002, up=(0, 0, sz))
        parts.append(Part(solid, "frame", "box", frame))
    hole_y, hole_d = h - a - gap - slat_h / 2 if n_side > 1 else h / 2, 0.03
    cuts = [Part(rounded_box((2 * hole_d, 0.035, 0.11), (sx * w / 2, hole_y, 0.0), 0.012), "inner")
            for sx in (-1, 1)]
    anchors = {
        "top": Anchor.at((0.0, h, 0.0), (0, 1, 0), (0, 0, 1)),
        "side_left": Anchor.at((w / 2 - hole_d, hole_y, 0.0), (1, 0, 0), (0, 0, 1)),
        "side_right": Anchor.at((-(w / 2 - hole_d), hole_y, 0.0), (-1, 0, 0), (0, 0, 1)),
        "front": Anchor.at((0.0, h / 2, d / 2), (0, 0, 1), (1, 0, 0)),
        "back": Anchor.at((0.0, h / 2, -d / 2), (0, 0, -1), (1, 0, 0)),
    }
    wood = pick(rng, _WOODS)
    darker = (int(wood[0] * 0.85), int(wood[1] * 0.85), int(wood[2] * 0.85))
    slots = {"main": Material("wood", wood), "frame": Material("wood", darker),
             "inner": Material("wood", (70, 50, 34))}
    dims = {"crate_width": w, "crate_depth": d, "crate_height": h, "batten": a}
    return Blueprint(parts, slots, dims, anchors, "held", {"side_slats": str(n_side), "top_slats": str(n_top)},
                     cuts=cuts, edge_length=0.05)


# --------------------------------------------------------------------------- toolbox


def build_toolbox(rng: np.random.Generator, variant: str | None, action: str | None) -> Blueprint:
    """A toolbox: a steel (or plastic) box with a ridged lid, a lid seam, two front
    latches and a top carry handle (the `handle`).

    Ranges: 0.40–0.56 wide × 0.18–0.25 deep × 0.17–0.26 m to the lid top;
    handle 0.035–0.05 m above the lid.
    """
    kind = style(rng, variant, ("metal", "plastic"))
    w, d = uniform(rng, 0.40, 0.56), uniform(rng, 0.18, 0.25)
    body_h, lid_h = uniform(rng, 0.13, 0.19), uniform(rng, 0.04, 0.06)
    top = body_h + lid_h
    parts = [Part(rounded_box((w, body_h + 0.004, d), (0.0, (body_h + 0.004) / 2, 0.0), 0.01), "main")]
    lid = tapered_box((w + 0.006, d + 0.006), (w * 0.96, d * 0.9), lid_h, body_h - 0.002, 0.008, 0.012)
    parts.append(Part(lid, "main", "box", _axis_frame(body_h)))
    parts.append(Part(rounded_box((w + 0.01, 0.008, d + 0.01), (0.0, body_h, 0.0), 0.003), "accent"))  # seam
    for sx in (-1, 1):
        parts.append(Part(rounded_box((0.04, 0.045, 0.012), (sx * w * 0.32, body_h, d / 2 + 0.004), 0.003), "metal"))
    hl, hh, bar_r = uniform(rng, 0.12, 0.16), uniform(rng, 0.035, 0.05), uniform(rng, 0.011, 0.014)
    top_at_handle = top - 0.004
    parts += _carry_handle(top_at_handle, hl, hh, bar_r, "accent")
    anchors = {
        "handle": Anchor.at((0.0, top_at_handle + hh, 0.0), (0, 1, 0), (1, 0, 0)),
        "lid": Anchor.at((0.0, top, d * 0.3), (0, 1, 0), (0, 0, 1)),
        "side_left": Anchor.at((w / 2, body_h / 2, 0.0), (1, 0, 0), (0, 0, 1)),
        "side_right": Anchor.at((-w / 2, body_h / 2, 0.0), (-1, 0, 0), (0, 0, 1)),
        "front": Anchor.at((0.0, body_h / 2, d / 2), (0, 0, 1), (1, 0, 0)),
        "back": Anchor.at((0.0, body_h / 2, -d / 2), (0, 0, -1), (1, 0, 0)),
    }
    main = Material("metal", pick(rng, _STEELS)) if kind == "metal" else Material("plastic", pick(rng, PLASTICS))
    slots = {"main": main, "accent": Material("plastic", DARK), "metal": Material("metal", (190, 192, 196))}
    dims = {"box_width": w, "box_depth": d, "box_height": top, "handle_height": top_at_handle + hh,
            "handle_bar_radius": bar_r}
    return Blueprint(parts, slots, dims, anchors, "held", {"variant": kind}, edge_length=0.03)


# --------------------------------------------------------------------------- container


def build_container(rng: np.random.Generator, variant: str | None, action: str | None) -> Blueprint:
    """A plastic food / storage container: a tapered tub with rounded corners, a
    snap-on lid and a clip latch on each side.

    Ranges: 0.16–0.40 wide × 0.12–0.30 deep × 0.07–0.22 m tall.
    """
    w = uniform(rng, 0.16, 0.40)
    d = min(w, uniform(rng, 0.12, 0.30))
    h = uniform(rng, 0.07, 0.22)
    lid_h = 0.016
    r = min(0.035, 0.2 * min(w, d))
    tub_h = h - lid_h + 0.004
    parts = [Part(tapered_box((w * 0.9, d * 0.9), (w - 0.008, d - 0.008), tub_h, 0.0, min(r, 0.02), r), "main")]
    parts.append(Part(rounded_box((w, lid_h, d), (0.0, h - lid_h / 2, 0.0), min(r, 0.007)), "accent"))
    clip_h = 0.028
    for sz in (-1, 1):
        parts.append(Part(rounded_box((min(0.06, w * 0.3), clip_h, 0.008), (0.0, h - clip_h / 2 - 0.004,
                                                                           sz * (d / 2 - 0.001)), 0.003), "accent"))
    for sx in (-1, 1):
        parts.append(Part(rounded_box((0.008, clip_h, min(0.06, d * 0.3)), (sx * (w / 2 - 0.001),
                                                                           h - clip_h / 2 - 0.004, 0.0), 0.003),
                          "accent"))
    y_side = 0.45 * tub_h
    x_side = (w * 0.9 + (w - 0.008 - w * 0.9) * 0.45) / 2
    z_side = (d * 0.9 + (d - 0.008 - d * 0.9) * 0.45) / 2
    anchors = {
        "top": Anchor.at((0.0, h, 0.0), (0, 1, 0), (0, 0, 1)),
        "side_left": Anchor.at((x_side, y_side, 0.0), (1, 0, 0), (0, 0, 1)),
        "side_right": Anchor.at((-x_side, y_side, 0.0), (-1, 0, 0), (0, 0, 1)),
        "front": Anchor.at((0.0, y_side, z_side), (0, 0, 1), (1, 0, 0)),
        "back": Anchor.at((0.0, y_side, -z_side), (0, 0, -1), (1, 0, 0)),
    }
    slots = {"main": Material("plastic", pick(rng, [(232, 236, 238), (214, 226, 232), (240, 236, 226)])),
             "accent": Material("plastic", pick(rng, PLASTICS))}
    dims = {"container_width": w, "container_depth": d, "container_height": h}
    return Blueprint(parts, slots, dims, anchors, "held", {"clips": "4"}, edge_length=0.03)

