"""Luggage builders: suitcase, briefcase, backpack, bag ("held" objects).

Each stands upright on y = 0 with its front at +Z. Handle anchors sit at the
centre of the grasped bar; their axis runs along the bar (+X).
"""

from __future__ import annotations

import itertools

import numpy as np
from hoiexport.sdk.generators.compose.objects.base import Anchor, Blueprint
from hoiexport.sdk.generators.compose.objects.geometry import (
    Part,
    arch_points,
    beam,
    capsule,
    cylinder,
    frame_of,
    rod,
    rotation_to,
    rounded_box,
    tapered_box,
    tube_path,
)
from hoiexport.sdk.generators.compose.objects.materials import DARK, Material

_SHELLS = [(190, 192, 196), (30, 45, 90), (28, 28, 30), (160, 30, 35), (20, 110, 115), (90, 95, 100)]
_SOFTS = [(28, 28, 30), (35, 45, 80), (80, 82, 88), (70, 50, 40)]
_LEATHERS = [(96, 58, 34), (60, 36, 22), (25, 22, 20), (130, 80, 45)]
_PACKS = [(40, 60, 120), (150, 40, 40), (40, 90, 60), (30, 30, 32), (200, 150, 40), (90, 90, 95)]
_BAGS = [(190, 160, 120), (150, 40, 60), (30, 30, 32), (96, 58, 34), (220, 215, 200), (60, 80, 130)]


def _u(rng: np.random.Generator, lo: float, hi: float) -> float:
    return float(rng.uniform(lo, hi))


def _pick(rng: np.random.Generator, options: list):
    return options[int(rng.integers(len(options)))]


def _top_handle(top: float, length: float, height: float, bar_r: float, slot: str, z: float = 0.0) -> list[Part]:
    """A carry handle on a top face at y = `top`: two posts and a round bar along X."""
    half = length / 2
    parts = []
    for x in (-half, half):
        parts.append(Part(rounded_box((0.022, height + 0.01, 0.028), (x, top + height / 2 - 0.005, z), 0.006), slot))
    p0, p1 = (-half, top + height, z), (half, top + height, z)
    parts.append(Part(capsule(p0, p1, bar_r, 16), slot, "cylinder", frame_of(rotation_to((1, 0, 0)), p0)))
    return parts


# --------------------------------------------------------------------------- suitcase


def build_suitcase(rng: np.random.Generator, variant: str | None, action: str | None) -> Blueprint:
    """A wheeled suitcase with a top carry handle and a telescopic trolley handle.

    The trolley handle is extended when the action pulls the case along
    ("drag", "pull", "push"), retracted otherwise.
    Ranges: body 0.36–0.50 wide × 0.20–0.30 deep × 0.50–0.72 m tall on
    0.022–0.032 m wheels; extended grip 0.95–1.08 m above the floor.
    """
    hard = rng.uniform() < 0.55
    w, d, body_h = _u(rng, 0.36, 0.50), _u(rng, 0.20, 0.30), _u(rng, 0.50, 0.72)
    wheel_r = _u(rng, 0.022, 0.032)
    lift = 2 * wheel_r + 0.012
    top = lift + body_h
    parts = [Part(rounded_box((w, body_h, d), (0, lift + body_h / 2, 0), _u(rng, 0.025, 0.045)), "main")]
    wheel_w = 0.022
    spots = [(sx * (w / 2 - 0.035), sz * (d / 2 - wheel_r - 0.01)) for sx in (-1, 1) for sz in (-1, 1)]
    if not hard:
        spots = [s for s in spots if s[1] < 0]
        for sx in (-1, 1):  # front feet
            x, z = sx * (w / 2 - 0.04), d / 2 - 0.035
            parts.append(Part(rounded_box((0.03, lift + 0.03, 0.025), (x, (lift + 0.03) / 2 - 0.02, z), 0.005), "accent"))
    for x, z in spots:
        cy = wheel_r - 0.002
        p0, p1 = (x - wheel_w / 2, cy, z), (x + wheel_w / 2, cy, z)
        parts.append(Part(rod(p0, p1, wheel_r, 20), "accent", "cylinder", frame_of(rotation_to((1, 0, 0)), p0)))
        parts.append(Part(rounded_box((wheel_w + 0.012, lift - cy + 0.02, 2 * wheel_r * 0.8),
                                      (x, (cy + lift + 0.02) / 2, z), 0.005), "accent"))
    hl, hh, bar_r = _u(rng, 0.11, 0.14), _u(rng, 0.025, 0.035), _u(rng, 0.011, 0.014)
    parts += _top_handle(top, hl, hh, bar_r, "accent")
    # telescopic trolley handle at the back
    tx = min(_u(rng, 0.10, 0.14), w / 2 - 0.05)
    zt = -d / 2 + 0.03
    parts.append(Part(rounded_box((2 * tx + 0.06, 0.025, 0.045), (0, top + 0.004, zt), 0.008), "accent"))
    extended = action in ("drag", "pull", "push")
    grip_y = _u(rng, 0.95, 1.08) if extended else top + 0.03
    if extended:
        for x in (-tx, tx):
            p0, p1 = (x, top - 0.04, zt), (x, grip_y, zt)
            parts.append(Part(rod(p0, p1, 0.009, 16), "metal", "cylinder", frame_of(np.eye(3), p0)))
    parts.append(Part(rounded_box((2 * tx + 0.04, 0.03, 0.035), (0, grip_y, zt), 0.01), "accent"))
    if hard:
        for x in (-w / 4, 0.0, w / 4):
            parts.append(Part(rounded_box((0.02, body_h * 0.8, 0.012), (x, lift + body_h / 2, d / 2), 0.005), "main"))
    else:
        parts.append(Part(rounded_box((w * 0.8, body_h * 0.6, 0.04), (0, lift + body_h * 0.45, d / 2 - 0.01), 0.015), "main"))
    anchors = {
        "handle": Anchor.at((0.0, top + hh, 0.0), (0, 1, 0), (1, 0, 0)),
        "trolley_handle": Anchor.at((0.0, grip_y, zt), (0, 1, 0), (1, 0, 0)),
    }
    main = Material("plastic", _pick(rng, _SHELLS)) if hard else Material("fabric", _pick(rng, _SOFTS))
    slots = {"main": main, "accent": Material("plastic", DARK), "metal": Material("metal", (175, 178, 182))}
    dims = {"body_width": w, "body_depth": d, "body_height": body_h, "wheel_radius": wheel_r,
            "handle_height": top + hh, "handle_bar_radius": bar_r, "trolley_height": grip_y}
    style = {"shell": "hard" if hard else "soft", "wheels": str(len(spots)),
             "trolley": "extended" if extended else "retracted"}
    return Blueprint(parts, slots, dims, anchors, "held", style, edge_length=0.03)


