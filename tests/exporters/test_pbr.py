"""PBR maps (exporters/pbr.py): tangent frames, the ORM and normal bakes, and what the
glTF / USD writers make of them, down to a compose asset exported through
`hoiexport.export` and read back."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import numpy as np
import pygltflib
import pytest
import trimesh
from PIL import Image
from pxr import Gf, Usd, UsdShade
from scipy.spatial import cKDTree

import hoiexport
from hoiexport.exporters.bake import bake
from hoiexport.exporters.export import ExportOptions, export
from hoiexport.exporters.options import BakeOptions, PrepareOptions, UVOptions
from hoiexport.exporters.pbr import DETAILS, FLAT_NORMAL, RegionFrame, pbr_shader, vertex_tangents
from hoiexport.exporters.rig import RigOptions
from hoiexport.sdk.core.types import SURFACE_DETAILS, HOIAsset, Mesh, SurfaceMaterial, SurfacePBR, Texture
from hoiexport.sdk.geometry.prepare import prepare_mesh
from hoiexport.sdk.geometry.uv import raster_spans, unwrap_atlas

PLASTIC = SurfaceMaterial("plastic", roughness=0.4, metallic=0.0)


def _glb(path: Path) -> tuple[pygltflib.GLTF2, bytes]:
    gltf = pygltflib.GLTF2().load_binary(str(path))
    return gltf, gltf.binary_blob()


def _accessor(gltf: pygltflib.GLTF2, blob: bytes, index: int) -> np.ndarray:
    acc = gltf.accessors[index]
    view = gltf.bufferViews[acc.bufferView]
    dtype = {pygltflib.FLOAT: np.float32, pygltflib.UNSIGNED_SHORT: np.uint16, pygltflib.UNSIGNED_INT: np.uint32,
             pygltflib.UNSIGNED_BYTE: np.uint8}[acc.componentType]
    width = {"SCALAR": 1, "VEC2": 2, "VEC3": 3, "VEC4": 4}[acc.type]
    data = np.frombuffer(blob, dtype, acc.count * width, view.byteOffset + (acc.byteOffset or 0))
    return data.reshape(acc.count, width) if width > 1 else data


def _image(gltf: pygltflib.GLTF2, blob: bytes, texture: int) -> np.ndarray:
    view = gltf.bufferViews[gltf.images[gltf.textures[texture].source].bufferView]
    return np.asarray(Image.open(io.BytesIO(blob[view.byteOffset : view.byteOffset + view.byteLength])))


def _uv_area(q: np.ndarray) -> np.ndarray:
    """(F,) areas of (F, 3, 2) triangles."""
    e1, e2 = q[:, 1] - q[:, 0], q[:, 2] - q[:, 0]
    return 0.5 * np.abs(e1[:, 0] * e2[:, 1] - e1[:, 1] * e2[:, 0])


def _mesh_named(gltf: pygltflib.GLTF2, name: str) -> pygltflib.Primitive:
    return next(m for m in gltf.meshes if m.name == name).primitives[0]


# ---------------------------------------------------------------------------
# Tangent frames and height fields


def test_vertex_tangents_follow_u_and_image_up() -> None:
    """T runs along +u, the bitangent w·N×T towards the image's top (decreasing glTF v);
    a mirrored uv flips w."""
    verts = np.array([[0, 0, 0], [1, 0, 0], [1, 1, 0], [0, 1, 0]], np.float32)
    faces = np.array([[0, 1, 2], [0, 2, 3]])
    normals = np.tile([0.0, 0.0, 1.0], (4, 1))
    uv = np.stack([verts[:, 0], 1.0 - verts[:, 1]], axis=1)  # image top at +Y
    t = vertex_tangents(verts, normals, uv, faces)
    np.testing.assert_allclose(t, np.tile([1.0, 0.0, 0.0, 1.0], (4, 1)), atol=1e-6)
    mirrored = vertex_tangents(verts, normals, np.stack([1.0 - verts[:, 0], uv[:, 1]], axis=1), faces)
    np.testing.assert_allclose(mirrored, np.tile([-1.0, 0.0, 0.0, -1.0], (4, 1)), atol=1e-6)


@pytest.mark.parametrize("detail", [d for d in SURFACE_DETAILS if d != "none"])
def test_every_relief_is_the_gradient_of_a_height_field(detail: str) -> None:
    """Each `DETAILS` entry is curl-free (its Jacobian is symmetric), so it is the
    gradient of a real height field, and it is not zero where the texels resolve it."""
    assert set(DETAILS) == set(SURFACE_DETAILS)
    relief = DETAILS[detail]
    assert relief is not None
    fn = relief.gradient
    rng = np.random.default_rng(0)
    pts = rng.uniform(-0.2, 0.2, (3, 200)).astype(np.float64)
    texel = np.full(200, 1e-4, np.float32)  # 0.1 mm texels: every wave at full strength
    frame = RegionFrame(np.array([0.0, 1.0, 0.0]), np.array([1.0, 0.0, 0.0]), np.zeros(3))
    step = 1e-6
    jac = np.empty((3, 3, 200))
    for j in range(3):
        e = np.zeros((3, 1))
        e[j] = step
        plus = fn((pts + e).astype(np.float32), texel, frame).astype(np.float64)
        minus = fn((pts - e).astype(np.float32), texel, frame).astype(np.float64)
        jac[:, j] = (plus - minus) / (2 * step)
    grad = fn(pts.astype(np.float32), texel, frame)
    assert np.abs(grad).max() > 0.02
    asym = np.abs(jac - jac.transpose(1, 0, 2)).max()
    assert asym < 0.05 * np.abs(jac).max(), (asym, np.abs(jac).max())


def test_relief_finer_than_the_texels_is_left_out() -> None:
    pts = np.random.default_rng(1).uniform(-0.1, 0.1, (3, 100)).astype(np.float32)
    frame = RegionFrame(np.array([0.0, 1.0, 0.0]), np.array([1.0, 0.0, 0.0]), np.zeros(3))
    coarse = np.full(100, 0.01, np.float32)  # 1 cm texels
    for detail, relief in DETAILS.items():
        if relief is not None:
            assert 0.01 > relief.resolved_below_m()
            assert np.abs(relief.gradient(pts, coarse, frame)).max() == 0.0, detail


# ---------------------------------------------------------------------------
# The bake


def _painted(mesh: trimesh.Trimesh, pbr: SurfacePBR, normals: np.ndarray | None = None) -> Mesh:
    colors = np.tile(np.array([180, 180, 180], np.uint8), (len(mesh.vertices), 1))
    return Mesh(mesh.vertices, mesh.faces, colors=colors, normals=normals, name="probe", pbr=pbr)


def test_smooth_plastic_bakes_its_roughness_and_a_flat_normal_map() -> None:
    box = trimesh.creation.box((0.3, 0.2, 0.1)).subdivide()
    src = _painted(box, SurfacePBR((PLASTIC,), np.zeros(len(box.faces), np.int32)))
    prepared = prepare_mesh(src, 10_000, PrepareOptions())
    atlas = unwrap_atlas(prepared.mesh, UVOptions(resolution=512))
    assert atlas.mesh.normals is not None
    shader = pbr_shader(prepared.source, atlas.mesh, atlas.mesh.normals, 512)
    assert shader is not None
    result = bake(prepared.source, atlas.mesh, BakeOptions(size=512), prepared.source_face, shader=shader)
    assert result.path == "same_topology" and result.extra is not None
    maps = shader.maps(result.extra)
    orm, normal = maps.orm.image.reshape(-1, 3), maps.normal.image.reshape(-1, 3)
    assert (orm == [255, round(0.4 * 255), 0]).all()
    assert (normal == FLAT_NORMAL).all()
    assert not maps.occlusion


def test_a_metallic_roughness_texture_gives_the_orm_its_values() -> None:
    """Hunyuan3D-Paint 2.1's maps (`SurfacePBR.metallic_roughness`) resampled into the
    new atlas: metal on the left half of the source uv, dielectric on the right."""
    n = 21
    x, y = np.meshgrid(np.linspace(0, 1, n), np.linspace(0, 1, n))
    verts = np.stack([x.ravel() * 0.5, y.ravel() * 0.5, np.zeros(n * n)], axis=1)
    i = np.arange(n - 1)
    a = (i[:, None] * n + i[None, :]).ravel()
    faces = np.concatenate([np.stack([a, a + 1, a + n + 1], 1), np.stack([a, a + n + 1, a + n], 1)])
    uv = np.stack([x.ravel(), 1.0 - y.ravel()], axis=1)
    mr = np.zeros((64, 64, 3), np.uint8)
    mr[..., 1] = 100
    mr[:, :32, 2] = 255
    colors = np.full((n * n, 3), 150, np.uint8)
    src = Mesh(verts, faces, uv=uv, colors=colors, name="painted", pbr=SurfacePBR(metallic_roughness=Texture(mr)))
    prepared = prepare_mesh(src, 10_000, PrepareOptions())
    atlas = unwrap_atlas(prepared.mesh, UVOptions(resolution=512))
    assert atlas.mesh.uv is not None and atlas.mesh.normals is not None
    shader = pbr_shader(prepared.source, atlas.mesh, atlas.mesh.normals, 512)
    assert shader is not None
    result = bake(prepared.source, atlas.mesh, BakeOptions(size=512), prepared.source_face, shader=shader)
    orm = shader.maps(result.extra).orm.image
    centre = atlas.mesh.uv[atlas.mesh.faces].mean(axis=1)
    col, row = np.clip((centre * 512).astype(int), 0, 511).T
    assert prepared.source.uv is not None
    src_u = prepared.source.uv[prepared.source.faces].mean(axis=1)[:, 0]
    left, right = src_u < 0.45, src_u > 0.55
    assert (orm[row[left], col[left], 2] == 255).all() and (orm[row[right], col[right], 2] == 0).all()
    assert (np.abs(orm[row, col, 1].astype(int) - 100) <= 1).all()
    assert (shader.maps(result.extra).normal.image == FLAT_NORMAL).all()  # no materials: no relief


def test_normal_map_carries_the_full_resolution_shape_onto_a_decimated_mesh() -> None:
    """A viewer's decode (TBN from the target's TANGENT and NORMAL, as glTF viewers
    build it) of the baked map brings the shading normal of a decimated sphere back
    to the sphere's own normal."""
    sphere = trimesh.creation.icosphere(subdivisions=4, radius=0.3)
    exact = sphere.vertices / np.linalg.norm(sphere.vertices, axis=1, keepdims=True)
    src = _painted(sphere, SurfacePBR((PLASTIC,), np.zeros(len(sphere.faces), np.int32)), exact)
    prepared = prepare_mesh(src, 200, PrepareOptions())
    assert prepared.stats.decimated
    atlas = unwrap_atlas(prepared.mesh, UVOptions(resolution=512))
    target = atlas.mesh
    assert target.uv is not None and target.normals is not None
    normals = target.normals / np.linalg.norm(target.normals, axis=1, keepdims=True)
    shader = pbr_shader(prepared.source, target, normals, 512)
    assert shader is not None
    result = bake(prepared.source, target, BakeOptions(size=512), prepared.source_face, shader=shader)
    assert result.path == "closest_point"
    image = shader.maps(result.extra).normal.image.reshape(-1, 3)

    # decode as a viewer does, from the file's attributes (TANGENT as the glTF writer stores it)
    tangents = vertex_tangents(target.vertices, normals, target.uv, target.faces)
    spans = raster_spans(target.uv, target.faces, 512, 512, inclusive=False)
    texel = spans.texels()
    face = np.repeat(spans.face, spans.count)
    bary = spans.expand(spans.bary0, spans.step).T.astype(np.float64)  # (N, 3)
    corners = target.faces[face]

    def interp(values: np.ndarray) -> np.ndarray:
        return np.einsum("nk,nkc->nc", bary, values[corners])

    n = interp(normals)
    t = interp(tangents[:, :3])
    b = interp(np.cross(normals, tangents[:, :3]) * tangents[:, 3:4])
    n, t, b = (v / np.linalg.norm(v, axis=1, keepdims=True) for v in (n, t, b))
    m = image[texel].astype(np.float64) / 255.0 * 2.0 - 1.0
    decoded = t * m[:, :1] + b * m[:, 1:2] + n * m[:, 2:3]
    decoded /= np.linalg.norm(decoded, axis=1, keepdims=True)
    p = interp(target.vertices.astype(np.float64))
    truth = p / np.linalg.norm(p, axis=1, keepdims=True)

    def angle(a: np.ndarray) -> np.ndarray:
        return np.degrees(np.arccos(np.clip((a * truth).sum(axis=1), -1.0, 1.0)))

    without, with_map = angle(n), angle(decoded)
    print(f"decimated sphere: mean error {without.mean():.2f}° without the map, {with_map.mean():.2f}° with it")
    assert without.mean() > 1.5  # the decimated sphere's own normals are visibly off
    assert with_map.mean() < 0.35 * without.mean(), (with_map.mean(), without.mean())
    assert np.percentile(with_map, 95) < 3.0


