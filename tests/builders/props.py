"""Props built as separate mesh files, the way a studio hands them over: glb with
a texture, obj, ply, in metres or centimetres, y-up or z-up, any node names.

Every builder returns a `trimesh.Trimesh` in its own file frame (metres, +Y up,
standing on y = 0, unless said otherwise); `write_prop` writes it to a file.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import trimesh
from PIL import Image


def _box(extents, centre) -> trimesh.Trimesh:
    return trimesh.creation.box(extents=extents, transform=trimesh.transformations.translation_matrix(centre))


def _cylinder(radius, height, centre, axis="y", sections=24) -> trimesh.Trimesh:
    c = trimesh.creation.cylinder(radius=radius, height=height, sections=sections)  # along z
    rot = {"z": np.eye(4), "y": trimesh.transformations.rotation_matrix(-np.pi / 2, [1, 0, 0]),
           "x": trimesh.transformations.rotation_matrix(np.pi / 2, [0, 1, 0])}[axis]
    c.apply_transform(rot)
    c.apply_translation(centre)
    return c


def _union(*parts: trimesh.Trimesh) -> trimesh.Trimesh:
    return trimesh.util.concatenate(list(parts))


def crate(size: float = 0.45) -> trimesh.Trimesh:
    """A cube crate, `size` metres."""
    return _box([size] * 3, [0, size / 2, 0])


def stool_block(seat_height: float = 0.46) -> trimesh.Trimesh:
    """A 40 × 40 cm block seat (a pouf)."""
    return _box([0.42, seat_height, 0.42], [0, seat_height / 2, 0])


def low_step(height: float = 0.22) -> trimesh.Trimesh:
    """A low step platform a foot can rest on."""
    return _box([0.5, height, 0.35], [0, height / 2, 0])


def pole(height: float = 1.6) -> trimesh.Trimesh:
    """A staff: a 1.6 m pole, 3 cm thick, standing upright."""
    return _cylinder(0.015, height, [0, height / 2, 0])


def canister() -> trimesh.Trimesh:
    """A 7 cm × 22 cm canister a hand wraps."""
    return _cylinder(0.035, 0.22, [0, 0.11, 0])


def kettlebell() -> trimesh.Trimesh:
    """A ball with a bar handle on top."""
    ball = trimesh.creation.icosphere(subdivisions=3, radius=0.1)
    ball.apply_translation([0, 0.1, 0])
    bar = _cylinder(0.014, 0.14, [0, 0.26, 0], axis="x")
    posts = [_cylinder(0.014, 0.08, [x, 0.21, 0]) for x in (-0.06, 0.06)]
    return _union(ball, bar, *posts)


def wall_panel() -> trimesh.Trimesh:
    """A 1.2 × 1.8 m panel, 10 cm thick, to lean against."""
    return _box([1.2, 1.8, 0.1], [0, 0.9, 0])


def low_table() -> trimesh.Trimesh:
    """A table: top 1.0 × 0.6 m at 0.74 m, four legs."""
    top = _box([1.0, 0.04, 0.6], [0, 0.72, 0])
    legs = [_box([0.05, 0.7, 0.05], [x, 0.35, z]) for x in (-0.45, 0.45) for z in (-0.25, 0.25)]
    return _union(top, *legs)


def ball_prop(radius: float = 0.11) -> trimesh.Trimesh:
    """A ball a foot kicks or hands hold."""
    b = trimesh.creation.icosphere(subdivisions=3, radius=radius)
    b.apply_translation([0, radius, 0])
    return b


BUILDERS: dict[str, Callable[[], trimesh.Trimesh]] = {
    "crate": crate, "pouf": stool_block, "step": low_step, "staff": pole, "canister": canister,
    "kettlebell": kettlebell, "panel": wall_panel, "desk": low_table, "orb": ball_prop,
}
"""Prop name → builder."""


def _checker(size: int = 64) -> np.ndarray:
    yy, xx = np.mgrid[0:size, 0:size]
    cells = ((yy // 8 + xx // 8) % 2).astype(bool)
    img = np.empty((size, size, 3), np.uint8)
    img[cells] = (200, 40, 40)
    img[~cells] = (240, 220, 60)
    return img


def textured(mesh: trimesh.Trimesh) -> trimesh.Trimesh:
    """`mesh` with planar uv and a red / yellow checker texture."""
    v = np.asarray(mesh.vertices)
    lo, hi = v.min(axis=0), v.max(axis=0)
    uv = (v[:, [0, 1]] - lo[[0, 1]]) / np.maximum(hi[[0, 1]] - lo[[0, 1]], 1e-6)
    material = trimesh.visual.material.PBRMaterial(baseColorTexture=Image.fromarray(_checker()))
    out = mesh.copy()
    out.visual = trimesh.visual.TextureVisuals(uv=uv, material=material)
    return out


def write_prop(mesh: trimesh.Trimesh, path: str | Path, *, scale: float = 1.0, z_up: bool = False,
               node_name: str = "Object.001") -> Path:
    """Write `mesh` to `path` (format by suffix), scaled by `scale`, turned z-up
    when asked, as a scene node named `node_name` (glb / gltf)."""
    out = mesh.copy()
    out.apply_scale(scale)
    if z_up:  # (x, y, z) → (x, −z, y): the file's +Z is our +Y
        out.apply_transform(trimesh.transformations.rotation_matrix(np.pi / 2, [1, 0, 0]))
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix in (".glb", ".gltf"):
        scene = trimesh.Scene()
        scene.add_geometry(out, node_name=node_name, geom_name=node_name)
        scene.export(path)
    else:
        out.export(path)
    return path
