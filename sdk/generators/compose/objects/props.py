"""Hand-held and household prop builders: umbrella, guitar, broom, phone, book, cup
("held") and lamp ("floor").

Long props stand upright in their own frame; their `grip` anchor is a point on
the handle's axis (its depth is the handle's radius) with the handle direction
(+Y) as its axis. Flat props (phone, book) lie on the floor, largest face up.
"""

from __future__ import annotations

import math

import numpy as np
from manifold3d import CrossSection

from hoiexport.sdk.generators.compose.objects.base import Anchor, Blueprint
from hoiexport.sdk.generators.compose.objects.geometry import (
    Part,
    arc_tube,
    axis_rotation,
    beam,
    ccw,
    cylinder,
    frame_of,
    frustum_shell,
    lathe,
    place,
    prism,
    rod,
    rotation_to,
    rounded_box,
    rounded_outline,
    sphere,
    tapered_box,
)
from hoiexport.sdk.generators.compose.objects.materials import Material
from hoiexport.sdk.generators.compose.objects.sampling import pick, style, uniform

_CANOPIES = [(30, 30, 34), (25, 45, 95), (150, 30, 40), (40, 90, 60), (200, 170, 50), (120, 60, 130)]
_WOODS = [(150, 104, 62), (120, 80, 48), (178, 136, 92), (92, 60, 38)]
_GUITARS = [(196, 140, 80), (150, 70, 40), (40, 30, 28), (200, 40, 40), (235, 230, 220), (40, 70, 140)]
_COVERS = [(150, 30, 40), (30, 60, 120), (40, 90, 60), (30, 30, 32), (200, 160, 60), (110, 70, 50)]
_PHONES = [(30, 30, 32), (200, 200, 205), (210, 190, 170), (40, 60, 100), (160, 40, 50)]
_SHADES = [(236, 228, 210), (220, 210, 190), (40, 40, 44), (160, 60, 50), (60, 90, 120)]
_LAMP_METALS = [(40, 40, 42), (190, 192, 196), (182, 150, 70), (120, 100, 70)]
_Z_TO_Y = np.array([[1.0, 0.0, 0.0], [0.0, 0.0, 1.0], [0.0, -1.0, 0.0]])
"""Rotation taking local +Z to +Y (a prism extruded along Z stands up along Y); its
transpose takes +Y to +Z (a cylinder about Y lies along Z)."""
_END_GRIP_M = 0.035
"""How far from a flat thing's +Z end its one-hand `grip` sits: the hand holds it by
that end and the rest reaches out of the hand along the knuckle line, away from
the thumb (which stands 5–7 cm out of the palm plane above the palm centre)."""
_END_LEAN = 0.05
"""Tilt (tangent, ≈3°) of a flat thing's `grip` normal towards its +Z end. The planner
holds a wrapped object the way round that keeps its +Y more upright; a flat thing's
+Y (its face normal) lies across the hand either way round, and the lean decides
it: +Z up, the thing hanging below the hand, in the left hand as in the right."""
_GRIP_OVAL = 0.75
"""Depth / width of an oval handle section: thinner across the palm (z) than along the fingers (x)."""


def _axis_frame(y: float = 0.0, x: float = 0.0, z: float = 0.0) -> np.ndarray:
    return frame_of(np.eye(3), (x, y, z))


# --------------------------------------------------------------------------- umbrella


def _crook(center: tuple[float, float, float], radius: float, tube: float, down: bool) -> Part:
    """A J crook: a half torus in the XY plane from x = center.x - radius to
    center.x + radius, over the top (down=False) or under the bottom (down=True)."""
    rot = axis_rotation("z", 180.0) if down else np.eye(3)
    solid = arc_tube(radius, tube, 180.0, frame_of(rot, center), 24, 12)
    return Part(solid, "handle", "cylinder", frame_of(rotation_to((0, 0, 1)), center), refine=False)


