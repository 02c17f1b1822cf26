"""load_checkpoint: safetensors and weights_only pickles load, arbitrary globals are refused; load_pretrained."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import torch

from hoiexport.sdk import models as ml
from hoiexport.sdk.core.errors import InputError, ModelUnavailableError
from hoiexport.sdk.models import load_checkpoint


class _Payload:
    """Unpickling this calls os.makedirs(marker): a stand-in for arbitrary code."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (os.makedirs, (str(self.marker),))


def test_load_checkpoint_reads_pth_and_safetensors(tmp_path):
    from safetensors.torch import save_file

    sd = {"blocks.0.weight": torch.randn(4, 3), "blocks.0.bias": torch.arange(4, dtype=torch.float16)}
    torch.save(sd, tmp_path / "w.pth")
    save_file(sd, str(tmp_path / "w.safetensors"))
    for name in ("w.pth", "w.safetensors"):
        got = load_checkpoint(tmp_path / name)
        assert got.keys() == sd.keys()
        assert all(torch.equal(got[k], sd[k]) and got[k].dtype == sd[k].dtype for k in sd)


def test_load_checkpoint_picks_a_nested_state_dict_by_key(tmp_path):
    sd = {"x": torch.ones(2)}
    torch.save({"state_dict": sd, "epoch": 1050, "step": 25201}, tmp_path / "train.pth")
    with pytest.raises(InputError, match=r"pass key= one of \['state_dict'\]"):
        load_checkpoint(tmp_path / "train.pth")
    assert torch.equal(load_checkpoint(tmp_path / "train.pth", key="state_dict")["x"], sd["x"])
    with pytest.raises(InputError, match="no key 'model'"):
        load_checkpoint(tmp_path / "train.pth", key="model")


def test_load_checkpoint_refuses_a_pickle_with_an_arbitrary_global(tmp_path):
    marker = tmp_path / "code_ran"
    path = tmp_path / "evil.pth"
    torch.save({"w": torch.zeros(2), "payload": _Payload(marker)}, path)
    with pytest.raises(ModelUnavailableError, match=r"refused to load .*GLOBAL os\.makedirs.*weights_only=True"):
        load_checkpoint(path)
    assert not marker.exists()
    # The payload is live: a full unpickle would have run it.
    torch.load(path, weights_only=False)
    assert marker.exists()


def test_load_checkpoint_bad_inputs(tmp_path):
    with pytest.raises(ModelUnavailableError, match="does not exist"):
        load_checkpoint(tmp_path / "none.pth")
    (tmp_path / "w.npz").write_bytes(b"x")
    with pytest.raises(InputError, match="unsupported checkpoint type '.npz'"):
        load_checkpoint(tmp_path / "w.npz")
    (tmp_path / "broken.pth").write_bytes(b"not a checkpoint")
    with pytest.raises(ModelUnavailableError, match="cannot read checkpoint .*broken.pth: it is corrupt"):
        load_checkpoint(tmp_path / "broken.pth")


def test_load_pretrained_reads_local_safetensors_and_names_the_entry_when_it_fails(tmp_path):
    ref = ml.ModelRef("m", "retexture", ml.RequiredPaths("a folder"))
    calls = []

    def load(folder, **kwargs):
        calls.append((folder, kwargs))
        if not (folder / "model_index.json").is_file():
            raise OSError("no model_index.json")
        return "pipeline"

    (tmp_path / "model_index.json").write_text("{}")
    assert ml.load_pretrained(load, tmp_path, ref, dtype=torch.float16) == "pipeline"
    assert calls[-1] == (tmp_path, {"dtype": torch.float16, "use_safetensors": True, "local_files_only": True})
    assert ml.load_pretrained(load, tmp_path, ref, local_safetensors=False, torch_dtype={}) == "pipeline"
    assert calls[-1] == (tmp_path, {"torch_dtype": {}})
    with pytest.raises(ModelUnavailableError) as info:
        ml.load_pretrained(load, tmp_path / "empty", ref)
    assert str(info.value) == (
        f"model 'm' (stage retexture): cannot load {tmp_path / 'empty'}: no model_index.json; "
        "fix: re-download it with `hoiexport models fetch m`"
    )
