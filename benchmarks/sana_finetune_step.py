"""Seconds per optimizer step and peak GPU memory of SANA fine-tuning (issue 14).

The SANA 1.6B architecture (`tests/builders/sana.py` size "full": the 1600M
transformer with SANA 1.5's query/key norms, Gemma-2-2B, DC-AE f32c32) with
RANDOM weights, trained by the real loop (`SanaFinetuner.train_step`): full
fine-tune, 1024² images, batch 4, bf16 mixed precision (fp32 master weights and
AdamW states), gradient checkpointing, PyTorch AdamW. The images are random
noise written as PNGs; the captions are the view prompts of the full-size
tokenizer's description.

Two figures, each the median of `--steps` steps after `--warmup` steps:

- uncached: every step loads and VAE-encodes its 4 images and Gemma-encodes
  its 4 captions (the first epoch of a run);
- cached: latents and text embeddings come from the trainer's caches (every
  later epoch; `FinetuneOptions.latent_cache` / `text_cache`).

Then `torch.cuda.max_memory_allocated` over the whole run.

    .venv/bin/python benchmarks/sana_finetune_step.py            # CUDA GPU, full size
    .venv/bin/python benchmarks/sana_finetune_step.py --size tiny  # CPU smoke test (32² px)

Full size needs a CUDA GPU (about 40 GiB; under 5 minutes on an H100); on a
machine without one it exits with a message.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the repo root, for tests.builders

DEFAULT_RESOLUTION = {"full": 1024, "tiny": 32}
"""Training side per size, px."""


def write_noise_dataset(folder: Path, count: int, resolution: int, description: str) -> Path:
    """`count` random-noise PNGs with view-prompt captions, as a SanaImgDataset."""
    import numpy as np
    from PIL import Image

    from hoiexport.sdk.generators.hoi3dgen.views import VIEWS, view_prompt

    rng = np.random.default_rng(0)
    names = []
    for i in range(count):
        stem = f"img{i:03d}"
        pixels = rng.integers(0, 256, (resolution, resolution, 3), dtype=np.uint8)
        Image.fromarray(pixels).save(folder / f"{stem}.png")
        (folder / f"{stem}.txt").write_text(view_prompt(description, VIEWS[i % len(VIEWS)]) + "\n")
        names.append(stem)
    (folder / "meta_data.json").write_text(json.dumps({"name": "noise", "__kind__": "Sana-ImgDataset",
                                                       "img_names": names}))
    return folder


def timed_steps(trainer, items, count: int, cuda: bool) -> list[float]:
    """Seconds of `count` optimizer steps over one micro-batch of `items`."""
    import torch

    seconds = []
    for _ in range(count):
        if cuda:
            torch.cuda.synchronize()
        t = time.perf_counter()
        trainer.train_step([items])
        if cuda:
            torch.cuda.synchronize()
        seconds.append(time.perf_counter() - t)
    return seconds


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", choices=("full", "tiny"), default="full")
    parser.add_argument("--mode", choices=("full", "lora"), default="full")
    parser.add_argument("--batch", type=int, default=4)
    parser.add_argument("--resolution", type=int, default=None, help="default: 1024 (full), 32 (tiny)")
    parser.add_argument("--precision", choices=("bf16", "fp16", "fp32"), default="bf16")
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--steps", type=int, default=5)
    parser.add_argument("--no-checkpointing", action="store_true", help="no gradient checkpointing")
    args = parser.parse_args()

    import torch

    cuda = torch.cuda.is_available()
    if args.size == "full" and not cuda:
        print("sana_finetune_step: the full-size benchmark needs a CUDA GPU and none is visible; "
              "run `--size tiny` for a CPU smoke test", file=sys.stderr)
        return 1

    from hoiexport.sdk.generators.hoi3dgen.sana_convert import QK_NORM
    from hoiexport.sdk.training.finetune import FinetuneOptions, SanaFinetuner, read_img_dataset
    from hoiexport.sdk.training.finetune.sana import compute_dtypes
    from tests.builders.sana import FULL_DESCRIPTION, SIZES, sana_components

    resolution = args.resolution or DEFAULT_RESOLUTION[args.size]
    device = "cuda" if cuda else "cpu"
    sana = replace(SIZES[args.size].options, height=resolution, width=resolution)
    options = FinetuneOptions(
        mode=args.mode, steps=args.warmup + args.steps, batch=args.batch, resolution=resolution,
        precision=args.precision if cuda else "fp32", device=device,
        gradient_checkpointing=not args.no_checkpointing, text_cache=0, latent_cache=0, sana=sana,
    )
    weight, aux = compute_dtypes(options.precision)
    t = time.perf_counter()
    # full mode trains fp32 master weights; lora keeps the base in the compute dtype
    parts = sana_components(args.size, device=device, dtype=torch.float32 if args.mode == "full" else weight,
                            aux_dtype=aux, qk_norm=QK_NORM)
    parts.pop("scheduler")
    trainer = SanaFinetuner(**parts, options=options)
    trainable = sum(p.numel() for p in trainer.params)
    print(f"device {torch.cuda.get_device_name() if cuda else 'cpu'}; size {args.size}, mode {args.mode}, "
          f"{resolution}² px, batch {args.batch}, {options.precision}, checkpointing {options.gradient_checkpointing}; "
          f"{trainable:,} trainable parameters; built in {time.perf_counter() - t:.1f} s", flush=True)

    with tempfile.TemporaryDirectory() as tmp:
        items = list(read_img_dataset(write_noise_dataset(Path(tmp), args.batch, resolution, FULL_DESCRIPTION)).items)
        timed_steps(trainer, items, args.warmup, cuda)
        uncached = timed_steps(trainer, items, args.steps, cuda)
        trainer.text_cache.capacity = trainer.latent_cache.capacity = len(items)
        timed_steps(trainer, items, 1, cuda)  # fills the caches
        cached = timed_steps(trainer, items, args.steps, cuda)
    peak = torch.cuda.max_memory_allocated() / 2**30 if cuda else None
    result = {
        "device": torch.cuda.get_device_name() if cuda else "cpu",
        "size": args.size, "mode": args.mode, "resolution": resolution, "batch": args.batch,
        "precision": options.precision, "gradient_checkpointing": options.gradient_checkpointing,
        "seconds_per_step_uncached": round(statistics.median(uncached), 4),
        "seconds_per_step_cached": round(statistics.median(cached), 4),
        "images_per_second_cached": round(args.batch / statistics.median(cached), 2),
        "max_memory_allocated_gib": None if peak is None else round(peak, 2),
        "losses": [round(x, 4) for x in trainer.losses],
    }
    print(f"seconds per step: {result['seconds_per_step_uncached']} (encoding images and captions every step), "
          f"{result['seconds_per_step_cached']} (cached latents and text)")
    if peak is not None:
        print(f"torch.cuda.max_memory_allocated: {peak:.2f} GiB")
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
