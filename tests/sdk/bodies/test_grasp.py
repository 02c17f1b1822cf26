"""Hands that grasp: Anny's finger bones posed (`AnnyBody.forward_fingers`) and closed
round an object (`grasp.close_fingers`) on synthetic scenes: a bar through the palm,
a box top under it, a free hand."""

from __future__ import annotations

import json
import time

import numpy as np
import pytest
import torch
import trimesh
from scipy.spatial.transform import Rotation

from hoiexport.sdk.bodies import BodyParams
from hoiexport.sdk.bodies.anny_body import (
    ANNY_TO_INTERNAL,
    FINGER_BONE_PARENTS,
    FINGER_BONES,
    FINGERS,
    AnnyBody,
)
from hoiexport.sdk.bodies.grasp import (
    GRIPS,
    FingerPose,
    GraspOptions,
    JointLimits,
    apply_finger_poses,
    close_fingers,
    finger_pose_array,
    finger_vertices,
    fingers_note,
    relax_fingers,
)
from hoiexport.sdk.core.errors import InputError
from hoiexport.sdk.core.skeleton import JOINT_INDEX
from hoiexport.sdk.core.types import Mesh
from hoiexport.sdk.geometry.surface import SurfaceQuery

SHAPE = {"age": 0.67, "height": 0.35, "gender": 0.0}
BAR_RADIUS = 0.015
ARM_POSE = {"right_shoulder": (0.0, 0.0, 0.5), "right_elbow": (0.0, -0.6, 0.0), "right_wrist": (0.2, 0.0, 0.1),
            "left_shoulder": (0.0, 0.0, -0.4), "left_elbow": (0.0, 0.7, 0.0)}
"""Arm joints of the scene's body, axis-angle radians (the hands are posed, not at rest)."""


def _params() -> BodyParams:
    pose = np.zeros((24, 3), np.float32)
    for joint, rv in ARM_POSE.items():
        pose[JOINT_INDEX[joint]] = rv
    return BodyParams(pose=pose, shape=dict(SHAPE), transl=np.array([0.3, 0.9, -0.2], np.float32))


def _hand_frame(body: AnnyBody, params: BodyParams, side: str) -> tuple[np.ndarray, ...]:
    """World (knuckle centre, f wrist → knuckles, n palm normal, k across the knuckles,
    palm surface offset along n) of one posed hand, built from Anny's bones and mesh."""
    labels = list(body.bone_labels)
    s = ".R" if side == "right" else ".L"
    heads = body.rest_bone_heads(params.shape)
    mcp = np.array([heads[labels.index(f"finger{i}-1{s}")] for i in range(2, 6)])
    tips = np.array([heads[labels.index(f"finger{i}-3{s}")] for i in range(2, 6)])
    knuckle, wrist = mcp.mean(axis=0), heads[labels.index("wrist" + s)]
    f = (knuckle - wrist) / np.linalg.norm(knuckle - wrist)
    k = mcp[3] - mcp[0]
    k = (k - (k @ f) * f) / np.linalg.norm(k - (k @ f) * f)
    n = np.cross(f, k)
    if (tips.mean(axis=0) - knuckle) @ n < 0:
        n = -n
    rest = body.forward(torch.zeros(1, 24, 3), params.shape).vertices[0].numpy()
    palm = rest[body.skin_weights[:, JOINT_INDEX[f"{side}_wrist"]] > 0.5] - knuckle
    near = (np.abs(palm @ f) < 0.03) & (np.abs(palm @ k) < 0.04)
    offset = float((palm[near] @ n).max())
    out = body.forward(torch.as_tensor(params.pose)[None], params.shape, torch.as_tensor(params.transl)[None])
    rot = out.joint_transforms[0, JOINT_INDEX[f"{side}_wrist"], :3, :3].numpy().astype(np.float64)
    centre = out.joints[0, JOINT_INDEX[f"{side}_hand"]].numpy().astype(np.float64)
    return centre, rot @ f, rot @ n, rot @ k, offset


def _query(mesh: trimesh.Trimesh, name: str) -> SurfaceQuery:
    return SurfaceQuery(Mesh(mesh.vertices.astype(np.float32), mesh.faces.astype(np.int32), name=name))


def _finger_points(body: AnnyBody, vertices: np.ndarray, side: str) -> tuple[np.ndarray, np.ndarray]:
    """The hand's finger vertices (mostly on its finger bones) and each one's segment (finger * 3 + joint)."""
    h = 0 if side == "right" else 1
    w = body.finger_weights[:, 15 * h : 15 * (h + 1)]
    mine = w.sum(axis=1) > 0.5
    return vertices[body.finger_vertex_ids[mine]].astype(np.float64), np.argmax(w[mine], axis=1)


