"""Skin stage: weight transfer from the body, top-4 cut, rigid binding, object joint,
export skeleton and the Unreal root joint — on a real posed, skinned tube."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import trimesh
from tests.builders.synthetic_arm import make_arm_body

from hoiexport.exporters.scene import ExportMesh, ExportScene, ExportSocket
from hoiexport.exporters.skin import (
    HAND_JOINT,
    MAX_INFLUENCES,
    ROOT_JOINT,
    SkinOptions,
    add_root_joint,
    choose_object_joint,
    export_skeleton,
    rigid_binding,
    top_influences,
    transfer_skin_weights,
)
from hoiexport.sdk.core.errors import ExportError, InputError
from hoiexport.sdk.core.skeleton import JOINT_INDEX
from hoiexport.sdk.core.types import Contact, ContactConfig, Texture


@pytest.fixture(scope="module")
def body():
    return make_arm_body(seed=1)


def dense(joints: np.ndarray, weights: np.ndarray, num_joints: int = 24) -> np.ndarray:
    """(N, J) float64 weights from (N, 4) joints / weights."""
    out = np.zeros((len(joints), num_joints))
    np.add.at(out, (np.arange(len(joints))[:, None], joints.astype(np.int64)), weights)
    return out


def check_binding_invariants(joints: np.ndarray, weights: np.ndarray) -> None:
    assert joints.dtype == np.uint16 and weights.dtype == np.float32
    assert joints.shape == weights.shape and joints.shape[1] == MAX_INFLUENCES
    assert np.abs(weights.astype(np.float64).sum(axis=1) - 1.0).max() <= 1e-6
    assert weights.min() >= 0.0
    assert (np.diff(weights, axis=1) <= 0).all(), "weights must be sorted, largest first"
    assert (joints[weights == 0] == 0).all(), "a zero weight must name joint 0"
    for row_j, row_w in zip(joints, weights, strict=True):
        used = row_j[row_w > 0]
        assert len(set(used.tolist())) == len(used), "duplicate joint in one vertex"


def test_body_has_more_than_four_influences(body):
    # The fixture must exercise the top-4 cut.
    assert (body.skin_weights > 0).sum(axis=1).max() == 5


def test_own_weights_on_own_vertices_are_reproduced(body):
    skin = transfer_skin_weights(body.mesh.vertices, body.mesh.faces, body)
    check_binding_invariants(skin.joints, skin.weights)
    assert skin.distance_m.max() < 1e-5
    assert not skin.inpainted.any()
    want_j, want_w = top_influences(body.skin_weights)
    np.testing.assert_allclose(dense(skin.joints, skin.weights), dense(want_j, want_w), atol=2e-5)
    # and the top-4 renormalised weights are what the body holds where it has <= 4
    few = (body.skin_weights > 0).sum(axis=1) <= 4
    np.testing.assert_allclose(dense(skin.joints, skin.weights)[few], body.skin_weights[few], atol=2e-5)


def test_displaced_copy_keeps_close_weights(body):
    shell = body.mesh.vertices + 0.01 * body.mesh.normals  # 1 cm outwards
    skin = transfer_skin_weights(shell, body.mesh.faces, body)
    check_binding_invariants(skin.joints, skin.weights)
    assert 0.005 < np.median(skin.distance_m) < 0.0105
    want = dense(*top_influences(body.skin_weights))
    err = np.abs(dense(skin.joints, skin.weights) - want).max(axis=1)
    assert np.median(err) < 0.02
    assert err.max() < 0.15


def test_far_vertices_take_weights_from_their_surface_not_the_nearest_body_part(body):
    """A patch pulled far away towards the hand (like hair hanging off the arm) gets,
    by closest point, hand weights; inpainting over the target mesh restores weights
    much closer to those of the surface it belongs to."""
    verts = body.mesh.vertices.astype(np.float64).copy()
    world = body.skeleton.world_transforms.astype(np.float64)
    elbow, wrist = world[JOINT_INDEX["right_elbow"], :3, 3], world[JOINT_INDEX["right_wrist"], :3, 3]
    near_elbow = np.linalg.norm(verts - elbow, axis=1) < 0.07
    assert 20 < near_elbow.sum() < len(verts) // 4
    verts[near_elbow] += (wrist - elbow) * 0.9 + 0.12 * body.mesh.normals[near_elbow]
    truth = dense(*top_influences(body.skin_weights))

    normals = body.mesh.normals  # the patch's own normals (the distance test is under test)
    raw = transfer_skin_weights(verts, body.mesh.faces, body, SkinOptions(10.0, 180.0, drop_islands=False), normals)
    assert not raw.inpainted.any()
    fixed = transfer_skin_weights(verts, body.mesh.faces, body, target_normals=normals)
    check_binding_invariants(fixed.joints, fixed.weights)
    assert fixed.inpainted[near_elbow].mean() > 0.8
    assert not fixed.inpainted[~near_elbow].any()
    far = fixed.inpainted
    raw_err = np.abs(dense(raw.joints, raw.weights) - truth)[far].sum(axis=1).mean()
    fixed_err = np.abs(dense(fixed.joints, fixed.weights) - truth)[far].sum(axis=1).mean()
    assert fixed_err < 0.3 * raw_err, (raw_err, fixed_err)
    # matched vertices keep their closest-point weights
    np.testing.assert_array_equal(fixed.weights[~far], raw.weights[~far])


def test_flipped_normals_are_inpainted(body):
    normals = body.mesh.normals.astype(np.float64).copy()
    patch = np.arange(len(normals)) % 7 == 0
    normals[patch] *= -1.0
    skin = transfer_skin_weights(body.mesh.vertices, body.mesh.faces, body, target_normals=normals)
    np.testing.assert_array_equal(skin.inpainted, patch)
    # inpainted from exact neighbours on a smooth field: close to the truth
    truth = dense(*top_influences(body.skin_weights))
    assert np.abs(dense(skin.joints, skin.weights) - truth)[patch].max() < 0.1
    off = transfer_skin_weights(
        body.mesh.vertices, body.mesh.faces, body, SkinOptions(max_normal_angle_deg=180.0, drop_islands=False),
        target_normals=normals,
    )
    assert not off.inpainted.any()


def test_gap_between_fingers():
    """Two parallel fingers 1 cm apart bound to different joints; a glove 8 mm off the
    first finger is nearer the second finger on the side facing it. The normal test
    keeps that side on the first finger's joint."""
    from tests.builders.synthetic_arm import tube

    from hoiexport.sdk.core.skeleton import SMPL_JOINT_NAMES, SMPL_PARENTS
    from hoiexport.sdk.core.types import BodyFit, Mesh, Skeleton

    a = tube(np.array([0.0, 0.0, 0.0]), np.array([0.0, 0.0, 0.08]), 0.008, 12, 16)
    b = tube(np.array([0.026, 0.0, -0.03]), np.array([0.026, 0.0, 0.11]), 0.008, 16, 16)
    both = trimesh.util.concatenate([a, b])
    weights = np.zeros((len(both.vertices), 24), np.float32)
    weights[: len(a.vertices), JOINT_INDEX["right_wrist"]] = 1.0
    weights[len(a.vertices) :, JOINT_INDEX["right_hand"]] = 1.0
    body = BodyFit(
        "test", {}, Skeleton(list(SMPL_JOINT_NAMES), SMPL_PARENTS, np.tile(np.eye(4), (24, 1, 1))),
        Mesh(both.vertices, both.faces), weights, np.zeros(len(both.vertices), np.int8),
    )
    glove = a.vertices + 0.008 * a.vertex_normals
    raw = transfer_skin_weights(glove, a.faces, body, SkinOptions(max_normal_angle_deg=180.0))
    fixed = transfer_skin_weights(glove, a.faces, body)
    wrong_raw = (raw.joints[:, 0] != JOINT_INDEX["right_wrist"]).sum()
    assert wrong_raw > 5  # the trap is real
    assert (fixed.joints[:, 0] == JOINT_INDEX["right_wrist"]).all()
    assert (fixed.weights[:, 0] == 1.0).all()


