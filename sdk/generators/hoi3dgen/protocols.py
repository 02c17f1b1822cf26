"""The narrow protocols of the `hoi3dgen` chain's stages (DESIGN §7).

Images cross stage boundaries as numpy arrays, never as torch tensors or PIL
images: an RGB image is (H, W, 3) uint8 in sRGB, row 0 at the top; a mask is
(H, W) bool; a depth map is (H, W) float32. Torch lives inside the backends.

Each backend is built from a folder of weights (resolved through
`third_party_models.lock` by default, `hoiexport.sdk.models.resolve_weights`) or,
in tests, from tiny random-weight instances of the same classes, and runs on the
`Runtime` it is given.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

import numpy as np

from hoiexport.sdk.core.types import Mesh


@runtime_checkable
class TextToImage(Protocol):
    """Stage 1: text → image (one per prompt; the view phrase is in the prompt)."""

    def generate(
        self, prompts: Sequence[str], *, seed: int, height: int, width: int, steps: int, guidance: float
    ) -> list[np.ndarray]:
        """Images for `prompts`.

        Args:
            prompts: one full prompt per image (description + view phrase + suffix).
            seed: one seed for the whole call; image k uses a generator seeded
                `seed + k`, so the same seed gives the same images.
            height, width: pixels (multiples of the model's patch size).
            steps: denoising steps.
            guidance: classifier-free guidance scale.

        Returns:
            One (height, width, 3) uint8 sRGB image per prompt.
        """
        ...


@runtime_checkable
class DepthEstimator(Protocol):
    """Stage 2a: monocular depth of an image."""

    def estimate(self, image: np.ndarray) -> np.ndarray:
        """Relative depth of `image`.

        Args:
            image: (H, W, 3) uint8 sRGB.

        Returns:
            (H, W) float32 in [0, 1], larger = nearer (Depth Anything's relative
            inverse depth, min-max normalised), at the input's resolution.
        """
        ...


@runtime_checkable
class Retexturer(Protocol):
    """Stage 2b: depth-conditioned re-texturing (FLUX.1-Depth)."""

    def retexture(
        self, prompt: str, depth: np.ndarray, *, seed: int, height: int, width: int, steps: int, guidance: float
    ) -> np.ndarray:
        """A new image with the given depth layout.

        Args:
            prompt: the re-texturing prompt.
            depth: (H, W) float32 in [0, 1], larger = nearer (`DepthEstimator`).
            seed: generator seed.
            height, width: output pixels.
            steps: denoising steps.
            guidance: guidance scale.

        Returns:
            (height, width, 3) uint8 sRGB.
        """
        ...


@dataclass(frozen=True)
class Cutout:
    """The subject of an image on a white background (stage 3).

    Attributes:
        image: (S, S, 3) uint8 sRGB, the subject zoomed to fill the square with a
            margin, white elsewhere.
        mask: (S, S) bool, the subject's pixels in `image`.
        box: (4,) float64 (x0, y0, x1, y1) pixels of the subject in the input image.
        labels: label → confidence in [0, 1] of the masks that were united.
    """

    image: np.ndarray
    mask: np.ndarray
    box: np.ndarray
    labels: dict[str, float]


@runtime_checkable
class Matting(Protocol):
    """Stage 3: masks of the person and the object → white background."""

    def cutout(self, image: np.ndarray, labels: Sequence[str]) -> Cutout:
        """Cut the union of `labels`' masks out of `image` (see `Cutout`)."""
        ...


@runtime_checkable
class ImageToShape(Protocol):
    """Stage 4a: a cut-out image → an untextured mesh (Hunyuan3D-2 shape)."""

    def lift(self, image: np.ndarray, *, seed: int) -> Mesh:
        """Mesh of the subject of `image`.

        Args:
            image: (S, S, 3) uint8 sRGB on white (`Cutout.image`).
            seed: generator seed.

        Returns:
            `Mesh` in the internal frame (+Y up, the subject facing +Z), metres
            only up to scale (registration fixes the scale), no texture.
        """
        ...


@runtime_checkable
class Texturer(Protocol):
    """Stage 4b: texture a lifted mesh from its view image."""

    @property
    def name(self) -> str:
        """Which path runs ("hunyuan3d-paint", "projection"); recorded in provenance."""
        ...

    def texture(self, mesh: Mesh, image: np.ndarray) -> Mesh:
        """`mesh` with uv and a base-colour texture made from `image` (the
        `Cutout.image` the shape was lifted from, seen from +Z)."""
        ...
