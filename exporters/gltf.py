"""glTF 2.0 writer: an `ExportScene` → .glb bytes, or .gltf + .bin + PNGs (DESIGN §8 step 5).

Gather → encode, as glTF-Blender-IO does: one gatherer per glTF object
(`gather_joints`, `gather_skin`, `gather_mesh`, `gather_material`, `gather_animation`,
`gather_sockets`) fills a pygltflib `GLTF2` and one binary buffer; `encode_glb` /
`encode_gltf` serialise that. Nothing here touches the disk.

glTF is always +Y up, metres (the internal frame); presets change joint names only
(`skeletons`), applied before the writer. Document layout::

    scene "<name>"
      node "<name>"                      identity; holds the skeleton (skin.skeleton
        root → pelvis → … → hand …       is its root joint); joints have TRS = the
          SOCKET_contact_<part>          rest pose; sockets under their joint, extras
                                         {part, joint, …}
      node "human", node "object"        skinned meshes: scene roots without transforms,
                                         siblings of node "<name>" (glTF rules)
    skins[0]      every joint; inverseBindMatrices = inv(bind_world) (the rest pose)
    animations    "interaction": one key (t = 0), the generated pose; "approach":
                  rest → interaction, then held; translation + rotation per joint
    asset.extras  {"hoi": scene.metadata}

The joint nodes' rest transforms chain to `bind_world`, so the file at rest shows the
meshes in the rest pose (A / T, or the generated pose with `--rest-pose
interaction`), and playing `interaction` skins them into the generated pose.

Example::

    glb = encode_glb(scene)                          # bytes of one .glb
    files = encode_gltf(scene, "chair")              # {"chair.gltf", "chair.bin",
                                                     #  "chair_human_basecolor.png", …}
"""

from __future__ import annotations

import json
import math
import struct
from dataclasses import dataclass, field
from importlib import metadata as importlib_metadata
from typing import Any, Literal
from urllib.parse import quote

import numpy as np
import pygltflib
from scipy.spatial.transform import Rotation

from hoiexport.exporters.presets import TargetPreset
from hoiexport.exporters.scene import ExportClip, ExportMesh, ExportScene, ExportSocket
from hoiexport.exporters.skin import MAX_INFLUENCES, add_root_joint
from hoiexport.sdk.core.errors import ExportError, InputError

RIGID_TOLERANCE = 1e-4
"""Largest |RᵀR − I| entry (and |det R − 1|) accepted for a joint or socket rotation."""

POSE_TOLERANCE_M = 1e-4
"""Largest difference between `bind_world` and the chained `pose_local`."""

WEIGHT_SUM_TOLERANCE = 2e-3
"""Largest |sum of a vertex's weights − 1| accepted (the Khronos validator's bound)."""

ANIMATION_NAME = "interaction"
"""Name of the one-key animation holding the generated pose (always the first clip)."""

_ALIGN = 4


def _generator() -> str:
    try:
        return f"hoiexport {importlib_metadata.version('hoiexport')}"
    except importlib_metadata.PackageNotFoundError:
        return "hoiexport"


# ---------------------------------------------------------------------------
# Transforms.


def decompose_rigid(m: np.ndarray, what: str) -> tuple[list[float], list[float]]:
    """Split a rigid (4, 4) transform into glTF translation and unit quaternion.

    Args:
        m: column-vector transform, metres.
        what: name used in the error message.

    Returns:
        translation [x, y, z] and rotation [x, y, z, w] as Python floats.

    Raises:
        ExportError: the rotation part is not a proper rotation (scale, shear,
            mirror) or the values are not finite.
    """
    m = np.asarray(m, dtype=np.float64)
    if m.shape != (4, 4) or not np.isfinite(m).all():
        raise ExportError(f"{what} must be a finite (4, 4) transform, got shape {m.shape}")
    r = m[:3, :3]
    off = max(float(np.abs(r.T @ r - np.eye(3)).max()), abs(float(np.linalg.det(r)) - 1.0))
    if off > RIGID_TOLERANCE or np.abs(m[3] - (0, 0, 0, 1)).max() > RIGID_TOLERANCE:
        raise ExportError(
            f"{what} is not a rigid transform (rotation off orthonormal by {off:.3g}); "
            "joints and sockets must carry rotation + translation only"
        )
    q = Rotation.from_matrix(r).as_quat()  # x, y, z, w
    q /= np.linalg.norm(q)
    if q[3] < 0:
        q = -q
    return [float(v) for v in m[:3, 3]], [float(v) for v in q]


