"""verify: presence, size and sha256 against real files; the hash cache; patterns; dir_env."""

from __future__ import annotations

import os

from hoiexport.sdk import models as ml
from tests.sdk.models.lockfiles import sha, write_lock


def test_verify_detects_missing_size_and_sha256_mismatch_and_unpinned(models_dir):
    root, lock = models_dir
    check = ml.verify_models(lock.models, root)[0]
    status = {r.path.relative_to(root / "m").as_posix(): r.status for r in check.files}
    assert status == {
        "good.safetensors": "ok",
        "sub/short.bin": "size_mismatch",
        "wrong.pth": "sha256_mismatch",
        "free.json": "unpinned",
        "absent.safetensors": "missing",
    }
    assert check.status == "failed"
    wrong = next(r for r in check.files if r.status == "sha256_mismatch")
    assert wrong.actual_sha256 == sha(b"evil" * 10)
    lines = check.problem_lines()
    assert len(lines) == 3
    for line in lines:
        assert line.startswith("m (segmentation): ") and str(root / "m") in line
        assert "hoiexport models fetch m" in line
    assert any("missing" in s and "absent.safetensors" in s for s in lines)
    assert any("3 bytes, the lock expects 6" in s for s in lines)


def test_hash_cache_is_keyed_on_size_and_mtime_and_rehash_bypasses_it(tmp_path):
    root = tmp_path / "models"
    (root / "m").mkdir(parents=True)
    f = root / "m" / "a.bin"
    f.write_bytes(b"1234")
    lock = write_lock(tmp_path, [{"name": "m", "files": [("a.bin", sha(b"1234"), 4)]}])
    assert ml.verify_models(lock.models, root)[0].status == "ok"
    assert (root / ml.HASH_CACHE_NAME).is_file()
    st = f.stat()
    # Same size, new content, old mtime: the documented blind spot of the cache...
    f.write_bytes(b"4321")
    os.utime(f, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert ml.verify_models(lock.models, root)[0].status == "ok"
    # ...which a re-hash (CLI --rehash) does not have.
    assert ml.verify_models(lock.models, root, use_hash_cache=False)[0].status == "failed"
    # Any mtime change re-hashes.
    os.utime(f, ns=(st.st_atime_ns, st.st_mtime_ns + 10**9))
    assert ml.verify_models(lock.models, root)[0].status == "failed"


def test_unresolved_patterns_report_unpinned_or_missing(tmp_path):
    root = tmp_path / "models"
    (root / "m" / "vae").mkdir(parents=True)
    (root / "m" / "vae" / "w.safetensors").write_bytes(b"w")
    (root / "m" / ".cache" / "huggingface").mkdir(parents=True)
    (root / "m" / ".cache" / "huggingface" / "tok.json").write_bytes(b"meta")
    lock = write_lock(tmp_path, [{"name": "m", "patterns": ["vae/*", "tokenizer/*"]}])
    check = ml.verify_models(lock.models, root)[0]
    rows = {r.pattern: (r.status, r.matched) for r in check.files}
    assert rows == {"vae/*": ("unpinned", 1), "tokenizer/*": ("missing", 0)}
    assert ml.presence(lock.get("m"), root) == "partial"
    assert "no file matching 'tokenizer/*'" in check.problem_lines()[0]


def test_dir_env_names_the_folder_and_alternatives_are_accepted(tmp_path, monkeypatch):
    smpl_dir = tmp_path / "my_smpl"
    (smpl_dir / "smpl").mkdir(parents=True)
    lock = ml.load_lock()
    monkeypatch.setenv("HOIEXPORT_SMPL_DIR", str(smpl_dir))
    entry = lock.get("smpl")
    assert entry.folder(tmp_path / "models") == smpl_dir
    assert ml.verify_models([entry], tmp_path / "models")[0].status == "failed"
    (smpl_dir / "smpl" / "SMPL_NEUTRAL.pkl").write_bytes(b"not checked here")
    check = ml.verify_models([entry], tmp_path / "models")[0]
    assert check.status == "unpinned" and check.files[0].path == smpl_dir / "smpl" / "SMPL_NEUTRAL.pkl"
