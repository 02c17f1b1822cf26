"""Training checkpoints of `finetune_sana`: written atomically, read without pickle.

A checkpoint is a folder `checkpoint-<step, 8 digits>/` holding

    state.json            "meta": plain JSON the caller reads before loading
                          (settings fingerprint, data hash, loss history);
                          "state": the training state as JSON, every tensor replaced by a
                          reference {"__tensor__": name}; dicts with non-string
                          keys (an optimizer's per-parameter state) and tuples are
                          tagged so they come back exactly
    tensors.safetensors   the tensors by those names

Nothing is pickled, so reading one runs no code. `save_checkpoint` writes the
folder through `atomic_directory` (a crash leaves the previous checkpoints
intact) and then removes all but the newest `keep`.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hoiexport.sdk.core.cache import atomic_directory
from hoiexport.sdk.core.errors import InputError, ModelUnavailableError

if TYPE_CHECKING:
    import torch

STATE_FILE = "state.json"
TENSORS_FILE = "tensors.safetensors"
CHECKPOINT_FORMAT = "hoiexport-sana-finetune-checkpoint"
_NAME = re.compile(r"^checkpoint-(\d{8})$")


def checkpoint_name(step: int) -> str:
    """The folder name of the checkpoint after `step` optimizer steps."""
    return f"checkpoint-{step:08d}"


def _split(obj: Any, tensors: dict[str, torch.Tensor], path: str) -> Any:
    """`obj` as JSON with its tensors moved into `tensors` (see the module docstring)."""
    import torch

    if isinstance(obj, torch.Tensor):
        tensors[path] = obj.detach().to("cpu").contiguous().clone()
        return {"__tensor__": path}
    if isinstance(obj, dict):
        if all(isinstance(k, str) for k in obj):
            return {"__dict__": {k: _split(v, tensors, f"{path}.{k}") for k, v in obj.items()}}
        return {"__items__": [[k, _split(v, tensors, f"{path}.{k}")] for k, v in obj.items()]}
    if isinstance(obj, tuple):
        return {"__tuple__": [_split(v, tensors, f"{path}.{i}") for i, v in enumerate(obj)]}
    if isinstance(obj, list):
        return [_split(v, tensors, f"{path}.{i}") for i, v in enumerate(obj)]
    if obj is None or isinstance(obj, (bool, int, float, str)):
        return obj
    raise TypeError(f"checkpoint state at {path!r} holds a {type(obj).__name__}, which is not saved")


def _join(obj: Any, tensors: dict[str, torch.Tensor]) -> Any:
    """The inverse of `_split`."""
    if isinstance(obj, list):
        return [_join(v, tensors) for v in obj]
    if isinstance(obj, dict):
        if "__tensor__" in obj:
            return tensors[obj["__tensor__"]]
        if "__dict__" in obj:
            return {k: _join(v, tensors) for k, v in obj["__dict__"].items()}
        if "__items__" in obj:
            return {k: _join(v, tensors) for k, v in obj["__items__"]}
        if "__tuple__" in obj:
            return tuple(_join(v, tensors) for v in obj["__tuple__"])
        raise ValueError(f"untagged object in checkpoint state: keys {sorted(obj)[:5]}")
    return obj


def save_checkpoint(
    folder: str | os.PathLike[str], step: int, state: dict[str, Any], keep: int, meta: dict[str, Any] | None = None
) -> Path:
    """Write the checkpoint of `step` under `folder` and prune old ones.

    Args:
        folder: the run's checkpoint folder (created if needed).
        step: optimizer steps done.
        state: the training state: nested dicts / lists / tuples of tensors and
            JSON scalars (model weights, optimizer, scheduler, EMA, history).
        keep: how many of the newest checkpoints to keep (>= 1).
        meta: plain JSON stored beside the state (`read_checkpoint_meta`).

    Returns:
        The checkpoint's folder.
    """
    from safetensors.torch import save_file

    root = Path(folder)
    tensors: dict[str, torch.Tensor] = {}
    document = {"format": CHECKPOINT_FORMAT, "step": step, "meta": meta or {}, "state": _split(state, tensors, "s")}
    path = root / checkpoint_name(step)
    with atomic_directory(path, overwrite=True) as tmp:
        save_file(tensors, str(tmp / TENSORS_FILE), metadata={"format": "pt"})
        (tmp / STATE_FILE).write_text(json.dumps(document, allow_nan=True), encoding="utf-8")
    for old in list_checkpoints(root)[:-keep]:
        shutil.rmtree(old, ignore_errors=True)
    return path


def list_checkpoints(folder: str | os.PathLike[str]) -> list[Path]:
    """Complete checkpoints under `folder`, oldest first ([] when none or no folder)."""
    root = Path(folder)
    if not root.is_dir():
        return []
    found = [p for p in root.iterdir() if _NAME.match(p.name) and (p / STATE_FILE).is_file()]
    return sorted(found, key=lambda p: p.name)


def latest_checkpoint(folder: str | os.PathLike[str]) -> Path | None:
    """The newest complete checkpoint under `folder`, or None."""
    found = list_checkpoints(folder)
    return found[-1] if found else None


def _document(path: Path) -> dict[str, Any]:
    try:
        document = json.loads((path / STATE_FILE).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ModelUnavailableError(f"checkpoint {path} has no {STATE_FILE}: delete it and resume from an older one") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ModelUnavailableError(f"checkpoint {path} cannot be read ({exc}): delete it and resume from an older one") from exc
    if not isinstance(document, dict) or document.get("format") != CHECKPOINT_FORMAT:
        raise InputError(f"{path} is not a `hoiexport finetune sana` checkpoint")
    return document


def read_checkpoint_meta(path: str | os.PathLike[str]) -> tuple[int, dict[str, Any]]:
    """(step, meta) of a checkpoint, without reading its tensors.

    Raises:
        ModelUnavailableError: missing or unreadable `state.json`.
        InputError: not a checkpoint of this format.
    """
    document = _document(Path(path))
    return int(document["step"]), dict(document.get("meta", {}))


def load_checkpoint_state(path: str | os.PathLike[str]) -> tuple[int, dict[str, Any]]:
    """Read a checkpoint folder's training state.

    Returns:
        (step, state) with tensors on the CPU.

    Raises:
        ModelUnavailableError: missing or unreadable files.
        InputError: not a checkpoint of this format.
    """
    from safetensors.torch import load_file

    p = Path(path)
    document = _document(p)
    try:
        tensors = load_file(str(p / TENSORS_FILE), device="cpu")
    except FileNotFoundError:
        raise ModelUnavailableError(f"checkpoint {p} has no {TENSORS_FILE}: delete it and resume from an older one") from None
    except Exception as exc:  # noqa: BLE001 - safetensors raises its own error types
        raise ModelUnavailableError(f"checkpoint {p} cannot be read ({exc}): delete it and resume from an older one") from exc
    try:
        state = _join(document["state"], tensors)
    except (KeyError, ValueError, TypeError) as exc:
        raise ModelUnavailableError(f"checkpoint {p} is damaged ({exc}): delete it and resume from an older one") from exc
    return int(document["step"]), state
