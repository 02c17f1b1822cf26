"""The Anny body model over SMPL-24: mapping, skinning, posing equality, frames, shape."""

from __future__ import annotations

import logging
import os
import shutil

import numpy as np
import pytest
import torch
import trimesh

from hoiexport.sdk.bodies import BodyParams, load_body_model
from hoiexport.sdk.bodies.anny_body import (
    ANNY_TO_INTERNAL,
    AnnyBody,
    joint_anchor_bones,
    smpl_joint_of_anny_bone,
)
from hoiexport.sdk.bodies.anny_cache import build_notice, configure_warp, load_anny_model, prune_anny_cache
from hoiexport.sdk.bodies.protocol import BodyModel
from hoiexport.sdk.core.errors import InputError, ModelUnavailableError
from hoiexport.sdk.core.skeleton import JOINT_INDEX, SMPL_JOINT_NAMES
from hoiexport.sdk.core.types import BODY_PARTS, BodyFit


@pytest.fixture(scope="module")
def body() -> AnnyBody:
    model = load_body_model("anny")  # cached per process: built once, then ~0.1 s
    assert isinstance(model, AnnyBody)
    return model


def _anny_vertices_with_smpl_transforms(body: AnnyBody, out, phenotype: dict) -> torch.Tensor:
    """Pose Anny itself so every bone moves rigidly with its SMPL joint; internal frame."""
    anny_model = body.anny_model
    dtype = anny_model.dtype
    c = torch.eye(4, dtype=dtype)
    c[:3, :3] = torch.as_tensor(ANNY_TO_INTERNAL, dtype=dtype)
    batch = out.vertices.shape[0]
    to_rest = torch.eye(4, dtype=dtype).repeat(batch, 24, 1, 1)
    to_rest[..., :3, 3] = -out.rest_joints.to(dtype)
    skin_internal = out.joint_transforms.to(dtype) @ to_rest  # G_j [I | -j_rest]
    skin_anny = c.T @ skin_internal @ c
    rest = anny_model(None, phenotype_kwargs=phenotype)  # rest_bone_poses P_c of this phenotype
    bone_world = skin_anny[:, torch.as_tensor(body.bone_joints)] @ rest["rest_bone_poses"]
    posed = anny_model(bone_world, phenotype_kwargs=phenotype, pose_parameterization="world")
    return posed, c[:3, :3]


def test_is_a_body_model(body):
    assert isinstance(body, BodyModel)
    assert load_body_model("anny") is body
    assert body.faces.shape == (27420, 3) and body.faces.dtype == np.int32
    assert len(body.bone_labels) == 104


def test_every_anny_bone_maps_to_exactly_one_smpl_joint(body):
    joints = [smpl_joint_of_anny_bone(b) for b in body.bone_labels]
    assert all(j in JOINT_INDEX for j in joints)
    assert set(joints) == set(SMPL_JOINT_NAMES)  # every SMPL joint receives at least one bone
    assert np.array_equal(body.bone_joints, [JOINT_INDEX[j] for j in joints])
    expect = {
        "root": "pelvis",
        "spine05": "pelvis",
        "spine03": "spine1",
        "spine01": "spine3",
        "neck02": "neck",
        "eye.L": "head",
        "upperleg02.L": "left_hip",
        "lowerleg01.R": "right_knee",
        "foot.L": "left_ankle",
        "toe5-3.R": "right_foot",
        "shoulder01.L": "left_collar",
        "upperarm02.R": "right_shoulder",
        "lowerarm02.L": "left_elbow",
        "metacarpal3.R": "right_wrist",
        "finger1-1.L": "left_hand",
    }
    for bone, joint in expect.items():
        assert smpl_joint_of_anny_bone(bone) == joint, bone
    # face bones of larger Anny rigs go to the head
    assert smpl_joint_of_anny_bone("jaw") == "head"
    assert smpl_joint_of_anny_bone("orbicularis03.L") == "head"
    with pytest.raises(ModelUnavailableError, match="tail01"):
        smpl_joint_of_anny_bone("tail01")
    for joint in SMPL_JOINT_NAMES:
        for bone in joint_anchor_bones(joint):
            assert smpl_joint_of_anny_bone(bone) == joint