def trs_matrix(translation: list[float], rotation: list[float]) -> np.ndarray:
    """(4, 4) float64 column-vector transform of a glTF translation + quaternion (x, y, z, w)."""
    m = np.eye(4)
    m[:3, :3] = Rotation.from_quat(rotation).as_matrix()
    m[:3, 3] = translation
    return m


def chain_world(local: np.ndarray, parents: np.ndarray) -> np.ndarray:
    """(J, 4, 4) world transforms from joint-to-parent ones (parents before children)."""
    world = np.empty_like(np.asarray(local, dtype=np.float64))
    for j, p in enumerate(np.asarray(parents)):
        world[j] = local[j] if p < 0 else world[p] @ local[j]
    return world


# ---------------------------------------------------------------------------
# Gather state: the document being built and its one binary buffer.


@dataclass
class GltfBuilder:
    """A `GLTF2` under construction plus its binary buffer.

    Attributes:
        gltf: the document (buffers[0] is added by the encoder).
        blob: bytes of buffer 0, each bufferView 4-byte aligned.
        extras: JSON pointer of an object → its extras, set after serialisation so
            pygltflib's pruning of empty values never touches user metadata.
        images: image index → (file name, PNG bytes), for the .gltf variant.
    """

    gltf: pygltflib.GLTF2 = field(default_factory=lambda: pygltflib.GLTF2(asset=pygltflib.Asset(version="2.0")))
    blob: bytearray = field(default_factory=bytearray)
    extras: dict[tuple[str, int | None], dict[str, Any]] = field(default_factory=dict)
    images: dict[int, tuple[str, bytes]] = field(default_factory=dict)

    def add_view(self, data: bytes, target: int | None = None) -> int:
        """Append `data` as a new bufferView of buffer 0 and return its index."""
        self.blob.extend(b"\0" * (-len(self.blob) % _ALIGN))
        view = pygltflib.BufferView(buffer=0, byteOffset=len(self.blob), byteLength=len(data), target=target)
        self.blob.extend(data)
        self.gltf.bufferViews.append(view)
        return len(self.gltf.bufferViews) - 1

    def add_accessor(
        self,
        array: np.ndarray,
        kind: str,
        target: int | None = None,
        bounds: bool = False,
    ) -> int:
        """Store `array` (rows = elements) in its own bufferView and add an accessor.

        Args:
            array: (count, width) or (count,) of float32, uint8, uint16 or uint32.
            kind: glTF accessor type ("SCALAR", "VEC2", "VEC3", "VEC4", "MAT4").
            target: bufferView target (ARRAY_BUFFER / ELEMENT_ARRAY_BUFFER) or None.
            bounds: write min / max (required for POSITION and animation input).
        """
        a = np.ascontiguousarray(array)
        component = {
            np.dtype(np.float32): pygltflib.FLOAT,
            np.dtype(np.uint8): pygltflib.UNSIGNED_BYTE,
            np.dtype(np.uint16): pygltflib.UNSIGNED_SHORT,
            np.dtype(np.uint32): pygltflib.UNSIGNED_INT,
        }[a.dtype]
        view = self.add_view(a.astype(a.dtype.newbyteorder("<")).tobytes(), target)
        acc = pygltflib.Accessor(bufferView=view, componentType=component, count=int(a.shape[0]), type=kind)
        if bounds:
            flat = a.reshape(a.shape[0], -1)
            acc.min = [_number(v) for v in flat.min(axis=0)]
            acc.max = [_number(v) for v in flat.max(axis=0)]
        self.gltf.accessors.append(acc)
        return len(self.gltf.accessors) - 1

    def add_node(self, node: pygltflib.Node, extras: dict[str, Any] | None = None) -> int:
        self.gltf.nodes.append(node)
        index = len(self.gltf.nodes) - 1
        if extras:
            self.extras[("nodes", index)] = extras
        return index


def _number(v: Any) -> float | int:
    return int(v) if np.issubdtype(type(v), np.integer) else float(v)


# ---------------------------------------------------------------------------
# Checks.


