"""Procedural material textures and the per-object texture atlas.

A `Material` is a kind (wood, leather, metal, ...) and an sRGB base colour. Each
material slot of an object gets one tile of a 256 × 256 atlas (the whole image
for one slot, a 2 × 2 grid of 128² tiles for two to four); `tile_uv` maps a
part's [0, 1]² uv into its tile with a small inset so texels do not bleed.

Patterns are numpy value noise: wood grain (stripes along u with warped rings),
leather (darker, fine mottling), brushed metal (streaks along u), fabric weave,
cardboard fibres with faint corrugation, stone blotches; plastic, ceramic, glass
and rubber are near-flat with slight noise.

PBR (`SURFACES`): each kind's roughness, metallic and normal-map relief, carried on
the mesh as `SurfacePBR` (one material per slot, `surface_pbr`) for the exporters'
ORM and normal maps.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np
from hoiexport.sdk.prompt import lexicon as lx
from hoiexport.sdk.core.errors import InputError
from hoiexport.sdk.core.types import SurfaceMaterial, SurfacePBR
from scipy import ndimage

ATLAS_SIZE = 256
"""Side of the object texture in pixels."""

TILE_INSET_PX = 3
"""Pixels kept between a tile's uv range and its border."""

DEFAULT_COLORS: dict[str, tuple[int, int, int]] = {
    "wood": (150, 104, 62),
    "leather": (96, 58, 34),
    "metal": (190, 192, 196),
    "plastic": (70, 90, 160),
    "fabric": (85, 88, 100),
    "cardboard": (176, 134, 88),
    "ceramic": (236, 233, 226),
    "glass": (70, 120, 85),
    "rubber": (32, 32, 34),
    "stone": (140, 138, 134),
}
"""Base colour of each material when no colour word is given."""

SURFACES: dict[str, SurfaceMaterial] = {
    "wood": SurfaceMaterial("wood", roughness=0.7, metallic=0.0, detail="wood_grain"),
    "leather": SurfaceMaterial("leather", roughness=0.55, metallic=0.0, detail="leather_grain"),
    "metal": SurfaceMaterial("metal", roughness=0.35, metallic=1.0),
    "plastic": SurfaceMaterial("plastic", roughness=0.4, metallic=0.0),
    "fabric": SurfaceMaterial("fabric", roughness=0.85, metallic=0.0, detail="fabric_weave"),
    "cardboard": SurfaceMaterial("cardboard", roughness=0.9, metallic=0.0),
    "ceramic": SurfaceMaterial("ceramic", roughness=0.15, metallic=0.0),
    "glass": SurfaceMaterial("glass", roughness=0.05, metallic=0.0),
    "rubber": SurfaceMaterial("rubber", roughness=0.55, metallic=0.0),
    "stone": SurfaceMaterial("stone", roughness=0.4, metallic=0.0),
    "skin": SurfaceMaterial("skin", roughness=0.65, metallic=0.0),
    "hair": SurfaceMaterial("hair", roughness=0.7, metallic=0.0),
}
"""PBR parameters of every material kind (and the body's skin and hair).

Metallic is binary: 1 for bare metal, 0 for every dielectric (Allegorithmic /
Adobe, "The PBR Guide", part 2, metal / roughness workflow; Filament's material
guide: "pure, unweathered surfaces ... will be either 0.0 or 1.0").

Roughness from Roblox's published reference chart (create.roblox.com/docs/art/
modeling/material-reference, "Common Materials"): worn wood 0.7–0.9 → 0.7
(unvarnished furniture and crates); worn leather 0.5–0.7 → 0.55; pure / worn metals
0.2–0.4 → 0.35; matte plastic 0.4; cotton, canvas, denim 0.8–0.9 → 0.85; wool,
linen 0.9 → cardboard 0.9; rubber 0.5–0.6 → 0.55; marble 0.375 → stone 0.4;
skin 0.65; fur 0.65–0.75 → hair 0.7. Not in that chart: glazed ceramic 0.15
(jade's 0.15, between glossy plastic's 0.1 and marble) and glass 0.05 (a smooth
dielectric, drawn opaque: glTF core has no transmission).

`detail` names the relief the exporters bake into the normal map
(`hoiexport.exporters.pbr.DETAILS`): wood grain, leather grain, fabric weave; the
smooth kinds stay flat. Metal too: brushing streaks are finer than a texel of any
export texture (they show as anisotropic roughness, which glTF core does not
have)."""

assert set(lx.MATERIALS) <= set(SURFACES), "every lexicon material needs its PBR parameters"


def surface_pbr(kinds: list[str], face_slot: np.ndarray) -> SurfacePBR:
    """The `SurfacePBR` of a mesh whose faces are in material slots.

    Args:
        kinds: material kind of each slot (keys of `SURFACES`).
        face_slot: (F,) int slot index of every face.

    Raises:
        InputError: a kind without PBR parameters.
    """
    unknown = [k for k in kinds if k not in SURFACES]
    if unknown:
        raise InputError(f"no PBR parameters for material {unknown[0]!r}; use one of: {', '.join(SURFACES)}")
    return SurfacePBR(materials=tuple(SURFACES[k] for k in kinds), face_material=np.asarray(face_slot, np.int32))


