"""The two sizes every model builder in `tests.builders` makes, and how full-size
models are built without an fp32 CPU copy first.

"tiny": real classes at toy sizes with seeded random weights, for the tests (a
forward pass in well under a second on one CPU core). "full": the pinned
models' architectures with random weights, for `benchmarks/gpu_chain.py`; each
builder's docstring cites where its full-size configuration comes from.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import TYPE_CHECKING, Literal, get_args

if TYPE_CHECKING:
    import torch

Size = Literal["tiny", "full"]
"""Which configuration a builder makes: "tiny" (tests) or "full" (benchmarks)."""

SIZES: tuple[Size, ...] = get_args(Size)


@contextlib.contextmanager
def building(device: str | torch.device = "cpu", dtype: torch.dtype | None = None) -> Iterator[None]:
    """Create parameters directly on `device` ("meta" allocates nothing) in `dtype`.

    Full-size models built this way never hold an fp32 CPU copy of billions of
    weights; the default dtype is restored afterwards.

    Args:
        device: where new tensors are created ("cpu", "cuda", "meta", ...).
        dtype: floating dtype of new parameters; None = float32.
    """
    import torch

    previous = torch.get_default_dtype()
    torch.set_default_dtype(dtype or torch.float32)
    try:
        with torch.device(device):
            yield
    finally:
        torch.set_default_dtype(previous)


def parameter_count(module: torch.nn.Module) -> int:
    """Number of scalar parameters of `module` (works on the meta device)."""
    return sum(p.numel() for p in module.parameters())
