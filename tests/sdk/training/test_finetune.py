"""`hoiexport finetune sana`: the SanaImgDataset reader, the flow-matching loop
(full and LoRA) on a tiny random-weight SANA written in the real base layout
(tests/builders/sana.py), checkpoints and resume, the output folder and its
loading into `SanaTextToImage` (`FINETUNE_LOADERS`)."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from hoiexport.sdk.core.errors import InputError, ModelUnavailableError
from hoiexport.sdk.core.threads import limit_threads
from hoiexport.sdk.generators.hoi3dgen.runtime import Runtime
from hoiexport.sdk.generators.hoi3dgen.sana import (
    FINETUNE_LORA,
    FINETUNE_MANIFEST,
    FINETUNE_TRANSFORMER,
    FINETUNE_TRANSFORMER_EMA,
    SanaTextToImage,
    finetune_kind,
)
from hoiexport.sdk.generators.hoi3dgen.views import VIEWS, view_prompt
from hoiexport.sdk.training.finetune import (
    FinetuneOptions,
    SanaFinetuner,
    finetune_sana,
    list_checkpoints,
    read_img_dataset,
    step_generator,
)
from hoiexport.sdk.training.finetune.checkpoint import read_checkpoint_meta
from tests.builders.sana import TINY_OPTIONS, tiny_sana_components, write_sana1_5_1600m_1024px

DESCRIPTION = "A man carrying a box"
COLOURS = {"front": (230, 40, 40), "left_diagonal": (40, 200, 60), "right_diagonal": (40, 60, 230)}
"""One flat target colour per view phrase."""
NO_CHI = replace(TINY_OPTIONS, complex_human_instruction=None)
"""The tiny pipeline without SANA's instruction prefix: a 1-layer random Gemma
averages ~1000 prefix tokens into every prompt token, which leaves too little of
the one word that tells the diagonals apart to learn in seconds."""


def fast(**kw) -> FinetuneOptions:
    """CPU, fp32, 32² px, the tiny pipeline's text setup; no checkpoints unless asked."""
    base = dict(resolution=32, precision="fp32", device="cpu", batch=3, sana=TINY_OPTIONS, checkpoint_every=0)
    return FinetuneOptions(**{**base, **kw})


@pytest.fixture(autouse=True)
def one_thread():
    with limit_threads(torch_threads=1):
        yield


@pytest.fixture(scope="module")
def base(tmp_path_factory) -> Path:
    """The tiny SANA 1.5 base in its diffusers layout (lock entry sana1-5-1600m-1024px)."""
    return write_sana1_5_1600m_1024px(tmp_path_factory.mktemp("models"))


def write_dataset(folder: Path, stems=None, colours=COLOURS) -> Path:
    """A SanaImgDataset: one flat-colour 32² image per view, captioned with its view prompt."""
    folder.mkdir(parents=True, exist_ok=True)
    names = []
    for view, colour in colours.items():
        stem = stems[view] if stems else f"images/{view}"
        (folder / stem).parent.mkdir(parents=True, exist_ok=True)
        Image.new("RGB", (32, 32), colour).save(folder / f"{stem}.png")
        (folder / f"{stem}.txt").write_text(view_prompt(DESCRIPTION, view) + "\nsecond line ignored\n")
        names.append(stem)
    (folder / "meta_data.json").write_text(json.dumps({"name": "t", "__kind__": "Sana-ImgDataset", "img_names": names}))
    return folder


@pytest.fixture(scope="module")
def data(tmp_path_factory) -> Path:
    return write_dataset(tmp_path_factory.mktemp("data") / "set")


def in_memory(options: FinetuneOptions) -> SanaFinetuner:
    parts = tiny_sana_components()
    parts.pop("scheduler")
    return SanaFinetuner(**parts, options=options)


# ----------------------------------------------------------------------------- data


def test_reader_reads_the_layout(data):
    ds = read_img_dataset(data)
    assert [i.stem for i in ds.items] == [f"images/{v}" for v in VIEWS]
    assert [i.caption for i in ds.items] == [view_prompt(DESCRIPTION, v) for v in VIEWS]
    assert ds.view_counts() == {"front": 1, "left_diagonal": 1, "right_diagonal": 1, "other": 0}
    assert len(ds.sha256()) == 64 and ds.sha256() == read_img_dataset(data).sha256()