@dataclass(frozen=True)
class Material:
    """A surface material.

    Attributes:
        kind: one of `lexicon.MATERIALS`.
        color: sRGB base colour, 0–255.
    """

    kind: str
    color: tuple[int, int, int]

    def __post_init__(self) -> None:
        if self.kind not in lx.MATERIALS:
            raise InputError(f"unknown material {self.kind!r}; use one of: {', '.join(lx.MATERIALS)}")


def resolve_color(color: str | tuple[int, int, int] | list[int] | None) -> tuple[int, int, int] | None:
    """A colour name (optionally with a modifier: "dark green") or RGB → sRGB tuple.

    Raises:
        InputError: unknown colour name or RGB values outside 0–255.
    """
    if color is None:
        return None
    if isinstance(color, str):
        words = color.strip().lower().replace("-", " ").split()
        if not words:
            raise InputError("colour is empty; pass a colour name such as 'red' or an (r, g, b) tuple")
        mod = lx.COLOR_MODIFIERS.get(words[0]) if len(words) > 1 else None
        name = " ".join(words[1:] if mod is not None else words)
        if name not in lx.COLORS:
            import difflib

            close = difflib.get_close_matches(name, list(lx.COLORS), n=1)
            hint = f"; closest match: {close[0]!r}" if close else ""
            raise InputError(f"unknown colour {color!r}; use a name such as red, dark green, silver{hint}")
        rgb = np.asarray(lx.COLORS[name], float)
        if mod is not None:
            rgb = rgb + ((255.0 if mod > 0 else 0.0) - rgb) * abs(mod)
        return tuple(round(float(c)) for c in rgb)  # type: ignore[return-value]
    arr = np.asarray(color, float).reshape(-1)
    if arr.shape != (3,) or not np.isfinite(arr).all() or arr.min() < 0 or arr.max() > 255:
        raise InputError(f"colour {color!r} must be a name or three sRGB values in 0–255")
    return tuple(round(float(c)) for c in arr)  # type: ignore[return-value]


def resolve_material(word: str | None) -> str | None:
    """A material word ("wooden", "steel", "leather") → material kind, or None.

    Raises:
        InputError: unknown material word.
    """
    if word is None:
        return None
    key = " ".join(word.strip().lower().replace("-", " ").split())
    if key in lx.MATERIALS:
        return key
    if key in lx.MATERIAL_WORDS:
        return lx.MATERIAL_WORDS[key]
    raise InputError(f"unknown material {word!r}; use one of: {', '.join(lx.MATERIALS)}")


# --------------------------------------------------------------------------- noise


def _value_noise(rng: np.random.Generator, size: int, cells: tuple[int, int]) -> np.ndarray:
    """(size, size) smooth noise in about [-1, 1] from a random (cells) grid."""
    grid = rng.uniform(-1.0, 1.0, (cells[0] + 1, cells[1] + 1))
    i0, t0 = _interp_weights(size, cells[0])
    rows = grid[i0] * (1.0 - t0)[:, None] + grid[i0 + 1] * t0[:, None]
    i1, t1 = _interp_weights(size, cells[1])
    return rows[:, i1] * (1.0 - t1)[None, :] + rows[:, i1 + 1] * t1[None, :]


def _interp_weights(size: int, cells: int) -> tuple[np.ndarray, np.ndarray]:
    """Grid cell index and smoothstep weight of each of `size` pixels over `cells` cells."""
    x = np.linspace(0.0, cells, size)
    i0 = np.minimum(np.floor(x).astype(int), cells - 1)
    t = x - i0
    return i0, t * t * (3.0 - 2.0 * t)


def _fbm(rng: np.random.Generator, size: int, base: int, octaves: int = 3) -> np.ndarray:
    total = np.zeros((size, size))
    amp, norm = 1.0, 0.0
    for o in range(octaves):
        c = base * 2**o
        total += amp * _value_noise(rng, size, (c, c))
        norm += amp
        amp *= 0.5
    return total / norm


