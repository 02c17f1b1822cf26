"""Loading model weights safely: single checkpoint files and pretrained folders.

The loading rules of `third_party_models.lock`: safetensors where the source
offers them; a pickled `.pth` / `.pt` / `.ckpt` / `.bin` only through
`torch.load(weights_only=True)`, which rebuilds tensors and plain containers and
refuses every other global, so a tampered checkpoint cannot run code. Folders are
loaded by the library's own `from_pretrained` from local files only. Paths come
from `hoiexport.sdk.models.resolve`.
"""

from __future__ import annotations

import os
import pickle
import zipfile
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from hoiexport.sdk.core.errors import InputError, ModelUnavailableError
from hoiexport.sdk.models.messages import GPU_EXTRA_HINT, cannot_load

if TYPE_CHECKING:
    import torch

    from hoiexport.sdk.models.resolve import ModelRef

CHECKPOINT_SUFFIXES = (".pth", ".pt", ".ckpt", ".bin")
"""Pickle-based formats, read through torch.load(weights_only=True)."""


def _is_tensor_dict(obj: Any) -> bool:
    import torch

    return isinstance(obj, Mapping) and all(
        isinstance(k, str) and isinstance(v, torch.Tensor) for k, v in obj.items()
    )


def load_checkpoint(path: str | os.PathLike[str], *, key: str | None = None) -> dict[str, torch.Tensor]:
    """Load a state dict safely: safetensors, or a pickle through `torch.load(weights_only=True)`.

    Args:
        path: a `.safetensors` file, or `.pth` / `.pt` / `.ckpt` / `.bin`.
        key: dotted path of the state dict inside a training checkpoint, e.g.
            "state_dict" or "model" (SAM 2 files); None when the file is the state dict.

    Returns:
        name → tensor, on the CPU (zip-format pickles are memory-mapped).

    Raises:
        InputError: an unsupported file type, or `key` does not lead to a flat
            name → tensor mapping (the message lists the keys there are).
        ModelUnavailableError: the file is missing or unreadable, or the pickle holds
            anything but tensors and plain containers (refused, never executed).
    """
    import torch

    path = Path(path)
    if not path.is_file():
        raise ModelUnavailableError(
            f"checkpoint {path} does not exist: run `hoiexport models verify` to see what is missing"
        )
    suffix = path.suffix.lower()
    if suffix == ".safetensors":
        try:
            from safetensors.torch import load_file
        except ImportError:
            raise ModelUnavailableError(f"reading {path} needs safetensors: run {GPU_EXTRA_HINT}") from None
        try:
            obj: Any = load_file(str(path), device="cpu")
        except Exception as exc:  # noqa: BLE001 - safetensors raises its own error types
            raise ModelUnavailableError(f"cannot read safetensors file {path}: {exc}; re-download it") from exc
    elif suffix in CHECKPOINT_SUFFIXES:
        try:
            obj = torch.load(path, map_location="cpu", weights_only=True, mmap=zipfile.is_zipfile(path))
        except pickle.UnpicklingError as exc:
            refused = next((ln.strip() for ln in str(exc).splitlines() if "GLOBAL" in ln), None)
            if refused is None:  # not a pickle torch can read at all
                raise ModelUnavailableError(
                    f"cannot read checkpoint {path}: it is corrupt or not a PyTorch checkpoint; re-download it"
                ) from None
            raise ModelUnavailableError(
                f"refused to load {path}: it holds Python objects other than tensors and plain containers "
                f"({refused}), which torch.load(weights_only=True) does not unpickle. hoiexport never executes "
                "pickled code: get the file from the source named in third_party_models.lock, or convert it "
                "to safetensors on a machine you trust"
            ) from None
        except (RuntimeError, EOFError, OSError, ValueError) as exc:
            raise ModelUnavailableError(f"cannot read checkpoint {path}: {exc}; re-download it") from exc
    else:
        raise InputError(
            f"unsupported checkpoint type {suffix or '(none)'!r} for {path}: hoiexport reads .safetensors, "
            f"or {', '.join(CHECKPOINT_SUFFIXES)} through torch.load(weights_only=True)"
        )
    where = "the file"
    for part in key.split(".") if key else ():
        if not isinstance(obj, Mapping) or part not in obj:
            keys = sorted(map(str, obj)) if isinstance(obj, Mapping) else []
            raise InputError(f"checkpoint {path}: no key {part!r} in {where}; it has {keys[:20]}")
        obj, where = obj[part], f"{where}[{part!r}]"
    if not _is_tensor_dict(obj):
        if isinstance(obj, Mapping):
            nested = sorted(str(k) for k, v in obj.items() if _is_tensor_dict(v))
            bad = next((k for k, v in obj.items() if not (isinstance(k, str) and isinstance(v, torch.Tensor))), None)
            hint = f"pass key= one of {nested}" if nested else f"entry {bad!r} is a {type(obj[bad]).__name__}"
            raise InputError(f"checkpoint {path}: {where} is not a flat name -> tensor mapping; {hint}")
        raise InputError(f"checkpoint {path}: {where} is a {type(obj).__name__}, not a name -> tensor mapping")
    return dict(obj)


_Loaded = TypeVar("_Loaded")


def load_pretrained(
    load: Callable[..., _Loaded],
    folder: Path,
    ref: ModelRef,
    *,
    local_safetensors: bool = True,
    **kwargs: Any,
) -> _Loaded:
    """`load(folder, **kwargs)` (a transformers / diffusers `from_pretrained`); a
    folder it cannot read is one clear error.

    Args:
        load: the `from_pretrained` classmethod.
        folder: the model folder (`resolve_weights`).
        ref: the backend's weights (entry and stage, for the message).
        local_safetensors: also pass `use_safetensors=True, local_files_only=True`
            (safetensors only, never the network).
        **kwargs: passed on, e.g. `dtype=torch.bfloat16`.

    Raises:
        ModelUnavailableError: the folder cannot be loaded (`OSError` / `ValueError`
            from the loader); names the entry, the stage, the folder and
            `hoiexport models fetch ENTRY`.
    """
    if local_safetensors:
        kwargs = {**kwargs, "use_safetensors": True, "local_files_only": True}
    try:
        return load(folder, **kwargs)
    except (OSError, ValueError) as exc:
        raise cannot_load(ref.name, ref.stage, folder, exc) from exc
