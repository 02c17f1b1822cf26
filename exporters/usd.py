"""USD writer: an `ExportScene` → .usda / .usdc (+ textures) or one .usdz, as bytes.

Gather → encode: `build_stage` authors an in-memory stage in the preset's frame;
`encode_usd` / `encode_usdz` export it through a temporary folder and return bytes.
Nothing is written outside that folder; the caller does the final atomic write.

Stage layout (`<Name>` = the scene name as a USD identifier)::

    /<Name>                       SkelRoot, defaultPrim, kind=component,
                                  customData["hoi"] = metadata JSON, hoi:schemaVersion
        Skeleton                  UsdSkel Skeleton (joints "root/pelvis/spine1/..."),
                                  bind = rest transforms = the rest pose (A / T)
            interaction           SkelAnimation (bound): the generated pose, default time + 0
            approach              SkelAnimation: rest → interaction, t · 30 time codes
        human, object             Mesh + UsdSkel.BindingAPI + MaterialBindingAPI; with
                                  LODs an Xform with variant set "LOD" = {LOD0, LOD1, ...},
                                  each variant one such Mesh named like it (`define_mesh_levels`)
        Materials/<mesh>_material UsdPreviewSurface ← UsdUVTexture ← UsdPrimvarReader_float2
        Sockets/SOCKET_contact_*  Xform at the contact in the bound (interaction) pose
                                  (hoi:part, hoi:joint, ...)

Frames: points, normals and transforms go through the preset's `to_usd_*` methods
(upAxis / metersPerUnit authored from it). The JSON in customData["hoi"] is the
scene metadata unchanged, i.e. in the internal frame (+Y up, metres), as in glTF.
The socket attributes hoi:pointObject (stage units) and hoi:normal are in the
preset frame; hoi:distanceM and hoi:areaM2 stay in metres and m².

Example::

    files = encode_usd(scene, get_preset("unreal"), "usdc", "chair")
    # {"chair.usdc": b"PXR-USDC...", "textures/chair_human_basecolor.png": b"...", ...}
    usdz = encode_usdz(scene, get_preset("unity"), "chair")
"""

from __future__ import annotations

import dataclasses
import json
import tempfile
from pathlib import Path
from typing import Any, Literal

import numpy as np
from pxr import Kind, Sdf, Tf, Usd, UsdGeom, UsdShade, UsdSkel, UsdUtils, Vt

from hoiexport.exporters.lod import LOD_NAME, LOD_VARIANT_SET, level_mesh
from hoiexport.exporters.presets import TargetPreset
from hoiexport.exporters.scene import ExportMesh, ExportScene, ExportSocket
from hoiexport.exporters.usd_material import bind_material, define_material, mesh_textures, texture_path
from hoiexport.exporters.skin import add_root_joint
from hoiexport.exporters.usd_skel import (
    bind_mesh,
    check_skeleton,
    define_skeleton,
    interaction_world,
    joint_paths,
    usd_matrix,
)
from hoiexport.sdk.core.errors import ExportError, InputError
from hoiexport.sdk.core.types import SCHEMA_VERSION

UsdFormat = Literal["usda", "usdc"]

CLIP_TIME_CODES_PER_SECOND = 30.0
"""Stage timeCodesPerSecond: clip key times (seconds) are authored at t · this."""


def prim_name(name: str, fallback: str) -> str:
    """`name` as a valid USD prim name (invalid characters → "_"), or `fallback` if empty."""
    return Tf.MakeValidIdentifier(name) if name else fallback


def _json_default(value: Any) -> Any:
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def metadata_json(metadata: dict[str, Any]) -> str:
    """The scene metadata as compact, key-sorted JSON (numpy values become lists / numbers).

    Raises:
        ExportError: a value JSON cannot hold.
    """
    try:
        return json.dumps(
            metadata, default=_json_default, sort_keys=True, separators=(",", ":"), allow_nan=False
        )
    except (TypeError, ValueError) as exc:
        raise ExportError(f"scene.metadata cannot be written as JSON: {exc}; keep it to JSON types") from None


