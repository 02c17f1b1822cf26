"""Weapon builders: sword, axe, shield ("held" game props).

Swords and axes stand upright in their own frame (pommel or haft end on
y = 0, the blade or head up), so the planner's "keep it upright" choice holds
them blade up; their `grip` anchor is a point on the handle's axis (its depth
is the handle radius), its axis the handle direction (+Y), its normal +Z (the
side the palm comes from: the blade's flat, an axe's cheek, face the sides).
A shield stands on its rim, face +Z, with a bar `handle` on its back (-Z).
"""

from __future__ import annotations

import math

import numpy as np
from manifold3d import CrossSection, JoinType

from hoiexport.sdk.generators.compose.objects.base import Anchor, Blueprint
from hoiexport.sdk.generators.compose.objects.geometry import (
    Part,
    arc_tube,
    capsule,
    ccw,
    cylinder,
    frame_of,
    hull_spheres,
    lathe,
    place,
    prism,
    rotation_to,
    rounded_box,
    sphere,
    union,
)
from hoiexport.sdk.generators.compose.objects.materials import Material
from hoiexport.sdk.generators.compose.objects.sampling import pick, style, uniform

_STEELS = [(196, 198, 202), (176, 180, 186), (214, 214, 210)]
_FITTINGS = [(182, 150, 70), (120, 96, 60), (70, 72, 76), (190, 192, 196)]
_WRAPS = [(70, 44, 26), (28, 24, 22), (110, 30, 30), (40, 50, 90)]
_WOODS = [(150, 104, 62), (120, 80, 48), (178, 136, 92), (160, 120, 80)]
_PAINTS = [(160, 30, 35), (30, 60, 130), (40, 100, 60), (200, 170, 60), (230, 225, 210)]
_Y_TO_Z = np.array([[1.0, 0.0, 0.0], [0.0, 0.0, -1.0], [0.0, 1.0, 0.0]])
"""Rotation taking a solid of revolution's +Y axis to +Z (a disc facing +Z)."""
_GRIP_OVAL = 0.72
"""Depth / width of an oval handle section: thinner across the palm (z) than along the fingers (x)."""


def _axis_frame(y: float) -> np.ndarray:
    return frame_of(np.eye(3), (0.0, y, 0.0))


# --------------------------------------------------------------------------- sword


def _blade_stations(kind: str, y0: float, length: float, width: float, thick: float,
                    curve: float) -> list[np.ndarray]:
    """Cross-sections of a blade from its root (y0) to its tip, each an (N, 3) point set.

    Straight blades have a diamond section (edges at ±x, ridge at ±z); a katana
    has a wedge (edge at +x, spine at -x) and its centre line curves by `curve`
    metres towards -x at the tip.
    """
    out = []
    fractions = np.linspace(0.0, 1.0, 7) if kind == "katana" else np.array([0.0, 0.82, 1.0])
    for t in fractions:
        y = y0 + t * length
        if kind == "katana":
            w = width * (1.0 - 0.25 * t) if t < 1.0 else 0.0
            th = thick * (1.0 - 0.3 * t) if t < 1.0 else 0.0
            xc = -curve * t * t
            pts = [(xc + w / 2, y, 0.0), (xc - w / 2, y, th / 2), (xc - w / 2, y, -th / 2)]
            if t == 1.0:
                pts = [(xc - width * 0.2, y, 0.0)]
        else:
            w = width * (1.0 - 0.22 * t / 0.82) if t < 1.0 else 0.0
            th = thick * (1.0 - 0.25 * t / 0.82) if t < 1.0 else 0.0
            pts = [(w / 2, y, 0.0), (-w / 2, y, 0.0), (0.0, y, th / 2), (0.0, y, -th / 2)]
        out.append(np.array(pts, float))
    return out


