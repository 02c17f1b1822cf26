"""Frozen, typed options of the mesh clean-up and unwrap stages (`prepare`, `uv`).

The exporters compose them into `ExportOptions`; generators use them directly. Every option validates
itself on construction and raises `InputError` naming the field and the fix.

Example::

    PrepareOptions(floater_fraction=0.002)
    UVOptions(resolution=1024, padding=4, keep_uv=True)
    BakeOptions(size=1024, gutter_px=8)
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

from hoiexport.sdk.core.errors import InputError

HUMAN_MAX_FACES = 40_000
"""Default face budget of the human mesh."""

OBJECT_MAX_FACES = 20_000
"""Default face budget of the object mesh."""

MIN_TEXTURE_SIZE = 512
"""Smallest baked texture edge, texels."""

MAX_TEXTURE_SIZE = 4096
"""Largest baked texture edge, texels."""


def _check(ok: bool, message: str) -> None:
    if not ok:
        raise InputError(message)


def _finite_nonneg(name: str, value: float) -> None:
    _check(
        isinstance(value, (int, float)) and math.isfinite(value) and value >= 0,
        f"{name} must be a finite number >= 0, got {value!r}",
    )


@dataclass(frozen=True)
class PrepareOptions:
    """Stage 1, `prepare_mesh`: weld, clean, drop floaters, decimate.

    Attributes:
        human_max_faces: face budget the export uses for the human mesh.
        object_max_faces: face budget the export uses for the object mesh.
        weld_tolerance_m: vertices whose positions round to the same multiple of
            this length (metres) and whose other attributes match are welded.
        uv_tolerance: uv coordinates equal after rounding to this step count as equal.
        floater_fraction: connected pieces smaller than this fraction of the
            whole mesh (measured by `floater_measure`) are dropped; the largest
            piece is always kept. 0 keeps every piece.
        floater_measure: "area" (surface area, m²) or "faces" (face count).
        decimation_aggressiveness: `fast_simplification` `agg` (0 = best shape,
            slow; 10 = fastest); only used when a mesh is over its face budget.
        preserve_border: forbid collapsing open-border edges while decimating.
    """

    human_max_faces: int = HUMAN_MAX_FACES
    object_max_faces: int = OBJECT_MAX_FACES
    weld_tolerance_m: float = 1e-6
    uv_tolerance: float = 1e-6
    floater_fraction: float = 0.001
    floater_measure: Literal["area", "faces"] = "area"
    decimation_aggressiveness: float = 7.0
    preserve_border: bool = False

    def __post_init__(self) -> None:
        for name in ("human_max_faces", "object_max_faces"):
            value = getattr(self, name)
            _check(
                isinstance(value, int) and value >= 4,
                f"{name} must be an integer >= 4 faces, got {value!r}",
            )
        _check(
            isinstance(self.weld_tolerance_m, (int, float))
            and math.isfinite(self.weld_tolerance_m)
            and self.weld_tolerance_m > 0,
            f"weld_tolerance_m must be a length > 0 metres, got {self.weld_tolerance_m!r}",
        )
        _check(
            isinstance(self.uv_tolerance, (int, float))
            and math.isfinite(self.uv_tolerance)
            and self.uv_tolerance > 0,
            f"uv_tolerance must be > 0, got {self.uv_tolerance!r}",
        )
        _finite_nonneg("floater_fraction", self.floater_fraction)
        _check(
            self.floater_fraction < 0.5,
            f"floater_fraction must be < 0.5 (a fraction of the mesh), got {self.floater_fraction}",
        )
        _check(
            self.floater_measure in ("area", "faces"),
            f"floater_measure must be 'area' or 'faces', got {self.floater_measure!r}",
        )
        _finite_nonneg("decimation_aggressiveness", self.decimation_aggressiveness)


@dataclass(frozen=True)
class UVOptions:
    """Stage 2, `unwrap`: xatlas chart and pack settings.

    Attributes:
        resolution: atlas edge xatlas packs for, texels; use the bake size.
        padding: texels left between charts at `resolution` (see `uv.pack_grid`).
        pack_step: xatlas packs on a grid this many times coarser than
            `resolution` (its packing time grows with the grid's area: 0.73 s →
            0.22 s for a 5k-face chair at 2048 with step 2; texture coverage
            0.50 → 0.48), then the atlas is stretched to `resolution`; 1 packs
            at full resolution.
        max_chart_size: largest chart edge in texels, 0 = unlimited.
        texels_per_unit: texels per metre, 0 = chosen by xatlas to fit `resolution`.
        bilinear: leave room around charts for bilinear filtering.
        block_align: align charts to 4×4 blocks (helps block compression).
        brute_force: slower, tighter packing.
        rotate_charts: let the packer rotate charts.
        max_iterations: chart-growing iterations (more = better charts, slower).
        max_cost: chart-growing cost limit (lower = more, flatter charts). xatlas's
            own default is 2; 1 is measured (pack_step 2, 2048² bake) to cover
            about as much of the texture with less stretch and to chart
            smooth blobs much faster (xatlas's chart growing is quadratic in
            chart size): 12k-face sphere 1.24 → 0.79 s (7 → 47 charts, coverage
            0.61 → 0.60), 5k-face chair 0.23 → 0.14 s (coverage 0.48 → 0.66),
            20k-face decimated body 1.98 → 2.26 s (coverage 0.53 → 0.56).
        keep_uv: keep the mesh's own uv when they pass `source_uv_problem`'s check
            (no xatlas run then).
        keep_uv_max_overlap: largest fraction of covered uv area covered twice
            that still counts as "not overlapping" for `keep_uv`.
        keep_uv_max_degenerate: largest fraction of faces with zero uv area that
            `keep_uv` accepts.
        workers: processes `unwrap_many` uses; 1 runs in this process.
    """

    resolution: int = 2048
    padding: int = 4
    pack_step: int = 2
    max_chart_size: int = 0
    texels_per_unit: float = 0.0
    bilinear: bool = True
    block_align: bool = False
    brute_force: bool = False
    rotate_charts: bool = True
    max_iterations: int = 1
    max_cost: float = 1.0
    keep_uv: bool = False
    keep_uv_max_overlap: float = 0.02
    keep_uv_max_degenerate: float = 0.01
    workers: int = 2

    def __post_init__(self) -> None:
        _check(
            isinstance(self.resolution, int) and 64 <= self.resolution <= 16384,
            f"uv resolution must be an integer in [64, 16384] texels, got {self.resolution!r}",
        )
        for name in ("padding", "max_chart_size"):
            value = getattr(self, name)
            _check(
                isinstance(value, int) and value >= 0,
                f"uv {name} must be an integer >= 0 texels, got {value!r}",
            )
        _check(
            isinstance(self.pack_step, int) and 1 <= self.pack_step <= 8,
            f"uv pack_step must be an integer in [1, 8], got {self.pack_step!r}",
        )
        _finite_nonneg("texels_per_unit", self.texels_per_unit)
        _check(
            isinstance(self.max_iterations, int) and self.max_iterations >= 1,
            f"uv max_iterations must be an integer >= 1, got {self.max_iterations!r}",
        )
        _finite_nonneg("max_cost", self.max_cost)
        for name in ("keep_uv_max_overlap", "keep_uv_max_degenerate"):
            value = getattr(self, name)
            _check(
                isinstance(value, (int, float)) and 0.0 <= value <= 1.0,
                f"uv {name} must be a fraction in [0, 1], got {value!r}",
            )
        _check(
            isinstance(self.workers, int) and self.workers >= 1,
            f"uv workers must be an integer >= 1, got {self.workers!r}",
        )
