"""The repository lock with some entries' pins forgotten, for tiny stand-ins of pinned files."""

from __future__ import annotations

from dataclasses import replace

from hoiexport.sdk.models import UNKNOWN, LockFile, load_lock


def unpinned_lock(names: tuple[str, ...] | None = None) -> LockFile:
    """The repository lock with the sha256 and size of `names`' files (None: every
    entry's) forgotten, so tiny files written in the real layout resolve (a pinned
    file is size- and hash-checked; a tiny one never matches the real hash).

    Tests patch `load_lock` of `hoiexport.sdk.models.resolve` (and of
    `hoiexport.sdk.generators.hoi3dgen.generate`) to return it."""
    lock = load_lock()
    models = tuple(
        replace(m, files=tuple(replace(f, sha256=UNKNOWN, size=0) for f in m.files))
        if names is None or m.name in names else m
        for m in lock.models
    )
    return replace(lock, models=models)
