"""The hoi3dgen chain built from disk: every model it loads written tiny in its real
repository's layout under a fake `$HOIEXPORT_MODELS`, resolved through the lock
and loaded by each backend's `from_pretrained` (`load_chain`), for both presets,
run end to end on CPU, exported and validated; and the same through the CLI
(`hoiexport generate --generator hoi3dgen --preset paper|best`).

The tiny files never match the lock's pinned hashes, so the lock is read with
its pins forgotten (`unpinned_lock`); everything else is the real path.

One substitution, as in test_chain.py: on the orbit frames (stage 5) random
detectors give one mask for both labels, so voting would leave no object; the
built chain's orbit segmenter is replaced by `LabelsSegmenter` halves of each
lifted mesh. Stage 3's cut-out still runs the tiny Grounding DINO + SAM 2 loaded
from disk (the SAM 2.1 original checkpoint, converted on first use).
"""

from __future__ import annotations

import importlib
import json
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("diffusers")
pytest.importorskip("hy3dgen")

from click.testing import CliRunner  # noqa: E402

from hoiexport.cli.app import app  # noqa: E402
from hoiexport.exporters.export import ExportOptions, export  # noqa: E402
from hoiexport.exporters.options import BakeOptions  # noqa: E402
from hoiexport.sdk.generators import registry  # noqa: E402
from hoiexport.sdk.generators.hoi3dgen import generate as hoi3dgen_generate  # noqa: E402
from hoiexport.sdk.generators.hoi3dgen.chain import ChainOptions  # noqa: E402
from hoiexport.sdk.generators.hoi3dgen.presets import paper_body_model  # noqa: E402
from hoiexport.sdk.generators.hoi3dgen.regressor import RegressorEstimator  # noqa: E402
from hoiexport.sdk.generators.hoi3dgen.runtime import Runtime  # noqa: E402
from hoiexport.sdk.generators.lift.segment import LabelsSegmenter  # noqa: E402
from hoiexport.sdk.prompt.parse import parse_prompt  # noqa: E402

from tests.builders.lock_writers import write_models  # noqa: E402
from tests.builders.unpinned import unpinned_lock  # noqa: E402

PROMPT = "A man carrying a box with both hands"

TINY = {
    "image_size": "32", "t2i_steps": "2", "retexture_steps": "2",
    "segment.box_threshold": "0.0", "matting.size": "64",
    "shape.steps": "2", "shape.octree_resolution": "16", "shape.num_chunks": "8192", "shape.max_faces": "800",
    "lift.orbit.views": "4", "lift.orbit.resolution": "96",
    "lift.estimator.samples": "300", "lift.estimator.body_points": "200", "lift.estimator.yaw_steps": "4",
    "lift.estimator.descent_starts": "1", "lift.estimator.descent_passes": "1",
    "lift.register.scan_samples": "800", "lift.register.body_points": "500", "lift.register.lbfgs_steps": "5",
    "lift.register.similarity_steps": "4", "lift.register.pose_sigmas_cm": "8.0,4.0",
    "lift.register.shape_rounds": "0", "lift.register.hypotheses": "1", "lift.register.chamfer_samples": "800",
    "lift.register.target_points": "800", "lift.register.cloud_samples": "4000",
    "regressor.resolution": "64", "regressor.samples": "300",
}
"""`--set` overrides that make the chain small enough for CPU (every other setting
is the preset's)."""

LOADED = ("sana1-5-1600m-1024px", "hoi3dgen-sana", "depth-anything-large", "flux1-depth-dev",
          "grounding-dino-base", "sam2-1-hiera-large", "hunyuan3d-2-shape", "camerahmr")
"""The lock entries a CPU chain loads with both presets (the paint texturers need
CUDA, so the projection texturer runs and loads nothing)."""


def _halves(mesh) -> LabelsSegmenter:
    x = mesh.vertices[:, 0]
    return LabelsSegmenter(mesh.faces, (x > np.median(x)).astype(np.int8))


