"""Bring your own prop: a user's object mesh staged by the compose generator.

`load_prop` reads a .glb / .gltf / .obj / .ply (any node names, textures kept
in one atlas: `lift.load.load_combined_mesh`), turns its up axis to +Y, scales
it to metres, rests it on y = 0 and centres its footprint on x = z = 0, the
frame of the procedural library. `prop_object` wraps it as a
`ProceduralObject` whose anchors come from the affordance finder
(`sdk.geometry.affordances`), so the interaction planner stages a prop exactly as
it stages the library's objects: by its anchors, never by its name.

Scale sanity: a prop must be between `PROP_EXTENT_M` (2 cm and 5 m) in its
largest extent after `height_m` / `scale`; a file in centimetres (a 30 m "mug")
is refused with the fix (`--object-height` or `--object-scale`).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np

from hoiexport.sdk.core.errors import InputError
from hoiexport.sdk.core.types import Mesh
from hoiexport.sdk.generators.compose.objects.base import Anchor, ObjectKind, ProceduralObject

UpAxis = Literal["y", "z"]
"""The file's up axis: "y" (glTF's, most DCC exports) or "z" (Blender / CAD / many OBJ and PLY files)."""

PROP_EXTENT_M = (0.02, 5.0)
"""Smallest and largest accepted extent of a prop after scaling, metres."""

MAX_PROP_FACES = 400_000
"""Most triangles a prop may have (the placement samples its surface; decimate larger props first)."""

HELD_MAX_EXTENT_M = 1.2
"""A prop whose largest extent is at most this (and offers no seat) is picked up ("held")."""

_UP: dict[UpAxis, np.ndarray] = {
    "y": np.eye(3),
    "z": np.array([[1.0, 0.0, 0.0], [0.0, 0.0, 1.0], [0.0, -1.0, 0.0]]),  # (x, y, z) → (x, z, −y)
}
"""File up axis → rotation into the internal frame (+Y up)."""


@dataclass(frozen=True)
class PropOptions:
    """How a prop file becomes an object in metres.

    Attributes:
        name: the prop's name in the prompt and metadata (default: the file stem).
        height_m: scale the prop to this height (y extent after `up`), metres.
        scale: multiply the file's coordinates by this (e.g. 0.01 for centimetres).
        up: the file's up axis.
    """

    name: str | None = None
    height_m: float | None = None
    scale: float | None = None
    up: UpAxis = "y"

    def __post_init__(self) -> None:
        if self.height_m is not None and self.scale is not None:
            raise InputError("give either --object-height or --object-scale, not both")
        for key, value in (("object height", self.height_m), ("object scale", self.scale)):
            if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float))
                                      or not np.isfinite(value) or value <= 0):
                raise InputError(f"{key} must be a positive number, got {value!r}")
        if self.up not in _UP:
            raise InputError(f"up axis must be one of {', '.join(_UP)}, got {self.up!r}")
        if self.name is not None and (not isinstance(self.name, str) or not self.name.strip()):
            raise InputError(f"object name must be a non-empty word, got {self.name!r}")


def prop_name(source: str | os.PathLike[str] | Mesh, options: PropOptions) -> str:
    """The prop's name: `options.name`, else the file stem or mesh name, lower case."""
    if options.name:
        return options.name.strip().lower()
    raw = source.name if isinstance(source, Mesh) else Path(source).stem
    return (raw or "prop").strip().lower() or "prop"


def load_prop(source: str | os.PathLike[str] | Mesh, options: PropOptions = PropOptions()) -> Mesh:
    """Read and normalise a prop (module docstring).

    Args:
        source: a mesh file (.glb / .gltf / .obj / .ply) or a `Mesh` (file units and axes).
        options: name, scale or height, up axis.

    Returns:
        The prop in the internal frame: +Y up, metres, resting on y = 0, its
        bounding box centred on x = z = 0; uv + texture or vertex colours kept.

    Raises:
        InputError: unreadable file, no triangles, non-finite vertices, too many
            triangles, or an extent outside `PROP_EXTENT_M` (the message gives
            the size and the fix).
    """
    if isinstance(source, Mesh):
        mesh, where = source, f"object mesh {source.name!r}"
    else:
        from hoiexport.sdk.generators.lift.load import load_combined_mesh

        path = Path(source)
        where = f"object mesh {path}"
        if not path.is_file():
            raise InputError(f"{where} is not a file; give a .glb, .gltf, .obj or .ply file")
        mesh, _ = load_combined_mesh(path)
    if len(mesh.faces) == 0:
        raise InputError(f"{where} has no triangles")
    if len(mesh.faces) > MAX_PROP_FACES:
        raise InputError(f"{where} has {len(mesh.faces)} triangles (at most {MAX_PROP_FACES}); decimate it first")
    vertices = np.asarray(mesh.vertices, np.float64)
    if not np.isfinite(vertices).all():
        raise InputError(f"{where} has non-finite vertex coordinates (NaN or inf); repair the file")
    vertices = vertices @ _UP[options.up].T
    size = vertices.max(axis=0) - vertices.min(axis=0)
    if options.height_m is not None:
        if size[1] <= 0:
            raise InputError(f"{where} is flat along its up axis; --object-height needs a height (try --up z)")
        vertices = vertices * (options.height_m / size[1])
    elif options.scale is not None:
        vertices = vertices * options.scale
    size = vertices.max(axis=0) - vertices.min(axis=0)
    lo, hi = PROP_EXTENT_M
    if not lo <= size.max() <= hi:
        raise InputError(
            f"{where} is {size.max():.3g} m across after scaling, outside the {lo}–{hi} m a prop may be; "
            f"pass --object-height METRES (e.g. 0.3) or --object-scale (0.01 for a file in centimetres)")
    floor = vertices.min(axis=0)
    centre = 0.5 * (vertices.min(axis=0) + vertices.max(axis=0))
    vertices = vertices - np.array([centre[0], floor[1], centre[2]])
    return Mesh(vertices.astype(np.float32), mesh.faces, uv=mesh.uv, colors=mesh.colors, texture=mesh.texture,
                name=mesh.name)


def _kind(anchors: dict[str, Anchor], size: np.ndarray) -> ObjectKind:
    """How a prop is used: "support" when it offers a seat, "held" when small
    enough to pick up, else "floor"."""
    if "seat" in anchors:
        return "support"
    if float(size.max()) <= HELD_MAX_EXTENT_M:
        return "held"
    return "support" if "top" in anchors else "floor"


def prop_object(mesh: Mesh, name: str) -> ProceduralObject:
    """The prop as a `ProceduralObject` the compose planner stages.

    Args:
        mesh: the normalised prop (`load_prop`).
        name: the prop's name (its category in the prompt and metadata).

    Returns:
        The object with anchors from the affordance finder, dims from its
        bounding box ("width" x, "depth" z, "height" y, plus "seat_height"
        when a seat was found), no material slots (its own texture is kept).
    """
    from hoiexport.sdk.geometry.affordances import find_affordances

    found = find_affordances(mesh).anchors()
    anchors = {k: Anchor.at(a.point, a.normal, a.axis) for k, a in found.items()}
    size = (mesh.vertices.max(axis=0) - mesh.vertices.min(axis=0)).astype(np.float64)
    dims = {"width": float(size[0]), "depth": float(size[2]), "height": float(size[1])}
    if "seat" in anchors:
        dims["seat_height"] = float(anchors["seat"].point[1])
    return ProceduralObject(mesh=mesh, category=name, kind=_kind(anchors, size), dims=dims, anchors=anchors,
                            materials={}, style={"source": "user mesh"}, variant=None)
