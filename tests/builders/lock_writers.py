"""Every lock entry's tiny on-disk writer in one table (`LOCK_WRITERS`), and the
entries no writer covers, with the reason (`NOT_WRITTEN`).

Each writer takes a fake `$HOIEXPORT_MODELS` folder, writes the entry in the
exact file layout of its real repository (same file names, key names and
containers) with tiny random weights, and returns the entry's folder. Tiny files
never match the lock's pinned hashes: resolve them through
`tests.builders.unpinned.unpinned_lock()`.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from tests.builders import annotators, depth, flux, hunyuan, regressor, sana, segment, smpl

LOCK_WRITERS: dict[str, Callable[[Path], Path]] = {
    **sana.LOCK_WRITERS,
    **depth.LOCK_WRITERS,
    **flux.LOCK_WRITERS,
    **segment.LOCK_WRITERS,
    **hunyuan.LOCK_WRITERS,
    **regressor.LOCK_WRITERS,
    **annotators.LOCK_WRITERS,
    "smpl": smpl.write_smpl,
}
"""Lock entry → its tiny writer."""

NOT_WRITTEN: dict[str, str] = {
    "vitdet-h-cascade-coco": "listed for provenance only; nothing in hoiexport loads it (the regressor boxes "
                             "the rendered human by its silhouette)",
}
"""Lock entries without a writer → why none is needed."""


def write_models(models_dir: Path, names: tuple[str, ...] | None = None) -> dict[str, Path]:
    """Write `names` (None: every entry of `LOCK_WRITERS`) under `models_dir`.

    Returns:
        Entry name → the folder written.
    """
    chosen = tuple(LOCK_WRITERS) if names is None else names
    return {name: LOCK_WRITERS[name](Path(models_dir)) for name in chosen}
