"""Furniture builders: chair, stool, table, bench ("support" objects).

Furniture faces +Z: a person sitting on it faces +Z, the backrest is at -Z.
"Left" in anchor names is +X (the left of a person facing +Z).
"""

from __future__ import annotations

import math

import numpy as np
from hoiexport.sdk.generators.compose.objects.base import Anchor, Blueprint
from hoiexport.sdk.generators.compose.objects.geometry import (
    Part,
    arc_tube,
    beam,
    capsule,
    cylinder,
    frame_of,
    rod,
    rotation_to,
    rounded_box,
)
from hoiexport.sdk.generators.compose.objects.materials import Material

_TORUS_UP = np.array([[1.0, 0.0, 0.0], [0.0, 0.0, 1.0], [0.0, -1.0, 0.0]])
"""Rotation taking a torus' local Z axis to +Y."""

_WOODS = [(150, 104, 62), (120, 80, 48), (178, 136, 92), (92, 60, 38)]
_FRAMES = [(40, 40, 42), (190, 192, 196), (60, 62, 66)]
_FABRICS = [(85, 88, 100), (140, 60, 55), (60, 90, 70), (170, 160, 140), (50, 60, 95)]


def _u(rng: np.random.Generator, lo: float, hi: float) -> float:
    return float(rng.uniform(lo, hi))


def _pick(rng: np.random.Generator, options: list):
    return options[int(rng.integers(len(options)))]


def _leg(kind: str, x: float, z: float, y0: float, y1: float, size: float) -> Part:
    """A vertical leg from y0 to y1 at (x, z): square (size = side) or round (size = diameter)."""
    if kind == "square":
        return Part(rounded_box((size, y1 - y0, size), (x, (y0 + y1) / 2, z), 0.004), "frame")
    return Part(cylinder(size / 2, y1 - y0, (x, y0, z), segments=20), "frame", "cylinder",
                frame_of(np.eye(3), (x, 0.0, z)))


def _tilted_post(kind: str, p0, p1, size: float) -> Part:
    if kind == "square":
        solid, frame = beam(p0, p1, size, size, 0.004)
        return Part(solid, "frame", "box", frame)
    p0, p1 = np.asarray(p0, float), np.asarray(p1, float)
    return Part(rod(p0, p1, size / 2, 20), "frame", "cylinder", frame_of(rotation_to(p1 - p0), p0))


# --------------------------------------------------------------------------- chair


