"""Where the segmentation networks' weights live on disk (never downloaded here).

By default each model is its `third_party_models.lock` entry, resolved (files
present, pinned hashes checked) by `hoiexport.sdk.models.lock.resolve` under
`$HOIEXPORT_MODELS` (`hoiexport models fetch NAME` fills it). A caller may
instead give a folder explicitly. Either way the folder must be in transformers'
format (`config.json` plus `*.safetensors` or `pytorch_model.bin`), which is
what `from_pretrained` loads.

The lock's SAM 2.1 entry pins the original sam2 checkpoint
(`sam2.1_hiera_large.pt`); transformers' `Sam2Model` cannot load that file, so
until the lock pins a transformers-format SAM 2 repository, pass one explicitly
(for example a download of `facebook/sam2-hiera-large-hf`).
"""

from __future__ import annotations

import os
from pathlib import Path

from hoiexport.sdk.core.errors import InputError, ModelUnavailableError

LOCK_NAMES: dict[str, str] = {"grounding_dino": "grounding-dino-base", "sam2": "sam2-1-hiera-large"}
"""Segmentation model → its entry in `third_party_models.lock`."""

_WEIGHT_PATTERNS = ("*.safetensors", "pytorch_model*.bin")


def transformers_folder_problem(folder: Path) -> str | None:
    """Why `folder` is not a transformers model folder, or None when it is."""
    if not folder.is_dir():
        return f"{folder} does not exist"
    if not (folder / "config.json").is_file():
        originals = sorted(p.name for p in folder.glob("*.pt"))
        if originals:
            return (
                f"{folder} holds the original-format checkpoint {originals[0]} but no config.json; "
                "transformers needs a transformers-format folder (config.json + model.safetensors)"
            )
        return f"{folder} has no config.json"
    if not any(any(folder.glob(p)) for p in _WEIGHT_PATTERNS):
        return f"{folder} has no weights (*.safetensors or pytorch_model.bin)"
    return None


def resolve_model_dir(name: str, explicit: str | os.PathLike[str] | None = None) -> Path:
    """The transformers-format folder of segmentation model `name`.

    Args:
        name: "grounding_dino" or "sam2".
        explicit: a folder given by the caller; else the model's lock entry.

    Raises:
        InputError: unknown `name`.
        ModelUnavailableError: naming the model, what is wrong and the fix.
    """
    if name not in LOCK_NAMES:
        raise InputError(f"unknown segmentation model {name!r}; use one of {', '.join(LOCK_NAMES)}")
    if explicit is not None:
        folder = Path(explicit).expanduser()
        fix = "pass a transformers-format model folder"
    else:
        from hoiexport.sdk.models.lock import resolve

        folder = resolve(LOCK_NAMES[name])  # raises ModelUnavailableError with the fetch command
        fix = (
            "pass a transformers-format folder explicitly (CLI: --detector-dir / --sam-dir)"
            if name == "sam2"
            else f"run `hoiexport models fetch {LOCK_NAMES[name]}`"
        )
    problem = transformers_folder_problem(folder)
    if problem is not None:
        raise ModelUnavailableError(f"{name} weights unusable: {problem}; {fix}")
    return folder


def model_available(name: str, explicit: str | os.PathLike[str] | None = None) -> bool:
    """Whether `resolve_model_dir(name, explicit)` would succeed."""
    try:
        resolve_model_dir(name, explicit)
    except ModelUnavailableError:
        return False
    return True
