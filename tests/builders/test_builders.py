"""The size-parameterised model builders: both sizes of every model are built on
the meta device (no weights allocated) and their parameter counts checked.

The full-size counts are those of the models `benchmarks/gpu_parts/*.py` built
before one builder per model served both sizes (as of commit 266a43f; the
architectures were also compared there parameter by parameter); the tiny counts
are those the tests have always run on.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import torch

from tests.builders.sizes import SIZES, Size, building, parameter_count

ROOT = Path(__file__).resolve().parents[2]


def _sana(size: Size) -> dict[str, Any]:
    from tests.builders.sana import sana_components

    return sana_components(size, device="meta")


def _flux(size: Size) -> dict[str, Any]:
    from tests.builders.flux import flux_components

    return flux_components(size, device="meta")


def _depth(size: Size) -> dict[str, Any]:
    from tests.builders.depth import depth_model

    return {"model": depth_model(size, device="meta")}


def _hunyuan(size: Size) -> dict[str, Any]:
    pytest.importorskip("hy3dgen")
    from tests.builders.hunyuan import hunyuan_components

    return hunyuan_components(size, device="meta")


def _regressor(size: Size) -> dict[str, Any]:
    from tests.builders.regressor import camerahmr_net

    return {"net": camerahmr_net(size, device="meta")}


ON_META: dict[str, Callable[[Size], dict[str, Any]]] = {
    "sana": _sana,
    "flux": _flux,
    "depth": _depth,
    "hunyuan": _hunyuan,
    "regressor": _regressor,
}
"""Each model's components at a size, built on the meta device."""

PARAMETERS: dict[tuple[str, Size], dict[str, int]] = {
    ("sana", "tiny"): {"text_encoder": 3_528, "vae": 9_511, "transformer": 4_324},
    ("sana", "full"): {"text_encoder": 2_614_341_888, "vae": 312_250_275, "transformer": 1_604_462_752},
    ("flux", "tiny"): {"text_encoder": 22_186, "text_encoder_2": 21_632, "vae": 43_619, "transformer": 79_056},
    ("flux", "full"): {
        "text_encoder": 123_060_480,
        "text_encoder_2": 4_762_310_656,
        "vae": 83_819_683,
        "transformer": 11_901_604_928,
    },
    ("depth", "tiny"): {"model": 120_585},
    ("depth", "full"): {"model": 335_315_649},
    ("hunyuan", "tiny"): {"model": 54_152, "vae": 26_689, "conditioner": 28_288},
    ("hunyuan", "full"): {"model": 1_113_274_432, "vae": 214_212_865, "conditioner": 1_136_480_768},
    ("regressor", "tiny"): {"net": 188_021},
    ("regressor", "full"): {"net": 670_712_053},
}
"""Parameters per network component of each model at each size."""


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("model", list(ON_META))
def test_parameter_counts_on_meta(model: str, size: Size):
    components = ON_META[model](size)
    networks = {name: part for name, part in components.items() if isinstance(part, torch.nn.Module)}
    assert {name: parameter_count(net) for name, net in networks.items()} == PARAMETERS[model, size]
    assert all(p.is_meta for net in networks.values() for p in net.parameters())


def test_full_sana_dtypes():
    """The transformer is created in `dtype`, the Gemma-2 encoder and the VAE in `aux_dtype`."""
    from tests.builders.sana import sana_components

    parts = sana_components("full", device="meta", dtype=torch.float16, aux_dtype=torch.bfloat16)
    assert {p.dtype for p in parts["transformer"].parameters()} == {torch.float16}
    assert {p.dtype for p in parts["text_encoder"].parameters()} == {torch.bfloat16}
    assert {p.dtype for p in parts["vae"].parameters()} == {torch.bfloat16}
    assert torch.get_default_dtype() == torch.float32


def test_building_restores_the_default_dtype():
    with pytest.raises(RuntimeError), building("meta", torch.float16):
        assert torch.empty(1).dtype == torch.float16 and torch.empty(1).is_meta
        raise RuntimeError
    assert torch.get_default_dtype() == torch.float32
    assert not torch.empty(1).is_meta


def test_gpu_chain_help():
    """The GPU benchmark parses its arguments without a GPU (its stages import the builders lazily)."""
    out = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "gpu_chain.py"), "--help"],
        capture_output=True, text=True, cwd=ROOT, timeout=120, check=False,
    )
    assert out.returncode == 0, out.stderr
    assert "--stages" in out.stdout and "GPU figures" in out.stdout


def _lock_writers() -> dict[str, Callable[[Path], Path]]:
    from tests.builders.lock_writers import LOCK_WRITERS

    return LOCK_WRITERS


def test_every_lock_entry_has_a_tiny_writer_or_a_reason():
    """Each model of third_party_models.lock is written tiny in its real layout
    (and loaded by its stage's tests), or `NOT_WRITTEN` says why not."""
    from hoiexport.sdk.models import load_lock
    from tests.builders.lock_writers import NOT_WRITTEN

    names = set(load_lock().names)
    assert set(_lock_writers()) | set(NOT_WRITTEN) == names
    assert not set(_lock_writers()) & set(NOT_WRITTEN)


@pytest.mark.parametrize("entry", sorted(_lock_writers()))
def test_lock_writers_write_every_file_the_lock_lists(tmp_path, monkeypatch, entry):
    """Each `write_<entry>` fills the entry's folder with every file (and pattern) of
    its lock entry, so `resolve` accepts it (pins forgotten: tiny files never match
    the real hashes); the loaders are tested per stage."""
    from hoiexport.sdk.models import verify_models
    from tests.builders.unpinned import unpinned_lock

    monkeypatch.delenv("HOIEXPORT_SMPL_DIR", raising=False)
    folder = _lock_writers()[entry](tmp_path)
    assert folder == tmp_path / entry
    check = verify_models([unpinned_lock((entry,)).get(entry)], tmp_path, use_hash_cache=False)[0]
    assert check.failures == [], check.problem_lines()