def build_umbrella(rng: np.random.Generator, variant: str | None, action: str | None) -> Blueprint:
    """An umbrella: closed (furled canopy, standing on its ferrule, the J-handle at
    the top) or open (eight-panel canopy up, the J-handle at the bottom).

    "umbrella" alone is closed; "open" only when asked. Ranges: closed length
    0.82–0.95 m; open canopy 0.86–1.06 m across, 0.74–0.90 m tall.
    """
    kind = style(rng, variant, ("closed", "open"), default="closed")
    shaft_r = uniform(rng, 0.005, 0.006)
    grip_r, grip_len = uniform(rng, 0.014, 0.016), uniform(rng, 0.10, 0.12)
    crook_r, crook_t = uniform(rng, 0.042, 0.05), uniform(rng, 0.011, 0.013)
    parts: list[Part] = []
    slots = {"main": Material("fabric", pick(rng, _CANOPIES)), "handle": Material("wood", pick(rng, _WOODS)),
             "metal": Material("metal", (190, 192, 196))}
    if kind == "closed":
        length = uniform(rng, 0.82, 0.95)
        y_g1 = length - crook_r - crook_t
        y_g0 = y_g1 - grip_len
        tip = 0.03
        parts.append(Part(cylinder(0.004, tip + 0.01, (0, 0, 0), 0.006, 12), "metal", "cylinder", _axis_frame()))
        parts.append(Part(cylinder(shaft_r, y_g0 - tip + 0.01, (0, tip, 0), segments=12), "metal", "cylinder",
                          _axis_frame(tip)))
        furl = uniform(rng, 0.024, 0.032)
        top = y_g0 - 0.03
        prof = [(0.0, tip + 0.005), (0.007, tip + 0.005), (furl, tip + 0.22), (furl * 0.9, top - 0.12),
                (0.012, top), (0.0, top)]
        parts.append(Part(lathe(ccw(prof), 8), "main", "cylinder", _axis_frame(tip)))
        band_y = tip + 0.22 + 0.08
        parts.append(Part(cylinder(furl * 1.0, 0.02, (0, band_y, 0), segments=8), "main", "cylinder",
                          _axis_frame(band_y)))
        grip = cylinder(grip_r, grip_len, (0, y_g0, 0), segments=20).scale((1.0, 1.0, _GRIP_OVAL))
        parts.append(Part(grip, "handle", "cylinder", _axis_frame(y_g0)))
        parts.append(_crook((crook_r, y_g1, 0.0), crook_r, crook_t, down=False))
        crook_point = (crook_r, y_g1 + crook_r + crook_t, 0.0)
        crook_normal = (0, 1, 0)
        dims = {"umbrella_length": length}
    else:
        radius, cap_h = uniform(rng, 0.43, 0.53), uniform(rng, 0.17, 0.23)
        y_c = crook_r + crook_t
        y_g0 = y_c
        y_g1 = y_g0 + grip_len
        top = uniform(rng, 0.72, 0.86)
        parts.append(_crook((crook_r, y_c, 0.0), crook_r, crook_t, down=True))
        grip = cylinder(grip_r, grip_len, (0, y_g0, 0), segments=20).scale((1.0, 1.0, _GRIP_OVAL))
        parts.append(Part(grip, "handle", "cylinder", _axis_frame(y_g0)))
        parts.append(Part(cylinder(shaft_r, top - y_g1 + 0.035, (0, y_g1 - 0.01, 0), segments=12), "metal",
                          "cylinder", _axis_frame(y_g1)))
        thick = 0.004
        outer = [(radius * s, top - cap_h * s**1.7) for s in np.linspace(0.0, 1.0, 14)]
        inner = [(r, y - thick) for r, y in outer[::-1]]
        parts.append(Part(lathe(ccw(outer + inner), 8), "main", "cylinder", _axis_frame(top - cap_h)))
        parts.append(Part(sphere(0.008, (0, top + 0.03, 0), 12), "metal", "sphere", _axis_frame(top + 0.03)))
        crook_point = (crook_r, y_c - crook_r - crook_t, 0.0)
        crook_normal = (0, -1, 0)
        dims = {"canopy_radius": radius, "umbrella_length": top + 0.038}
    anchors = {
        "grip": Anchor.at((0.0, (y_g0 + y_g1) / 2, 0.0), (0, 0, 1), (0, 1, 0)),
        "crook": Anchor.at(crook_point, crook_normal, (0, 0, 1)),
    }
    dims.update({"grip_radius": grip_r * _GRIP_OVAL, "grip_length": grip_len})
    return Blueprint(parts, slots, dims, anchors, "held", {"variant": kind}, edge_length=0.03)


