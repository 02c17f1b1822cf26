"""FLUX.1-Depth re-texturing stage (`hoiexport.sdk.generators.hoi3dgen.retexture`) on a tiny
random-weight `FluxControlPipeline` (tests/builders/flux.py); the lock entry
written tiny in its real layout and loaded through the resolver; the release's
re-texturing prompt and seed policy (`views`)."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import torch

from tests.builders.flux import TINY_OPTIONS, tiny_flux, tiny_flux_components, write_flux1_depth_dev
from hoiexport.sdk.core.errors import InputError, ModelUnavailableError
from hoiexport.sdk.generators.hoi3dgen.protocols import Retexturer
from hoiexport.sdk.generators.hoi3dgen.retexture import FluxDepthRetexturer, RetextureOptions
from hoiexport.sdk.generators.hoi3dgen.runtime import Runtime
from hoiexport.sdk.generators.hoi3dgen.views import (
    OFFICIAL_RETEXTURE_SEED,
    RETEXTURE_SUFFIX,
    SANA_SUFFIX,
    prompt_line,
    retexture_prompt,
    view_seed,
)

PROMPT = retexture_prompt("A man sits on a wooden chair")


def _ramp(axis: int, n: int = 32) -> np.ndarray:
    yy, xx = np.mgrid[0:n, 0:n] / (n - 1)
    return (xx if axis else yy).astype(np.float32)


@pytest.fixture(scope="module")
def runtime() -> Runtime:
    return Runtime(device="cpu")


@pytest.fixture(scope="module")
def retexturer(runtime) -> FluxDepthRetexturer:
    return tiny_flux(runtime)


@pytest.fixture(scope="module")
def reference(retexturer) -> np.ndarray:
    return retexturer.retexture(PROMPT, _ramp(1), seed=0)


def test_implements_the_protocol(retexturer):
    assert isinstance(retexturer, Retexturer)


def test_defaults_are_the_issue_settings():
    opts = RetextureOptions()
    assert (opts.steps, opts.guidance, opts.height, opts.width, opts.max_sequence_length) == (30, 10.0, 1024, 1024, 512)
    with pytest.raises(dataclasses.FrozenInstanceError):
        opts.steps = 5  # type: ignore[misc]


def test_output_is_uint8_rgb_of_the_requested_size(retexturer, reference):
    assert reference.shape == (32, 32, 3) and reference.dtype == np.uint8
    assert reference.std() > 1.0  # an image, not a constant
    out = retexturer.retexture(PROMPT, _ramp(1), seed=0, height=24, width=40)
    assert out.shape == (24, 40, 3) and out.dtype == np.uint8


def test_same_seed_same_image_different_seed_different_image(retexturer, reference):
    np.testing.assert_array_equal(retexturer.retexture(PROMPT, _ramp(1), seed=0), reference)
    assert np.abs(retexturer.retexture(PROMPT, _ramp(1), seed=1).astype(int) - reference).mean() > 5.0


def test_depth_conditions_the_image(retexturer, reference):
    for other in (_ramp(0), 1.0 - _ramp(1)):
        diff = np.abs(retexturer.retexture(PROMPT, other, seed=0).astype(int) - reference)
        assert diff.mean() > 0.5 and diff.max() >= 5


def test_prompt_conditions_the_image(retexturer, reference):
    other = retexturer.retexture(retexture_prompt("A red teapot on a table"), _ramp(1), seed=0)
    assert np.abs(other.astype(int) - reference).max() >= 2


def test_control_image_is_grey_depth_in_vae_range(retexturer):
    depth = _ramp(1)
    control = retexturer.control_image(depth, 32, 32)
    assert control.shape == (1, 3, 32, 32) and control.dtype == torch.float32
    torch.testing.assert_close(control[0, 0], torch.from_numpy(depth) * 2 - 1)
    torch.testing.assert_close(control[0, 0], control[0, 2])
    assert float(control.min()) == -1.0 and float(control.max()) == 1.0  # far = black, near = white


def test_depth_of_another_size_is_resized(retexturer):
    small = _ramp(1, 16)
    control = retexturer.control_image(small, 32, 48)
    assert control.shape == (1, 3, 32, 48)
    assert float(control.min()) >= -1.0 and float(control.max()) <= 1.0
    row = control[0, 0, 10].numpy()
    assert np.all(np.diff(row) >= -1e-6) and row[-1] - row[0] > 1.5  # still a left→right ramp
    out = retexturer.retexture(PROMPT, small, seed=0)
    assert out.shape == (32, 32, 3)


@pytest.mark.parametrize(
    ("depth", "match"),
    [
        (np.zeros((32, 32, 1), np.float32), r"\(H, W\)"),
        (np.full((32, 32), np.nan, np.float32), "NaN"),
        (np.full((32, 32), 2.0, np.float32), r"\[0, 1\]"),
        (np.zeros((32, 32), np.uint8), "floating"),
        (np.zeros((1, 32), np.float32), "too small"),
        ([[0.0]], "numpy array"),
    ],
)
def test_bad_depth_raises_input_error(retexturer, depth, match):
    with pytest.raises(InputError, match=match):
        retexturer.retexture(PROMPT, depth, seed=0)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"height": 30}, "height must be a positive multiple of 4"),
        ({"width": 0}, "width"),
        ({"steps": 0}, "steps"),
        ({"guidance": float("nan")}, "guidance"),
        ({"prompt": "  "}, "prompt"),
    ],
)
def test_bad_arguments_raise_input_error(retexturer, kwargs, match):
    args = {"prompt": PROMPT, **kwargs}
    prompt = args.pop("prompt")
    with pytest.raises(InputError, match=match):
        retexturer.retexture(prompt, _ramp(1), seed=0, **args)


def test_transformer_must_take_control_channels(runtime):
    from diffusers import FluxTransformer2DModel

    components = tiny_flux_components()
    components["transformer"] = FluxTransformer2DModel(
        patch_size=1, in_channels=16, out_channels=16, num_layers=1, num_single_layers=1, attention_head_dim=16,
        num_attention_heads=2, joint_attention_dim=32, pooled_projection_dim=32, axes_dims_rope=[4, 6, 6],
    )
    with pytest.raises(InputError, match="in_channels=16"):
        FluxDepthRetexturer(**components, runtime=runtime)


def test_from_pretrained_loads_a_saved_pipeline(tmp_path, runtime, retexturer, reference):
    retexturer.pipeline.save_pretrained(tmp_path, safe_serialization=True)
    assert any(tmp_path.joinpath("transformer").glob("*.safetensors"))
    loaded = FluxDepthRetexturer.from_pretrained(tmp_path, runtime, TINY_OPTIONS)
    np.testing.assert_array_equal(loaded.retexture(PROMPT, _ramp(1), seed=0), reference)


def test_missing_weights_raise_model_unavailable(tmp_path, monkeypatch, runtime):
    monkeypatch.setenv("HOIEXPORT_MODELS", str(tmp_path / "models"))
    with pytest.raises(ModelUnavailableError, match="flux1-depth-dev"):
        FluxDepthRetexturer.from_pretrained(None, runtime)
    with pytest.raises(ModelUnavailableError, match="model_index.json"):
        FluxDepthRetexturer.from_pretrained(tmp_path, runtime)


def test_lock_entry_loads_through_the_resolver(tmp_path, monkeypatch, runtime, reference):
    """flux1-depth-dev written tiny in the diffusers layout (sharded transformer and T5)
    under a fake $HOIEXPORT_MODELS loads through `resolve_weights` + `from_pretrained`
    and re-textures exactly as the in-memory pipeline it was written from."""
    monkeypatch.setenv("HOIEXPORT_MODELS", str(tmp_path))
    folder = write_flux1_depth_dev(tmp_path)
    assert folder == tmp_path / "flux1-depth-dev"
    assert (folder / "transformer" / "diffusion_pytorch_model.safetensors.index.json").is_file()
    assert (folder / "text_encoder_2" / "model-00002-of-00002.safetensors").is_file()
    loaded = FluxDepthRetexturer.from_pretrained(None, runtime, TINY_OPTIONS)
    np.testing.assert_array_equal(loaded.retexture(PROMPT, _ramp(1), seed=0), reference)


# ----------------------------------------------------------------------------- the release's prompt and seeds

# agshar96/Hoi3DGen assets/test_run: CSV descriptions and the prompts.txt lines
# create_txt_from_csv.py wrote from them.
RELEASE_LINES = {
    "Spiderman carrying a black leather briefcase with his right hand.":
        "Spiderman carrying a black leather briefcase with his right hand. White Background, Full Body Visible.",
    "A man shooting a pistol with his right hand.":
        "A man shooting a pistol with his right hand. White Background, Full Body Visible.",
    ("A woman in a denim jacket over a floral dress, with wavy brown hair, sits on a vintage wooden chair painted "
     "dark green."):
        ("A woman in a denim jacket over a floral dress, with wavy brown hair, sits on a vintage wooden chair painted "
         "dark green. White Background, Full Body Visible."),
}


@pytest.mark.parametrize("description", list(RELEASE_LINES))
def test_prompt_line_is_the_release_prompts_txt_line(description):
    assert prompt_line(description) == RELEASE_LINES[description]
    assert prompt_line(description.rstrip(".")) == RELEASE_LINES[description]  # the period is added


@pytest.mark.parametrize("description", list(RELEASE_LINES))
def test_retexture_prompt_carries_both_suffixes_as_released(description):
    """`retexture_depth_images.py` reads prompts.txt (description + SANA suffix) and appends its own."""
    line = RELEASE_LINES[description]
    release = line.strip() + ". White Background, PhotoRealistic, High Detail, Realistic Looking."
    assert retexture_prompt(description) == release
    assert retexture_prompt(description) == description + SANA_SUFFIX + RETEXTURE_SUFFIX
    assert "Full Body Visible.. White Background, PhotoRealistic" in retexture_prompt(description)


def test_seed_policies():
    assert OFFICIAL_RETEXTURE_SEED == 42
    assert [view_seed("fixed", 7, k) for k in range(3)] == [42, 42, 42]  # manual_seed(42) per image
    assert [view_seed("per_view", 7, k) for k in range(3)] == [7, 8, 9]
    assert view_seed("fixed", 7, 2, fixed_seed=5) == 5
    assert view_seed("per_view", np.int64(3), 1) == 4
    with pytest.raises(InputError, match="unknown seed policy 'random'"):
        view_seed("random", 0, 0)  # type: ignore[arg-type]
    with pytest.raises(InputError, match="seed must be a non-negative integer"):
        view_seed("per_view", -1, 0)


def test_fixed_policy_gives_every_view_the_same_noise(retexturer):
    """Under "fixed" the views differ only by their depth maps, as in the release."""
    seeds = [view_seed("fixed", s, k) for s, k in ((0, 0), (9, 2))]
    a, b = (retexturer.retexture(PROMPT, _ramp(1), seed=seed) for seed in seeds)
    np.testing.assert_array_equal(a, b)


@pytest.mark.gpu
def test_runs_on_cuda_in_half_precision():
    rt = Runtime(device="cuda", precision="bf16")
    r = tiny_flux(rt)
    assert r.pipeline.transformer.dtype == torch.bfloat16
    a, b = r.retexture(PROMPT, _ramp(1), seed=0), r.retexture(PROMPT, _ramp(1), seed=0)
    assert a.shape == (32, 32, 3) and a.dtype == np.uint8
    np.testing.assert_array_equal(a, b)


@pytest.mark.gpu
def test_runs_with_model_cpu_offload():
    rt = Runtime(device="cuda", precision="bf16", cpu_offload=True)
    out = tiny_flux(rt).retexture(PROMPT, _ramp(1), seed=0)
    assert out.shape == (32, 32, 3) and out.dtype == np.uint8