@pytest.fixture(scope="module")
def body(anny) -> AnnyBody:
    assert isinstance(anny, AnnyBody)
    return anny


@pytest.fixture(scope="module")
def params() -> BodyParams:
    return _params()


@pytest.fixture(scope="module")
def bar(body, params) -> SurfaceQuery:
    """A bar of radius 1.5 cm across the right palm, at the base of the fingers."""
    centre, f, n, k, offset = _hand_frame(body, params, "right")
    transform = np.eye(4)
    transform[:3, :3] = np.stack([f, n, k], axis=1)
    transform[:3, 3] = centre + n * (offset + BAR_RADIUS + 0.003) + f * 0.01
    mesh = trimesh.creation.cylinder(radius=BAR_RADIUS, height=0.14, sections=48, transform=transform)
    return _query(mesh.subdivide_to_size(0.02), "bar").build()


@pytest.fixture(scope="module")
def box(body, params) -> SurfaceQuery:
    """A box whose top lies 6 mm off the right palm (a palm pressing on it)."""
    centre, f, n, k, offset = _hand_frame(body, params, "right")
    transform = np.eye(4)
    transform[:3, :3] = np.stack([f, k, n], axis=1)
    transform[:3, 3] = centre + n * (offset + 0.006 + 0.05) - f * 0.02
    mesh = trimesh.creation.box(extents=(0.3, 0.3, 0.1), transform=transform)
    return _query(mesh.subdivide_to_size(0.02), "box").build()


@pytest.fixture(scope="module")
def wrapped(body, params, bar) -> tuple[FingerPose, float]:
    t = time.perf_counter()
    pose = close_fingers(body, params, "right", bar, "wrap")
    return pose, time.perf_counter() - t


# --------------------------------------------------------------------------- finger forward


def _native_finger_vertices(body: AnnyBody, pose: np.ndarray, finger_pose: np.ndarray, thumb_base: str) -> np.ndarray:
    """Anny's own skinning with every bone's world transform set: non-finger bones move
    rigidly with their SMPL joint, finger bones by their chain (scipy rotations)."""
    out = body.forward(torch.as_tensor(pose, dtype=torch.float64)[None], SHAPE)
    world = out.joint_transforms[0].numpy()
    skin = world.copy()
    skin[:, :3, 3] -= np.einsum("jab,jb->ja", world[:, :3, :3], out.rest_joints[0].numpy())
    bone_skin = skin[body.bone_joints].copy()  # (104, 4, 4) rest → posed, internal frame
    heads = body.rest_bone_heads(SHAPE)
    labels = list(body.bone_labels)
    chain = np.zeros((len(FINGER_BONES), 4, 4))
    for i, label in enumerate(FINGER_BONES):
        local = np.eye(4)
        local[:3, :3] = Rotation.from_rotvec(finger_pose[i]).as_matrix()
        head = heads[labels.index(label)]
        local[:3, 3] = head - local[:3, :3] @ head
        parent = FINGER_BONE_PARENTS[i]
        chain[i] = local if parent < 0 else chain[parent] @ local
        carrier = body.bone_joints[labels.index(label)]
        if thumb_base == "wrist" and label.startswith("finger1-"):
            carrier = JOINT_INDEX[("right" if label.endswith(".R") else "left") + "_wrist"]
        bone_skin[labels.index(label)] = skin[carrier] @ chain[i]
    c = np.eye(4)
    c[:3, :3] = ANNY_TO_INTERNAL
    anny = body.anny_model
    rest = anny(None, phenotype_kwargs=SHAPE)["rest_bone_poses"][0].numpy()
    bone_world = np.einsum("ab,jbc,cd,jde->jae", c.T, bone_skin, c, rest)
    posed = anny(torch.as_tensor(bone_world)[None], phenotype_kwargs=SHAPE, pose_parameterization="world")
    return posed["vertices"][0].numpy() @ ANNY_TO_INTERNAL.T


@pytest.mark.parametrize("thumb_base", ["hand", "wrist"])
def test_forward_fingers_equals_anny_posing_its_finger_bones(body, thumb_base):
    rng = np.random.default_rng(3)
    pose = 0.3 * rng.standard_normal((24, 3))
    finger_pose = 0.4 * rng.standard_normal((30, 3))
    out = body.forward_fingers(torch.as_tensor(pose)[None], torch.as_tensor(finger_pose)[None], SHAPE,
                               thumb_base=thumb_base)  # type: ignore[arg-type]
    expected = _native_finger_vertices(body, pose, finger_pose, thumb_base)
    assert np.abs(out.vertices[0].numpy() - expected).max() < 1e-6
    moved = np.linalg.norm(out.vertices[0].numpy() - body.forward(torch.as_tensor(pose)[None], SHAPE).vertices[0]
                           .numpy(), axis=1)
    assert moved.max() > 0.02 and np.all(moved[np.setdiff1d(np.arange(len(moved)), body.finger_vertex_ids)] == 0)