def build_chair(rng: np.random.Generator, variant: str | None, action: str | None) -> Blueprint:
    """A chair: seat, four legs, tilted backrest (slats or panel), optional arms;
    or a folding chair or an office chair (`_folding_chair`, `_office_chair`).

    Ranges: seat height 0.42–0.48 m; seat 0.40–0.50 m wide (armchair 0.50–0.58),
    0.40–0.48 m deep (armchair 0.48–0.55); backrest top 0.80–1.00 m; tilt 3–10°.
    """
    if variant in _CHAIR_STYLES:
        return _CHAIR_STYLES[variant](rng)
    back = variant if variant in ("slat", "panel", "armchair") else _pick(rng, ["slat", "panel"])
    arm = back == "armchair"
    seat_h = _u(rng, 0.42, 0.48)
    if arm:
        seat_w, seat_d, seat_t = _u(rng, 0.50, 0.58), _u(rng, 0.48, 0.55), _u(rng, 0.08, 0.12)
        back_top = _u(rng, 0.85, 1.0)
    else:
        seat_w, seat_d, seat_t = _u(rng, 0.40, 0.50), _u(rng, 0.40, 0.48), _u(rng, 0.025, 0.045)
        back_top = _u(rng, 0.80, 0.98)
    tilt = math.radians(_u(rng, 3.0, 10.0))
    leg_kind = _pick(rng, ["square", "round"])
    leg = _u(rng, 0.03, 0.045)
    inset = leg / 2 + 0.008
    xs = seat_w / 2 - inset
    zf, zb = seat_d / 2 - inset, -(seat_d / 2 - inset)
    seat_bottom = seat_h - seat_t
    parts = [Part(rounded_box((seat_w, seat_t, seat_d), (0, seat_h - seat_t / 2, 0), 0.03 if arm else 0.006), "main")]
    arm_h = seat_h + _u(rng, 0.18, 0.24)
    for x in (-xs, xs):
        parts.append(_leg(leg_kind, x, zf, -0.02, (arm_h if arm else seat_bottom + 0.005), leg))
        parts.append(_leg(leg_kind, x, zb, -0.02, seat_bottom + 0.005, leg))
    # back posts continue the rear legs, tilted backwards
    dz = -(back_top - seat_bottom) * math.tan(tilt)
    for x in (-xs, xs):
        parts.append(_tilted_post(leg_kind, (x, seat_bottom, zb), (x, back_top, zb + dz), leg))
    direction = np.array([0.0, math.cos(tilt), -math.sin(tilt)])
    normal = np.array([0.0, math.sin(tilt), math.cos(tilt)])
    rot = rotation_to(direction, up=(0.0, 0.0, 1.0))

    def on_line(y: float) -> np.ndarray:
        return np.array([0.0, y, zb - (y - seat_bottom) * math.tan(tilt)])

    y0 = seat_h + _u(rng, 0.10, 0.18)
    bt = _u(rng, 0.08, 0.12) if arm else _u(rng, 0.018, 0.03)
    offset = (leg / 2 + bt / 2 - 0.004) if arm else 0.0
    width = 2 * xs + (0.0 if arm else leg * 0.8)
    style = {"back": back, "legs": leg_kind}
    if back == "slat":
        n = int(rng.integers(2, 4))
        slat_h = _u(rng, 0.045, 0.075)
        tops = np.linspace(back_top - 0.01, y0 + slat_h, n)
        slat_centres = tops - slat_h / 2
        for yt in tops:
            c = on_line(yt - slat_h / 2)
            parts.append(Part(rounded_box((width, slat_h / math.cos(tilt), bt), tuple(c), 0.005, rot), "main",
                              "box", frame_of(rot, c)))
        style["slats"] = str(n)
    else:
        slat_centres = np.array([(y0 + back_top - 0.01) / 2])
        c = on_line((y0 + back_top - 0.01) / 2) + normal * offset
        h = (back_top - 0.01 - y0) / math.cos(tilt)
        parts.append(Part(rounded_box((width, h, bt), tuple(c), 0.03 if arm else 0.006, rot), "main",
                          "box", frame_of(rot, c)))
    anchors = {}
    if arm:
        arm_w = _u(rng, 0.05, 0.08)
        for x, name in ((xs, "armrest_left"), (-xs, "armrest_right")):
            solid = rounded_box((arm_w, 0.03, seat_d + 0.02), (x, arm_h, -0.01), 0.01)
            parts.append(Part(solid, "frame"))
            anchors[name] = Anchor.at((x, arm_h + 0.015, 0.0), (0, 1, 0), (0, 0, 1))
    if rng.uniform() < 0.5 and not arm:
        y_r = _u(rng, 0.14, 0.24)
        r = leg * 0.3
        for x in (-xs, xs):
            parts.append(Part(rod((x, y_r, zb), (x, y_r, zf), r, 12), "frame", "cylinder",
                              frame_of(rotation_to((0, 0, 1)), (x, y_r, zb))))
        style["stretchers"] = "side"
    # on the slat / panel nearest to mid-height (never in a gap between slats)
    y_a = float(slat_centres[np.abs(slat_centres - (y0 + back_top) / 2).argmin()])
    front = on_line(y_a) + normal * (offset + bt / 2)
    anchors.update({
        "seat": Anchor.at((0.0, seat_h, 0.0), (0, 1, 0), (0, 0, 1)),
        "backrest": Anchor.at(front, normal, (1, 0, 0)),
        "backrest_top": Anchor.at(on_line(back_top - 0.01) + normal * offset, (0, 1, 0), (1, 0, 0)),
    })
    wood = _pick(rng, _WOODS)
    main = Material("fabric", _pick(rng, _FABRICS)) if arm else Material("wood", wood)
    frame_mat = Material("wood", wood) if (leg_kind == "square" or rng.uniform() < 0.5) else Material("metal", _pick(rng, _FRAMES))
    dims = {
        "seat_height": seat_h, "seat_width": seat_w, "seat_depth": seat_d,
        "backrest_height": back_top, "back_tilt_deg": math.degrees(tilt),
    }
    if arm:
        dims["armrest_height"] = arm_h + 0.015
    return Blueprint(parts, {"main": main, "frame": frame_mat}, dims, anchors, "support", style, edge_length=0.05)


