"""Where model files live on this machine: the models dir and what is in a folder.

The files of model NAME live under `<models dir>/NAME/`, at their paths inside
the source repository; the models dir is `HOIEXPORT_MODELS` (CLI `--dir`), default
`cache_dir()/"models"`. Nothing here hashes or downloads.
"""

from __future__ import annotations

import fnmatch
import os
from collections.abc import Iterable, Sequence
from pathlib import Path

from hoiexport.sdk.core.cache import cache_dir

MODELS_DIR_ENV = "HOIEXPORT_MODELS"


def get_models_dir(override: str | os.PathLike[str] | None = None) -> Path:
    """Root of downloaded model files: `override`, else `HOIEXPORT_MODELS`, else
    `cache_dir()/"models"`. Not created here."""
    if override is not None:
        return Path(override).expanduser()
    env = os.environ.get(MODELS_DIR_ENV)
    return Path(env).expanduser() if env else cache_dir() / "models"


def walk_files(folder: Path) -> list[str]:
    """Relative POSIX paths of the files under `folder`, sorted per folder, skipping
    hidden files and folders (huggingface_hub keeps its download metadata in `.cache/`)."""
    if not folder.is_dir():
        return []
    out: list[str] = []
    for dirpath, dirnames, filenames in os.walk(folder):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        rel = Path(dirpath).relative_to(folder)
        out.extend((rel / n).as_posix() for n in sorted(filenames) if not n.startswith("."))
    return out


def match_files(paths: Iterable[str], pattern: str) -> list[str]:
    """The `paths` matching glob `pattern` (fnmatch, case-sensitive; `*` crosses `/`)."""
    return [p for p in paths if fnmatch.fnmatchcase(p, pattern)]


def first_present(folder: Path, candidates: Sequence[str]) -> Path | None:
    """`folder / c` for the first relative path `c` of `candidates` that is a file, else None."""
    for rel in candidates:
        if (folder / rel).is_file():
            return folder / rel
    return None
