"""The lock file on disk: where it is, reading it, writing it back.

The repository root holds `third_party_models.lock`; `hoiexport.sdk.models` ships
an identical copy as package data, read when there is no source checkout. Its
format is `hoiexport.sdk.models.schema`.
"""

from __future__ import annotations

import os
from pathlib import Path

from hoiexport.sdk.core.cache import atomic_write_bytes
from hoiexport.sdk.core.errors import InputError, ModelUnavailableError
from hoiexport.sdk.models.schema import LOCK_NAME, LockFile, dump_lock, parse_lock

_MODULE_DIR = Path(__file__).resolve().parent
REPOSITORY_LOCK = _MODULE_DIR.parents[1] / LOCK_NAME
"""The lock at the repository root (exists in a source checkout / editable install)."""
SHIPPED_LOCK = _MODULE_DIR / LOCK_NAME
"""The copy shipped as package data of `hoiexport.sdk.models` (kept identical to the root file)."""


def find_lock() -> Path:
    """The lock to read by default: the repository root's in a source checkout
    (editable install), else the copy shipped as package data.

    Raises:
        ModelUnavailableError: neither exists.
    """
    for candidate in (REPOSITORY_LOCK, SHIPPED_LOCK):
        if candidate.is_file():
            return candidate
    raise ModelUnavailableError(
        f"{LOCK_NAME} not found at {REPOSITORY_LOCK} or {SHIPPED_LOCK}: reinstall hoiexport, or pass --lock PATH"
    )


def load_lock(path: str | os.PathLike[str] | None = None) -> LockFile:
    """Read and validate a lock file (`find_lock()` when `path` is None).

    Raises:
        InputError: the file is missing or invalid (see `parse_lock`).
    """
    p = Path(path).expanduser() if path is not None else find_lock()
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(f"model lock {p} does not exist: pass an existing --lock file") from None
    return parse_lock(text, p)


def save_lock(lock: LockFile, path: str | os.PathLike[str] | None = None) -> list[Path]:
    """Write `lock` atomically to `path` (default `lock.path`).

    When that is the repository's root lock and the packaged copy exists beside the
    sources, the copy is rewritten too, so the two stay identical.

    Returns:
        The paths written.
    """
    target = Path(path) if path is not None else lock.path
    data = dump_lock(lock).encode("utf-8")
    written = [atomic_write_bytes(target, data)]
    if target.resolve() == REPOSITORY_LOCK and SHIPPED_LOCK.is_file():
        written.append(atomic_write_bytes(SHIPPED_LOCK, data))
    return written