def check_scene(scene: ExportScene) -> np.ndarray:
    """Check the scene can be written; return the chained (J, 4, 4) pose world transforms.

    Raises:
        ExportError: naming the field at fault and the fix.
    """
    skel = scene.skeleton
    names = list(skel.joint_names)
    j = len(names)
    parents = np.asarray(skel.parents)
    if j == 0:
        raise ExportError("export skeleton has no joints; the scene needs the SMPL-24 skeleton")
    if len(set(names)) != j:
        raise ExportError("skeleton.joint_names has duplicates; joint names must be unique")
    if parents.shape != (j,):
        raise ExportError(f"skeleton.parents must be ({j},), got {parents.shape}")
    for i, p in enumerate(parents):
        if (i == 0) != (p == -1) or p >= i:
            raise ExportError(
                f"skeleton joint {names[i]!r} has parent {int(p)}; joint 0 must be the only root (-1) "
                "and every parent must come before its children"
            )
    for name in ("bind_world", "rest_local"):
        arr = np.asarray(getattr(skel, name), dtype=np.float64)
        if arr.shape != (j, 4, 4) or not np.isfinite(arr).all():
            raise ExportError(f"skeleton.{name} must be finite ({j}, 4, 4), got {arr.shape}")
    world = chain_world(np.asarray(skel.rest_local, np.float64), parents)
    gap = np.abs(world - np.asarray(skel.bind_world, np.float64)).reshape(j, -1).max(axis=1)
    if gap.max() > POSE_TOLERANCE_M:
        raise ExportError(
            f"skeleton.rest_local does not chain to skeleton.bind_world (off by {gap.max():.3g} at joint "
            f"{names[int(np.argmax(gap))]!r}); the meshes must be bound in the rest pose"
        )
    check_clips(skel.clips, j)
    if not scene.meshes:
        raise ExportError("scene has no meshes; export needs at least the human mesh")
    seen: set[str] = set()
    for mesh in scene.meshes:
        if mesh.name in seen:
            raise ExportError(f"mesh name {mesh.name!r} is used twice; give each mesh its own name")
        seen.add(mesh.name)
        _check_mesh(mesh, j)
    for s in scene.sockets:
        if not 0 <= s.joint < j:
            raise ExportError(f"socket {s.name!r} joint {s.joint} is outside 0..{j - 1}")
    return world


def check_clips(clips: list[ExportClip], num_joints: int) -> None:
    """Check clip names, key times and transform shapes.

    Raises:
        ExportError: naming the clip and the fix.
    """
    names = [c.name for c in clips]
    if not clips or names[0] != ANIMATION_NAME:
        raise ExportError(f"the skeleton's first clip must be {ANIMATION_NAME!r} (the generated pose), got {names}")
    if len(set(names)) != len(names):
        raise ExportError(f"clip names must be unique, got {names}")
    for c in clips:
        times = np.asarray(c.times, np.float64)
        if times.ndim != 1 or len(times) == 0 or not np.isfinite(times).all() or times[0] != 0.0 or (np.diff(times) <= 0).any():
            raise ExportError(f"clip {c.name!r} key times must start at 0 and increase strictly, got {times[:5]}")
        local = np.asarray(c.local, np.float64)
        if local.shape != (len(times), num_joints, 4, 4) or not np.isfinite(local).all():
            raise ExportError(
                f"clip {c.name!r} transforms must be finite ({len(times)}, {num_joints}, 4, 4), got {local.shape}"
            )