# --------------------------------------------------------------------------- guitar


def build_guitar(rng: np.random.Generator, variant: str | None, action: str | None) -> Blueprint:
    """A guitar standing on its lower bout, neck up (+Y), strings facing +Z: a
    two-bout body (acoustic: hollow-deep with a sound hole; electric: thin solid
    with pickups), a neck with a fretboard and a headstock with tuning pegs.

    `grip` is the neck just above the body (where one hand carries it), `neck`
    the middle of the neck; both are points on the neck's axis. Ranges:
    acoustic body 0.36–0.41 m wide, 0.09–0.12 m deep; electric 0.31–0.34 m,
    0.04–0.05 m; overall 0.97–1.10 m (headstock tilted back 12°).
    """
    kind = style(rng, variant, ("acoustic", "electric"))
    if kind == "acoustic":
        r_low, r_up, depth = uniform(rng, 0.18, 0.205), uniform(rng, 0.135, 0.15), uniform(rng, 0.09, 0.12)
        body_len, neck_len = uniform(rng, 0.48, 0.52), uniform(rng, 0.36, 0.40)
    else:
        r_low, r_up, depth = uniform(rng, 0.155, 0.17), uniform(rng, 0.12, 0.13), uniform(rng, 0.04, 0.05)
        body_len, neck_len = uniform(rng, 0.42, 0.45), uniform(rng, 0.40, 0.44)
    c_low, c_up = r_low, body_len - r_up
    outline = (CrossSection.circle(r_low, 64).translate((0.0, c_low))
               + CrossSection.circle(r_up, 56).translate((0.0, c_up)))
    waist = 0.05
    outline = outline.offset(waist, circular_segments=32).offset(-waist, circular_segments=32)
    parts = [Part(prism(outline, depth), "main", "box", _axis_frame())]
    cuts: list[Part] = []
    neck_w, neck_t = 0.048, 0.022
    z_neck = depth / 2 - neck_t / 2 - 0.002
    if kind == "acoustic":
        y_hole = c_up - 0.01
        hole_r = uniform(rng, 0.042, 0.05)
        hole = place(cylinder(hole_r, 0.02, segments=40), frame_of(_Z_TO_Y.T, (0.0, y_hole, depth / 2 - 0.004)))
        cuts.append(Part(hole, "accent", "box", _axis_frame(y_hole)))
        parts.append(Part(rounded_box((0.15, 0.028, 0.01), (0, c_low * 0.75, depth / 2), 0.004), "accent"))
    else:
        for y in (c_low * 0.75, c_low * 1.25, c_up):
            parts.append(Part(rounded_box((0.075, 0.02, 0.012), (0, y, depth / 2), 0.003), "metal"))
    y_n0, y_n1 = body_len - 0.03, body_len + neck_len
    neck, nf = beam((0.0, y_n0, z_neck), (0.0, y_n1, z_neck), neck_w, neck_t, 0.006)
    parts.append(Part(neck, "main", "box", nf))
    board, bf = beam((0.0, y_n0 - 0.06, z_neck + neck_t / 2), (0.0, y_n1, z_neck + neck_t / 2), neck_w + 0.004,
                     0.008, 0.002)
    parts.append(Part(board, "accent", "box", bf))
    tilt = axis_rotation("x", -12.0)
    head_len = uniform(rng, 0.17, 0.19)
    head_c = np.array([0.0, y_n1, z_neck]) + tilt @ np.array([0.0, head_len / 2 - 0.01, -0.004])
    parts.append(Part(rounded_box((0.085, head_len, 0.018), tuple(head_c), 0.008, tilt), "main", "box",
                      frame_of(tilt, head_c)))
    for k in range(3):
        for sx in (-1, 1):
            c = np.array([0.0, y_n1, z_neck]) + tilt @ np.array([0.0, 0.04 + k * 0.045, -0.004])
            p0, p1 = c + [sx * 0.035, 0, 0], c + [sx * 0.062, 0, 0]
            parts.append(Part(rod(p0, p1, 0.0045, 10), "metal", "cylinder", frame_of(rotation_to(p1 - p0), p0)))
    anchors = {
        "grip": Anchor.at((0.0, body_len + 0.08, z_neck), (-1, 0, 0), (0, 1, 0)),
        "neck": Anchor.at((0.0, body_len + neck_len * 0.55, z_neck), (0, 0, -1), (0, 1, 0)),
        "body": Anchor.at((0.0, c_low, depth / 2), (0, 0, 1), (1, 0, 0)),
        "back": Anchor.at((0.0, (c_low + c_up) / 2, -depth / 2), (0, 0, -1), (0, 1, 0)),
        "side_left": Anchor.at((r_low, c_low, 0.0), (1, 0, 0), (0, 1, 0)),
        "side_right": Anchor.at((-r_low, c_low, 0.0), (-1, 0, 0), (0, 1, 0)),
    }
    slots = {"main": Material("wood", pick(rng, _GUITARS)), "accent": Material("wood", (45, 30, 24)),
             "metal": Material("metal", (200, 200, 204))}
    dims = {"body_length": body_len, "body_width": 2 * r_low, "body_depth": depth, "neck_length": neck_len,
            "grip_radius": neck_t / 2}
    return Blueprint(parts, slots, dims, anchors, "held", {"variant": kind}, cuts=cuts, edge_length=0.03)


