"""glTF writer + sockets: a posed, skinned tube (arm) on the SMPL-24 skeleton holding a
box bound to the right wrist, two sockets, 64² textures — encoded as .glb and as
.gltf, reopened with pygltflib and trimesh, re-skinned from the file's own bind data,
and run through the Khronos glTF-Validator (0 errors, 0 warnings)."""

from __future__ import annotations

import importlib
import io
import json
import os
from pathlib import Path

import numpy as np
import pygltflib
import pytest
import trimesh
from PIL import Image
from scipy.spatial.transform import Rotation
from tests.builders.synthetic_arm import make_arm_body

from hoiexport.exporters.gltf import ANIMATION_NAME, encode_glb, encode_gltf
from hoiexport.exporters.presets import get_preset
from hoiexport.exporters.scene import ExportMesh, ExportScene
from hoiexport.exporters.skin import (
    ROOT_JOINT,
    choose_object_joint,
    export_skeleton,
    rigid_binding,
    transfer_skin_weights,
)
from hoiexport.exporters.sockets import make_sockets, socket_frame
from hoiexport.exporters.validate import validate_files
from hoiexport.exporters.validate_gltf import GltfDocument
from hoiexport.sdk.core.errors import ExportError, InputError
from hoiexport.sdk.core.skeleton import SMPL_JOINT_NAMES, SMPL_PARENTS
from hoiexport.sdk.core.types import BodyFit, Contact, Texture