def test_zero_finger_pose_equals_forward_and_skins_batch(body):
    rng = np.random.default_rng(5)
    pose = torch.as_tensor(0.3 * rng.standard_normal((2, 24, 3)), dtype=torch.float32)
    transl = torch.tensor([[0.1, 0.2, 0.3], [0.0, -1.0, 0.5]])
    base = body.forward(pose, {"height": 0.7}, transl, 1.1)
    out = body.forward_fingers(pose, torch.zeros(2, 30, 3), {"height": 0.7}, transl, 1.1)
    torch.testing.assert_close(out.vertices, base.vertices, atol=1e-6, rtol=0)
    torch.testing.assert_close(out.joint_transforms, base.joint_transforms)
    # one body, K finger poses at once = K calls
    ids = body.finger_vertex_ids[::7]
    skin = body.finger_skin(pose[:1].double(), {"height": 0.7}, transl[:1], 1.1, ids)
    poses = torch.as_tensor(0.3 * rng.standard_normal((3, 30, 3)))
    batch = skin(poses)
    assert batch.shape == (3, len(ids), 3) and batch.dtype == torch.float64
    for i in range(3):
        full = body.forward_fingers(pose[:1].double(), poses[i], {"height": 0.7}, transl[:1], 1.1)
        torch.testing.assert_close(batch[i], full.vertices[0, torch.as_tensor(ids)])
    with pytest.raises(InputError, match=r"\(B, 30, 3\)"):
        skin(torch.zeros(24, 3))
    with pytest.raises(InputError, match="thumb_base"):
        body.finger_skin(pose, thumb_base="palm")  # type: ignore[arg-type]


# --------------------------------------------------------------------------- closing


def test_wrap_closes_every_finger_round_the_bar(body, params, bar, wrapped):
    pose, seconds = wrapped
    vertices = finger_vertices(body, params, [pose])
    points, segment = _finger_points(body, vertices, "right")
    signed = bar.signed_distance(points)
    for f, name in enumerate(FINGERS):
        distal = np.abs(signed[segment == 3 * f + 2]).min()
        assert distal <= 0.005, f"{name}: distal segment {1000 * distal:.1f} mm from the bar"
    assert signed.min() >= -0.002, f"a finger vertex {-1000 * signed.min():.1f} mm inside the bar"
    limits = JointLimits().array()
    assert np.all(pose.flexion_deg >= limits[:, :3, 0] - 1e-6) and np.all(pose.flexion_deg <= limits[:, :3, 1] + 1e-6)
    curl = pose.flexion_deg[1:].sum(axis=1)  # the four fingers curl more than at rest (a finger by the bar's
    assert np.all(curl > 5.0) and curl.mean() > 60.0  # end, the little one, touches it early)
    assert pose.touching[1:].any(axis=1).all()
    np.testing.assert_array_less(-0.0021, pose.clearance_m)
    # the rest hand was farther: closing brought the fingertips onto the bar
    rest_points, _ = _finger_points(body, finger_vertices(body, params, []), "right")
    rest_signed = bar.signed_distance(rest_points)
    assert max(np.abs(rest_signed[segment == 3 * f + 2]).min() for f in range(1, 5)) > 0.01
    assert seconds < 3.0  # ~0.2 s on one loaded core; a generous bound for slow CI machines


