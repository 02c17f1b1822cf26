"""Board, scooter and mat builders: skateboard ("support"), scooter and yoga mat
("floor"; a rolled mat is "held").

A skateboard lies along X (its nose at +X), a scooter rolls along Z (its stem
at the front, +Z), a flat mat lies along X. Their `top` anchor is where both
feet stand.
"""

from __future__ import annotations

import numpy as np
from manifold3d import Manifold, OpType

from hoiexport.sdk.generators.compose.objects.base import Anchor, Blueprint, ObjectKind
from hoiexport.sdk.generators.compose.objects.geometry import (
    Part,
    arc_tube,
    axis_rotation,
    beam,
    capsule,
    frame_of,
    prism,
    rod,
    rotation_to,
    rounded_box,
    rounded_outline,
)
from hoiexport.sdk.generators.compose.objects.materials import DARK, Material
from hoiexport.sdk.generators.compose.objects.sampling import pick, style, uniform

_DECKS = [(200, 60, 50), (40, 80, 150), (230, 200, 60), (40, 130, 90), (150, 104, 62), (220, 220, 215)]
_WHEELS = [(235, 232, 220), (230, 200, 60), (200, 60, 50), (60, 160, 200), (30, 30, 32)]
_FRAMES = [(190, 192, 196), (40, 40, 44), (200, 40, 40), (40, 90, 170), (60, 150, 90)]
_MATS = [(120, 80, 160), (60, 140, 160), (200, 80, 110), (90, 150, 90), (40, 40, 44), (230, 150, 60)]
_X_AXIS = rotation_to((1, 0, 0))
_Z_AXIS = rotation_to((0, 0, 1))


def _facing(direction: np.ndarray | tuple[float, float, float]) -> np.ndarray:
    """(3, 3) rotation whose Z column is `direction` (a ring made in the local XY
    plane, `geometry.arc_tube`, then turns about that direction)."""
    return rotation_to(direction)[:, [2, 0, 1]]


def _wheel(center: np.ndarray | tuple[float, float, float], radius: float, width: float, axis: str,
           slot: str = "wheels") -> Part:
    """A wheel turning about the object X or Z axis: a disc whose tyre edges are
    rounded by two rings (radius - edge from the axis, tube = edge)."""
    c = np.asarray(center, float)
    d = np.array([1.0, 0.0, 0.0]) if axis == "x" else np.array([0.0, 0.0, 1.0])
    edge = min(0.25 * width, 0.3 * radius)
    half = width / 2 - edge
    solids = [rod(c - d * (width / 2), c + d * (width / 2), radius - edge, 28), rod(c - d * half, c + d * half, radius, 28)]
    for sign in (-1.0, 1.0):
        solids.append(arc_tube(radius - edge, edge, 360.0, frame_of(_facing(d), c + sign * half * d), 28, 8))
    solid = Manifold.batch_boolean(solids, OpType.Add)
    return Part(solid, slot, "cylinder", frame_of(rotation_to(d), c), refine=False)


# --------------------------------------------------------------------------- skateboard


