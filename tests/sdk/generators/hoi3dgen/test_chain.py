"""The whole hoi3dgen chain on CPU with tiny random-weight models of every stage's
real architecture: SANA (3 views) → Depth Anything → FLUX.1-Depth → Grounding
DINO + SAM 2 cut-out → Hunyuan3D-2 shape → projection texture → orbit masks,
voting, CameraHMR + point-cloud estimate, registration → contact-verified asset
→ validated exports.

Random weights make meaningless images and shapes; what is checked is that the
real code of every stage runs in order on what the previous stage produced, that
the result is a well-formed `HOIAsset` whose exports pass the validators, that
provenance records every stage, and that one seed reproduces the run.

Stages 1–3 use the tiny Grounding DINO + SAM 2. On the orbit frames (stage 5)
random detectors give one mask for both labels, so voting would leave no object;
there the chain takes its other real backend, `LabelsSegmenter`, with a fixed
split of each lifted mesh (vertices left of the median x are the person), so
voting, registration, contacts and the choice get a person and an object. The
test of the detector path on orbit frames is in test_lift_segment.py.
"""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("diffusers")
pytest.importorskip("hy3dgen")

from hoiexport.exporters.export import ExportOptions, export  # noqa: E402
from hoiexport.exporters.options import BakeOptions  # noqa: E402
from hoiexport.sdk.prompt.parse import parse_prompt  # noqa: E402
from hoiexport.sdk.core.errors import InputError  # noqa: E402
from hoiexport.sdk.generators.hoi3dgen.chain import ChainOptions, Hoi3dgenChain  # noqa: E402
from hoiexport.sdk.generators.hoi3dgen.matting import GroundedSam2Matting, MattingOptions  # noqa: E402
from hoiexport.sdk.generators.hoi3dgen.regressor import RegressorEstimator  # noqa: E402
from hoiexport.sdk.generators.hoi3dgen.runtime import Runtime  # noqa: E402
from hoiexport.sdk.generators.lift.estimate import EstimatorOptions  # noqa: E402
from hoiexport.sdk.generators.lift.lift import LiftOptions  # noqa: E402
from hoiexport.sdk.geometry.orbit import OrbitOptions  # noqa: E402
from hoiexport.sdk.generators.lift.register import RegisterOptions  # noqa: E402
from hoiexport.sdk.generators.lift.segment import GroundedSam2Options, GroundedSam2Segmenter, LabelsSegmenter  # noqa: E402
from hoiexport.sdk.core.types import HOIAsset  # noqa: E402

from tests.builders.depth import tiny_depth  # noqa: E402
from tests.builders.flux import tiny_flux  # noqa: E402
from tests.builders.hunyuan import tiny_hunyuan, tiny_texturer  # noqa: E402
from tests.builders.regressor import tiny_regressor  # noqa: E402
from tests.builders.sana import tiny_sana  # noqa: E402
from tests.builders.segment import tiny_grounded_sam2  # noqa: E402

FAST_LIFT = LiftOptions(
    orbit=OrbitOptions(views=4, resolution=96),
    estimator=EstimatorOptions(samples=300, body_points=200, yaw_steps=4, descent_starts=1, descent_passes=1),
    register=RegisterOptions(scan_samples=800, body_points=500, lbfgs_steps=5, similarity_steps=4,
                             pose_sigmas_cm=(8.0, 4.0), shape_rounds=0, hypotheses=1, chamfer_samples=800),
)
OPTIONS = ChainOptions(image_size=32, t2i_steps=2, retexture_steps=2, lift=FAST_LIFT)


def _halves(mesh) -> LabelsSegmenter:
    x = mesh.vertices[:, 0]
    return LabelsSegmenter(mesh.faces, (x > np.median(x)).astype(np.int8))