def build_sword(rng: np.random.Generator, variant: str | None, action: str | None) -> Blueprint:
    """A sword standing on its pommel: grip, crossguard (a katana's round tsuba),
    blade up (+Y) with its flat facing ±Z.

    Ranges: arming sword blade 0.68–0.78 m, grip 0.12–0.13 m; longsword blade
    0.86–0.95 m, grip 0.20–0.24 m; katana blade 0.66–0.72 m with 12–18 mm of
    curve, grip 0.24–0.27 m. Overall 0.90–1.22 m.
    """
    kind = style(rng, variant, ("arming", "longsword", "katana"))
    if kind == "katana":
        blade, width, thick = uniform(rng, 0.66, 0.72), uniform(rng, 0.029, 0.033), uniform(rng, 0.0065, 0.0075)
        grip_len, grip_r = uniform(rng, 0.24, 0.27), uniform(rng, 0.0135, 0.0155)
        curve = uniform(rng, 0.012, 0.018)
    elif kind == "longsword":
        blade, width, thick = uniform(rng, 0.86, 0.95), uniform(rng, 0.045, 0.055), uniform(rng, 0.006, 0.008)
        grip_len, grip_r = uniform(rng, 0.20, 0.24), uniform(rng, 0.014, 0.016)
        curve = 0.0
    else:
        blade, width, thick = uniform(rng, 0.68, 0.78), uniform(rng, 0.042, 0.052), uniform(rng, 0.0055, 0.007)
        grip_len, grip_r = uniform(rng, 0.12, 0.13), uniform(rng, 0.0135, 0.015)
        curve = 0.0
    parts: list[Part] = []
    if kind == "katana":  # kashira: a flat cap
        cap_h = 0.014
        parts.append(Part(cylinder(grip_r + 0.002, cap_h, (0, 0, 0), segments=24), "hilt", "cylinder", _axis_frame(0)))
        y_g0 = cap_h - 0.003
    else:  # a wheel pommel: a flattened sphere
        pr = uniform(rng, 0.022, 0.027)
        pommel = sphere(pr, (0, 0, 0), 24).scale((1.0, 1.0, 0.7)).translate((0.0, pr, 0.0))
        parts.append(Part(pommel, "hilt", "sphere", _axis_frame(pr)))
        y_g0 = 2 * pr - 0.006
    y_g1 = y_g0 + grip_len
    grip = cylinder(grip_r, grip_len + 0.006, (0, y_g0 - 0.003, 0), segments=20).scale((1.0, 1.0, _GRIP_OVAL))
    parts.append(Part(grip, "grip", "cylinder", _axis_frame(y_g0)))
    if kind == "katana":
        guard_t = 0.007
        guard = cylinder(uniform(rng, 0.036, 0.041), guard_t, (0, y_g1, 0), segments=28)
        parts.append(Part(guard.scale((1.0, 1.0, 0.85)), "hilt", "cylinder", _axis_frame(y_g1)))
        guard_w = 0.0
    else:
        guard_w, guard_t = uniform(rng, 0.17, 0.24) if kind == "longsword" else uniform(rng, 0.15, 0.20), 0.018
        parts.append(Part(rounded_box((guard_w, guard_t, 0.024), (0, y_g1 + guard_t / 2, 0), 0.006), "hilt"))
        for sx in (-1, 1):  # quillon ends
            parts.append(Part(sphere(0.012, (sx * guard_w / 2, y_g1 + guard_t / 2, 0), 16), "hilt", "sphere",
                              _axis_frame(y_g1)))
    y_b0 = y_g1 + guard_t - 0.003
    stations = _blade_stations(kind, y_b0, blade, width, thick, curve)
    r_edge = 0.0006
    if kind == "katana":
        solids = [hull_spheres(np.vstack([a, b]), r_edge, 4) for a, b in zip(stations[:-1], stations[1:], strict=True)]
        blade_solid = union(solids)
    else:
        blade_solid = hull_spheres(np.vstack(stations), r_edge, 4)
    parts.append(Part(blade_solid, "main", "box", _axis_frame(y_b0)))
    y_mid = (y_g0 + y_g1) / 2
    tip = y_b0 + blade
    anchors = {
        "grip": Anchor.at((0.0, y_mid, 0.0), (0, 0, 1), (0, 1, 0)),
        "pommel": Anchor.at((0.0, 0.0, 0.0), (0, -1, 0), (1, 0, 0)),
        "tip": Anchor.at((-curve - width * 0.2 if kind == "katana" else 0.0, tip, 0.0), (0, 1, 0), (1, 0, 0)),
    }
    slots = {
        "main": Material("metal", pick(rng, _STEELS)),
        "hilt": Material("metal", pick(rng, _FITTINGS)),
        "grip": Material("fabric" if kind == "katana" else "leather", pick(rng, _WRAPS)),
    }
    dims = {"blade_length": blade, "blade_width": width, "grip_length": grip_len, "grip_radius": grip_r,
            "guard_width": guard_w, "sword_length": tip,
            "grip_depth_radius": grip_r * _GRIP_OVAL}
    return Blueprint(parts, slots, dims, anchors, "held", {"variant": kind}, edge_length=0.02)


# --------------------------------------------------------------------------- axe