@pytest.fixture(scope="module")
def models_dir(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("models")
    write_models(folder, LOADED)
    return folder


@pytest.fixture()
def on_disk(models_dir, monkeypatch):
    """`$HOIEXPORT_MODELS` = the tiny models, the lock without pins, no SMPL, and
    every chain `load_chain` builds given the halves orbit segmenter."""
    lock = unpinned_lock()
    monkeypatch.setenv("HOIEXPORT_MODELS", str(models_dir))
    monkeypatch.delenv("HOIEXPORT_SMPL_DIR", raising=False)
    monkeypatch.delenv("HOIEXPORT_HY3DPAINT_DIR", raising=False)
    monkeypatch.setattr(importlib.import_module("hoiexport.sdk.models.resolve"), "load_lock", lambda path=None: lock)
    monkeypatch.setattr(hoi3dgen_generate, "load_lock", lambda path=None: lock)
    real_load_chain = hoi3dgen_generate.load_chain

    def load_chain(*args, **kwargs):
        chain = real_load_chain(*args, **kwargs)
        chain.segmenter = _halves
        return chain

    monkeypatch.setattr(hoi3dgen_generate, "load_chain", load_chain)
    return lock


@pytest.mark.parametrize("preset", ["best", "paper"])
def test_load_chain_from_disk_runs_and_exports(on_disk, models_dir, tmp_path, preset):
    options = registry.make_settings("hoi3dgen", preset, TINY)
    assert isinstance(options, ChainOptions) and options.preset == preset
    chain = hoi3dgen_generate.load_chain(Runtime(device="cpu"), options)
    assert isinstance(chain.estimator, RegressorEstimator)  # CameraHMR loaded from its Lightning checkpoint
    assert chain.estimator.options.fallback is (preset == "best")
    assert chain.matting.segmenter.options.masks == ("track" if preset == "paper" else "per_frame")
    # the SAM 2.1 original checkpoint was converted next to itself on first use
    assert (models_dir / "sam2-1-hiera-large" / "transformers" / "config.json").is_file()

    asset = chain.run(parse_prompt(PROMPT), seed=3).asset
    prov = asset.provenance
    assert prov.notes["preset"] == preset
    lock_entries = {name: rev for name, rev in prov.models.items() if name in on_disk.names}
    assert lock_entries == {name: on_disk.get(name).revision for name in LOADED}
    assert prov.notes["texture_path"] == "projection"
    assert "hunyuan3d-2.1-paint" in prov.notes["texture_reason"] and "hunyuan3d-paint" in prov.notes["texture_reason"]
    assert prov.notes["body_estimator"] == "RegressorEstimator"
    out = export(asset, tmp_path / "out", formats=("glb", "usda"),
                 options=ExportOptions(bake=BakeOptions(size=512, gutter_px=2)))
    assert out.validation and all(r.errors == 0 for r in out.validation.values()), out.validation


@pytest.mark.parametrize("preset", ["paper", "best"])
def test_cli_generate_hoi3dgen_preset_from_disk(on_disk, tmp_path, preset):
    out = tmp_path / "out"
    args = ["generate", PROMPT, "-o", str(out), "--generator", "hoi3dgen", "--device", "cpu", "--precision", "fp32",
            "--preset", preset, "--seed", "3", "--format", "glb,usda", "--texture-size", "512", "--json"]
    for key, value in TINY.items():
        args += ["--set", f"{key}={value}"]
    r = CliRunner().invoke(app, args)
    assert r.exit_code == 0, r.output
    data = json.loads(r.stdout)  # stderr carries the loaders' progress bars
    assert data["preset"] == preset
    assert {n: r for n, r in data["models"].items() if n in on_disk.names} == {
        name: on_disk.get(name).revision for name in LOADED}
    assert set(data["files"]) == {"glb", "usda"}
    assert all(v["errors"] == 0 for v in data["validation"].values())
    bundle = json.loads((Path(data["bundle"]) / "asset.json").read_text())
    assert bundle["provenance"]["notes"]["preset"] == preset
    assert bundle["provenance"]["models"] == data["models"]


def test_paper_registers_smpl_only_when_the_users_files_are_there(tmp_path, monkeypatch):
    from tests.builders.smpl import write_smpl

    monkeypatch.setenv("HOIEXPORT_MODELS", str(tmp_path / "empty"))
    monkeypatch.delenv("HOIEXPORT_SMPL_DIR", raising=False)
    assert paper_body_model() == "anny"
    assert registry.make_settings("hoi3dgen", "paper", {}).lift.body_model == "anny"
    monkeypatch.setenv("HOIEXPORT_SMPL_DIR", str(write_smpl(tmp_path)))
    assert paper_body_model() == "smpl"
    assert registry.make_settings("hoi3dgen", "paper", {}).lift.body_model == "smpl"
    assert registry.make_settings("hoi3dgen", "best", {}).lift.body_model == "anny"