def test_smpl24_weights_sum_to_one_and_cover_every_joint(body):
    w = body.skin_weights
    assert w.shape == (13718, 24) and w.dtype == np.float32
    np.testing.assert_allclose(w.sum(axis=1), 1.0, atol=1e-6)
    assert (w >= 0).all()
    dominant = np.bincount(w.argmax(axis=1), minlength=24)
    assert (dominant >= 20).all(), f"every SMPL joint must lead some vertices: {dominant}"


@pytest.mark.parametrize("dtype,tol", [(torch.float64, 1e-6), (torch.float32, 1e-4)])
def test_posing_through_24_joints_equals_anny_forward(body, dtype, tol):
    gen = torch.Generator().manual_seed(7)
    pose = (0.5 * torch.randn(2, 24, 3, generator=gen, dtype=torch.float64)).to(dtype)
    phenotype = {"gender": torch.tensor([0.1, 0.9]), "age": 0.7, "weight": torch.tensor([0.3, 0.8])}
    transl = torch.tensor([[0.2, -0.1, 0.5], [0.0, 1.0, 0.0]], dtype=dtype)
    out = body.forward(pose, phenotype, transl)
    anny_phenotype = {k: (v.double() if torch.is_tensor(v) else v) for k, v in phenotype.items()}
    posed, to_internal = _anny_vertices_with_smpl_transforms(body, out, anny_phenotype)
    anny_vertices = posed["vertices"] @ to_internal.T
    err = (anny_vertices - out.vertices.double()).abs().max().item()
    assert err <= tol, f"max vertex difference {err:.2e} m"

    # Same pose expressed in Anny's native local parameters (its default, 'local-ref').
    local = body.anny_model.get_pose_parameterization(posed, "local-ref")
    native = body.anny_model(local, phenotype_kwargs=anny_phenotype)["vertices"] @ to_internal.T
    err_native = (native - out.vertices.double()).abs().max().item()
    assert err_native <= tol, f"max vertex difference {err_native:.2e} m (local-ref)"


def test_rest_pose_is_identity(body):
    out = body.forward(torch.zeros(1, 24, 3))
    eye = torch.eye(3).expand(24, 3, 3)
    torch.testing.assert_close(out.joint_transforms[0, :, :3, :3], eye)
    torch.testing.assert_close(out.joints, out.rest_joints)
    # A-pose: arms about 45° down, not a T-pose
    j = out.joints[0].numpy()
    arm = j[JOINT_INDEX["left_wrist"]] - j[JOINT_INDEX["left_shoulder"]]
    assert 25 < np.degrees(np.arctan2(-arm[1], arm[0])) < 70


def test_internal_frame_y_up_faces_plus_z_left_is_plus_x(body):
    out = body.forward(torch.zeros(1, 24, 3))
    v, j = out.vertices[0].numpy(), out.joints[0].numpy()
    labels = body.part_labels
    head = labels == BODY_PARTS.index("head")
    feet = np.isin(labels, [BODY_PARTS.index("left_foot"), BODY_PARTS.index("right_foot")])
    assert v[head, 1].min() > v[feet, 1].max() + 1.0  # head above feet along +Y
    assert j[JOINT_INDEX["head"], 1] > j[JOINT_INDEX["pelvis"], 1] > j[JOINT_INDEX["left_ankle"], 1]
    # the nose (most forward head vertex above the neck) is in front of the head joint: faces +Z
    face = head & (v[:, 1] > j[JOINT_INDEX["head"], 1])
    nose = v[face][np.argmax(v[face, 2])]
    assert nose[2] > j[JOINT_INDEX["head"], 2] + 0.08
    assert abs(nose[0]) < 0.01
    # toes point forward too
    assert j[JOINT_INDEX["left_foot"], 2] > j[JOINT_INDEX["left_ankle"], 2] + 0.05
    # the character's left is +X
    assert j[JOINT_INDEX["left_wrist"], 0] > 0.3 and j[JOINT_INDEX["right_wrist"], 0] < -0.3
    assert v[labels == BODY_PARTS.index("left_hand"), 0].min() > 0.3
    assert np.linalg.det(ANNY_TO_INTERNAL) == pytest.approx(1.0)


def test_mesh_is_closed_and_outward(body):
    v = body.forward(torch.zeros(1, 24, 3)).vertices[0].numpy()
    mesh = trimesh.Trimesh(v, body.faces, process=False)
    assert mesh.is_watertight
    assert mesh.volume > 0.03  # counter-clockwise faces seen from outside → positive volume


