"""Types shared by the procedural object builders.

Frame of every object: internal (right-handed, +Y up, metres), resting on the
floor plane y = 0, its bounding box centred on x = z = 0; furniture faces +Z
(a person using it faces +Z too), carried objects show their front at +Z.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import numpy as np
from hoiexport.sdk.generators.compose.objects.geometry import Part
from hoiexport.sdk.generators.compose.objects.materials import Material, TilePainter
from hoiexport.sdk.core.types import Mesh

ObjectKind = Literal["held", "support", "floor"]
"""How an object is used: "held" (lifted by hand), "support" (bears body
weight: chair, stool, bench, table), "floor" (stays on the floor: bin)."""


@dataclass(frozen=True)
class Anchor:
    """A named point / frame on an object, used to place hands, hips or back.

    Attributes:
        point: (3,) float64 metres, object frame.
        normal: (3,) float64 unit vector: the outward surface normal there (the
            side a body part approaches from).
        axis: (3,) float64 unit vector: a tangent direction: a handle's bar axis
            (the fingers wrap around it), a seat's forward direction, a
            backrest's horizontal direction.
    """

    point: np.ndarray
    normal: np.ndarray
    axis: np.ndarray

    @staticmethod
    def at(point, normal, axis) -> Anchor:
        """Build from array-likes, normalising the two directions."""
        n = np.asarray(normal, float)
        a = np.asarray(axis, float)
        return Anchor(np.asarray(point, float).reshape(3), n / np.linalg.norm(n), a / np.linalg.norm(a))

    def moved(self, offset: np.ndarray) -> Anchor:
        """This anchor translated by (3,) metres."""
        return Anchor(self.point + offset, self.normal, self.axis)

    def to_json(self) -> dict[str, list[float]]:
        return {k: [float(x) for x in getattr(self, k)] for k in ("point", "normal", "axis")}


@dataclass
class Blueprint:
    """What a category builder returns: parts, material slots, dims and anchors.

    Attributes:
        parts: solids to union (uv projection and material slot per part).
        cuts: solids to subtract (e.g. a mug's cavity).
        slots: slot name → default material; "main" first (colour / material
            words of the prompt apply to it).
        dims: named dimensions, metres (degrees where the name ends in _deg).
        anchors: named anchors, object frame before recentring.
        kind: how the object is used.
        style: discrete style choices (e.g. {"back": "slats", "legs": "round"}).
        edge_length: maximum edge length of non-main parts (see `geometry.assemble`), metres.
        painter: optional patterned-tile painter (see `materials.build_atlas`).
        floor_trim: cut the union at the floor plane y = 0 (flat feet).
    """

    parts: list[Part]
    slots: dict[str, Material]
    dims: dict[str, float]
    anchors: dict[str, Anchor]
    kind: ObjectKind
    style: dict[str, str] = field(default_factory=dict)
    cuts: list[Part] = field(default_factory=list)
    edge_length: float = 0.03
    painter: TilePainter | None = None
    floor_trim: bool = True


@dataclass
class ProceduralObject:
    """A procedural object from the library.

    Attributes:
        mesh: watertight, welded triangle mesh (internal frame, metres), resting
            on y = 0 and centred on x = z = 0, with per-vertex `uv`, a
            256 × 256 base-colour `Texture` (one atlas tile per material slot)
            and `pbr`: each face's slot material (`materials.surface_pbr`).
        category: library category ("chair", "suitcase", ...).
        kind: "held", "support" or "floor".
        dims: named dimensions in metres ("width" = x extent, "depth" = z
            extent, "height" = y extent, plus category-specific ones).
        anchors: named `Anchor`s in the mesh's frame (see the package docs).
        materials: slot name → `Material` used for its tile.
        style: discrete style choices made from the seed or variant.
        variant: the variant asked for (e.g. "basketball"), or None.
    """

    mesh: Mesh
    category: str
    kind: ObjectKind
    dims: dict[str, float]
    anchors: dict[str, Anchor]
    materials: dict[str, Material]
    style: dict[str, str]
    variant: str | None = None
