"""Building full-size random-weight models without a float32 CPU copy first."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator


@contextlib.contextmanager
def building(device: str, dtype) -> Iterator[None]:
    """Create parameters directly on `device` ("meta" allocates nothing) in `dtype`
    (no fp32 CPU copy of billions of weights); the default dtype is restored after."""
    import torch

    previous = torch.get_default_dtype()
    torch.set_default_dtype(dtype)
    try:
        with torch.device(device):
            yield
    finally:
        torch.set_default_dtype(previous)
