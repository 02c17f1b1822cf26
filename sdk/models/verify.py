"""Checking a model's files against the lock: presence, size, sha256, and the wording.

Files the lock pins are size- and sha256-checked; the sha256 of a file whose size
and modification time are unchanged since it was last hashed is reused from
`<models dir>/.sha256-cache.json`. Unpinned files (no sha256 in the lock) only
need to exist and are reported as *unpinned*. An unresolved entry's `patterns`
each need at least one matching file.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from hoiexport.sdk.core.cache import atomic_write_bytes
from hoiexport.sdk.models.local import first_present, get_models_dir, match_files, walk_files
from hoiexport.sdk.models.messages import fix_for_status
from hoiexport.sdk.models.schema import UNKNOWN, ModelEntry

FileStatus = Literal["ok", "unpinned", "missing", "size_mismatch", "sha256_mismatch"]
ModelStatus = Literal["ok", "unpinned", "failed"]
Presence = Literal["present", "partial", "missing"]

HASH_CACHE_NAME = ".sha256-cache.json"
_HASH_CHUNK = 8 << 20


def sha256_file(path: str | os.PathLike[str]) -> str:
    """sha256 of a file, read in 8 MiB chunks (constant memory)."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(_HASH_CHUNK):
            h.update(chunk)
    return h.hexdigest()


class HashCache:
    """sha256 of files keyed by (path, size, mtime_ns), in `<models dir>/.sha256-cache.json`.

    Hashing tens of GB on every run would dominate start-up; a file whose size and
    modification time are unchanged is not hashed again. Unwritable dirs are fine.
    Disabled, nothing is read from or written to disk, but a file is still hashed
    only once per instance.
    """

    def __init__(self, root: Path, enabled: bool = True) -> None:
        self.path = root / HASH_CACHE_NAME
        self.enabled = enabled
        self.entries: dict[str, list[Any]] = {}
        self.dirty = False
        if enabled:
            try:
                loaded = json.loads(self.path.read_text())
                if isinstance(loaded, dict):
                    self.entries = loaded
            except (OSError, ValueError):
                pass

    def sha256(self, path: Path, st: os.stat_result) -> str:
        """sha256 of `path`, whose `os.stat` is `st` (reused when size and mtime match)."""
        key = str(path.resolve())
        hit = self.entries.get(key)
        if isinstance(hit, list) and hit[:2] == [st.st_size, st.st_mtime_ns]:
            return str(hit[2])
        digest = sha256_file(path)
        self.entries[key] = [st.st_size, st.st_mtime_ns, digest]
        self.dirty = True
        return digest

    def save(self) -> None:
        """Write new hashes back (atomically), when enabled; errors are ignored."""
        if not (self.enabled and self.dirty):
            return
        try:
            atomic_write_bytes(self.path, json.dumps(self.entries, indent=0, sort_keys=True).encode())
        except OSError:
            pass


@dataclass
class FileCheck:
    """The state of one lock file (or, for unresolved entries, one pattern) on disk.

    Attributes:
        path: the local path found, or the expected one when missing.
        status: ok | unpinned (present, no sha256 to check) | missing |
            size_mismatch | sha256_mismatch.
        expected_sha256: from the lock ("unknown" when not pinned).
        actual_sha256: computed (None when missing or not hashed).
        expected_size: bytes from the lock (0 = unknown).
        actual_size: bytes on disk (None when missing).
        pattern: set when this row checks a pattern rather than one file.
        matched: number of files the pattern matched.
    """

    path: Path
    status: FileStatus
    expected_sha256: str = UNKNOWN
    actual_sha256: str | None = None
    expected_size: int = 0
    actual_size: int | None = None
    pattern: str | None = None
    matched: int = 0

    def to_json(self) -> dict[str, Any]:
        d = {k: getattr(self, k) for k in self.__dataclass_fields__}
        d["path"] = str(self.path)
        return d


_FILE_PROBLEM: dict[FileStatus, Callable[[FileCheck], str]] = {
    "missing": lambda r: f"missing {r.path}",
    "size_mismatch": lambda r: f"size mismatch at {r.path}: {r.actual_size} bytes, the lock expects {r.expected_size}",
    "sha256_mismatch": lambda r: (f"sha256 mismatch at {r.path}: {r.actual_sha256}, "
                                  f"the lock expects {r.expected_sha256}"),
    "unpinned": lambda r: f"{r.path} is present but unpinned",
    "ok": lambda r: f"{r.path} ok",
}
"""What a file row's status says (`ModelCheck.describe`)."""


