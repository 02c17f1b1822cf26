"""third_party_models.lock: parsing, verification against real files, resolution, pinning."""

from __future__ import annotations

import hashlib
import os
import sys
from pathlib import Path

import pytest

from hoiexport.sdk.models import lock as ml
from hoiexport.sdk.bodies.smpl_body import smpl_file_names
from hoiexport.sdk.core.errors import InputError, ModelUnavailableError

REQUIRED = {
    "hoi3dgen-sana": ("text_to_image", "agshar96/hoi3dgen_weights"),
    "sana-1600m-1024px": ("text_to_image", "Efficient-Large-Model/Sana_1600M_1024px_diffusers"),
    "depth-anything-v2-large": ("depth", "depth-anything/Depth-Anything-V2-Large-hf"),
    "flux1-depth-dev": ("retexture", "black-forest-labs/FLUX.1-Depth-dev"),
    "hunyuan3d-2-shape": ("image_to_shape", "tencent/Hunyuan3D-2"),
    "hunyuan3d-2-paint": ("texture", "tencent/Hunyuan3D-2"),
    "grounding-dino-base": ("segmentation", "IDEA-Research/grounding-dino-base"),
    "sam2-1-hiera-large": ("segmentation", "facebook/sam2.1-hiera-large"),
    "camerahmr": ("body_regressor", "https://camerahmr.is.tue.mpg.de"),
    "smpl": ("body_model", "https://smpl.is.tue.mpg.de"),
}


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _lock_text(models: list[dict]) -> str:
    """Lock TOML written by hand (not by dump_lock), one [[model]] per dict."""
    out = ["version = 1\n"]
    for m in models:
        out.append(
            f'\n[[model]]\nname = "{m["name"]}"\nstage = "{m.get("stage", "depth")}"\n'
            f'source = "{m.get("source", "org/repo")}"\ndistribution = "{m.get("distribution", "huggingface")}"\n'
            f'revision = "{m.get("revision", "unresolved")}"\nresolved = {str(m.get("resolved", False)).lower()}\n'
            'licence = "Apache-2.0"\nlicence_url = ""\nrestrictions = "none"\nnotes = "test entry"\n'
        )
        if "dir_env" in m:
            out.append(f'dir_env = "{m["dir_env"]}"\n')
        if "patterns" in m:
            out.append("patterns = [" + ", ".join(f'"{p}"' for p in m["patterns"]) + "]\n")
        for path, sha, size in m.get("files", []):
            out.append(f'\n[[model.files]]\npath = "{path}"\nsha256 = "{sha}"\nsize = {size}\n')
    return "".join(out)


def _write_lock(tmp_path: Path, models: list[dict]) -> ml.LockFile:
    path = tmp_path / "test.lock"
    path.write_text(_lock_text(models))
    return ml.load_lock(path)


# --------------------------------------------------------------------------- the repository lock


def test_repository_lock_has_every_required_entry_with_all_fields():
    lock = ml.load_lock()
    assert lock.path == ml.REPOSITORY_LOCK
    assert set(REQUIRED) <= set(lock.names)
    for name, (stage, source) in REQUIRED.items():
        e = lock.get(name)
        assert (e.stage, e.source) == (stage, source)
        assert e.licence and e.restrictions and e.notes and e.revision
        assert e.files, name
        # Nothing could be resolved without Hub access: say so, and say it in the notes.
        assert (e.revision, e.resolved) == (ml.UNRESOLVED, False)
        assert "not verified" in e.notes.lower() or "unknown" in e.notes.lower(), name
        for f in e.files:
            assert f.sha256 == ml.UNKNOWN or len(f.sha256) == 64
    assert [f.path for f in lock.get("hoi3dgen-sana").files] == ["epoch_1050_step_25201.pth"]
    shape = lock.get("hunyuan3d-2-shape")
    assert {f.path.split("/")[0] for f in shape.files} == {"hunyuan3d-dit-v2-0"}
    assert all(p.startswith("hunyuan3d-vae-v2-0/") for p in shape.patterns)
    paint = lock.get("hunyuan3d-2-paint").patterns
    assert {p.split("/")[0] for p in paint} == {"hunyuan3d-paint-v2-0", "hunyuan3d-delight-v2-0"}
    assert all(w in shape.restrictions for w in ("European Union", "United Kingdom", "South Korea"))
    assert lock.get("depth-anything-v2-large").licence == "CC-BY-NC-4.0"
    assert "Non-Commercial" in lock.get("flux1-depth-dev").licence
    assert lock.get("grounding-dino-base").licence == lock.get("sam2-1-hiera-large").licence == "Apache-2.0"
    sana = {f.path.split("/")[0] for f in lock.get("sana-1600m-1024px").files}
    assert {"vae", "text_encoder", "transformer"} <= sana
    for name in ("camerahmr", "smpl"):
        assert lock.get(name).distribution == "manual"
    smpl = lock.get("smpl")
    assert smpl.dir_env == "HOIEXPORT_SMPL_DIR"
    # The lock accepts exactly the files the SMPL body model looks for.
    assert smpl.files[0].candidates == smpl_file_names("neutral")


def test_repository_lock_is_canonical_and_the_shipped_copy_is_identical():
    text = ml.REPOSITORY_LOCK.read_text()
    assert ml.dump_lock(ml.load_lock()) == text
    assert ml.SHIPPED_LOCK.read_text() == text, "run: cp third_party_models.lock sdk/models/"


def test_unknown_model_name_lists_the_known_ones():
    with pytest.raises(InputError, match="known models are .*sam2-1-hiera-large"):
        ml.load_lock().get("sam3")