def _backrest_line(seat_bottom: float, zb: float, tilt: float):
    """The tilted line a backrest follows: y ↦ (0, y, z) leaning back from (zb, seat_bottom)."""

    def on_line(y: float) -> np.ndarray:
        return np.array([0.0, y, zb - (y - seat_bottom) * math.tan(tilt)])

    return on_line


def _folding_chair(rng: np.random.Generator) -> Blueprint:
    """A folding chair: a tubular steel frame (rear posts running straight from the
    floor past the seat's back edge up to a top bar, leaning back; front legs
    splayed forwards), floor rails, a thin seat and a back panel under the top bar.

    `backrest_top` is the top bar's centre (a point on its axis). Ranges: seat
    height 0.43–0.47 m, seat 0.40–0.44 m square, backrest top 0.80–0.86 m,
    tilt 8–14°.
    """
    seat_h, seat_w, seat_d = _u(rng, 0.43, 0.47), _u(rng, 0.40, 0.44), _u(rng, 0.40, 0.44)
    back_top, tilt = _u(rng, 0.80, 0.86), math.radians(_u(rng, 8.0, 14.0))
    tube = _u(rng, 0.010, 0.0125)
    seat_t = 0.02
    seat_bottom = seat_h - seat_t
    xs = seat_w / 2 - 0.015
    zf, zb = seat_d / 2 - 0.03, -seat_d / 2 + 0.03
    on_line = _backrest_line(seat_bottom, zb, tilt)  # the rear posts' line, extended to the floor
    parts = [Part(rounded_box((seat_w, seat_t, seat_d), (0, seat_h - seat_t / 2, 0), 0.006), "main")]
    splay = _u(rng, 0.04, 0.07)
    for x in (-xs, xs):
        p0, p1 = np.array([x, 0.0, zf + splay]), np.array([x, seat_bottom + 0.005, zf])
        parts.append(Part(rod(p0, p1, tube, 16), "frame", "cylinder", frame_of(rotation_to(p1 - p0), p0)))
        q0, q1 = on_line(0.0) + [x, 0.0, 0.0], on_line(back_top) + [x, 0.0, 0.0]
        parts.append(Part(rod(q0, q1, tube, 16), "frame", "cylinder", frame_of(rotation_to(q1 - q0), q0)))
    for p in (np.array([0.0, 0.10, zf + splay * (1 - 0.10 / seat_bottom)]), on_line(0.10), on_line(back_top)):
        a, b = p - [xs + tube, 0.0, 0.0], p + [xs + tube, 0.0, 0.0]
        parts.append(Part(capsule(a, b, tube * (1.0 if p[1] > 0.5 else 0.8), 12), "frame", "cylinder",
                          frame_of(rotation_to((1, 0, 0)), a)))
    panel_h = _u(rng, 0.16, 0.22)
    direction = np.array([0.0, math.cos(tilt), -math.sin(tilt)])
    normal = np.array([0.0, math.sin(tilt), math.cos(tilt)])
    rot = rotation_to(direction, up=(0.0, 0.0, 1.0))
    pt = 0.012
    y_mid = back_top - tube - panel_h / 2 + 0.004
    c = on_line(y_mid) + normal * (tube * 0.5)
    parts.append(Part(rounded_box((2 * xs + 2 * tube, panel_h / math.cos(tilt), pt), tuple(c), 0.005, rot), "main",
                      "box", frame_of(rot, c)))
    anchors = {
        "seat": Anchor.at((0.0, seat_h, 0.0), (0, 1, 0), (0, 0, 1)),
        "backrest": Anchor.at(c + normal * pt / 2, normal, (1, 0, 0)),
        "backrest_top": Anchor.at(on_line(back_top), (0, 1, 0), (1, 0, 0)),
    }
    main = Material(_pick(rng, ["plastic", "metal", "wood"]), _pick(rng, [(40, 40, 44), (150, 104, 62), (190, 192, 196),
                                                                        (60, 80, 130)]))
    dims = {"seat_height": seat_h, "seat_width": seat_w, "seat_depth": seat_d, "backrest_height": back_top + tube,
            "back_tilt_deg": math.degrees(tilt), "backrest_bar_radius": tube}
    return Blueprint(parts, {"main": main, "frame": Material("metal", _pick(rng, _FRAMES))}, dims, anchors,
                     "support", {"back": "folding", "legs": "tube"}, edge_length=0.05)


