"""Levels of detail (LODs) of the exported meshes: `--lods N` (DESIGN §8 step 4b).

LOD0 is the exported mesh itself (prepared, unwrapped, baked, skinned). Each lower
level k = 1..N-1 is LOD0 simplified to about half the faces of level k-1
(F0 / 2^k), by meshoptimizer's `meshopt_simplify` (edge collapses onto existing
vertices, attribute seams kept): a level only drops vertices, never moves one, so
it keeps LOD0's uv, normals, joints and weights exactly. A level is stored as a
`scene.LodLevel` (the kept LOD0 vertex indices + its triangles); every level shares
the mesh's texture, material and skin. Levels are simplified from LOD0 each (not
from the previous level), so each is the simplifier's best at its budget.

How each format carries the levels, as its importers read them:

- glTF: the LOD0 node carries `MSFT_lod` (`ids` = the nodes LOD1.. in order) and
  `extras.MSFT_screencoverage` (one switch threshold per level), the node-level
  form of the extension; LOD1.. are skinned nodes outside the scene's node list,
  so a loader without the extension shows LOD0 only, as the extension intends.
  Spec: https://github.com/KhronosGroup/glTF/tree/main/extensions/2.0/Vendor/MSFT_lod
  Imported as LODs by Babylon.js (`MSFT_lod` loader extension,
  https://doc.babylonjs.com/typedoc/functions/_babylonjs_loaders.GLTF2.RegisterMSFT_lod)
  and UnityGLTF (a LODGroup; KhronosGroup/UnityGLTF pull request #295). Unity's
  glTFast does not read it yet (atteneder/glTFast issue #20, open) and Unreal's
  glTF reader lists no `MSFT_lod` (GLTF::EExtension,
  https://dev.epicgames.com/documentation/en-us/unreal-engine/API/Plugins/GLTFCore/GLTF__EExtension):
  both load LOD0. Unity's own `<name>_LOD0`, `_LOD1` naming rule
  (https://docs.unity3d.com/6/Documentation/Manual/importing-lod-meshes.html) is
  applied by its model importer (FBX), not by glTF importers, so it is not relied
  on; the level nodes and meshes are still named `<mesh>_LOD<k>`.
- USD: the Unreal USD importer's convention. The mesh's prim `/<Name>/<mesh>` is an
  Xform with a variant set named "LOD" whose variants "LOD0", "LOD1", ... each hold
  one Mesh prim named like the variant (`/<Name>/<mesh>{LOD=LOD1}LOD1`); the
  selection is LOD0. Unreal reads such a prim as one mesh asset with N LODs
  (`FUsdSchemaTranslationContext::bAllowInterpretingLODs`: "prims with a "LOD"
  variant set, and "LOD0", "LOD1", etc. variants containing each a prim can be
  parsed into a single UStaticMesh asset with multiple LODs",
  https://dev.epicgames.com/documentation/unreal-engine/API/Plugins/USDSchemas/FUsdSchemaTranslationContext/bAllowInterpretingLODs?application_version=5.4;
  its `UsdUtils::IterateLODMeshes` reads skinned meshes under a SkelRoot the same
  way and wants "only a single Mesh prim named the same as the variant").
  Omniverse and usdview show the variant set and switch it
  (https://docs.omniverse.nvidia.com/usd/latest/learn-openusd/terms/variant-set.html
  names LODs as a use of variant sets).

With one level (the default) nothing changes: no `lods`, no extension, no variant set.

Example::

    scene = add_lods(scene, 3)                 # human and object: LOD0, LOD1, LOD2
    lod1 = level_mesh(scene.meshes[0], 1)      # an ExportMesh with ~half the faces
"""

from __future__ import annotations

import dataclasses
from importlib import metadata as importlib_metadata
from typing import Any

import numpy as np

from hoiexport.exporters.scene import ExportMesh, ExportScene, LodLevel
from hoiexport.sdk.core.errors import ExportError, InputError

MAX_LODS = 8
"""Most levels `--lods` accepts (LOD7 has 1/128 of LOD0's faces)."""

REDUCTION = 0.5
"""Face count of level k / face count of level k-1 that the simplifier aims at."""

LOD_NAME = "LOD{}"
"""Name of level k: the USD variant and its Mesh prim ("LOD0", "LOD1", ...)."""

LOD_VARIANT_SET = "LOD"
"""Name of the USD variant set holding the levels (Unreal's `UnrealIdentifiers::LOD`)."""

_NOT_PER_VERTEX = frozenset({"faces"})
"""ExportMesh array fields that are not indexed by vertex."""


def check_lod_count(count: int) -> int:
    """`count` if it is a valid number of levels (1..MAX_LODS).

    Raises:
        InputError: naming the value and the range.
    """
    if isinstance(count, bool) or not isinstance(count, int) or not 1 <= count <= MAX_LODS:
        raise InputError(f"lods must be an integer from 1 (no LODs) to {MAX_LODS}, got {count!r}")
    return count


def screen_coverage(count: int) -> list[float]:
    """`MSFT_screencoverage` of `count` levels: level k shows from coverage[k-1]
    (1 for LOD0) down to coverage[k]; the thresholds halve with the faces
    (0.5, 0.25, ...) and the last level is never culled (0).
    """
    return [REDUCTION ** (k + 1) for k in range(count - 1)] + [0.0]


