"""Engine rigs (#16): a canonical rest pose, the interaction as animation, naming presets.

A compose asset (Anny holding a mug in the right hand) is exported in every skeleton
preset and rest pose; the files are read back as a reader would (pygltflib nodes,
inverse bind matrices and animation keys; UsdSkel's own skinning) and must give the
generated surfaces back, keep sockets on their joints in every clip, stand in the
canonical pose on the floor, and carry the rig metadata.
"""

from __future__ import annotations

import json

import numpy as np
import pygltflib
import pytest
from pxr import Usd, UsdGeom, UsdSkel
from scipy.spatial import cKDTree
from scipy.spatial.transform import Rotation

import hoiexport
from hoiexport.exporters.export import ExportOptions
from hoiexport.exporters.options import BakeOptions
from hoiexport.exporters.presets import get_preset
from hoiexport.exporters.rig import REST_POSES, RigOptions, approach_clip, build_rig, unpose_points
from hoiexport.exporters.skeletons import SKELETON_PRESETS, get_skeleton_preset
from hoiexport.exporters.skin import export_skeleton
from hoiexport.exporters.validate_gltf import GltfDocument
from hoiexport.sdk.core.errors import ExportError, InputError
from hoiexport.sdk.core.types import HOIAsset

PROMPT = "a person holding a mug in the right hand"


def options(**rig: object) -> ExportOptions:
    return ExportOptions(bake=BakeOptions(size=512, gutter_px=4), rig=RigOptions(**rig))  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def asset() -> HOIAsset:
    return hoiexport.generate(PROMPT, seed=0)


@pytest.fixture(scope="module")
def exports(asset, tmp_path_factory):
    """(skeleton preset, rest pose) → the ExportResult of glb + usda, target by preset."""
    target = {"smpl": "blender", "mixamo": "unity", "ue5": "unreal", "unity-humanoid": "unity"}
    out = {}
    cases = [(p, "a") for p in SKELETON_PRESETS] + [("smpl", "t"), ("ue5", "interaction")]
    for preset, rest in cases:
        folder = tmp_path_factory.mktemp(f"{preset}_{rest}")
        out[preset, rest] = hoiexport.export(
            asset, folder, formats="glb,usda", target=target[preset],
            options=options(rest_pose=rest, skeleton=preset, measure=True),
        )
    return out


# ---------------------------------------------------------------------------
# Reading a glb as a reader does.


def trs(node: pygltflib.Node, t: list[float] | None = None, r: list[float] | None = None) -> np.ndarray:
    m = np.eye(4)
    m[:3, :3] = Rotation.from_quat(r if r is not None else node.rotation or [0, 0, 0, 1]).as_matrix()
    m[:3, 3] = t if t is not None else node.translation or [0, 0, 0]
    return m


def worlds(g: pygltflib.GLTF2, keys: dict[tuple[int, str], list[float]]) -> dict[int, np.ndarray]:
    out: dict[int, np.ndarray] = {}

    def walk(i: int, parent: np.ndarray) -> None:
        out[i] = parent @ trs(g.nodes[i], keys.get((i, "translation")), keys.get((i, "rotation")))
        for c in g.nodes[i].children or []:
            walk(c, out[i])

    for root in g.scenes[g.scene].nodes:
        walk(root, np.eye(4))
    return out


def clip_keys(doc: GltfDocument, name: str) -> tuple[np.ndarray, list[dict[tuple[int, str], list[float]]]]:
    """Key times and, per key, the (node, path) → value overrides of animation `name`."""
    g = doc.gltf
    anim = next(a for a in g.animations if a.name == name)
    times = None
    per_key: list[dict[tuple[int, str], list[float]]] = []
    for ch in anim.channels:
        s = anim.samplers[ch.sampler]
        t = doc.accessor(s.input).ravel()
        times = t if times is None else times
        np.testing.assert_array_equal(t, times)
        values = doc.accessor(s.output).reshape(len(t), -1)
        while len(per_key) < len(t):
            per_key.append({})
        for k in range(len(t)):
            per_key[k][(ch.target.node, ch.target.path)] = values[k].tolist()
    assert times is not None
    return times, per_key