def _check_mesh(mesh: ExportMesh, num_joints: int) -> None:
    v = np.asarray(mesh.vertices)
    n = len(v)
    shapes = {
        "vertices": (mesh.vertices, (n, 3)),
        "normals": (mesh.normals, (n, 3)),
        "uv": (mesh.uv, (n, 2)),
        "joints": (mesh.joints, (n, MAX_INFLUENCES)),
        "weights": (mesh.weights, (n, MAX_INFLUENCES)),
    }
    for fname, (arr, shape) in shapes.items():
        if np.shape(arr) != shape:
            raise ExportError(f"mesh {mesh.name!r} {fname} must be {shape}, got {np.shape(arr)}")
        if not np.isfinite(np.asarray(arr, np.float64)).all():
            raise ExportError(f"mesh {mesh.name!r} {fname} has NaN or inf values")
    if n == 0:
        raise ExportError(f"mesh {mesh.name!r} has no vertices")
    faces = np.asarray(mesh.faces)
    if faces.ndim != 2 or faces.shape[1] != 3 or len(faces) == 0:
        raise ExportError(f"mesh {mesh.name!r} faces must be (F, 3) with F > 0, got {faces.shape}")
    if faces.min() < 0 or faces.max() >= n:
        raise ExportError(f"mesh {mesh.name!r} faces index out of range [0, {n})")
    if np.linalg.norm(np.asarray(mesh.normals, np.float64), axis=1).min() < 1e-8:
        raise ExportError(f"mesh {mesh.name!r} has zero-length normals; recompute normals in prepare")
    joints = np.asarray(mesh.joints, np.int64)
    weights = np.asarray(mesh.weights, np.float64)
    if joints.min() < 0 or joints.max() >= num_joints:
        raise ExportError(f"mesh {mesh.name!r} joints index outside 0..{num_joints - 1}")
    if weights.min() < 0:
        raise ExportError(f"mesh {mesh.name!r} has negative skin weights")
    off = np.abs(weights.sum(axis=1) - 1.0)
    if off.max() > WEIGHT_SUM_TOLERANCE:
        raise ExportError(
            f"mesh {mesh.name!r} skin weights of vertex {int(np.argmax(off))} sum to "
            f"{weights[int(np.argmax(off))].sum():.6f}, not 1; renormalise in the skin stage"
        )
    if not 0.0 <= float(mesh.roughness) <= 1.0:
        raise ExportError(f"mesh {mesh.name!r} roughness {mesh.roughness} is outside [0, 1]")


# ---------------------------------------------------------------------------
# Gatherers, one per glTF object.


def gather_joints(scene: ExportScene, b: GltfBuilder) -> tuple[list[int], np.ndarray]:
    """Joint nodes with TRS = the rest pose (`rest_local`), linked parent → children.

    Returns:
        The node index of each joint, and (J, 4, 4) world transforms chained from the
        quaternions and translations as written (what a reader computes).
    """
    skel = scene.skeleton
    local = np.asarray(skel.rest_local, np.float64)
    parents = np.asarray(skel.parents)
    nodes: list[int] = []
    written = np.empty_like(local)
    for j, name in enumerate(skel.joint_names):
        t, q = decompose_rigid(local[j], f"skeleton.rest_local of joint {name!r}")
        written[j] = trs_matrix(t, q)
        nodes.append(b.add_node(pygltflib.Node(name=name, translation=t, rotation=q)))
    for j, p in enumerate(parents):
        if p >= 0:
            b.gltf.nodes[nodes[p]].children.append(nodes[j])
    return nodes, chain_world(written, parents)


def gather_skin(scene: ExportScene, b: GltfBuilder, joint_nodes: list[int]) -> int:
    """One skin over every joint; inverseBindMatrices = inv(bind_world)."""
    ibm = np.linalg.inv(np.asarray(scene.skeleton.bind_world, np.float64))
    ibm[:, 3, :] = (0.0, 0.0, 0.0, 1.0)
    # glTF matrices are column-major: element (row r, col c) at c * 4 + r.
    data = np.transpose(ibm, (0, 2, 1)).reshape(-1, 16).astype(np.float32)
    acc = b.add_accessor(data, "MAT4")
    b.gltf.skins.append(
        pygltflib.Skin(name=f"{scene.name}_skin", inverseBindMatrices=acc, joints=list(joint_nodes), skeleton=joint_nodes[0])
    )
    return len(b.gltf.skins) - 1


TextureKind = Literal["basecolor", "orm", "normal"]
"""Which of a mesh's images: sRGB base colour, linear ORM (occlusion, roughness,
metallic), tangent-space normal map."""


def texture_file_name(basecolor_name: str, kind: TextureKind) -> str:
    """The .gltf variant's file of a mesh's `kind` image, beside its base colour:
    "chair_human_basecolor.png" → "chair_human_orm.png"."""
    stem = basecolor_name.removesuffix(".png").removesuffix("_basecolor")
    return f"{stem}_{kind}.png"