# --------------------------------------------------------------------------- broom


def build_broom(rng: np.random.Generator, variant: str | None, action: str | None) -> Blueprint:
    """A broom standing on its bristles: a household broom (block head with a
    bristle brush) or a corn broom (a flat fan of straw bound to the stick).

    Ranges: overall 1.22–1.46 m; head 0.26–0.34 m wide.
    """
    kind = style(rng, variant, ("household", "corn"))
    height = uniform(rng, 1.22, 1.46)
    stick_r = uniform(rng, 0.011, 0.0125)
    parts: list[Part] = []
    if kind == "household":
        w, d = uniform(rng, 0.26, 0.32), uniform(rng, 0.045, 0.06)
        bristle_h, block_h = uniform(rng, 0.06, 0.09), uniform(rng, 0.035, 0.045)
        parts.append(Part(tapered_box((w + 0.02, d + 0.025), (w - 0.01, d - 0.006), bristle_h + 0.005, 0.0, 0.006,
                                      0.003), "bristles"))
        parts.append(Part(rounded_box((w, block_h, d), (0, bristle_h + block_h / 2, 0), 0.008), "head"))
        y_stick = bristle_h + block_h - 0.01
        parts.append(Part(cylinder(0.018, 0.03, (0, y_stick, 0), 0.014, 20), "head", "cylinder", _axis_frame(y_stick)))
    else:
        w = uniform(rng, 0.26, 0.34)
        fan_h = uniform(rng, 0.34, 0.40)
        parts.append(Part(tapered_box((w, 0.035), (0.07, 0.05), fan_h, 0.0, 0.006, 0.01), "bristles"))
        for y in (fan_h * 0.6, fan_h * 0.78):
            parts.append(Part(cylinder(0.03, 0.012, (0, y, 0), 0.028, 20).scale((1.0, 1.0, 0.7)), "head",
                              "cylinder", _axis_frame(y)))
        y_stick = fan_h - 0.05
    stick = cylinder(stick_r, height - y_stick, (0, y_stick, 0), segments=20).scale((1.0, 1.0, _GRIP_OVAL))
    parts.append(Part(stick, "main", "cylinder", _axis_frame(y_stick)))
    parts.append(Part(sphere(stick_r * 1.05, (0, height - stick_r, 0), 16), "head", "sphere",
                      _axis_frame(height - stick_r)))
    y_grip = min(height - 0.2, 1.0)
    anchors = {
        "grip": Anchor.at((0.0, y_grip, 0.0), (0, 0, 1), (0, 1, 0)),
        "grip_low": Anchor.at((0.0, y_grip - 0.35, 0.0), (0, 0, 1), (0, 1, 0)),
        "head": Anchor.at((0.0, 0.0, 0.0), (0, -1, 0), (1, 0, 0)),
    }
    slots = {"main": Material("wood", pick(rng, _WOODS)) if rng.uniform() < 0.6 else Material("plastic", pick(rng, _CANOPIES)),
             "head": Material("plastic", pick(rng, _CANOPIES)),
             "bristles": Material("fabric", (200, 170, 90) if kind == "corn" else pick(rng, [(40, 40, 44), (200, 60, 50)]))}
    dims = {"broom_height": height, "head_width": w, "grip_radius": stick_r * _GRIP_OVAL}
    return Blueprint(parts, slots, dims, anchors, "held", {"variant": kind}, edge_length=0.03)


