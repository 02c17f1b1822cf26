"""View-conditioned SANA fine-tuning (`hoiexport finetune sana DATA -o OUT`).

- `data`: the NVlabs/Sana `SanaImgDataset` folder the `filter` step writes, read
  and checked (`read_img_dataset`, `load_image`).
- `options`: `FinetuneOptions`, the progress record and the result.
- `checkpoint`: atomic, pickle-free training checkpoints.
- `modes`: the training modes (`MODES`: full, lora) and their outputs.
- `sana`: the flow-matching loop (`SanaFinetuner`, `finetune_sana`).

The output folder loads into the generator with
`SanaTextToImage.from_pretrained(base, finetune=OUT)` (or `--set sana.finetune=OUT`).
"""

from hoiexport.sdk.training.finetune.checkpoint import latest_checkpoint, list_checkpoints
from hoiexport.sdk.training.finetune.data import (
    DATASET_KIND,
    META_FILE,
    ImgDataset,
    ImgItem,
    load_image,
    read_img_dataset,
)
from hoiexport.sdk.training.finetune.options import (
    DEFAULT_LR,
    LORA_TARGETS,
    FinetuneOptions,
    FinetuneProgress,
    FinetuneResult,
    LossWeighting,
    TimestepSampling,
    TrainMode,
)
from hoiexport.sdk.training.finetune.modes import MODES, ModeEntry
from hoiexport.sdk.training.finetune.sana import (
    EpochOrder,
    SanaFinetuner,
    default_checkpoint_dir,
    finetune_sana,
    step_generator,
)

__all__ = [
    "DATASET_KIND",
    "DEFAULT_LR",
    "LORA_TARGETS",
    "META_FILE",
    "MODES",
    "EpochOrder",
    "FinetuneOptions",
    "FinetuneProgress",
    "FinetuneResult",
    "ImgDataset",
    "ImgItem",
    "LossWeighting",
    "ModeEntry",
    "SanaFinetuner",
    "TimestepSampling",
    "TrainMode",
    "default_checkpoint_dir",
    "finetune_sana",
    "latest_checkpoint",
    "list_checkpoints",
    "load_image",
    "read_img_dataset",
    "step_generator",
]
