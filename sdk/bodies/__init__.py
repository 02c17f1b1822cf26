"""Body models posed through the 24 SMPL joints (DESIGN §5).

`load_body_model("anny")` (default, works offline) or `load_body_model("smpl",
smpl_dir=...)` returns a `BodyModel`; each is loaded once per process and shared.
Backends import their heavy dependencies (anny, torch) only when loaded. Every
model has a `ShapeSpace` (its shape as a vector) and is posed by `poser.Poser`
(torch, differentiable) or `kinematics` (NumPy, analytic gradients).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from hoiexport.sdk.bodies.protocol import BodyModel, BodyOutput, BodyParams, ShapeSpace
from hoiexport.sdk.core.errors import InputError

BodyModelName = Literal["anny", "smpl"]


@dataclass(frozen=True)
class _Backend:
    """How one body model is found and loaded.

    Attributes:
        source: the model's file for `smpl_dir` (resolved; the cache key), or
            None for a model without user files.
        load: builds the model from that source.
    """

    source: Callable[[str | os.PathLike[str] | None], Path | None]
    load: Callable[[Path | None], BodyModel]


def _no_source(smpl_dir: str | os.PathLike[str] | None) -> None:
    return None


def _load_anny(source: Path | None) -> BodyModel:
    from hoiexport.sdk.bodies.anny_body import AnnyBody
    from hoiexport.sdk.bodies.anny_cache import load_anny_model

    return AnnyBody(load_anny_model())


def _smpl_source(smpl_dir: str | os.PathLike[str] | None) -> Path:
    from hoiexport.sdk.bodies.smpl_body import find_smpl_file

    return find_smpl_file(smpl_dir).resolve()


def _load_smpl(source: Path | None) -> BodyModel:
    from hoiexport.sdk.bodies.smpl_body import SMPLBody, load_smpl_data

    assert source is not None  # _smpl_source always finds a file or raises
    return SMPLBody(load_smpl_data(source), source=source)


_BACKENDS: dict[str, _Backend] = {
    "anny": _Backend(source=_no_source, load=_load_anny),
    "smpl": _Backend(source=_smpl_source, load=_load_smpl),
}
BODY_MODEL_NAMES: tuple[str, ...] = tuple(_BACKENDS)

_LOADED: dict[tuple[str, str | None], BodyModel] = {}
_LOCK = threading.Lock()


def load_body_model(name: BodyModelName = "anny", smpl_dir: str | os.PathLike[str] | None = None) -> BodyModel:
    """The body model `name`, loaded once per process (later calls return the same object).

    Args:
        name: "anny" (default; first use on a machine builds its data, ~3-5 min,
            announced on stderr) or "smpl" (the user's licensed model file).
        smpl_dir: for "smpl", the folder with SMPL_NEUTRAL.npz|pkl; None reads
            `HOIEXPORT_SMPL_DIR`. Ignored for "anny".

    Raises:
        InputError: unknown `name`.
        ModelUnavailableError: the model's files are missing or unreadable.
    """
    backend = _BACKENDS.get(name)
    if backend is None:
        raise InputError(f"unknown body model {name!r}; use one of {', '.join(BODY_MODEL_NAMES)}")
    source = backend.source(smpl_dir)
    key = (name, None if source is None else str(source))
    with _LOCK:
        model = _LOADED.get(key)
        if model is None:
            model = backend.load(source)
            _LOADED[key] = model
        return model


__all__ = [
    "BODY_MODEL_NAMES",
    "BodyModel",
    "BodyModelName",
    "BodyOutput",
    "BodyParams",
    "ShapeSpace",
    "load_body_model",
]