# --------------------------------------------------------------------------- phone


def build_phone(rng: np.random.Generator, variant: str | None, action: str | None) -> Blueprint:
    """A smartphone lying on its back, screen up: a slab with rounded corners, a
    glass screen, side buttons and a camera island on the screen's top edge side.

    `grip` is on the slab's mid-plane `_END_GRIP_M` from its +Z end (its depth is
    half the thickness): its normal is the back (-Y, where the palm goes, leaning
    `_END_LEAN` towards +Z) and its axis the long side (+Z), so the phone hangs
    out of the hand along the knuckles, away from the thumb. `palm` is the back's centre, where it rests on
    an open palm. Ranges: 0.068–0.078 × 0.145–0.165 m, 7.5–9 mm thick.
    """
    w, length, t = uniform(rng, 0.068, 0.078), uniform(rng, 0.145, 0.165), uniform(rng, 0.0075, 0.009)
    corner = uniform(rng, 0.007, 0.011)
    body = prism(rounded_outline(w, length, corner), t, frame_of(_Z_TO_Y, (0.0, t / 2, 0.0)))
    parts = [Part(body, "main", "box", _axis_frame())]
    bez = uniform(rng, 0.002, 0.004)
    screen = prism(rounded_outline(w - 2 * bez, length - 2 * bez, corner - bez), 0.001,
                   frame_of(_Z_TO_Y, (0.0, t + 0.0002, 0.0)))
    parts.append(Part(screen, "screen", "box", _axis_frame(t)))
    for z, ln in ((-0.025, 0.02), (0.01, 0.012), (0.03, 0.012)):
        x = w / 2 if ln > 0.015 else -w / 2
        parts.append(Part(rounded_box((0.003, t * 0.4, ln), (x, t / 2, z), 0.001), "accent"))
    anchors = {
        "grip": Anchor.at((0.0, t / 2, length / 2 - _END_GRIP_M), (0, -1, _END_LEAN), (0, 0, 1)),
        "palm": Anchor.at((0.0, 0.0, 0.0), (0, -1, 0), (0, 0, 1)),
        "screen": Anchor.at((0.0, t + 0.0012, 0.0), (0, 1, 0), (0, 0, 1)),
        "side_left": Anchor.at((w / 2, t / 2, 0.0), (1, 0, 0), (0, 0, 1)),
        "side_right": Anchor.at((-w / 2, t / 2, 0.0), (-1, 0, 0), (0, 0, 1)),
    }
    slots = {"main": Material("plastic", pick(rng, _PHONES)), "screen": Material("glass", (16, 18, 24)),
             "accent": Material("metal", (150, 152, 158))}
    dims = {"phone_width": w, "phone_length": length, "thickness": t, "grip_radius": t / 2}
    return Blueprint(parts, slots, dims, anchors, "held", {"corner_mm": f"{1000 * corner:.0f}"}, edge_length=0.01)


# --------------------------------------------------------------------------- book


