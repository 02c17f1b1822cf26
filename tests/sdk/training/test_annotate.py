"""Decomposed annotation: geometry recovers what compose synthesised (2 samples
per configuration), the template backend end to end, the models' wiring on a
sample (rejected answers fall back to the template, recorded; accepted ones are
kept, recorded), geometry-failing samples skip the models, skip / overwrite, and
the strict parsers.

The 16 samples are composed and rendered (64 px) once for the module. The tiny
models' weights are random; where a test needs an answer that parses, it first
teaches a tiny model that one answer (a few Adam steps on the exact prompt), so
the accepting path runs through the real generate / decode / parse code.
"""

from __future__ import annotations

import json
from dataclasses import replace

import numpy as np
import pytest
import torch
from PIL import Image

from hoiexport.sdk.bundle import load_bundle, save_bundle
from hoiexport.sdk.core.errors import InputError
from hoiexport.sdk.core.types import ContactConfig
from hoiexport.sdk.generators.base import GenerationOptions
from hoiexport.sdk.generators.compose.generate import ComposeGenerator
from hoiexport.sdk.prompt import lexicon as lx
from hoiexport.sdk.prompt import parse_prompt, resolve_prompt
from hoiexport.sdk.training.backends.template import (
    APPEARANCE_FIELDS,
    UNKNOWN,
    caption_matches,
    describe_fields,
    template_action,
    template_appearance,
    template_caption,
)
from hoiexport.sdk.training.data.annotate import (
    APPEARANCE_QUESTION,
    AnnotateOptions,
    annotate_dataset,
    annotate_sample,
    caption_prompt,
    load_annotators,
    parse_appearance_answer,
)
from hoiexport.sdk.training.data.render import RenderOptions, render_images, scene_mesh
from hoiexport.sdk.training.data.sample import BUNDLE_DIR, ITEMS_DIR, SampleRecord, read_sample, write_record
from tests.builders.annotators import INTERNVL_ENTRY, LLAMA_ENTRY, LOCK_WRITERS, annotation_lock

CASES: dict[str, tuple[str, str]] = {
    "right_hand": ("A man carrying a suitcase in his right hand", "A woman holding a blue mug in her right hand"),
    "left_hand": ("A woman carrying a bag in her left hand", "A girl holding a ball in her left hand"),
    "both_hands": ("A worker carrying a cardboard box with both hands", "A girl holding a red ball with both hands"),
    "back": ("A hiker carrying a backpack on his back", "A man leaning against a wooden chair"),
    "right_leg": ("A boy kicking a ball", "A man kicking a box with his right foot"),
    "left_leg": ("A woman kicking a ball with her left foot", "A boy kicks a box with his left foot"),
    "no_contact": ("A man standing next to a table", "A woman stands beside a suitcase"),
    "other": ("A tall man sitting on a stool", "A man standing on a box"),
}
"""Two compose prompts per configuration (those the compose tests stage at seed 0,
two with a colour or material word added)."""

SMALL = RenderOptions(resolution=64, appearance_resolution=64)


def _write(root, sid, asset, text):
    folder = root / ITEMS_DIR / sid
    save_bundle(asset, folder / BUNDLE_DIR)
    appearance, views = render_images(scene_mesh(asset), folder, SMALL)
    p = asset.prompt
    write_record(folder, SampleRecord(sid, "compose", text, p.object or "", p.action,
                                      p.requested_config.value if p.requested_config else None,
                                      asset.provenance.seed, appearance, views))
    return folder


@pytest.fixture(scope="module")
def composed(tmp_path_factory):
    """(dataset folder, sample id → the composed asset), 16 samples."""
    root = tmp_path_factory.mktemp("dataset")
    generator = ComposeGenerator()
    assets = {}
    for config, texts in CASES.items():
        for k, text in enumerate(texts):
            asset = generator(resolve_prompt(text), 0, GenerationOptions())
            assert asset.contact_config is ContactConfig(config), text
            sid = f"{config}-{k}"
            _write(root, sid, asset, text)
            assets[sid] = asset
    return root, assets


@pytest.fixture(scope="module")
def template_run(composed):
    root, _ = composed
    progress = []
    summary = annotate_dataset(root, load_annotators("template"), on_progress=lambda *a: progress.append(a))
    return summary, progress


@pytest.fixture(scope="module")
def models_dir(tmp_path_factory):
    root = tmp_path_factory.mktemp("models")
    for write in LOCK_WRITERS.values():
        write(root)
    return root


def _models(models_dir):
    return load_annotators("internvl+llama", models_dir=models_dir, device="cpu", lock=annotation_lock())