def gather_texture(
    mesh: ExportMesh, b: GltfBuilder, sampler: int, image_name: str | None, kind: TextureKind = "basecolor"
) -> int:
    """One of the mesh's images (embedded in the buffer, or a file `image_name`) and
    its texture: the base colour, or (`mesh.pbr` set) the ORM or normal map."""
    if kind == "basecolor":
        png = mesh.png()  # rows top-down, as glTF reads them (v = 0 at the top)
    elif mesh.pbr is None:
        raise ExportError(f"mesh {mesh.name!r} has no PBR maps; its only image is the base colour")
    else:
        png = mesh.pbr.orm_png() if kind == "orm" else mesh.pbr.normal_png()
    image = pygltflib.Image(name=f"{mesh.name}_{kind}", mimeType="image/png")
    index = len(b.gltf.images)
    if image_name is None:
        image.bufferView = b.add_view(png)
    else:
        image.uri = quote(image_name)
        image.mimeType = None
        b.images[index] = (image_name, png)
    b.gltf.images.append(image)
    b.gltf.textures.append(pygltflib.Texture(name=f"{mesh.name}_{kind}", sampler=sampler, source=index))
    return len(b.gltf.textures) - 1


def gather_material(mesh: ExportMesh, b: GltfBuilder, sampler: int, image_name: str | None) -> int:
    """PBR metallic-roughness material and its textures (`gather_texture`).

    Without `mesh.pbr`: base-colour texture, metallic 0, roughness `mesh.roughness`.
    With it: base colour; the ORM image as metallicRoughnessTexture (G roughness,
    B metallic; both factors 1) and, when it holds baked occlusion, as
    occlusionTexture (R); the normal map as normalTexture (scale 1; the primitive
    carries the TANGENT it was baked against, `gather_mesh`).

    Args:
        image_name: the base colour's file name for the .gltf variant (the PBR
            maps go beside it, `texture_file_name`); None embeds every image.
    """
    def name(kind: TextureKind) -> str | None:
        return None if image_name is None else texture_file_name(image_name, kind)

    base = pygltflib.TextureInfo(index=gather_texture(mesh, b, sampler, image_name), texCoord=0)
    material = pygltflib.Material(name=f"{mesh.name}_material")
    if mesh.pbr is None:
        material.pbrMetallicRoughness = pygltflib.PbrMetallicRoughness(
            baseColorTexture=base, metallicFactor=0.0, roughnessFactor=float(mesh.roughness)
        )
    else:
        orm = gather_texture(mesh, b, sampler, name("orm"), "orm")
        normal = gather_texture(mesh, b, sampler, name("normal"), "normal")
        material.pbrMetallicRoughness = pygltflib.PbrMetallicRoughness(
            baseColorTexture=base,
            metallicFactor=1.0,
            roughnessFactor=1.0,
            metallicRoughnessTexture=pygltflib.TextureInfo(index=orm, texCoord=0),
        )
        material.normalTexture = pygltflib.NormalMaterialTexture(index=normal, texCoord=0, scale=1.0)
        if mesh.pbr.occlusion:
            material.occlusionTexture = pygltflib.OcclusionTextureInfo(index=orm, texCoord=0, strength=1.0)
    b.gltf.materials.append(material)
    return len(b.gltf.materials) - 1


def gather_mesh(mesh: ExportMesh, b: GltfBuilder, material: int, num_joints: int) -> int:
    """One triangle primitive: POSITION (min/max), NORMAL, TEXCOORD_0, JOINTS_0, WEIGHTS_0, indices,
    and TANGENT when the mesh has a normal map."""
    pos = np.asarray(mesh.vertices, np.float32)
    nrm = np.asarray(mesh.normals, np.float64)
    nrm = (nrm / np.linalg.norm(nrm, axis=1, keepdims=True)).astype(np.float32)
    uv = np.asarray(mesh.uv, np.float32)
    weights = np.asarray(mesh.weights, np.float32)
    joint_type = np.uint8 if num_joints <= 256 else np.uint16
    # glTF: a slot with weight 0 should name joint 0.
    joints = np.where(weights > 0, np.asarray(mesh.joints, np.int64), 0).astype(joint_type)
    faces = np.asarray(mesh.faces, np.int64)
    index_type = np.uint16 if len(pos) <= 65535 else np.uint32  # 65535 is the restart value
    arr = pygltflib.ARRAY_BUFFER
    attributes = pygltflib.Attributes(
        POSITION=b.add_accessor(pos, "VEC3", arr, bounds=True),
        NORMAL=b.add_accessor(nrm, "VEC3", arr),
        TEXCOORD_0=b.add_accessor(uv, "VEC2", arr),
        JOINTS_0=b.add_accessor(joints, "VEC4", arr),
        WEIGHTS_0=b.add_accessor(weights, "VEC4", arr),
    )
    if mesh.pbr is not None:  # the frame the normal map was baked in (pbr.vertex_tangents)
        attributes.TANGENT = b.add_accessor(np.asarray(mesh.tangent_frame(), np.float32), "VEC4", arr)
    indices = b.add_accessor(faces.reshape(-1).astype(index_type), "SCALAR", pygltflib.ELEMENT_ARRAY_BUFFER)
    prim = pygltflib.Primitive(attributes=attributes, indices=indices, material=material, mode=pygltflib.TRIANGLES)
    b.gltf.meshes.append(pygltflib.Mesh(name=mesh.name, primitives=[prim]))
    return len(b.gltf.meshes) - 1


