"""`hoiexport.batch`: batch production from build scripts.

    import hoiexport.batch

    summary = hoiexport.batch.run("prompts.jsonl", "out/batch", workers=2, formats="glb")
    print(summary.done, summary.failed, summary.report)

The same engine as `hoiexport batch` (see `hoiexport.sdk.batch`): one folder per
item under `out/batch/items/<id>/`, a crash-safe manifest, `resume=True` to
continue, `ray="auto"` or a cluster address to run on Ray.
"""

# the same public names as hoiexport.sdk.batch, kept in step by its own __all__
from hoiexport.sdk.batch import *  # noqa: F403
from hoiexport.sdk.batch import __all__  # noqa: F401
