"""Model name -> local folder or file, checked: the one way backends find their weights.

`resolve(name)` is the lock entry's folder after its files were checked against
the lock (`verify`). A backend declares its weights as a `ModelRef` (lock entry,
stage, and the `FolderLayout` its loader needs) and calls `resolve_weights(ref,
folder)`: the folder the caller gave, else the lock entry's, checked against the
layout. Every failure is a `ModelUnavailableError` worded by
`hoiexport.sdk.models.messages`: the entry, its stage, what is wrong, the fix.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, runtime_checkable

from hoiexport.sdk.core.errors import InputError, ModelUnavailableError
from hoiexport.sdk.models.local import first_present
from hoiexport.sdk.models.lock import load_lock
from hoiexport.sdk.models.messages import fetch_command, not_available, unusable
from hoiexport.sdk.models.schema import LockFile, Stage
from hoiexport.sdk.models.verify import verify_models

_TRANSFORMERS_WEIGHTS = ("*.safetensors", "pytorch_model*.bin")


def resolve(
    name: str,
    *,
    lock: LockFile | None = None,
    models_dir: str | os.PathLike[str] | None = None,
) -> Path:
    """The local folder of model `name`, after checking its files against the lock.

    Files the lock pins are size- and sha256-checked (hashes of unchanged files are
    cached); unpinned files only need to exist.

    Raises:
        InputError: `name` is not in the lock.
        ModelUnavailableError: a file is missing or mismatches; the message names the
            model, its stage, each expected path and the command that fixes it.
    """
    lock = lock if lock is not None else load_lock()
    check = verify_models([lock.get(name)], models_dir)[0]
    if check.failures:
        raise not_available(name, check.entry.stage, check.problem_lines())
    return check.folder


def resolve_file(
    name: str,
    path: str,
    *,
    lock: LockFile | None = None,
    models_dir: str | os.PathLike[str] | None = None,
) -> Path:
    """The local path of one lock file of model `name` (an alternative when that is
    what is present), after `resolve` checked the model.

    Raises:
        InputError: the model does not list `path`.
        ModelUnavailableError: as `resolve`.
    """
    lock = lock if lock is not None else load_lock()
    entry = lock.get(name)
    spec = next((f for f in entry.files if f.path == path), None)
    if spec is None:
        raise InputError(f"model {name!r} lists no file {path!r}: it lists {', '.join(f.path for f in entry.files)}")
    folder = resolve(name, lock=lock, models_dir=models_dir)
    found = first_present(folder, spec.candidates)
    assert found is not None  # resolve() raised otherwise
    return found


# ----------------------------------------------------------------------------- layouts


@runtime_checkable
class FolderLayout(Protocol):
    """What a loader needs to find in a model folder."""

    @property
    def description(self) -> str:
        """The folder it accepts, as the object of "pass ..." (e.g. "a
        transformers-format folder (config.json + *.safetensors)")."""
        ...

    def problem(self, folder: Path) -> str | None:
        """Why `folder` does not fit, as a phrase naming the path; None when it fits."""
        ...


@dataclass(frozen=True)
class RequiredPaths:
    """A folder that holds given files and subfolders.

    Attributes:
        description: see `FolderLayout`.
        files: relative POSIX paths that must be files.
        folders: relative POSIX paths that must be folders.
    """

    description: str
    files: tuple[str, ...] = ()
    folders: tuple[str, ...] = ()

    def problem(self, folder: Path) -> str | None:
        if not folder.is_dir():
            return f"{folder} does not exist"
        missing = [str(folder / f) for f in self.files if not (folder / f).is_file()]
        missing += [str(folder / d) for d in self.folders if not (folder / d).is_dir()]
        return f"{', '.join(missing)} missing" if missing else None


@dataclass(frozen=True)
class TransformersFolder:
    """A transformers-format model folder: `config.json` plus `*.safetensors` or
    `pytorch_model*.bin` (what `from_pretrained` loads).

    Attributes:
        description: see `FolderLayout`.
    """

    description: str = "a transformers-format model folder (config.json + *.safetensors)"

    def problem(self, folder: Path) -> str | None:
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
        if not any(any(folder.glob(p)) for p in _TRANSFORMERS_WEIGHTS):
            return f"{folder} has no weights (*.safetensors or pytorch_model.bin)"
        return None


# ----------------------------------------------------------------------------- backends' weights


@dataclass(frozen=True)
class ModelRef:
    """How a backend names its weights.

    Attributes:
        name: the `third_party_models.lock` entry used when no folder is given.
        stage: that entry's pipeline stage (for messages).
        layout: what the backend's loader needs in the folder.
    """

    name: str
    stage: Stage
    layout: FolderLayout


def resolve_weights(
    ref: ModelRef,
    explicit: str | os.PathLike[str] | None = None,
    *,
    lock: LockFile | None = None,
    models_dir: str | os.PathLike[str] | None = None,
) -> Path:
    """The folder of `ref`'s weights, checked against `ref.layout`.

    Args:
        ref: the backend's weights.
        explicit: a folder given by the caller (`~` expanded); None resolves the lock
            entry `ref.name` under the models dir (`resolve`, files checked).
        lock: the lock (default `load_lock()`); only read when `explicit` is None.
        models_dir: models root (default `get_models_dir()`).

    Raises:
        ModelUnavailableError: the lock entry's files are missing or mismatch
            (`resolve`), or the folder does not fit the layout; the message names
            the entry, the stage, the path and the fix.
    """
    if explicit is None:
        folder = resolve(ref.name, lock=lock, models_dir=models_dir)
        fix = f"pass {ref.layout.description} explicitly (the files of lock entry {ref.name!r} do not provide it)"
    else:
        folder = Path(explicit).expanduser()
        fix = f"pass {ref.layout.description} instead, or leave it out and run `{fetch_command(ref.name)}`"
    problem = ref.layout.problem(folder)
    if problem is not None:
        raise unusable(ref.name, ref.stage, problem, fix)
    return folder


def weights_available(ref: ModelRef, explicit: str | os.PathLike[str] | None = None) -> bool:
    """Whether `resolve_weights(ref, explicit)` would succeed (hashes are checked)."""
    try:
        resolve_weights(ref, explicit)
    except ModelUnavailableError:
        return False
    return True