def _check_mesh(mesh: ExportMesh) -> None:
    v = len(mesh.vertices)
    for field, width in (("vertices", 3), ("normals", 3), ("uv", 2)):
        arr = np.asarray(getattr(mesh, field))
        if arr.shape != (v, width):
            raise ExportError(f"mesh {mesh.name!r} {field} must be ({v}, {width}), got {arr.shape}")
        if not np.isfinite(arr).all():
            raise ExportError(f"mesh {mesh.name!r} {field} has NaN or inf values")
    faces = np.asarray(mesh.faces)
    if faces.ndim != 2 or faces.shape[1] != 3 or len(faces) == 0:
        raise ExportError(f"mesh {mesh.name!r} faces must be (F, 3) with F > 0, got {faces.shape}")
    if faces.min() < 0 or faces.max() >= v:
        raise ExportError(f"mesh {mesh.name!r} face indices lie outside 0..{v - 1}")


def define_mesh(stage: Usd.Stage, path: Sdf.Path, mesh: ExportMesh, preset: TargetPreset) -> UsdGeom.Mesh:
    """Author a polygonal (non-subdivided) triangle mesh in the preset frame.

    Points and normals (vertex interpolation) are converted by the preset; `st`
    (texCoord2f, vertex interpolation) is (u, 1 − v) of the glTF-convention uv.
    """
    points = preset.to_usd_points(mesh.vertices).astype(np.float32)
    normals = preset.to_usd_directions(mesh.normals).astype(np.float32)
    uv = np.asarray(mesh.uv, np.float32)
    st = np.stack([uv[:, 0], 1.0 - uv[:, 1]], axis=1)
    faces = np.ascontiguousarray(mesh.faces, np.int32)

    geom = UsdGeom.Mesh.Define(stage, path)
    geom.CreateSubdivisionSchemeAttr(UsdGeom.Tokens.none)
    geom.CreateOrientationAttr(UsdGeom.Tokens.rightHanded)
    geom.CreatePointsAttr(Vt.Vec3fArray.FromNumpy(points))
    geom.CreateFaceVertexCountsAttr(Vt.IntArray.FromNumpy(np.full(len(faces), 3, np.int32)))
    geom.CreateFaceVertexIndicesAttr(Vt.IntArray.FromNumpy(faces.ravel()))
    geom.CreateNormalsAttr(Vt.Vec3fArray.FromNumpy(normals))
    geom.SetNormalsInterpolation(UsdGeom.Tokens.vertex)
    geom.CreateExtentAttr(UsdGeom.PointBased.ComputeExtent(Vt.Vec3fArray.FromNumpy(points)))
    primvar = UsdGeom.PrimvarsAPI(geom).CreatePrimvar(
        "st", Sdf.ValueTypeNames.TexCoord2fArray, UsdGeom.Tokens.vertex
    )
    primvar.Set(Vt.Vec2fArray.FromNumpy(np.ascontiguousarray(st, np.float32)))
    return geom