def _office_chair(rng: np.random.Generator) -> Blueprint:
    """An office chair: a five-star base on casters, a gas column, an upholstered
    seat and backrest on a spine, and (seeded) armrests.

    Ranges: seat height 0.43–0.48 m, seat 0.46–0.52 × 0.44–0.50 m, backrest
    top 0.88–0.98 m, tilt 6–12°, base 0.60–0.66 m across.
    """
    seat_h, seat_w, seat_d = _u(rng, 0.43, 0.48), _u(rng, 0.46, 0.52), _u(rng, 0.44, 0.50)
    seat_t = _u(rng, 0.07, 0.09)
    back_top, tilt = _u(rng, 0.88, 0.98), math.radians(_u(rng, 6.0, 12.0))
    base_r = _u(rng, 0.30, 0.33)
    caster_r = 0.025
    hub_y = 2 * caster_r + 0.045
    parts: list[Part] = []
    phase = _u(rng, 0.0, 2 * math.pi / 5)
    for k in range(5):
        a = phase + 2 * math.pi * k / 5
        d = np.array([math.cos(a), 0.0, math.sin(a)])
        end = d * (base_r - caster_r) + np.array([0.0, 2 * caster_r + 0.012, 0.0])
        solid, frame = beam((0.0, hub_y, 0.0), end, 0.04, 0.03, 0.008, up=(0, 1, 0))
        parts.append(Part(solid, "frame", "box", frame))
        c = d * (base_r - caster_r) + np.array([0.0, caster_r, 0.0])
        side = np.cross(d, [0.0, 1.0, 0.0])
        parts.append(Part(rod(c - side * 0.012, c + side * 0.012, caster_r, 16), "frame", "cylinder",
                          frame_of(rotation_to(side), c - side * 0.012)))
        parts.append(Part(rounded_box((0.02, 0.03, 0.02), tuple(c + np.array([0.0, caster_r + 0.006, 0.0])), 0.004),
                          "frame"))
    parts.append(Part(cylinder(0.045, 0.05, (0, hub_y - 0.03, 0), segments=24), "frame", "cylinder",
                      frame_of(np.eye(3), (0, hub_y, 0))))
    seat_bottom = seat_h - seat_t
    parts.append(Part(cylinder(0.025, seat_bottom - hub_y + 0.02, (0, hub_y, 0), segments=20), "frame", "cylinder",
                      frame_of(np.eye(3), (0, hub_y, 0))))
    parts.append(Part(rounded_box((0.22, 0.03, 0.22), (0, seat_bottom - 0.01, 0), 0.008), "frame"))
    parts.append(Part(rounded_box((seat_w, seat_t, seat_d), (0, seat_h - seat_t / 2, 0.02), 0.03), "main"))
    zb = -seat_d / 2 + 0.02
    on_line = _backrest_line(seat_bottom, zb, tilt)
    normal = np.array([0.0, math.sin(tilt), math.cos(tilt)])
    direction = np.array([0.0, math.cos(tilt), -math.sin(tilt)])
    rot = rotation_to(direction, up=(0.0, 0.0, 1.0))
    back_t = _u(rng, 0.05, 0.07)
    y0 = seat_h + _u(rng, 0.06, 0.10)
    c = on_line((y0 + back_top) / 2) + normal * back_t / 2
    h_back = (back_top - y0) / math.cos(tilt)
    parts.append(Part(rounded_box((seat_w * 0.92, h_back, back_t), tuple(c), 0.03, rot), "main", "box",
                      frame_of(rot, c)))
    # the spine: from under the seat's back edge up behind the backrest
    s0 = np.array([0.0, seat_bottom - 0.005, zb + 0.06])
    s1 = on_line(y0 + 0.12) - normal * 0.005
    solid, frame = beam(s0, s1, 0.06, 0.02, 0.006)
    parts.append(Part(solid, "frame", "box", frame))
    solid, frame = beam(s0 + np.array([0.0, 0.0, 0.08]), s0 + np.array([0.0, 0.0, -0.02]), 0.06, 0.02, 0.006)
    parts.append(Part(solid, "frame", "box", frame))
    anchors = {
        "seat": Anchor.at((0.0, seat_h, 0.02), (0, 1, 0), (0, 0, 1)),  # the cushion's centre (it sits 2 cm forward)
        "backrest": Anchor.at(c + normal * back_t / 2, normal, (1, 0, 0)),
        "backrest_top": Anchor.at(on_line(back_top) + normal * back_t / 2, (0, 1, 0), (1, 0, 0)),
    }
    arms = rng.uniform() < 0.5
    dims = {"seat_height": seat_h, "seat_width": seat_w, "seat_depth": seat_d, "backrest_height": back_top,
            "back_tilt_deg": math.degrees(tilt)}
    if arms:
        arm_h = seat_h + _u(rng, 0.18, 0.23)
        xa = seat_w / 2 + 0.03
        for x, name in ((xa, "armrest_left"), (-xa, "armrest_right")):
            parts.append(Part(rounded_box((0.03, arm_h - seat_bottom + 0.01, 0.04), (x, (arm_h + seat_bottom) / 2, -0.02),
                                          0.006), "frame"))
            parts.append(Part(rounded_box((0.07, 0.025, 0.24), (x, arm_h, 0.0), 0.01), "frame"))
            inner = seat_w / 2 - 0.06  # the bracket from under the seat out to the arm post
            parts.append(Part(rounded_box((xa - inner, 0.02, 0.04), (math.copysign((xa + inner) / 2, x),
                                                                    seat_bottom + 0.005, -0.02), 0.005), "frame"))
            anchors[name] = Anchor.at((x, arm_h + 0.0125, 0.0), (0, 1, 0), (0, 0, 1))
        dims["armrest_height"] = arm_h + 0.0125
    main = Material("fabric", _pick(rng, _FABRICS)) if rng.uniform() < 0.6 else Material("leather", (30, 28, 26))
    style = {"back": "office", "legs": "five-star", "arms": "yes" if arms else "no"}
    return Blueprint(parts, {"main": main, "frame": Material("metal" if rng.uniform() < 0.5 else "plastic",
                                                            _pick(rng, _FRAMES))}, dims, anchors, "support", style,
                     edge_length=0.05)