def build_book(rng: np.random.Generator, variant: str | None, action: str | None) -> Blueprint:
    """A closed book lying on its back cover, front cover up, spine at -X: two
    cover boards, the page block and a rounded spine.

    `grip` is on the mid-plane `_END_GRIP_M` from the +Z end (the palm on the
    back cover, -Y leaning `_END_LEAN` towards +Z; the book hangs out of the
    hand along the knuckles, away from the thumb; its depth is half the
    thickness); `spine` the spine's axis;
    `palm` the back cover's centre (resting on an open palm); `side_left` the
    fore-edge (+X), `side_right` the spine (-X).
    Ranges: hardcover 0.14–0.19 × 0.21–0.26 m, 18–50 mm thick; paperback
    0.105–0.135 × 0.17–0.20 m, 10–32 mm.
    """
    kind = style(rng, variant, ("hardcover", "paperback"))
    if kind == "hardcover":
        w, h, t, c = uniform(rng, 0.14, 0.19), uniform(rng, 0.21, 0.26), uniform(rng, 0.018, 0.05), 0.0028
        over = 0.003
    else:
        w, h, t, c = uniform(rng, 0.105, 0.135), uniform(rng, 0.17, 0.20), uniform(rng, 0.010, 0.032), 0.0008
        over = 0.0005
    parts = [
        Part(rounded_box((w, c, h), (0.0, c / 2, 0.0), 0.0008), "main"),
        Part(rounded_box((w, c, h), (0.0, t - c / 2, 0.0), 0.0008), "main"),
    ]
    sr = t / 2
    x_spine = -w / 2 + sr
    spine = place(cylinder(sr, h, segments=20), frame_of(_Z_TO_Y.T, (x_spine, sr, -h / 2)))
    parts.append(Part(spine, "main", "cylinder", frame_of(rotation_to((0, 0, 1)), (x_spine, sr, -h / 2))))
    page_w = w - over - (x_spine - (-w / 2))
    parts.append(Part(rounded_box((page_w, t - 2 * c + 0.001, h - 2 * over), (x_spine + page_w / 2 - 0.0005, t / 2, 0.0),
                                  0.0008), "pages"))
    anchors = {
        "grip": Anchor.at((0.0, t / 2, h / 2 - _END_GRIP_M), (0, -1, _END_LEAN), (0, 0, 1)),
        "spine": Anchor.at((x_spine, sr, 0.0), (-1, 0, 0), (0, 0, 1)),
        "palm": Anchor.at((0.0, 0.0, 0.0), (0, -1, 0), (0, 0, 1)),
        "cover": Anchor.at((0.0, t, 0.0), (0, 1, 0), (0, 0, 1)),
        "side_left": Anchor.at((w / 2 - over, t / 2, 0.0), (1, 0, 0), (0, 0, 1)),
        "side_right": Anchor.at((-w / 2, t / 2, 0.0), (-1, 0, 0), (0, 0, 1)),
    }
    slots = {"main": Material("leather" if kind == "hardcover" else "cardboard", pick(rng, _COVERS)),
             "pages": Material("cardboard", (238, 232, 214))}
    dims = {"cover_width": w, "cover_height": h, "thickness": t, "grip_radius": sr}
    return Blueprint(parts, slots, dims, anchors, "held", {"variant": kind}, edge_length=0.02)


# --------------------------------------------------------------------------- cup


