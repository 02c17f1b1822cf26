"""Forward kinematics on the CPU with hand-written gradients.

The registration (`lift/register.py`) evaluates the posed skeleton a few hundred
times per asset with gradient, on one 24-joint body. Through autograd that is
about 70 tiny torch operations each way (the kinematic chain is a loop of 4×4
products), and their dispatch costs several times the arithmetic. The
`torch.autograd.Function`s here compute the same values in float64 NumPy,
level by level down the tree, with analytic backward passes:

- `rodrigues`: axis-angle (..., 3) → rotation matrices (..., 3, 3).
- `chain`: local rotations + rest joints → world rotations and posed joints.
- `skinned_points`: pose + rest points + rest joints → posed points (both of
  the above and linear blend skinning, fused: one call per evaluation).

They match smplx's `batch_rodrigues` / `batch_rigid_transform` and
`skinning.skin_vertices` to float32 precision (tests compare them and check the
gradients with `gradcheck`). `skinning.py` uses the first two for CPU tensors
and smplx's torch code elsewhere; `poser.Poser.skin` (the registration's inner
loop) uses the third. `poser.py` holds the torch version of the same function,
for autograd on any device; both walk the tree by `tree_levels`.
"""

from __future__ import annotations

import functools
from typing import Any

import numpy as np
import torch

_SMALL_ANGLE = 1e-2
"""Below this angle (radians) Rodrigues' coefficients use their Taylor series."""


def _skew(v: np.ndarray) -> np.ndarray:
    """(..., 3) → (..., 3, 3) cross-product matrices [v]×."""
    k = np.zeros(v.shape + (3,), v.dtype)
    k[..., 0, 1], k[..., 0, 2] = -v[..., 2], v[..., 1]
    k[..., 1, 0], k[..., 1, 2] = v[..., 2], -v[..., 0]
    k[..., 2, 0], k[..., 2, 1] = -v[..., 1], v[..., 0]
    return k


def _vee(m: np.ndarray) -> np.ndarray:
    """(..., 3, 3) → (..., 3) w with ⟨M, [u]×⟩ = w · u."""
    return np.stack([m[..., 2, 1] - m[..., 1, 2], m[..., 0, 2] - m[..., 2, 0], m[..., 1, 0] - m[..., 0, 1]], -1)


