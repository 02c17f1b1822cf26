"""fetch: pinning a download into the lock, manual entries, a missing huggingface_hub."""

from __future__ import annotations

import sys

import pytest

from hoiexport.sdk import models as ml
from hoiexport.sdk.core.errors import InputError, ModelUnavailableError
from tests.sdk.models.lockfiles import sha, write_lock


def test_pin_entry_records_hashes_and_pattern_files_and_round_trips(tmp_path):
    folder = tmp_path / "models" / "m"
    (folder / "tokenizer").mkdir(parents=True)
    (folder / ".cache").mkdir()
    (folder / "model.safetensors").write_bytes(b"M" * 33)
    (folder / "tokenizer" / "vocab.txt").write_bytes(b"a\nb\n")
    (folder / ".cache" / "x.lock").write_bytes(b"")
    lock = write_lock(tmp_path, [
        {"name": "m", "files": [("model.safetensors", "unknown", 0)], "patterns": ["tokenizer/*"]},
        {"name": "other", "files": [("o.bin", "unknown", 0)]},
    ])
    rev = "0123456789abcdef0123456789abcdef01234567"
    pinned = ml.pin_entry(lock.get("m"), folder, rev)
    assert (pinned.revision, pinned.resolved, pinned.pinned) == (rev, True, True)
    assert [(f.path, f.sha256, f.size) for f in pinned.files] == [
        ("model.safetensors", sha(b"M" * 33), 33),
        ("tokenizer/vocab.txt", sha(b"a\nb\n"), 4),
    ]
    new_lock = lock.with_entry(pinned)
    assert ml.save_lock(new_lock) == [lock.path]
    reread = ml.load_lock(lock.path)
    assert reread == new_lock
    assert reread.get("other") == lock.get("other")
    assert ml.verify_models([reread.get("m")], folder.parent)[0].status == "ok"
    # Once pinned, a changed file is caught.
    (folder / "tokenizer" / "vocab.txt").write_bytes(b"a\nc\n")
    assert ml.verify_models([reread.get("m")], folder.parent)[0].status == "failed"


def test_pin_entry_refuses_a_download_that_contradicts_the_lock(tmp_path):
    folder = tmp_path / "m"
    folder.mkdir()
    (folder / "a.pt").write_bytes(b"tampered")
    lock = write_lock(tmp_path, [{"name": "m", "files": [("a.pt", sha(b"original"), 8)]}])
    with pytest.raises(ModelUnavailableError, match="does not match the lock.*sha256 mismatch"):
        ml.pin_entry(lock.get("m"), folder, "f" * 40)


def test_fetch_refuses_manual_entries_with_the_steps(tmp_path):
    entry = ml.load_lock().get("camerahmr")
    with pytest.raises(InputError) as info:
        ml.fetch_model(entry, tmp_path)
    msg = str(info.value)
    assert "https://camerahmr.is.tue.mpg.de" in msg and "camerahmr_checkpoint_cleaned.ckpt" in msg
    assert str(tmp_path / "camerahmr") in msg


def test_fetch_without_huggingface_hub_names_the_extra(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "huggingface_hub", None)  # import now raises ImportError
    with pytest.raises(ModelUnavailableError, match=r"pip install 'hoiexport\[gpu\]'"):
        ml.fetch_model(ml.load_lock().get("grounding-dino-base"), tmp_path)
