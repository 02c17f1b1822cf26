"""Shared test set-up: one torch thread, quiet warp, and a shared Anny cache."""

from __future__ import annotations

import os

os.environ.setdefault("WARP_LOG_LEVEL", "error")

import pytest
import torch

torch.set_num_threads(1)


def pytest_collection_modifyitems(config, items):
    """Skip `gpu`-marked tests when CUDA is not available."""
    if torch.cuda.is_available():
        return
    skip = pytest.mark.skip(reason="needs a CUDA GPU")
    for item in items:
        if "gpu" in item.keywords:
            item.add_marker(skip)