def test_press_keeps_fingers_nearly_straight_on_the_box(body, params, box):
    pose = close_fingers(body, params, "right", box, "press")
    points, segment = _finger_points(body, finger_vertices(body, params, [pose]), "right")
    signed = box.signed_distance(points)
    for f in range(1, 5):
        assert np.abs(signed[segment // 3 == f]).min() <= 0.003, FINGERS[f]
    assert signed.min() >= -0.002
    cap = np.array(GRIPS["press"].finger_cap_deg)
    assert np.all(pose.flexion_deg[1:] <= cap + 1e-6)
    assert np.all(np.abs(pose.flexion_deg[1:]) <= 20.0)  # nearly straight


def test_fingers_that_find_nothing_stay_relaxed(body, params):
    centre, f, n, k, _ = _hand_frame(body, params, "right")
    transform = np.eye(4)
    transform[:3, :3] = np.stack([f, k, n], axis=1)
    transform[:3, 3] = centre - 0.06 * n  # behind the back of the hand
    far = _query(trimesh.creation.box(extents=(0.05, 0.05, 0.02), transform=transform), "far")
    pose = close_fingers(body, params, "right", far, "wrap")
    np.testing.assert_allclose(pose.flexion_deg[1:], np.tile(GRIPS["none"].finger_cap_deg, (4, 1)))
    assert not pose.touching.any() and np.all(pose.clearance_m == pytest.approx(GraspOptions().exact_m))


def test_free_hands_take_a_small_natural_curl(body, params):
    for side in ("right", "left"):
        pose = relax_fingers(body, params, side)  # type: ignore[arg-type]
        np.testing.assert_allclose(pose.flexion_deg[1:], np.tile(GRIPS["none"].finger_cap_deg, (4, 1)))
        assert not pose.touching.any() and np.isinf(pose.clearance_m).all()
        rest, segment = _finger_points(body, finger_vertices(body, params, []), side)
        curled, _ = _finger_points(body, finger_vertices(body, params, [pose]), side)
        centre, f, n, _, _ = _hand_frame(body, params, side)
        tips = (segment % 3 == 2) & (segment >= 3)
        move = (curled[tips] - rest[tips]).mean(axis=0)
        assert move @ n > 0.003, side  # towards the palm side
        assert np.linalg.norm(move) < 0.03, side  # a small curl, not a fist


def test_hand_joint_share_counts_towards_the_curl(body, params):
    centre, f, n, k, _ = _hand_frame(body, params, "right")
    pose = params.pose.copy()
    axis = np.cross(f, n)
    rot = body.forward(torch.as_tensor(pose)[None], SHAPE).joint_transforms[0, JOINT_INDEX["right_wrist"], :3, :3]
    pose[JOINT_INDEX["right_hand"]] = rot.numpy().T @ axis * np.radians(50.0)  # curl the knuckle joint 50°
    curled = BodyParams(pose=pose, shape=params.shape, transl=params.transl)
    relaxed = relax_fingers(body, curled, "right")
    assert np.all(relaxed.flexion_deg[1:, 0] > 40.0)  # the knuckle joint's curl, kept
    assert np.abs(relaxed.rotations[3:].reshape(4, 3, 3)[:, 0]).max() < 1e-9  # nothing added at the MCP
    hooked = close_fingers(body, curled, "right", None, "hook")
    assert np.all(hooked.flexion_deg[1:, 0] <= JointLimits().finger[0][1] + 1e-6)


def test_deterministic_and_recorded(body, params, bar, wrapped):
    again = close_fingers(body, params, "right", bar, "wrap")
    np.testing.assert_array_equal(again.rotations, wrapped[0].rotations)
    note = fingers_note([wrapped[0], relax_fingers(body, params, "left")])
    assert set(note) == {"right", "left"} and note["right"]["grip"] == "wrap"
    assert set(note["right"]["fingers"]) == set(FINGERS)
    assert set(note["right"]["fingers"]["index"]["flexion_deg"]) == {"mcp", "pip", "dip"}
    assert set(note["right"]["fingers"]["thumb"]["flexion_deg"]) == {"cmc", "mcp", "ip"}
    assert note["left"]["fingers"]["index"]["clearance_mm"] is None and note["left"]["clearance_limit_mm"] is None
    assert note["right"]["clearance_limit_mm"] == 8.0
    json.dumps(note)  # JSON-able for provenance


def test_apply_finger_poses_bakes_the_grasp_into_the_fit(body, params, wrapped):
    fit = body.fit(params)
    baked = apply_finger_poses(body, fit, [wrapped[0]])
    moved = np.linalg.norm(baked.mesh.vertices - fit.mesh.vertices, axis=1) > 1e-6
    assert moved.any() and np.isin(np.flatnonzero(moved), body.finger_vertex_ids).all()
    np.testing.assert_array_equal(baked.skeleton.world_transforms, fit.skeleton.world_transforms)
    np.testing.assert_array_equal(baked.skin_weights, fit.skin_weights)
    assert not np.allclose(baked.mesh.normals[moved], fit.mesh.normals[moved])
    np.testing.assert_allclose(finger_vertices(body, params, []), fit.mesh.vertices, atol=1e-6)


def test_bad_input_is_refused(body, params, wrapped):
    with pytest.raises(InputError, match="unknown grip"):
        close_fingers(body, params, "right", None, "pinch")  # type: ignore[arg-type]
    with pytest.raises(InputError, match="hand must be"):
        close_fingers(body, params, "middle", None, "wrap")  # type: ignore[arg-type]
    with pytest.raises(InputError, match="finger bones"):
        close_fingers(object(), params, "right", None, "wrap")
    with pytest.raises(InputError, match="two finger poses"):
        finger_pose_array([wrapped[0], wrapped[0]])
    with pytest.raises(InputError, match="exact_m"):
        GraspOptions(exact_m=0.001)
    with pytest.raises(InputError, match="min_step_deg"):
        GraspOptions(step_deg=0.1)
    rotations, base = finger_pose_array([wrapped[0]])
    assert base == "hand" and np.array_equal(rotations[:15], wrapped[0].rotations) and not rotations[15:].any()