# ---------------------------------------------------------------------------
# A compose asset through hoiexport.export


@pytest.fixture(scope="module")
def chair() -> HOIAsset:
    """A compose asset whose chair has a wood seat and a metal frame."""
    asset = hoiexport.generate("a man sitting on a wooden chair", generator="compose", seed=0)
    assert asset.object.pbr is not None and asset.human.pbr is not None
    kinds = [m.kind for m in asset.object.pbr.materials]
    assert kinds == ["wood", "metal"], f"seed 0 no longer gives a wood + metal chair ({kinds}); pick another seed"
    return asset


@pytest.fixture(scope="module")
def exported(chair: HOIAsset, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("pbr")
    options = ExportOptions(bake=BakeOptions(size=1024), rig=RigOptions(rest_pose="interaction"))
    result = export(chair, out, formats="glb,usdc,usdz", target="unity", options=options)
    for path, report in result.validation.items():
        assert report.errors == 0, (path, [m.message for m in report.messages])
    assert result.stats["object"]["pbr"]["materials"] == ["wood", "metal"]
    return {fmt: Path(p) for fmt, p in result.files.items()}


def test_glb_material_has_orm_and_normal_textures(exported: dict[str, Path]) -> None:
    gltf, _ = _glb(exported["glb"])
    assert len(gltf.images) == 6  # base colour, ORM, normal per mesh
    for mesh in gltf.meshes:
        prim = mesh.primitives[0]
        material = gltf.materials[prim.material]
        pbr = material.pbrMetallicRoughness
        assert pbr.metallicFactor == 1.0 and pbr.roughnessFactor == 1.0
        assert pbr.metallicRoughnessTexture is not None and material.normalTexture is not None
        assert pbr.metallicRoughnessTexture.index != pbr.baseColorTexture.index
        assert material.occlusionTexture is None  # no occlusion baked: R is 1.0
        assert prim.attributes.TANGENT is not None


def test_orm_holds_each_parts_metal_and_the_normal_map_its_grain(chair: HOIAsset, exported: dict[str, Path]) -> None:
    gltf, blob = _glb(exported["glb"])
    prim = _mesh_named(gltf, "object")
    material = gltf.materials[prim.material]
    orm = _image(gltf, blob, material.pbrMetallicRoughness.metallicRoughnessTexture.index)
    normal = _image(gltf, blob, material.normalTexture.index)
    pos = _accessor(gltf, blob, prim.attributes.POSITION)
    uv = _accessor(gltf, blob, prim.attributes.TEXCOORD_0)
    faces = _accessor(gltf, blob, prim.indices).reshape(-1, 3).astype(np.int64)

    # each exported face's material: the source face at the same place (bound in the generated pose)
    src = chair.object
    assert src.pbr is not None and src.pbr.face_material is not None
    dist, nearest = cKDTree(src.vertices[src.faces].mean(axis=1)).query(pos[faces].mean(axis=1))
    assert np.median(dist) < 1e-5
    kind = np.array([src.pbr.materials[i].kind for i in src.pbr.face_material])[nearest]
    # the texel under each face's uv centroid, for faces that cover several texels
    size = orm.shape[0]
    q = uv[faces] * size
    area = _uv_area(q)
    big = (area > 20.0) & (dist < 1e-5)
    col, row = np.clip((uv[faces].mean(axis=1) * size).astype(int), 0, size - 1).T
    metal, wood = big & (kind == "metal"), big & (kind == "wood")
    assert metal.sum() > 20 and wood.sum() > 20
    assert (orm[row[metal], col[metal], 2] >= 250).mean() > 0.98
    assert (orm[row[wood], col[wood], 2] <= 5).mean() > 0.98
    assert (np.abs(orm[row[wood], col[wood], 1].astype(int) - round(0.7 * 255)) <= 2).mean() > 0.98
    grain = normal[row[wood], col[wood]]
    assert (grain != FLAT_NORMAL).any(axis=1).mean() > 0.5  # wood grain tilts the normals

    # the human's skin (no relief, its own topology) stays exactly flat
    human = _mesh_named(gltf, "human")
    hmat = gltf.materials[human.material]
    hnormal = _image(gltf, blob, hmat.normalTexture.index)
    huv = _accessor(gltf, blob, human.attributes.TEXCOORD_0)
    hfaces = _accessor(gltf, blob, human.indices).reshape(-1, 3).astype(np.int64)
    assert chair.human.pbr is not None and chair.human.pbr.face_material is not None
    hq = huv[hfaces] * size
    harea = _uv_area(hq)
    hcol, hrow = np.clip((huv[hfaces].mean(axis=1) * size).astype(int), 0, size - 1).T
    skin_index = [m.kind for m in chair.human.pbr.materials].index("skin")
    hpos = _accessor(gltf, blob, human.attributes.POSITION)
    _, hnear = cKDTree(chair.human.vertices[chair.human.faces].mean(axis=1)).query(hpos[hfaces].mean(axis=1))
    skin = (chair.human.pbr.face_material[hnear] == skin_index) & (harea > 8.0)
    assert skin.sum() > 50
    assert (hnormal[hrow[skin], hcol[skin]] == FLAT_NORMAL).all(axis=1).mean() > 0.98


def test_usd_preview_surface_reads_the_maps(exported: dict[str, Path]) -> None:
    stage = Usd.Stage.Open(str(exported["usdc"]))
    surfaces = [UsdShade.Shader(p) for p in stage.Traverse() if p.GetName() == "PreviewSurface"]
    assert len(surfaces) == 2
    for surface in surfaces:
        wired = {}
        for name in ("roughness", "metallic", "normal"):
            source, output, _ = surface.GetInput(name).GetConnectedSource()
            wired[name] = (source.GetPrim().GetName(), output)
        assert wired == {
            "roughness": ("ormTexture", "g"),
            "metallic": ("ormTexture", "b"),
            "normal": ("normalTexture", "rgb"),
        }
        assert not surface.GetInput("occlusion")
        material = surface.GetPrim().GetParent()
        normal_tex = UsdShade.Shader(material.GetChild("normalTexture"))
        assert normal_tex.GetInput("sourceColorSpace").Get() == "raw"
        assert normal_tex.GetInput("scale").Get() == Gf.Vec4f(2, 2, 2, 1)
        assert normal_tex.GetInput("bias").Get() == Gf.Vec4f(-1, -1, -1, 0)
        orm_tex = UsdShade.Shader(material.GetChild("ormTexture"))
        assert orm_tex.GetInput("sourceColorSpace").Get() == "raw"
        assert orm_tex.GetInput("file").Get().path.endswith("_orm.png")
    names = zipfile.ZipFile(exported["usdz"]).namelist()
    for mesh in ("human", "object"):
        for kind in ("basecolor", "orm", "normal"):
            assert any(n.endswith(f"_{mesh}_{kind}.png") for n in names), (mesh, kind, names)


def test_lod_levels_share_the_maps_and_lod0s_tangents(chair: HOIAsset, tmp_path: Path) -> None:
    """A lower level keeps LOD0's vertices it uses, so its TANGENT rows are LOD0's:
    the frame the shared normal map was baked in."""
    options = ExportOptions(bake=BakeOptions(size=512), lods=2)
    result = export(chair, tmp_path, formats="glb", target="unity", options=options)
    gltf, blob = _glb(result.files["glb"])
    lod0 = next(m for m in gltf.meshes if m.name == "object").primitives[0]
    lod1 = next(m for m in gltf.meshes if m.name == "object_LOD1").primitives[0]
    assert lod1.material == lod0.material and lod1.attributes.TANGENT is not None

    def key(prim: pygltflib.Primitive) -> np.ndarray:
        return np.concatenate([_accessor(gltf, blob, prim.attributes.POSITION),
                               _accessor(gltf, blob, prim.attributes.TEXCOORD_0)], axis=1)

    dist, index = cKDTree(key(lod0)).query(key(lod1))
    assert dist.max() < 1e-6
    t0 = _accessor(gltf, blob, lod0.attributes.TANGENT)
    t1 = _accessor(gltf, blob, lod1.attributes.TANGENT)
    np.testing.assert_array_equal(t1, t0[index])


def test_a_mesh_without_pbr_exports_base_colour_and_roughness_only(chair: HOIAsset, tmp_path: Path) -> None:
    plain = HOIAsset(
        prompt=chair.prompt,
        human=Mesh(chair.human.vertices, chair.human.faces, uv=chair.human.uv, colors=chair.human.colors, name="human"),
        object=Mesh(chair.object.vertices, chair.object.faces, uv=chair.object.uv, texture=chair.object.texture,
                    name="chair"),
        body=chair.body,
        contacts=chair.contacts,
        contact_config=chair.contact_config,
        penetration=chair.penetration,
        provenance=chair.provenance,
    )
    options = ExportOptions(bake=BakeOptions(size=512))
    result = export(plain, tmp_path, formats="glb,usda", target="unity", options=options)
    assert "pbr" not in result.stats["human"] and "pbr" not in result.stats["object"]
    gltf, _ = _glb(result.files["glb"])
    assert len(gltf.images) == 2
    roughness = {"human": options.roughness_human, "object": options.roughness_object}
    for mesh in gltf.meshes:
        prim = mesh.primitives[0]
        material = gltf.materials[prim.material]
        pbr = material.pbrMetallicRoughness
        assert pbr.metallicFactor == 0.0 and pbr.roughnessFactor == pytest.approx(roughness[mesh.name])
        assert pbr.metallicRoughnessTexture is None and material.normalTexture is None
        assert material.occlusionTexture is None and prim.attributes.TANGENT is None
    stage = Usd.Stage.Open(str(result.files["usda"]))
    shaders = {p.GetName() for p in stage.Traverse() if p.IsA(UsdShade.Shader)}
    assert shaders == {"stReader", "diffuseTexture", "PreviewSurface"}
    assert not list(tmp_path.glob("textures/*_orm.png")) and not list(tmp_path.glob("textures/*_normal.png"))