def gather_sockets(
    sockets: list[ExportSocket], b: GltfBuilder, joint_nodes: list[int], joint_world: np.ndarray
) -> list[int]:
    """Socket nodes under their joints: local = inv(joint world) @ socket world; extras kept."""
    out = []
    for s in sockets:
        local = np.linalg.inv(joint_world[s.joint]) @ np.asarray(s.world, np.float64)
        local[3] = (0.0, 0.0, 0.0, 1.0)
        t, q = decompose_rigid(local, f"socket {s.name!r} transform")
        node = b.add_node(pygltflib.Node(name=s.name, translation=t, rotation=q), extras=_jsonable(s.extras, s.name))
        b.gltf.nodes[joint_nodes[s.joint]].children.append(node)
        out.append(node)
    return out


def clip_channels(clip: ExportClip, what: str) -> tuple[np.ndarray, np.ndarray]:
    """Translations (T, J, 3) and unit quaternions (T, J, 4, x y z w) of a clip's keys,
    each quaternion sign-aligned with the previous key's so LINEAR interpolation
    takes the short way.

    Raises:
        ExportError: a key transform is not rigid.
    """
    local = np.asarray(clip.local, np.float64)
    t_count, j = local.shape[:2]
    flat = local.reshape(-1, 4, 4)
    r = flat[:, :3, :3]
    off = np.abs(np.einsum("nji,njk->nik", r, r) - np.eye(3)).reshape(len(flat), -1).max(axis=1)
    if len(off) and (off.max() > RIGID_TOLERANCE or np.abs(np.linalg.det(r) - 1.0).max() > RIGID_TOLERANCE):
        raise ExportError(f"{what} holds a key that is not a rigid transform; clips carry rotation + translation only")
    quats = Rotation.from_matrix(r).as_quat().reshape(t_count, j, 4)
    quats /= np.linalg.norm(quats, axis=-1, keepdims=True)
    for k in range(1, t_count):
        flip = np.einsum("jq,jq->j", quats[k], quats[k - 1]) < 0
        quats[k, flip] *= -1.0
    return local[:, :, :3, 3], quats


def gather_animation(scene: ExportScene, b: GltfBuilder, joint_nodes: list[int]) -> list[int]:
    """One glTF animation per clip (`interaction`: one key, the generated pose;
    `approach`: rest → interaction), a translation and a rotation channel per joint.
    """
    out = []
    for clip in scene.skeleton.clips:
        times = b.add_accessor(np.asarray(clip.times, np.float32), "SCALAR", bounds=True)
        translations, rotations = clip_channels(clip, f"clip {clip.name!r}")
        samplers: list[pygltflib.AnimationSampler] = []
        channels: list[pygltflib.AnimationChannel] = []
        for j, node_index in enumerate(joint_nodes):
            for path, value, kind in (
                ("translation", translations[:, j], "VEC3"),
                ("rotation", rotations[:, j], "VEC4"),
            ):
                acc = b.add_accessor(np.asarray(value, np.float32), kind)
                samplers.append(pygltflib.AnimationSampler(input=times, output=acc, interpolation="LINEAR"))
                channels.append(
                    pygltflib.AnimationChannel(
                        sampler=len(samplers) - 1, target=pygltflib.AnimationChannelTarget(node=node_index, path=path)
                    )
                )
        b.gltf.animations.append(pygltflib.Animation(name=clip.name, samplers=samplers, channels=channels))
        out.append(len(b.gltf.animations) - 1)
    return out