@pytest.mark.parametrize(
    ("breakage", "message"),
    [
        (lambda d: (d / "meta_data.json").unlink(), "no meta_data.json"),
        (lambda d: (d / "meta_data.json").write_text("{not json"), "cannot read meta_data.json"),
        (lambda d: (d / "meta_data.json").write_text('{"img_names": []}'), "non-empty list"),
        (lambda d: (d / "meta_data.json").write_text('{"__kind__": "Other", "img_names": ["a"]}'), "__kind__"),
        (lambda d: (d / "meta_data.json").write_text('{"img_names": ["../outside"]}'), "leaves the dataset folder"),
        (lambda d: (d / "meta_data.json").write_text('{"img_names": ["/etc/passwd"]}'), "leaves the dataset folder"),
        (lambda d: (d / "images/front.png").unlink(), r"front.png of img_names entry 'images/front' is missing"),
        (lambda d: (d / "images/left_diagonal.txt").unlink(), "left_diagonal.txt of img_names entry"),
        (lambda d: (d / "images/front.txt").write_text("  \nsecond\n"), "caption front.txt is empty"),
        (lambda d: (d / "meta_data.json").write_text('{"img_names": ["images/front", "images/front"]}'), "twice"),
    ],
)
def test_reader_rejects_bad_folders(tmp_path, breakage, message):
    folder = write_dataset(tmp_path / "d")
    breakage(folder)
    with pytest.raises(InputError, match=message):
        read_img_dataset(folder)


def test_reader_rejects_a_missing_folder(tmp_path):
    with pytest.raises(InputError, match="no such folder"):
        read_img_dataset(tmp_path / "nope")


def test_options_are_checked():
    with pytest.raises(InputError, match="mode"):
        FinetuneOptions(mode="half")  # type: ignore[arg-type]
    with pytest.raises(InputError, match="steps"):
        FinetuneOptions(steps=0)
    with pytest.raises(InputError, match="caption_dropout"):
        FinetuneOptions(caption_dropout=1.0)
    with pytest.raises(InputError, match="fp16 needs a CUDA GPU"):
        in_memory(fast(precision="fp16")) if not torch.cuda.is_available() else pytest.skip("CUDA present")
    with pytest.raises(InputError, match="multiple of 2"):
        in_memory(fast(resolution=33))
    assert FinetuneOptions(mode="lora").learning_rate == 1e-4 and FinetuneOptions().learning_rate == 2e-5


# ----------------------------------------------------------------------------- the loop


def test_scheduler_is_built_with_shift_3():
    """SANA's base ships a DPM-Solver config; read into the Euler class it silently
    gives shift 1.0, so the trainer builds its scheduler explicitly."""
    from diffusers import DPMSolverMultistepScheduler, FlowMatchEulerDiscreteScheduler

    trainer = in_memory(fast(steps=1))
    assert isinstance(trainer.scheduler, FlowMatchEulerDiscreteScheduler)
    assert trainer.scheduler.config.shift == 3.0
    shipped = DPMSolverMultistepScheduler(flow_shift=3.0, use_flow_sigmas=True, prediction_type="flow_prediction")
    assert FlowMatchEulerDiscreteScheduler.from_config(shipped.config).config.shift == 1.0
    s = 1 - 500 / 1000  # the unshifted sigma at index 500
    assert float(trainer.scheduler.sigmas[500]) == pytest.approx(3 * s / (1 + 2 * s), abs=2e-3)


def test_training_text_is_what_inference_encodes(base, data):
    """The transformer sees the same text tensors in training and at sampling: the
    caption with the instruction prefix, and the unconditional prompt."""
    options = fast(steps=1)
    trainer = SanaFinetuner.from_pretrained(base, options)
    t2i = SanaTextToImage.from_pretrained(base, runtime=Runtime(device="cpu"), options=TINY_OPTIONS, use_finetune=False)
    seen: list[dict] = []
    t2i.pipeline.transformer.register_forward_pre_hook(lambda m, a, kw: seen.append(kw), with_kwargs=True)
    item = read_img_dataset(data).items[1]
    t2i.generate([item.caption], seed=0, steps=1)
    cfg_text, cfg_mask = seen[0]["encoder_hidden_states"], seen[0]["encoder_attention_mask"]  # [uncond; cond]
    text, mask = trainer.text_of([item, item], torch.tensor([True, False]))
    torch.testing.assert_close(text, cfg_text, rtol=0, atol=1e-6)
    assert torch.equal(mask, cfg_mask.to(mask.dtype))