def define_mesh_levels(
    stage: Usd.Stage,
    path: Sdf.Path,
    mesh: ExportMesh,
    preset: TargetPreset,
    skeleton: UsdSkel.Skeleton,
    num_joints: int,
    material: UsdShade.Material,
) -> None:
    """Author `mesh` at `path`, skinned to `skeleton` and bound to `material`.

    Without LODs: one Mesh prim at `path`. With LODs (`mesh.lods`, `exporters.lod`),
    the Unreal USD importer's LOD convention: `path` is an Xform with a variant set
    "LOD" whose variants "LOD0", "LOD1", ... each hold one Mesh prim named like the
    variant (`path/LOD0`, ...), every level skinned to the one skeleton and bound
    to the one material; the selection is "LOD0".

    Raises:
        ExportError: a level's arrays are inconsistent.
    """
    if not mesh.lods:
        geom = define_mesh(stage, path, mesh, preset)
        bind_mesh(geom.GetPrim(), mesh, skeleton, num_joints)
        bind_material(geom.GetPrim(), material)
        return
    variants = UsdGeom.Xform.Define(stage, path).GetPrim().GetVariantSets().AddVariantSet(LOD_VARIANT_SET)
    for k in range(len(mesh.lods) + 1):
        level = level_mesh(mesh, k)
        _check_mesh(level)
        variant = LOD_NAME.format(k)
        variants.AddVariant(variant)
        variants.SetVariantSelection(variant)
        with variants.GetVariantEditContext():
            geom = define_mesh(stage, path.AppendChild(variant), level, preset)
            bind_mesh(geom.GetPrim(), level, skeleton, num_joints)
            bind_material(geom.GetPrim(), material)
    variants.SetVariantSelection(LOD_NAME.format(0))


def define_socket(
    stage: Usd.Stage,
    path: Sdf.Path,
    socket: ExportSocket,
    joint_name: str,
    joint_path: str,
    preset: TargetPreset,
) -> UsdGeom.Xform:
    """Author a contact locator: an Xform at the socket's world transform (preset frame).

    The transform is `preset.to_usd_frames(socket.world)`: the socket keeps its
    own axes, so its local +Z lies along the contact normal in every preset (as in
    glTF); hoi:normal gives the normal explicitly in the stage frame.

    Attributes authored (from `socket.extras` where present): hoi:part, hoi:joint
    (parent joint name), hoi:jointPath (its UsdSkel joint token), hoi:pointObject
    (stage units), hoi:normal (unit), hoi:distanceM (metres), hoi:areaM2 (m²).
    """
    xform = UsdGeom.Xform.Define(stage, path)
    xform.AddTransformOp().Set(usd_matrix(preset.to_usd_frames(socket.world)))
    extras = socket.extras
    values: list[tuple[str, Sdf.ValueTypeName, Any]] = [
        ("hoi:part", Sdf.ValueTypeNames.String, str(extras.get("part", ""))),
        ("hoi:joint", Sdf.ValueTypeNames.String, joint_name),
        ("hoi:jointPath", Sdf.ValueTypeNames.String, joint_path),
    ]
    if "point_object" in extras:
        point = preset.to_usd_points(extras["point_object"])[0]
        values.append(("hoi:pointObject", Sdf.ValueTypeNames.Point3d, tuple(point.tolist())))
    if "normal" in extras:
        normal = preset.to_usd_directions(extras["normal"])[0]
        values.append(("hoi:normal", Sdf.ValueTypeNames.Normal3d, tuple(normal.tolist())))
    for key, attr in (("distance_m", "hoi:distanceM"), ("area_m2", "hoi:areaM2")):
        if key in extras:
            values.append((attr, Sdf.ValueTypeNames.Double, float(extras[key])))
    prim = xform.GetPrim()
    for name, type_name, value in values:
        prim.CreateAttribute(name, type_name, custom=True).Set(value)
    return xform