def test_phenotype_height_changes_height(body):
    def stature(height: float) -> float:
        v = body.forward(torch.zeros(1, 24, 3), {"height": height, "age": 0.67}).vertices[0]
        return float(v[:, 1].max() - v[:, 1].min())

    short, mid, tall = stature(0.0), stature(0.5), stature(1.0)
    assert short < mid < tall
    assert tall - short > 0.15
    assert 1.4 < mid < 2.0


def test_shape_is_validated(body):
    with pytest.raises(InputError, match="unknown Anny shape key"):
        body.forward(torch.zeros(1, 24, 3), {"betas": [0.0]})
    with pytest.raises(InputError, match="'age' must be in"):
        body.forward(torch.zeros(1, 24, 3), {"age": 1.5})
    with pytest.raises(InputError, match=r"pose must be \(B, 24, 3\)"):
        body.forward(torch.zeros(1, 23, 3))
    assert body.phenotype({"muscle": 0.2}) == {
        "gender": 0.5, "age": 0.5, "muscle": pytest.approx(0.2), "weight": 0.5, "height": 0.5, "proportions": 0.5
    }


def test_forward_is_differentiable(body):
    pose = (0.2 * torch.randn(1, 24, 3)).requires_grad_()
    transl = torch.zeros(1, 3, requires_grad=True)
    scale = torch.ones(1, requires_grad=True)
    weight = torch.tensor([0.4], requires_grad=True)
    out = body.forward(pose, {"weight": weight}, transl, scale)
    (out.vertices.square().sum() + out.joints.sum()).backward()
    for t in (pose, transl, scale, weight):
        assert t.grad is not None and torch.isfinite(t.grad).all() and t.grad.abs().sum() > 0


def test_scale_and_translation(body):
    pose = 0.3 * torch.randn(1, 24, 3)
    base = body.forward(pose)
    moved = body.forward(pose, transl=torch.tensor([[1.0, 2.0, 3.0]]), scale=2.0)
    torch.testing.assert_close(moved.vertices, 2.0 * base.vertices + torch.tensor([1.0, 2.0, 3.0]))
    torch.testing.assert_close(moved.joints, 2.0 * base.joints + torch.tensor([1.0, 2.0, 3.0]))
    torch.testing.assert_close(moved.joint_transforms[..., :3, :3], base.joint_transforms[..., :3, :3])


def test_fit_builds_a_consistent_body_fit(body):
    rng = np.random.default_rng(3)
    params = BodyParams(
        pose=(0.3 * rng.standard_normal((24, 3))).astype(np.float32),
        shape={"gender": 0.2, "height": 0.8},
        transl=np.array([0.0, 0.9, 0.0], np.float32),
    )
    fit = body.fit(params)
    assert isinstance(fit, BodyFit) and fit.model == "anny"
    assert fit.mesh.vertices.shape == (13718, 3) and fit.mesh.normals.shape == (13718, 3)
    assert fit.skeleton.joint_names == list(SMPL_JOINT_NAMES)
    assert fit.skin_weights.shape == (13718, 24) and fit.part_labels.shape == (13718,)
    assert fit.params["phenotype"]["height"] == pytest.approx(0.8)
    out = body.forward(torch.as_tensor(params.pose)[None], params.shape, torch.as_tensor(params.transl)[None])
    np.testing.assert_allclose(fit.mesh.vertices, out.vertices[0].detach().numpy(), atol=1e-6)
    np.testing.assert_allclose(fit.joints, out.joints[0].detach().numpy(), atol=1e-6)
    again = body.fit(BodyParams.from_json(fit.params))
    np.testing.assert_allclose(again.mesh.vertices, fit.mesh.vertices, atol=1e-6)
    fit.skin_weights[:] = 0  # the fit owns its arrays
    assert body.skin_weights.sum() > 0