def gather_lods(mesh: ExportMesh, b: GltfBuilder, node: int, material: int, skin: int, num_joints: int) -> list[int]:
    """`MSFT_lod` on the LOD0 node `node`: one skinned node per lower level (`exporters.lod`).

    Each level is a node `<mesh>_LOD<k>` with its own mesh (the level's vertices
    and triangles), LOD0's material and the one skin; the level nodes are not in
    the scene's node list, so a loader without `MSFT_lod` shows LOD0 only. The LOD0
    node gets `extensions.MSFT_lod.ids` (levels in order) and
    `extras.MSFT_screencoverage` (`lod.screen_coverage`). A mesh without levels
    adds nothing.

    Returns:
        The level nodes, LOD1 first.

    Raises:
        ExportError: a level's arrays are inconsistent.
    """
    from hoiexport.exporters.lod import level_mesh, screen_coverage

    if not mesh.lods:
        return []
    nodes = []
    for k in range(1, len(mesh.lods) + 1):
        level = level_mesh(mesh, k)
        _check_mesh(level, num_joints)
        gl_mesh = gather_mesh(level, b, material, num_joints)
        nodes.append(b.add_node(pygltflib.Node(name=level.name, mesh=gl_mesh, skin=skin)))
    b.gltf.nodes[node].extensions = {**b.gltf.nodes[node].extensions, "MSFT_lod": {"ids": nodes}}
    b.extras[("nodes", node)] = {**b.extras.get(("nodes", node), {}), "MSFT_screencoverage": screen_coverage(len(nodes) + 1)}
    if "MSFT_lod" not in b.gltf.extensionsUsed:
        b.gltf.extensionsUsed.append("MSFT_lod")
    return nodes


def gather(scene: ExportScene, image_names: dict[str, str] | None = None) -> GltfBuilder:
    """Build the whole document for `scene`.

    Args:
        scene: the gathered scene, internal frame (+Y up, metres).
        image_names: mesh name → PNG file name for the .gltf variant; None embeds
            the images in the binary buffer (.glb).

    Raises:
        ExportError: the scene is inconsistent.
    """
    check_scene(scene)
    b = GltfBuilder()
    b.gltf.asset = pygltflib.Asset(version="2.0", generator=_generator())
    b.extras[("asset", None)] = {"hoi": _jsonable(scene.metadata, "scene.metadata")}
    root = b.add_node(pygltflib.Node(name=scene.name))
    joint_nodes, joint_world = gather_joints(scene, b)
    b.gltf.nodes[root].children.append(joint_nodes[0])
    skin = gather_skin(scene, b, joint_nodes)
    gather_sockets(scene.sockets, b, joint_nodes, joint_world)
    b.gltf.samplers.append(
        pygltflib.Sampler(
            magFilter=pygltflib.LINEAR,
            minFilter=pygltflib.LINEAR_MIPMAP_LINEAR,
            wrapS=pygltflib.CLAMP_TO_EDGE,
            wrapT=pygltflib.CLAMP_TO_EDGE,
        )
    )
    num_joints = len(joint_nodes)
    mesh_nodes = []
    for mesh in scene.meshes:
        name = None if image_names is None else image_names[mesh.name]
        material = gather_material(mesh, b, 0, name)
        gl_mesh = gather_mesh(mesh, b, material, num_joints)
        mesh_nodes.append(b.add_node(pygltflib.Node(name=mesh.name, mesh=gl_mesh, skin=skin)))
        gather_lods(mesh, b, mesh_nodes[-1], material, skin, num_joints)
    gather_animation(scene, b, joint_nodes)
    b.gltf.scenes.append(pygltflib.Scene(name=scene.name, nodes=[root, *mesh_nodes]))
    b.gltf.scene = 0
    return b


# ---------------------------------------------------------------------------
# Encoding.