def _coefficients(phi: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """R = I + a K + b K² with K = [θ]×, φ = |θ|: a, b and a'(φ)/φ, b'(φ)/φ."""
    small = phi < _SMALL_ANGLE
    p = np.where(small, 1.0, phi)  # safe divisor on the small branch
    p2 = phi * phi
    s, c = np.sin(p), np.cos(p)
    a = np.where(small, 1.0 - p2 / 6.0 + p2 * p2 / 120.0, s / p)
    b = np.where(small, 0.5 - p2 / 24.0 + p2 * p2 / 720.0, (1.0 - c) / p**2)
    da = np.where(small, -1.0 / 3.0 + p2 / 30.0, (p * c - s) / p**3)
    db = np.where(small, -1.0 / 12.0 + p2 / 180.0, (p * s - 2.0 * (1.0 - c)) / p**4)
    return a, b, da, db


def _rodrigues_forward(theta: np.ndarray) -> tuple[np.ndarray, tuple[np.ndarray, ...]]:
    """(..., 3) float64 axis-angle → (..., 3, 3) rotations, and what the backward pass needs."""
    phi = np.linalg.norm(theta, axis=-1)
    a, b, da, db = _coefficients(phi)
    k = _skew(theta)
    k2 = k @ k
    rot = np.eye(3) + a[..., None, None] * k + b[..., None, None] * k2
    return rot, (theta, k, k2, a, b, da, db)


def _rodrigues_backward(saved: tuple[np.ndarray, ...], g: np.ndarray) -> np.ndarray:
    """Gradient of the axis-angle from the gradient `g` (..., 3, 3) of the rotations."""
    theta, k, k2, a, b, da, db = saved
    kt = np.swapaxes(k, -1, -2)
    radial = da * (g * k).sum(axis=(-1, -2)) + db * (g * k2).sum(axis=(-1, -2))
    return radial[..., None] * theta + a[..., None] * _vee(g) + b[..., None] * _vee(g @ kt + kt @ g)


def _out_dtype(t: torch.Tensor) -> type:
    return np.float64 if t.dtype == torch.float64 else np.float32


class _Rodrigues(torch.autograd.Function):
    @staticmethod
    def forward(ctx: Any, rotvec: torch.Tensor) -> torch.Tensor:
        rot, ctx.saved = _rodrigues_forward(rotvec.detach().numpy().astype(np.float64))
        return torch.from_numpy(rot.astype(_out_dtype(rotvec)))

    @staticmethod
    def backward(ctx: Any, grad: torch.Tensor) -> torch.Tensor:
        out = _rodrigues_backward(ctx.saved, grad.numpy().astype(np.float64))
        return torch.from_numpy(out.astype(_out_dtype(grad)))


def rodrigues(rotvec: torch.Tensor) -> torch.Tensor:
    """Rotation matrices of axis-angle vectors, differentiable (CPU tensors only).

    Args:
        rotvec: (..., 3) float32/float64 axis-angle, radians.

    Returns:
        (..., 3, 3) rotation matrices, same dtype.
    """
    return _Rodrigues.apply(rotvec)


@functools.lru_cache(maxsize=16)
def tree_levels(parents: tuple[int, ...]) -> tuple[np.ndarray, tuple[tuple[np.ndarray, np.ndarray], ...]]:
    """The kinematic tree by depth, the order in which joints can be chained.

    Shared by this module's NumPy chain and the torch chain of `poser.py`.

    Args:
        parents: J parent indices, -1 for a root, parents before children.

    Returns:
        (R,) int64 roots, and per depth d ≥ 1 ((n_d,) int64 joints at depth d,
        (n_d,) int64 their parents).

    Raises:
        ValueError: a parent that does not come before its child.
    """
    depth = np.zeros(len(parents), np.int64)
    for j, p in enumerate(parents):
        if p >= j:
            raise ValueError(f"parents must come before their children: joint {j} has parent {p}")
        depth[j] = 0 if p < 0 else depth[p] + 1
    pa = np.asarray(parents, np.int64)
    levels = tuple((np.flatnonzero(depth == d), pa[depth == d]) for d in range(1, int(depth.max(initial=0)) + 1))
    return np.flatnonzero(depth == 0), levels


def _chain_forward(local: np.ndarray, rest: np.ndarray, parents: tuple[int, ...]
                   ) -> tuple[np.ndarray, np.ndarray, tuple[np.ndarray, ...]]:
    """(B, J, 3, 3) local rotations, (B, J, 3) rest joints (float64) → world
    rotations, posed joints, and what the backward pass needs."""
    roots, levels = tree_levels(parents)
    rel = rest.copy()
    for joints, pa in levels:
        rel[:, joints] -= rest[:, pa]
    world_r = np.empty_like(local)
    world_t = np.empty_like(rest)
    world_r[:, roots], world_t[:, roots] = local[:, roots], rel[:, roots]
    for joints, pa in levels:
        rp = world_r[:, pa]
        world_r[:, joints] = rp @ local[:, joints]
        world_t[:, joints] = (rp @ rel[:, joints, :, None])[..., 0] + world_t[:, pa]
    return world_r, world_t, (local, rel, world_r)


def _chain_backward(saved: tuple[np.ndarray, ...], parents: tuple[int, ...], g_r: np.ndarray,
                    g_t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Gradients of the local rotations and rest joints from those of the world
    rotations `g_r` and posed joints `g_t` (float64; both are modified)."""
    local, rel, world_r = saved
    roots, levels = tree_levels(parents)
    g_local = np.empty_like(local)
    g_rel = np.empty_like(rel)
    for joints, pa in reversed(levels):  # children before parents
        rp_t = np.swapaxes(world_r[:, pa], -1, -2)
        gr, gt = g_r[:, joints], g_t[:, joints]
        g_local[:, joints] = rp_t @ gr  # R_j = R_p L_j
        g_rel[:, joints] = (rp_t @ gt[..., None])[..., 0]  # t_j = R_p rel_j + t_p
        # numpy's stubs type ufunc.at's indices as an int array only; a tuple index is valid
        np.add.at(g_r, (slice(None), pa), gr @ np.swapaxes(local[:, joints], -1, -2)  # type: ignore[arg-type]
                  + gt[..., :, None] * rel[:, joints, None, :])
        np.add.at(g_t, (slice(None), pa), gt)  # type: ignore[arg-type]
    g_local[:, roots], g_rel[:, roots] = g_r[:, roots], g_t[:, roots]
    g_rest = g_rel.copy()  # rel_j = rest_j - rest_parent(j)
    for joints, pa in levels:
        np.add.at(g_rest, (slice(None), pa), -g_rel[:, joints])  # type: ignore[arg-type]  # tuple index, as above
    return g_local, g_rest


class _Chain(torch.autograd.Function):
    @staticmethod
    def forward(ctx: Any, rotations: torch.Tensor, rest_joints: torch.Tensor,
                parents: tuple[int, ...]) -> tuple[torch.Tensor, torch.Tensor]:
        world_r, world_t, ctx.saved = _chain_forward(rotations.detach().numpy().astype(np.float64),
                                                     rest_joints.detach().numpy().astype(np.float64), parents)
        ctx.parents = parents
        ctx.dtypes = (rotations.dtype, rest_joints.dtype)
        out = _out_dtype(rotations)
        return torch.from_numpy(world_r.astype(out)), torch.from_numpy(world_t.astype(out))

    @staticmethod
    def backward(ctx: Any, grad_r: torch.Tensor | None, grad_t: torch.Tensor | None):
        world_r = ctx.saved[2]
        g_r = np.zeros_like(world_r) if grad_r is None else grad_r.numpy().astype(np.float64)
        g_t = np.zeros(world_r.shape[:-1]) if grad_t is None else grad_t.numpy().astype(np.float64)
        g_local, g_rest = _chain_backward(ctx.saved, ctx.parents, g_r, g_t)
        dt_r, dt_j = ctx.dtypes
        return (torch.from_numpy(g_local).to(dt_r) if ctx.needs_input_grad[0] else None,
                torch.from_numpy(g_rest).to(dt_j) if ctx.needs_input_grad[1] else None,
                None)


def chain(rotations: torch.Tensor, rest_joints: torch.Tensor,
          parents: tuple[int, ...]) -> tuple[torch.Tensor, torch.Tensor]:
    """World rotations and posed joint positions down the kinematic tree (CPU tensors only).

    Joint j rotates by its local rotation about its rest position, after its
    parent: R_j = R_parent L_j, t_j = R_parent (r_j − r_parent) + t_parent
    (roots: R = L, t = r).

    Args:
        rotations: (B, J, 3, 3) local rotations, float32/float64.
        rest_joints: (B, J, 3) rest joint positions, metres.
        parents: J parent indices, -1 for a root, parents before children.

    Returns:
        world rotations (B, J, 3, 3) and posed joints (B, J, 3), metres, in
        the rotations' dtype; differentiable in both inputs.
    """
    return _Chain.apply(rotations, rest_joints, tuple(int(p) for p in parents))


class _SkinnedPoints(torch.autograd.Function):
    @staticmethod
    def forward(ctx: Any, pose: torch.Tensor, rest_vertices: torch.Tensor,
                rest_joints: torch.Tensor, weights: np.ndarray, parents: tuple[int, ...]) -> torch.Tensor:
        local, rod = _rodrigues_forward(pose.detach().numpy().astype(np.float64))
        joints = rest_joints.detach().numpy().astype(np.float64)
        world_r, world_t, chain_saved = _chain_forward(local[None], joints[None], parents)
        world_r, world_t = world_r[0], world_t[0]
        skin_t = world_t - (world_r @ joints[..., None])[..., 0]
        verts = rest_vertices.detach().numpy().astype(np.float64)
        blend = weights @ np.concatenate([world_r.reshape(-1, 9), skin_t], axis=1)  # (P, 12)
        blend_r = blend[:, :9].reshape(-1, 3, 3)
        points = np.einsum("pij,pj->pi", blend_r, verts) + blend[:, 9:]
        ctx.saved = (rod, chain_saved, joints, world_r, verts, blend_r, weights)
        ctx.parents = parents
        ctx.dtypes = (pose.dtype, rest_vertices.dtype, rest_joints.dtype)
        return torch.from_numpy(points.astype(_out_dtype(pose)))

    @staticmethod
    def backward(ctx: Any, grad: torch.Tensor):
        rod, chain_saved, joints, world_r, verts, blend_r, weights = ctx.saved
        g = grad.numpy().astype(np.float64)
        # points = Σ_j w_pj (R_j v_p + s_j)
        g_skin_r = (weights.T @ (g[:, :, None] * verts[:, None, :]).reshape(-1, 9)).reshape(-1, 3, 3)
        g_skin_t = weights.T @ g
        g_verts = np.einsum("pji,pj->pi", blend_r, g)
        # s_j = t_j - R_j r_j
        g_world_r = g_skin_r - g_skin_t[:, :, None] * joints[:, None, :]
        g_joints = -np.einsum("jci,jc->ji", world_r, g_skin_t)
        g_local, g_rest = _chain_backward(chain_saved, ctx.parents, g_world_r[None], g_skin_t[None].copy())
        g_pose = _rodrigues_backward(rod, g_local[0])
        dt_p, dt_v, dt_j = ctx.dtypes
        return (torch.from_numpy(g_pose).to(dt_p) if ctx.needs_input_grad[0] else None,
                torch.from_numpy(g_verts).to(dt_v) if ctx.needs_input_grad[1] else None,
                torch.from_numpy(g_joints + g_rest[0]).to(dt_j) if ctx.needs_input_grad[2] else None,
                None, None)


def skinned_points(pose: torch.Tensor, rest_vertices: torch.Tensor, rest_joints: torch.Tensor,
                   weights: np.ndarray, parents: tuple[int, ...]) -> torch.Tensor:
    """Points posed by linear blend skinning, in one step (CPU tensors only).

    The same as `skinning.skin_vertices` after `pose_skeleton` on
    `rodrigues(pose)`, for one body, with all three gradients computed in
    NumPy: the registration's inner loop.

    Args:
        pose: (J, 3) axis-angle per joint, radians.
        rest_vertices: (P, 3) rest positions of the points, metres.
        rest_joints: (J, 3) rest joint positions, metres.
        weights: (P, J) float64 skin weights, rows summing to 1.
        parents: J parent indices, -1 for a root, parents before children.

    Returns:
        (P, 3) posed points, metres, in the pose's dtype.
    """
    return _SkinnedPoints.apply(pose, rest_vertices, rest_joints, np.asarray(weights, np.float64),
                                tuple(int(p) for p in parents))
