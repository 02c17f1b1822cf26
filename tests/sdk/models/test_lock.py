"""third_party_models.lock: the repository's entries, canonical form, parse errors."""

from __future__ import annotations

import pytest

from hoiexport.sdk import models as ml
from hoiexport.sdk.bodies.smpl_body import smpl_file_names
from hoiexport.sdk.core.errors import InputError
from tests.sdk.models.lockfiles import lock_text

REQUIRED = {
    "hoi3dgen-sana": ("text_to_image", "agshar96/hoi3dgen_weights"),
    "sana-1600m-1024px": ("text_to_image", "Efficient-Large-Model/Sana_1600M_1024px_diffusers"),
    "sana1-5-1600m-1024px": ("text_to_image", "Efficient-Large-Model/SANA1.5_1.6B_1024px_diffusers"),
    "depth-anything-large": ("depth", "LiheYoung/depth-anything-large-hf"),
    "depth-anything-v2-large": ("depth", "depth-anything/Depth-Anything-V2-Large-hf"),
    "flux1-depth-dev": ("retexture", "black-forest-labs/FLUX.1-Depth-dev"),
    "hunyuan3d-2-shape": ("image_to_shape", "tencent/Hunyuan3D-2"),
    "hunyuan3d-2-paint": ("texture", "tencent/Hunyuan3D-2"),
    "grounding-dino-base": ("segmentation", "IDEA-Research/grounding-dino-base"),
    "sam2-1-hiera-large": ("segmentation", "facebook/sam2.1-hiera-large"),
    "camerahmr": ("body_regressor", "https://camerahmr.is.tue.mpg.de"),
    "smpl": ("body_model", "https://smpl.is.tue.mpg.de"),
}


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
    text = edit(lock_text([{"name": "m", "files": [("a.bin", "unknown", 0)]}]))
    path = tmp_path / "bad.lock"
    path.write_text(text)
    with pytest.raises(InputError, match=field) as info:
        ml.load_lock(path)
    assert str(path) in str(info.value)
