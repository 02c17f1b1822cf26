"""The gathered, format-neutral scene both writers (glTF, USD) encode.

`export.gather` (prepare → uv → bake → skin) turns an `HOIAsset` into an
`ExportScene`; `presets.apply_preset` gives it the target's joint layout, once;
`gltf.encode_*` and `usd.encode_*` turn it into bytes. Everything here is in the
internal frame (+Y up, metres, faces +Z); the USD writer converts axes and units
through the preset.

Bind pose = the generated pose: mesh vertices are the posed surfaces, and the
skeleton's bind transforms are the joints' world transforms in that pose, so
skinning with the stored pose reproduces the meshes exactly.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from hoiexport.sdk.core.types import Texture


@dataclass
class ExportSkeleton:
    """Joint hierarchy for export.

    Attributes:
        joint_names: J names (SMPL-24, optionally with a `root` joint first).
        parents: (J,) int32 parent index, -1 for the single root.
        bind_world: (J, 4, 4) float64 joint-to-world transforms at bind time
            (= the generated pose), metres.
        pose_local: (J, 4, 4) float64 joint-to-parent transforms of the one-frame
            animation `interaction` (root: joint-to-world).
    """

    joint_names: list[str]
    parents: np.ndarray
    bind_world: np.ndarray
    pose_local: np.ndarray


@dataclass
class ExportMesh:
    """One skinned, textured triangle mesh ready to encode.

    Attributes:
        name: mesh / node / prim name ("human", "object").
        vertices: (V, 3) float32 bind-pose positions, metres.
        normals: (V, 3) float32 unit normals.
        uv: (V, 2) float32 texture coordinates, glTF convention (v down).
        faces: (F, 3) uint32 triangles, counter-clockwise front.
        texture: baked sRGB base-colour texture.
        roughness: PBR roughness in [0, 1]; metallic is always 0.
        joints: (V, 4) uint16 joint indices (top-4 influences).
        weights: (V, 4) float32 weights, rows sum to 1.
        rigid_joint: joint index when the mesh is bound rigidly to one joint
            (then every row of `joints` is that joint with weight 1), else None.
        texture_png: the texture encoded as PNG (`gather` encodes it beside the
            other mesh's, on the scheduler's threads), else filled by `png()` on
            first use, so that every writer of one export shares one encoding.
    """

    name: str
    vertices: np.ndarray
    normals: np.ndarray
    uv: np.ndarray
    faces: np.ndarray
    texture: Texture
    roughness: float
    joints: np.ndarray
    weights: np.ndarray
    rigid_joint: int | None = None
    texture_png: bytes | None = field(default=None, repr=False)

    def png(self) -> bytes:
        """`texture` as PNG bytes (rows top-down, as glTF and USD read them), encoded once."""
        if self.texture_png is None:
            from hoiexport.exporters.bake import encode_png

            self.texture_png = encode_png(self.texture)
        return self.texture_png


@dataclass
class ExportSocket:
    """An attachment locator at a contact point.

    Attributes:
        name: `SOCKET_contact_<part>`.
        joint: index of the parent joint in the export skeleton.
        world: (4, 4) float64 socket-to-world transform in the bind pose:
            origin at the contact point, +Z along the contact normal.
        extras: {part, joint, point_object, normal, distance_m, area_m2}.
    """

    name: str
    joint: int
    world: np.ndarray
    extras: dict[str, Any]


@dataclass
class ExportScene:
    """Everything a writer needs.

    Attributes:
        name: asset name (root node / default prim).
        skeleton: the export skeleton.
        meshes: human first, then object.
        sockets: one per contact.
        metadata: the `hoi` metadata block {schema_version, prompt,
            contact_config, contacts, penetration, provenance}.
    """

    name: str
    skeleton: ExportSkeleton
    meshes: list[ExportMesh]
    sockets: list[ExportSocket] = field(default_factory=list)
    metadata: dict[str, Any] = field(default_factory=dict)
