"""Body models posed through the 24 SMPL joints (DESIGN §5).

`load_body_model("anny")` (default, works offline) or `load_body_model("smpl",
smpl_dir=...)` returns a `BodyModel`; each is loaded once per process and shared.
Backends import their heavy dependencies (anny, torch) only when loaded.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Literal

from hoiexport.sdk.bodies.protocol import BodyModel, BodyOutput, BodyParams
from hoiexport.sdk.core.errors import InputError

BodyModelName = Literal["anny", "smpl"]
BODY_MODEL_NAMES: tuple[str, ...] = ("anny", "smpl")

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
    if name not in BODY_MODEL_NAMES:
        raise InputError(f"unknown body model {name!r}; use one of {', '.join(BODY_MODEL_NAMES)}")
    if name == "anny":
        key: tuple[str, str | None] = ("anny", None)
    else:
        from hoiexport.sdk.bodies.smpl_body import find_smpl_file

        key = ("smpl", str(find_smpl_file(smpl_dir).resolve()))
    with _LOCK:
        model = _LOADED.get(key)
        if model is None:
            if name == "anny":
                from hoiexport.sdk.bodies.anny_body import AnnyBody
                from hoiexport.sdk.bodies.anny_cache import load_anny_model

                model = AnnyBody(load_anny_model())
            else:
                from hoiexport.sdk.bodies.smpl_body import SMPLBody, load_smpl_data

                model = SMPLBody(load_smpl_data(Path(key[1])), source=Path(key[1]))
            _LOADED[key] = model
        return model


__all__ = [
    "BODY_MODEL_NAMES",
    "BodyModel",
    "BodyModelName",
    "BodyOutput",
    "BodyParams",
    "load_body_model",
]