_CHAIR_STYLES = {"folding": _folding_chair, "office": _office_chair}
"""Chair variants with their own construction (the others share `build_chair`'s)."""


# --------------------------------------------------------------------------- stool


def build_stool(rng: np.random.Generator, variant: str | None, action: str | None) -> Blueprint:
    """A stool: round or square seat on 3–4 splayed legs with rails or a foot ring.

    Ranges: seat height 0.42–0.50 m (low) or 0.63–0.78 m (bar); seat 0.30–0.38 m
    across; legs splay 3–8°.
    """
    kind = variant if variant in ("low", "bar") else ("bar" if rng.uniform() < 0.4 else "low")
    seat_h = _u(rng, 0.63, 0.78) if kind == "bar" else _u(rng, 0.42, 0.50)
    r_seat = _u(rng, 0.15, 0.19)
    t = _u(rng, 0.03, 0.05)
    shape = _pick(rng, ["round", "square"])
    n_legs = int(rng.integers(3, 5))
    splay = math.radians(_u(rng, 3.0, 8.0))
    leg_r = _u(rng, 0.012, 0.02)
    if shape == "round":
        seat = Part(cylinder(r_seat, t, (0, seat_h - t, 0), segments=40), "main", "cylinder",
                    frame_of(np.eye(3), (0, seat_h - t, 0)))
    else:
        side = r_seat * 1.8
        seat = Part(rounded_box((side, t, side), (0, seat_h - t / 2, 0), 0.008), "main")
    parts = [seat]
    a = r_seat * 0.62
    top_y = seat_h - t + 0.008
    phase = math.pi / 4 if (n_legs == 4) else math.pi / 2

    def leg_radius_at(y: float) -> float:
        return a + (top_y - y) * math.tan(splay)

    ends = []
    for k in range(n_legs):
        th = phase + 2 * math.pi * k / n_legs
        d = np.array([math.cos(th), 0.0, math.sin(th)])
        p0 = d * leg_radius_at(-0.03) + np.array([0.0, -0.03, 0.0])
        p1 = d * a + np.array([0.0, top_y, 0.0])
        parts.append(Part(rod(p0, p1, leg_r, 16), "frame", "cylinder", frame_of(rotation_to(p1 - p0), p0)))
        ends.append(d)
    style = {"variant": kind, "seat": shape, "legs": str(n_legs)}
    if kind == "bar":
        y_ring = _u(rng, 0.24, 0.32)
        ring = arc_tube(leg_radius_at(y_ring), 0.009, 360.0, frame_of(_TORUS_UP, (0, y_ring, 0)), 32, 10)
        parts.append(Part(ring, "frame", "cylinder", frame_of(np.eye(3), (0, y_ring, 0))))
        style["rail"] = "ring"
    else:
        y_r = _u(rng, 0.13, 0.2)
        rr = leg_radius_at(y_r)
        for k in range(n_legs):
            p0, p1 = ends[k] * rr + [0, y_r, 0], ends[(k + 1) % n_legs] * rr + [0, y_r, 0]
            parts.append(Part(rod(p0, p1, leg_r * 0.55, 12), "frame", "cylinder",
                              frame_of(rotation_to(p1 - p0), p0)))
        style["rail"] = "rungs"
    half = r_seat if shape == "round" else r_seat * 0.9
    anchors = {
        "seat": Anchor.at((0.0, seat_h, 0.0), (0, 1, 0), (0, 0, 1)),
        "side_left": Anchor.at((half, seat_h - t / 2, 0.0), (1, 0, 0), (0, 0, 1)),
        "side_right": Anchor.at((-half, seat_h - t / 2, 0.0), (-1, 0, 0), (0, 0, 1)),
    }
    main = Material("wood", _pick(rng, _WOODS)) if rng.uniform() < 0.6 else Material("fabric", _pick(rng, _FABRICS))
    frame_mat = Material("metal", _pick(rng, _FRAMES)) if kind == "bar" or rng.uniform() < 0.4 else Material("wood", _pick(rng, _WOODS))
    dims = {"seat_height": seat_h, "seat_radius": r_seat, "seat_thickness": t, "splay_deg": math.degrees(splay)}
    return Blueprint(parts, {"main": main, "frame": frame_mat}, dims, anchors, "support", style, edge_length=0.05)