def material_tile(material: Material, rng: np.random.Generator, size: int) -> np.ndarray:
    """A (size, size, 3) uint8 sRGB texture tile; rows are v, columns are u.

    Args:
        material: kind and base colour.
        rng: random generator (pattern phase and noise).
        size: tile side in pixels.
    """
    base = np.asarray(material.color, float)
    u = np.linspace(0.0, 1.0, size)[None, :]
    v = np.linspace(0.0, 1.0, size)[:, None]
    kind = material.kind
    if kind == "wood":
        warp = _value_noise(rng, size, (3, 2))
        rings = np.sin(2 * np.pi * (v * rng.uniform(7, 12) + 0.6 * warp + 0.15 * u))
        streak = _value_noise(rng, size, (48, 3))
        shade = 0.86 + 0.1 * rings + 0.05 * streak + 0.03 * _fbm(rng, size, 16, 2)
    elif kind == "leather":
        shade = 0.9 + 0.06 * _fbm(rng, size, 24, 3) + 0.03 * rng.standard_normal((size, size))
    elif kind == "metal":
        brushed = np.repeat(rng.standard_normal((size, 1)), size, axis=1)
        brushed = ndimage.gaussian_filter1d(brushed, 1.0, axis=0)
        shade = 0.95 + 0.04 * brushed + 0.05 * (u - 0.5)
    elif kind == "fabric":
        k = 2 * np.pi * size / 4
        weave = np.sin(u * k) * np.sin(v * k)
        shade = 0.93 + 0.05 * weave + 0.03 * _fbm(rng, size, 8, 2)
    elif kind == "cardboard":
        fibres = _value_noise(rng, size, (64, 8))
        corr = np.sin(2 * np.pi * v * 40)
        shade = 0.94 + 0.04 * fibres + 0.015 * corr + 0.03 * _fbm(rng, size, 6, 2)
    elif kind == "stone":
        shade = 0.9 + 0.12 * _fbm(rng, size, 6, 4)
    elif kind == "rubber":
        shade = 0.95 + 0.05 * rng.standard_normal((size, size))
    else:  # plastic, ceramic, glass
        shade = 0.97 + 0.02 * _fbm(rng, size, 4, 2) + 0.02 * (0.5 - v)
    img = base[None, None, :] * np.clip(shade, 0.0, 1.4)[..., None]
    if base.max() < 60:  # keep the pattern visible on near-black colours
        img = img + 40.0 * (shade - 1.0)[..., None]
    return np.clip(np.round(img), 0, 255).astype(np.uint8)


# --------------------------------------------------------------------------- atlas


class TilePainter(Protocol):
    """Paints a patterned tile for one material slot (e.g. a soccer ball's patches)."""

    def __call__(self, slot: int, material: Material, side: int, rng: np.random.Generator, /) -> np.ndarray | None:
        """Return a (side, side, 3) uint8 tile, or None for the plain material tile."""
        ...


def atlas_layout(n_slots: int) -> list[tuple[int, int, int]]:
    """Tile (row0, col0, side) in pixels for each of `n_slots` slots (1–4)."""
    if not 1 <= n_slots <= 4:
        raise InputError(f"an object may use 1 to 4 material slots, got {n_slots}")
    if n_slots == 1:
        return [(0, 0, ATLAS_SIZE)]
    half = ATLAS_SIZE // 2
    return [(r * half, c * half, half) for r in (0, 1) for c in (0, 1)][:n_slots]


def tile_uv(uv: np.ndarray, tile: tuple[int, int, int]) -> np.ndarray:
    """Map (N, 2) uv in [0, 1]² into a tile of the atlas (glTF: v down, row 0 top)."""
    r0, c0, side = tile
    inset = TILE_INSET_PX
    span = side - 2 * inset
    u = (c0 + inset + uv[:, 0] * span) / ATLAS_SIZE
    v = (r0 + inset + uv[:, 1] * span) / ATLAS_SIZE
    return np.stack([u, v], axis=1)


def build_atlas(
    materials: list[Material], rng: np.random.Generator, painter: TilePainter | None = None
) -> tuple[np.ndarray, list[tuple[int, int, int]]]:
    """Render one tile per material into a (256, 256, 3) uint8 atlas.

    Args:
        materials: one per slot, in slot order.
        rng: random generator for the patterns.
        painter: optional `TilePainter` for patterned tiles (e.g. a soccer
            ball); None → every slot gets its plain material tile.

    Returns:
        The atlas image and each slot's tile rectangle.
    """
    layout = atlas_layout(len(materials))
    img = np.zeros((ATLAS_SIZE, ATLAS_SIZE, 3), np.uint8)
    for k, (mat, (r0, c0, side)) in enumerate(zip(materials, layout, strict=True)):
        tile = painter(k, mat, side, rng) if painter is not None else None
        if tile is None:
            tile = material_tile(mat, rng, side)
        img[r0 : r0 + side, c0 : c0 + side] = tile
    if len(materials) == 3:  # unused fourth tile: repeat the first so mips stay sane
        r0, c0, side = atlas_layout(4)[3]
        img[r0 : r0 + side, c0 : c0 + side] = img[:side, :side]
    return img, layout


DARK: tuple[int, int, int] = (30, 30, 32)
"""sRGB of near-black parts (handles, wheels, trims) shared by the builders."""

PLASTICS: list[tuple[int, int, int]] = [(70, 90, 160), (200, 60, 50), (60, 140, 80), (230, 230, 225), (40, 40, 44),
                                         (240, 190, 40)]
"""sRGB choices of moulded plastic bodies (bins, containers, toolboxes), seeded per object."""
