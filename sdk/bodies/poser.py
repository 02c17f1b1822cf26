"""The one differentiable posed body: SMPL kinematics and linear blend skinning.

Written in the style of smplx's `lbs.py`: small functions over batched torch
tensors, then `Poser`, a body with a fixed rest shape posed on all of its
vertices or a subset. Conventions are `protocol.py`'s: one axis-angle rotation
per joint (radians) relative to its parent, about the joint's rest position,
joint frames at rest aligned with the internal frame axes; positions are metres
in the internal frame. Shapes are written `... x J x 3`: any number of leading
batch dimensions (none for one body), J joints, V (or N, for a subset) vertices.

One function, two evaluations of it:

- **torch** (`rodrigues`, `chain`, `blend_skin`, `Poser.pose`): autograd, any
  device, any batch. Written for many small steps on one body (compose's
  placement optimiser): rotations are chained level by level of the tree, and
  joint positions are one product of an ancestor matrix with the rotated bones.
  Its arithmetic (operation order included) is the placement optimiser's
  reference: changing it changes compose's outputs.
- **NumPy, float64, analytic gradients** (`Poser.skin`, through
  `kinematics.skinned_points`): one body on the CPU, the registration's inner
  loop (hundreds of evaluations of a few thousand points with gradient), where
  autograd's per-operation dispatch costs more than the arithmetic (2000 Anny
  points, one thread: 1.7 ms per evaluation with gradient against 3.0 ms for
  the torch path). Both walk the tree by the same levels
  (`kinematics.tree_levels`); Rodrigues is written twice on purpose: NumPy's
  uses Taylor coefficients near 0 and a hand-written backward in float64, the
  torch one must keep the placement optimiser's float32 arithmetic.

Batches without gradient (`Poser.skin_batch`, the lift estimator's candidate
poses) go through the body models' own skinning (`skinning.pose_skeleton` +
`skin_vertices`), so they equal `BodyModel.forward` wherever that is plain
linear blend skinning. (The batched torch path is about twice as fast there,
but its float32 chain moves candidate scores by round-off, enough to change
which candidate the registration finishes: registered bodies moved by up to
3.4 mm on the behaviour fingerprint.)

The paths agree to float32 round-off (tests/sdk/bodies/test_poser.py).
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from hoiexport.sdk.bodies import kinematics, skinning
from hoiexport.sdk.bodies.protocol import BodyModel

_ANGLE_EPS2 = 1e-16
"""Added to the squared angle before its square root, so Rodrigues has finite
gradients at the zero rotation (rad²)."""


def rodrigues(rotvec: torch.Tensor) -> torch.Tensor:
    """Rotation matrices of axis-angle vectors (torch, differentiable, finite gradients at 0).

    R = I + sin θ K + (1 − cos θ) K², K the cross-product matrix of the unit axis.

    Args:
        rotvec: (... x 3) axis-angle, radians; any float dtype and device.

    Returns:
        (... x 3 x 3) rotation matrices, same dtype and device.
    """
    angle = torch.sqrt((rotvec**2).sum(-1, keepdim=True) + _ANGLE_EPS2)
    axis = rotvec / angle
    x, y, z = axis.unbind(-1)
    zero = torch.zeros_like(x)
    k = torch.stack([zero, -z, y, z, zero, -x, -y, x, zero], dim=-1).reshape(*rotvec.shape[:-1], 3, 3)
    s, c = torch.sin(angle)[..., None], torch.cos(angle)[..., None]
    return torch.eye(3, dtype=rotvec.dtype, device=rotvec.device) + s * k + (1.0 - c) * (k @ k)


@dataclass(frozen=True, eq=False)
class KinematicTree:
    """A kinematic tree with one root, joint 0, prepared for `chain` (CPU index tensors).

    Attributes:
        parents: J parent indices, -1 for the root, parents before children.
        levels: per depth ≥ 1 of the tree, (joints at that depth, their parents),
            two int64 tensors (`kinematics.tree_levels`).
        parents_nonroot: (J-1) int64 parents of joints 1..J-1.
        ancestors: (J x J) float32, [j, k] = 1 where k is j or an ancestor of j.
    """

    parents: tuple[int, ...]
    levels: tuple[tuple[torch.Tensor, torch.Tensor], ...]
    parents_nonroot: torch.Tensor
    ancestors: torch.Tensor

    @property
    def num_joints(self) -> int:
        return len(self.parents)

    @staticmethod
    @functools.lru_cache(maxsize=16)
    def of(parents: tuple[int, ...]) -> KinematicTree:
        """The tree of `parents` (cached per parents tuple).

        Raises:
            ValueError: a parent after its child, or a root other than joint 0.
        """
        roots, levels = kinematics.tree_levels(parents)
        if roots.tolist() != [0]:
            raise ValueError(f"the kinematic tree must have joint 0 as its only root, got roots {roots.tolist()}")
        ancestors = np.zeros((len(parents), len(parents)), dtype=np.float32)
        for j in range(len(parents)):
            k = j
            while k >= 0:
                ancestors[j, k] = 1.0
                k = parents[k]
        return KinematicTree(
            parents=parents,
            levels=tuple((torch.as_tensor(joints), torch.as_tensor(pa)) for joints, pa in levels),
            parents_nonroot=torch.as_tensor(np.asarray(parents[1:], dtype=np.int64)),
            ancestors=torch.as_tensor(ancestors),
        )


def _tree(parents: Sequence[int] | np.ndarray | torch.Tensor) -> KinematicTree:
    values = parents.tolist() if isinstance(parents, (np.ndarray, torch.Tensor)) else parents
    return KinematicTree.of(tuple(int(p) for p in values))


def bone_offsets(rest_joints: torch.Tensor, tree: KinematicTree) -> torch.Tensor:
    """Rest offsets of the joints from their parents (the root's: its rest position).

    Args:
        rest_joints: (... x J x 3) rest joint positions, metres.
        tree: the kinematic tree.

    Returns:
        (... x J x 3) offsets, metres.
    """
    root = torch.zeros_like(rest_joints[..., :1, :])
    return rest_joints - torch.cat([root, rest_joints[..., tree.parents_nonroot, :]], dim=-2)


def chain(local: torch.Tensor, bones: torch.Tensor, tree: KinematicTree) -> tuple[torch.Tensor, torch.Tensor]:
    """World rotations and posed joint positions down the tree (torch, differentiable).

    R_j = R_parent L_j level by level; p_j = Σ over j and its ancestors k of
    R_parent(k) b_k (the root's term: its rest position).

    Args:
        local: (... x J x 3 x 3) local rotations.
        bones: (... x J x 3) or (J x 3) `bone_offsets` of the rest joints, metres.
        tree: the kinematic tree.

    Returns:
        world rotations (... x J x 3 x 3) and posed joints (... x J x 3), metres.
    """
    world_r = local
    for level, par in tree.levels:
        world_r = world_r.index_copy(-3, level, world_r[..., par, :, :] @ local[..., level, :, :])
    rotated = (world_r[..., tree.parents_nonroot, :, :] @ bones[..., 1:, :, None])[..., 0]
    root = bones[..., :1, :]
    if root.shape[:-2] != rotated.shape[:-2]:
        root = root.expand(*rotated.shape[:-2], 1, 3)
    world_p = tree.ancestors.to(rotated) @ torch.cat([root, rotated], dim=-2)
    return world_r, world_p


def blend_skin(
    world_r: torch.Tensor,
    world_p: torch.Tensor,
    rest_joints: torch.Tensor,
    rest_vertices: torch.Tensor,
    weights: torch.Tensor,
) -> torch.Tensor:
    """Linear blend skinning: v' = Σ_j w_j (R_j (v − r_j) + p_j).

    Args:
        world_r: (... x J x 3 x 3) world rotations (`chain`).
        world_p: (... x J x 3) posed joints, metres.
        rest_joints: (J x 3) or (... x J x 3) rest joints r_j, metres.
        rest_vertices: (N x 3) or (... x N x 3) rest vertices, metres.
        weights: (N x J) skin weights, rows summing to 1.

    Returns:
        (... x N x 3) posed vertices, metres.
    """
    batch, joints = world_r.shape[:-3], world_r.shape[-3]
    skin_t = world_p - (world_r @ rest_joints[..., None])[..., 0]
    blend = (weights @ torch.cat([world_r, skin_t[..., None]], dim=-1).reshape(*batch, joints, 12))
    blend = blend.reshape(*batch, -1, 3, 4)
    return (blend[..., :3] @ rest_vertices[..., None])[..., 0] + blend[..., 3]


class Poser:
    """A body with a fixed rest shape, posed by SMPL kinematics and linear blend skinning.

    Posing all vertices equals `BodyModel.forward` at scale 1 wherever the model
    is plain linear blend skinning of its rest shape (Anny; not SMPL, whose pose
    blend shapes move the rest vertices: see `reproduces`).

    Attributes:
        rest_vertices: (V x 3) float32 rest vertices, metres.
        rest_joints: (J x 3) float32 rest joints, metres.
        weights: (V x J) float32 skin weights.
        tree: the kinematic tree.
    """

    def __init__(
        self,
        rest_vertices: torch.Tensor,
        rest_joints: torch.Tensor,
        weights: torch.Tensor,
        parents: Sequence[int] | np.ndarray | torch.Tensor,
    ) -> None:
        self.rest_vertices = rest_vertices
        self.rest_joints = rest_joints
        self.weights = weights
        self.tree = _tree(parents)
        self._bones = bone_offsets(rest_joints, self.tree)
        self._weights_np: np.ndarray | None = None

    @classmethod
    def of_body(cls, body: BodyModel, shape: dict[str, Any] | None = None) -> Poser:
        """The `BodyModel` `body` with `shape`: its `forward` at the zero pose gives
        the rest vertices and joints (float32, no grad), its skin weights the weights."""
        with torch.no_grad():
            out = body.forward(torch.zeros(1, len(body.parents), 3), shape)
        return cls(
            out.vertices[0].float(),
            out.rest_joints[0].float(),
            torch.as_tensor(body.skin_weights, dtype=torch.float32),
            body.parents,
        )

    @property
    def num_vertices(self) -> int:
        return int(self.rest_vertices.shape[0])

    def subset(self, index: np.ndarray | torch.Tensor) -> Poser:
        """The same body restricted to the vertices `index` ((N,) int64), in that order."""
        idx = torch.as_tensor(index)
        return Poser(self.rest_vertices[idx], self.rest_joints, self.weights[idx], self.tree.parents)

    def pose(
        self, pose: torch.Tensor, transl: torch.Tensor | None = None, index: torch.Tensor | None = None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Posed vertices (of a subset) and joint transforms (torch, differentiable).

        Args:
            pose: (... x J x 3) axis-angle radians (SMPL convention, `protocol.py`),
                float32.
            transl: (... x 3) metres added to every vertex and joint, or None.
            index: (N,) int64 vertex indices, or None for all vertices.

        Returns:
            vertices (... x N x 3) metres and joint-to-world transforms
            (... x J x 4 x 4) (rotation = accumulated rotation, translation =
            joint position).
        """
        world_r, world_p = chain(rodrigues(pose), self._bones, self.tree)
        rest = self.rest_vertices if index is None else self.rest_vertices[index]
        weights = self.weights if index is None else self.weights[index]
        verts = blend_skin(world_r, world_p, self.rest_joints, rest, weights)
        if transl is not None:
            verts = verts + (transl if pose.dim() == 2 else transl[..., None, :])
            world_p = world_p + (transl if pose.dim() == 2 else transl[..., None, :])
        world = torch.zeros(*world_r.shape[:-2], 4, 4, dtype=world_r.dtype, device=world_r.device)
        world[..., :3, :3] = world_r
        world[..., :3, 3] = world_p
        world[..., 3, 3] = 1.0
        return verts, world

    def posed_numpy(self, pose: np.ndarray, transl: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """All posed vertices (V x 3) and joint transforms (J x 4 x 4), float64 NumPy, no grad.

        Args:
            pose: (J x 3) axis-angle radians.
            transl: (3,) metres.
        """
        with torch.no_grad():
            v, w = self.pose(torch.as_tensor(pose, dtype=torch.float32), torch.as_tensor(transl, dtype=torch.float32))
        return v.numpy().astype(np.float64), w.numpy().astype(np.float64)

    def skin(
        self, pose: torch.Tensor, rest_vertices: torch.Tensor | None = None, rest_joints: torch.Tensor | None = None
    ) -> torch.Tensor:
        """One body's posed vertices, no translation: the fast path for many
        evaluations with gradient (`kinematics.skinned_points` on the CPU, float64
        inside, analytic gradients; `pose` elsewhere).

        Args:
            pose: (J x 3) axis-angle radians, float32 or float64.
            rest_vertices: (V x 3) rest vertices replacing this body's (e.g. a
                shape with gradient), metres.
            rest_joints: (J x 3) rest joints replacing this body's, metres.

        Returns:
            (V x 3) posed vertices, metres, differentiable in all three inputs.
        """
        rv = self.rest_vertices if rest_vertices is None else rest_vertices
        rj = self.rest_joints if rest_joints is None else rest_joints
        if pose.device.type == "cpu":
            if self._weights_np is None:
                self._weights_np = self.weights.double().numpy()
            return kinematics.skinned_points(pose, rv, rj, self._weights_np, self.tree.parents)
        world_r, world_p = chain(rodrigues(pose), bone_offsets(rj.to(pose), self.tree), self.tree)
        return blend_skin(world_r, world_p, rj.to(pose), rv.to(pose), self.weights.to(pose))

    def skin_batch(self, poses: torch.Tensor) -> torch.Tensor:
        """Posed vertices of a batch of poses, no translation, without gradient,
        through the body models' own skinning (`skinning.pose_skeleton`, `skin_vertices`).

        Args:
            poses: (B x J x 3) axis-angle radians.

        Returns:
            (B x V x 3) posed vertices, metres, in the poses' dtype.
        """
        batch = len(poses)
        with torch.no_grad():
            _, skin = skinning.pose_skeleton(skinning.axis_angle_to_matrix(poses),
                                             self.rest_joints.expand(batch, -1, -1),
                                             torch.as_tensor(self.tree.parents, dtype=torch.int64))
            return skinning.skin_vertices(self.rest_vertices.expand(batch, -1, -1), self.weights, skin)

    def reproduces(self, body: BodyModel, shape: dict[str, Any] | None, index: np.ndarray | torch.Tensor | None = None,
                   tol: float = 1e-4) -> bool:
        """Whether `skin` reproduces `body.forward` (with `shape`) on a random test
        pose within `tol` metres: true for plain linear blend skinning (Anny), false
        where pose blend shapes move the rest vertices (SMPL).

        Args:
            body: the body model this poser was made from.
            shape: its shape.
            index: the vertices of `body` this poser holds (a `subset`), or None for all.
            tol: largest vertex difference allowed, metres.
        """
        test = torch.as_tensor(np.random.default_rng(0).normal(0.0, 0.3, (self.tree.num_joints, 3)),
                               dtype=torch.float32)
        with torch.no_grad():
            full = body.forward(test[None], shape).vertices[0]
            if index is not None:
                full = full[torch.as_tensor(index)]
            return bool((full - self.skin(test)).abs().max() < tol)