# --------------------------------------------------------------------------- briefcase


def build_briefcase(rng: np.random.Generator, variant: str | None, action: str | None) -> Blueprint:
    """A briefcase: flat rounded case on four studs, two latches, a top handle.

    Ranges: 0.40–0.46 wide × 0.08–0.13 deep × 0.30–0.35 m case; handle 0.03–0.04 m
    above the top.
    """
    w, h, d = _u(rng, 0.40, 0.46), _u(rng, 0.30, 0.35), _u(rng, 0.08, 0.13)
    foot = 0.006
    top = foot + h
    parts = [Part(rounded_box((w, h, d), (0, foot + h / 2, 0), _u(rng, 0.008, 0.015)), "main")]
    for sx in (-1, 1):
        for sz in (-1, 1):
            x, z = sx * (w / 2 - 0.03), sz * (d / 2 - 0.02)
            parts.append(Part(cylinder(0.008, foot + 0.006, (x, -0.004, z), segments=12), "metal", "cylinder",
                              frame_of(np.eye(3), (x, 0, z))))
        parts.append(Part(rounded_box((0.03, 0.02, 0.01), (sx * w * 0.3, top - 0.03, d / 2), 0.003), "metal"))
    hl, hh, bar_r = _u(rng, 0.11, 0.13), _u(rng, 0.03, 0.04), _u(rng, 0.009, 0.012)
    parts += _top_handle(top, hl, hh, bar_r, "main")
    parts.append(Part(rounded_box((w * 0.97, 0.012, d * 1.02), (0, top - 0.05, 0), 0.004), "main"))  # lid seam
    anchors = {"handle": Anchor.at((0.0, top + hh, 0.0), (0, 1, 0), (1, 0, 0))}
    leather = rng.uniform() < 0.7
    main = Material("leather", _pick(rng, _LEATHERS)) if leather else Material("metal", (185, 188, 192))
    slots = {"main": main, "metal": Material("metal", (200, 175, 90) if rng.uniform() < 0.4 else (190, 192, 196))}
    dims = {"case_width": w, "case_height": h, "case_depth": d, "handle_height": top + hh,
            "handle_bar_radius": bar_r}
    return Blueprint(parts, slots, dims, anchors, "held", {"case": "leather" if leather else "aluminium"},
                     edge_length=0.02)


# --------------------------------------------------------------------------- backpack


