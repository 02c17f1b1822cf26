"""Thread limits of torch and BLAS (`sdk.core.threads`)."""

from __future__ import annotations

import pytest
import torch
from threadpoolctl import threadpool_info

from hoiexport.sdk.core.threads import limit_threads, set_threads


def _blas_threads() -> list[int]:
    return [pool["num_threads"] for pool in threadpool_info() if pool["user_api"] == "blas"]


def test_limit_threads_sets_then_restores_torch():
    before = torch.get_num_threads()
    with limit_threads(torch_threads=before + 1):
        assert torch.get_num_threads() == before + 1
    assert torch.get_num_threads() == before


def test_limit_threads_restores_after_an_error():
    before = torch.get_num_threads()
    with pytest.raises(RuntimeError, match="inside"), limit_threads(torch_threads=before + 2):
        raise RuntimeError("inside")
    assert torch.get_num_threads() == before


def test_limit_threads_limits_blas_inside_the_block_only():
    before = _blas_threads()
    if not before:
        pytest.skip("no BLAS thread pool loaded")
    with limit_threads(blas_threads=1):
        assert _blas_threads() == [1] * len(before)
    assert _blas_threads() == before


def test_none_leaves_a_library_alone():
    before = torch.get_num_threads()
    with limit_threads():
        assert torch.get_num_threads() == before


def test_set_threads_lasts_beyond_the_call():
    before = torch.get_num_threads()
    try:
        set_threads(torch_threads=before + 1)
        assert torch.get_num_threads() == before + 1
    finally:
        torch.set_num_threads(before)
