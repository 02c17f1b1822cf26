"""Body-model parameters in a bundle: a JSON tree plus an `.npz` of its arrays.

`BodyFit.params` mixes numpy arrays with plain values, possibly nested in dicts
and lists. In `asset.json` every array is replaced by the marker object
`{"$ndarray": key}`, and the arrays go to one `.npz` under those keys.
Numpy scalars become plain JSON numbers / booleans; tuples become lists.
"""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Any

import numpy as np

from hoiexport.sdk.bundle.files import ArrayHeader
from hoiexport.sdk.bundle.schema import field_name
from hoiexport.sdk.core.errors import BundleError, InputError

ARRAY_MARKER = "$ndarray"
"""Key of the JSON object that stands for one array of the params `.npz`."""

MAX_PARAM_ELEMENTS = 1_000_000
"""Most elements one params array may hold (body parameters are small)."""

_ARRAY_KINDS = "biufcUS"
_SAFE_KEY = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


def split_params(params: dict[str, Any]) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """Split `BodyFit.params` into a JSON-able tree and its arrays.

    Args:
        params: the parameter dict; values may be numpy arrays (numeric, bool
            or string dtype), numpy scalars, Python scalars, strings, None,
            and lists / tuples / dicts of those.

    Returns:
        (tree, arrays): `tree` with each array replaced by `{"$ndarray": key}`,
        and {key: array}. Keys are the dotted path of the value where that is
        a safe file name (e.g. "pose", "shape.betas"), else "arrayN".

    Raises:
        InputError: a value that cannot be stored (naming `body.params...`),
            a NaN / inf, a non-string dict key, or a dict using the marker key.
    """
    arrays: dict[str, np.ndarray] = {}

    def walk(value: Any, path: list[str | int]) -> Any:
        name = field_name(["body", "params", *path])
        if isinstance(value, np.ndarray):
            if value.dtype.hasobject or value.dtype.kind not in _ARRAY_KINDS:
                raise InputError(
                    f"{name} is an array of dtype {value.dtype}; store numeric, bool or string arrays only"
                )
            if value.dtype.kind in "fc" and not np.isfinite(value).all():
                raise InputError(f"{name} has NaN or inf values; fix the body parameters before saving")
            key = ".".join(str(p) for p in path)
            if not all(_SAFE_KEY.match(str(p)) for p in path) or len(key) > 200 or key in arrays:
                key = f"array{len(arrays)}"
                while key in arrays:
                    key += "_"
            arrays[key] = value
            return {ARRAY_MARKER: key}
        if isinstance(value, np.generic):
            value = value.item()
        if isinstance(value, dict):
            out = {}
            for k, v in value.items():
                if not isinstance(k, str) or k == ARRAY_MARKER:
                    raise InputError(
                        f"{name} has key {k!r}; keys must be strings other than {ARRAY_MARKER!r}"
                    )
                out[k] = walk(v, [*path, k])
            return out
        if isinstance(value, list | tuple):
            return [walk(v, [*path, i]) for i, v in enumerate(value)]
        if isinstance(value, float) and not math.isfinite(value):
            raise InputError(f"{name} is {value}; fix the body parameters before saving")
        if value is None or isinstance(value, bool | int | float | str):
            return value
        raise InputError(
            f"{name} has type {type(value).__name__}, which a bundle cannot store; use numpy "
            "arrays, numbers, strings, booleans, None, or lists / dicts of those"
        )

    tree = walk(params, [])
    return tree, arrays


def check_param_headers(headers: dict[str, ArrayHeader], path: Path) -> None:
    """Reject params arrays of an unsupported dtype or an implausible size."""
    for key, h in headers.items():
        if h.dtype.kind not in _ARRAY_KINDS:
            raise BundleError(
                f"{path}: array {key!r} has dtype {h.dtype}; params arrays must be numeric, "
                "bool or string: re-save the bundle with hoiexport"
            )
        if math.prod(h.shape) > MAX_PARAM_ELEMENTS:
            raise BundleError(
                f"{path}: array {key!r} has shape {h.shape}, more than {MAX_PARAM_ELEMENTS} "
                "elements allowed for a body parameter; re-save the bundle with hoiexport"
            )


def join_params(
    tree: dict[str, Any], arrays: dict[str, np.ndarray], where: Path, npz: Path | None
) -> dict[str, Any]:
    """Rebuild `BodyFit.params` from the JSON tree and the params arrays.

    Args:
        tree: the `body.params` object of `asset.json`.
        arrays: the arrays of the params `.npz` (empty when there is none).
        where: path of `asset.json`, named in errors.
        npz: path of the params `.npz`, named in errors (None when absent).

    Raises:
        BundleError: a marker naming a missing array, a malformed marker, an
            array that no marker uses, or NaN / inf in a float array.
    """
    used: set[str] = set()

    def walk(value: Any, path: list[str | int]) -> Any:
        if isinstance(value, dict):
            if ARRAY_MARKER in value:
                name = field_name(["body", "params", *path])
                key = value[ARRAY_MARKER]
                if len(value) != 1 or not isinstance(key, str):
                    raise BundleError(
                        f"{where}: field {name} must be exactly {{{ARRAY_MARKER!r}: <array name>}}; "
                        "re-save the bundle with hoiexport"
                    )
                if key not in arrays:
                    raise BundleError(
                        f"{where}: field {name} refers to array {key!r}, which "
                        f"{'is not in ' + str(npz) if npz else 'has no body.param_arrays file'}; "
                        "restore the file or re-save the bundle with hoiexport"
                    )
                if key in used:
                    raise BundleError(
                        f"{where}: field {name} reuses array {key!r}; re-save the bundle with hoiexport"
                    )
                used.add(key)
                arr = arrays[key]
                if arr.dtype.kind in "fc" and not np.isfinite(arr).all():
                    raise BundleError(
                        f"{npz}: array {key!r} ({name}) has NaN or inf values; fix it and re-save the bundle"
                    )
                return arr
            return {k: walk(v, [*path, k]) for k, v in value.items()}
        if isinstance(value, list):
            return [walk(v, [*path, i]) for i, v in enumerate(value)]
        return value

    params = walk(tree, [])
    unused = sorted(set(arrays) - used)
    if unused:
        raise BundleError(
            f"{npz}: arrays {unused} are not referenced by {where} field body.params; "
            "the bundle was edited inconsistently: re-save it with hoiexport"
        )
    return params