def build_cup(rng: np.random.Generator, variant: str | None, action: str | None) -> Blueprint:
    """A handle-less cup: an open paper cup with a rolled rim, a takeaway cup with
    a lid and a cardboard sleeve, or a clear plastic tumbler (open).

    `grip` is on the outer wall facing +Z (an open cup has nothing on its axis),
    its axis the cup's (+Y); the palm goes on it and the fingers wrap around.

    Ranges: height 0.085–0.15 m, rim radius 0.036–0.046 m, base 0.026–0.033 m.
    """
    kind = style(rng, variant, ("paper", "takeaway", "plastic"))
    h, rt = uniform(rng, 0.085, 0.15), uniform(rng, 0.036, 0.046)
    rb = rt * uniform(rng, 0.70, 0.78)

    def radius_at(y: float) -> float:
        return rb + (rt - rb) * y / h

    outer = [(0.0, 0.0), (rb - 0.002, 0.0), (rb, 0.002), (rt, h), (0.0, h)]
    parts = [Part(lathe(ccw(outer), 40), "main", "cylinder", _axis_frame())]
    cuts: list[Part] = []
    slots = {"main": Material("cardboard" if kind != "plastic" else "plastic",
                              (240, 238, 232) if kind != "plastic" else (215, 228, 236))}
    if kind == "takeaway":
        lid = [(0.0, h - 0.003), (rt + 0.003, h - 0.003), (rt + 0.003, h + 0.004), (rt - 0.004, h + 0.012),
               (0.0, h + 0.012)]
        parts.append(Part(lathe(ccw(lid), 40), "accent", "cylinder", _axis_frame(h)))
        y0, y1 = h * 0.35, h * 0.35 + min(0.055, 0.45 * h)
        sleeve = [(radius_at(y0) - 0.001, y0), (radius_at(y1) - 0.001, y1), (radius_at(y1) + 0.0025, y1),
                  (radius_at(y0) + 0.0025, y0)]
        parts.append(Part(lathe(ccw(sleeve), 40), "sleeve", "cylinder", _axis_frame(y0)))
        slots["accent"] = Material("plastic", pick(rng, [(240, 240, 238), (30, 30, 32)]))
        slots["sleeve"] = Material("cardboard", (176, 134, 88))
        top = h + 0.012
    else:
        wall = 0.0015 if kind == "paper" else 0.002
        cavity = [(0.0, 0.006), (rb - wall, 0.006), (rt - wall, h), (rt - wall, h + 0.02), (0.0, h + 0.02)]
        cuts.append(Part(lathe(ccw(cavity), 40), "main", "cylinder", _axis_frame()))
        if kind == "paper":
            parts.append(Part(arc_tube(rt - 0.0005, 0.002, 360.0, frame_of(_Z_TO_Y, (0.0, h - 0.001, 0.0)),
                                       40, 8), "main", "cylinder", _axis_frame(h), refine=False))
        top = h + (0.001 if kind == "paper" else 0.0)
    # an open cup has no material on its axis: the grip is the outer wall facing +Z (depth 0),
    # high enough that the thumb (above the palm centre) clears the rim
    y_grip = h - 0.035
    anchors = {
        "grip": Anchor.at((0.0, y_grip, radius_at(y_grip)), (0, 0, 1), (0, 1, 0)),
        "rim": Anchor.at((0.0, min(top, h + 0.001), rt), (0, 1, 0), (1, 0, 0)),
    }
    dims = {"cup_height": h, "rim_radius": rt, "base_radius": rb, "grip_radius": radius_at(y_grip)}
    return Blueprint(parts, slots, dims, anchors, "held", {"variant": kind}, cuts=cuts, edge_length=0.012)


# --------------------------------------------------------------------------- lamp


