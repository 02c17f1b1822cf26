"""The gathered, format-neutral scene both writers (glTF, USD) encode.

`export.gather` (prepare → uv → bake → skin) turns an `HOIAsset` into an
`ExportScene`; `presets.apply_preset` gives it the target's joint layout, once;
`gltf.encode_*` and `usd.encode_*` turn it into bytes. Everything here is in the
internal frame (+Y up, metres, faces +Z); the USD writer converts axes and units
through the preset.

Bind pose = the skeleton's rest pose (`exporters.rig`: a canonical A or T pose, or
the generated pose itself): mesh vertices are the surfaces in that pose, and the
clip `interaction` holds the generated pose, so skinning the stored meshes with it
reproduces the generated surfaces.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from hoiexport.sdk.core.types import Texture

if TYPE_CHECKING:
    from hoiexport.exporters.pbr import PBRMaps


@dataclass
class ExportClip:
    """One animation of the skeleton.

    Attributes:
        name: clip name ("interaction", "approach").
        times: (T,) float32 key times, seconds, strictly increasing from 0.
        local: (T, J, 4, 4) float64 rigid joint-to-parent transforms at each key
            (root: joint-to-world), metres, internal frame.
    """

    name: str
    times: np.ndarray
    local: np.ndarray


@dataclass
class ExportSkeleton:
    """Joint hierarchy for export: a rest (bind) pose and the clips that animate it.

    Attributes:
        joint_names: J names (a floor root joint, then SMPL-24, before a naming
            preset renames them).
        parents: (J,) int32 parent index, -1 for the single root.
        bind_world: (J, 4, 4) float64 joint-to-world transforms of the rest pose
            the meshes are bound in (`chain(rest_local)`), metres.
        rest_local: (J, 4, 4) float64 joint-to-parent transforms of the rest pose
            (the joint nodes' own TRS; root: joint-to-world).
        clips: the animations; the first is `interaction`, the generated pose.
        rest_pose: which rest pose the skeleton is bound in ("a", "t", "interaction").
    """

    joint_names: list[str]
    parents: np.ndarray
    bind_world: np.ndarray
    rest_local: np.ndarray
    clips: list[ExportClip] = field(default_factory=list)
    rest_pose: str = "interaction"

    def clip(self, name: str) -> ExportClip:
        """The clip called `name` (KeyError when absent)."""
        for c in self.clips:
            if c.name == name:
                return c
        raise KeyError(name)


@dataclass(frozen=True)
class LodLevel:
    """One lower level of detail of an `ExportMesh`, as a subset of its vertices.

    Every per-vertex array of the level (positions, normals, uv, joints, weights)
    is the LOD0 array indexed by `vertices`, so the level keeps LOD0's attributes
    exactly and follows any later change of them (`exporters.lod.level_mesh`
    builds the level's own `ExportMesh`).

    Attributes:
        vertices: (V_k,) int64 ascending indices of the LOD0 vertices it keeps.
        faces: (F_k, 3) uint32 triangles indexing `vertices` (0..V_k-1),
            counter-clockwise front.
        error_m: the simplifier's geometric error of this level, metres.
    """

    vertices: np.ndarray
    faces: np.ndarray
    error_m: float


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
        roughness: PBR roughness in [0, 1] of a mesh without `pbr` maps (metallic
            0); ignored when `pbr` is set (its ORM texture holds both).
        joints: (V, 4) uint16 joint indices (top-4 influences).
        weights: (V, 4) float32 weights, rows sum to 1.
        rigid_joint: joint index when the mesh is bound rigidly to one joint
            (then every row of `joints` is that joint with weight 1), else None.
        texture_png: the texture encoded as PNG (`gather` encodes it beside the
            other mesh's, on the scheduler's threads), else filled by `png()` on
            first use, so that every writer of one export shares one encoding.
        pbr: the ORM and tangent-space normal maps in the same atlas
            (`exporters.pbr.PBRMaps`), when the source mesh described its
            materials; None = base colour + `roughness` only.
        tangents: (V, 4) float32 TANGENT (xyz unit, w = ±1) of the normal map's
            frame, filled by `tangent_frame()` on first use by a writer (from the
            vertices, normals and uv then: the bind pose); per vertex, so an LOD
            level (`lod.level_mesh`) takes its vertices' rows of LOD0's. Leave it
            None before the scene is final (rig, presets).
        lods: the lower levels of detail LOD1, LOD2, ... (`exporters.lod`), each
            a subset of this mesh's vertices (this mesh is LOD0); they share its
            texture, material and skin. Empty = one level.
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
    pbr: PBRMaps | None = None
    tangents: np.ndarray | None = field(default=None, repr=False)
    lods: tuple[LodLevel, ...] = ()

    def png(self) -> bytes:
        """`texture` as PNG bytes (rows top-down, as glTF and USD read them), encoded once."""
        if self.texture_png is None:
            from hoiexport.exporters.bake import encode_png

            self.texture_png = encode_png(self.texture)
        return self.texture_png

    def tangent_frame(self) -> np.ndarray:
        """`tangents`, computed once (`pbr.vertex_tangents`, the frame the normal map
        was baked in) from the vertices, normals and uv."""
        if self.tangents is None or len(self.tangents) != len(self.vertices):
            from hoiexport.exporters.pbr import vertex_tangents

            self.tangents = vertex_tangents(self.vertices, self.normals, self.uv, self.faces)
        return self.tangents


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
