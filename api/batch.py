"""`hoiexport.batch`: batch production from build scripts.

    import hoiexport.batch

    summary = hoiexport.batch.run("prompts.jsonl", "out/batch", workers=2, formats="glb")
    print(summary.done, summary.failed, summary.report)

The same engine as `hoiexport batch` (see `hoiexport.sdk.batch`): one folder per
item under `out/batch/items/<id>/`, a crash-safe manifest, `resume=True` to
continue, `ray="auto"` or a cluster address to run on Ray.
"""

from hoiexport.sdk.batch import (
    BatchItem,
    BatchOptions,
    BatchSummary,
    ItemSettings,
    LineError,
    Manifest,
    ManifestRow,
    Progress,
    PromptFile,
    PromptSpec,
    make_items,
    parse_contact,
    read_prompts,
    run,
)

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
