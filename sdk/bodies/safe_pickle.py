"""A restricted unpickler for model files that may only hold arrays (DESIGN §5).

Body-model pickles (SMPL `.pkl`) are data, but `pickle` can call any importable
function while loading. `load_array_pickle` resolves only the globals that
rebuild numpy arrays, numpy scalars and scipy sparse CSC/CSR matrices, and fails
on anything else with an error naming the global, so a tampered file cannot run code.
"""

from __future__ import annotations

import copyreg
import io
import os
import pickle
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse

from hoiexport.sdk.core.errors import ModelUnavailableError


class UnsafePickleError(ModelUnavailableError):
    """A pickle references a global outside the array-only allow list."""


def _numpy_core() -> Any:
    """numpy's private core package (`numpy._core` in numpy 2, `numpy.core` before)."""
    return getattr(np, "_core", None) or np.core


def _allowed_globals() -> dict[tuple[str, str], Any]:
    """(module, name) → object for every global an array pickle may reference.

    Both the numpy 1 (`numpy.core`) and numpy 2 (`numpy._core`) spellings, the
    Python 2 module names (`copy_reg`, `__builtin__`) and the old and new scipy
    module paths map to the same few objects; nothing is imported by name.
    """
    core = _numpy_core()
    reconstruct = core.multiarray._reconstruct
    scalar = core.multiarray.scalar
    frombuffer = core.numeric._frombuffer
    reconstructor = copyreg._reconstructor  # type: ignore[attr-defined]  # private: not in typeshed's copyreg
    allowed: dict[tuple[str, str], Any] = {
        ("numpy", "ndarray"): np.ndarray,
        ("numpy", "dtype"): np.dtype,
        ("copyreg", "_reconstructor"): reconstructor,
        ("copy_reg", "_reconstructor"): reconstructor,
        ("builtins", "object"): object,
        ("__builtin__", "object"): object,
        # protocol-2 pickles written by Python 3 store bytes as _codecs.encode(str, "latin1")
        ("_codecs", "encode"): _latin1_encode,
    }
    for mod in ("numpy.core", "numpy._core"):
        allowed[(f"{mod}.multiarray", "_reconstruct")] = reconstruct
        allowed[(f"{mod}.multiarray", "scalar")] = scalar
        allowed[(f"{mod}.numeric", "_frombuffer")] = frombuffer
    for fmt, cls in (("csc", scipy.sparse.csc_matrix), ("csr", scipy.sparse.csr_matrix)):
        for mod in ("scipy.sparse", f"scipy.sparse.{fmt}", f"scipy.sparse._{fmt}"):
            allowed[(mod, f"{fmt}_matrix")] = cls
    return allowed


def _latin1_encode(obj: str, encoding: str = "latin1") -> bytes:
    """`_codecs.encode` restricted to the text codecs pickle uses for bytes."""
    if encoding.lower().replace("-", "").replace("_", "") not in ("latin1", "utf8", "ascii"):
        raise UnsafePickleError(f"pickle asks for codec {encoding!r}; only latin1/utf-8/ascii are allowed")
    return obj.encode(encoding)


class _ArrayUnpickler(pickle.Unpickler):
    """`pickle.Unpickler` whose `find_class` only returns allow-listed objects."""

    def __init__(self, file: io.BufferedIOBase, source: str) -> None:
        super().__init__(file, encoding="latin1")
        self._source = source
        self._allowed = _allowed_globals()

    def find_class(self, module: str, name: str) -> Any:
        try:
            return self._allowed[(module, name)]
        except KeyError:
            hint = ""
            if module.startswith("chumpy"):
                hint = (
                    " The file stores chumpy objects (an original SMPL release): remove them "
                    "with smplx's tools/clean_ch.py, or convert the model to .npz."
                )
            raise UnsafePickleError(
                f"refusing to load {self._source}: it references the Python global "
                f"'{module}.{name}', which is not a numpy array or scipy sparse matrix "
                f"type; model pickles may only contain arrays.{hint}"
            ) from None


def load_array_pickle(path: str | os.PathLike[str]) -> Any:
    """Load a pickle that may only contain numpy arrays, scipy sparse matrices and
    plain Python containers (dict, list, tuple, str, numbers).

    Python 2 pickles (the original SMPL files) are read with latin1 encoding.

    Args:
        path: the `.pkl` file.

    Returns:
        The unpickled object (for SMPL, a dict of arrays).

    Raises:
        UnsafePickleError: the file references any other global (the message names it).
        ModelUnavailableError: the file is missing or is not a valid pickle.
    """
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ModelUnavailableError(f"cannot read model file {path}: {exc.strerror or exc}") from exc
    try:
        return _ArrayUnpickler(io.BytesIO(data), str(path)).load()
    except UnsafePickleError:
        raise
    except (pickle.UnpicklingError, EOFError, AttributeError, ValueError, TypeError, IndexError) as exc:
        raise ModelUnavailableError(f"{path} is not a readable model pickle: {exc}") from exc