def _images(sample):
    """The sample's 4 appearance renders, in the order annotation reads them."""
    paths = sample.appearance_paths()
    return [np.asarray(Image.open(paths[n]).convert("RGB")) for n in ("front", "left", "back", "right")]


def _teach(model, prompt_inputs, answer_ids, steps=400):
    """Adam on one (prompt, answer) pair until greedy decoding gives the answer."""
    ids = torch.cat([prompt_inputs["input_ids"], answer_ids], dim=1)
    labels = ids.clone()
    labels[:, : prompt_inputs["input_ids"].shape[1]] = -100
    extra = {k: v for k, v in prompt_inputs.items() if k not in ("input_ids", "attention_mask")}
    opt = torch.optim.Adam(model.parameters(), lr=3e-2)
    model.train()
    for _ in range(steps):
        loss = model(input_ids=ids, labels=labels, **extra).loss
        opt.zero_grad()
        loss.backward()
        opt.step()
        if loss.item() < 1e-3:
            break
    model.eval()


# ----------------------------------------------------------------------------- geometry, template


def test_geometry_recovers_the_composed_configuration_and_parts(composed, template_run):
    root, assets = composed
    summary, progress = template_run
    assert (summary.total, summary.annotated, summary.skipped, summary.failed) == (16, 16, 0, {})
    assert summary.template_captions == 16 and summary.llm_captions == 0 and summary.geometry_failed == 0
    assert [p[:2] for p in progress] == [(i, 16) for i in range(1, 17)] and {p[3] for p in progress} == {"annotated"}
    for sid, asset in assets.items():
        ann = json.loads((root / ITEMS_DIR / sid / "annotation.json").read_text())
        assert ann["config"] == asset.contact_config.value, sid
        assert ann["contact_parts"] == [c.part for c in asset.contacts], sid
        assert ann["geometry_ok"] is True and ann["geometry_reason"] is None
        assert ann["penetration"]["max_depth_cm"] == pytest.approx(asset.penetration.max_depth_cm, abs=1e-6)
        assert ann["provenance"]["config"]["backend"] == "geometry"
        assert ann["object"] == asset.prompt.object and ann["id"] == sid


def test_template_fields_and_provenance(composed, template_run):
    root, assets = composed
    for sid, asset in assets.items():
        ann = read_sample(root / ITEMS_DIR / sid).annotation()
        assert set(ann["appearance"]) == set(APPEARANCE_FIELDS)
        assert all(isinstance(v, str) and v for v in ann["appearance"].values())
        assert ann["action"] == asset.prompt.action  # the record's requested action
        assert ann["action_logprobs"] is None and ann["action_plausible_p"] is None
        assert ann["caption_source"] == "template" and ann["caption_parses"] is True
        parsed = parse_prompt(ann["caption"])
        assert parsed.requested_config.value == ann["config"] and parsed.object == ann["object"]
        for key in ("action", "action_plausible_p", "caption", *(f"appearance.{k}" for k in APPEARANCE_FIELDS)):
            assert ann["provenance"][key]["backend"] == "template" and ann["provenance"][key]["revision"] is None
        assert ann["annotators"] == "template"


def test_template_appearance_reads_the_colours_compose_painted(composed):
    _, assets = composed
    look = template_appearance(assets["right_hand-1"])  # "A woman holding a blue mug in her right hand"
    assert look["object_color"].value == "blue"
    asset = assets["back-1"]  # "A man leaning against a wooden chair"
    look = template_appearance(asset)
    assert look["object_material"].value == "wood"
    assert look["object_material"].method == "bundle prompt attributes.material"
    dressed = asset.provenance.notes["appearance"]
    for field in ("top", "bottom", "shoes", "hair"):
        assert look[field].rgb is not None
        # the dominant colour of each region is the one compose painted there
        assert np.abs(np.array(look[field].rgb) - dressed[field]).max() <= 8, field


@pytest.mark.parametrize("config", list(ContactConfig))
def test_template_captions_parse_back_for_every_configuration(config):
    looks = ({k: "navy blue" for k in APPEARANCE_FIELDS}, {k: UNKNOWN for k in APPEARANCE_FIELDS}, None)
    for obj in ("chair", "suitcase", "ball", "box"):
        for action in lx.ACTIONS:
            for look in looks:
                text, ok = template_caption(config, obj, action, look, ("hips",))
                assert ok and caption_matches(text, config, obj), (config, obj, action, text)
    assert template_caption(config, "spaceship", "hold")[1] is False  # an object the lexicon does not know


