"""The third-party weights store, as the application uses it.

`hoiexport models list|verify|fetch` and build scripts manage the pinned
weights through these names; the lock's format, hashing, Hugging Face access and
loading live in `hoiexport.sdk.models` (see docs/architecture.md §4).
"""

from __future__ import annotations

from hoiexport.sdk.models import (
    MODELS_DIR_ENV,
    UNRESOLVED,
    FetchResult,
    LockFile,
    ModelCheck,
    ModelEntry,
    fetch_model,
    get_models_dir,
    load_lock,
    manual_steps,
    presence,
    save_lock,
    verify_models,
)

__all__ = [
    "MODELS_DIR_ENV",
    "UNRESOLVED",
    "FetchResult",
    "LockFile",
    "ModelCheck",
    "ModelEntry",
    "fetch_model",
    "get_models_dir",
    "load_lock",
    "manual_steps",
    "presence",
    "save_lock",
    "verify_models",
]
