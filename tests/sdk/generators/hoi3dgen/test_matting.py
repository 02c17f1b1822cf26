"""Stage 3 of the hoi3dgen chain: cut-out on white (crop geometry, and the real
Grounding DINO + SAM 2 path on tiny random-weight models)."""

from __future__ import annotations

import numpy as np
import pytest

from hoiexport.sdk.core.errors import InputError
from hoiexport.sdk.generators.hoi3dgen.matting import GroundedSam2Matting, MattingOptions, crop_to_subject
from hoiexport.sdk.generators.lift.segment import GroundedSam2Options, GroundedSam2Segmenter
from tests.builders.segment import tiny_grounded_sam2


def _scene() -> tuple[np.ndarray, np.ndarray]:
    image = np.full((120, 200, 3), 40, np.uint8)
    mask = np.zeros((120, 200), bool)
    mask[20:100, 130:170] = True  # 80 tall, 40 wide, off-centre
    image[mask] = (200, 30, 30)
    return image, mask


def test_crop_centres_the_subject_with_its_margin_on_white():
    image, mask = _scene()
    out, out_mask, box = crop_to_subject(image, mask, MattingOptions(size=100, margin=0.1))
    assert out.shape == (100, 100, 3) and out.dtype == np.uint8 and out_mask.shape == (100, 100)
    np.testing.assert_array_equal(box, [130, 20, 170, 100])
    rows, cols = np.nonzero(out_mask)
    # the taller side fills 80 % of the square (10 % margin each side), centred
    assert abs((rows.max() + 1 - rows.min()) - 80) <= 2 and abs((cols.max() + 1 - cols.min()) - 40) <= 2
    assert abs((rows.min() + rows.max() + 1) / 2 - 50) <= 1.5 and abs((cols.min() + cols.max() + 1) / 2 - 50) <= 1.5
    assert (out[~out_mask] == 255).all()  # background and the dark surroundings are white
    inside = out[out_mask]
    assert np.abs(inside.astype(int) - (200, 30, 30)).max() <= 40


def test_crop_pads_past_the_image_border():
    image, _ = _scene()
    mask = np.zeros((120, 200), bool)
    mask[0:120, 190:200] = True  # touches the top, bottom and right edges
    out, out_mask, _ = crop_to_subject(image, mask, MattingOptions(size=64, margin=0.2))
    assert out_mask.any() and (out[~out_mask] == 255).all()


def test_options_are_checked():
    with pytest.raises(InputError, match="margin"):
        MattingOptions(margin=0.5)
    with pytest.raises(InputError, match="size"):
        MattingOptions(size=4)


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    pytest.importorskip("transformers")
    return tiny_grounded_sam2(tmp_path_factory.mktemp("tiny"))


def test_grounded_sam2_cutout_on_tiny_models(tiny):
    image, _ = _scene()
    seg = GroundedSam2Segmenter(*tiny, options=GroundedSam2Options(box_threshold=0.0, device="cpu"))
    cut = GroundedSam2Matting(seg, MattingOptions(size=48)).cutout(image, ["person", "suitcase"])
    assert cut.image.shape == (48, 48, 3) and cut.image.dtype == np.uint8
    assert cut.mask.shape == (48, 48) and cut.mask.any()
    assert (cut.image[~cut.mask] == 255).all()
    assert set(cut.labels) <= {"person", "suitcase"} and cut.labels
    assert all(0.0 < c <= 1.0 for c in cut.labels.values())
    x0, y0, x1, y1 = cut.box
    assert 0 <= x0 < x1 <= 200 and 0 <= y0 < y1 <= 120


def test_nothing_found_is_one_clear_error(tiny):
    image, _ = _scene()
    seg = GroundedSam2Segmenter(*tiny, options=GroundedSam2Options(box_threshold=1.0, device="cpu"))
    with pytest.raises(InputError, match="none of .*person.*another seed"):
        GroundedSam2Matting(seg).cutout(image, ["person", "suitcase"])
    with pytest.raises(InputError, match="uint8"):
        GroundedSam2Matting(seg).cutout(image.astype(np.float32), ["person"])