def skinned(doc: GltfDocument, mesh_name: str, world: dict[int, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    g = doc.gltf
    node = next(n for n in g.nodes if n.mesh is not None and g.meshes[n.mesh].name == mesh_name)
    skin = g.skins[node.skin]
    attrs = g.meshes[node.mesh].primitives[0].attributes
    pos = doc.accessor(attrs.POSITION).astype(np.float64)
    joints = doc.accessor(attrs.JOINTS_0).astype(int)
    weights = doc.accessor(attrs.WEIGHTS_0).astype(np.float64)
    ibm = doc.accessor(skin.inverseBindMatrices).reshape(-1, 4, 4).transpose(0, 2, 1)
    mats = np.stack([world[j] for j in skin.joints]) @ ibm
    blended = np.einsum("vk,vkab->vab", weights, mats[joints])
    return pos, np.einsum("vab,vb->va", blended[:, :3, :3], pos) + blended[:, :3, 3]


def glb(result) -> GltfDocument:
    return GltfDocument.load(result.files["glb"])


# ---------------------------------------------------------------------------
# Round trips.


@pytest.mark.parametrize("case", [("smpl", "a"), ("mixamo", "a"), ("ue5", "a"), ("unity-humanoid", "a"),
                                  ("smpl", "t"), ("ue5", "interaction")])
def test_glb_interaction_clip_reproduces_the_generated_surfaces(exports, asset, case) -> None:
    doc = glb(exports[case])
    _, keys = clip_keys(doc, "interaction")
    world = worlds(doc.gltf, keys[0])
    _, human = skinned(doc, "human", world)
    _, obj = skinned(doc, "object", world)
    gap_h, _ = cKDTree(asset.human.vertices).query(human)
    gap_o, _ = cKDTree(asset.object.vertices).query(obj)
    assert gap_h.max() < 1e-4, f"human re-posed off by {gap_h.max():.2e} m"
    assert gap_o.max() < 1e-4, f"object re-posed off by {gap_o.max():.2e} m"


@pytest.mark.parametrize("case", [("smpl", "a"), ("ue5", "a"), ("smpl", "t")])
def test_usd_bound_animation_reproduces_the_generated_surfaces(exports, asset, case) -> None:
    result = exports[case]
    stage = Usd.Stage.Open(str(result.files["usda"]))
    preset = get_preset({"smpl": "blender", "ue5": "unreal"}[case[0]])
    root = UsdSkel.Root(stage.GetDefaultPrim())
    cache = UsdSkel.Cache()
    cache.Populate(root, Usd.PrimDefaultPredicate)
    (binding,) = cache.ComputeSkelBindings(root, Usd.PrimDefaultPredicate)
    skel_query = cache.GetSkelQuery(binding.GetSkeleton())
    assert skel_query.GetAnimQuery().GetPrim().GetName() == "interaction"
    xforms = skel_query.ComputeSkinningTransforms(Usd.TimeCode.Default())
    sources = {"human": asset.human.vertices, "object": asset.object.vertices}
    for query in binding.GetSkinningTargets():
        points = UsdGeom.Mesh(query.GetPrim()).GetPointsAttr().Get()
        assert query.ComputeSkinnedPoints(xforms, points, Usd.TimeCode.Default())
        internal = preset.from_usd_points(np.asarray(points, np.float64))
        gap, _ = cKDTree(sources[query.GetPrim().GetName()]).query(internal)
        assert gap.max() < 1e-4


def test_sockets_follow_their_joints_in_every_clip(exports, asset) -> None:
    doc = glb(exports["ue5", "a"])
    g = doc.gltf
    sockets = [i for i, n in enumerate(g.nodes) if (n.name or "").startswith("SOCKET_contact_")]
    assert sockets
    parent = {c: i for i, n in enumerate(g.nodes) for c in (n.children or [])}
    contact = {f"SOCKET_contact_{c.part}": np.asarray(c.point_object) for c in asset.contacts}
    for clip in ("interaction", "approach"):
        _, keys = clip_keys(doc, clip)
        offsets = []
        for k, key in enumerate(keys):
            world = worlds(g, key)
            for s in sockets:
                rel = np.linalg.inv(world[parent[s]]) @ world[s]
                offsets.append(rel[:3, 3])
                if k == len(keys) - 1 and g.nodes[s].name in contact:  # the interaction is held at the end
                    assert np.linalg.norm(world[s][:3, 3] - contact[g.nodes[s].name]) < 1e-3
        spread = np.ptp(np.asarray(offsets).reshape(len(keys), len(sockets), 3), axis=0)
        assert spread.max() < 1e-3, f"{clip}: socket moved {spread.max():.2e} m relative to its joint"


def test_approach_starts_at_rest_and_ends_in_the_interaction(exports) -> None:
    doc = glb(exports["smpl", "a"])
    g = doc.gltf
    times, keys = clip_keys(doc, "approach")
    assert times[0] == 0.0 and np.all(np.diff(times) > 0) and times[-1] == pytest.approx(1.25)
    _, inter = clip_keys(doc, "interaction")
    rest = worlds(g, {})
    first = worlds(g, keys[0])
    last = worlds(g, keys[-1])
    target = worlds(g, inter[0])
    joints = g.skins[0].joints
    for j in joints:
        np.testing.assert_allclose(first[j], rest[j], atol=1e-5)
        np.testing.assert_allclose(last[j], target[j], atol=1e-5)


# ---------------------------------------------------------------------------
# The rest pose.


def upper_arm_angles(g: pygltflib.GLTF2, names: dict[str, str]) -> list[float]:
    """Degrees below horizontal of both upper arms (shoulder → elbow) in the rest pose."""
    world = worlds(g, {})
    index = {n.name: i for i, n in enumerate(g.nodes)}
    out = []
    for side in ("left", "right"):
        a = world[index[names[f"{side}_shoulder"]]][:3, 3]
        b = world[index[names[f"{side}_elbow"]]][:3, 3]
        d = b - a
        out.append(float(np.degrees(np.arctan2(-d[1], np.hypot(d[0], d[2])))))
    return out


@pytest.mark.parametrize("case", [("smpl", "a"), ("mixamo", "a"), ("ue5", "a"), ("unity-humanoid", "a"), ("smpl", "t")])
def test_rest_pose_is_canonical_and_grounded(exports, case) -> None:
    preset, rest = case
    doc = glb(exports[case])
    g = doc.gltf
    names = dict(get_skeleton_preset(preset).names)
    want = REST_POSES[rest].arm_deg  # type: ignore[union-attr]
    for angle in upper_arm_angles(g, names):
        assert angle == pytest.approx(want, abs=0.5)
    pos, at_rest = skinned(doc, "human", worlds(g, {}))
    np.testing.assert_allclose(at_rest, pos, atol=1e-5)  # bound in the rest pose
    assert pos[:, 1].min() == pytest.approx(0.0, abs=1e-4)  # feet on the floor
    index = {n.name: i for i, n in enumerate(g.nodes)}
    pelvis = worlds(g, {})[index[names["pelvis"]]]
    np.testing.assert_allclose(pelvis[[0, 2], 3], 0.0, atol=1e-6)  # above the root
    left, right = (worlds(g, {})[index[names[f"{s}_hip"]]][:3, 3] for s in ("left", "right"))
    assert left[0] > right[0] + 0.05  # the character's left is +X: it faces +Z
    if get_skeleton_preset(preset).bone_axis == "world":
        np.testing.assert_allclose(pelvis[:3, :3], np.eye(3), atol=1e-6)


@pytest.mark.parametrize("preset, column", [("mixamo", 1), ("ue5", 0)])
def test_bone_axes_point_at_the_children(exports, preset, column) -> None:
    g = glb(exports[preset, "a"]).gltf
    p = get_skeleton_preset(preset)
    world = worlds(g, {})
    index = {n.name: i for i, n in enumerate(g.nodes)}
    for parent, child in (("left_shoulder", "left_elbow"), ("right_elbow", "right_wrist"), ("spine1", "spine2"),
                          ("left_hip", "left_knee"), ("pelvis", "spine1"), ("spine3", "neck")):
        a, b = world[index[p.names[parent]]], world[index[p.names[child]]]
        d = b[:3, 3] - a[:3, 3]
        assert a[:3, column] @ d / np.linalg.norm(d) == pytest.approx(1.0, abs=1e-5), (parent, child)


@pytest.mark.parametrize("preset", list(SKELETON_PRESETS))
def test_preset_names_and_one_floor_root(exports, preset) -> None:
    g = glb(exports[preset, "a"]).gltf
    p = get_skeleton_preset(preset)
    skin = g.skins[0]
    joint_names = [g.nodes[j].name for j in skin.joints]
    assert joint_names[0] == p.root and set(joint_names[1:]) == set(p.names.values())
    children = {c for n in g.nodes for c in (n.children or [])}
    roots = [j for j in skin.joints if j not in children or g.nodes[j].name == p.root]
    assert [g.nodes[j].name for j in roots] == [p.root]
    assert skin.skeleton == skin.joints[0]
    root = g.nodes[skin.joints[0]]
    assert (root.translation or [0, 0, 0]) == [0, 0, 0] and (root.rotation or [0, 0, 0, 1]) == [0, 0, 0, 1]


def test_rig_metadata(exports, asset) -> None:
    result = exports["ue5", "a"]
    hoi = glb(result).gltf.asset.extras["hoi"]
    rig = hoi["rig"]
    assert rig["rest_pose"] == "a" and rig["skeleton"] == "ue5"
    assert rig["clips"] == ["interaction", "approach"]
    assert rig["joint_names"]["right_wrist"] == "hand_r" and rig["object_joint"] == "right_wrist"
    assert hoi["body"]["model"] == asset.body.model
    assert hoi["body"]["shape"] == asset.body.params["shape"]
    stage = Usd.Stage.Open(str(result.files["usda"]))
    assert json.loads(stage.GetDefaultPrim().GetCustomDataByKey("hoi"))["rig"]["skeleton"] == "ue5"


def test_unpose_artefacts_are_measured_and_small(exports) -> None:
    for case, result in exports.items():
        stats = result.stats["rig"]
        assert stats["rest_pose"] == case[1]
        assert stats["roundtrip_max_m"] < 1e-5
        assert stats["body_gap_change_p99_m"] < 1e-3
        assert stats["penetration_introduced"] == 0


def test_interaction_rest_pose_binds_the_generated_pose(exports, asset) -> None:
    doc = glb(exports["ue5", "interaction"])
    assert [a.name for a in doc.gltf.animations] == ["interaction"]
    pos, _ = skinned(doc, "human", worlds(doc.gltf, {}))
    gap, _ = cKDTree(asset.human.vertices).query(pos)
    assert gap.max() < 1e-5


# ---------------------------------------------------------------------------
# Units.


def test_unpose_inverts_linear_blend_skinning_on_any_mesh(asset) -> None:
    """Inverse LBS of points with arbitrary (not the body's) weights re-poses exactly."""
    gen = export_skeleton(asset.body)
    rig = build_rig(gen.joint_names, gen.parents, gen.bind_world, RigOptions(rest_pose="t"))
    rng = np.random.default_rng(0)
    n = 500
    points = asset.human.vertices[rng.choice(len(asset.human.vertices), n)] + rng.normal(0, 0.01, (n, 3))
    joints = rng.integers(1, 25, (n, 4))
    weights = rng.dirichlet(np.ones(4) * 5, n)
    rest, _ = unpose_points(points, joints, weights, rig.skinning)
    from hoiexport.exporters.rig import pose_points

    np.testing.assert_allclose(pose_points(rest, joints, weights, rig.skinning), points, atol=1e-9)


def test_cancelling_rotations_cannot_be_unposed() -> None:
    skinning = np.stack([np.eye(4), np.eye(4)])
    skinning[1, :3, :3] = Rotation.from_rotvec([0, np.pi, 0]).as_matrix()
    with pytest.raises(ExportError, match="--rest-pose interaction"):
        unpose_points(np.zeros((1, 3)), np.array([[0, 1]]), np.array([[0.5, 0.5]]), skinning)


def test_approach_clip_shape() -> None:
    rest = np.tile(np.eye(4), (3, 1, 1))
    gen = rest.copy()
    gen[1, :3, :3] = Rotation.from_rotvec([0, 0, 1.0]).as_matrix()
    clip = approach_clip(rest, gen, RigOptions(approach_s=0.5, hold_s=0.0, fps=10))
    assert clip.times.tolist() == pytest.approx(np.linspace(0, 0.5, 6).tolist())
    np.testing.assert_allclose(clip.local[0], rest)
    np.testing.assert_allclose(clip.local[-1], gen)


@pytest.mark.parametrize(
    "kwargs, match",
    [({"rest_pose": "b"}, "rest pose"), ({"skeleton": "maya"}, "skeleton preset"), ({"fps": 0}, "fps"),
     ({"approach_s": 0.0}, "approach_s")],
)
def test_bad_rig_options(kwargs, match) -> None:
    with pytest.raises(InputError, match=match):
        RigOptions(**kwargs)