def test_template_action_follows_the_request_else_the_default_contact():
    assert template_action(ContactConfig.BACK, "carry")[0] == "carry"
    expected = {"right_hand": "carry", "left_hand": "carry", "both_hands": "carry_two_hands", "back": "lean",
                "right_leg": "kick", "left_leg": "kick", "no_contact": "stand", "other": "sit"}
    assert {c.value: template_action(c)[0] for c in ContactConfig} == expected


def test_existing_annotations_are_skipped_unless_overwrite(composed, template_run):
    root, _ = composed
    summary = annotate_dataset(root, load_annotators("template"))
    assert (summary.skipped, summary.annotated) == (16, 0)
    sample = read_sample(root / ITEMS_DIR / "right_hand-0")
    path = sample.annotation_path
    path.write_text(json.dumps({**json.loads(path.read_text()), "caption": "edited"}))
    assert annotate_sample(sample, load_annotators("template"))["caption"] == "edited"
    again = annotate_sample(sample, load_annotators("template"), AnnotateOptions(overwrite=True))
    assert again["caption"] != "edited" and json.loads(path.read_text()) == again


# ----------------------------------------------------------------------------- models


def test_models_run_on_a_sample_and_rejected_answers_fall_back(composed, template_run, models_dir):
    root, _ = composed
    sample = read_sample(root / ITEMS_DIR / "left_hand-0")
    with _models(models_dir) as models:
        ann = annotate_sample(sample, models, AnnotateOptions(overwrite=True))
        images = _images(sample)
        good, bad = parse_appearance_answer(models.vlm.answer(images, APPEARANCE_QUESTION, 96))
    prov = ann["provenance"]
    assert bad  # a random model's answer is not the JSON asked for
    for key in bad:
        assert prov[f"appearance.{key}"]["backend"] == "template"
        assert prov[f"appearance.{key}"]["fallback_from"] == INTERNVL_ENTRY and prov[f"appearance.{key}"]["reason"]
    for key, value in good.items():
        assert ann["appearance"][key] == value and prov[f"appearance.{key}"]["backend"] == INTERNVL_ENTRY
    # action: constrained choice over every action, normalised
    assert set(ann["action_logprobs"]) == set(lx.ACTIONS)
    assert sum(np.exp(list(ann["action_logprobs"].values()))) == pytest.approx(1.0, abs=1e-9)
    assert ann["action"] == max(ann["action_logprobs"], key=ann["action_logprobs"].get)
    assert prov["action"]["backend"] == INTERNVL_ENTRY and prov["action"]["revision"] == "unresolved"
    assert prov["action"]["score"] == pytest.approx(ann["action_logprobs"][ann["action"]])
    assert 0.0 <= ann["action_plausible_p"] <= 1.0
    assert prov["action_plausible_p"]["score"] == pytest.approx(ann["action_plausible_p"])
    # caption: the random LLM's sentence does not parse back, so the template's is used
    assert ann["caption_source"] == "template" and prov["caption"]["fallback_from"] == LLAMA_ENTRY
    assert caption_matches(ann["caption"], ContactConfig.LEFT_HAND, ann["object"])
    assert ann["config"] == "left_hand" and ann["annotators"] == "internvl+llama"
    assert ann["fallbacks"] == len(bad) + 1


def test_accepted_answers_are_kept_with_the_models_provenance(composed, template_run, models_dir):
    root, _ = composed
    sample = read_sample(root / ITEMS_DIR / "right_hand-1")  # a blue mug in the right hand
    answer = {"top": "red", "bottom": "navy blue", "hair": "brown", "shoes": "white", "object_color": "green",
              "object_material": "ceramic"}
    with _models(models_dir) as models:
        images = _images(sample)
        vlm, llm = models.vlm, models.llm
        tok = vlm.prompter.tokenizer
        target = tok(json.dumps(answer) + "<|im_end|>", add_special_tokens=False, return_tensors="pt")["input_ids"]
        _teach(vlm.model, vlm.prompter(images, APPEARANCE_QUESTION), target)
        assert json.loads(vlm.answer(images, APPEARANCE_QUESTION, 96)) == answer
        # the caption the LLM is asked for once the action is chosen (as annotate_sample will ask)
        first = annotate_sample(sample, models, AnnotateOptions(overwrite=True))
        facts = describe_fields(ContactConfig.RIGHT_HAND, "mug", first["action"], first["appearance"], ["right_hand"])
        caption = "A person in a red top holding a green mug in their right hand."
        target = llm.tokenizer(caption + "<|eot_id|>", add_special_tokens=False, return_tensors="pt")["input_ids"]
        _teach(llm.model, llm._inputs(caption_prompt(facts)), target)
        ann = annotate_sample(sample, models, AnnotateOptions(overwrite=True))
    prov = ann["provenance"]
    assert ann["appearance"] == answer
    assert all(prov[f"appearance.{k}"]["backend"] == INTERNVL_ENTRY for k in APPEARANCE_FIELDS)
    assert (ann["caption"], ann["caption_source"]) == (caption, "llm")
    assert prov["caption"]["backend"] == LLAMA_ENTRY and prov["caption"]["revision"] == annotation_lock().get(
        LLAMA_ENTRY).revision
    assert ann["fallbacks"] == 0


