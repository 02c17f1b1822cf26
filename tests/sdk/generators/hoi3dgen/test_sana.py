"""Stage 1 of `hoi3dgen`: view prompts (`views`), SANA-native → diffusers conversion
(`sana_convert`) and `SanaTextToImage` (`sana`) on a tiny random-weight
`SanaPipeline` (tests/builders/sana.py); each SANA lock entry written tiny in its
real layout and loaded through the resolver."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
import torch

from tests.builders.sana import (
    TINY_OPTIONS,
    finetune_state_dict,
    native_sana_state_dict,
    sana_components,
    save_sana_training_checkpoint,
    tiny_sana,
    tiny_sana_components,
    tiny_sana_transformer,
    write_hoi3dgen_sana,
    write_sana1_5_1600m_1024px,
    write_sana_1600m_1024px,
)
from hoiexport.sdk.core.errors import InputError, ModelUnavailableError
from hoiexport.sdk.generators.hoi3dgen.protocols import TextToImage
from hoiexport.sdk.generators.hoi3dgen.runtime import Runtime
from hoiexport.sdk.generators.hoi3dgen.sana import SANA_BASES, SanaOptions, SanaTextToImage
from hoiexport.sdk.generators.hoi3dgen.sana_convert import (
    QK_NORM,
    convert_sana_state_dict,
    load_native_checkpoint,
    load_sana_transformer,
)
from hoiexport.sdk.generators.hoi3dgen.views import (
    RETEXTURE_SUFFIX,
    SANA_SUFFIX,
    ViewPhrases,
    retexture_prompt,
    view_prompt,
    view_prompts,
    views,
)

DESCRIPTION = "A man carrying a box with both hands"


@pytest.fixture(scope="module")
def runtime() -> Runtime:
    return Runtime(device="cpu")


@pytest.fixture(scope="module")
def backend(runtime) -> SanaTextToImage:
    return tiny_sana(runtime)


@pytest.fixture(scope="module")
def three_views(backend) -> list[np.ndarray]:
    return backend.generate(view_prompts(DESCRIPTION), seed=7)


# ----------------------------------------------------------------------------- views


def test_views_table_order_and_azimuths():
    vs = views()
    assert [v.name for v in vs] == ["front", "left_diagonal", "right_diagonal"]
    assert [v.azimuth_deg for v in vs] == [0.0, -45.0, 45.0]
    assert len({v.phrase for v in vs}) == 3


def test_view_prompts_compose_description_phrase_suffix():
    phrases = ViewPhrases()
    prompts = view_prompts(DESCRIPTION)
    for prompt, phrase in zip(prompts, (phrases.front, phrases.left_diagonal, phrases.right_diagonal), strict=True):
        assert prompt == f"{DESCRIPTION}. {phrase}{SANA_SUFFIX}"
        assert prompt.endswith(" White Background, Full Body Visible.")
    assert len(set(prompts)) == 3


def test_view_prompt_periods_and_custom_phrases():
    custom = ViewPhrases(front="seen from the front", left_diagonal="from the left", right_diagonal="from the right")
    assert view_prompt("  A woman sits on a chair.  ", "front", custom) == (
        "A woman sits on a chair. seen from the front. White Background, Full Body Visible."
    )
    assert view_prompt(DESCRIPTION, views(custom)[2]).startswith(f"{DESCRIPTION}. from the right.")


def test_retexture_prompt_is_the_sana_line_plus_the_flux_suffix():
    expected = DESCRIPTION + "." + SANA_SUFFIX + RETEXTURE_SUFFIX
    assert retexture_prompt(DESCRIPTION) == retexture_prompt(DESCRIPTION + ". ") == expected
    assert expected.endswith("Full Body Visible.. White Background, PhotoRealistic, High Detail, Realistic Looking.")


@pytest.mark.parametrize("bad", ["", "   ", "."])
def test_empty_description_is_input_error(bad):
    with pytest.raises(InputError, match="description is empty"):
        retexture_prompt(bad)
    with pytest.raises(InputError, match="description is empty"):
        view_prompts(bad)


def test_bad_view_or_phrase_is_input_error():
    with pytest.raises(InputError, match="unknown view 'back'"):
        view_prompt(DESCRIPTION, "back")
    with pytest.raises(InputError, match="ViewPhrases.front"):
        ViewPhrases(front=" ")


# ----------------------------------------------------------------------------- generation


def test_options_defaults_are_sanas():
    o = SanaOptions()
    assert (o.height, o.width, o.steps, o.guidance, o.negative_prompt) == (1024, 1024, 50, 4.5, "")
    assert o.max_sequence_length == 300 and o.complex_human_instruction[-1] == "User Prompt: "
    assert (o.base, o.scheduler, o.flow_shift, o.seed_policy) == ("sana-1.5", "flow_dpm_solver", 3.0, "per_image")
    assert SANA_BASES[o.base].name == "sana1-5-1600m-1024px"
    with pytest.raises(InputError, match="steps"):
        SanaOptions(steps=0)
    with pytest.raises(InputError, match="sana-1.5, sana-1.0"):
        SanaOptions(base="sana-2")  # type: ignore[arg-type]
    with pytest.raises(InputError, match="flow_dpm_solver, flow_euler, base"):
        SanaOptions(scheduler="ddim")  # type: ignore[arg-type]
    with pytest.raises(InputError, match="seed_policy"):
        SanaOptions(seed_policy="fixed")  # type: ignore[arg-type]
    with pytest.raises(InputError, match="flow_shift"):
        SanaOptions(flow_shift=0.0)


def test_scheduler_option_picks_the_sampler(runtime):
    from diffusers import DPMSolverMultistepScheduler, FlowMatchEulerDiscreteScheduler

    dpm = tiny_sana(runtime).pipeline.scheduler
    assert isinstance(dpm, DPMSolverMultistepScheduler)
    assert (dpm.config.flow_shift, dpm.config.use_flow_sigmas, dpm.config.prediction_type) == (
        3.0, True, "flow_prediction")
    euler = tiny_sana(runtime, replace(TINY_OPTIONS, scheduler="flow_euler", flow_shift=2.0)).pipeline.scheduler
    assert isinstance(euler, FlowMatchEulerDiscreteScheduler) and euler.config.shift == 2.0
    parts = tiny_sana_components()
    kept = SanaTextToImage(**parts, runtime=runtime, options=replace(TINY_OPTIONS, scheduler="base"))
    assert kept.pipeline.scheduler is parts["scheduler"]


def test_sequential_seed_policy_draws_in_prompt_order(runtime):
    """The release's SANA script seeds one generator once and draws each prompt's
    noise in turn: the images do not depend on the batch size, and only the first
    matches the per-image policy."""
    prompts = view_prompts(DESCRIPTION)
    seq = replace(TINY_OPTIONS, seed_policy="sequential")
    batched = tiny_sana(runtime, seq).generate(prompts, seed=4)
    one_by_one = tiny_sana(runtime, replace(seq, batch_size=1)).generate(prompts, seed=4)
    per_image = tiny_sana(runtime).generate(prompts, seed=4)
    for a, b in zip(batched, one_by_one, strict=True):
        assert np.abs(a.astype(int) - b.astype(int)).max() <= 1
    assert np.abs(batched[0].astype(int) - per_image[0].astype(int)).max() <= 1
    assert not np.array_equal(batched[1], per_image[1])


def test_generate_shapes_dtype_and_range(backend, three_views):
    assert isinstance(backend, TextToImage)
    assert len(three_views) == 3
    for img in three_views:
        assert img.shape == (32, 32, 3) and img.dtype == np.uint8
        assert img.std() > 1.0  # a decoded image, not a constant fill


def test_generate_same_seed_same_images(backend, three_views):
    again = backend.generate(view_prompts(DESCRIPTION), seed=7)
    for a, b in zip(three_views, again, strict=True):
        np.testing.assert_array_equal(a, b)


def test_generate_different_seed_different_images(backend, three_views):
    other = backend.generate(view_prompts(DESCRIPTION), seed=8)
    assert all(not np.array_equal(a, b) for a, b in zip(three_views, other, strict=True))


def test_image_k_uses_seed_plus_k(backend, three_views):
    prompts = view_prompts(DESCRIPTION)
    single = backend.generate(prompts[2:], seed=9)[0]
    assert np.abs(single.astype(int) - three_views[2].astype(int)).max() <= 1


def test_view_phrase_reaches_the_image(backend):
    front, left = view_prompts(DESCRIPTION)[:2]
    a = backend.generate([front], seed=3)[0]
    b = backend.generate([left], seed=3)[0]
    assert not np.array_equal(a, b)


def test_generate_bad_input_is_input_error(backend):
    prompts = view_prompts(DESCRIPTION)
    with pytest.raises(InputError, match="non-empty list"):
        backend.generate([], seed=0)
    with pytest.raises(InputError, match=r"prompts\[1\] is empty"):
        backend.generate([prompts[0], " "], seed=0)
    with pytest.raises(InputError, match="height must be a positive multiple of 2"):
        backend.generate(prompts[:1], seed=0, height=33)
    with pytest.raises(InputError, match="steps"):
        backend.generate(prompts[:1], seed=0, steps=0)


# ----------------------------------------------------------------------------- conversion


def randomised(model) -> dict[str, torch.Tensor]:
    """`model`'s state dict with every tensor replaced by noise (so the norms and
    scale-shift tables are not at their trivial initial values)."""
    g = torch.Generator().manual_seed(11)
    return {k: torch.randn(v.shape, generator=g) * 0.3 for k, v in model.state_dict().items()}


def forward(model) -> torch.Tensor:
    g = torch.Generator().manual_seed(5)
    x = torch.randn(2, 4, 16, 16, generator=g)
    text = torch.randn(2, 6, 8, generator=g)
    mask = torch.ones(2, 6, dtype=torch.long)
    mask[1, 4:] = 0
    with torch.no_grad():
        return model(x, encoder_hidden_states=text, encoder_attention_mask=mask, timestep=torch.tensor([500.0, 30.0]), return_dict=False)[0]


@pytest.mark.parametrize("qk_norm", [None, QK_NORM])
def test_convert_round_trip_is_exact(qk_norm):
    reference = tiny_sana_transformer(qk_norm=qk_norm)
    sd = randomised(reference)
    reference.load_state_dict(sd)
    native = {f"module.{k}": v for k, v in native_sana_state_dict(sd, pos_embed_tokens=4).items()}
    converted = convert_sana_state_dict(native, reference.config)
    assert set(converted) == set(sd)
    for k, v in sd.items():
        torch.testing.assert_close(converted[k], v, rtol=0, atol=0)
    fresh = tiny_sana_transformer(qk_norm=qk_norm, seed=1)
    fresh.load_state_dict(converted, strict=True)
    torch.testing.assert_close(forward(fresh), forward(reference), rtol=0, atol=0)


def test_load_sana_transformer_from_training_checkpoint(tmp_path, runtime):
    reference = tiny_sana_transformer(qk_norm=QK_NORM)
    sd = randomised(reference)
    reference.load_state_dict(sd)
    ema_sd = {k: v * 0.5 for k, v in sd.items()}
    path = tmp_path / "epoch_1050_step_25201.pth"
    save_sana_training_checkpoint(path, native_sana_state_dict(sd, pos_embed_tokens=4), ema=native_sana_state_dict(ema_sd, pos_embed_tokens=4))
    base_config = dict(tiny_sana_transformer().config)  # SANA 1.0 layout: qk_norm None
    model = load_sana_transformer(path, base_config, runtime)
    assert model.config.qk_norm == QK_NORM  # taken from the checkpoint's q/k norms
    torch.testing.assert_close(forward(model), forward(reference), rtol=0, atol=0)
    ema = load_sana_transformer(path, base_config, runtime, use_ema=True)
    reference.load_state_dict(ema_sd)
    torch.testing.assert_close(forward(ema), forward(reference), rtol=0, atol=0)


@pytest.mark.parametrize("layout", ["flat", "model"])
def test_load_native_checkpoint_layouts(tmp_path, layout):
    native = native_sana_state_dict(tiny_sana_transformer().state_dict(), pos_embed_tokens=4)
    path = tmp_path / "ckpt.pth"
    torch.save(native if layout == "flat" else {"model": native}, path)
    loaded = load_native_checkpoint(path)
    assert set(loaded) == set(native)
    with pytest.raises(InputError, match="state_dict_ema"):
        load_native_checkpoint(path, use_ema=True)


def test_convert_reports_unknown_missing_and_shape_errors():
    model = tiny_sana_transformer()
    native = native_sana_state_dict(model.state_dict(), pos_embed_tokens=4)
    bad = dict(native, **{"blocks.0.attn.extra.weight": torch.zeros(2), "blocks.1.scale_shift_table": torch.zeros(6, 8)})
    del bad["final_layer.linear.bias"]
    with pytest.raises(InputError) as err:
        convert_sana_state_dict(bad, model.config)
    msg = str(err.value)
    assert "blocks.0.attn.extra.weight" in msg  # no rule for it
    assert "transformer_blocks.1.scale_shift_table" in msg  # a block the config lacks
    assert "proj_out.bias" in msg  # missing
    wider = dict(model.config, num_attention_heads=4)
    with pytest.raises(InputError, match="shape mismatch"):
        convert_sana_state_dict(native, wider)
    with_norm = native_sana_state_dict(tiny_sana_transformer(qk_norm=QK_NORM).state_dict(), pos_embed_tokens=4)
    with pytest.raises(InputError, match="qk_norm=None"):
        convert_sana_state_dict(with_norm, model.config)


def test_missing_checkpoint_is_model_unavailable(tmp_path, runtime):
    with pytest.raises(ModelUnavailableError, match="does not exist"):
        load_sana_transformer(tmp_path / "nope.pth", dict(tiny_sana_transformer().config), runtime)


# ----------------------------------------------------------------------------- from_pretrained


@pytest.fixture(scope="module")
def saved_base(tmp_path_factory):
    """A tiny diffusers-format SANA folder, and a native fine-tune of its transformer."""
    from diffusers import SanaPipeline

    root = tmp_path_factory.mktemp("sana")
    SanaPipeline(**tiny_sana_components()).save_pretrained(root / "base")
    finetune = tiny_sana_transformer(seed=3)
    sd = randomised(finetune)
    save_sana_training_checkpoint(root / "epoch_1050_step_25201.pth", native_sana_state_dict(sd, pos_embed_tokens=4))
    return root / "base", root / "epoch_1050_step_25201.pth", sd


def test_from_pretrained_uses_the_finetune(saved_base, runtime):
    base, ckpt, sd = saved_base
    t2i = SanaTextToImage.from_pretrained(base, ckpt, runtime, options=TINY_OPTIONS)
    loaded = t2i.pipeline.transformer.state_dict()
    for k, v in sd.items():
        torch.testing.assert_close(loaded[k], v, rtol=0, atol=0)
    images = t2i.generate(view_prompts(DESCRIPTION), seed=0)
    assert [i.shape for i in images] == [(32, 32, 3)] * 3
    base_only = SanaTextToImage.from_pretrained(base, runtime=runtime, options=TINY_OPTIONS, use_finetune=False)
    assert not torch.equal(base_only.pipeline.transformer.proj_out.weight, loaded["proj_out.weight"])
    np.testing.assert_array_equal(base_only.generate(view_prompts(DESCRIPTION)[:1], seed=0)[0],
                                  tiny_sana(runtime).generate(view_prompts(DESCRIPTION)[:1], seed=0)[0])


def test_missing_weights_are_model_unavailable(tmp_path, monkeypatch, saved_base, runtime):
    monkeypatch.setenv("HOIEXPORT_MODELS", str(tmp_path))
    with pytest.raises(ModelUnavailableError, match="sana1-5-1600m-1024px"):
        SanaTextToImage.from_pretrained(runtime=runtime)
    with pytest.raises(ModelUnavailableError, match="model 'sana-1600m-1024px'"):
        SanaTextToImage.from_pretrained(runtime=runtime, options=replace(TINY_OPTIONS, base="sana-1.0"))
    with pytest.raises(ModelUnavailableError, match="hoi3dgen-sana"):
        SanaTextToImage.from_pretrained(saved_base[0], runtime=runtime)
    with pytest.raises(ModelUnavailableError, match="model_index.json"):
        SanaTextToImage.from_pretrained(tmp_path, saved_base[1], runtime)


# ----------------------------------------------------------------------------- lock entries


def _written_transformer(base: str) -> dict[str, torch.Tensor]:
    """The state dict of the base transformer `write_*` put on disk, in fp32."""
    qk, dtype = (QK_NORM, torch.bfloat16) if base == "sana-1.5" else (None, torch.float32)
    parts = sana_components("tiny", qk_norm=qk)
    return {k: v.to(dtype).float() for k, v in parts["transformer"].state_dict().items()}


@pytest.mark.parametrize(
    ("base", "write"), [("sana-1.5", write_sana1_5_1600m_1024px), ("sana-1.0", write_sana_1600m_1024px)]
)
def test_lock_entries_load_through_the_resolver(tmp_path, monkeypatch, runtime, base, write):
    """The base entry and hoi3dgen-sana written tiny in their real layouts (diffusers
    folder with the lock's shards; SANA-native DDP `.pth`) under a fake
    $HOIEXPORT_MODELS load through `resolve_weights` / `resolve_file` +
    `SanaTextToImage.from_pretrained`, with the fine-tune's weights in the
    transformer, and render an image."""
    monkeypatch.setenv("HOIEXPORT_MODELS", str(tmp_path))
    folder = write(tmp_path)
    assert folder == tmp_path / SANA_BASES[base].name
    assert (folder / "text_encoder" / "model.safetensors.index.json").is_file()
    finetune = write_hoi3dgen_sana(tmp_path)
    assert (finetune / "epoch_1050_step_25201.pth").is_file()
    options = replace(TINY_OPTIONS, base=base)
    t2i = SanaTextToImage.from_pretrained(runtime=runtime, options=options)
    transformer = t2i.pipeline.transformer
    assert transformer.config.qk_norm == QK_NORM  # SANA 1.5's norms, on a 1.0 config too
    loaded = transformer.state_dict()
    for k, v in finetune_state_dict().items():
        torch.testing.assert_close(loaded[k], v, rtol=0, atol=0)
    images = t2i.generate(view_prompts(DESCRIPTION)[:1], seed=0)
    assert images[0].shape == (32, 32, 3) and images[0].dtype == np.uint8
    # the base transformer's own weights (shards / bf16 file) load as well
    base_only = SanaTextToImage.from_pretrained(runtime=runtime, options=options, use_finetune=False)
    on_disk = _written_transformer(base)
    assert set(base_only.pipeline.transformer.state_dict()) == set(on_disk)
    for k, v in base_only.pipeline.transformer.state_dict().items():
        torch.testing.assert_close(v, on_disk[k], rtol=0, atol=0)


def test_finetune_file_is_a_ddp_training_checkpoint(tmp_path):
    path = write_hoi3dgen_sana(tmp_path) / "epoch_1050_step_25201.pth"
    raw = torch.load(path, map_location="cpu", weights_only=False)
    assert {"state_dict", "state_dict_ema", "optimizer", "epoch", "rng_state"} <= set(raw)
    keys = set(raw["state_dict"])
    assert all(k.startswith("module.") for k in keys)
    assert {"module.blocks.0.attn.q_norm.weight", "module.blocks.0.cross_attn.k_norm.weight",
            "module.y_embedder.y_embedding", "module.x_embedder.proj.weight"} <= keys
    assert "module.pos_embed" not in keys  # SANA 1.5: use_pe false
    native = load_native_checkpoint(path)  # weights_only=True with the numpy allow-list
    assert set(native) == {k.removeprefix("module.") for k in keys}


@pytest.mark.gpu
def test_generate_on_cuda_bf16_with_offload():
    gpu = Runtime(device="cuda", precision="bf16", cpu_offload=True)
    t2i = tiny_sana(gpu, replace(TINY_OPTIONS, batch_size=2))
    images = t2i.generate(view_prompts(DESCRIPTION), seed=0)
    assert [(i.shape, i.dtype) for i in images] == [((32, 32, 3), np.uint8)] * 3
    again = t2i.generate(view_prompts(DESCRIPTION), seed=0)
    for a, b in zip(images, again, strict=True):
        np.testing.assert_array_equal(a, b)
