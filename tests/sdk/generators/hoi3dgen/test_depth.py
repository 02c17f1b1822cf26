"""Depth Anything stage (`hoiexport.sdk.generators.hoi3dgen.depth`) on a tiny random-weight
`DepthAnythingForDepthEstimation` (tests/builders/depth.py), and each depth lock
entry written tiny in its real layout and loaded through the resolver."""

from __future__ import annotations

import json
from dataclasses import replace

import numpy as np
import pytest
import torch

from tests.builders.depth import (
    LOCK_WRITERS,
    PREPROCESSOR_CONFIG,
    TINY_OPTIONS,
    TINY_V2_OPTIONS,
    depth_model,
    tiny_depth,
    tiny_depth_model,
    write_depth_anything_large,
)
from hoiexport.sdk.core.errors import InputError, ModelUnavailableError
from hoiexport.sdk.generators.hoi3dgen.depth import DEPTH_MODELS, DepthAnythingEstimator, DepthOptions
from hoiexport.sdk.generators.hoi3dgen.protocols import DepthEstimator
from hoiexport.sdk.generators.hoi3dgen.runtime import Runtime

# The published preprocessor_config.json of depth-anything/Depth-Anything-V2-Large-hf.
DA_V2_PREPROCESSOR = {
    "do_normalize": True,
    "do_rescale": True,
    "do_resize": True,
    "ensure_multiple_of": 14,
    "image_mean": [0.485, 0.456, 0.406],
    "image_processor_type": "DPTImageProcessor",
    "image_std": [0.229, 0.224, 0.225],
    "keep_aspect_ratio": True,
    "resample": 3,
    "rescale_factor": 0.00392156862745098,
    "size": {"height": 518, "width": 518},
}


@pytest.fixture(scope="module")
def runtime() -> Runtime:
    return Runtime(device="cpu")


@pytest.fixture(scope="module")
def estimator(runtime) -> DepthAnythingEstimator:
    return tiny_depth(runtime)


def _image(seed: int, h: int = 32, w: int = 48) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, (h, w, 3), dtype=np.uint8)


def _smooth_image(n: int) -> np.ndarray:
    yy, xx = np.mgrid[0:n, 0:n] / n
    rgb = np.stack([np.sin(6 * xx + 1) * 0.5 + 0.5, np.cos(5 * yy) * 0.5 + 0.5, xx * yy], axis=-1)
    return (rgb * 255).round().astype(np.uint8)


def test_implements_the_protocol(estimator):
    assert isinstance(estimator, DepthEstimator)


@pytest.mark.parametrize("shape", [(32, 48), (45, 17), (1, 1)])
def test_depth_is_input_sized_float32_min_max_normalised(estimator, shape):
    depth = estimator.estimate(_image(0, *shape))
    assert depth.shape == shape and depth.dtype == np.float32
    assert np.isfinite(depth).all() and depth.min() >= 0.0 and depth.max() <= 1.0
    if shape != (1, 1):
        assert depth.min() == 0.0 and depth.max() == pytest.approx(1.0)


def test_same_image_same_depth_different_image_different_depth(estimator):
    a, b = estimator.estimate(_image(1)), estimator.estimate(_image(1))
    np.testing.assert_array_equal(a, b)
    assert np.abs(a - estimator.estimate(_image(2))).mean() > 1e-3


def test_constant_image_gives_finite_depth(estimator):
    depth = estimator.estimate(np.full((20, 24, 3), 128, np.uint8))
    assert np.isfinite(depth).all() and 0.0 <= depth.min() <= depth.max() <= 1.0


def test_constant_prediction_gives_zeros_not_nan(runtime):
    model = tiny_depth_model()
    with torch.no_grad():  # the head's last conv outputs 0 everywhere → ReLU → constant depth
        model.head.conv3.weight.zero_()
        model.head.conv3.bias.zero_()
    depth = DepthAnythingEstimator(model, runtime, TINY_OPTIONS).estimate(_image(3))
    assert depth.dtype == np.float32 and not np.isnan(depth).any()
    np.testing.assert_array_equal(depth, np.zeros((32, 48), np.float32))


@pytest.mark.parametrize(
    ("size", "expected"),
    [((1024, 1024), (518, 518)), ((768, 1024), (518, 686)), ((1000, 500), (1036, 518)), ((32, 48), (518, 784))],
)
def test_network_size_is_lower_bound_aspect_preserving_multiple_of_14(size, expected):
    h, w = DepthOptions().network_size(*size)
    assert (h, w) == expected
    assert h % 14 == 0 and w % 14 == 0 and h >= 518 and w >= 518