def _simplifier_version() -> str:
    try:
        return f"meshoptimizer {importlib_metadata.version('meshoptimizer')} (meshopt_simplify)"
    except importlib_metadata.PackageNotFoundError:
        return "meshoptimizer (meshopt_simplify)"


def simplify_levels(mesh: ExportMesh, count: int) -> tuple[LodLevel, ...]:
    """LOD1 .. LOD{count-1} of `mesh`, level k aiming at round(F0 / 2^k) faces.

    A level the simplifier cannot bring to its budget (topology it must keep, e.g.
    a box's corners) keeps what it reached; its face count says so.

    Args:
        mesh: LOD0; vertices (V, 3) float32 metres, faces (F, 3).
        count: number of levels including LOD0 (1..MAX_LODS).

    Returns:
        count - 1 levels, coarsest last.

    Raises:
        InputError: `count` out of range.
        ExportError: the simplifier is not installed or returned no triangle.
    """
    check_lod_count(count)
    if count == 1:
        return ()
    try:
        import meshoptimizer
    except ImportError:
        raise ExportError(
            "LODs need the Python package meshoptimizer; run scripts/setup.sh (or pip install meshoptimizer==0.2.30a0)"
        ) from None
    positions = np.ascontiguousarray(mesh.vertices, dtype=np.float32)
    indices = np.ascontiguousarray(np.asarray(mesh.faces).reshape(-1), dtype=np.uint32)
    scale = float(meshoptimizer.simplify_scale(positions))
    levels = []
    for k in range(1, count):
        target = max(1, round(len(indices) // 3 * REDUCTION**k)) * 3
        out = np.zeros(len(indices), np.uint32)
        error = np.zeros(1, np.float32)
        n = meshoptimizer.simplify(
            out, indices, positions, target_index_count=target, target_error=1.0, result_error=error
        )
        if n < 3:
            raise ExportError(f"simplifying mesh {mesh.name!r} to LOD{k} left no triangle; ask for fewer --lods")
        kept, local = np.unique(out[:n], return_inverse=True)
        levels.append(
            LodLevel(
                vertices=kept.astype(np.int64),
                faces=local.reshape(-1, 3).astype(np.uint32),
                error_m=float(error[0]) * scale,
            )
        )
    return tuple(levels)


def level_mesh(mesh: ExportMesh, level: int) -> ExportMesh:
    """The `ExportMesh` of level `level` of `mesh` (0 = the mesh itself, without `lods`).

    Every per-vertex array field (vertices, normals, uv, joints, weights, and any
    other (V, ...) array a mesh gains) is indexed by the level's kept vertices;
    texture, material fields and `rigid_joint` stay LOD0's; the name is
    "<mesh>_LOD<level>" (Unity's naming rule) for level >= 1.

    Raises:
        ExportError: `level` is not one of the mesh's levels.
    """
    if level == 0:
        return dataclasses.replace(mesh, lods=())
    if not 1 <= level <= len(mesh.lods):
        raise ExportError(f"mesh {mesh.name!r} has no LOD{level} (it has {len(mesh.lods) + 1} levels)")
    lod = mesh.lods[level - 1]
    count = len(mesh.vertices)
    picked: dict[str, Any] = {}
    for f in dataclasses.fields(mesh):
        value = getattr(mesh, f.name)
        if f.name not in _NOT_PER_VERTEX and isinstance(value, np.ndarray) and value.ndim >= 1 and len(value) == count:
            picked[f.name] = value[lod.vertices]
    return dataclasses.replace(mesh, name=f"{mesh.name}_{LOD_NAME.format(level)}", faces=lod.faces, lods=(), **picked)


def add_lods(scene: ExportScene, count: int) -> ExportScene:
    """`scene` with `count` levels per mesh, and `metadata["lods"]` describing them.

    Args:
        scene: the gathered scene (any joint layout: levels index vertices, not joints).
        count: levels per mesh including LOD0 (1..MAX_LODS); 1 returns `scene` itself.

    Returns:
        A copy whose meshes carry `lods`; metadata["lods"] = {"count",
        "reduction", "simplifier", "screen_coverage", "meshes": {name: {"faces",
        "vertices", "error_m"}}} (per level, LOD0 first).

    Raises:
        InputError: `count` out of range.
        ExportError: a mesh could not be simplified.
    """
    check_lod_count(count)
    if count == 1:
        return scene
    meshes = [dataclasses.replace(m, lods=simplify_levels(m, count)) for m in scene.meshes]
    info = {
        "count": count,
        "reduction": REDUCTION,
        "simplifier": _simplifier_version(),
        "screen_coverage": screen_coverage(count),
        "meshes": {m.name: lod_stats(m) for m in meshes},
    }
    return dataclasses.replace(scene, meshes=meshes, metadata={**scene.metadata, "lods": info})


def lod_stats(mesh: ExportMesh) -> dict[str, list[float] | list[int]]:
    """{"faces", "vertices", "error_m"}: one entry per level, LOD0 first (error 0)."""
    return {
        "faces": [len(mesh.faces), *(len(lod.faces) for lod in mesh.lods)],
        "vertices": [len(mesh.vertices), *(len(lod.vertices) for lod in mesh.lods)],
        "error_m": [0.0, *(round(lod.error_m, 6) for lod in mesh.lods)],
    }