@pytest.mark.parametrize(
    ("edit", "field"),
    [
        (lambda t: t.replace('stage = "depth"', 'stage = "upscale"'), "stage"),
        (lambda t: t.replace('sha256 = "unknown"', 'sha256 = "abc"'), "sha256"),
        (lambda t: t.replace('path = "a.bin"', 'path = "../a.bin"'), "path"),
        (lambda t: t.replace('path = "a.bin"', 'path = "/etc/a.bin"'), "path"),
        (lambda t: t.replace('name = "m"', 'name = "M/x"'), "name"),
        (lambda t: t.replace("size = 0", "size = -1"), "size"),
        (lambda t: t.replace('notes = "test entry"', 'notes = "x"\nnote = "typo"'), "unknown key"),
        (lambda t: t.replace("resolved = false", "resolved = true"), "revision"),
        (lambda t: t + t[t.index("[[model]]"):], "more than once"),
        (lambda t: t.replace("version = 1", "version = 2"), "version"),
    ],
)
def test_invalid_lock_is_refused_naming_the_field(tmp_path, edit, field):
    text = edit(_lock_text([{"name": "m", "files": [("a.bin", "unknown", 0)]}]))
    path = tmp_path / "bad.lock"
    path.write_text(text)
    with pytest.raises(InputError, match=field) as info:
        ml.load_lock(path)
    assert str(path) in str(info.value)


# --------------------------------------------------------------------------- verify / resolve


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
        ("good.safetensors", _sha(good), len(good)),
        ("sub/short.bin", _sha(b"abcdef"), 6),
        ("wrong.pth", _sha(b"good" * 10), len(wrong)),
        ("free.json", "unknown", 0),
        ("absent.safetensors", _sha(b"x"), 1),
    ]
    lock = _write_lock(tmp_path, [{"name": "m", "stage": "segmentation", "files": files}])
    return root, lock


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
    assert wrong.actual_sha256 == _sha(b"evil" * 10)
    lines = check.problem_lines()
    assert len(lines) == 3
    for line in lines:
        assert line.startswith("m (segmentation): ") and str(root / "m") in line
        assert "hoiexport models fetch m" in line
    assert any("missing" in s and "absent.safetensors" in s for s in lines)
    assert any("3 bytes, the lock expects 6" in s for s in lines)


def test_resolve_raises_naming_model_stage_path_and_fix(models_dir):
    root, lock = models_dir
    with pytest.raises(ModelUnavailableError) as info:
        ml.resolve("m", lock=lock, models_dir=root)
    msg = str(info.value)
    for part in ("'m'", "segmentation", str(root / "m" / "absent.safetensors"), "hoiexport models fetch m",
                 "sha256 mismatch", "size mismatch"):
        assert part in msg


def test_resolve_returns_the_folder_when_pinned_files_match_and_others_exist(tmp_path):
    root = tmp_path / "models"
    (root / "m").mkdir(parents=True)
    (root / "m" / "a.bin").write_bytes(b"A" * 10)
    (root / "m" / "b.json").write_bytes(b"{}")
    lock = _write_lock(tmp_path, [{"name": "m", "files": [("a.bin", _sha(b"A" * 10), 10), ("b.json", "unknown", 0)]}])
    assert ml.resolve("m", lock=lock, models_dir=root) == root / "m"
    assert ml.resolve_file("m", "a.bin", lock=lock, models_dir=root) == root / "m" / "a.bin"
    assert ml.verify_models(lock.models, root)[0].status == "unpinned"
    (root / "m" / "b.json").unlink()
    with pytest.raises(ModelUnavailableError, match="missing .*b.json"):
        ml.resolve("m", lock=lock, models_dir=root)


def test_hash_cache_is_keyed_on_size_and_mtime_and_rehash_bypasses_it(tmp_path):
    root = tmp_path / "models"
    (root / "m").mkdir(parents=True)
    f = root / "m" / "a.bin"
    f.write_bytes(b"1234")
    lock = _write_lock(tmp_path, [{"name": "m", "files": [("a.bin", _sha(b"1234"), 4)]}])
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
    lock = _write_lock(tmp_path, [{"name": "m", "patterns": ["vae/*", "tokenizer/*"]}])
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


# --------------------------------------------------------------------------- pin / save / fetch


def test_pin_entry_records_hashes_and_pattern_files_and_round_trips(tmp_path):
    folder = tmp_path / "models" / "m"
    (folder / "tokenizer").mkdir(parents=True)
    (folder / ".cache").mkdir()
    (folder / "model.safetensors").write_bytes(b"M" * 33)
    (folder / "tokenizer" / "vocab.txt").write_bytes(b"a\nb\n")
    (folder / ".cache" / "x.lock").write_bytes(b"")
    lock = _write_lock(tmp_path, [
        {"name": "m", "files": [("model.safetensors", "unknown", 0)], "patterns": ["tokenizer/*"]},
        {"name": "other", "files": [("o.bin", "unknown", 0)]},
    ])
    rev = "0123456789abcdef0123456789abcdef01234567"
    pinned = ml.pin_entry(lock.get("m"), folder, rev)
    assert (pinned.revision, pinned.resolved, pinned.pinned) == (rev, True, True)
    assert [(f.path, f.sha256, f.size) for f in pinned.files] == [
        ("model.safetensors", _sha(b"M" * 33), 33),
        ("tokenizer/vocab.txt", _sha(b"a\nb\n"), 4),
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
    lock = _write_lock(tmp_path, [{"name": "m", "files": [("a.pt", _sha(b"original"), 8)]}])
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