@pytest.mark.parametrize("image", [_smooth_image(256), _image(4, 1024, 1024)], ids=["upscale", "downscale"])
def test_preprocessing_matches_transformers_dpt_processor(runtime, image):
    """Our torch resize + normalise against transformers' PIL DPT processor with the
    published Depth-Anything-V2 settings (square inputs, where its keep-aspect rule and
    Depth Anything's lower-bound rule agree)."""
    from transformers.models.dpt.image_processing_pil_dpt import DPTImageProcessorPil

    cfg = DA_V2_PREPROCESSOR
    reference = DPTImageProcessorPil(
        do_resize=True, size=cfg["size"], keep_aspect_ratio=True, ensure_multiple_of=14, resample=3,
        do_rescale=True, do_normalize=True, image_mean=cfg["image_mean"], image_std=cfg["image_std"],
    )(image, return_tensors="pt")["pixel_values"]
    ours = DepthAnythingEstimator(tiny_depth_model(), runtime, DepthOptions()).preprocess(image)
    assert ours.shape == reference.shape == (1, 3, 518, 518)
    diff = (ours - reference).abs()
    assert float(diff.mean()) < 0.01  # PIL works in uint8; the rest is resampling round-off
    assert float(diff.max()) < 0.15


def test_options_from_preprocessor_config(tmp_path):
    path = tmp_path / "preprocessor_config.json"
    path.write_text(json.dumps(DA_V2_PREPROCESSOR))
    assert DepthOptions.from_preprocessor_config(path) == DepthOptions()
    path.write_text(json.dumps({**DA_V2_PREPROCESSOR, "size": {"height": 70, "width": 84}, "image_mean": [0.5] * 3}))
    opts = DepthOptions.from_preprocessor_config(path)
    assert (opts.height, opts.width, opts.mean, opts.std) == (70, 84, (0.5, 0.5, 0.5), (0.229, 0.224, 0.225))
    path.write_text("[1, 2]")
    with pytest.raises(ModelUnavailableError, match="preprocessor_config.json"):
        DepthOptions.from_preprocessor_config(path)


def test_from_pretrained_loads_safetensors_and_preprocessor_config(tmp_path, runtime):
    model = tiny_depth_model()
    model.save_pretrained(tmp_path, safe_serialization=True)
    (tmp_path / "preprocessor_config.json").write_text(
        json.dumps({**DA_V2_PREPROCESSOR, "size": {"height": 42, "width": 42}})
    )
    loaded = DepthAnythingEstimator.from_pretrained(tmp_path, runtime)
    assert loaded.options == TINY_OPTIONS
    direct = DepthAnythingEstimator(model, runtime, TINY_OPTIONS)
    np.testing.assert_allclose(loaded.estimate(_image(5)), direct.estimate(_image(5)), atol=1e-6)


def test_missing_weights_raise_model_unavailable(tmp_path, monkeypatch, runtime):
    monkeypatch.setenv("HOIEXPORT_MODELS", str(tmp_path / "models"))
    with pytest.raises(ModelUnavailableError, match="depth-anything-large"):
        DepthAnythingEstimator.from_pretrained(None, runtime)
    with pytest.raises(ModelUnavailableError, match="depth-anything-v2-large"):
        DepthAnythingEstimator.from_pretrained(None, runtime, TINY_V2_OPTIONS)
    with pytest.raises(ModelUnavailableError, match="model.safetensors"):
        DepthAnythingEstimator.from_pretrained(tmp_path, runtime)


@pytest.mark.parametrize(
    ("image", "match"),
    [
        (np.zeros((8, 8, 3), np.float32), "uint8"),
        (np.zeros((8, 8), np.uint8), r"\(H, W, 3\)"),
        (np.zeros((8, 8, 4), np.uint8), "RGBA"),
        (np.zeros((0, 8, 3), np.uint8), "empty"),
        ([[0, 0, 0]], "numpy array"),
    ],
)
def test_bad_images_raise_input_error(estimator, image, match):
    with pytest.raises(InputError, match=match):
        estimator.estimate(image)


def test_options_must_fit_the_patch_size(runtime):
    with pytest.raises(InputError, match="patch size 14"):
        DepthAnythingEstimator(tiny_depth_model(), runtime, DepthOptions(multiple_of=16))
    with pytest.raises(InputError, match="std"):
        DepthOptions(std=(0.2, 0.0, 0.2))


# ----------------------------------------------------------------------------- lock entries, fidelity


def test_v1_large_is_the_default_and_v2_selectable():
    assert DepthOptions().model == "v1-large"
    assert DEPTH_MODELS["v1-large"].name == "depth-anything-large"
    assert DEPTH_MODELS["v2-large"].name == "depth-anything-v2-large"
    from hoiexport.sdk.models import load_lock

    lock = load_lock()
    assert lock.get("depth-anything-large").source == "LiheYoung/depth-anything-large-hf"
    assert lock.get("depth-anything-large").licence == "Apache-2.0"
    assert lock.get("depth-anything-v2-large").licence == "CC-BY-NC-4.0"


