"""Third-party model weights: the lock, verifying, fetching, resolving, loading.

Every external network or body model is pinned in `third_party_models.lock`. This
package is the one place that reads it and finds weights on disk:

- `schema`: the lock's format (typed entries; `parse_lock` / `dump_lock`);
- `lock`: the lock file on disk (`find_lock`, `load_lock`, `save_lock`);
- `local`: the models dir (`HOIEXPORT_MODELS`) and what is in a folder;
- `verify`: presence, size and sha256 of a model's files (`verify_models`, `presence`);
- `fetch`: download from Hugging Face and pin (`fetch_model`), or the manual steps;
- `resolve`: name -> checked folder (`resolve`, `resolve_file`) and a backend's
  weights -> folder fit for its loader (`ModelRef`, `resolve_weights`);
- `load`: safe loading (`load_checkpoint`, `load_pretrained`);
- `messages`: the wording of every problem (entry, stage, what is wrong, the fix).

Nothing here imports torch or huggingface_hub until a function needs it.
"""

from hoiexport.sdk.models.fetch import FetchResult, fetch_model, manual_steps, pin_entry
from hoiexport.sdk.models.load import CHECKPOINT_SUFFIXES, load_checkpoint, load_pretrained
from hoiexport.sdk.models.local import MODELS_DIR_ENV, get_models_dir
from hoiexport.sdk.models.lock import REPOSITORY_LOCK, SHIPPED_LOCK, find_lock, load_lock, save_lock
from hoiexport.sdk.models.messages import GPU_EXTRA_HINT
from hoiexport.sdk.models.resolve import (
    FolderLayout,
    ModelRef,
    RequiredPaths,
    TransformersFolder,
    resolve,
    resolve_file,
    resolve_weights,
    weights_available,
)
from hoiexport.sdk.models.schema import (
    LOCK_NAME,
    LOCK_VERSION,
    UNKNOWN,
    UNRESOLVED,
    Distribution,
    LockFile,
    ModelEntry,
    ModelFile,
    Stage,
    dump_lock,
    parse_lock,
)
from hoiexport.sdk.models.verify import (
    HASH_CACHE_NAME,
    FileCheck,
    FileStatus,
    ModelCheck,
    ModelStatus,
    Presence,
    presence,
    sha256_file,
    verify_models,
)

__all__ = [
    "CHECKPOINT_SUFFIXES",
    "GPU_EXTRA_HINT",
    "HASH_CACHE_NAME",
    "LOCK_NAME",
    "LOCK_VERSION",
    "MODELS_DIR_ENV",
    "REPOSITORY_LOCK",
    "SHIPPED_LOCK",
    "UNKNOWN",
    "UNRESOLVED",
    "Distribution",
    "FetchResult",
    "FileCheck",
    "FileStatus",
    "FolderLayout",
    "LockFile",
    "ModelCheck",
    "ModelEntry",
    "ModelFile",
    "ModelRef",
    "ModelStatus",
    "Presence",
    "RequiredPaths",
    "Stage",
    "TransformersFolder",
    "dump_lock",
    "fetch_model",
    "find_lock",
    "get_models_dir",
    "load_checkpoint",
    "load_lock",
    "load_pretrained",
    "manual_steps",
    "parse_lock",
    "pin_entry",
    "presence",
    "resolve",
    "resolve_file",
    "resolve_weights",
    "save_lock",
    "sha256_file",
    "verify_models",
    "weights_available",
]