@pytest.fixture(scope="module")
def chain(tmp_path_factory) -> Hoi3dgenChain:
    rt = Runtime(device="cpu")
    detector, processor, sam = tiny_grounded_sam2(tmp_path_factory.mktemp("gdino"))
    segmenter = GroundedSam2Segmenter(detector, processor, sam,
                                      options=GroundedSam2Options(box_threshold=0.0, device="cpu"))
    return Hoi3dgenChain(
        text_to_image=tiny_sana(rt),
        depth=tiny_depth(rt),
        retexturer=tiny_flux(rt),
        matting=GroundedSam2Matting(segmenter, MattingOptions(size=64)),
        shape=tiny_hunyuan(rt),
        texturer=tiny_texturer(rt),
        segmenter=_halves,
        runtime=rt,
        estimator=RegressorEstimator(tiny_regressor(rt)),
        options=OPTIONS,
        models={"test": "tiny-random"},
    )


@pytest.fixture(scope="module")
def prompt():
    return parse_prompt("A man carrying a box with both hands")


@pytest.fixture(scope="module")
def result(chain, prompt):
    return chain.run(prompt, seed=3)


def test_every_stage_ran_on_each_view(result):
    assert [v.view for v in result.views] == ["front", "left_diagonal", "right_diagonal"]
    for v in result.views:
        assert v.image.shape == (32, 32, 3) and v.image.dtype == np.uint8
        assert v.depth is not None and v.depth.shape == (32, 32) and 0.0 <= v.depth.min() <= v.depth.max() <= 1.0
        assert v.retextured is not None and v.retextured.shape == (32, 32, 3)
        assert v.cutout.image.shape == (64, 64, 3) and v.cutout.mask.any()
        assert len(v.mesh.faces) > 0 and v.mesh.uv is not None and v.mesh.texture is not None
        assert v.prompt.endswith("White Background, Full Body Visible.")
    assert len({v.prompt for v in result.views}) == 3  # one view phrase each
    assert len(result.candidates) == 3 and result.candidate_views == ["front", "left_diagonal", "right_diagonal"]
    assert 0 <= result.selection.index < 3


def test_the_kept_candidate_is_a_wellformed_asset(result, prompt):
    asset = result.asset
    assert isinstance(asset, HOIAsset)
    asset.human.validate()
    asset.object.validate()
    assert len(asset.human.faces) > 0 and len(asset.object.faces) > 0
    assert asset.prompt.requested_config is prompt.requested_config
    assert asset.body.skin_weights.shape == (len(asset.body.mesh.vertices), 24)
    prov = asset.provenance
    assert prov.generator == "hoi3dgen" and prov.seed == 3 and prov.models["test"] == "tiny-random"
    stages = {s["stage"].split("[")[0] for s in prov.notes["stages"]}
    assert stages == {"text_to_image", "depth", "retexture", "matting", "shape", "texture", "lift"}
    assert all(s["seconds"] >= 0 and s["peak_rss_mib"] > 0 for s in prov.notes["stages"])
    assert prov.notes["texture_path"] == "projection"
    assert prov.notes["kept_view"] in ("front", "left_diagonal", "right_diagonal")
    assert prov.timings_s["total"] > 0


def test_exports_validate(result, tmp_path):
    out = export(result.asset, tmp_path / "out", formats=("glb", "usda"),
                 options=ExportOptions(bake=BakeOptions(size=512, gutter_px=2)))
    assert set(out.files) == {"glb", "usda"}
    assert out.validation and all(r.errors == 0 for r in out.validation.values()), out.validation


def test_same_seed_same_views(chain, prompt, result):
    again = chain.run(prompt, seed=3)
    for a, b in zip(result.views, again.views, strict=True):
        np.testing.assert_array_equal(a.image, b.image)
        np.testing.assert_array_equal(a.retextured, b.retextured)
        np.testing.assert_array_equal(a.mesh.vertices, b.mesh.vertices)


def test_bad_input_is_one_clear_error(chain, prompt):
    with pytest.raises(InputError, match="seed"):
        chain.run(prompt, seed=-1)
    with pytest.raises(InputError, match="view"):
        ChainOptions(views=("top",))
