"""The `BodyModel` protocol every body backend implements (DESIGN §5).

Pose convention (both backends): SMPL-style. `pose` holds one axis-angle rotation
per SMPL-24 joint, in radians, each a rotation of that joint's frame relative to
its parent, applied about the joint's rest position; joint frames at rest are
aligned with the internal frame axes (+Y up, character faces +Z, +X is the
character's left). `pose[0]` is the global orientation of the pelvis.
All positions are metres in the internal frame.

Shape: `BodyParams.shape` stays the backend's JSON dict (bundles store it); each
model's `shape_space` (a `ShapeSpace`) maps it to and from a vector of K values,
so optimisers treat every model's shape alike.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol, runtime_checkable

import numpy as np
import torch


@dataclass
class BodyParams:
    """Parameters of one body.

    Attributes:
        pose: (24, 3) axis-angle radians, SMPL-24 order; row 0 = global orientation.
        shape: backend-specific shape parameters: for `anny` a phenotype dict
            (gender, age, muscle, weight, height, proportions in [0, 1]); for `smpl`
            {"betas": [...]} (up to 10 floats).
        transl: (3,) metres, added to every vertex and joint after posing.
        scale: uniform scale applied about the origin before `transl`.
    """

    pose: np.ndarray = field(default_factory=lambda: np.zeros((24, 3), np.float32))
    shape: dict[str, Any] = field(default_factory=dict)
    transl: np.ndarray = field(default_factory=lambda: np.zeros(3, np.float32))
    scale: float = 1.0

    def to_json(self) -> dict[str, Any]:
        return {
            "pose": np.asarray(self.pose, dtype=float).tolist(),
            "shape": {k: (np.asarray(v).tolist() if isinstance(v, np.ndarray) else v) for k, v in self.shape.items()},
            "transl": np.asarray(self.transl, dtype=float).tolist(),
            "scale": float(self.scale),
        }

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> BodyParams:
        return cls(
            pose=np.asarray(d["pose"], np.float32).reshape(24, 3),
            shape=dict(d.get("shape", {})),
            transl=np.asarray(d.get("transl", [0, 0, 0]), np.float32).reshape(3),
            scale=float(d.get("scale", 1.0)),
        )


@dataclass
class BodyOutput:
    """Differentiable result of `BodyModel.forward` (torch, batch B).

    Attributes:
        vertices: (B, V, 3) posed vertices, metres, internal frame.
        joints: (B, 24, 3) posed joint positions, metres.
        joint_transforms: (B, 24, 4, 4) joint-to-world rigid transforms
            (rotation part = accumulated pose rotation, so identity at rest).
        rest_joints: (B, 24, 3) joint positions in the rest pose (shape applied).
    """

    vertices: torch.Tensor
    joints: torch.Tensor
    joint_transforms: torch.Tensor
    rest_joints: torch.Tensor


PriorCentre = Literal["start", "default"]
"""What a shape prior pulls towards: "start" (the values an optimisation started
from) or "default" (the shape space's default vector)."""


@runtime_checkable
class ShapeSpace(Protocol):
    """A body model's shape parameters as a vector of K values.

    Attributes:
        names: the K value names, in vector order (Anny: its phenotypes; SMPL:
            beta_0 ... beta_{K-1}).
        bounds: (lo, hi) every value lies in, or None (unbounded).
        step: a small change of one value, in value units (finite differences).
        prior_centre: what a shape prior pulls towards: "start" for values that
            mean something by themselves (Anny's phenotypes, e.g. asked for by a
            prompt), "default" for coefficients of a distribution centred on the
            default (SMPL's betas, standard normal).
    """

    @property
    def names(self) -> tuple[str, ...]: ...

    @property
    def bounds(self) -> tuple[float, float] | None: ...

    @property
    def step(self) -> float: ...

    @property
    def prior_centre(self) -> PriorCentre: ...

    @property
    def size(self) -> int:
        """K, the number of values."""
        ...

    @property
    def default(self) -> np.ndarray:
        """(K,) float64 values of an empty `BodyParams.shape`."""
        ...

    def vector(self, shape: Mapping[str, Any] | None) -> np.ndarray:
        """(K,) float64 values of a `BodyParams.shape` dict (validated, defaults filled in).

        Raises:
            InputError: unknown keys, wrong sizes or values outside `bounds`.
        """
        ...

    def shape_dict(self, values: torch.Tensor) -> dict[str, Any]:
        """The `BodyModel.forward` shape argument for (K,) values (one body, batch 1)
        or (B, K) values (a batch of B bodies); differentiable in `values`."""
        ...

    def to_json(self, values: np.ndarray) -> dict[str, Any]:
        """The JSON `BodyParams.shape` dict of (K,) values."""
        ...

    def clamp(self, values: torch.Tensor, margin: float = 0.0) -> torch.Tensor:
        """`values` (..., K) moved inside `bounds` shrunk by `margin` × their width
        at each end (unchanged when unbounded)."""
        ...

    def rest(self, values: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """The rest body of (B, K) shape values: vertices (B, V, 3) and joints
        (B, 24, 3), metres, float32 (`forward` at the zero pose; differentiable
        in `values`)."""
        ...


@runtime_checkable
class BodyModel(Protocol):
    """A parametric body posed through the 24 SMPL joints."""

    name: str
    joint_names: tuple[str, ...]
    parents: np.ndarray  # (24,) int32
    faces: np.ndarray  # (F, 3) int32 triangles

    @property
    def shape_space(self) -> ShapeSpace:
        """The shape parameters as a vector (`ShapeSpace`)."""
        ...

    @property
    def skin_weights(self) -> np.ndarray:
        """(V, 24) float32 skin weights onto the SMPL-24 joints, rows sum to 1."""
        ...

    @property
    def part_labels(self) -> np.ndarray:
        """(V,) int8 body-part index into `hoiexport.sdk.core.types.BODY_PARTS`."""
        ...

    def forward(
        self,
        pose: torch.Tensor,
        shape: dict[str, Any] | None = None,
        transl: torch.Tensor | None = None,
        scale: torch.Tensor | float = 1.0,
    ) -> BodyOutput:
        """Pose the body (differentiable in `pose`, `transl`, `scale`).

        Args:
            pose: (B, 24, 3) float32 axis-angle radians (see module docstring).
            shape: shape parameters (see `BodyParams.shape`).
            transl: (B, 3) metres.
            scale: uniform scale, scalar or (B,).
        """
        ...

    def fit(self, params: BodyParams):  # -> hoiexport.sdk.core.types.BodyFit
        """Evaluate `params` (no grad) into a `BodyFit` with mesh, skeleton,
        skin weights and part labels, all numpy."""
        ...
