"""Fixtures of the `hoiexport.sdk.models` tests: a models dir with every kind of file problem."""

from __future__ import annotations

import pytest

from tests.sdk.models.lockfiles import sha, write_lock


@pytest.fixture()
def models_dir(tmp_path):
    """A models dir with one good, one wrong-size, one wrong-content and one unpinned file."""
    root = tmp_path / "models"
    (root / "m").mkdir(parents=True)
    good, short, wrong, free = b"weights" * 100, b"abc", b"evil" * 10, b"unpinned"
    (root / "m" / "good.safetensors").write_bytes(good)
    (root / "m" / "sub").mkdir()
    (root / "m" / "sub" / "short.bin").write_bytes(short)
    (root / "m" / "wrong.pth").write_bytes(wrong)
    (root / "m" / "free.json").write_bytes(free)
    files = [
        ("good.safetensors", sha(good), len(good)),
        ("sub/short.bin", sha(b"abcdef"), 6),
        ("wrong.pth", sha(b"good" * 10), len(wrong)),
        ("free.json", "unknown", 0),
        ("absent.safetensors", sha(b"x"), 1),
    ]
    lock = write_lock(tmp_path, [{"name": "m", "stage": "segmentation", "files": files}])
    return root, lock
