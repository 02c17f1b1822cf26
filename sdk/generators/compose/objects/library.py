"""`make_object`: build a procedural object of a category from a seed and hints."""

from __future__ import annotations

import difflib
from collections.abc import Callable

import numpy as np
from hoiexport.sdk.generators.compose.objects.ball import build_ball
from hoiexport.sdk.generators.compose.objects.base import Blueprint, ProceduralObject
from hoiexport.sdk.generators.compose.objects.containers import (
    build_bin,
    build_bottle,
    build_box,
    build_mug,
)
from hoiexport.sdk.generators.compose.objects.electronics import build_keyboard, build_monitor
from hoiexport.sdk.generators.compose.objects.furniture import (
    build_bench,
    build_chair,
    build_stool,
    build_table,
)
from hoiexport.sdk.generators.compose.objects.geometry import assemble, project_uv
from hoiexport.sdk.generators.compose.objects.luggage import (
    build_backpack,
    build_bag,
    build_briefcase,
    build_suitcase,
)
from hoiexport.sdk.generators.compose.objects.props import (
    build_book,
    build_broom,
    build_cup,
    build_guitar,
    build_lamp,
    build_phone,
    build_umbrella,
)
from hoiexport.sdk.generators.compose.objects.sports import build_mat, build_scooter, build_skateboard
from hoiexport.sdk.generators.compose.objects.storage import (
    build_barrel,
    build_bucket,
    build_container,
    build_crate,
    build_toolbox,
)
from hoiexport.sdk.generators.compose.objects.weapons import build_axe, build_shield, build_sword
from hoiexport.sdk.generators.compose.objects.materials import (
    DEFAULT_COLORS,
    Material,
    build_atlas,
    resolve_color,
    resolve_material,
    surface_pbr,
    tile_uv,
)
from hoiexport.sdk.core.errors import InputError
from hoiexport.sdk.core.types import Mesh, Texture

Builder = Callable[[np.random.Generator, "str | None", "str | None"], Blueprint]

BUILDERS: dict[str, Builder] = {
    "backpack": build_backpack,
    "bag": build_bag,
    "ball": build_ball,
    "bench": build_bench,
    "bin": build_bin,
    "bottle": build_bottle,
    "box": build_box,
    "briefcase": build_briefcase,
    "chair": build_chair,
    "mug": build_mug,
    "stool": build_stool,
    "suitcase": build_suitcase,
    "table": build_table,
    "sword": build_sword,
    "axe": build_axe,
    "shield": build_shield,
    "umbrella": build_umbrella,
    "guitar": build_guitar,
    "broom": build_broom,
    "phone": build_phone,
    "book": build_book,
    "cup": build_cup,
    "lamp": build_lamp,
    "bucket": build_bucket,
    "barrel": build_barrel,
    "crate": build_crate,
    "toolbox": build_toolbox,
    "container": build_container,
    "keyboard": build_keyboard,
    "monitor": build_monitor,
    "skateboard": build_skateboard,
    "scooter": build_scooter,
    "mat": build_mat,
}
"""Category → builder (rng, variant, action) → Blueprint."""

OBJECT_CATEGORIES: tuple[str, ...] = tuple(BUILDERS)
"""Every category of the procedural object library."""

VARIANTS: dict[str, tuple[str, ...]] = {
    "backpack": (),
    "bag": ("handbag", "tote"),
    "ball": ("soccer", "basketball", "volleyball", "beach", "plain", "yoga"),
    "bench": (),
    "bin": ("lidded", "open"),
    "bottle": ("water", "wine", "flask"),
    "box": ("cardboard", "storage", "crate", "tiny", "small", "medium", "large", "huge"),
    "briefcase": (),
    "chair": ("slat", "panel", "armchair", "folding", "office"),
    "mug": (),
    "stool": ("low", "bar"),
    "suitcase": (),
    "table": ("dining", "coffee", "square", "small"),
    "sword": ("arming", "longsword", "katana"),
    "axe": ("felling", "hatchet"),
    "shield": ("round", "heater"),
    "umbrella": ("closed", "open"),
    "guitar": ("acoustic", "electric"),
    "broom": ("household", "corn"),
    "phone": (),
    "book": ("hardcover", "paperback"),
    "cup": ("paper", "takeaway", "plastic"),
    "lamp": ("floor", "table"),
    "bucket": ("plastic", "metal"),
    "barrel": ("wooden", "drum"),
    "crate": (),
    "toolbox": ("metal", "plastic"),
    "container": (),
    "keyboard": ("full", "compact"),
    "monitor": (),
    "skateboard": ("street", "longboard"),
    "scooter": (),
    "mat": ("flat", "rolled"),
}
"""Style variants each builder understands (others fall back to a seeded choice)."""