@pytest.mark.parametrize(("mode", "lr"), [("full", 1e-3), ("lora", 3e-2)])
def test_loss_falls_on_a_fixed_batch(data, mode, lr):
    trainer = in_memory(fast(mode=mode, lr=lr, steps=12, rank=4))
    items = list(read_img_dataset(data).items)

    def loss() -> float:  # at fixed noise, timesteps and dropout
        with torch.no_grad():
            return float(np.mean([trainer.loss(items, g).item() for g in [step_generator(99, k, 0) for k in range(4)]]))

    before = loss()
    for _ in range(12):
        trainer.train_step([items])
    assert loss() < 0.8 * before
    if mode == "lora":
        assert all(".lora_" in n for n in trainer.names)
        assert all(p.dtype == torch.float32 for p in trainer.params)


def test_bf16_mixed_precision_lora(data):
    """bf16 autocast through accelerate (on the CPU here): the base weights in bf16,
    the adapters in fp32, finite losses; a later fp32 run in the same process works."""
    trainer = in_memory(fast(mode="lora", rank=4, precision="bf16", steps=2))
    items = list(read_img_dataset(data).items)
    losses = [trainer.train_step([items]) for _ in range(2)]
    assert all(np.isfinite(losses))
    assert trainer.accelerator.mixed_precision == "bf16"
    assert trainer.transformer.proj_out.weight.dtype == torch.bfloat16
    assert {p.dtype for p in trainer.params} == {torch.float32}
    assert in_memory(fast(steps=1)).accelerator.mixed_precision == "no"


def test_view_phrases_overfit(base, data, tmp_path):
    """Three flat colours, one per view phrase of one description: after training,
    sampling each view's prompt (the generator loaded from the output folder, its
    sampler and guidance) ends nearest its own target's latent. Compared as
    latents: the random tiny VAE decoder distorts colours more than the
    differences being tested."""
    out = tmp_path / "out"
    result = finetune_sana(data, out, fast(steps=300, batch=12, lr=3e-3, sana=NO_CHI), base_folder=base)
    assert np.mean(result.losses[-20:]) < 0.5 * np.mean(result.losses[:20])
    t2i = SanaTextToImage.from_pretrained(base, out, Runtime(device="cpu"), options=NO_CHI)
    pipe, o = t2i.pipeline, t2i.options
    with torch.no_grad():
        sampled = pipe(prompt=[view_prompt(DESCRIPTION, v) for v in VIEWS], negative_prompt=o.negative_prompt,
                       num_inference_steps=10, guidance_scale=o.guidance, height=32, width=32,
                       generator=[torch.Generator().manual_seed(k) for k in range(3)], output_type="latent",
                       use_resolution_binning=False, max_sequence_length=o.max_sequence_length,
                       complex_human_instruction=None).images
        pixels = torch.stack([torch.tensor(COLOURS[v], dtype=torch.float32)[:, None, None].expand(3, 32, 32)
                              for v in VIEWS]) / 127.5 - 1
        targets = pipe.vae.encode(pixels).latent * pipe.vae.config.scaling_factor
    distance = torch.cdist(sampled.flatten(1), targets.flatten(1), p=1) / targets[0].numel()
    assert distance.argmin(dim=1).tolist() == [0, 1, 2], distance
    images = t2i.generate([view_prompt(DESCRIPTION, v) for v in VIEWS], seed=0)
    assert len({img.tobytes() for img in images}) == 3
    # the same folder refuses a text setup it was not trained with
    with pytest.raises(InputError, match="complex_human_instruction"):
        SanaTextToImage.from_pretrained(base, out, Runtime(device="cpu"), options=TINY_OPTIONS)


# ----------------------------------------------------------------------------- output and loading