def _jsonable(value: Any, what: str) -> Any:
    """`value` with numpy scalars / arrays turned into Python numbers / lists.

    Raises:
        ExportError: a value that JSON cannot hold (NaN, inf, other objects).
    """
    if isinstance(value, dict):
        return {str(k): _jsonable(v, what) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v, what) for v in value]
    if isinstance(value, np.ndarray):
        return _jsonable(value.tolist(), what)
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        raise ExportError(f"{what} holds a NaN or inf value, which JSON cannot store")
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if hasattr(value, "value") and isinstance(value.value, str):  # str enums
        return value.value
    raise ExportError(f"{what} holds a {type(value).__name__}, which JSON cannot store; convert it first")


def document_json(b: GltfBuilder) -> bytes:
    """The glTF JSON of `b` (UTF-8, compact), extras inserted verbatim."""
    doc = pygltflib.gltf_asdict(b.gltf)
    for key in ("asset", *(k for k, v in doc.items() if isinstance(v, list))):
        items = doc[key] if isinstance(doc[key], list) else [doc[key]]
        for item in items:
            if isinstance(item, dict):
                item.pop("extras", None)
    doc.pop("extras", None)
    doc = pygltflib.delete_empty_keys(doc)
    for (key, index), extras in b.extras.items():
        (doc[key] if index is None else doc[key][index])["extras"] = extras
    return json.dumps(doc, separators=(",", ":"), allow_nan=False, ensure_ascii=False).encode("utf-8")


def _with_preset(scene: ExportScene, preset: TargetPreset | None) -> ExportScene:
    return add_root_joint(scene) if preset is not None and preset.add_root_joint else scene


def encode_glb(scene: ExportScene, preset: TargetPreset | None = None) -> bytes:
    """Encode the scene as one binary glTF (.glb), images embedded as PNG.

    Args:
        scene: the gathered scene, internal frame (+Y up, metres).
        preset: target preset; only `add_root_joint` applies to glTF (Unreal).

    Returns:
        The .glb bytes.

    Raises:
        ExportError: the scene is inconsistent (shapes, joints, weights, transforms).
    """
    b = gather(_with_preset(scene, preset))
    b.blob.extend(b"\0" * (-len(b.blob) % _ALIGN))
    b.gltf.buffers = [pygltflib.Buffer(byteLength=len(b.blob))]
    body = document_json(b)
    body += b" " * (-len(body) % _ALIGN)
    length = 12 + 8 + len(body) + 8 + len(b.blob)
    return b"".join(
        [
            struct.pack("<4sII", b"glTF", 2, length),
            struct.pack("<I4s", len(body), b"JSON"),
            body,
            struct.pack("<I4s", len(b.blob), b"BIN\0"),
            bytes(b.blob),
        ]
    )


def encode_gltf(scene: ExportScene, basename: str, preset: TargetPreset | None = None) -> dict[str, bytes]:
    """Encode the scene as .gltf JSON + one .bin buffer + one PNG per mesh.

    Args:
        scene: the gathered scene, internal frame (+Y up, metres).
        basename: file base name without suffix, e.g. "chair".
        preset: target preset; only `add_root_joint` applies to glTF (Unreal).

    Returns:
        {"<basename>.gltf": JSON, "<basename>.bin": buffer,
         "<basename>_<mesh>_basecolor.png": PNG (+ "_orm.png", "_normal.png" for a mesh
         with PBR maps), ...}; the JSON names the others by
        these relative URIs, so they must be written side by side.

    Raises:
        InputError: `basename` is empty or has folders.
        ExportError: the scene is inconsistent, or a mesh name has folders.
    """
    if not basename or basename in (".", "..") or any(c in basename for c in "/\\\0"):
        raise InputError(f"glTF basename {basename!r} must be a plain file name without folders")
    scene = _with_preset(scene, preset)
    for m in scene.meshes:
        if not m.name or any(c in m.name for c in "/\\\0"):
            raise ExportError(f"mesh name {m.name!r} names a texture file; use a plain name without folders")
    images = {m.name: f"{basename}_{m.name}_basecolor.png" for m in scene.meshes}
    b = gather(scene, images)
    b.blob.extend(b"\0" * (-len(b.blob) % _ALIGN))
    bin_name = f"{basename}.bin"
    b.gltf.buffers = [pygltflib.Buffer(byteLength=len(b.blob), uri=quote(bin_name))]
    files = {f"{basename}.gltf": document_json(b), bin_name: bytes(b.blob)}
    files.update(dict(b.images.values()))
    return files