@pytest.mark.parametrize(
    ("entry", "options", "model", "seed"),
    [("depth-anything-large", None, "v1-large", 1), ("depth-anything-v2-large", TINY_V2_OPTIONS, "v2-large", 2)],
)
def test_lock_entry_loads_through_the_resolver(tmp_path, monkeypatch, runtime, entry, options, model, seed):
    """The entry written tiny in its real layout under a fake $HOIEXPORT_MODELS loads
    through `resolve_weights` + `from_pretrained` and gives the written network's depth."""
    monkeypatch.setenv("HOIEXPORT_MODELS", str(tmp_path))
    folder = LOCK_WRITERS[entry](tmp_path)
    assert folder == tmp_path / entry
    assert sorted(p.name for p in folder.iterdir()) == ["config.json", "model.safetensors", "preprocessor_config.json"]
    loaded = DepthAnythingEstimator.from_pretrained(None, runtime, options)
    assert loaded.options.model == model and (loaded.options.height, loaded.options.width) == (42, 42)
    expected = DepthAnythingEstimator(depth_model("tiny", seed=seed, model=model), runtime, loaded.options)
    image = _image(7)
    np.testing.assert_array_equal(loaded.estimate(image), expected.estimate(image))


def test_v1_and_v2_full_configs_differ_only_in_the_layers_fed_to_the_head():
    from tests.builders.depth import depth_config

    v1, v2 = depth_config("full", "v1-large"), depth_config("full", "v2-large")
    assert list(v1.backbone_config.out_indices) == [21, 22, 23, 24]
    assert list(v2.backbone_config.out_indices) == [5, 12, 18, 24]
    assert v1.neck_hidden_sizes == v2.neck_hidden_sizes == [256, 512, 1024, 1024]


def test_quantize_8bit_keeps_the_png_levels(estimator):
    image = _smooth_image(40)
    full = estimator.estimate(image)
    quantized = DepthAnythingEstimator(estimator.model, estimator.runtime,
                                       replace(TINY_OPTIONS, quantize_8bit=True)).estimate(image)
    levels = quantized * 255.0
    np.testing.assert_allclose(levels, np.round(levels), atol=1e-4)  # multiples of 1/255
    np.testing.assert_allclose(quantized, np.floor(full * 255.0) / 255.0, atol=1e-6)  # truncated, as astype(uint8)
    assert quantized.dtype == np.float32 and quantized.max() == pytest.approx(1.0)


def test_matches_the_transformers_depth_pipeline_the_release_runs(runtime):
    """HOI3DGen's `create_depth_images.py` saves `pipeline("depth-estimation")(image)["depth"]`:
    bicubic upsampling, min-max, `(d * 255).astype("uint8")`. Ours with quantize_8bit on
    gives the same PNG levels up to the resize of the network input (torch vs PIL)."""
    from PIL import Image
    from transformers import pipeline
    from transformers.models.dpt.image_processing_pil_dpt import DPTImageProcessorPil

    model = tiny_depth_model(seed=1)
    config = {k: v for k, v in PREPROCESSOR_CONFIG.items() if k != "image_processor_type"}
    processor = DPTImageProcessorPil(**{**config, "size": {"height": 42, "width": 42}})
    image = _smooth_image(64)
    release = np.asarray(pipeline("depth-estimation", model=model, image_processor=processor, device="cpu")(
        Image.fromarray(image))["depth"]).astype(int)
    ours = DepthAnythingEstimator(model, runtime, replace(TINY_OPTIONS, quantize_8bit=True)).estimate(image)
    levels = np.round(ours * 255.0).astype(int)
    assert levels.shape == release.shape == (64, 64)
    diff = np.abs(levels - release)
    assert diff.mean() < 0.5 and np.mean(diff <= 1) > 0.95


def test_resample_option_reaches_the_output(estimator):
    image = _image(8)
    bilinear = DepthAnythingEstimator(estimator.model, estimator.runtime,
                                      replace(TINY_OPTIONS, resample="bilinear")).estimate(image)
    assert TINY_OPTIONS.resample == "bicubic"
    assert not np.array_equal(bilinear, estimator.estimate(image))


def test_unknown_model_or_resample_is_input_error():
    with pytest.raises(InputError, match="v1-large, v2-large"):
        DepthOptions(model="v3")  # type: ignore[arg-type]
    with pytest.raises(InputError, match="resample"):
        DepthOptions(resample="nearest")  # type: ignore[arg-type]


def test_preprocessor_config_keeps_model_and_postprocessing(tmp_path):
    folder = write_depth_anything_large(tmp_path)
    base = DepthOptions(model="v2-large", quantize_8bit=True, resample="bilinear")
    opts = DepthOptions.from_preprocessor_config(folder / "preprocessor_config.json", base)
    assert (opts.model, opts.quantize_8bit, opts.resample, opts.height) == ("v2-large", True, "bilinear", 42)


@pytest.mark.gpu
def test_runs_on_cuda_in_half_precision():
    rt = Runtime(device="cuda", precision="bf16")
    est = tiny_depth(rt)
    assert next(est.model.parameters()).dtype == torch.bfloat16
    a, b = est.estimate(_image(6)), est.estimate(_image(6))
    assert a.shape == (32, 48) and a.dtype == np.float32 and 0.0 <= a.min() <= a.max() <= 1.0
    np.testing.assert_array_equal(a, b)
