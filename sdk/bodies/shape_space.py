"""What the body models' shape spaces share (`protocol.ShapeSpace`).

A backend's space (`anny_body.PhenotypeSpace`, `smpl_body.BetaSpace`) says how
its `BodyParams.shape` dict maps to a vector of K values and back; bounds,
clamping, and the rest body as a function of the vector are common and live here.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch

from hoiexport.sdk.bodies.protocol import BodyOutput, PriorCentre


@dataclass(frozen=True, eq=False)
class ShapeSpaceBase(ABC):
    """A `protocol.ShapeSpace` over a body model's `forward`.

    Attributes:
        names: the K value names, in vector order.
        default_values: the K values of an empty shape dict.
        bounds: (lo, hi) every value lies in, or None (unbounded).
        step: a small change of one value, value units (finite differences).
        prior_centre: what a shape prior pulls towards ("start" or "default").
        forward: the body model's `forward` (`rest` poses with it).
        num_joints: joints of a pose (24).
    """

    names: tuple[str, ...]
    default_values: tuple[float, ...]
    bounds: tuple[float, float] | None
    step: float
    prior_centre: PriorCentre
    forward: Callable[..., BodyOutput] = field(repr=False)
    num_joints: int = 24

    @property
    def size(self) -> int:
        """K, the number of values."""
        return len(self.names)

    @property
    def default(self) -> np.ndarray:
        """(K,) float64 values of an empty shape dict."""
        return np.asarray(self.default_values, dtype=np.float64)

    @abstractmethod
    def vector(self, shape: Mapping[str, Any] | None) -> np.ndarray:
        """(K,) float64 values of a `BodyParams.shape` dict (validated, defaults filled in)."""

    @abstractmethod
    def shape_dict(self, values: torch.Tensor) -> dict[str, Any]:
        """The `forward` shape argument for (K,) or (B, K) values (differentiable)."""

    @abstractmethod
    def to_json(self, values: np.ndarray) -> dict[str, Any]:
        """The JSON `BodyParams.shape` dict of (K,) values."""

    def clamp(self, values: torch.Tensor, margin: float = 0.0) -> torch.Tensor:
        """(..., K) values clamped to `bounds` shrunk by `margin` × (hi − lo) at each
        end; unbounded spaces return `values` unchanged."""
        if self.bounds is None:
            return values
        lo, hi = self.bounds
        pad = margin * (hi - lo)
        return values.clamp(lo + pad, hi - pad)

    def rest(self, values: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Rest vertices (B, V, 3) and rest joints (B, 24, 3), metres, of (B, K) values
        ((K,) gives B = 1): `forward` at the zero pose, differentiable in `values`."""
        batch = values.reshape(-1, self.size)
        out = self.forward(torch.zeros(len(batch), self.num_joints, 3), self.shape_dict(batch))
        return out.vertices, out.rest_joints