def build_lamp(rng: np.random.Generator, variant: str | None, action: str | None) -> Blueprint:
    """A lamp: a floor lamp (weighted disc base, pole, open conical shade on three
    spokes around a bulb) or a table lamp (ceramic vase base, short pole, shade).

    "lamp" alone is a floor lamp. `grip` is a point on the pole's axis at about
    1.0 m (floor) or the vase's belly axis (table). Ranges: floor 1.45–1.78 m
    tall, shade 0.40–0.48 m across; table 0.46–0.62 m, shade 0.30–0.36 m.
    """
    kind = style(rng, variant, ("floor", "table"), default="floor")
    parts: list[Part] = []
    metal = Material("metal", pick(rng, _LAMP_METALS))
    if kind == "floor":
        base_r, base_h = uniform(rng, 0.13, 0.16), uniform(rng, 0.02, 0.03)
        pole_r, pole_top = uniform(rng, 0.012, 0.0145), uniform(rng, 1.40, 1.60)
        r_b, r_t, s_h = uniform(rng, 0.20, 0.24), uniform(rng, 0.13, 0.16), uniform(rng, 0.22, 0.30)
        parts.append(Part(cylinder(base_r, base_h, segments=40), "main", "cylinder", _axis_frame()))
        parts.append(Part(cylinder(pole_r, pole_top - base_h + 0.005, (0, base_h - 0.005, 0), segments=20), "main",
                          "cylinder", _axis_frame(base_h)))
        grip_y, grip_r = min(1.0, pole_top - 0.3), pole_r
        body_r = base_r
        y_s0 = pole_top - 0.12
    else:
        body_r, body_h = uniform(rng, 0.085, 0.11), uniform(rng, 0.20, 0.28)
        foot = body_r * 0.7
        prof = [(0.0, 0.0), (foot, 0.0), (foot, 0.01), (body_r, body_h * 0.45), (body_r * 0.9, body_h * 0.75),
                (0.028, body_h), (0.0, body_h)]
        parts.append(Part(lathe(ccw(prof), 40), "main", "cylinder", _axis_frame()))
        pole_r, pole_top = 0.008, body_h + uniform(rng, 0.14, 0.18)
        parts.append(Part(cylinder(pole_r, pole_top - body_h + 0.01, (0, body_h - 0.01, 0), segments=16), "metal",
                          "cylinder", _axis_frame(body_h)))
        r_b, r_t, s_h = uniform(rng, 0.15, 0.18), uniform(rng, 0.10, 0.12), uniform(rng, 0.17, 0.22)
        grip_y, grip_r = body_h * 0.45, body_r
        y_s0 = pole_top - 0.08
    thick = 0.003
    parts.append(Part(frustum_shell(r_b, r_t, s_h, thick, y_s0, 40), "shade", "cylinder", _axis_frame(y_s0)))
    parts.append(Part(sphere(0.03, (0, pole_top + 0.02, 0), 20), "bulb", "sphere", _axis_frame(pole_top + 0.02)))
    y_sp = y_s0 + 0.75 * s_h
    r_sp = r_b + (r_t - r_b) * 0.75 - thick / 2
    for k in range(3):
        a = 2 * math.pi * k / 3 + math.pi / 2
        p0 = np.array([0.0, min(y_sp, pole_top), 0.0])
        p1 = np.array([r_sp * math.cos(a), y_sp, r_sp * math.sin(a)])
        parts.append(Part(rod(p0, p1, 0.0025, 8), "metal", "cylinder", frame_of(rotation_to(p1 - p0), p0)))
    if y_sp > pole_top:
        parts.append(Part(cylinder(0.006, y_sp - pole_top + 0.01, (0, pole_top, 0), segments=12), "metal",
                          "cylinder", _axis_frame(pole_top)))
    y_mid = y_s0 + s_h / 2
    r_mid = (r_b + r_t) / 2
    slope = (r_b - r_t) / s_h
    n = np.array([0.0, slope, 1.0]) / math.hypot(1.0, slope)
    anchors = {
        "grip": Anchor.at((0.0, grip_y, 0.0), (0, 0, 1), (0, 1, 0)),
        "shade": Anchor.at((0.0, y_mid, r_mid), n, (1, 0, 0)),
        "side_left": Anchor.at((body_r if kind == "table" else r_mid, grip_y if kind == "table" else y_mid, 0.0),
                               (1, 0, 0), (0, 1, 0)),
        "side_right": Anchor.at((-(body_r if kind == "table" else r_mid), grip_y if kind == "table" else y_mid, 0.0),
                                (-1, 0, 0), (0, 1, 0)),
    }
    main = metal if kind == "floor" else Material("ceramic", pick(rng, [(236, 233, 226), (40, 70, 130), (120, 160, 120)]))
    slots = {"main": main, "shade": Material("fabric", pick(rng, _SHADES)), "bulb": Material("glass", (250, 246, 228))}
    if kind == "table":
        slots["metal"] = metal
    else:
        slots["metal"] = Material("metal", (190, 192, 196))
    dims = {"lamp_height": y_s0 + s_h, "shade_radius": r_b, "grip_radius": grip_r}
    return Blueprint(parts, slots, dims, anchors, "floor", {"variant": kind}, edge_length=0.04)