def test_lora_output_loads_fused_and_differs_from_the_base(base, data, tmp_path):
    out = tmp_path / "lora"
    seen: list[int] = []
    result = finetune_sana(data, out, fast(mode="lora", rank=4, lr=5e-2, steps=3), base_folder=base,
                           progress=lambda p: seen.append(p.step))
    assert seen == [1, 2, 3] and result.steps == 3
    assert sorted(p.name for p in out.iterdir()) == [FINETUNE_MANIFEST, FINETUNE_LORA]
    assert finetune_kind(out) == "lora"
    manifest = json.loads((out / FINETUNE_MANIFEST).read_text())
    assert manifest["mode"] == "lora" and manifest["steps"] == 3 and manifest["final_loss"] == result.final_loss
    assert manifest["scheduler"] == {"class": "FlowMatchEulerDiscreteScheduler", "shift": 3.0,
                                     "num_train_timesteps": 1000}
    assert manifest["dataset"]["sha256"] == read_img_dataset(data).sha256()
    assert manifest["dataset"]["view_counts"]["other"] == 0
    assert manifest["view_phrases"]["left_diagonal"] == "Left Diagonal View."
    assert manifest["base"]["transformer_config"]["qk_norm"] == "rms_norm_across_heads"
    assert manifest["text"]["max_sequence_length"] == TINY_OPTIONS.max_sequence_length
    assert manifest["versions"]["peft"] and manifest["hyperparameters"]["rank"] == 4

    rt = Runtime(device="cpu")
    plain = SanaTextToImage.from_pretrained(base, runtime=rt, options=TINY_OPTIONS, use_finetune=False)
    tuned = SanaTextToImage.from_pretrained(base, runtime=rt, options=replace(TINY_OPTIONS, finetune=str(out)))
    assert not any("lora" in n for n, _ in tuned.pipeline.transformer.named_parameters())  # fused, adapters gone
    q_base = plain.pipeline.transformer.transformer_blocks[0].attn1.to_q.weight
    assert not torch.equal(tuned.pipeline.transformer.transformer_blocks[0].attn1.to_q.weight, q_base)
    prompt = [view_prompt(DESCRIPTION, "front")]
    assert not np.array_equal(tuned.generate(prompt, seed=0)[0], plain.generate(prompt, seed=0)[0])
    with pytest.raises(InputError, match="no EMA weights"):
        SanaTextToImage.from_pretrained(base, out, rt, options=replace(TINY_OPTIONS, use_ema=True))


def test_output_exists_and_unknown_folders(base, data, tmp_path):
    (tmp_path / "taken").mkdir()
    with pytest.raises(InputError, match="exists"):
        finetune_sana(data, tmp_path / "taken", fast(steps=1), base_folder=base)
    with pytest.raises(ModelUnavailableError, match="without finetune.json"):
        SanaTextToImage.from_pretrained(base, tmp_path / "taken", Runtime(device="cpu"), options=TINY_OPTIONS)
    with pytest.raises(InputError, match="no checkpoint"):
        finetune_sana(data, tmp_path / "new", fast(steps=1, resume=True), base_folder=base)


@pytest.mark.parametrize("mode", ["full", "lora"])
def test_resume_continues_exactly(base, data, tmp_path, mode):
    """4 steps straight = 2 steps, checkpoint, resume to 4 (weights, optimizer, EMA,
    step); the checkpoint is refused when the settings changed."""
    options = fast(mode=mode, rank=4, lr=1e-2, steps=4, checkpoint_every=2, ema_decay=0.9, batch=2)
    straight = finetune_sana(data, tmp_path / "a", options, base_folder=base)
    assert [p.name for p in list_checkpoints(tmp_path / "a.checkpoints")] == ["checkpoint-00000002",
                                                                                "checkpoint-00000004"]
    first = finetune_sana(data, tmp_path / "b", replace(options, steps=2), base_folder=base)
    step, meta = read_checkpoint_meta(list_checkpoints(tmp_path / "b.checkpoints")[-1])
    assert step == 2 and meta["losses"] == list(first.losses)
    resumed = finetune_sana(data, tmp_path / "b", replace(options, resume=True), base_folder=base, overwrite=True)
    assert resumed.resumed_from == 2 and resumed.steps == 4
    assert resumed.losses == straight.losses
    if mode == "full":
        from safetensors.torch import load_file

        for sub in (FINETUNE_TRANSFORMER, FINETUNE_TRANSFORMER_EMA):
            a = load_file(tmp_path / "a" / sub / "diffusion_pytorch_model.safetensors")
            b = load_file(tmp_path / "b" / sub / "diffusion_pytorch_model.safetensors")
            assert all(torch.equal(a[k], b[k]) for k in a)
    else:
        from safetensors.torch import load_file

        a, b = load_file(tmp_path / "a" / FINETUNE_LORA), load_file(tmp_path / "b" / FINETUNE_LORA)
        assert set(a) == set(b) and all(torch.equal(a[k], b[k]) for k in a)
    with pytest.raises(InputError, match="lr"):
        finetune_sana(data, tmp_path / "b", replace(options, resume=True, lr=1e-3), base_folder=base, overwrite=True)