def build_skateboard(rng: np.random.Generator, variant: str | None, action: str | None) -> Blueprint:
    """A skateboard lying along X: a deck with kicked-up nose (+X) and tail, grip
    tape on top, two trucks and four wheels; or a flat longboard with bigger wheels.

    Ranges: skateboard deck 0.78–0.84 m long, 0.20–0.215 m wide, wheels
    0.026–0.029 m radius; longboard 0.95–1.05 m, 0.22–0.25 m, wheels
    0.033–0.036 m; deck top 0.10–0.13 m above the floor.
    """
    kind = style(rng, variant, ("street", "longboard"))
    if kind == "street":
        length, width = uniform(rng, 0.78, 0.84), uniform(rng, 0.20, 0.215)
        wheel_r, wheel_w, kick = uniform(rng, 0.026, 0.029), uniform(rng, 0.03, 0.035), uniform(rng, 0.045, 0.06)
        tail = uniform(rng, 0.14, 0.17)
    else:
        length, width = uniform(rng, 0.95, 1.05), uniform(rng, 0.22, 0.25)
        wheel_r, wheel_w, kick = uniform(rng, 0.033, 0.036), uniform(rng, 0.045, 0.05), 0.0
        tail = 0.15
    t = uniform(rng, 0.011, 0.013)
    truck_h = uniform(rng, 0.045, 0.055)
    y0 = 2 * wheel_r + truck_h  # deck underside over the flat part
    flat = length / 2 - tail
    xs = np.linspace(-length / 2, length / 2, 41)
    lift = kick * (np.clip(np.abs(xs) - flat, 0.0, None) / tail) ** 1.6
    bottom = [(float(x), y0 + float(h)) for x, h in zip(xs, lift, strict=True)]
    top = [(x, y + t) for x, y in bottom[::-1]]
    side = prism(bottom + top, width + 0.02, frame_of(np.eye(3), (0.0, 0.0, 0.0)))
    plan = prism(rounded_outline(length, width, width / 2 * 0.95, 32), 1.0, frame_of(axis_rotation("x", 90.0),
                                                                                       (0.0, 0.5, 0.0)))
    deck = Manifold.batch_boolean([side, plan], OpType.Intersect)
    parts = [Part(deck, "main", "box", frame_of(np.eye(3), (0.0, y0, 0.0)))]
    tape_bottom = [(x, y + t - 0.0012) for x, y in bottom]
    tape_top = [(x, y + t + 0.0006) for x, y in bottom[::-1]]
    tape_plan = prism(rounded_outline(length - 0.004, width - 0.004, width / 2 * 0.93, 32), 1.0,
                      frame_of(axis_rotation("x", 90.0), (0.0, 0.5, 0.0)))
    tape = Manifold.batch_boolean([prism(tape_bottom + tape_top, width + 0.02), tape_plan], OpType.Intersect)
    parts.append(Part(tape, "grip", "box", frame_of(np.eye(3), (0.0, y0 + t, 0.0))))
    x_truck = flat - uniform(rng, 0.04, 0.07)
    axle_half = width / 2 + 0.005
    for sx in (-1, 1):
        x = sx * x_truck
        parts.append(Part(rounded_box((0.065, 0.014, 0.058), (x, y0 - 0.006, 0.0), 0.003), "metal"))
        parts.append(Part(rounded_box((0.04, y0 - wheel_r, 0.05), (x, (wheel_r + y0) / 2, 0.0), 0.006), "metal"))
        parts.append(Part(rounded_box((0.032, 0.022, 2 * axle_half - 2 * wheel_w + 0.01), (x, wheel_r + 0.008, 0.0),
                                      0.008), "metal"))
        p0, p1 = (x, wheel_r, -axle_half), (x, wheel_r, axle_half)
        parts.append(Part(rod(p0, p1, 0.004, 10), "metal", "cylinder", frame_of(_Z_AXIS, p0)))
        for sz in (-1, 1):
            parts.append(_wheel((x, wheel_r, sz * (axle_half - wheel_w / 2)), wheel_r, wheel_w, "z"))
    end_y = y0 + kick + t / 2
    anchors = {
        "top": Anchor.at((0.0, y0 + t + 0.0006, 0.0), (0, 1, 0), (1, 0, 0)),
        "side_left": Anchor.at((length / 2 - 0.002, end_y - 0.004, 0.0), (1, 0, 0), (0, 0, 1)),
        "side_right": Anchor.at((-(length / 2 - 0.002), end_y - 0.004, 0.0), (-1, 0, 0), (0, 0, 1)),
        "bottom": Anchor.at((0.0, y0, 0.0), (0, -1, 0), (1, 0, 0)),
    }
    slots = {"main": Material("wood", pick(rng, _DECKS)), "grip": Material("rubber", (34, 34, 36)),
             "metal": Material("metal", (190, 192, 196)), "wheels": Material("plastic", pick(rng, _WHEELS))}
    dims = {"deck_length": length, "deck_width": width, "deck_height": y0 + t, "wheel_radius": wheel_r}
    return Blueprint(parts, slots, dims, anchors, "support", {"variant": kind}, edge_length=0.03)


# --------------------------------------------------------------------------- scooter