def build_axe(rng: np.random.Generator, variant: str | None, action: str | None) -> Blueprint:
    """An axe standing on its haft's knob: a wooden haft (+Y) and a steel head at the
    top whose bit points +X.

    `grip` is the one-hand carrying hold just below the head; `grip_low` the
    swinging hold above the knob. Ranges: felling axe haft 0.70–0.85 m, bit
    0.13–0.17 m from the haft; hatchet haft 0.35–0.42 m, bit 0.09–0.12 m.
    """
    kind = style(rng, variant, ("felling", "hatchet"))
    if kind == "felling":
        length, hr = uniform(rng, 0.70, 0.85), uniform(rng, 0.016, 0.019)
        bit, bit_h, head_h, cheek = uniform(rng, 0.13, 0.17), uniform(rng, 0.10, 0.14), uniform(rng, 0.07, 0.09), 0.036
    else:
        length, hr = uniform(rng, 0.35, 0.42), uniform(rng, 0.014, 0.016)
        bit, bit_h, head_h, cheek = uniform(rng, 0.09, 0.12), uniform(rng, 0.07, 0.10), uniform(rng, 0.05, 0.065), 0.03
    knob = hr * 1.3
    parts = [Part(capsule((0, knob, 0), (0, knob + 0.01, 0), knob, 20).scale((1.0, 1.0, 0.8)), "main", "sphere",
                  _axis_frame(knob))]
    # the haft: an oval rod, from the knob into the head
    haft = cylinder(hr, length - knob, (0, knob, 0), segments=20).scale((1.0, 1.0, _GRIP_OVAL))
    parts.append(Part(haft, "main", "cylinder", _axis_frame(knob)))
    y_h = length - head_h / 2
    eye = 0.5 * hr + 0.012
    poll = uniform(rng, 0.018, 0.03)
    # the eye block around the haft (with the poll behind it) and the blade flaring
    # from a narrower neck to the curved edge, a little lower than the eye (a beard)
    block = [(x, y, z) for y in (y_h - head_h / 2, y_h + head_h / 2) for x in (-eye - poll, eye)
             for z in (-cheek / 2, cheek / 2)]
    neck_h = 0.6 * head_h
    blade = [(eye * 0.5, y, z) for y in (y_h - neck_h / 2, y_h + neck_h / 2) for z in (-cheek * 0.4, cheek * 0.4)]
    top, low = y_h + head_h / 2 + 0.004, y_h + head_h / 2 - bit_h
    for y, dx in ((top, 0.0), ((top + low) / 2, 0.012), (low, 0.0)):
        blade += [(eye + bit - 0.012 + dx, y, -0.0012), (eye + bit - 0.012 + dx, y, 0.0012)]
    head = union([hull_spheres(block, 0.003, 6), hull_spheres(blade, 0.003, 6)])
    parts.append(Part(head, "head", "box", _axis_frame(y_h)))
    y_grip = y_h - head_h / 2 - 0.07
    anchors = {
        "grip": Anchor.at((0.0, y_grip, 0.0), (0, 0, 1), (0, 1, 0)),
        "grip_low": Anchor.at((0.0, knob * 2 + 0.06, 0.0), (0, 0, 1), (0, 1, 0)),
        "edge": Anchor.at((eye + bit + 0.003, (top + low) / 2, 0.0), (1, 0, 0), (0, 1, 0)),
    }
    slots = {"main": Material("wood", pick(rng, _WOODS)), "head": Material("metal", pick(rng, _STEELS[:2] + [(70, 72, 76)]))}
    dims = {"haft_length": length, "grip_radius": hr * _GRIP_OVAL, "bit_length": bit, "head_height": head_h}
    return Blueprint(parts, slots, dims, anchors, "held", {"variant": kind}, edge_length=0.03)


# --------------------------------------------------------------------------- shield


def _heater_outline(w: float, h: float, n: int = 16) -> np.ndarray:
    """(N, 2) outline of a heater shield centred on the origin: a straight top, straight
    upper sides, then two arcs meeting in a point at the bottom."""
    top, straight = h / 2, h / 2 - 0.3 * h
    pts = [(-w / 2, top), (w / 2, top)]
    # right arc from (w/2, straight) to (0, -h/2): a circle through both, centred on y = straight
    for t in np.linspace(0.0, 1.0, n):
        ang = t * math.pi / 2
        pts.append((w / 2 * math.cos(ang), straight - (straight + h / 2) * math.sin(ang)))
    for t in np.linspace(1.0, 0.0, n)[1:]:
        ang = t * math.pi / 2
        pts.append((-w / 2 * math.cos(ang), straight - (straight + h / 2) * math.sin(ang)))
    return ccw(pts)