def build_backpack(rng: np.random.Generator, variant: str | None, action: str | None) -> Blueprint:
    """A backpack: rounded-top body, front pocket, top grab loop, two shoulder straps.

    The straps are on the back (-Z) side. Ranges: body 0.28–0.34 wide ×
    0.13–0.18 deep × 0.40–0.50 m tall.
    """
    w, h, d = _u(rng, 0.28, 0.34), _u(rng, 0.40, 0.50), _u(rng, 0.13, 0.18)
    r_top = _u(rng, 0.06, 0.09)
    parts = [Part(tapered_box((w, d), (w * 0.95, d * 0.9), h, 0.0, 0.03, r_top), "main")]
    pocket_d = _u(rng, 0.04, 0.06)
    parts.append(Part(rounded_box((w * 0.75, h * 0.4, pocket_d), (0, h * 0.28, d / 2 - 0.008 + pocket_d / 2 - 0.02), 0.02),
                      "main"))
    loop_r, loop_t = _u(rng, 0.025, 0.035), 0.007
    zc = -d * 0.15
    loop_base = h - 0.012
    parts.append(Part(tube_path(arch_points(loop_r, loop_r, (0.0, loop_base, zc), 10), loop_t, 10), "accent",
                      "cylinder", frame_of(rotation_to((0, 0, 1)), (0, loop_base, zc)), refine=False))
    sx = w * 0.25
    bulge = _u(rng, 0.03, 0.05)
    path = [(h * 0.86, -d * 0.28), (h * 0.7, -d / 2 - bulge), (h * 0.35, -d / 2 - bulge * 0.8), (h * 0.07, -d / 2 + 0.012)]
    anchors = {}
    for x, name in ((sx, "strap_left"), (-sx, "strap_right")):
        for (y0, z0), (y1, z1) in itertools.pairwise(path):
            a, b = np.array([x, y0, z0]), np.array([x, y1, z1])
            ext = (b - a) / np.linalg.norm(b - a) * 0.008
            solid, frame = beam(a - ext, b + ext, 0.055, 0.012, 0.004, up=(0, 0, -1))
            parts.append(Part(solid, "accent", "box", frame))
        anchors[name] = Anchor.at((x, h * 0.55, -d / 2 - bulge * 0.9 - 0.006), (0, 0, -1), (0, 1, 0))
    anchors["handle"] = Anchor.at((0.0, loop_base + loop_r, zc), (0, 1, 0), (1, 0, 0))
    anchors["back_panel"] = Anchor.at((0.0, h * 0.5, -d / 2), (0, 0, -1), (0, 1, 0))
    main = Material("fabric", _pick(rng, _PACKS))
    slots = {"main": main, "accent": Material("fabric", DARK)}
    dims = {"body_width": w, "body_height": h, "body_depth": d, "handle_height": loop_base + loop_r}
    return Blueprint(parts, slots, dims, anchors, "held", {"pocket": "front"}, edge_length=0.025)


# --------------------------------------------------------------------------- bag


def build_bag(rng: np.random.Generator, variant: str | None, action: str | None) -> Blueprint:
    """A handbag (one stiff arched handle, flap, clasp) or a tote (two straps).

    Ranges: tote 0.34–0.44 wide × 0.28–0.38 tall, straps 0.16–0.25 m high;
    handbag 0.26–0.32 wide × 0.20–0.26 tall, handle 0.09–0.13 m high.
    """
    kind = variant if variant in ("handbag", "tote") else _pick(rng, ["handbag", "tote"])
    parts: list[Part] = []
    if kind == "tote":
        wt, h, d = _u(rng, 0.34, 0.44), _u(rng, 0.28, 0.38), _u(rng, 0.10, 0.16)
        wb = wt * _u(rng, 0.8, 0.95)
        arch, tube = _u(rng, 0.16, 0.25), 0.008
        span = wt * 0.28
        zs = [d * 0.85 / 2 - 0.012, -(d * 0.85 / 2 - 0.012)]
    else:
        wt, h, d = _u(rng, 0.26, 0.32), _u(rng, 0.20, 0.26), _u(rng, 0.09, 0.14)
        wb = wt * _u(rng, 1.0, 1.12)
        arch, tube = _u(rng, 0.09, 0.13), 0.009
        span = wt * 0.3
        zs = [0.0]
    parts.append(Part(tapered_box((wb, d), (wt, d * 0.85), h, 0.0, 0.012), "main"))
    base_y = h - 0.025
    for z in zs:
        solid = tube_path(arch_points(span, arch, (0.0, base_y, z), 14), tube, 10)
        parts.append(Part(solid, "accent", "cylinder", frame_of(rotation_to((0, 0, 1)), (0, base_y, z)), refine=False))
    style = {"variant": kind}
    if kind == "handbag":
        parts.append(Part(rounded_box((wt * 0.92, h * 0.38, 0.008), (0, h * 0.78, d * 0.85 / 2 + 0.004), 0.004), "main"))
        parts.append(Part(rounded_box((0.03, 0.02, 0.01), (0, h * 0.6, d * 0.85 / 2 + 0.008), 0.003), "metal"))
    apex = base_y + arch
    anchors = {"handle": Anchor.at((0.0, apex, 0.0), (0, 1, 0), (1, 0, 0))}
    leather = kind == "handbag" or rng.uniform() < 0.3
    main = Material("leather" if leather else "fabric", _pick(rng, _BAGS))
    slots = {"main": main, "accent": Material("leather", _pick(rng, _LEATHERS))}
    if kind == "handbag":
        slots["metal"] = Material("metal", (200, 175, 90))
    dims = {"body_width": max(wt, wb), "body_height": h, "body_depth": d, "handle_height": apex,
            "handle_bar_radius": tube}
    return Blueprint(parts, slots, dims, anchors, "held", style, edge_length=0.02)
