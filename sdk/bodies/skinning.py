"""SMPL-style kinematics and linear blend skinning shared by the body backends.

Convention (see `protocol.py`): one axis-angle rotation per joint, relative to its
parent, about the joint's rest position; joint frames at rest are aligned with the
internal frame axes. All tensors are torch, batch first, metres, internal frame.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
import trimesh
from smplx.lbs import batch_rigid_transform, batch_rodrigues

from hoiexport.sdk.bodies import kinematics
from hoiexport.sdk.core.errors import InputError


def axis_angle_to_matrix(pose: torch.Tensor) -> torch.Tensor:
    """(..., 3) axis-angle radians → (..., 3, 3) rotation matrices (smplx's Rodrigues).

    Identity at 0 with finite gradients there. CPU tensors go through
    `kinematics.rodrigues` (NumPy, analytic gradient); others through smplx's
    torch code, which offsets the angle by ~1e-8 rad as SMPL's reference code does.
    """
    if pose.device.type == "cpu" and pose.dtype in (torch.float32, torch.float64):
        return kinematics.rodrigues(pose)
    return batch_rodrigues(pose.reshape(-1, 3)).reshape(*pose.shape[:-1], 3, 3)


def pose_skeleton(
    rotations: torch.Tensor, rest_joints: torch.Tensor, parents: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor]:
    """Accumulate local joint rotations down the kinematic tree.

    Args:
        rotations: (B, J, 3, 3) local rotation of each joint relative to its parent.
        rest_joints: (B, J, 3) rest-pose joint positions, metres.
        parents: (J,) int64 parent indices, -1 for the root (parents before children).

    Returns:
        world: (B, J, 4, 4) joint-to-world transforms: rotation = accumulated
            rotation (identity at rest), translation = posed joint position.
        skin: (B, J, 4, 4) rest-to-posed transforms G_j [I | -j_rest] used for skinning.
    """
    if rotations.device.type == "cpu" and rotations.dtype in (torch.float32, torch.float64):
        rest = rest_joints.to(rotations.dtype).expand(rotations.shape[0], -1, -1)
        world_r, posed_joints = kinematics.chain(rotations, rest, tuple(parents.tolist()))
        skin_t = posed_joints - (world_r @ rest[..., None])[..., 0]
        bottom = torch.tensor([0.0, 0.0, 0.0, 1.0], dtype=rotations.dtype).expand(*world_r.shape[:2], 1, 4)
        world = torch.cat([torch.cat([world_r, posed_joints[..., None]], dim=-1), bottom], dim=-2)
        skin = torch.cat([torch.cat([world_r, skin_t[..., None]], dim=-1), bottom], dim=-2)
        return world, skin
    posed_joints, skin = batch_rigid_transform(rotations, rest_joints, parents, dtype=rotations.dtype)
    world = torch.cat(
        [torch.cat([skin[..., :3, :3], posed_joints[..., None]], dim=-1), skin[..., 3:, :]], dim=-2
    )
    return world, skin


def skin_vertices(vertices: torch.Tensor, weights: torch.Tensor, skin: torch.Tensor) -> torch.Tensor:
    """Linear blend skinning: v' = Σ_j w_j G_j v.

    Args:
        vertices: (B, V, 3) rest vertices, metres.
        weights: (V, J) skin weights, rows summing to 1.
        skin: (B, J, 4, 4) transforms from `pose_skeleton`.

    Returns:
        (B, V, 3) posed vertices, metres.
    """
    blend = torch.einsum("vj,bjrc->bvrc", weights, skin[..., :3, :])  # (B, V, 3, 4)
    return (blend[..., :3] @ vertices[..., None])[..., 0] + blend[..., 3]


def as_pose(pose: torch.Tensor | np.ndarray, num_joints: int, dtype: torch.dtype) -> torch.Tensor:
    """Check and convert a pose to a (B, J, 3) tensor (a single (J, 3) pose gets B = 1).

    Raises:
        InputError: wrong shape or non-finite values.
    """
    pose_t = pose.to(dtype) if torch.is_tensor(pose) else torch.as_tensor(np.asarray(pose), dtype=dtype)
    if pose_t.dim() == 2:
        pose_t = pose_t[None]
    if pose_t.dim() != 3 or pose_t.shape[1:] != (num_joints, 3):
        raise InputError(
            f"pose must be (B, {num_joints}, 3) axis-angle radians, got {tuple(pose_t.shape)}"
        )
    if not bool(torch.isfinite(pose_t).all()):
        raise InputError("pose has NaN or inf values")
    return pose_t


def place(
    vertices: torch.Tensor,
    world: torch.Tensor,
    scale: torch.Tensor | float,
    transl: torch.Tensor | np.ndarray | None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Apply the uniform `scale` about the origin, then `transl`.

    Args:
        vertices: (B, V, 3) posed vertices.
        world: (B, J, 4, 4) joint-to-world transforms; only their translations
            move (the rotation part stays a pure rotation).
        scale: scalar or (B,) uniform scale.
        transl: (B, 3) or (3,) metres, or None.

    Returns:
        (vertices, world) after scaling and translation.
    """
    batch = vertices.shape[0]
    s = torch.as_tensor(scale).to(dtype=vertices.dtype, device=vertices.device)
    if s.dim() > 1 or (s.dim() == 1 and s.shape[0] not in (1, batch)):
        raise InputError(f"scale must be a scalar or ({batch},), got {tuple(s.shape)}")
    s = s.reshape(-1, 1, 1) if s.dim() == 1 else s
    like: dict[str, Any] = {"dtype": vertices.dtype, "device": vertices.device}
    t = torch.zeros(3, **like) if transl is None else torch.as_tensor(transl).to(**like)
    if t.shape not in ((3,), (1, 3), (batch, 3)):
        raise InputError(f"transl must be (3,) or ({batch}, 3) metres, got {tuple(t.shape)}")
    t = t.reshape(-1, 1, 3)
    vertices = vertices * s + t
    joints = world[..., :3, 3] * s + t
    world = torch.cat(
        [torch.cat([world[..., :3, :3], joints[..., None]], dim=-1), world[..., 3:, :]], dim=-2
    )
    return vertices, world


def vertex_normals(vertices: np.ndarray, faces: np.ndarray) -> np.ndarray:
    """(V, 3) float32 area-weighted unit vertex normals of a triangle mesh (trimesh)."""
    return np.asarray(
        trimesh.Trimesh(vertices=vertices, faces=faces, process=False).vertex_normals, dtype=np.float32
    )


def evaluate_fit(model, params, shape: dict, shape_json: dict):  # -> BodyFit
    """The shared body of `BodyModel.fit`: evaluate `params` without grad into a `BodyFit`.

    Args:
        model: the body model (`forward`, `faces`, `parents`, `skin_weights`,
            `part_labels`, `name`).
        params: `BodyParams`; `pose` must be (24, 3).
        shape: the `shape` argument for `model.forward`.
        shape_json: JSON-able shape values stored in `BodyFit.params`: under
            "shape" and also each at the top level (e.g. "betas", "phenotype").
    """
    from hoiexport.sdk.core.errors import InputError
    from hoiexport.sdk.core.skeleton import SMPL_JOINT_NAMES
    from hoiexport.sdk.core.types import BodyFit, Mesh, Skeleton

    pose = as_pose(np.asarray(params.pose, np.float32), len(SMPL_JOINT_NAMES), torch.float32)
    if pose.shape[0] != 1:
        raise InputError(f"BodyParams.pose must be (24, 3), got {tuple(np.shape(params.pose))}")
    with torch.no_grad():
        out = model.forward(
            pose, shape, torch.as_tensor(np.asarray(params.transl, np.float32)).reshape(1, 3), float(params.scale)
        )
    vertices = out.vertices[0].numpy()
    mesh = Mesh(vertices=vertices, faces=model.faces, normals=vertex_normals(vertices, model.faces), name="body")
    skeleton = Skeleton(list(SMPL_JOINT_NAMES), model.parents, out.joint_transforms[0].numpy())
    fit_params = {**params.to_json(), **shape_json}
    fit_params["global_orient"] = fit_params["pose"][0]
    return BodyFit(
        model=model.name,
        params=fit_params,
        skeleton=skeleton,
        mesh=mesh,
        skin_weights=model.skin_weights,
        part_labels=model.part_labels,
    )
