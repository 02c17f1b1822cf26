"""Batch production: many prompts → many validated assets, resumable, in parallel.

- `items`: prompt files (.jsonl / .txt / .csv) → `BatchItem`s with stable ids.
- `manifest`: the crash-safe SQLite record of every item's state.
- `worker`: one item start to finish (generate → bundle → export → preview).
- `runner`: `run(items, out_dir, ...)` over a local process pool or Ray.
- `preview`: four-view contact-sheet PNGs, ray cast on the CPU.
- `report`: the static `report.html`.

Heavy modules (torch, exporters, Ray) load only when an item runs.
"""

from hoiexport.batch.items import (
    BatchItem,
    ItemSettings,
    LineError,
    PromptFile,
    PromptSpec,
    make_items,
    parse_contact,
    read_prompts,
)
from hoiexport.batch.manifest import Manifest, ManifestRow
from hoiexport.batch.runner import BatchOptions, BatchSummary, Progress, run

__all__ = [
    "BatchItem",
    "BatchOptions",
    "BatchSummary",
    "ItemSettings",
    "LineError",
    "Manifest",
    "ManifestRow",
    "Progress",
    "PromptFile",
    "PromptSpec",
    "make_items",
    "parse_contact",
    "read_prompts",
    "run",
]
