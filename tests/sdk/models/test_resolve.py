"""resolve: a model name to its checked folder; a backend's weights to a folder fit for its loader."""

from __future__ import annotations

import pytest

from hoiexport.sdk import models as ml
from hoiexport.sdk.core.errors import ModelUnavailableError
from tests.sdk.models.lockfiles import sha, write_lock


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
    lock = write_lock(tmp_path, [{"name": "m", "files": [("a.bin", sha(b"A" * 10), 10), ("b.json", "unknown", 0)]}])
    assert ml.resolve("m", lock=lock, models_dir=root) == root / "m"
    assert ml.resolve_file("m", "a.bin", lock=lock, models_dir=root) == root / "m" / "a.bin"
    assert ml.verify_models(lock.models, root)[0].status == "unpinned"
    (root / "m" / "b.json").unlink()
    with pytest.raises(ModelUnavailableError, match="missing .*b.json"):
        ml.resolve("m", lock=lock, models_dir=root)


# --------------------------------------------------------------------------- a backend's weights

DEPTH_LIKE = ml.ModelRef(
    "m", "depth", ml.RequiredPaths("a folder with config.json and w.bin", files=("config.json", "w.bin"))
)


def test_resolve_weights_checks_a_given_folder_against_the_layout(tmp_path):
    folder = tmp_path / "given"
    fix = "fix: pass a folder with config.json and w.bin instead, or leave it out and run `hoiexport models fetch m`"
    with pytest.raises(ModelUnavailableError) as info:
        ml.resolve_weights(DEPTH_LIKE, folder)
    assert str(info.value) == f"model 'm' (stage depth): {folder} does not exist; {fix}"
    folder.mkdir()
    (folder / "config.json").write_text("{}")
    with pytest.raises(ModelUnavailableError) as info:
        ml.resolve_weights(DEPTH_LIKE, folder)
    assert str(info.value) == f"model 'm' (stage depth): {folder / 'w.bin'} missing; {fix}"
    assert not ml.weights_available(DEPTH_LIKE, folder)
    (folder / "w.bin").write_bytes(b"w")
    assert ml.resolve_weights(DEPTH_LIKE, folder) == folder
    assert ml.weights_available(DEPTH_LIKE, folder)


def test_resolve_weights_through_the_lock(tmp_path):
    root = tmp_path / "models"
    lock = write_lock(tmp_path, [{"name": "m", "files": [("w.bin", sha(b"w"), 1)]}])
    with pytest.raises(ModelUnavailableError) as info:
        ml.resolve_weights(DEPTH_LIKE, lock=lock, models_dir=root)
    assert str(info.value).startswith("model 'm' (stage depth) is not available: m (depth): missing ")
    assert "hoiexport models fetch m" in str(info.value)
    (root / "m").mkdir(parents=True)
    (root / "m" / "w.bin").write_bytes(b"w")
    # The lock's files are all there, but they are not what the loader needs: fetching cannot help.
    with pytest.raises(ModelUnavailableError) as info:
        ml.resolve_weights(DEPTH_LIKE, lock=lock, models_dir=root)
    assert str(info.value) == (
        f"model 'm' (stage depth): {root / 'm' / 'config.json'} missing; fix: pass a folder with config.json "
        "and w.bin explicitly (the files of lock entry 'm' do not provide it)"
    )
    (root / "m" / "config.json").write_text("{}")
    assert ml.resolve_weights(DEPTH_LIKE, lock=lock, models_dir=root) == root / "m"


def test_transformers_folder_says_what_is_wrong(tmp_path):
    layout = ml.TransformersFolder()
    assert isinstance(layout, ml.FolderLayout)
    assert layout.problem(tmp_path / "none") == f"{tmp_path / 'none'} does not exist"
    assert layout.problem(tmp_path) == f"{tmp_path} has no config.json"
    (tmp_path / "sam2.1_hiera_large.pt").write_bytes(b"x")
    assert "original-format checkpoint sam2.1_hiera_large.pt" in layout.problem(tmp_path)
    (tmp_path / "config.json").write_text("{}")
    assert layout.problem(tmp_path) == f"{tmp_path} has no weights (*.safetensors or pytorch_model.bin)"
    (tmp_path / "pytorch_model.bin").write_bytes(b"x")
    assert layout.problem(tmp_path) is None


def test_every_backend_names_a_lock_entry_of_its_stage():
    from hoiexport.sdk.generators.hoi3dgen import depth, regressor, retexture, sana, shape, texture
    from hoiexport.sdk.generators.lift import segment

    refs = [depth.WEIGHTS, retexture.WEIGHTS, regressor.WEIGHTS, sana.BASE_WEIGHTS, shape.WEIGHTS, texture.WEIGHTS,
            segment.GROUNDING_DINO_WEIGHTS, segment.SAM2_WEIGHTS]
    lock = ml.load_lock()
    for ref in refs:
        assert isinstance(ref.layout, ml.FolderLayout)
        assert lock.get(ref.name).stage == ref.stage, ref.name
    assert lock.get(sana.FINETUNE_MODEL).stage == "text_to_image"
    assert sana.FINETUNE_FILE in [f.path for f in lock.get(sana.FINETUNE_MODEL).files]
