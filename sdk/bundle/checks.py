"""Value checks shared by `save_bundle` and `load_bundle`.

Each check returns a short problem description, or None when the value is fine,
so the caller can raise the error that fits (InputError on save, BundleError on
load) naming its own field or file.
"""

from __future__ import annotations

import numpy as np

from hoiexport.sdk.core.types import BODY_PARTS

SKIN_WEIGHT_SUM_TOL = 1e-3
"""How far a vertex's skin weights may sum from 1."""


def nonfinite_problem(arr: np.ndarray) -> str | None:
    """Rows (or elements, for 1-D arrays) with NaN or inf values, if any."""
    bad = ~np.isfinite(arr)
    if arr.ndim > 1:
        bad = bad.reshape(len(arr), -1).any(axis=1)
    n = int(np.count_nonzero(bad))
    if n == 0:
        return None
    first = int(np.flatnonzero(bad)[0])
    unit = ("row" if n == 1 else "rows") if arr.ndim > 1 else ("element" if n == 1 else "elements")
    return f"has {n} {unit} with NaN or inf values (first: index {first})"


def face_index_problem(faces: np.ndarray, n_vertices: int) -> str | None:
    """Face indices outside [0, n_vertices), if any."""
    if len(faces) == 0:
        return None
    lo, hi = int(faces.min()), int(faces.max())
    if lo < 0 or hi >= n_vertices:
        return f"has indices out of range [0, {n_vertices}): min {lo}, max {hi}"
    return None


def skin_weights_problem(weights: np.ndarray) -> str | None:
    """Negative weights, or rows not summing to 1 within `SKIN_WEIGHT_SUM_TOL`."""
    neg = int(np.count_nonzero(weights < -1e-6))
    if neg:
        return f"has {neg} negative weight(s); skin weights must be >= 0"
    if weights.size == 0:
        return None
    sums = weights.sum(axis=1, dtype=np.float64)
    bad = np.abs(sums - 1.0) > SKIN_WEIGHT_SUM_TOL
    if bad.any():
        first = int(np.flatnonzero(bad)[0])
        return (
            f"has {int(bad.sum())} row(s) that do not sum to 1 "
            f"(row {first} sums to {sums[first]:.6f}); normalise each vertex's weights"
        )
    return None


def part_labels_problem(labels: np.ndarray) -> str | None:
    """Labels outside [0, len(BODY_PARTS)), if any."""
    if labels.size == 0:
        return None
    lo, hi = int(labels.min()), int(labels.max())
    if lo < 0 or hi >= len(BODY_PARTS):
        return (
            f"has labels out of range [0, {len(BODY_PARTS)}) (min {lo}, max {hi}); "
            "labels are indices into hoiexport.sdk.core.types.BODY_PARTS"
        )
    return None