def build_shield(rng: np.random.Generator, variant: str | None, action: str | None) -> Blueprint:
    """A shield standing on its rim, face +Z: a round domed shield with a boss and a
    metal rim, or a flat heater shield with a raised border; a carrying bar stands
    off its back (-Z).

    The `handle` is the bar's centre; its axis runs along the bar (+X) and its
    normal is +Y (the hand hooks it from above, the shield hanging beside the
    leg). Ranges: round 0.56–0.76 m across; heater 0.46–0.56 × 0.62–0.76 m.
    """
    kind = style(rng, variant, ("round", "heater"))
    t = uniform(rng, 0.014, 0.02)
    standoff, bar_r, bar_len = uniform(rng, 0.058, 0.066), uniform(rng, 0.011, 0.013), uniform(rng, 0.12, 0.14)
    parts: list[Part] = []
    if kind == "round":
        radius = uniform(rng, 0.28, 0.38)
        dome = uniform(rng, 0.02, 0.035)
        cy = radius + 0.01
        prof = [(0.0, 0.0), (radius, 0.0)] + [(radius * s, t + dome * (1 - s * s)) for s in np.linspace(1.0, 0.0, 12)]
        body = place(lathe(ccw(prof), 56), frame_of(_Y_TO_Z, (0.0, cy, 0.0)))
        parts.append(Part(body, "main", "box", frame_of(np.eye(3), (0.0, cy, 0.0))))
        rim = arc_tube(radius, 0.01, 360.0, frame_of(np.eye(3), (0.0, cy, t / 2)), 56, 10)
        parts.append(Part(rim, "metal", "cylinder", frame_of(_Y_TO_Z, (0.0, cy, 0.0)), refine=False))
        boss_r = uniform(rng, 0.06, 0.08)
        boss = sphere(boss_r, (0, 0, 0), 32).scale((1.0, 1.0, 0.65)).translate((0.0, cy, t + dome - 0.01))
        parts.append(Part(boss, "metal", "sphere", frame_of(_Y_TO_Z, (0.0, cy, t + dome))))
        width, height, front = 2 * radius + 0.02, 2 * radius + 0.02, t + dome - 0.01 + 0.65 * boss_r
        side_y = cy
    else:
        width, height = uniform(rng, 0.46, 0.56), uniform(rng, 0.62, 0.76)
        cy = height / 2
        outline = _heater_outline(width, height)
        body = prism(outline, t, frame_of(np.eye(3), (0.0, cy, t / 2)))
        parts.append(Part(body, "main", "box", frame_of(np.eye(3), (0.0, cy, 0.0))))
        cs = CrossSection([outline])
        ring = cs - cs.offset(-0.022, JoinType.Round, 2.0, 16)
        parts.append(Part(prism(ring, t + 0.008, frame_of(np.eye(3), (0.0, cy, t / 2 + 0.003))), "metal"))
        front = t + 0.007
        side_y = cy + 0.3 * height
    # the carrying bar on the back: two posts and a round bar along X
    z_bar = -standoff
    for sx in (-1, 1):
        parts.append(Part(rounded_box((0.02, 0.03, standoff + 0.006), (sx * bar_len / 2, cy, z_bar / 2 + 0.002), 0.005),
                          "accent"))
    p0, p1 = (-bar_len / 2, cy, z_bar), (bar_len / 2, cy, z_bar)
    parts.append(Part(capsule(p0, p1, bar_r, 16), "accent", "cylinder", frame_of(rotation_to((1, 0, 0)), p0)))
    anchors = {
        "handle": Anchor.at((0.0, cy, z_bar), (0, 1, 0), (1, 0, 0)),
        "front": Anchor.at((0.0, cy, front), (0, 0, 1), (1, 0, 0)),
        "back": Anchor.at((0.0, cy + height * 0.25, 0.0), (0, 0, -1), (1, 0, 0)),
        "side_left": Anchor.at((width / 2, side_y, t / 2), (1, 0, 0), (0, 1, 0)),
        "side_right": Anchor.at((-width / 2, side_y, t / 2), (-1, 0, 0), (0, 1, 0)),
    }
    wood = rng.uniform() < 0.5
    main = Material("wood", pick(rng, _WOODS)) if wood else Material("metal", pick(rng, _PAINTS))
    slots = {"main": main, "metal": Material("metal", pick(rng, _FITTINGS)),
             "accent": Material("leather", pick(rng, _WRAPS[:2]))}
    dims = {"shield_width": width, "shield_height": height, "handle_bar_radius": bar_r, "standoff": standoff}
    return Blueprint(parts, slots, dims, anchors, "held", {"variant": kind}, edge_length=0.03)