DIM_RANGES: dict[str, dict[str, tuple[float, float]]] = {
    "backpack": {"width": (0.28, 0.36), "depth": (0.17, 0.28), "height": (0.40, 0.55)},
    "bag": {"width": (0.26, 0.46), "depth": (0.09, 0.18), "height": (0.28, 0.62)},
    "ball": {"width": (0.18, 0.75), "depth": (0.18, 0.75), "height": (0.18, 0.75)},
    "bench": {"width": (1.20, 1.80), "depth": (0.45, 0.65), "height": (0.75, 0.90), "seat_height": (0.42, 0.48)},
    "bin": {"width": (0.26, 0.46), "depth": (0.26, 0.50), "height": (0.28, 0.76)},
    "bottle": {"width": (0.055, 0.085), "depth": (0.055, 0.085), "height": (0.19, 0.31)},
    "box": {"width": (0.10, 0.80), "depth": (0.08, 0.65), "height": (0.06, 0.70)},
    "briefcase": {"width": (0.40, 0.47), "depth": (0.08, 0.14), "height": (0.34, 0.40)},
    "chair": {"width": (0.40, 0.70), "depth": (0.40, 0.75), "height": (0.80, 1.00), "seat_height": (0.42, 0.48)},
    "mug": {"width": (0.10, 0.15), "depth": (0.074, 0.09), "height": (0.085, 0.105)},
    "stool": {"width": (0.26, 0.45), "depth": (0.26, 0.45), "height": (0.42, 0.78), "seat_height": (0.42, 0.78)},
    "suitcase": {"width": (0.36, 0.50), "depth": (0.20, 0.32), "height": (0.55, 1.10)},
    "table": {"width": (0.40, 1.60), "depth": (0.40, 1.00), "height": (0.40, 0.78)},
    "sword": {"width": (0.07, 0.26), "depth": (0.02, 0.08), "height": (0.88, 1.24)},
    "axe": {"width": (0.13, 0.25), "depth": (0.03, 0.05), "height": (0.35, 0.87)},
    "shield": {"width": (0.46, 0.79), "depth": (0.08, 0.17), "height": (0.60, 0.79)},
    "umbrella": {"width": (0.08, 1.08), "depth": (0.04, 1.08), "height": (0.74, 0.95)},
    "guitar": {"width": (0.30, 0.42), "depth": (0.04, 0.14), "height": (0.97, 1.10)},
    "broom": {"width": (0.26, 0.36), "depth": (0.03, 0.09), "height": (1.22, 1.46)},
    "phone": {"width": (0.068, 0.081), "depth": (0.145, 0.165), "height": (0.0075, 0.0105)},
    "book": {"width": (0.105, 0.19), "depth": (0.17, 0.26), "height": (0.010, 0.05)},
    "cup": {"width": (0.07, 0.10), "depth": (0.07, 0.10), "height": (0.085, 0.165)},
    "lamp": {"width": (0.28, 0.50), "depth": (0.28, 0.50), "height": (0.44, 1.80)},
    "bucket": {"width": (0.26, 0.35), "depth": (0.26, 0.35), "height": (0.36, 0.50)},
    "barrel": {"width": (0.44, 0.66), "depth": (0.44, 0.66), "height": (0.55, 0.88)},
    "crate": {"width": (0.45, 0.65), "depth": (0.38, 0.50), "height": (0.32, 0.50)},
    "toolbox": {"width": (0.40, 0.57), "depth": (0.18, 0.28), "height": (0.20, 0.32)},
    "container": {"width": (0.16, 0.40), "depth": (0.12, 0.30), "height": (0.07, 0.22)},
    "keyboard": {"width": (0.36, 0.47), "depth": (0.125, 0.16), "height": (0.025, 0.04)},
    "monitor": {"width": (0.48, 0.58), "depth": (0.16, 0.22), "height": (0.36, 0.47)},
    "skateboard": {"width": (0.78, 1.05), "depth": (0.20, 0.27), "height": (0.10, 0.19)},
    "scooter": {"width": (0.38, 0.50), "depth": (0.74, 0.88), "height": (0.85, 1.02)},
    "mat": {"width": (0.60, 1.85), "depth": (0.10, 0.66), "height": (0.004, 0.17)},
}
"""Documented size ranges per category, metres: "width" = x extent, "depth" =
z extent, "height" = y extent of the mesh (plus named dims where listed).
Every seed stays inside them (tests check it)."""