def _pattern_problem(row: FileCheck) -> str:
    if row.status == "missing":
        return f"no file matching {row.pattern!r} under {row.path}"
    return f"{row.matched} file(s) matching {row.pattern!r} under {row.path} are unpinned"


@dataclass
class ModelCheck:
    """Verification of one model's files.

    Attributes:
        entry: the lock entry.
        folder: the local folder checked.
        files: one row per lock file (and per pattern of an unresolved entry).
    """

    entry: ModelEntry
    folder: Path
    files: list[FileCheck] = field(default_factory=list)

    @property
    def failures(self) -> list[FileCheck]:
        """Missing or mismatching rows."""
        return [f for f in self.files if f.status not in ("ok", "unpinned")]

    @property
    def unpinned(self) -> list[FileCheck]:
        """Rows present but not verifiable against a sha256."""
        return [f for f in self.files if f.status == "unpinned"]

    @property
    def status(self) -> ModelStatus:
        """failed if any row fails, else unpinned if any row is unpinned, else ok."""
        if self.failures:
            return "failed"
        return "unpinned" if self.unpinned else "ok"

    def describe(self, row: FileCheck) -> str:
        """One line naming the model, stage, expected path, the problem and the fix."""
        what = _pattern_problem(row) if row.pattern is not None else _FILE_PROBLEM[row.status](row)
        return f"{self.entry.name} ({self.entry.stage}): {what}; fix: {fix_for_status(self.entry, row.status)}"

    def problem_lines(self, include_unpinned: bool = False) -> list[str]:
        """`describe` of every failing row (and unpinned rows when asked)."""
        rows = self.failures + (self.unpinned if include_unpinned else [])
        return [self.describe(r) for r in rows]

    def to_json(self) -> dict[str, Any]:
        e = self.entry
        return {
            "name": e.name,
            "stage": e.stage,
            "source": e.source,
            "revision": e.revision,
            "folder": str(self.folder),
            "status": self.status,
            "files": [f.to_json() for f in self.files],
            "problems": self.problem_lines(include_unpinned=True),
        }


def check_entry(entry: ModelEntry, folder: Path, cache: HashCache) -> ModelCheck:
    """Check the files of `entry` in `folder`, hashing through `cache`."""
    check = ModelCheck(entry=entry, folder=folder)
    for f in entry.files:
        found = first_present(folder, f.candidates)
        if found is None:
            check.files.append(FileCheck(folder / f.path, "missing", f.sha256, None, f.size))
            continue
        st = found.stat()
        row = FileCheck(found, "ok", f.sha256, None, f.size, st.st_size)
        # An `alternatives` file is another format of the same data: its sha256 is not the lock's.
        exact = found == folder / f.path
        if f.size and exact and st.st_size != f.size:
            row.status = "size_mismatch"
        elif f.pinned and exact:
            row.actual_sha256 = cache.sha256(found, st)
            if row.actual_sha256 != f.sha256:
                row.status = "sha256_mismatch"
        else:
            row.status = "unpinned"
        check.files.append(row)
    if not entry.resolved and entry.patterns:
        listed = {p for f in entry.files for p in f.candidates}
        present = walk_files(folder)
        for pattern in entry.patterns:
            hits = match_files(present, pattern)
            extra = [h for h in hits if h not in listed]
            status: FileStatus = "missing" if not hits else ("unpinned" if extra else "ok")
            check.files.append(FileCheck(folder, status, pattern=pattern, matched=len(hits)))
    return check


def verify_models(
    entries: Iterable[ModelEntry],
    models_dir: str | os.PathLike[str] | None = None,
    *,
    use_hash_cache: bool = True,
) -> list[ModelCheck]:
    """Check presence, size and sha256 of the files of each entry.

    Args:
        entries: the models to check.
        models_dir: models root (default `get_models_dir()`).
        use_hash_cache: reuse sha256 of files whose size and mtime are unchanged
            since they were last hashed (False re-hashes everything).

    Returns:
        One `ModelCheck` per entry, in order.
    """
    root = get_models_dir(models_dir)
    cache = HashCache(root, enabled=use_hash_cache and root.is_dir())
    try:
        return [check_entry(e, e.folder(root), cache) for e in entries]
    finally:
        cache.save()


def presence(entry: ModelEntry, models_dir: str | os.PathLike[str] | None = None) -> Presence:
    """Whether the entry's files exist (no hashing): present, partial or missing."""
    folder = entry.folder(models_dir)
    have = [first_present(folder, f.candidates) is not None for f in entry.files]
    if not entry.resolved and entry.patterns:
        present = walk_files(folder)
        have += [bool(match_files(present, p)) for p in entry.patterns]
    if all(have):
        return "present"
    return "partial" if any(have) else "missing"
