"""Where and how the `hoi3dgen` backends run: device, dtype, offload, and the
per-stage record of seconds and peak memory that goes into provenance."""

from __future__ import annotations

import contextlib
import gc
import resource
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Literal

from hoiexport.sdk.core.errors import InputError

Precision = Literal["bf16", "fp16", "fp32"]

OFFLOAD_BELOW_GIB = 24.0
"""GPUs with less memory than this run the diffusion pipelines with diffusers'
model CPU offload (`enable_model_cpu_offload`)."""


@dataclass
class StageRecord:
    """One stage's cost.

    Attributes:
        stage: stage name ("text_to_image", "depth", ...).
        seconds: wall-clock seconds.
        peak_gpu_mib: peak CUDA memory allocated during the stage, MiB (None on CPU).
        peak_rss_mib: the process's peak resident memory so far, MiB.
    """

    stage: str
    seconds: float
    peak_gpu_mib: float | None
    peak_rss_mib: float

    def to_json(self) -> dict:
        return {"stage": self.stage, "seconds": round(self.seconds, 4),
                "peak_gpu_mib": None if self.peak_gpu_mib is None else round(self.peak_gpu_mib, 1),
                "peak_rss_mib": round(self.peak_rss_mib, 1)}


@dataclass
class Runtime:
    """Device and numeric settings shared by every backend of one chain.

    Attributes:
        device: "cuda", "cuda:N" or "cpu"; "auto" picks CUDA when present.
        precision: weights / activations dtype on CUDA ("bf16" default); CPU
            always runs fp32.
        cpu_offload: diffusers model CPU offload; None = automatic (GPUs under
            `OFFLOAD_BELOW_GIB`).
        records: per-stage `StageRecord`s, in run order.
    """

    device: str = "auto"
    precision: Precision = "bf16"
    cpu_offload: bool | None = None
    records: list[StageRecord] = field(default_factory=list)

    def __post_init__(self) -> None:
        if self.precision not in ("bf16", "fp16", "fp32"):
            raise InputError(f"precision must be bf16, fp16 or fp32, got {self.precision!r}")
        import torch

        if self.device == "auto":
            self.device = "cuda" if torch.cuda.is_available() else "cpu"
        if self.device.startswith("cuda") and not torch.cuda.is_available():
            raise InputError(f"device {self.device!r} asked for but no CUDA GPU is visible; use device='cpu'")

    @property
    def torch_device(self):
        import torch

        return torch.device(self.device)

    @property
    def dtype(self):
        """torch dtype of weights and activations (fp32 on CPU)."""
        import torch

        if not self.device.startswith("cuda"):
            return torch.float32
        return {"bf16": torch.bfloat16, "fp16": torch.float16, "fp32": torch.float32}[self.precision]

    @property
    def offload(self) -> bool:
        """Whether diffusion pipelines use model CPU offload."""
        if not self.device.startswith("cuda"):
            return False
        if self.cpu_offload is not None:
            return self.cpu_offload
        import torch

        total = torch.cuda.get_device_properties(self.torch_device).total_memory / 2**30
        return total < OFFLOAD_BELOW_GIB

    def generator(self, seed: int):
        """A torch generator seeded `seed` (on CPU, so CPU and GPU draw the same noise)."""
        import torch

        return torch.Generator("cpu").manual_seed(int(seed))

    def free(self) -> None:
        """Release cached memory between stages."""
        gc.collect()
        import torch

        if self.device.startswith("cuda"):
            torch.cuda.empty_cache()

    @contextlib.contextmanager
    def stage(self, name: str) -> Iterator[None]:
        """Time a stage and record its peak memory (appended to `records`)."""
        import torch

        cuda = self.device.startswith("cuda")
        if cuda:
            torch.cuda.synchronize(self.torch_device)
            torch.cuda.reset_peak_memory_stats(self.torch_device)
        t = time.perf_counter()
        try:
            yield
        finally:
            if cuda:
                torch.cuda.synchronize(self.torch_device)
            peak_gpu = torch.cuda.max_memory_allocated(self.torch_device) / 2**20 if cuda else None
            rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # Linux: KiB
            self.records.append(StageRecord(name, time.perf_counter() - t, peak_gpu, rss))
            self.free()
