"""The one differentiable poser (`bodies/poser.py`) against the NumPy kinematics
and the body model's own forward, its gradients, and the shape spaces."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from hoiexport.sdk.bodies import kinematics
from hoiexport.sdk.bodies.poser import (
    KinematicTree,
    Poser,
    blend_skin,
    bone_offsets,
    chain,
    rodrigues,
)
from hoiexport.sdk.bodies.protocol import ShapeSpace
from hoiexport.sdk.core.errors import InputError
from hoiexport.sdk.core.skeleton import SMPL_PARENTS

PARENTS = tuple(int(p) for p in SMPL_PARENTS)


@pytest.fixture(scope="module")
def body(anny):
    return anny


def _pose(rng: np.random.Generator, *batch: int, sigma: float = 0.4) -> torch.Tensor:
    return torch.as_tensor(rng.normal(0.0, sigma, (*batch, 24, 3)), dtype=torch.float32)


def test_rodrigues_agrees_with_the_numpy_kinematics_and_is_smooth_at_zero() -> None:
    rotvec = torch.as_tensor(np.random.default_rng(0).normal(0.0, 1.0, (2, 50, 3)))
    ours = rodrigues(rotvec)
    assert ours.shape == (2, 50, 3, 3) and ours.dtype == torch.float64
    torch.testing.assert_close(ours, kinematics.rodrigues(rotvec), atol=1e-7, rtol=0)
    zero = torch.zeros(4, 3, requires_grad=True)
    torch.testing.assert_close(rodrigues(zero), torch.eye(3).expand(4, 3, 3))
    (rodrigues(zero) * torch.arange(9.0).reshape(3, 3)).sum().backward()
    assert torch.isfinite(zero.grad).all() and zero.grad.abs().sum() > 0


def test_chain_agrees_with_the_numpy_chain() -> None:
    rng = np.random.default_rng(1)
    local = rodrigues(_pose(rng, 3))
    rest = torch.as_tensor(rng.normal(0.0, 0.3, (24, 3)), dtype=torch.float32)
    tree = KinematicTree.of(PARENTS)
    world_r, world_p = chain(local, bone_offsets(rest, tree), tree)
    ref_r, ref_p = kinematics.chain(local.double(), rest.double().expand(3, -1, -1), PARENTS)
    torch.testing.assert_close(world_r.double(), ref_r, atol=1e-5, rtol=0)
    torch.testing.assert_close(world_p.double(), ref_p, atol=1e-5, rtol=0)


def test_tree_needs_joint_zero_as_its_only_root_and_parents_first() -> None:
    with pytest.raises(ValueError, match="only root"):
        KinematicTree.of((-1, 0, -1))
    with pytest.raises(ValueError, match="before their children"):
        KinematicTree.of((-1, 2, 0))
    assert KinematicTree.of(PARENTS) is KinematicTree.of(PARENTS)


def test_pose_equals_the_body_models_forward(body) -> None:
    shape = {"age": 0.8, "weight": 0.3}
    poser = Poser.of_body(body, shape)
    rng = np.random.default_rng(2)
    poses, transl = _pose(rng, 3), torch.as_tensor(rng.normal(0.0, 0.5, (3, 3)), dtype=torch.float32)
    ref = body.forward(poses, shape, transl)
    verts, world = poser.pose(poses, transl)  # batched
    assert verts.shape == (3, 13718, 3) and world.shape == (3, 24, 4, 4)
    torch.testing.assert_close(verts, ref.vertices, atol=1e-5, rtol=0)
    torch.testing.assert_close(world, ref.joint_transforms, atol=1e-5, rtol=0)
    index = torch.tensor([0, 77, 5000, 13717])
    one_v, one_w = poser.pose(poses[1], transl[1], index)  # one body, a subset
    torch.testing.assert_close(one_v, ref.vertices[1, index], atol=1e-5, rtol=0)
    torch.testing.assert_close(one_w, ref.joint_transforms[1], atol=1e-5, rtol=0)


def test_the_numpy_fast_path_and_batches_agree_with_the_torch_path(body) -> None:
    subset = np.sort(np.random.default_rng(3).choice(13718, 500, replace=False))
    poser = Poser.of_body(body, None).subset(subset)
    assert poser.num_vertices == 500 and poser.reproduces(body, None, subset)
    poses = _pose(np.random.default_rng(4), 4)
    with torch.no_grad():
        torch_path = poser.pose(poses)[0]
        full = body.forward(poses).vertices[:, subset]
    torch.testing.assert_close(poser.skin(poses[2]), torch_path[2], atol=1e-5, rtol=0)
    torch.testing.assert_close(poser.skin_batch(poses), full, atol=1e-5, rtol=0)
    torch.testing.assert_close(torch_path, full, atol=1e-5, rtol=0)


def test_gradients_flow_to_pose_and_translation(body) -> None:
    poser = Poser.of_body(body)
    pose = _pose(np.random.default_rng(5)).requires_grad_(True)
    transl = torch.zeros(3, requires_grad=True)
    verts, world = poser.pose(pose, transl, torch.arange(0, 13718, 7))
    (verts.square().sum() + world[:, :3, 3].sum()).backward()
    assert torch.isfinite(pose.grad).all() and (pose.grad.abs().sum(dim=1) > 0).sum() >= 20
    torch.testing.assert_close(transl.grad, 2 * verts.detach().sum(0) + 24.0)


def test_pose_gradients_match_finite_differences() -> None:
    rng = np.random.default_rng(6)
    rest_v = torch.as_tensor(rng.normal(0.0, 0.4, (15, 3)))
    rest_j = torch.as_tensor(rng.normal(0.0, 0.3, (24, 3)))
    weights = torch.as_tensor(rng.dirichlet(np.full(24, 0.3), size=15))
    poser = Poser(rest_v, rest_j, weights, PARENTS)
    pose = torch.as_tensor(rng.normal(0.0, 0.5, (24, 3))).requires_grad_(True)
    transl = torch.as_tensor(rng.normal(0.0, 0.5, 3)).requires_grad_(True)
    assert torch.autograd.gradcheck(lambda p, t: poser.pose(p, t), (pose, transl), eps=1e-7, atol=1e-6)
    # the NumPy fast path computes the same function
    with torch.no_grad():
        torch.testing.assert_close(poser.skin(pose), poser.pose(pose)[0], atol=1e-10, rtol=0)


def test_blend_skin_at_the_rest_pose_is_the_rest_body() -> None:
    rng = np.random.default_rng(7)
    rest_v = torch.as_tensor(rng.normal(0.0, 0.4, (10, 3)))
    rest_j = torch.as_tensor(rng.normal(0.0, 0.3, (24, 3)))
    weights = torch.as_tensor(rng.dirichlet(np.full(24, 0.3), size=10))
    tree = KinematicTree.of(PARENTS)
    world_r, world_p = chain(torch.eye(3, dtype=torch.float64).expand(24, 3, 3), bone_offsets(rest_j, tree), tree)
    torch.testing.assert_close(world_p, rest_j)
    torch.testing.assert_close(blend_skin(world_r, world_p, rest_j, rest_v, weights), rest_v)


def test_anny_shape_space(body) -> None:
    space = body.shape_space
    assert isinstance(space, ShapeSpace)
    assert space.names == ("gender", "age", "muscle", "weight", "height", "proportions") and space.size == 6
    assert space.bounds == (0.0, 1.0) and space.prior_centre == "start"
    np.testing.assert_array_equal(space.default, np.full(6, 0.5))
    values = space.vector({"height": 0.7, "age": 0.2})
    np.testing.assert_array_equal(values, [0.5, 0.2, 0.5, 0.5, 0.7, 0.5])
    assert space.to_json(values) == body.phenotype({"height": 0.7, "age": 0.2})
    np.testing.assert_array_equal(space.vector(space.to_json(values)), values)
    with pytest.raises(InputError, match="unknown Anny shape"):
        space.vector({"size": 0.5})
    clamped = space.clamp(torch.tensor([-1.0, 0.5, 2.0]), 1e-3)
    assert clamped.tolist() == pytest.approx([1e-3, 0.5, 1 - 1e-3])
    # the rest body as a differentiable function of the vector
    batch = torch.as_tensor(np.stack([values, space.default]), dtype=torch.float64).requires_grad_(True)
    rest_v, rest_j = space.rest(batch)
    with torch.no_grad():
        ref = body.forward(torch.zeros(2, 24, 3), space.to_json(values))
    torch.testing.assert_close(rest_v[0], ref.vertices[0])
    torch.testing.assert_close(rest_j[0], ref.rest_joints[0])
    rest_v[:, :, 1].sum().backward()
    assert batch.grad[:, 4].abs().min() > 0  # height moves the vertices
