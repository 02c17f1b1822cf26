"""Levels of detail (`--lods`): the simplifier's levels, glTF `MSFT_lod`, the USD "LOD"
variant set, both through the real validators."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np
import pytest
import trimesh
from click.testing import CliRunner
from pxr import Usd, UsdGeom, UsdShade, UsdSkel

from hoiexport.exporters.export import ExportOptions, ExportResult, export
from hoiexport.exporters.lod import (
    LOD_VARIANT_SET,
    MAX_LODS,
    add_lods,
    check_lod_count,
    level_mesh,
    screen_coverage,
    simplify_levels,
)
from hoiexport.exporters.options import BakeOptions
from hoiexport.exporters.scene import ExportMesh
from hoiexport.exporters.validate_gltf import GltfDocument
from hoiexport.sdk.bundle import load_bundle
from hoiexport.sdk.core.errors import ExportError, InputError
from hoiexport.sdk.core.types import HOIAsset, Texture

SAMPLE = Path(__file__).resolve().parents[2] / "samples" / "bundles" / "suitcase_left_hand"
"""A compose asset (Anny body, procedural suitcase) shipped with the repository."""

FAST = BakeOptions(size=512, gutter_px=4)


def sphere_mesh(subdivisions: int = 4) -> ExportMesh:
    """An icosphere with per-vertex uv, two-joint weights and a seam (the vertices
    with x < 0 duplicated, as an unwrap splits a chart border)."""
    s = trimesh.creation.icosphere(subdivisions=subdivisions, radius=0.2)
    v = np.asarray(s.vertices, np.float32)
    f = np.asarray(s.faces, np.int64)
    rng = np.random.default_rng(0)
    uv = rng.random((len(v), 2)).astype(np.float32)
    joints = np.zeros((len(v), 4), np.uint16)
    joints[:, 1] = 1
    w1 = (v[:, 1] - v[:, 1].min()) / np.ptp(v[:, 1])
    weights = np.stack([1 - w1, w1, np.zeros_like(w1), np.zeros_like(w1)], 1).astype(np.float32)
    return ExportMesh(
        name="ball",
        vertices=v,
        normals=(v / np.linalg.norm(v, axis=1, keepdims=True)).astype(np.float32),
        uv=uv,
        faces=f.astype(np.uint32),
        texture=Texture(np.zeros((4, 4, 3), np.uint8)),
        roughness=0.5,
        joints=joints,
        weights=weights,
    )


@pytest.fixture(scope="module")
def asset() -> HOIAsset:
    return load_bundle(SAMPLE)


@pytest.fixture(scope="module")
def lod_export(asset: HOIAsset, tmp_path_factory: pytest.TempPathFactory) -> ExportResult:
    """The sample exported with 3 levels, glTF and USD, for Unreal (root joint, cm, Z-up)."""
    out = tmp_path_factory.mktemp("lods")
    return export(asset, out, formats="glb,usda,usdz", target="unreal",
                  options=ExportOptions(bake=FAST, lods=3))


def test_levels_halve_the_faces_and_keep_lod0_attributes() -> None:
    mesh = sphere_mesh()
    levels = simplify_levels(mesh, 4)
    assert len(levels) == 3
    mesh = dataclasses.replace(mesh, lods=levels)
    faces = [len(mesh.faces), *(len(lv.faces) for lv in levels)]
    for k in range(1, 4):
        # each level aims at F0 / 2^k; the simplifier reaches it within a few faces
        assert abs(faces[k] - len(mesh.faces) / 2**k) <= 0.05 * len(mesh.faces) / 2**k, faces
    for k, lv in enumerate(levels, start=1):
        assert np.all(np.diff(lv.vertices) > 0) and lv.faces.max() == len(lv.vertices) - 1
        m = level_mesh(mesh, k)
        assert m.name == f"ball_LOD{k}" and m.lods == ()
        # only drops vertices: every attribute is LOD0's, exactly
        for field in ("vertices", "normals", "uv", "joints", "weights"):
            np.testing.assert_array_equal(getattr(m, field), getattr(mesh, field)[lv.vertices])
        assert m.texture is mesh.texture and m.roughness == mesh.roughness
        assert 0.0 < lv.error_m < 0.05  # metres, on a 0.2 m sphere
    assert level_mesh(mesh, 0).faces is mesh.faces
    with pytest.raises(ExportError, match="no LOD4"):
        level_mesh(mesh, 4)


def test_add_lods_records_levels_and_one_level_changes_nothing() -> None:
    from hoiexport.exporters.scene import ExportScene, ExportSkeleton

    eye = np.tile(np.eye(4), (2, 1, 1))
    skel = ExportSkeleton(["a", "b"], np.array([-1, 0]), eye, eye)
    scene = ExportScene("s", skel, [sphere_mesh(3)], metadata={"schema_version": 1})
    assert add_lods(scene, 1) is scene
    out = add_lods(scene, 3)
    info = out.metadata["lods"]
    assert info["count"] == 3 and info["screen_coverage"] == screen_coverage(3) == [0.5, 0.25, 0.0]
    assert info["meshes"]["ball"]["faces"] == [len(scene.meshes[0].faces), *(len(lv.faces) for lv in out.meshes[0].lods)]
    assert info["simplifier"].startswith("meshoptimizer")
    assert scene.meshes[0].lods == () and "lods" not in scene.metadata  # input untouched


@pytest.mark.parametrize("bad", [0, MAX_LODS + 1, True, 2.0, "3"])
def test_bad_lod_count_is_one_line_input_error(bad: object) -> None:
    with pytest.raises(InputError, match=r"lods must be an integer from 1 \(no LODs\) to 8") as info:
        check_lod_count(bad)  # type: ignore[arg-type]
    assert "\n" not in str(info.value)
    with pytest.raises(InputError, match="lods must be"):
        ExportOptions(lods=bad)  # type: ignore[arg-type]


def test_gltf_msft_lod_levels_share_skin_and_material(lod_export: ExportResult) -> None:
    glb = lod_export.files["glb"]
    report = lod_export.validation[str(glb)]
    assert report.errors == 0 and report.warnings == 0, report.summary()
    doc = GltfDocument.load(glb)
    j = doc.json
    assert "MSFT_lod" in j["extensionsUsed"] and "MSFT_lod" not in j.get("extensionsRequired", [])
    scene_nodes = set(j["scenes"][0]["nodes"])
    lods_meta = j["asset"]["extras"]["hoi"]["lods"]
    assert lods_meta["count"] == 3
    for name in ("human", "object"):
        (index,) = [i for i, n in enumerate(j["nodes"]) if n["name"] == name]
        node = j["nodes"][index]
        ids = node["extensions"]["MSFT_lod"]["ids"]
        assert [j["nodes"][i]["name"] for i in ids] == [f"{name}_LOD1", f"{name}_LOD2"]
        assert node["extras"]["MSFT_screencoverage"] == [0.5, 0.25, 0.0]
        assert index in scene_nodes and not scene_nodes & set(ids)  # loaders without MSFT_lod show LOD0
        levels = [node, *(j["nodes"][i] for i in ids)]
        prims = [j["meshes"][n["mesh"]]["primitives"][0] for n in levels]
        assert {n["skin"] for n in levels} == {node["skin"]} and len(j["skins"]) == 1
        assert {p["material"] for p in prims} == {prims[0]["material"]}
        faces = [doc.accessor(p["indices"]).size // 3 for p in prims]
        assert faces == lods_meta["meshes"][name]["faces"]
        assert faces[1] <= 0.55 * faces[0] and faces[2] <= 0.55 * faces[1]
        # every level's weights still sum to 1 and name the same joints as LOD0
        lod0_joints = set(np.unique(doc.accessor(prims[0]["attributes"]["JOINTS_0"])))
        for p in prims[1:]:
            w = doc.accessor(p["attributes"]["WEIGHTS_0"])
            assert np.abs(w.sum(axis=1) - 1).max() < 2e-3
            assert set(np.unique(doc.accessor(p["attributes"]["JOINTS_0"]))) <= lod0_joints
    stats = lod_export.stats["human"]["lods"]
    assert stats["faces"] == lods_meta["meshes"]["human"]["faces"] and lod_export.timings_s["lods"] >= 0


def test_usd_lod_variant_set_is_switchable(lod_export: ExportResult) -> None:
    for fmt in ("usda", "usdz"):
        report = lod_export.validation[str(lod_export.files[fmt])]
        assert report.errors == 0 and report.warnings == 0, report.summary()
    stage = Usd.Stage.Open(str(lod_export.files["usda"]))
    root = stage.GetDefaultPrim()
    hoi = json.loads(root.GetCustomDataByKey("hoi"))
    skeleton = UsdSkel.Skeleton(root.GetChild("Skeleton"))
    for name in ("human", "object"):
        parent = root.GetChild(name)
        assert parent.IsA(UsdGeom.Xform)
        vset = parent.GetVariantSets().GetVariantSet(LOD_VARIANT_SET)
        assert vset.GetVariantNames() == ["LOD0", "LOD1", "LOD2"]
        assert vset.GetVariantSelection() == "LOD0"
        materials = set()
        for k, variant in enumerate(["LOD0", "LOD1", "LOD2"]):
            assert vset.SetVariantSelection(variant)
            meshes = [c for c in parent.GetChildren() if c.IsA(UsdGeom.Mesh)]
            assert [m.GetName() for m in meshes] == [variant]  # one Mesh named like the variant (Unreal)
            mesh = UsdGeom.Mesh(meshes[0])
            counts = mesh.GetFaceVertexCountsAttr().Get()
            assert len(counts) == hoi["lods"]["meshes"][name]["faces"][k]
            assert len(mesh.GetPointsAttr().Get()) == hoi["lods"]["meshes"][name]["vertices"][k]
            binding = UsdSkel.BindingAPI(meshes[0])
            assert binding.GetSkeleton().GetPath() == skeleton.GetPath()
            indices = binding.GetJointIndicesPrimvar()
            assert indices.GetElementSize() in (1, 4)
            materials.add(UsdShade.MaterialBindingAPI(meshes[0]).ComputeBoundMaterial()[0].GetPath())
        assert len(materials) == 1  # every level wears LOD0's material
    # the skinning query sees each level as a skinned mesh of the one skeleton
    cache = UsdSkel.Cache()
    cache.Populate(UsdSkel.Root(root), Usd.TraverseInstanceProxies())
    bindings = cache.ComputeSkelBindings(UsdSkel.Root(root), Usd.TraverseInstanceProxies())
    assert {q.GetPrim().GetName() for b in bindings for q in b.GetSkinningTargets()} >= {"LOD2"}


def test_one_level_keeps_the_plain_layout(asset: HOIAsset, tmp_path: Path) -> None:
    result = export(asset, tmp_path, formats="glb,usda", target="unity", options=ExportOptions(bake=FAST))
    j = GltfDocument.load(result.files["glb"]).json
    assert "MSFT_lod" not in j.get("extensionsUsed", []) and "lods" not in j["asset"]["extras"]["hoi"]
    assert not any(n["name"].endswith("_LOD1") for n in j["nodes"])
    stage = Usd.Stage.Open(str(result.files["usda"]))
    human = stage.GetDefaultPrim().GetChild("human")
    assert human.IsA(UsdGeom.Mesh) and not human.GetVariantSets().HasVariantSet(LOD_VARIANT_SET)


def test_cli_lods_flag(tmp_path: Path) -> None:
    from hoiexport.cli.app import app

    runner = CliRunner()
    ok = runner.invoke(app, ["export", str(SAMPLE), "-o", str(tmp_path), "--format", "glb", "--lods", "2",
                              "--texture-size", "512", "--json"])
    assert ok.exit_code == 0, ok.output
    glb = Path(json.loads(ok.output)["files"]["glb"])
    assert GltfDocument.load(glb).json["asset"]["extras"]["hoi"]["lods"]["count"] == 2
    bad = runner.invoke(app, ["export", str(SAMPLE), "-o", str(tmp_path), "--lods", "9"])
    assert bad.exit_code == 2 and "--lods" in bad.output
