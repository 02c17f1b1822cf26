"""USD writer: round trips per preset through pxr (UsdSkel skinning, sockets,
materials, metadata) and every exported file through the real USD validators."""

from __future__ import annotations

import dataclasses
import io
import json
import zipfile
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from pxr import Ar, Gf, Sdf, Usd, UsdGeom, UsdShade, UsdSkel, Vt
from scipy.spatial.transform import Rotation

from hoiexport.exporters.presets import PRESETS, TargetPreset
from hoiexport.exporters.scene import ExportClip, ExportMesh, ExportScene, ExportSkeleton, ExportSocket
from hoiexport.exporters.usd import encode_usd, encode_usdz
from hoiexport.exporters.validate import validate_file
from hoiexport.sdk.core.errors import ExportError, InputError
from hoiexport.sdk.core.skeleton import JOINT_INDEX, SMPL_JOINT_NAMES, SMPL_PARENTS
from hoiexport.sdk.core.types import Texture

# Rough SMPL rest joint positions (metres, +Y up, faces +Z, the character's left is +X).
REST = np.array([
    [0, .95, 0], [.08, .87, 0], [-.08, .87, 0], [0, 1.05, 0], [.09, .5, 0], [-.09, .5, 0],
    [0, 1.18, 0], [.09, .1, 0], [-.09, .1, 0], [0, 1.25, 0], [.09, .03, .1], [-.09, .03, .1],
    [0, 1.48, 0], [.07, 1.4, 0], [-.07, 1.4, 0], [0, 1.6, .02], [.18, 1.42, 0], [-.18, 1.42, 0],
    [.45, 1.42, 0], [-.45, 1.42, 0], [.7, 1.42, 0], [-.7, 1.42, 0], [.78, 1.42, 0], [-.78, 1.42, 0],
])  # fmt: skip

# Independent statement of each preset's axes and units: where internal +X, +Y, +Z go.
EXPECTED_AXES = {
    "unity": ((1, 0, 0), (0, 1, 0), (0, 0, 1), 1.0),
    "unreal": ((1, 0, 0), (0, 0, 1), (0, -1, 0), 100.0),
    "omniverse": ((1, 0, 0), (0, 0, 1), (0, -1, 0), 1.0),
    "blender": ((1, 0, 0), (0, 0, 1), (0, -1, 0), 1.0),
}
FORMATS = ("usda", "usdc", "usdz")


def expected_points(preset: TargetPreset, points: np.ndarray) -> np.ndarray:
    ex, ey, ez, scale = EXPECTED_AXES[preset.name]
    basis = np.array([ex, ey, ez], np.float64)  # row i: image of internal axis i
    return (np.asarray(points, np.float64).reshape(-1, 3) @ basis) * scale


def rigid(rot: np.ndarray, t: np.ndarray) -> np.ndarray:
    m = np.eye(4)
    m[:3, :3], m[:3, 3] = rot, t
    return m


def forward_kinematics(parents: np.ndarray, local: np.ndarray) -> np.ndarray:
    world = np.empty_like(local)
    for j, p in enumerate(parents):
        world[j] = local[j] if p < 0 else world[p] @ local[j]
    return world


def pose_locals(rotvecs: np.ndarray, root_t: np.ndarray) -> np.ndarray:
    offsets = REST - np.where(SMPL_PARENTS[:, None] >= 0, REST[np.maximum(SMPL_PARENTS, 0)], 0)
    offsets[0] = REST[0] + root_t
    rots = Rotation.from_rotvec(rotvecs).as_matrix()
    return np.stack([rigid(r, t) for r, t in zip(rots, offsets, strict=True)])