def test_target_from_another_mesh(body):
    # Points sampled on the surface, not at its vertices (as after prepare's decimation).
    tm = trimesh.Trimesh(body.mesh.vertices, body.mesh.faces, process=False)
    pts, _ = trimesh.sample.sample_surface_even(tm, 300, seed=3)
    skin = transfer_skin_weights(pts, np.zeros((0, 3), np.int64), body)
    check_binding_invariants(skin.joints, skin.weights)
    # each sample's weights are a blend of the weights of its closest triangle's corners
    _, _, tri = trimesh.proximity.closest_point(tm, pts)
    corner = dense(*top_influences(body.skin_weights))[body.mesh.faces[tri]]
    got = dense(skin.joints, skin.weights)
    assert (got <= corner.max(axis=1) + 0.05).all()


def test_top_influences_cut_and_exact_sum():
    rng = np.random.default_rng(0)
    w = rng.random((500, 24)) ** 4
    w[0] = 0.0
    w[0, 7] = 1.0
    joints, weights = top_influences(w)
    check_binding_invariants(joints, weights)
    assert joints[0, 0] == 7 and weights[0, 0] == 1.0 and (joints[0, 1:] == 0).all()
    order = np.argsort(-w, axis=1)[:, :4]
    np.testing.assert_array_equal(joints[1:], order[1:])
    kept = np.take_along_axis(w, order, axis=1)
    np.testing.assert_allclose(weights, kept / kept.sum(axis=1, keepdims=True), atol=1e-6)
    with pytest.raises(ExportError, match="all zero"):
        top_influences(np.zeros((2, 24)))


