"""Shared test set-up: one torch thread; GPU tests skipped without CUDA.

The Anny body is built with torch skinning (sdk/bodies/anny_cache.py), so warp is
never imported and prints no banner; its model data comes from the shared cache
under HOIEXPORT_CACHE, built once by scripts/setup.sh, never per test.
"""

from __future__ import annotations

import pytest
import torch

torch.set_num_threads(1)


@pytest.fixture(scope="session")
def anny():
    """The Anny body model (built once by scripts/setup.sh, loaded once per session)."""
    from hoiexport.sdk.bodies import load_body_model

    return load_body_model("anny")


def pytest_collection_modifyitems(config, items):
    """Skip `gpu`-marked tests when CUDA is not available."""
    if torch.cuda.is_available():
        return
    skip = pytest.mark.skip(reason="needs a CUDA GPU")
    for item in items:
        if "gpu" in item.keywords:
            item.add_marker(skip)
