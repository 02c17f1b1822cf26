"""Frozen, typed options of the export stages (DESIGN §8).

One dataclass per stage; an `ExportOptions` composes them. Every option validates
itself on construction and raises `InputError` naming the field and the fix. The
mesh stages' options live beside their code in `hoiexport.sdk.geometry.options`
and are re-exported here.

Example::

    PrepareOptions(floater_fraction=0.002)
    UVOptions(resolution=1024, padding=4, keep_uv=True)
    BakeOptions(size=1024, gutter_px=8)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from hoiexport.sdk.geometry.options import (
    HUMAN_MAX_FACES,
    MAX_TEXTURE_SIZE,
    MIN_TEXTURE_SIZE,
    OBJECT_MAX_FACES,
    PrepareOptions,
    UVOptions,
    _check,
)

__all__ = ["HUMAN_MAX_FACES", "MAX_TEXTURE_SIZE", "MIN_TEXTURE_SIZE", "OBJECT_MAX_FACES",
           "BakeOptions", "PrepareOptions", "UVOptions"]


@dataclass(frozen=True)
class BakeOptions:
    """Stage 3, `bake_base_color`: re-sample the source appearance into the atlas.

    Attributes:
        size: texture edge, texels (square texture); 512..4096.
        gutter_px: texels around each chart filled with the nearest chart colour,
            so bilinear filtering and mip-maps do not pull in background.
        linear_blend: interpolate colours in linear light (sRGB decoded) and
            encode back to sRGB; False blends the sRGB values directly.
        source_wrap: how source uv outside [0, 1] address the source texture:
            "repeat" (the glTF default sampler) or "clamp".
        workers: threads the texels are split over (numpy releases the GIL); the
            result does not depend on it. 1 samples on one thread.
    """

    size: int = 2048
    gutter_px: int = 8
    linear_blend: bool = True
    source_wrap: Literal["repeat", "clamp"] = "repeat"
    workers: int = 2

    def __post_init__(self) -> None:
        _check(
            isinstance(self.size, int) and MIN_TEXTURE_SIZE <= self.size <= MAX_TEXTURE_SIZE,
            f"bake size must be an integer in [{MIN_TEXTURE_SIZE}, {MAX_TEXTURE_SIZE}] texels, "
            f"got {self.size!r}",
        )
        _check(
            isinstance(self.gutter_px, int) and self.gutter_px >= 0,
            f"bake gutter_px must be an integer >= 0 texels (4 or more keeps mip-maps clean), "
            f"got {self.gutter_px!r}",
        )
        _check(
            self.source_wrap in ("repeat", "clamp"),
            f"bake source_wrap must be 'repeat' or 'clamp', got {self.source_wrap!r}",
        )
        _check(
            isinstance(self.workers, int) and self.workers >= 1,
            f"bake workers must be an integer >= 1 threads, got {self.workers!r}",
        )