def test_rigid_binding():
    b = rigid_binding(5, 21)
    assert b.rigid_joint == 21
    check_binding_invariants(b.joints, b.weights)
    assert (b.joints[:, 0] == 21).all() and (b.weights[:, 0] == 1.0).all()
    with pytest.raises(InputError):
        rigid_binding(5, -1)


def _contact(part: str, area: float) -> Contact:
    return Contact(part, HAND_JOINT.get(part, "pelvis"), np.zeros(3), np.zeros(3), [0, 1, 0], 0.0, area)


def test_choose_object_joint():
    assert choose_object_joint([], "right_hand") == "right_wrist"
    assert choose_object_joint([], ContactConfig.LEFT_HAND) == "left_wrist"
    assert choose_object_joint([], "both_hands") == "right_wrist"
    both = [_contact("right_hand", 0.001), _contact("left_hand", 0.003)]
    assert choose_object_joint(both, "both_hands") == "left_wrist"
    assert choose_object_joint(both[:1] + [_contact("left_hand", 0.001)], "both_hands") == "right_wrist"
    for cfg in ("back", "right_leg", "left_leg", "no_contact", "other"):
        assert choose_object_joint(both, cfg) is None
    with pytest.raises(InputError, match="unknown contact configuration"):
        choose_object_joint([], "juggling")


def test_export_skeleton_chains_back_to_bind(body):
    skel = export_skeleton(body)
    world = np.empty_like(skel.rest_local)
    for j, p in enumerate(skel.parents):
        world[j] = skel.rest_local[j] if p < 0 else world[p] @ skel.rest_local[j]
    np.testing.assert_allclose(world, skel.bind_world, atol=1e-6)
    assert skel.joint_names[0] == "pelvis" and skel.parents[0] == -1