def _category(name: str) -> str:
    key = str(name).strip().lower()
    if key in BUILDERS:
        return key
    close = difflib.get_close_matches(key, OBJECT_CATEGORIES, n=1, cutoff=0.5)
    hint = f"; closest match: {close[0]!r}" if close else ""
    raise InputError(f"unknown object category {name!r}; use one of: {', '.join(OBJECT_CATEGORIES)}{hint}")


def _main_material(default: Material, color: tuple[int, int, int] | None, material: str | None) -> Material:
    """The main slot's material after the prompt's colour / material words."""
    if material is not None and color is not None:
        return Material(material, color)
    if material is not None:
        return default if material == default.kind else Material(material, DEFAULT_COLORS[material])
    if color is not None:
        return Material(default.kind, color)
    return default


def make_object(
    category: str,
    rng: np.random.Generator | int,
    *,
    color: str | tuple[int, int, int] | list[int] | None = None,
    material: str | None = None,
    variant: str | None = None,
    action: str | None = None,
) -> ProceduralObject:
    """Build one procedural object.

    The seed decides dimensions and style within the category's realistic
    ranges (`DIM_RANGES`); `color` / `material` only change the texture of the
    main material slot, never the geometry.

    Args:
        category: one of `OBJECT_CATEGORIES`.
        rng: numpy Generator (or an int seed); the same seed gives the same mesh.
        color: colour name ("dark green", "silver") or sRGB triple for the main
            material; None keeps the seeded default.
        material: material word ("wooden", "leather", "metal", ...) for the main
            material; None keeps the category's default.
        variant: style hint from `VARIANTS` (e.g. "basketball", "armchair",
            "crate"); unknown or None → seeded choice.
        action: the action the object is used for; e.g. "drag" extends a
            suitcase's trolley handle.

    Returns:
        A `ProceduralObject` whose mesh is watertight, rests on y = 0 and is
        centred on x = z = 0, with per-vertex uv into a 256² texture atlas.

    Raises:
        InputError: unknown category, colour or material (with closest match).
    """
    cat = _category(category)
    gen = np.random.default_rng(rng) if isinstance(rng, (int, np.integer)) else rng
    if not isinstance(gen, np.random.Generator):
        raise InputError(f"rng must be a numpy Generator or an int seed, got {type(rng).__name__}")
    rgb = resolve_color(color)
    mat_kind = resolve_material(material)
    var = variant.strip().lower() if isinstance(variant, str) and variant.strip() else None
    bp = BUILDERS[cat](gen, var, action)
    tex_rng = np.random.default_rng(int(gen.integers(2**63)))

    every = bp.parts + bp.cuts
    asm = assemble(bp.parts, bp.cuts, bp.edge_length, bp.floor_trim)
    lo, hi = asm.vertices.min(axis=0), asm.vertices.max(axis=0)
    offset = np.array([-(lo[0] + hi[0]) / 2, -lo[1], -(lo[2] + hi[2]) / 2])
    vertices = asm.vertices + offset

    slots = dict(bp.slots)
    slots["main"] = _main_material(slots["main"], rgb, mat_kind)
    slot_names = list(slots)
    image, layout = build_atlas([slots[n] for n in slot_names], tex_rng, bp.painter)
    uv01, vert_part = project_uv(asm, every)
    part_slot = np.array([slot_names.index(p.slot) for p in every])
    vert_slot = part_slot[vert_part]
    uv = np.zeros_like(uv01)
    for s, tile in enumerate(layout):
        sel = vert_slot == s
        uv[sel] = tile_uv(uv01[sel], tile)

    pbr = surface_pbr([slots[n].kind for n in slot_names], part_slot[asm.face_part])
    mesh = Mesh(vertices=vertices, faces=asm.faces, uv=uv, texture=Texture(image), name=cat, pbr=pbr)
    ext = vertices.max(axis=0) - vertices.min(axis=0)
    dims = {"width": float(ext[0]), "height": float(ext[1]), "depth": float(ext[2])}
    dims.update({k: float(v) for k, v in bp.dims.items()})
    anchors = {k: a.moved(offset) for k, a in bp.anchors.items()}
    return ProceduralObject(
        mesh=mesh,
        category=cat,
        kind=bp.kind,
        dims=dims,
        anchors=anchors,
        materials=slots,
        style=dict(bp.style),
        variant=var,
    )