def test_uv_mesh_splits_seams_and_keeps_corner_uvs(body):
    fit = body.fit(BodyParams())
    split, vertex_map = body.uv_mesh(fit.mesh)
    assert split.uv is not None and len(split.uv) == len(split.vertices) == len(vertex_map)
    assert len(split.vertices) > len(fit.mesh.vertices)
    assert split.faces.shape == body.faces.shape
    np.testing.assert_array_equal(vertex_map[split.faces], body.faces)
    np.testing.assert_array_equal(split.uv[split.faces], body.corner_uv[body.face_uv_indices])
    np.testing.assert_array_equal(split.vertices, fit.mesh.vertices[vertex_map])
    assert split.uv.min() >= 0.0 and split.uv.max() <= 1.0
    with pytest.raises(InputError, match="topology"):
        body.uv_mesh(trimesh_box_mesh())


def trimesh_box_mesh():
    from hoiexport.sdk.core.types import Mesh

    box = trimesh.creation.box()
    return Mesh(vertices=box.vertices, faces=box.faces, name="box")


def test_build_notice_is_printed_when_anny_starts_building(capsys, tmp_path):
    import inspect

    import anny.models.model_data as model_data

    assert "No cached model data found" in inspect.getsource(model_data.cache_builder)
    logger = logging.getLogger("anny.models.model_data")
    with build_notice(tmp_path):
        logger.info("Loading cached model data from x")
    assert capsys.readouterr().err == ""
    with build_notice(tmp_path):
        logger.info(f"No cached model data found at {tmp_path}/x, building model data...")
        logger.info(f"No cached model data found at {tmp_path}/y, building model data...")
    err = capsys.readouterr().err
    assert err.count("building the Anny body model once") == 1
    assert str(tmp_path) in err and "built in" in err
    assert logger.level == logging.NOTSET and not logger.filters


def test_configure_warp_points_its_kernel_cache_into_ours(monkeypatch, tmp_path):
    monkeypatch.setenv("HOIEXPORT_CACHE", str(tmp_path))
    monkeypatch.setenv("WARP_CACHE_PATH", "unset-below")  # so monkeypatch restores the original value
    monkeypatch.delenv("WARP_CACHE_PATH")
    configure_warp()
    assert os.environ["WARP_CACHE_PATH"] == str(tmp_path / "warp")


def test_prune_keeps_only_the_compact_file_and_anny_still_loads(monkeypatch, tmp_path, body):
    import anny.paths

    source = anny.paths.get_anny_cache_path()
    files = sorted(source.glob("v*/*.safetensors"))
    target = tmp_path / "anny"
    for f in files:
        dest = target / f.parent.name / f.name
        dest.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.link(f, dest)  # same bytes, no copy; removing the link leaves the original
        except OSError:
            if not f.name.startswith("build_compact_model_data_"):
                continue
            shutil.copy(f, dest)
    monkeypatch.setenv("HOIEXPORT_CACHE", str(tmp_path))
    try:
        report = prune_anny_cache()
        left = sorted(p.name for p in target.glob("v*/*"))
        assert left and all(n.startswith("build_compact_model_data_") for n in left)
        assert {p.name for p in report.removed}.isdisjoint(left)
        assert report.freed_bytes == sum(f.stat().st_size for f in files if f.name not in left)
        pruned = AnnyBody(load_anny_model())  # loads from the compact file only, no rebuild
        np.testing.assert_array_equal(pruned.skin_weights, body.skin_weights)
    finally:
        anny.paths.set_anny_cache_path(source)
    assert all(f.exists() for f in files)


def test_rest_shapes_are_remembered_without_aliasing(body):
    """A shape without gradient is blended once; callers get copies, and shapes with gradient still differentiate."""
    shape = {"height": 0.63, "weight": 0.41}
    pose = torch.zeros(1, 24, 3)
    with torch.no_grad():
        first = body.forward(pose, shape)
        first.vertices.add_(1.0)  # a caller scribbling on its result
        first.rest_joints.add_(1.0)
        second = body.forward(pose, shape)
        fresh = body.forward(pose, {"height": 0.63, "weight": 0.45})
    assert torch.allclose(second.vertices, first.vertices - 1.0, atol=1e-6)
    assert torch.allclose(second.rest_joints, first.rest_joints - 1.0, atol=1e-6)
    assert not torch.allclose(second.vertices, fresh.vertices)  # a different shape is a different key
    height = torch.tensor(0.63, dtype=torch.float64, requires_grad=True)
    out = body.forward(pose, {"height": height, "weight": 0.41})
    out.vertices[..., 1].max().backward()
    assert height.grad is not None and float(height.grad) > 0