def build_scooter(rng: np.random.Generator, variant: str | None, action: str | None) -> Blueprint:
    """A kick scooter rolling along Z: a low deck, a rear wheel under a fender, a
    front fork and wheel, a raked stem and a T handlebar with rubber grips.

    `handle` is on the bar just beside the stem (clear of it for a hooking
    hand); `handlebar_left` / `_right` are the grips. Ranges: wheels
    0.09–0.10 m radius, wheelbase 0.56–0.66 m, handlebar 0.85–1.0 m high and
    0.38–0.48 m wide.
    """
    wheel_r, wheel_w = uniform(rng, 0.09, 0.10), uniform(rng, 0.024, 0.03)
    wb = uniform(rng, 0.56, 0.66)
    z_r, z_f = -wb / 2, wb / 2
    bar_y, bar_w, bar_r = uniform(rng, 0.85, 1.0), uniform(rng, 0.38, 0.48), 0.011
    deck_w, deck_t = uniform(rng, 0.11, 0.13), 0.03
    deck_y = uniform(rng, 0.065, 0.08)  # underside
    deck_z0, deck_z1 = z_r - 0.03, z_f - wheel_r - 0.04
    parts = [Part(rounded_box((deck_w, deck_t, deck_z1 - deck_z0), (0.0, deck_y + deck_t / 2, (deck_z0 + deck_z1) / 2),
                              0.008), "main")]
    parts.append(Part(rounded_box((deck_w - 0.012, 0.003, deck_z1 - deck_z0 - 0.14),
                                  (0.0, deck_y + deck_t + 0.0005, (deck_z0 + 0.1 + deck_z1) / 2), 0.001), "grip"))
    parts.append(_wheel((0.0, wheel_r, z_r), wheel_r, wheel_w, "x"))
    parts.append(_wheel((0.0, wheel_r, z_f), wheel_r, wheel_w, "x"))
    # rear fender hugging the tyre
    fender = arc_tube(wheel_r + 0.004, 0.005, 110.0,
                      frame_of(np.column_stack([[0.0, 0.0, -1.0], [0.0, 1.0, 0.0], [1.0, 0.0, 0.0]]),
                               (0.0, wheel_r, z_r)), 24, 8)
    parts.append(Part(fender, "main", "cylinder", frame_of(_X_AXIS, (0.0, wheel_r, z_r)),
                      refine=False))
    # rear axle plates and front fork
    for sx in (-1, 1):
        x = sx * (wheel_w / 2 + 0.004)
        parts.append(Part(rounded_box((0.006, deck_y + 0.02 - wheel_r + 0.02, 0.035),
                                      (x, (deck_y + 0.02 + wheel_r - 0.02) / 2, z_r), 0.002), "main"))
        parts.append(Part(rounded_box((0.007, wheel_r + 0.04, 0.03), (x, wheel_r + (wheel_r + 0.04) / 2 - 0.01, z_f),
                                      0.002), "main"))
    for z in (z_r, z_f):
        a0, a1 = (-(wheel_w / 2 + 0.008), wheel_r, z), (wheel_w / 2 + 0.008, wheel_r, z)
        parts.append(Part(rod(a0, a1, 0.005, 10), "main", "cylinder", frame_of(_X_AXIS, a0)))
    crown_y = 2 * wheel_r + 0.03
    parts.append(Part(rounded_box((wheel_w + 0.024, 0.025, 0.04), (0.0, crown_y, z_f), 0.006), "main"))
    # the neck from the deck's front up to the head tube
    neck, nf = beam((0.0, deck_y + deck_t / 2, deck_z1 - 0.03), (0.0, crown_y + 0.03, z_f - 0.01), 0.05, 0.035, 0.006)
    parts.append(Part(neck, "main", "box", nf))
    rake = np.radians(uniform(rng, 4.0, 8.0))
    stem_r = 0.016
    p0 = np.array([0.0, crown_y, z_f])
    p1 = np.array([0.0, bar_y, z_f - (bar_y - crown_y) * np.tan(rake)])
    parts.append(Part(rod(p0, p1, stem_r, 20), "main", "cylinder", frame_of(rotation_to(p1 - p0), p0)))
    q0, q1 = p1 + [-bar_w / 2 + 0.06, 0.0, 0.0], p1 + [bar_w / 2 - 0.06, 0.0, 0.0]
    parts.append(Part(capsule(q0, q1, bar_r, 16), "main", "cylinder", frame_of(_X_AXIS, q0)))
    for sx in (-1, 1):
        g0, g1 = p1 + [sx * (bar_w / 2 - 0.11), 0.0, 0.0], p1 + [sx * (bar_w / 2 - 0.012), 0.0, 0.0]
        parts.append(Part(capsule(g0, g1, 0.016, 16), "grips", "cylinder", frame_of(_X_AXIS, g0)))
    side = stem_r + 0.06
    anchors = {
        "handle": Anchor.at(p1 + [side, 0.0, 0.0], (0, 1, 0), (1, 0, 0)),
        "handlebar_left": Anchor.at(p1 + [bar_w / 2 - 0.06, 0.0, 0.0], (0, 1, 0), (1, 0, 0)),
        "handlebar_right": Anchor.at(p1 + [-(bar_w / 2 - 0.06), 0.0, 0.0], (0, 1, 0), (1, 0, 0)),
        "top": Anchor.at((0.0, deck_y + deck_t + 0.002, (deck_z0 + deck_z1) / 2), (0, 1, 0), (0, 0, 1)),
    }
    slots = {"main": Material("metal", pick(rng, _FRAMES)), "grip": Material("rubber", DARK),
             "wheels": Material("plastic", pick(rng, _WHEELS)), "grips": Material("rubber", (40, 40, 42))}
    dims = {"wheel_radius": wheel_r, "wheelbase": wb, "handlebar_height": bar_y, "handlebar_width": bar_w,
            "handle_bar_radius": bar_r, "deck_height": deck_y + deck_t}
    return Blueprint(parts, slots, dims, anchors, "floor", {"rake_deg": f"{np.degrees(rake):.0f}"},
                     edge_length=0.04)