def test_add_root_joint_shifts_indices(body):
    skel = export_skeleton(body)
    tex = Texture(np.zeros((4, 4, 3), np.uint8))
    n = 6
    skin = top_influences(np.eye(24)[[0, 3, 21, 21, 9, 0]] * 0.7 + np.eye(24)[[1, 6, 19, 23, 12, 2]] * 0.3)
    mesh = ExportMesh(
        "human", np.zeros((n, 3), np.float32), np.tile([0, 1, 0], (n, 1)).astype(np.float32),
        np.zeros((n, 2), np.float32), np.array([[0, 1, 2]], np.uint32), tex, 0.5, *skin,
    )
    rigid = rigid_binding(n, 21)
    obj = dataclasses.replace(mesh, name="object", joints=rigid.joints, weights=rigid.weights, rigid_joint=21)
    socket = ExportSocket("SOCKET_contact_right_hand", 21, np.eye(4), {})
    scene = ExportScene("a", skel, [mesh, obj], [socket])
    out = add_root_joint(scene)
    assert out.skeleton.joint_names == [ROOT_JOINT, *skel.joint_names]
    assert out.skeleton.parents[0] == -1 and out.skeleton.parents[1] == 0
    np.testing.assert_array_equal(out.skeleton.parents[2:], skel.parents[1:] + 1)
    np.testing.assert_array_equal(out.skeleton.bind_world[0], np.eye(4))
    np.testing.assert_allclose(out.skeleton.bind_world[1:], skel.bind_world)
    # the same joints by name, weights unchanged, zero-weight slots still on joint 0
    names_before = np.array(skel.joint_names)[mesh.joints][mesh.weights > 0]
    names_after = np.array(out.skeleton.joint_names)[out.meshes[0].joints][out.meshes[0].weights > 0]
    np.testing.assert_array_equal(names_before, names_after)
    assert (out.meshes[0].joints[out.meshes[0].weights == 0] == 0).all()
    assert out.meshes[1].rigid_joint == 22 and out.sockets[0].joint == 22
    assert add_root_joint(out) is out
    assert scene.skeleton.joint_names[0] == "pelvis"  # the input is not modified


def test_bad_input(body):
    with pytest.raises(InputError, match="target_vertices"):
        transfer_skin_weights(np.zeros((3, 2)), np.zeros((0, 3), int), body)
    with pytest.raises(InputError, match="out of range"):
        transfer_skin_weights(np.zeros((3, 3)), np.array([[0, 1, 5]]), body)
    with pytest.raises(InputError, match="NaN"):
        transfer_skin_weights(np.full((3, 3), np.nan), np.zeros((0, 3), int), body)
    with pytest.raises(InputError, match="target_normals"):
        transfer_skin_weights(body.mesh.vertices, body.mesh.faces, body, target_normals=np.zeros((2, 3)))
    with pytest.raises(InputError, match="smooth_distance_m"):
        SkinOptions(smooth_distance_m=-1.0)
    with pytest.raises(InputError, match="max_normal_angle_deg"):
        SkinOptions(max_normal_angle_deg=200.0)


def test_a_limb_matched_onto_another_it_touches_is_inpainted(body):
    """Tip vertices of the hand lying on the upper arm (as a hand rests on a thigh) are
    matched onto that other limb: an island of shoulder weights inside the hand,
    inpainted from the hand rather than kept."""
    verts = body.mesh.vertices.astype(np.float64).copy()
    label = np.argmax(body.skin_weights, axis=1)
    hand = np.flatnonzero(label == JOINT_INDEX["right_hand"])
    world = body.skeleton.world_transforms.astype(np.float64)
    wrist = world[JOINT_INDEX["right_wrist"], :3, 3]
    tip = hand[np.argsort(-np.linalg.norm(verts[hand] - wrist, axis=1))[:12]]  # the far end of the hand
    upper = np.flatnonzero(label == JOINT_INDEX["right_shoulder"])[: len(tip)]
    verts[tip] = body.mesh.vertices[upper] + 0.002 * body.mesh.normals[upper]  # just off the upper arm
    kept = transfer_skin_weights(verts, body.mesh.faces, body, SkinOptions(max_normal_angle_deg=180.0, drop_islands=False))
    fixed = transfer_skin_weights(verts, body.mesh.faces, body, SkinOptions(max_normal_angle_deg=180.0))
    assert (kept.joints[tip, 0] == JOINT_INDEX["right_shoulder"]).all()
    assert fixed.inpainted[tip].all()
    assert np.isin(fixed.joints[tip, 0], [JOINT_INDEX["right_wrist"], JOINT_INDEX["right_hand"]]).all()
    assert not fixed.inpainted[np.setdiff1d(np.arange(len(verts)), tip)].any()