# --------------------------------------------------------------------------- table


def build_table(rng: np.random.Generator, variant: str | None, action: str | None) -> Blueprint:
    """A table: top, apron rails and four legs.

    Ranges: dining / desk height 0.72–0.78 m, top 0.90–1.60 × 0.60–0.90 m;
    coffee / side table height 0.40–0.48 m, top 0.60–1.20 × 0.40–0.70 m;
    square (café / card table) height 0.72–0.76 m, top 0.75–1.00 m square;
    small (side / end table) height 0.45–0.60 m, top 0.40–0.60 × 0.40–0.55 m.
    """
    kind = variant if variant in ("dining", "coffee", "square", "small") else (
        "dining" if rng.uniform() < 0.6 else "coffee")
    if kind == "dining":
        h, w, d = _u(rng, 0.72, 0.78), _u(rng, 0.9, 1.6), _u(rng, 0.6, 0.9)
        apron_h = _u(rng, 0.06, 0.10)
    elif kind == "square":
        h, w = _u(rng, 0.72, 0.76), _u(rng, 0.75, 1.0)
        d = w
        apron_h = _u(rng, 0.06, 0.09)
    elif kind == "small":
        h, w, d = _u(rng, 0.45, 0.60), _u(rng, 0.40, 0.60), _u(rng, 0.40, 0.55)
        apron_h = _u(rng, 0.04, 0.07)
    else:
        h, w, d = _u(rng, 0.40, 0.48), _u(rng, 0.6, 1.2), _u(rng, 0.4, 0.7)
        apron_h = _u(rng, 0.04, 0.06)
    top_t = _u(rng, 0.025, 0.045)
    leg_kind = _pick(rng, ["square", "round"])
    leg = _u(rng, 0.04, 0.07) if kind != "small" else _u(rng, 0.03, 0.045)
    inset = (_u(rng, 0.03, 0.08) if kind != "small" else _u(rng, 0.015, 0.04)) + leg / 2
    parts = [Part(rounded_box((w, top_t, d), (0, h - top_t / 2, 0), 0.006), "main")]
    xs, zs = w / 2 - inset, d / 2 - inset
    under = h - top_t + 0.004
    for x in (-xs, xs):
        for z in (-zs, zs):
            parts.append(_leg(leg_kind, x, z, -0.02, under, leg))
    at = 0.02
    y_a = under - apron_h / 2 - 0.002
    parts.append(Part(rounded_box((2 * xs, apron_h, at), (0, y_a, zs), 0.003), "frame"))
    parts.append(Part(rounded_box((2 * xs, apron_h, at), (0, y_a, -zs), 0.003), "frame"))
    parts.append(Part(rounded_box((at, apron_h, 2 * zs), (xs, y_a, 0), 0.003), "frame"))
    parts.append(Part(rounded_box((at, apron_h, 2 * zs), (-xs, y_a, 0), 0.003), "frame"))
    anchors = {
        "top": Anchor.at((0.0, h, 0.0), (0, 1, 0), (0, 0, 1)),
        "edge_front": Anchor.at((0.0, h - top_t / 2, d / 2), (0, 0, 1), (1, 0, 0)),
        "edge_back": Anchor.at((0.0, h - top_t / 2, -d / 2), (0, 0, -1), (-1, 0, 0)),
        "edge_left": Anchor.at((w / 2, h - top_t / 2, 0.0), (1, 0, 0), (0, 0, -1)),
        "edge_right": Anchor.at((-w / 2, h - top_t / 2, 0.0), (-1, 0, 0), (0, 0, 1)),
    }
    wood = _pick(rng, _WOODS)
    main = Material("wood", wood) if rng.uniform() < 0.75 else Material("stone", (200, 198, 192))
    frame_mat = Material("wood", wood) if rng.uniform() < 0.6 else Material("metal", _pick(rng, _FRAMES))
    dims = {"top_height": h, "top_width": w, "top_depth": d, "top_thickness": top_t}
    style = {"variant": kind, "legs": leg_kind}
    return Blueprint(parts, {"main": main, "frame": frame_mat}, dims, anchors, "support", style, edge_length=0.05)