def gradient_texture(size: int, hue: int) -> Texture:
    y, x = np.mgrid[0:size, 0:size]
    img = np.stack([x * 255 // (size - 1), y * 255 // (size - 1), np.full_like(x, hue)], axis=-1)
    return Texture(img.astype(np.uint8))


def cylindrical_uv(vertices: np.ndarray) -> np.ndarray:
    c = vertices - vertices.mean(axis=0)
    u = (np.arctan2(c[:, 2], c[:, 1]) / (2 * np.pi)) % 1.0
    v = (c[:, 0] - c[:, 0].min()) / np.ptp(c[:, 0])
    return np.stack([u, v], axis=1).astype(np.float32)


def build_scene(body: BodyFit, name: str = "arm_holds_box") -> tuple[ExportScene, list[Contact]]:
    """Human = the body surface (weights transferred), object = a box in the right hand."""
    skel = export_skeleton(body)
    skin = transfer_skin_weights(body.mesh.vertices, body.mesh.faces, body)
    normals = body.mesh.normals
    if normals is None:
        normals = trimesh.Trimesh(body.mesh.vertices, body.mesh.faces, process=False).vertex_normals
    human = ExportMesh(
        "human", body.mesh.vertices, np.asarray(normals, np.float32), cylindrical_uv(body.mesh.vertices),
        body.mesh.faces.astype(np.uint32), gradient_texture(64, 40), 0.7, skin.joints, skin.weights,
    )
    contacts = [
        Contact("right_hand", "right_wrist", np.zeros(3), np.zeros(3), [0, 0, 1], 0.002, 0.0015),
        Contact("right_arm", "right_elbow", np.zeros(3), np.zeros(3), [0, 1, 0], 0.01, 0.0004),
    ]
    joint = choose_object_joint(contacts, "right_hand")
    j = skel.joint_names.index(joint)
    hand = skel.bind_world[j]
    box = trimesh.creation.box((0.12, 0.06, 0.2))
    box.apply_transform(hand @ trimesh.transformations.translation_matrix([-0.09, -0.06, 0.0]))
    # contact points on the box surface: where the palm and the elbow side touch it
    pts, _, tri = trimesh.proximity.closest_point(box, np.stack([hand[:3, 3], skel.bind_world[skel.joint_names.index("right_elbow"), :3, 3]]))
    for c, p, t in zip(contacts, pts, tri, strict=True):
        c.point_object = p
        c.point_human = p + 0.002 * box.face_normals[t]
        c.normal = box.face_normals[t]
    rigid = rigid_binding(len(box.vertices), j)
    obj = ExportMesh(
        "object", box.vertices.astype(np.float32), box.vertex_normals.astype(np.float32),
        cylindrical_uv(box.vertices), box.faces.astype(np.uint32), gradient_texture(64, 200), 0.35,
        rigid.joints, rigid.weights, j,
    )
    metadata = {
        "schema_version": 1,
        "prompt": {"text": "a person holds a box", "object": "box", "action": None, "contact_parts": []},
        "contact_config": "right_hand",
        "contacts": [c.to_json() for c in contacts],
        "penetration": {"human_in_object_depth_cm": 0.0},
        "provenance": {"generator": "test", "seed": 0, "notes": {}},
    }
    return ExportScene(name, skel, [human, obj], make_sockets(contacts, skel), metadata), contacts


# ---------------------------------------------------------------------------
# Reading a written file back, independently of the writer.


def node_world(gltf: pygltflib.GLTF2, overrides: dict[tuple[int, str], list[float]] | None = None) -> dict[int, np.ndarray]:
    """World matrix of every node reachable from the scene, from TRS / matrix."""
    overrides = overrides or {}

    def local(i: int) -> np.ndarray:
        n = gltf.nodes[i]
        if n.matrix is not None:
            return np.asarray(n.matrix, np.float64).reshape(4, 4).T
        m = np.eye(4)
        t = overrides.get((i, "translation"), n.translation or [0, 0, 0])
        r = overrides.get((i, "rotation"), n.rotation or [0, 0, 0, 1])
        s = n.scale or [1, 1, 1]
        m[:3, :3] = Rotation.from_quat(r).as_matrix() * np.asarray(s)
        m[:3, 3] = t
        return m

    out: dict[int, np.ndarray] = {}

    def walk(i: int, parent: np.ndarray) -> None:
        out[i] = parent @ local(i)
        for c in gltf.nodes[i].children or []:
            walk(c, out[i])

    for root in gltf.scenes[gltf.scene].nodes:
        walk(root, np.eye(4))
    return out


def skinned_positions(doc: GltfDocument, mesh_node: int, world: dict[int, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """(stored POSITION, POSITION skinned with the file's IBMs and joint node worlds)."""
    g = doc.gltf
    node = g.nodes[mesh_node]
    skin = g.skins[node.skin]
    attrs = g.meshes[node.mesh].primitives[0].attributes
    pos = doc.accessor(attrs.POSITION)
    joints = doc.accessor(attrs.JOINTS_0).astype(int)
    weights = doc.accessor(attrs.WEIGHTS_0)
    ibm = doc.accessor(skin.inverseBindMatrices).reshape(-1, 4, 4).transpose(0, 2, 1)
    mats = np.stack([world[jn] for jn in skin.joints]) @ ibm
    blended = np.einsum("vk,vkab->vab", weights, mats[joints])
    return pos, np.einsum("vab,vb->va", blended[:, :3, :3], pos) + blended[:, :3, 3]


def joint_hierarchy(gltf: pygltflib.GLTF2) -> tuple[list[str], list[int]]:
    """Skin joint names and parent indices (in skin joint order) from the node tree."""
    joints = gltf.skins[0].joints
    parent_of = {c: i for i, n in enumerate(gltf.nodes) for c in (n.children or [])}
    index = {n: k for k, n in enumerate(joints)}
    names = [gltf.nodes[n].name for n in joints]
    parents = [index.get(parent_of.get(n, -1), -1) for n in joints]
    return names, parents


def check_sockets(g: pygltflib.GLTF2, contacts: list[Contact]) -> None:
    """Each contact has its socket node under its joint, at point_object (≤ 1 mm), +Z = normal."""
    world = node_world(g)
    parent_of = {c: i for i, n in enumerate(g.nodes) for c in (n.children or [])}
    sockets = {g.nodes[i].name: i for i in world if g.nodes[i].name.startswith("SOCKET_contact_")}
    assert set(sockets) == {f"SOCKET_contact_{c.part}" for c in contacts}
    for c in contacts:
        i = sockets[f"SOCKET_contact_{c.part}"]
        assert g.nodes[parent_of[i]].name == c.joint
        assert np.linalg.norm(world[i][:3, 3] - c.point_object) < 1e-3
        np.testing.assert_allclose(world[i][:3, 2], c.normal, atol=1e-5)
        extras = g.nodes[i].extras
        assert extras["part"] == c.part and extras["joint"] == c.joint
        np.testing.assert_allclose(extras["point_object"], c.point_object)
        assert extras["distance_m"] == pytest.approx(c.distance_m) and extras["area_m2"] == pytest.approx(c.area_m2)


# ---------------------------------------------------------------------------
# Fixtures: encode once, validate every file in one node process.


@pytest.fixture(scope="module")
def body() -> BodyFit:
    return make_arm_body(seed=2)


@pytest.fixture(scope="module")
def scene_and_contacts(body):
    return build_scene(body)


@pytest.fixture(scope="module")
def written(tmp_path_factory, scene_and_contacts):
    """{label: path} of every file variant, and their validation reports."""
    scene, _ = scene_and_contacts
    out = tmp_path_factory.mktemp("gltf")
    paths = {"glb": out / "arm.glb", "unreal": out / "arm_unreal.glb"}
    paths["glb"].write_bytes(encode_glb(scene))
    paths["unreal"].write_bytes(encode_glb(scene, get_preset("unreal")))
    sep = out / "separate"
    sep.mkdir()
    files = encode_gltf(scene, "arm")
    for name, data in files.items():
        (sep / name).write_bytes(data)
    paths["gltf"] = sep / "arm.gltf"
    reports = dict(zip(paths, validate_files(list(paths.values()), strict=True), strict=True))
    return paths, reports, files


@pytest.mark.parametrize("label", ["glb", "gltf", "unreal"])
def test_khronos_validator_reports_nothing(written, label):
    _, reports, _ = written
    report = reports[label]
    assert report.errors == 0 and report.warnings == 0, [m.to_json() for m in report.messages]
    assert report.infos == 0, [m.to_json() for m in report.messages]
    assert report.ok


def test_gltf_file_set(written):
    _, _, files = written
    assert set(files) == {"arm.gltf", "arm.bin", "arm_human_basecolor.png", "arm_object_basecolor.png"}
    doc = json.loads(files["arm.gltf"])
    assert doc["buffers"][0]["uri"] == "arm.bin"
    assert sorted(i["uri"] for i in doc["images"]) == ["arm_human_basecolor.png", "arm_object_basecolor.png"]


@pytest.mark.parametrize("label", ["glb", "gltf"])
def test_round_trip_pygltflib(written, scene_and_contacts, label):
    paths, _, _ = written
    scene, _ = scene_and_contacts
    doc = GltfDocument.load(paths[label])
    g = doc.gltf
    assert g.asset.version == "2.0"
    # joints: SMPL-24 names and parents, skeleton root = pelvis under the asset node
    names, parents = joint_hierarchy(g)
    assert names == list(SMPL_JOINT_NAMES)
    assert parents == SMPL_PARENTS.tolist()
    root_nodes = [g.nodes[i] for i in g.scenes[0].nodes]
    assert root_nodes[0].name == scene.name == g.scenes[0].name
    assert g.nodes[g.skins[0].skeleton].name == "pelvis"
    assert g.nodes[root_nodes[0].children[0]].name == "pelvis"
    # skinned meshes: scene roots, no transforms, one shared skin
    meshes = {n.name: n for n in root_nodes[1:]}
    assert set(meshes) == {"human", "object"}
    for n in meshes.values():
        assert n.skin == 0 and n.translation is None and n.rotation is None and n.matrix is None
    for ex in scene.meshes:
        prim = g.meshes[meshes[ex.name].mesh].primitives[0]
        pos = doc.accessor(prim.attributes.POSITION)
        assert pos.shape == (len(ex.vertices), 3)
        assert doc.accessor(prim.indices).size == ex.faces.size
        acc = g.accessors[prim.attributes.POSITION]
        np.testing.assert_allclose(acc.min, pos.min(axis=0)), np.testing.assert_allclose(acc.max, pos.max(axis=0))
        np.testing.assert_allclose(np.linalg.norm(doc.accessor(prim.attributes.NORMAL), axis=1), 1.0, atol=1e-6)
        assert g.accessors[prim.attributes.JOINTS_0].componentType == pygltflib.UNSIGNED_BYTE
        assert g.accessors[prim.attributes.WEIGHTS_0].componentType == pygltflib.FLOAT
        w = doc.accessor(prim.attributes.WEIGHTS_0)
        assert np.abs(w.sum(axis=1) - 1).max() < 1e-6
        assert (w > 0).sum(axis=1).max() <= 4
        material = g.materials[prim.material]
        pbr = material.pbrMetallicRoughness
        assert pbr.metallicFactor == 0.0 and pbr.roughnessFactor == pytest.approx(ex.roughness)
        texture = g.textures[pbr.baseColorTexture.index]
        assert g.samplers[texture.sampler].minFilter == pygltflib.LINEAR_MIPMAP_LINEAR
        image = g.images[texture.source]
        if label == "glb":
            view = g.bufferViews[image.bufferView]
            png = doc.buffers[0][view.byteOffset : view.byteOffset + view.byteLength]
        else:
            png = (paths[label].parent / image.uri).read_bytes()
        np.testing.assert_array_equal(np.asarray(Image.open(io.BytesIO(png))), ex.texture.image)
    # the object is rigid on the right wrist
    obj_joints = doc.accessor(g.meshes[meshes["object"].mesh].primitives[0].attributes.JOINTS_0)
    assert {g.nodes[g.skins[0].joints[int(j)]].name for j in obj_joints[:, 0]} == {"right_wrist"}
    # metadata verbatim (None and empty lists kept)
    assert g.asset.extras["hoi"] == json.loads(json.dumps(scene.metadata))


@pytest.mark.parametrize("label", ["glb", "unreal"])
def test_skinning_the_file_reproduces_its_vertices(written, label):
    paths, _, _ = written
    doc = GltfDocument.load(paths[label])
    g = doc.gltf
    rest = node_world(g)
    # the one-key animation `interaction` holds the same pose
    anim = g.animations[0]
    assert anim.name == ANIMATION_NAME
    overrides = {}
    for ch in anim.channels:
        sampler = anim.samplers[ch.sampler]
        assert doc.accessor(sampler.input).ravel().tolist() == [0.0]
        overrides[(ch.target.node, ch.target.path)] = doc.accessor(sampler.output)[0].tolist()
    assert {p for _, p in overrides} == {"translation", "rotation"}
    assert {n for n, _ in overrides} == set(g.skins[0].joints)
    animated = node_world(g, overrides)
    for i in g.scenes[0].nodes[1:]:
        for world in (rest, animated):
            stored, skinned = skinned_positions(doc, i, world)
            assert np.abs(skinned - stored).max() < 1e-4


def test_unreal_root_joint(written):
    paths, _, _ = written
    g = GltfDocument.load(paths["unreal"]).gltf
    names, parents = joint_hierarchy(g)
    assert names == [ROOT_JOINT, *SMPL_JOINT_NAMES]
    assert parents[:2] == [-1, 0]
    root = g.nodes[g.skins[0].joints[0]]
    assert g.nodes[g.skins[0].skeleton].name == ROOT_JOINT
    np.testing.assert_allclose(root.translation, 0.0)
    np.testing.assert_allclose(root.rotation, [0, 0, 0, 1])


@pytest.mark.parametrize("label", ["glb", "unreal"])
def test_socket_nodes_sit_on_the_contacts(written, scene_and_contacts, label):
    paths, _, _ = written
    _, contacts = scene_and_contacts
    check_sockets(GltfDocument.load(paths[label]).gltf, contacts)


def test_trimesh_reads_the_glb(written, scene_and_contacts):
    paths, _, _ = written
    scene, _ = scene_and_contacts
    loaded = trimesh.load(paths["glb"], file_type="glb", force="scene", process=False)
    by_vertices = sorted(len(g.vertices) for g in loaded.geometry.values())
    assert by_vertices == sorted(len(m.vertices) for m in scene.meshes)
    for geom in loaded.geometry.values():
        image = geom.visual.material.baseColorTexture
        assert image is not None and image.size == (64, 64)
        assert geom.visual.uv.shape == (len(geom.vertices), 2)
    bounds = np.concatenate([m.vertices for m in scene.meshes])
    np.testing.assert_allclose(loaded.bounds, [bounds.min(axis=0), bounds.max(axis=0)], atol=1e-5)


# ---------------------------------------------------------------------------
# Sockets.


@pytest.mark.parametrize("normal", [[0, 0, 1], [0, 1, 0], [0, -1, 0], [0.3, -0.2, 0.9], [1e-3, 1, 0]])
def test_socket_frame_is_right_handed_orthonormal(normal):
    m = socket_frame([0.1, 0.2, 0.3], normal)
    r = m[:3, :3]
    np.testing.assert_allclose(r.T @ r, np.eye(3), atol=1e-12)
    assert np.linalg.det(r) == pytest.approx(1.0)
    np.testing.assert_allclose(r[:, 2], np.asarray(normal) / np.linalg.norm(normal))
    np.testing.assert_allclose(m[:3, 3], [0.1, 0.2, 0.3])
    np.testing.assert_array_equal(m[3], [0, 0, 0, 1])


def test_make_sockets_names_and_errors(body):
    skel = export_skeleton(body)
    c = Contact("right_hand", "right_wrist", np.zeros(3), [0.1, 1.0, 0.2], [0, 0, 2], 0.0, 0.001)
    sockets = make_sockets([c, c], skel)
    assert [s.name for s in sockets] == ["SOCKET_contact_right_hand", "SOCKET_contact_right_hand_2"]
    assert sockets[0].joint == skel.joint_names.index("right_wrist")
    assert sockets[0].extras["normal"] == [0.0, 0.0, 1.0]
    assert set(sockets[0].extras) == {"part", "joint", "point_object", "normal", "distance_m", "area_m2"}
    bad = Contact("right_hand", "hand_r", np.zeros(3), np.zeros(3), [0, 0, 1], 0.0, 0.0)
    with pytest.raises(InputError, match="hand_r"):
        make_sockets([bad], skel)
    with pytest.raises(InputError, match="non-zero normal"):
        make_sockets([Contact("back", "spine3", np.zeros(3), np.zeros(3), [0, 0, 0], 0.0, 0.0)], skel)


# ---------------------------------------------------------------------------
# Errors: the writer refuses scenes that would be wrong files.


def test_writer_errors(scene_and_contacts):
    import dataclasses

    scene, _ = scene_and_contacts
    skel = scene.skeleton
    scaled = dataclasses.replace(skel, rest_local=skel.rest_local.copy(), bind_world=skel.bind_world.copy())
    scaled.rest_local[5, :3, :3] *= 1.1
    scaled.bind_world[5, :3, :3] *= 1.1
    for j in range(6, len(skel.parents)):  # keep the chain consistent so only rigidity fails
        p = skel.parents[j]
        scaled.bind_world[j] = scaled.bind_world[p] @ scaled.rest_local[j]
    with pytest.raises(ExportError, match="not a rigid transform"):
        encode_glb(dataclasses.replace(scene, skeleton=scaled))

    moved = dataclasses.replace(skel, rest_local=skel.rest_local.copy())
    moved.rest_local[3, :3, 3] += 0.05
    with pytest.raises(ExportError, match="does not chain to"):
        encode_glb(dataclasses.replace(scene, skeleton=moved))

    human = scene.meshes[0]
    heavy = dataclasses.replace(human, weights=human.weights * 1.5)
    with pytest.raises(ExportError, match="renormalise"):
        encode_glb(dataclasses.replace(scene, meshes=[heavy, scene.meshes[1]]))
    twice = dataclasses.replace(scene, meshes=[human, human])
    with pytest.raises(ExportError, match="used twice"):
        encode_glb(twice)
    bad_joint = dataclasses.replace(human, joints=human.joints + 30)
    with pytest.raises(ExportError, match="joints index"):
        encode_glb(dataclasses.replace(scene, meshes=[bad_joint]))
    nan_meta = dataclasses.replace(scene, metadata={"x": float("nan")})
    with pytest.raises(ExportError, match="NaN"):
        encode_glb(nan_meta)
    with pytest.raises(InputError, match="basename"):
        encode_gltf(scene, "a/b")
    with pytest.raises(ExportError, match="plain name"):
        encode_gltf(dataclasses.replace(scene, meshes=[dataclasses.replace(human, name="../x")]), "a")


# ---------------------------------------------------------------------------
# A real posed Anny body, when the body backend and its cache are there.


def _anny_body(monkeypatch) -> BodyFit:
    bodies = importlib.import_module("hoiexport.sdk.bodies")
    if not hasattr(bodies, "load_body_model"):
        pytest.skip("hoiexport.sdk.bodies.load_body_model is not available")
    cache = Path(os.environ.get("HOIEXPORT_CACHE", "/tmp/hoicache"))
    if not any((cache / "anny").glob("*/build_compact_model_data_*.safetensors")):
        pytest.skip(f"no built Anny in {cache}; set HOIEXPORT_CACHE to a cache holding one")
    monkeypatch.setenv("HOIEXPORT_CACHE", str(cache))
    from hoiexport.sdk.bodies.protocol import BodyParams

    model = bodies.load_body_model("anny")
    pose = np.zeros((24, 3), np.float32)
    pose[0] = [0.0, 0.4, 0.0]
    pose[SMPL_JOINT_NAMES.index("right_shoulder")] = [0.0, 0.0, -0.9]
    pose[SMPL_JOINT_NAMES.index("right_elbow")] = [0.0, -1.2, 0.0]
    pose[SMPL_JOINT_NAMES.index("left_knee")] = [0.8, 0.0, 0.0]
    return model.fit(BodyParams(pose=pose))


def test_real_anny_body_exports_clean(tmp_path, monkeypatch):
    body = _anny_body(monkeypatch)
    scene, contacts = build_scene(body, "anny_holds_box")
    path = tmp_path / "anny.glb"
    path.write_bytes(encode_glb(scene))
    (report,) = validate_files([path], strict=True)
    assert report.errors == 0 and report.warnings == 0, [m.to_json() for m in report.messages]
    doc = GltfDocument.load(path)
    names, parents = joint_hierarchy(doc.gltf)
    assert names == list(SMPL_JOINT_NAMES) and parents == SMPL_PARENTS.tolist()
    world = node_world(doc.gltf)
    for i in doc.gltf.scenes[0].nodes[1:]:
        stored, skinned = skinned_positions(doc, i, world)
        assert np.abs(skinned - stored).max() < 1e-4
    assert len(doc.accessor(doc.gltf.meshes[0].primitives[0].attributes.POSITION)) == len(body.mesh.vertices)
    check_sockets(doc.gltf, contacts)