def test_samples_failing_geometry_skip_the_models(composed, template_run, models_dir, tmp_path):
    root, assets = composed
    asset = assets["both_hands-0"]
    pelvis = asset.body.joints[0]
    shift = pelvis - asset.object.vertices.mean(axis=0)
    sunk = replace(asset, object=replace(asset.object, vertices=asset.object.vertices + shift.astype(np.float32)))
    folder = _write(tmp_path, "sunk", sunk, "A worker carrying a cardboard box with both hands")
    with _models(models_dir) as models:
        summary = annotate_dataset(tmp_path, models)
    assert (summary.annotated, summary.geometry_failed, summary.template_captions) == (1, 1, 1)
    ann = read_sample(folder).annotation()
    assert ann["geometry_ok"] is False and "penetration" in ann["geometry_reason"]
    assert ann["penetration"]["max_depth_cm"] > 1.0
    prov = ann["provenance"]
    assert all(prov[k]["backend"] == "template" and "geometry failed" in prov[k]["reason"]
               for k in ("action", "caption", "appearance.top"))
    assert ann["action_logprobs"] is None and ann["action_plausible_p"] is None and ann["caption_source"] == "template"


def test_a_broken_sample_is_recorded_and_the_run_goes_on(composed, tmp_path):
    _, assets = composed
    _write(tmp_path, "good", assets["other-0"], "A tall man sitting on a stool")
    broken = _write(tmp_path, "broken", assets["other-1"], "A man standing on a box")
    (broken / BUNDLE_DIR / "asset.json").write_text("{")
    summary = annotate_dataset(tmp_path, load_annotators("template"))
    assert summary.annotated == 1 and set(summary.failed) == {"broken"}
    assert "asset.json" in summary.failed["broken"]
    assert load_bundle(tmp_path / ITEMS_DIR / "good" / BUNDLE_DIR).contact_config is ContactConfig.OTHER


# ----------------------------------------------------------------------------- parsers and options


def test_appearance_answers_are_parsed_strictly():
    full = {"top": "Red", "bottom": "navy  blue", "hair": "brown", "shoes": "white", "object_color": "grey",
            "object_material": "wood"}
    good, bad = parse_appearance_answer(json.dumps(full))
    assert bad == {} and good["top"] == "red" and good["bottom"] == "navy blue"
    good, bad = parse_appearance_answer("```json\n" + json.dumps(full) + "\n```")
    assert bad == {} and len(good) == 6
    good, bad = parse_appearance_answer(json.dumps({**full, "shoes": 3, "hair": "a very long list of many words"}))
    assert set(bad) == {"shoes", "hair"} and set(good) == set(APPEARANCE_FIELDS) - {"shoes", "hair"}
    good, bad = parse_appearance_answer(json.dumps({"top": "red"}))
    assert good == {"top": "red"} and "missing" in bad["bottom"]
    for garbage in ("The person wears red.", json.dumps([full]), json.dumps({**full, "hat": "red"}), ""):
        good, bad = parse_appearance_answer(garbage)
        assert good == {} and set(bad) == set(APPEARANCE_FIELDS), garbage
    assert parse_appearance_answer(json.dumps({**full, "top": "red\nblue"}))[1].keys() == {"top"}


def test_caption_acceptance_needs_the_configuration_and_the_object():
    assert caption_matches("A man holding a mug in his right hand.", ContactConfig.RIGHT_HAND, "mug")
    assert not caption_matches("A man holding a mug in his left hand.", ContactConfig.RIGHT_HAND, "mug")
    assert not caption_matches("A man holding a cup... with both hands", ContactConfig.RIGHT_HAND, "mug")
    assert not caption_matches("A man holding a bottle in his right hand.", ContactConfig.RIGHT_HAND, "mug")
    assert not caption_matches("lorem ipsum", ContactConfig.RIGHT_HAND, "mug")


def test_options_are_checked():
    for bad in ({"max_penetration_cm": -1.0}, {"contact_threshold_m": 0.0}, {"caption_max_new_tokens": 0},
                {"overwrite": "yes"}):
        with pytest.raises(InputError, match="AnnotateOptions"):
            AnnotateOptions(**bad)