# --------------------------------------------------------------------------- bench


def build_bench(rng: np.random.Generator, variant: str | None, action: str | None) -> Blueprint:
    """A park bench: slatted seat and backrest on two or three side frames.

    Ranges: length 1.2–1.8 m, seat height 0.42–0.48 m, seat depth 0.40–0.48 m,
    backrest top 0.75–0.90 m, backrest tilt 8–16°, optional armrests.
    """
    length = _u(rng, 1.2, 1.8)
    seat_h = _u(rng, 0.42, 0.48)
    seat_d = _u(rng, 0.40, 0.48)
    back_top = _u(rng, 0.75, 0.90)
    tilt = math.radians(_u(rng, 8.0, 16.0))
    fw = _u(rng, 0.04, 0.06)
    overhang = _u(rng, 0.08, 0.15)
    n_frames = 2 if length < 1.5 else 3
    xs_end = length / 2 - overhang
    frame_x = [-xs_end, xs_end] + ([0.0] if n_frames == 3 else [])
    slat_t = _u(rng, 0.025, 0.035)
    n_seat = int(rng.integers(4, 7))
    gap = _u(rng, 0.008, 0.015)
    slat_w = (seat_d - (n_seat - 1) * gap) / n_seat
    support_h = 0.05
    support_top = seat_h - slat_t + 0.003
    z_front, z_rear = seat_d / 2 - 0.05, -seat_d / 2 + 0.035
    arms = n_frames == 2 and rng.uniform() < 0.5
    arm_h = seat_h + _u(rng, 0.18, 0.24)
    parts: list[Part] = []
    post_start = support_top - support_h
    dz = -(back_top - post_start) * math.tan(tilt)
    for x in frame_x:
        top_front = arm_h if (arms and x != 0.0) else support_top - 0.01
        parts.append(Part(rounded_box((fw, top_front + 0.02, 0.05), (x, (top_front - 0.02) / 2, z_front), 0.005), "frame"))
        parts.append(Part(rounded_box((fw, post_start + 0.03, 0.05), (x, (post_start + 0.01) / 2, z_rear), 0.005), "frame"))
        parts.append(Part(rounded_box((fw, support_h, seat_d - 0.01), (x, support_top - support_h / 2, 0.0), 0.005), "frame"))
        solid, frame = beam((x, post_start, z_rear), (x, back_top, z_rear + dz), fw, 0.05, 0.005)
        parts.append(Part(solid, "frame", "box", frame))
    for k in range(n_seat):
        zc = seat_d / 2 - slat_w / 2 - k * (slat_w + gap)
        parts.append(Part(rounded_box((length, slat_t, slat_w), (0, seat_h - slat_t / 2, zc), 0.006), "main"))
    normal = np.array([0.0, math.sin(tilt), math.cos(tilt)])
    direction = np.array([0.0, math.cos(tilt), -math.sin(tilt)])
    rot = rotation_to(direction, up=(0.0, 0.0, 1.0))

    def on_line(y: float) -> np.ndarray:
        return np.array([0.0, y, z_rear - (y - post_start) * math.tan(tilt)])

    n_back = int(rng.integers(2, 5))
    bt = _u(rng, 0.02, 0.03)
    y0 = seat_h + _u(rng, 0.06, 0.12)
    span = back_top - 0.01 - y0
    slat_h = min(_u(rng, 0.06, 0.10), span / n_back - 0.01)
    off = 0.025 + bt / 2 - 0.003
    slat_centres = np.linspace(back_top - 0.01, y0 + slat_h, n_back) - slat_h / 2
    for yc in slat_centres:
        c = on_line(yc) + normal * off
        parts.append(Part(rounded_box((length, slat_h / math.cos(tilt), bt), tuple(c), 0.006, rot), "main",
                          "box", frame_of(rot, c)))
    anchors = {}
    if arms:
        for x, name in ((xs_end, "armrest_left"), (-xs_end, "armrest_right")):
            z1 = on_line(arm_h)[2]
            parts.append(Part(rounded_box((0.06, 0.03, z_front + 0.04 - z1), (x, arm_h, (z_front + 0.04 + z1) / 2), 0.008), "frame"))
            anchors[name] = Anchor.at((x, arm_h + 0.015, z_front - 0.05), (0, 1, 0), (0, 0, 1))
    y_a = float(slat_centres[np.abs(slat_centres - (y0 + back_top) / 2).argmin()])
    anchors.update({
        "seat": Anchor.at((0.0, seat_h, 0.0), (0, 1, 0), (0, 0, 1)),
        "backrest": Anchor.at(on_line(y_a) + normal * (off + bt / 2), normal, (1, 0, 0)),
        "backrest_top": Anchor.at(on_line(back_top - 0.01) + normal * off, (0, 1, 0), (1, 0, 0)),
    })
    iron = rng.uniform() < 0.5
    frame_mat = Material("metal", (38, 40, 38)) if iron else Material("wood", _pick(rng, _WOODS))
    main = Material("wood", _pick(rng, _WOODS))
    dims = {
        "length": length, "seat_height": seat_h, "seat_depth": seat_d,
        "backrest_height": back_top, "back_tilt_deg": math.degrees(tilt),
    }
    style = {"frames": str(n_frames), "frame": "iron" if iron else "wood", "seat_slats": str(n_seat),
             "back_slats": str(n_back), "arms": "yes" if arms else "no"}
    return Blueprint(parts, {"main": main, "frame": frame_mat}, dims, anchors, "support", style, edge_length=0.05)