def define_root(stage: Usd.Stage, scene: ExportScene, preset: TargetPreset) -> Sdf.Path:
    """Author stage metadata and the SkelRoot default prim with the `hoi` metadata.

    Returns:
        The root prim's path, `/<Name>`.
    """
    up = UsdGeom.Tokens.y if preset.usd_up_axis == "Y" else UsdGeom.Tokens.z
    UsdGeom.SetStageUpAxis(stage, up)
    UsdGeom.SetStageMetersPerUnit(stage, preset.usd_meters_per_unit)
    stage.SetTimeCodesPerSecond(CLIP_TIME_CODES_PER_SECOND)
    stage.SetStartTimeCode(0)
    last = max((float(np.asarray(c.times)[-1]) for c in scene.skeleton.clips), default=0.0)
    stage.SetEndTimeCode(last * CLIP_TIME_CODES_PER_SECOND)
    stage.GetRootLayer().customLayerData = {"creator": "hoiexport", "hoi:target": preset.name}

    path = Sdf.Path.absoluteRootPath.AppendChild(prim_name(scene.name, "asset"))
    root = UsdSkel.Root.Define(stage, path).GetPrim()
    stage.SetDefaultPrim(root)
    Usd.ModelAPI(root).SetKind(Kind.Tokens.component)
    root.SetCustomDataByKey("hoi", metadata_json(scene.metadata))
    version = int(scene.metadata.get("schema_version", SCHEMA_VERSION))
    root.CreateAttribute("hoi:schemaVersion", Sdf.ValueTypeNames.Int, custom=True).Set(version)
    return path


def define_sockets(stage: Usd.Stage, path: Sdf.Path, scene: ExportScene, preset: TargetPreset) -> None:
    """Author `path` (an Xform) holding one locator per socket; duplicate names get "_1", "_2"...

    Raises:
        ExportError: a socket's joint index or transform shape is invalid.
    """
    UsdGeom.Xform.Define(stage, path)
    names, paths = scene.skeleton.joint_names, joint_paths(scene.skeleton)
    # sockets sit where the bound `interaction` animation puts their joints
    to_pose = interaction_world(scene.skeleton) @ np.linalg.inv(np.asarray(scene.skeleton.bind_world, np.float64))
    taken: set[str] = set()
    for socket in scene.sockets:
        if not 0 <= socket.joint < len(names):
            raise ExportError(f"socket {socket.name!r} joint {socket.joint} is outside 0..{len(names) - 1}")
        if np.shape(socket.world) != (4, 4):
            raise ExportError(f"socket {socket.name!r} world must be (4, 4), got {np.shape(socket.world)}")
        name = stem = prim_name(socket.name, "SOCKET_contact")
        k = 1
        while name in taken:
            name, k = f"{stem}_{k}", k + 1
        taken.add(name)
        posed = dataclasses.replace(socket, world=to_pose[socket.joint] @ np.asarray(socket.world, np.float64))
        define_socket(stage, path.AppendChild(name), posed, names[socket.joint], paths[socket.joint], preset)


def build_stage(scene: ExportScene, preset: TargetPreset, basename: str) -> Usd.Stage:
    """Author the whole scene on a new in-memory stage in the preset's frame.

    Args:
        scene: the gathered scene, internal frame (+Y up, metres).
        preset: target preset (upAxis, metersPerUnit, root joint).
        basename: file base name; materials read "./textures/<basename>_<mesh>_basecolor.png".

    Returns:
        The stage; its texture paths are relative to the folder the layer is exported to.

    Raises:
        ExportError: the scene is inconsistent (shapes, joints, weights, metadata).
    """
    if preset.add_root_joint:
        scene = add_root_joint(scene)
    check_skeleton(scene.skeleton)
    if not scene.meshes:
        raise ExportError("scene has no meshes; export needs at least the human mesh")
    for mesh in scene.meshes:
        _check_mesh(mesh)

    stage = Usd.Stage.CreateInMemory(f"{basename}.usda")
    root = define_root(stage, scene, preset)
    skeleton = define_skeleton(stage, root.AppendChild("Skeleton"), scene.skeleton, preset)
    materials = root.AppendChild("Materials")
    UsdGeom.Scope.Define(stage, materials)
    taken = {"Skeleton", "Materials", "Sockets"}
    for mesh in scene.meshes:
        name = prim_name(mesh.name, "mesh")
        if name in taken:
            raise ExportError(
                f"mesh name {mesh.name!r} is used twice or reserved; give each mesh its own name"
            )
        taken.add(name)
        material_path = materials.AppendChild(f"{name}_material")
        material = define_material(stage, material_path, mesh, "./" + texture_path(basename, name))
        define_mesh_levels(stage, root.AppendChild(name), mesh, preset, skeleton, len(scene.skeleton.joint_names), material)
    if scene.sockets:
        define_sockets(stage, root.AppendChild("Sockets"), scene, preset)
    return stage


