"""Annotation backends: the tiny InternVL3 and Llama 3.1 written in their
repositories' layouts, loaded through `load_annotators` and the lock; the
InternVL inputs; constrained choice against a hand computation from the logits;
the template backend's colours; the registry's errors.

Wiring only: the weights are random, so no answer is expected to mean anything.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from hoiexport.sdk.core.errors import InputError, ModelUnavailableError
from hoiexport.sdk.models import verify_models
from hoiexport.sdk.prompt import lexicon as lx
from hoiexport.sdk.training.backends.protocols import LanguageModel, VisionLanguageModel
from hoiexport.sdk.training.backends.registry import ANNOTATORS, load_annotators
from hoiexport.sdk.training.backends.template import color_name, dominant_color, srgb_to_lab
from tests.builders.annotators import (
    INTERNVL_ENTRY,
    LLAMA_ENTRY,
    LOCK_ENTRIES,
    LOCK_WRITERS,
    SIZES,
    annotation_lock,
    internvl_model,
    llama_model,
)
from tests.builders.sizes import parameter_count

OPTIONS = ("yes", "no", "carry with both hands")
"""Options of different token lengths (padding inside the option batch)."""


@pytest.fixture(scope="module")
def models_dir(tmp_path_factory):
    root = tmp_path_factory.mktemp("models")
    for write in LOCK_WRITERS.values():
        write(root)
    return root


@pytest.fixture(scope="module")
def annotators(models_dir):
    with load_annotators("internvl+llama", models_dir=models_dir, device="cpu", lock=annotation_lock()) as ann:
        yield ann


@pytest.fixture(scope="module")
def images():
    rng = np.random.default_rng(0)
    return [rng.integers(0, 256, (64, 64, 3), dtype=np.uint8) for _ in range(4)]


# ----------------------------------------------------------------------------- lock and loading


@pytest.mark.parametrize("entry", sorted(LOCK_WRITERS))
def test_writers_write_every_file_their_lock_entry_lists(models_dir, entry):
    check = verify_models([annotation_lock().get(entry)], models_dir, use_hash_cache=False)[0]
    assert check.failures == [], check.problem_lines()
    assert check.folder == models_dir / entry


def test_lock_entries_are_complete_and_in_the_annotation_stage():
    assert {e.name for e in LOCK_ENTRIES} == set(LOCK_WRITERS) == {INTERNVL_ENTRY, LLAMA_ENTRY}
    for e in LOCK_ENTRIES:
        assert e.stage == "annotation" and e.distribution == "huggingface"
        assert e.licence and e.restrictions and "not verified" in e.notes.lower()
        assert {f"model-0000{i}-of-00004.safetensors" for i in range(1, 5)} <= {f.path for f in e.files}
    assert [e.source for e in LOCK_ENTRIES] == ["OpenGVLab/InternVL3-8B-hf", "meta-llama/Llama-3.1-8B-Instruct"]


def test_load_through_the_lock_records_the_lock_revisions(annotators):
    assert annotators.name == "internvl+llama"
    assert isinstance(annotators.vlm, VisionLanguageModel) and isinstance(annotators.llm, LanguageModel)
    lock = annotation_lock()
    assert (annotators.vlm.name, annotators.vlm.revision) == (INTERNVL_ENTRY, lock.get(INTERNVL_ENTRY).revision)
    assert (annotators.llm.name, annotators.llm.revision) == (LLAMA_ENTRY, lock.get(LLAMA_ENTRY).revision)
    assert annotators.llm.revision == "0e9e39f249a16976918f6564b8830bc894c89659"


def test_an_explicit_folder_loads_without_a_lock_revision(models_dir):
    ann = load_annotators("internvl+llama", device="cpu", lock=annotation_lock(), models_dir=models_dir,
                          paths={"llm": models_dir / LLAMA_ENTRY})
    try:
        assert ann.llm is not None and ann.llm.revision is None
        assert ann.vlm is not None and ann.vlm.revision == "unresolved"
    finally:
        ann.close()
    assert ann.vlm is None and ann.llm is None


def test_registry_errors(tmp_path):
    assert set(ANNOTATORS) == {"template", "internvl+llama", "internvl"}
    with pytest.raises(InputError, match="unknown annotators 'gpt'.*template, internvl\\+llama, internvl"):
        load_annotators("gpt")
    with pytest.raises(InputError, match="role"):
        load_annotators("template", paths={"vlm": tmp_path})
    with pytest.raises(ModelUnavailableError, match=INTERNVL_ENTRY) as info:
        load_annotators("internvl+llama", models_dir=tmp_path, device="cpu", lock=annotation_lock())
    assert f"hoiexport models fetch {INTERNVL_ENTRY}" in str(info.value)
    with pytest.raises(InputError, match="role"):
        load_annotators("internvl", paths={"llm": tmp_path})
    template = load_annotators("template")
    assert (template.vlm, template.llm) == (None, None)


def test_full_sizes_match_the_published_parameter_counts():
    assert parameter_count(llama_model("full", device="meta")) == 8_030_261_248  # Llama 3.1 8B
    assert parameter_count(internvl_model("full", device="meta")) == 7_944_373_760  # InternVL3-8B: "7.9B"
    assert SIZES["full"].internvl["image_seq_length"] == 256


# ----------------------------------------------------------------------------- InternVL inputs


def test_each_image_becomes_its_patches_of_context_tokens(annotators, images):
    prompter = annotators.vlm.prompter
    tok = prompter.tokenizer
    wide = np.zeros((64, 200, 3), dtype=np.uint8)
    inputs = prompter([images[0], wide], "Describe.")
    per_patch = prompter.image_seq_length
    patches = inputs["pixel_values"].shape[0]
    assert patches > 2  # the wide image is tiled (plus a thumbnail)
    ids = inputs["input_ids"][0]
    context = tok.convert_tokens_to_ids(prompter.image_tokens["context_image_token"])
    assert int((ids == context).sum()) == per_patch * patches
    assert int((ids == tok.convert_tokens_to_ids("<img>")).sum()) == 2
    assert int((ids == tok.convert_tokens_to_ids("</img>")).sum()) == 2
    assert inputs["pixel_values"].shape[1:] == (3, 56, 56)
    text = tok.decode(ids)
    assert text.startswith("<|im_start|>user\n<img>") and text.endswith("Describe.<|im_end|>\n<|im_start|>assistant\n")
    with pytest.raises(InputError, match="image 0"):
        prompter([np.zeros((8, 8), np.uint8)], "Describe.")
    with pytest.raises(InputError, match="empty"):
        prompter(images, " ")


# ----------------------------------------------------------------------------- constrained choice


def _by_hand(model, inputs, options_ids):
    """Each option's summed log-likelihood from one full forward pass per option,
    log-softmaxed over the options."""
    n = inputs["input_ids"].shape[1]
    scores = []
    for ids in options_ids:
        full = torch.cat([inputs["input_ids"], torch.tensor([ids])], dim=1)
        extra = {k: v for k, v in inputs.items() if k not in ("input_ids", "attention_mask")}
        with torch.no_grad():
            logits = model(input_ids=full, attention_mask=torch.ones_like(full), **extra).logits[0].double()
        logp = torch.log_softmax(logits, dim=-1)
        scores.append(sum(float(logp[n - 1 + j, t]) for j, t in enumerate(ids)))
    s = np.array(scores)
    return s - np.log(np.exp(s - s.max()).sum()) - s.max()


def test_vlm_option_logprobs_sum_to_one_and_match_the_logits(annotators, images):
    vlm = annotators.vlm
    got = vlm.option_logprobs(images, "Is this plausible?", OPTIONS)
    assert got.shape == (3,) and got.dtype == np.float64
    assert np.exp(got).sum() == pytest.approx(1.0, abs=1e-9)
    tok = vlm.prompter.tokenizer
    ids = [tok(o, add_special_tokens=False)["input_ids"] for o in OPTIONS]
    assert len({len(i) for i in ids}) > 1  # padded inside the option batch
    np.testing.assert_allclose(got, _by_hand(vlm.model, vlm.prompter(images, "Is this plausible?"), ids), atol=1e-4)
    actions = vlm.option_logprobs(images, "What?", [lx.ACTION_VERBS[a][0] for a in lx.ACTIONS])
    assert actions.shape == (len(lx.ACTIONS),) and np.exp(actions).sum() == pytest.approx(1.0, abs=1e-9)
    with pytest.raises(InputError, match="distinct"):
        vlm.option_logprobs(images, "What?", ["yes", "yes"])


def test_llm_option_logprobs_sum_to_one_and_match_the_logits(annotators):
    llm = annotators.llm
    got = llm.option_logprobs("Is this plausible?", OPTIONS)
    assert np.exp(got).sum() == pytest.approx(1.0, abs=1e-9)
    ids = [llm.tokenizer(o, add_special_tokens=False)["input_ids"] for o in OPTIONS]
    np.testing.assert_allclose(got, _by_hand(llm.model, llm._inputs("Is this plausible?"), ids), atol=1e-4)


def test_answers_are_greedy_and_deterministic(annotators, images):
    first = annotators.vlm.answer(images, "Describe the person.", 8)
    assert isinstance(first, str) and first == annotators.vlm.answer(images, "Describe the person.", 8)
    reply = annotators.llm.complete("Write a caption.", 8)
    assert isinstance(reply, str) and reply == annotators.llm.complete("Write a caption.", 8)
    with pytest.raises(InputError, match="max_new_tokens"):
        annotators.llm.complete("Write a caption.", 0)


# ----------------------------------------------------------------------------- template colours


def test_colour_words_name_their_own_colours():
    for name, rgb in lx.COLORS.items():
        if name in ("blonde", "blond", "brunette", "auburn", "ginger"):
            continue
        got = color_name(rgb)
        assert lx.COLORS[got] == rgb, (name, got)  # itself or a synonym with the same sRGB
    for name, rgb in lx.HAIR_COLORS.items():
        assert lx.HAIR_COLORS[color_name(rgb, hair=True)] == rgb
    assert np.allclose(srgb_to_lab(np.array([255, 255, 255])), [100, 0, 0], atol=0.05)


def test_dominant_colour_is_the_one_covering_the_most_area():
    colors = np.array([[200, 30, 35]] * 3 + [[35, 75, 185]] * 2, dtype=np.uint8)
    assert dominant_color(colors, np.array([1, 1, 1, 1, 1.0])) == (200, 30, 35)
    assert dominant_color(colors, np.array([1, 1, 1, 5, 5.0])) == (35, 75, 185)
    assert dominant_color(colors, np.zeros(5)) is None
