"""Stage 3: the person and the object cut out of a generated view, on white.

`GroundedSam2Matting` asks `lift.segment.GroundedSam2Segmenter` for the masks of
"person" and the object in the view image, unites those it found, and crops a
square around their union (the subject centred, `MattingOptions.margin` of the
square left free on each side), pasting it on white and resizing to
`MattingOptions.size`. This is the input Hunyuan3D-2 expects: one subject,
centred, on a plain background.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Literal

import numpy as np
from PIL import Image

from hoiexport.sdk.core.errors import InputError
from hoiexport.sdk.generators.hoi3dgen.protocols import Cutout
from hoiexport.sdk.generators.hoi3dgen.runtime import Runtime
from hoiexport.sdk.generators.lift.segment import GroundedSam2Options, GroundedSam2Segmenter


@dataclass(frozen=True)
class MattingOptions:
    """Settings of the cut-out.

    Attributes:
        size: side of the output square, pixels.
        margin: free border on each side, as a fraction of the square's side.
        min_confidence: masks below this confidence (box probability × SAM IoU)
            are left out of the union.
    """

    size: int = 512
    margin: float = 0.08
    min_confidence: float = 0.0

    def __post_init__(self) -> None:
        if self.size < 8:
            raise InputError(f"matting size must be at least 8 pixels, got {self.size}")
        if not 0.0 <= self.margin < 0.45:
            raise InputError(f"matting margin must be in [0, 0.45), got {self.margin}")


def crop_to_subject(image: np.ndarray, mask: np.ndarray, options: MattingOptions) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Square crop around `mask`, on white, resized to `options.size`.

    Args:
        image: (H, W, 3) uint8 sRGB.
        mask: (H, W) bool, the subject (not empty).
        options: size and margin.

    Returns:
        The (S, S, 3) uint8 image (white outside the mask), the (S, S) bool
        mask, and the mask's box (x0, y0, x1, y1) in input pixels (float64).
    """
    rows, cols = np.nonzero(mask)
    x0, x1, y0, y1 = cols.min(), cols.max() + 1, rows.min(), rows.max() + 1
    side = max(x1 - x0, y1 - y0) / (1.0 - 2.0 * options.margin)
    side = int(np.ceil(side))
    cx, cy = (x0 + x1) / 2.0, (y0 + y1) / 2.0
    left, top = int(round(cx - side / 2.0)), int(round(cy - side / 2.0))
    canvas = np.full((side, side, 3), 255, np.uint8)
    keep = np.zeros((side, side), bool)
    h, w = mask.shape
    sx0, sy0 = max(left, 0), max(top, 0)
    sx1, sy1 = min(left + side, w), min(top + side, h)
    white = np.where(mask[..., None], image[..., :3], np.uint8(255))
    canvas[sy0 - top : sy1 - top, sx0 - left : sx1 - left] = white[sy0:sy1, sx0:sx1]
    keep[sy0 - top : sy1 - top, sx0 - left : sx1 - left] = mask[sy0:sy1, sx0:sx1]
    s = options.size
    out = np.asarray(Image.fromarray(canvas).resize((s, s), Image.Resampling.LANCZOS))
    out_mask = np.asarray(Image.fromarray(keep).resize((s, s), Image.Resampling.NEAREST)).astype(bool)
    out = np.where(out_mask[..., None], out, np.uint8(255))
    return out, out_mask, np.array([x0, y0, x1, y1], np.float64)


class GroundedSam2Matting:
    """Grounding DINO + SAM 2 masks → the subject on white (module docstring).

    Attributes:
        name: "grounded_sam2".
        segmenter: the mask backend.
        options: crop settings.
    """

    name = "grounded_sam2"

    def __init__(self, segmenter: GroundedSam2Segmenter, options: MattingOptions = MattingOptions()) -> None:
        self.segmenter = segmenter
        self.options = options

    @classmethod
    def from_pretrained(
        cls,
        detector_dir: str | os.PathLike[str] | None = None,
        sam_dir: str | os.PathLike[str] | None = None,
        runtime: Runtime | None = None,
        options: MattingOptions = MattingOptions(),
        segment: GroundedSam2Options = GroundedSam2Options(),
    ) -> GroundedSam2Matting:
        """Load Grounding DINO and SAM 2 (default: their lock entries under `$HOIEXPORT_MODELS`).

        `segment` sets the segmenter (the orbit masks of stage 5 use it too);
        its `device` is taken from `runtime`.

        Raises:
            ModelUnavailableError: naming the missing model and the fix.
        """
        device: Literal["cpu", "cuda"] = "cuda" if (runtime or Runtime()).device.startswith("cuda") else "cpu"
        seg = GroundedSam2Segmenter.from_pretrained(detector_dir, sam_dir, replace(segment, device=device))
        return cls(seg, options)

    def cutout(self, image: np.ndarray, labels: Sequence[str]) -> Cutout:
        """The union of `labels`' masks in `image`, cropped onto white.

        Args:
            image: (H, W, 3) uint8 sRGB.
            labels: label texts, e.g. ("person", "suitcase").

        Raises:
            InputError: a malformed image, or none of the labels found in it
                (the message names them and suggests another seed).
        """
        image = np.asarray(image)
        if image.ndim != 3 or image.shape[2] < 3 or image.dtype != np.uint8:
            raise InputError(f"matting input must be an (H, W, 3) uint8 image, got {image.shape} {image.dtype}")
        names, masks, scores = self.segmenter.segment_images(image[None, ..., :3], labels)
        found = {n: float(scores[0, i]) for i, n in enumerate(names)
                 if scores[0, i] > self.options.min_confidence and masks[0, i].any()}
        if not found:
            raise InputError(
                f"none of {names} was found in the generated view (detector scores "
                f"{[round(float(x), 3) for x in scores[0]]}); try another seed or a simpler prompt"
            )
        union = np.zeros(image.shape[:2], bool)
        for i, n in enumerate(names):
            if n in found:
                union |= masks[0, i]
        out, out_mask, box = crop_to_subject(image, union, self.options)
        return Cutout(out, out_mask, box, found)