# --------------------------------------------------------------------------- yoga mat


def build_mat(rng: np.random.Generator, variant: str | None, action: str | None) -> Blueprint:
    """A yoga mat: unrolled flat on the floor along X (a thin slab with a printed
    logo; "length" is its long side, as a bench's), or rolled up along X with two
    carrying straps.

    "mat" alone is flat. Ranges: 0.60–0.66 m wide, 1.72–1.85 m long, 4–6 mm
    thick; rolled 0.12–0.16 m across.
    """
    kind = style(rng, variant, ("flat", "rolled"), default="flat")
    w, length, t = uniform(rng, 0.60, 0.66), uniform(rng, 1.72, 1.85), uniform(rng, 0.004, 0.006)
    color = pick(rng, _MATS)
    if kind == "flat":
        parts = [Part(rounded_box((length, t, w), (0.0, t / 2, 0.0), t * 0.45), "main")]
        parts.append(Part(rounded_box((0.03, 0.0008, 0.09), (length / 2 - 0.08, t + 0.0002, 0.0), 0.0003), "accent"))
        anchors = {
            "top": Anchor.at((0.0, t, 0.0), (0, 1, 0), (1, 0, 0)),
            "side_left": Anchor.at((length / 2, t / 2, 0.0), (1, 0, 0), (0, 0, 1)),
            "side_right": Anchor.at((-length / 2, t / 2, 0.0), (-1, 0, 0), (0, 0, 1)),
            "front": Anchor.at((0.0, t / 2, w / 2), (0, 0, 1), (1, 0, 0)),
        }
        dims = {"mat_width": w, "mat_length": length, "length": length, "thickness": t}
        kind_of: ObjectKind = "floor"
    else:
        r = float(np.sqrt(length * t / np.pi / 0.65 + 0.015**2))  # the mat's section, loosely rolled round a 3 cm core
        p0, p1 = (-w / 2, r, 0.0), (w / 2, r, 0.0)
        parts = [Part(rod(p0, p1, r, 40), "main", "cylinder", frame_of(_X_AXIS, p0))]
        for sx in (-1, 1):
            c = (sx * w * 0.3, r, 0.0)
            ring = arc_tube(r + 0.001, 0.004, 360.0, frame_of(_facing((1, 0, 0)), c), 40, 8)
            parts.append(Part(ring, "accent", "cylinder", frame_of(_X_AXIS, c), refine=False))
        anchors = {
            "top": Anchor.at((0.0, 2 * r, 0.0), (0, 1, 0), (1, 0, 0)),
            "grip": Anchor.at((0.0, r, 0.0), (0, 0, 1), (1, 0, 0)),
            "side_left": Anchor.at((w / 2, r, 0.0), (1, 0, 0), (0, 1, 0)),
            "side_right": Anchor.at((-w / 2, r, 0.0), (-1, 0, 0), (0, 1, 0)),
        }
        dims = {"mat_width": w, "mat_length": length, "thickness": t, "roll_radius": r, "grip_radius": r}
        kind_of = "held"
    slots = {"main": Material("rubber", color), "accent": Material("fabric", (235, 235, 230) if kind == "flat" else DARK)}
    return Blueprint(parts, slots, dims, anchors, kind_of, {"variant": kind}, edge_length=0.05)
