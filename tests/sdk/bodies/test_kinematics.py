"""The NumPy forward kinematics with analytic gradients (`bodies/kinematics.py`)
against smplx's torch code, and its gradients against finite differences."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hoiexport.sdk.bodies import kinematics
from hoiexport.sdk.bodies.skinning import pose_skeleton
from hoiexport.sdk.core.skeleton import SMPL_PARENTS
from smplx.lbs import batch_rigid_transform, batch_rodrigues

PARENTS = tuple(int(p) for p in SMPL_PARENTS)


def _rest_joints(batch: int, rng: np.random.Generator) -> torch.Tensor:
    return torch.as_tensor(rng.normal(0.0, 0.3, (batch, len(PARENTS), 3)))


@pytest.mark.parametrize("scale", [0.0, 1e-6, 5e-3, 0.3, 2.5])
def test_rodrigues_matches_smplx_and_is_a_rotation(scale: float) -> None:
    rng = np.random.default_rng(0)
    rotvec = torch.as_tensor(rng.normal(0.0, 1.0, (40, 3)) * scale)
    ours = kinematics.rodrigues(rotvec)
    ref = batch_rodrigues(rotvec)
    assert ours.dtype == torch.float64 and ours.shape == (40, 3, 3)
    assert torch.allclose(ours, ref, atol=1e-7)
    eye = torch.eye(3, dtype=torch.float64).expand(40, 3, 3)
    assert torch.allclose(ours @ ours.transpose(1, 2), eye, atol=1e-12)
    assert torch.allclose(torch.linalg.det(ours), torch.ones(40, dtype=torch.float64), atol=1e-12)


@pytest.mark.parametrize("scale", [1e-4, 5e-3, 0.02, 1.0, 3.0])
def test_rodrigues_gradient(scale: float) -> None:
    rng = np.random.default_rng(1)
    rotvec = torch.as_tensor(rng.normal(0.0, 1.0, (6, 3)) * scale).requires_grad_(True)
    assert torch.autograd.gradcheck(kinematics.rodrigues, (rotvec,), eps=1e-7, atol=1e-6)


def test_rodrigues_gradient_at_zero_is_the_cross_product_basis() -> None:
    rotvec = torch.zeros(1, 3, dtype=torch.float64, requires_grad=True)
    weights = torch.as_tensor(np.random.default_rng(2).normal(size=(1, 3, 3)))
    (kinematics.rodrigues(rotvec) * weights).sum().backward()
    w = weights[0]
    assert torch.allclose(rotvec.grad[0], torch.stack([w[2, 1] - w[1, 2], w[0, 2] - w[2, 0], w[1, 0] - w[0, 1]]))


def test_chain_matches_smplx() -> None:
    rng = np.random.default_rng(3)
    rot = batch_rodrigues(torch.as_tensor(rng.normal(0.0, 0.5, (2 * 24, 3)))).reshape(2, 24, 3, 3)
    rest = _rest_joints(2, rng)
    world_r, joints = kinematics.chain(rot, rest, PARENTS)
    ref_joints, ref_skin = batch_rigid_transform(rot, rest, torch.as_tensor(PARENTS), dtype=torch.float64)
    assert torch.allclose(joints, ref_joints, atol=1e-12)
    assert torch.allclose(world_r, ref_skin[..., :3, :3], atol=1e-12)


def test_chain_gradient() -> None:
    rng = np.random.default_rng(4)
    rot = batch_rodrigues(torch.as_tensor(rng.normal(0.0, 0.5, (24, 3)))).reshape(1, 24, 3, 3).requires_grad_(True)
    rest = _rest_joints(1, rng).requires_grad_(True)
    assert torch.autograd.gradcheck(lambda r, j: kinematics.chain(r, j, PARENTS), (rot, rest), eps=1e-7, atol=1e-6)


def test_chain_rejects_a_child_before_its_parent() -> None:
    with pytest.raises(ValueError, match="parents must come before"):
        kinematics.chain(torch.eye(3).expand(1, 2, 3, 3), torch.zeros(1, 2, 3), (1, -1))


def test_pose_skeleton_cpu_path_matches_smplx_in_float32_with_gradients() -> None:
    rng = np.random.default_rng(5)
    pose = torch.as_tensor(rng.normal(0.0, 0.4, (3, 24, 3)), dtype=torch.float32)
    rest = torch.as_tensor(rng.normal(0.0, 0.3, (1, 24, 3)), dtype=torch.float32)
    parents = torch.as_tensor(PARENTS)

    def run(fast: bool) -> tuple[torch.Tensor, ...]:
        p = pose.clone().requires_grad_(True)
        j = rest.clone().requires_grad_(True)
        if fast:
            world, skin = pose_skeleton(kinematics.rodrigues(p), j, parents)
        else:
            rot = batch_rodrigues(p.reshape(-1, 3)).reshape(3, 24, 3, 3)
            posed, skin = batch_rigid_transform(rot, j.expand(3, -1, -1), parents)
            world = torch.cat([torch.cat([skin[..., :3, :3], posed[..., None]], -1), skin[..., 3:, :]], -2)
        weights = torch.as_tensor(np.random.default_rng(6).normal(size=(3, 24, 4, 4)), dtype=torch.float32)
        ((world + 2 * skin) * weights).sum().backward()
        return world, skin, p.grad, j.grad

    fast, ref = run(True), run(False)
    for a, b in zip(fast, ref, strict=True):
        assert a.dtype == torch.float32 and a.shape == b.shape
        assert torch.allclose(a, b, atol=2e-4, rtol=1e-4)


def _skin_inputs(rng: np.random.Generator, points: int = 30) -> tuple[torch.Tensor, ...]:
    pose = torch.as_tensor(rng.normal(0.0, 0.5, (24, 3)))
    verts = torch.as_tensor(rng.normal(0.0, 0.4, (points, 3)))
    joints = torch.as_tensor(rng.normal(0.0, 0.3, (24, 3)))
    weights = rng.dirichlet(np.full(24, 0.3), size=points)
    return pose, verts, joints, torch.as_tensor(weights)


def test_skinned_points_match_the_torch_path() -> None:
    from hoiexport.sdk.bodies.skinning import skin_vertices

    pose, verts, joints, weights = _skin_inputs(np.random.default_rng(7))
    fused = kinematics.skinned_points(pose, verts, joints, weights.numpy(), PARENTS)
    rot = batch_rodrigues(pose)[None]
    _, skin = batch_rigid_transform(rot, joints[None], torch.as_tensor(PARENTS), dtype=torch.float64)
    ref = skin_vertices(verts[None], weights, skin)[0]
    assert fused.shape == (30, 3) and fused.dtype == torch.float64
    assert torch.allclose(fused, ref, atol=1e-7)


def test_skinned_points_gradients() -> None:
    pose, verts, joints, weights = _skin_inputs(np.random.default_rng(8), points=12)
    inputs = tuple(t.clone().requires_grad_(True) for t in (pose, verts, joints))
    w = weights.numpy()
    assert torch.autograd.gradcheck(lambda p, v, j: kinematics.skinned_points(p, v, j, w, PARENTS), inputs,
                                    eps=1e-7, atol=1e-6)