def top4_weights(points: np.ndarray, joints_world: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    d = np.linalg.norm(points[:, None] - joints_world[None], axis=2)
    idx = np.argsort(d, axis=1)[:, :4]
    w = 1.0 / (np.take_along_axis(d, idx, axis=1) + 0.02) ** 2
    return idx.astype(np.uint16), (w / w.sum(axis=1, keepdims=True)).astype(np.float32)


def tube_human(world: np.ndarray, rng: np.random.Generator) -> ExportMesh:
    """Tubes around every bone of the posed skeleton, top-4 inverse-distance weights."""
    seg, rings = 8, 3
    verts, norms, uvs, faces = [], [], [], []
    for j, p in enumerate(SMPL_PARENTS):
        if p < 0:
            continue
        a, b = world[p, :3, 3], world[j, :3, 3]
        axis = (b - a) / np.linalg.norm(b - a)
        u = np.cross(axis, [0.3, 0.5, 0.8])
        u /= np.linalg.norm(u)
        w = np.cross(axis, u)
        base = sum(len(v) for v in verts)
        ring_pts, ring_n, ring_uv = [], [], []
        for r in range(rings):
            for k in range(seg):
                ang = 2 * np.pi * k / seg
                n = np.cos(ang) * u + np.sin(ang) * w
                ring_pts.append(a + (b - a) * r / (rings - 1) + 0.04 * n)
                ring_n.append(n)
                ring_uv.append(((k + 0.5) / seg, (r + 0.25 + j) / (rings * 24)))
        for r in range(rings - 1):
            for k in range(seg):
                i0, i1 = base + r * seg + k, base + r * seg + (k + 1) % seg
                i2, i3 = i0 + seg, i1 + seg
                faces += [(i0, i1, i3), (i0, i3, i2)]
        verts.append(ring_pts), norms.append(ring_n), uvs.append(ring_uv)
    v = np.concatenate(verts).astype(np.float32)
    joints, weights = top4_weights(v.astype(np.float64), world[:, :3, 3])
    return ExportMesh(
        name="human",
        vertices=v,
        normals=np.concatenate(norms).astype(np.float32),
        uv=np.concatenate(uvs).astype(np.float32),
        faces=np.asarray(faces, np.uint32),
        texture=Texture(rng.integers(0, 256, (32, 32, 3), dtype=np.uint8)),
        roughness=0.7,
        joints=joints,
        weights=weights,
    )


def box_object(center: np.ndarray, half: np.ndarray, joint: int, rng: np.random.Generator) -> ExportMesh:
    """A box with per-face vertices, rigidly bound to `joint`."""
    verts, norms, uvs, faces = [], [], [], []
    for axis in range(3):
        for sign in (-1.0, 1.0):
            n = np.zeros(3)
            n[axis] = sign
            a, b = [i for i in range(3) if i != axis]
            base = len(verts)
            for ca, cb in ((-1, -1), (1, -1), (1, 1), (-1, 1)):
                c = n.copy()
                c[a], c[b] = ca, cb
                verts.append(center + c * half)
                norms.append(n)
                uvs.append(((ca + 1) / 4 + 0.5 * (sign > 0), (cb + 1) / 6 + axis / 3))
            quad = [(base, base + 1, base + 2), (base, base + 2, base + 3)]
            faces += (
                quad
                if np.linalg.det(np.array([np.eye(3)[a], np.eye(3)[b], n])) > 0
                else [(i, k, j) for i, j, k in quad]
            )
    vcount = len(verts)
    joints = np.zeros((vcount, 4), np.uint16)
    joints[:, 0] = joint
    weights = np.zeros((vcount, 4), np.float32)
    weights[:, 0] = 1.0
    return ExportMesh(
        name="object",
        vertices=np.asarray(verts, np.float32),
        normals=np.asarray(norms, np.float32),
        uv=np.asarray(uvs, np.float32),
        faces=np.asarray(faces, np.uint32),
        texture=Texture(rng.integers(0, 256, (32, 32, 4), dtype=np.uint8)),
        roughness=0.35,
        joints=joints,
        weights=weights,
        rigid_joint=joint,
    )


def socket(part: str, joint: str, point: np.ndarray, normal: np.ndarray) -> ExportSocket:
    z = normal / np.linalg.norm(normal)
    x = np.cross([0.0, 1.0, 0.0] if abs(z[1]) < 0.9 else [1.0, 0.0, 0.0], z)
    x /= np.linalg.norm(x)
    extras = {
        "part": part,
        "joint": joint,
        "point_object": point.tolist(),
        "normal": z.tolist(),
        "distance_m": 0.002,
        "area_m2": 0.0012,
    }
    return ExportSocket(
        f"SOCKET_contact_{part}",
        JOINT_INDEX[joint],
        rigid(np.stack([x, np.cross(z, x), z], 1), point),
        extras,
    )


@pytest.fixture(scope="module")
def scene() -> ExportScene:
    rng = np.random.default_rng(7)
    rotvecs = rng.normal(0.0, 0.25, (24, 3))
    rotvecs[0] = [0.0, 0.4, 0.0]
    local = pose_locals(rotvecs, np.array([0.1, 0.0, -0.2]))
    world = forward_kinematics(SMPL_PARENTS, local)
    clip = ExportClip("interaction", np.zeros(1, np.float32), local[None].copy())
    skeleton = ExportSkeleton(list(SMPL_JOINT_NAMES), SMPL_PARENTS.copy(), world, local, [clip])
    hand = JOINT_INDEX["right_hand"]
    box_center = world[hand, :3, 3] + np.array([0.0, -0.12, 0.0])
    box_half = np.array([0.05, 0.1, 0.05])
    meshes = [tube_human(world, rng), box_object(box_center, box_half, hand, rng)]
    sockets = [
        socket("right_hand", "right_hand", box_center + [0.0, 0.1, 0.0], np.array([0.0, 1.0, 0.0])),
        socket(
            "left_hand",
            "left_hand",
            world[JOINT_INDEX["left_hand"], :3, 3] + [0, 0, 0.03],
            np.array([0.0, 0.3, 1.0]),
        ),
    ]
    metadata = {
        "schema_version": 1,
        "prompt": {"text": "a person holds a box"},
        "contact_config": "both_hands",
        "contacts": [s.extras for s in sockets],
        "penetration": {"human_in_object_depth_cm": 0.1},
        "provenance": {"generator": "test", "seed": 7},
    }
    return ExportScene("Holding box", skeleton, meshes, sockets, metadata)


@pytest.fixture(scope="module")
def exported(scene: ExportScene, tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[str, str], Path]:
    """Every preset × format written to disk once: {(preset, fmt): layer or package path}."""
    out: dict[tuple[str, str], Path] = {}
    for name, preset in PRESETS.items():
        folder = tmp_path_factory.mktemp(name)
        for fmt in ("usda", "usdc"):
            for rel, data in encode_usd(scene, preset, fmt, "asset").items():
                (folder / rel).parent.mkdir(parents=True, exist_ok=True)
                (folder / rel).write_bytes(data)
            out[name, fmt] = folder / f"asset.{fmt}"
        (folder / "asset.usdz").write_bytes(encode_usdz(scene, preset, "asset"))
        out[name, "usdz"] = folder / "asset.usdz"
    return out


def open_stage(path: Path) -> Usd.Stage:
    stage = Usd.Stage.Open(str(path))
    assert stage is not None
    return stage


def skel_parts(stage: Usd.Stage) -> tuple[UsdSkel.SkeletonQuery, list[UsdSkel.SkinningQuery]]:
    root = UsdSkel.Root(stage.GetDefaultPrim())
    cache = UsdSkel.Cache()
    cache.Populate(root, Usd.PrimDefaultPredicate)
    (binding,) = cache.ComputeSkelBindings(root, Usd.PrimDefaultPredicate)
    return cache.GetSkelQuery(binding.GetSkeleton()), list(binding.GetSkinningTargets())


def skin(skel_query: UsdSkel.SkeletonQuery, query: UsdSkel.SkinningQuery, time: float) -> np.ndarray:
    points = UsdGeom.Mesh(query.GetPrim()).GetPointsAttr().Get(time)
    xforms = skel_query.ComputeSkinningTransforms(time)
    assert query.ComputeSkinnedPoints(xforms, points, time)
    return np.asarray(points, np.float64)


def roundtrip_joints(preset: TargetPreset) -> tuple[list[str], int]:
    names = list(SMPL_JOINT_NAMES)
    return (["root", *names], 1) if preset.add_root_joint else (names, 0)


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("target", list(PRESETS))
def test_files_pass_usd_validation(exported, target: str, fmt: str) -> None:
    report = validate_file(exported[target, fmt], strict=True)
    assert report.ok, "\n".join(f"{m.severity} {m.code} {m.location}: {m.message}" for m in report.messages)
    assert report.errors == 0 and report.warnings == 0


@pytest.mark.parametrize("target", list(PRESETS))
def test_stage_metadata_and_hoi_block(exported, scene: ExportScene, target: str) -> None:
    preset = PRESETS[target]
    stage = open_stage(exported[target, "usdc"])
    assert UsdGeom.GetStageUpAxis(stage) == preset.usd_up_axis
    assert UsdGeom.GetStageMetersPerUnit(stage) == pytest.approx(preset.usd_meters_per_unit)
    root = stage.GetDefaultPrim()
    assert root.GetPath() == Sdf.Path("/Holding_box") and root.IsA(UsdSkel.Root)
    assert Usd.ModelAPI(root).GetKind() == "component"
    assert json.loads(root.GetCustomDataByKey("hoi")) == scene.metadata
    assert root.GetAttribute("hoi:schemaVersion").Get() == 1


@pytest.mark.parametrize("target", list(PRESETS))
def test_skeleton_topology_and_influences(exported, scene: ExportScene, target: str) -> None:
    preset = PRESETS[target]
    stage = open_stage(exported[target, "usda"])
    skel_query, targets = skel_parts(stage)
    names, shift = roundtrip_joints(preset)
    skel = skel_query.GetSkeleton()
    assert list(skel.GetJointNamesAttr().Get()) == names
    tokens = list(skel.GetJointsAttr().Get())
    assert tokens[shift + JOINT_INDEX["right_hand"]].endswith(
        "spine3/right_collar/right_shoulder/right_elbow/right_wrist/right_hand"
    )
    parents = np.asarray(skel_query.GetTopology().GetParentIndices())
    want = np.concatenate([[-1], np.where(SMPL_PARENTS < 0, 0, SMPL_PARENTS + 1)]) if shift else SMPL_PARENTS
    np.testing.assert_array_equal(parents, want)
    anim = skel_query.GetAnimQuery()
    assert anim and anim.GetPrim().GetPath() == skel.GetPath().AppendChild("interaction")
    assert list(anim.GetJointTransformTimeSamples()) == [0.0]

    by_name = {str(q.GetPrim().GetName()): q for q in targets}
    assert set(by_name) == {"human", "object"}
    for mesh in scene.meshes:
        geom = UsdGeom.Mesh(by_name[mesh.name].GetPrim())
        assert len(geom.GetPointsAttr().Get()) == len(mesh.vertices)
        assert len(geom.GetFaceVertexCountsAttr().Get()) == len(mesh.faces)
        assert geom.GetSubdivisionSchemeAttr().Get() == "none"
        assert geom.GetNormalsInterpolation() == "vertex"
    human = by_name["human"]
    assert human.GetNumInfluencesPerComponent() == 4 and not human.IsRigidlyDeformed()
    indices, weights = human.ComputeJointInfluences()
    w = np.asarray(weights).reshape(-1, 4)
    np.testing.assert_allclose(w.sum(axis=1), 1.0, atol=1e-6)
    assert ((w > 0).sum(axis=1) <= 4).all()
    np.testing.assert_array_equal(
        np.asarray(indices).reshape(-1, 4)[w > 0], scene.meshes[0].joints[w > 0] + shift
    )
    obj = by_name["object"]
    assert obj.IsRigidlyDeformed() and obj.GetNumInfluencesPerComponent() == 1
    indices, weights = obj.ComputeJointInfluences()
    assert list(indices) == [JOINT_INDEX["right_hand"] + shift] and list(weights) == [1.0]


@pytest.mark.parametrize("target", list(PRESETS))
def test_skinning_at_time_zero_reproduces_the_meshes(exported, scene: ExportScene, target: str) -> None:
    preset = PRESETS[target]
    stage = open_stage(exported[target, "usdc"])
    skel_query, targets = skel_parts(stage)
    for query in targets:
        mesh = next(m for m in scene.meshes if m.name == query.GetPrim().GetName())
        np.testing.assert_allclose(
            skin(skel_query, query, 0.0), expected_points(preset, mesh.vertices), atol=1e-4 * preset.usd_scale
        )


@pytest.mark.parametrize("target", list(PRESETS))
def test_skinning_a_new_pose_matches_linear_blend_skinning(exported, scene: ExportScene, target: str) -> None:
    """Author a second pose at time 1 and compare UsdSkel skinning with numpy LBS:
    checks weights, indices and bind transforms, not only that the pose is the bind pose."""
    preset = PRESETS[target]
    stage = open_stage(exported[target, "usda"])
    skel_query, _ = skel_parts(stage)
    _, shift = roundtrip_joints(preset)
    skel = scene.skeleton
    rng = np.random.default_rng(3)
    new_local = skel.rest_local.copy()
    for j in range(24):
        new_local[j, :3, :3] = new_local[j, :3, :3] @ Rotation.from_rotvec(rng.normal(0, 0.3, 3)).as_matrix()
    new_world = forward_kinematics(skel.parents, new_local)

    r, s = np.asarray(EXPECTED_AXES[target][:3], np.float64).T, EXPECTED_AXES[target][3]
    local_usd = [np.eye(4)] * shift + [rigid(r @ t[:3, :3] @ r.T, s * r @ t[:3, 3]) for t in new_local]
    stage.SetEditTarget(stage.GetSessionLayer())  # leave the file's layer untouched
    anim = UsdSkel.Animation(skel_query.GetAnimQuery().GetPrim())
    quats = Rotation.from_matrix(np.stack([t[:3, :3] for t in local_usd])).as_quat()  # x y z w
    anim.GetTranslationsAttr().Set(Vt.Vec3fArray([Gf.Vec3f(*t[:3, 3]) for t in local_usd]), 1.0)
    anim.GetRotationsAttr().Set(Vt.QuatfArray([Gf.Quatf(q[3], q[0], q[1], q[2]) for q in quats]), 1.0)
    anim.GetScalesAttr().Set(anim.GetScalesAttr().Get(0.0), 1.0)
    skel_query, targets = skel_parts(stage)

    skinning = new_world @ np.linalg.inv(skel.bind_world)
    for query in targets:
        mesh = next(m for m in scene.meshes if m.name == query.GetPrim().GetName())
        v = np.c_[mesh.vertices.astype(np.float64), np.ones(len(mesh.vertices))]
        moved = np.einsum("vk,vkab,vb->va", mesh.weights, skinning[mesh.joints.astype(int)], v)[:, :3]
        np.testing.assert_allclose(
            skin(skel_query, query, 1.0), expected_points(preset, moved), atol=1e-4 * preset.usd_scale
        )


@pytest.mark.parametrize("target", list(PRESETS))
def test_sockets_sit_at_the_contacts(exported, scene: ExportScene, target: str) -> None:
    preset = PRESETS[target]
    stage = open_stage(exported[target, "usdz"])
    cache = UsdGeom.XformCache(0.0)
    root = stage.GetDefaultPrim().GetPath()
    for sock in scene.sockets:
        prim = stage.GetPrimAtPath(root.AppendPath(f"Sockets/{sock.name}"))
        assert prim.IsA(UsdGeom.Xform)
        world = np.asarray(cache.GetLocalToWorldTransform(prim), np.float64).T
        assert np.linalg.norm(preset.from_usd_points(world[:3, 3])[0] - sock.world[:3, 3]) < 1e-3
        np.testing.assert_allclose(
            world[:3, 3], expected_points(preset, sock.world[:3, 3])[0], atol=1e-3 * preset.usd_scale
        )
        assert prim.GetAttribute("hoi:part").Get() == sock.extras["part"]
        assert prim.GetAttribute("hoi:joint").Get() == sock.extras["joint"]
        np.testing.assert_allclose(
            prim.GetAttribute("hoi:pointObject").Get(),
            expected_points(preset, sock.extras["point_object"])[0],
            atol=1e-9,
        )
        np.testing.assert_allclose(
            prim.GetAttribute("hoi:normal").Get(),
            expected_points(preset, sock.extras["normal"])[0] / EXPECTED_AXES[target][3],
            atol=1e-9,
        )
        # the socket's own local +Z carries the normal in every preset (as in glTF)
        np.testing.assert_allclose(world[:3, 2], prim.GetAttribute("hoi:normal").Get(), atol=1e-6)
        assert prim.GetAttribute("hoi:distanceM").Get() == pytest.approx(0.002)
        assert prim.GetAttribute("hoi:areaM2").Get() == pytest.approx(0.0012)


@pytest.mark.parametrize("target", list(PRESETS))
def test_known_points_land_on_the_preset_axes(exported, scene: ExportScene, target: str) -> None:
    """A head-high vertex and the pelvis bind translation, against the hand-written axis table."""
    stage = open_stage(exported[target, "usda"])
    root = stage.GetDefaultPrim().GetPath()
    points = np.asarray(UsdGeom.Mesh(stage.GetPrimAtPath(root.AppendChild("human"))).GetPointsAttr().Get())
    np.testing.assert_allclose(
        points,
        expected_points(PRESETS[target], scene.meshes[0].vertices),
        rtol=1e-6,
        atol=1e-6 * EXPECTED_AXES[target][3],
    )
    skel = UsdSkel.Skeleton(stage.GetPrimAtPath(root.AppendChild("Skeleton")))
    bind = np.asarray(skel.GetBindTransformsAttr().Get(), np.float64)
    pelvis = bind[1 if PRESETS[target].add_root_joint else 0].T
    np.testing.assert_allclose(
        pelvis[:3, 3], expected_points(PRESETS[target], scene.skeleton.bind_world[0, :3, 3])[0], atol=1e-9
    )
    ex, ey, ez, scale = EXPECTED_AXES[target]
    np.testing.assert_allclose(expected_points(PRESETS[target], [[0.0, 1.0, 0.0]])[0], np.array(ey) * scale)


@pytest.mark.parametrize("target", ["unity", "unreal"])
def test_materials_read_the_packaged_textures(exported, scene: ExportScene, target: str) -> None:
    for fmt in ("usda", "usdz"):
        path = exported[target, fmt]
        stage = open_stage(path)
        root = stage.GetDefaultPrim().GetPath()
        for mesh in scene.meshes:
            prim = stage.GetPrimAtPath(root.AppendChild(mesh.name))
            material, _ = UsdShade.MaterialBindingAPI(prim).ComputeBoundMaterial()
            surface = material.ComputeSurfaceSource()[0]
            assert surface.GetIdAttr().Get() == "UsdPreviewSurface"
            assert surface.GetInput("metallic").Get() == 0.0
            assert surface.GetInput("roughness").Get() == pytest.approx(mesh.roughness)
            tex = surface.GetInput("diffuseColor").GetConnectedSources()[0][0].source
            tex = UsdShade.Shader(tex.GetPrim())
            assert tex.GetInput("sourceColorSpace").Get() == "sRGB"
            asset = tex.GetInput("file").Get()
            assert asset.resolvedPath, f"{asset.path} does not resolve in {path.name}"
            data = bytes(Ar.GetResolver().OpenAsset(Ar.ResolvedPath(asset.resolvedPath)).GetBuffer())
            np.testing.assert_array_equal(np.asarray(Image.open(io.BytesIO(data))), mesh.texture.image)
            st = np.asarray(UsdGeom.PrimvarsAPI(prim).GetPrimvar("st").Get())
            np.testing.assert_allclose(st, np.c_[mesh.uv[:, 0], 1.0 - mesh.uv[:, 1]], atol=1e-7)


def test_usdz_holds_a_usdc_root_and_the_textures(exported) -> None:
    with zipfile.ZipFile(exported["unity", "usdz"]) as z:
        names = z.namelist()
    assert names[0] == "asset.usdc"
    assert sorted(names[1:]) == ["textures/asset_human_basecolor.png", "textures/asset_object_basecolor.png"]


def test_bad_inputs_raise_one_clear_error(scene: ExportScene) -> None:
    unity = PRESETS["unity"]
    with pytest.raises(InputError, match="usda"):
        encode_usd(scene, unity, "usdx", "asset")  # type: ignore[arg-type]
    with pytest.raises(InputError, match="basename"):
        encode_usd(scene, unity, "usda", "a/b")
    moved = scene.skeleton.rest_local.copy()
    moved[5, :3, 3] += 0.05
    bad = dataclasses.replace(scene, skeleton=dataclasses.replace(scene.skeleton, rest_local=moved))
    with pytest.raises(ExportError, match="rest_local does not chain"):
        encode_usdz(bad, unity, "asset")
    weights = scene.meshes[0].weights.copy()
    weights[0] *= 2
    bad = dataclasses.replace(
        scene, meshes=[dataclasses.replace(scene.meshes[0], weights=weights), scene.meshes[1]]
    )
    with pytest.raises(ExportError, match="sum to 1"):
        encode_usd(bad, unity, "usdc", "asset")