def _check_basename(basename: str) -> None:
    if not basename or basename in (".", "..") or any(c in basename for c in "/\\\0"):
        raise InputError(f"USD basename {basename!r} must be a plain file name without folders")


def texture_files(scene: ExportScene, basename: str) -> dict[str, bytes]:
    """{relative texture path: PNG bytes} for every mesh of the scene (base colour, and
    ORM + normal map where the mesh has them: `usd_material.mesh_textures`)."""
    files: dict[str, bytes] = {}
    for m in scene.meshes:
        files.update(mesh_textures(basename, prim_name(m.name, "mesh"), m))
    return files


def _export(
    stage: Usd.Stage, folder: Path, basename: str, fmt: UsdFormat, textures: dict[str, bytes]
) -> Path:
    """Write `textures` and the root layer as `<folder>/<basename>.<fmt>`; return the layer path."""
    for rel, data in textures.items():
        target = folder / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    layer_path = folder / f"{basename}.{fmt}"
    if not stage.GetRootLayer().Export(str(layer_path)):
        raise ExportError(f"USD could not write {layer_path.name}")
    return layer_path


def encode_usd(scene: ExportScene, preset: TargetPreset, fmt: UsdFormat, basename: str) -> dict[str, bytes]:
    """Encode the scene as one USD layer plus its texture PNGs.

    Args:
        scene: the gathered scene, internal frame.
        preset: target preset (axes, units, root joint).
        fmt: "usda" (text) or "usdc" (crate binary).
        basename: file base name without suffix, e.g. "chair".

    Returns:
        {"<basename>.<fmt>": layer bytes, "textures/<basename>_<mesh>_basecolor.png": PNG bytes, ...};
        the layer references the textures by these relative paths.

    Raises:
        InputError: unknown `fmt` or a basename with folders.
        ExportError: the scene is inconsistent.
    """
    if fmt not in ("usda", "usdc"):
        raise InputError(f"USD format {fmt!r} is not supported; use 'usda' or 'usdc' (or encode_usdz)")
    _check_basename(basename)
    stage = build_stage(scene, preset, basename)
    textures = texture_files(scene, basename)
    with tempfile.TemporaryDirectory(prefix="hoiexport-usd-") as tmp:
        layer_path = _export(stage, Path(tmp), basename, fmt, textures)
        return {layer_path.name: layer_path.read_bytes(), **textures}


def encode_usdz(scene: ExportScene, preset: TargetPreset, basename: str) -> bytes:
    """Encode the scene as one .usdz package: a usdc root layer plus its textures.

    Args:
        scene: the gathered scene, internal frame.
        preset: target preset (axes, units, root joint).
        basename: base name of the root layer inside the package.

    Returns:
        The .usdz bytes (an uncompressed, 64-byte aligned zip, as USD requires).

    Raises:
        InputError: a basename with folders.
        ExportError: the scene is inconsistent or packaging failed.
    """
    _check_basename(basename)
    stage = build_stage(scene, preset, basename)
    textures = texture_files(scene, basename)
    with tempfile.TemporaryDirectory(prefix="hoiexport-usdz-") as tmp:
        folder = Path(tmp)
        layer_path = _export(stage, folder, basename, "usdc", textures)
        usdz_path = folder / f"{basename}.usdz"
        if not UsdUtils.CreateNewUsdzPackage(Sdf.AssetPath(str(layer_path)), str(usdz_path)):
            raise ExportError(f"USD could not package {layer_path.name} into {usdz_path.name}")
        return usdz_path.read_bytes()
