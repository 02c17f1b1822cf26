"""Decomposed annotation of training samples (HOI3DGen step 1): each sample's
`annotation.json`, every field with its provenance.

Per sample, in order:

1. Geometry, always: the bundle's contacts by the 4 cm rule
   (`contacts.analyze_asset`, `ContactOptions.threshold_m`), the configuration of
   the touching parts (`contacts.classify_contacts`) and the penetration depth and
   volume (`contacts.penetration`). The sample *passes geometry* when its deepest
   interpenetration, either way, is at most `AnnotateOptions.max_penetration_cm`
   (`Penetration.max_depth_cm`, cm).
2. Appearance: the MLLM answers one fixed question about the sample's appearance
   images (the 4 renders front, left, back, right; or an imported sample's 4
   photographs) with a JSON object of `APPEARANCE_FIELDS`; the
   answer is parsed strictly (`parse_appearance_answer`): a JSON object with
   only those keys and short word values (lower-cased). A field missing or
   malformed, or the whole answer when it is not such an object, comes from the
   template backend instead (recorded with the reason).
3. Action: constrained choice over `lexicon.ACTIONS` (`option_logprobs`, label
   log-likelihoods normalised over the labels; no free text is parsed), and the
   yes-probability of "Is this <action> physically plausible?" over ("yes",
   "no"), stored for the filter (`action_plausible_p`).
4. Caption: the LLM composes one sentence from the fields; it is kept only when
   `parse_prompt` reads back the measured configuration and the object
   category, else the template caption (which is checked the same way) is used.

The MLLM and the LLM run only on samples that pass geometry; the other samples
get template fields (their provenance says why). Without models (`Annotators`
"template") every field comes from the template backend.

`annotation.json`::

    schema_version, id, object,
    config, contact_parts, contacts [{part, joint, distance_m, area_m2}],
    penetration {4 Penetration fields (cm, cm³), max_depth_cm}, geometry_ok, geometry_reason,
    appearance {top, bottom, hair, shoes, object_color, object_material},
    action, action_logprobs {action: log-prob} | null, action_plausible_p | null,
    caption, caption_source "llm" | "template", caption_parses,
    provenance {field → {backend, revision, method, score, [fallback_from, reason]}},
    annotators, fallbacks (model answers rejected for the template), timings_s

Provenance keys: "config", "contact_parts", "penetration", "appearance.<field>",
"action", "action_plausible_p", "caption". `backend` is "geometry" (hoiexport's
contact analysis; `revision` its version), "template" (`revision` null) or the
model's lock entry (`revision` the lock's).
"""

from __future__ import annotations

import importlib.metadata
import json
import math
import os
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np

from hoiexport.sdk.bundle import load_bundle
from hoiexport.sdk.contacts import ContactOptions, PenetrationOptions, analyze_asset, classify_contacts
from hoiexport.sdk.core.cache import atomic_write_bytes
from hoiexport.sdk.core.errors import HOIExportError, InputError
from hoiexport.sdk.core.types import ContactConfig, HOIAsset
from hoiexport.sdk.prompt import lexicon as lx
from hoiexport.sdk.training.backends.protocols import LanguageModel, VisionLanguageModel
from hoiexport.sdk.training.backends.registry import ANNOTATORS, Annotators, load_annotators
from hoiexport.sdk.training.backends.template import (
    APPEARANCE_FIELDS,
    TEMPLATE_NAME,
    TemplateField,
    article,
    caption_matches,
    describe_fields,
    template_action,
    template_appearance,
    template_caption,
    verb_phrase,
)
from hoiexport.sdk.training.data.sample import APPEARANCE_YAWS, SampleDir, iter_samples

__all__ = [
    "ACTION_OPTIONS",
    "ANNOTATORS",
    "APPEARANCE_QUESTION",
    "CAPTION_PROMPT",
    "AnnotateOptions",
    "AnnotateSummary",
    "Annotators",
    "annotate_dataset",
    "annotate_sample",
    "caption_prompt",
    "load_annotators",
    "parse_appearance_answer",
]

SCHEMA_VERSION = 1
"""`annotation.json` format version."""

GEOMETRY_BACKEND = "geometry"
"""Provenance backend name of the measured fields."""

APPEARANCE_QUESTION = (
    "The images show one person and one object from different sides. "
    "Reply with a JSON object only, with exactly these keys and a short lower-case answer of one to three "
    'words each: {"top": "colour of the upper-body clothing", "bottom": "colour of the trousers, shorts or '
    'skirt", "hair": "hair colour", "shoes": "shoe colour", "object_color": "main colour of the object", '
    '"object_material": "what the object is made of"}'
)
"""The MLLM's appearance question (answered about the appearance images)."""

ACTION_QUESTION = "What is the person doing with the {object}? Answer with the verb only."
"""The MLLM's action question; the options are `ACTION_OPTIONS`."""

PLAUSIBLE_QUESTION = ("The person is {verb} the {object}. Is this {action} physically plausible? "
                      "Answer yes or no.")
"""The MLLM's plausibility question; the options are ("yes", "no")."""

ACTION_OPTIONS: dict[str, str] = {a: lx.ACTION_VERBS[a][0] for a in lx.ACTIONS}
"""Action → the label text the MLLM scores ("carry_two_hands" → "carry with both hands")."""

CAPTION_PROMPT = (
    "Write one short sentence that describes a picture for an image caption. Use these facts and no others: "
    "a person {action} {object}{contact}.{look} Keep the words \"{action}\"{contact_quote}. "
    "Reply with the sentence only."
)
"""The LLM's caption request, filled from the annotation's fields."""

_VALUE_RE = re.compile(r"[a-z][a-z' -]*")
"""An accepted appearance value: letters, spaces (no other white space), hyphens, apostrophes."""
_FENCE_RE = re.compile(r"^```(?:json)?\s*(.*?)\s*```$", re.DOTALL)

CaptionSource = Literal["llm", "template"]


@dataclass(frozen=True)
class AnnotateOptions:
    """Settings of annotation.

    Attributes:
        contact_threshold_m: a body vertex touches within this distance of the
            object, metres (the 4 cm rule).
        max_penetration_cm: deepest interpenetration, either way, that still
            passes geometry, cm (`Penetration.max_depth_cm`).
        overwrite: re-annotate samples that already have an `annotation.json`.
        appearance_max_new_tokens: longest MLLM appearance answer, tokens.
        caption_max_new_tokens: longest LLM caption, tokens.
        max_value_words: most words of an appearance value the MLLM gives.
        max_value_chars: most characters of an appearance value.
    """

    contact_threshold_m: float = 0.04
    max_penetration_cm: float = 1.0
    overwrite: bool = False
    appearance_max_new_tokens: int = 96
    caption_max_new_tokens: int = 64
    max_value_words: int = 4
    max_value_chars: int = 32

    def __post_init__(self) -> None:
        for name, least, words in (("contact_threshold_m", 0.0, "> 0 metres"), ("max_penetration_cm", None, ">= 0 cm")):
            value = getattr(self, name)
            number = not isinstance(value, bool) and isinstance(value, (int, float)) and math.isfinite(value)
            if not number or value < 0 or (least is not None and value <= least):
                raise InputError(f"AnnotateOptions.{name} must be a finite number {words}, got {value!r}")
        for name in ("appearance_max_new_tokens", "caption_max_new_tokens", "max_value_words", "max_value_chars"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise InputError(f"AnnotateOptions.{name} must be an integer >= 1, got {value!r}")
        if not isinstance(self.overwrite, bool):
            raise InputError(f"AnnotateOptions.overwrite must be true or false, got {self.overwrite!r}")


@dataclass
class AnnotateSummary:
    """What `annotate_dataset` did.

    Attributes:
        dataset: the dataset folder.
        annotators: the `Annotators` name used.
        total: samples found.
        annotated: samples annotated now.
        skipped: samples that already had an annotation (not `overwrite`).
        geometry_failed: annotated samples that did not pass geometry.
        llm_captions: captions the LLM wrote that were kept.
        template_captions: template captions written.
        fallbacks: model-answered fields replaced by the template (rejected answers).
        failed: sample id → the one-line error that stopped it.
        seconds: wall-clock seconds.
    """

    dataset: Path
    annotators: str
    total: int = 0
    annotated: int = 0
    skipped: int = 0
    geometry_failed: int = 0
    llm_captions: int = 0
    template_captions: int = 0
    fallbacks: int = 0
    failed: dict[str, str] = field(default_factory=dict)
    seconds: float = 0.0

    def to_json(self) -> dict[str, Any]:
        return {
            "dataset": str(self.dataset), "annotators": self.annotators, "total": self.total,
            "annotated": self.annotated, "skipped": self.skipped, "geometry_failed": self.geometry_failed,
            "llm_captions": self.llm_captions, "template_captions": self.template_captions,
            "fallbacks": self.fallbacks, "failed": dict(self.failed), "seconds": round(self.seconds, 3),
        }


ProgressCallback = Callable[[int, int, str, str], None]
"""`on_progress(done, total, sample_id, status)`; status "annotated", "skipped" or "failed"."""


# ----------------------------------------------------------------------------- helpers


def _version() -> str:
    try:
        return importlib.metadata.version("hoiexport")
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


def _provenance(backend: str, revision: str | None, method: str, *, score: float | None = None,
                extra: dict[str, str] | None = None) -> dict[str, Any]:
    """One field's provenance: backend, lock revision, method, score (+ fallback_from, reason)."""
    return {"backend": backend, "revision": revision, "method": method,
            "score": None if score is None else float(score), **(extra or {})}


def _template_provenance(fld: TemplateField, fallback_from: str | None = None,
                         reason: str | None = None) -> dict[str, Any]:
    extra = {k: v for k, v in (("fallback_from", fallback_from), ("reason", reason)) if v}
    return _provenance(TEMPLATE_NAME, None, fld.method, extra=extra)


def parse_appearance_answer(text: str, max_words: int = 4, max_chars: int = 32) -> tuple[
        dict[str, str], dict[str, str]]:
    """Strict parse of the MLLM's appearance answer.

    The answer must be one JSON object (optionally in a ```json fence) whose keys
    are among `APPEARANCE_FIELDS` and whose values are strings; each value is
    accepted when, lower-cased and trimmed, it is 1..`max_words` words of letters
    (hyphens, apostrophes) and at most `max_chars` characters.

    Args:
        text: the model's answer.
        max_words: most words per value.
        max_chars: most characters per value.

    Returns:
        (field → accepted value, field → why it was rejected); every field of
        `APPEARANCE_FIELDS` is in exactly one of the two.
    """
    body = text.strip() if isinstance(text, str) else ""
    fence = _FENCE_RE.match(body)
    if fence:
        body = fence.group(1).strip()
    try:
        doc = json.loads(body)
    except (ValueError, RecursionError):
        doc = None
    snippet = body[:60].replace("\n", " ")
    if not isinstance(doc, dict):
        return {}, dict.fromkeys(APPEARANCE_FIELDS, f"the answer is not a JSON object: {snippet!r}")
    unknown = sorted(str(k) for k in doc if k not in APPEARANCE_FIELDS)
    if unknown:
        return {}, dict.fromkeys(APPEARANCE_FIELDS, f"the answer has unknown keys {unknown}")
    good: dict[str, str] = {}
    bad: dict[str, str] = {}
    for key in APPEARANCE_FIELDS:
        value = doc.get(key)
        if key not in doc:
            bad[key] = "missing from the answer"
        elif not isinstance(value, str):
            bad[key] = f"not a string: {json.dumps(value)[:40]}"
        else:
            raw = value.strip(" ").lower()
            words = " ".join(w for w in raw.split(" ") if w)
            if not _VALUE_RE.fullmatch(raw) or len(words) > max_chars or len(words.split(" ")) > max_words:
                bad[key] = f"not 1 to {max_words} words of letters within {max_chars} characters: {value[:40]!r}"
            else:
                good[key] = words
    return good, bad


def caption_prompt(facts: dict[str, Any]) -> str:
    """The LLM's caption request (`CAPTION_PROMPT`) for the facts of
    `template.describe_fields` ("action", "object", "contact", appearance fields)."""
    look = [f"{k.replace('_', ' ')}: {facts[k]}" for k in APPEARANCE_FIELDS if k in facts]
    contact = str(facts.get("contact") or "")
    obj = str(facts["object"])
    return CAPTION_PROMPT.format(
        action=facts["action"], object=f"{article(obj)} {obj}", contact=f" {contact}" if contact else "",
        look=f" Appearance: {'; '.join(look)}." if look else "",
        contact_quote=f" and \"{contact}\"" if contact else "")


def _read_images(sample: SampleDir) -> list[np.ndarray]:
    """The sample's appearance images, (H, W, 3) uint8: the renders in
    `APPEARANCE_YAWS` order, then other names (imported photographs "k0".."k3") sorted."""
    from PIL import Image

    paths = sample.appearance_paths()
    order = [n for n in APPEARANCE_YAWS if n in paths] + sorted(n for n in paths if n not in APPEARANCE_YAWS)
    out = []
    for name in order:
        try:
            with Image.open(paths[name]) as img:
                out.append(np.asarray(img.convert("RGB"), dtype=np.uint8))
        except (OSError, ValueError) as exc:
            raise InputError(f"{paths[name]}: unreadable appearance image ({exc}); re-render the sample") from None
    return out


def _clean_caption(text: str) -> str:
    """The first line of a reply, quotes and surrounding space removed."""
    line = next((ln.strip() for ln in str(text).splitlines() if ln.strip()), "")
    return line.strip().strip("\"'“”").strip()


def _finite(values: np.ndarray, what: str, backend: str) -> np.ndarray:
    values = np.asarray(values, dtype=np.float64)
    if not np.isfinite(values).all():
        raise InputError(f"{backend} returned non-finite {what} {values.tolist()}; check the weights and precision")
    return values


# ----------------------------------------------------------------------------- one sample


@dataclass
class _Geometry:
    config: ContactConfig
    parts: list[str]
    report_contacts: list[dict[str, Any]]
    penetration: dict[str, float]
    ok: bool
    reason: str | None


def _geometry(asset: HOIAsset, options: AnnotateOptions) -> _Geometry:
    report = analyze_asset(asset.body, asset.human, asset.object,
                           ContactOptions(threshold_m=float(options.contact_threshold_m),
                                          penetration=PenetrationOptions()))
    parts = list(report.touching_parts)
    config = classify_contacts(parts)
    pen = report.penetration
    assert pen is not None  # requested above
    depth = pen.max_depth_cm
    ok = depth <= options.max_penetration_cm
    reason = None if ok else f"penetration {depth:.2f} cm > {options.max_penetration_cm} cm"
    contacts = [{"part": c.part, "joint": c.joint, "distance_m": float(c.distance_m), "area_m2": float(c.area_m2)}
                for c in report.contacts]
    return _Geometry(config, parts, contacts, {**pen.to_json(), "max_depth_cm": float(depth)}, ok, reason)


def _reason(text: str | None) -> dict[str, str] | None:
    return {"reason": text} if text else None


def _appearance_fields(asset: HOIAsset, vlm: VisionLanguageModel | None, images: list[np.ndarray],
                       skip: str | None, options: AnnotateOptions, prov: dict[str, dict[str, Any]]) -> tuple[
        dict[str, str], int]:
    """Appearance values (MLLM where accepted, template elsewhere) and how many fell back."""
    tpl = template_appearance(asset)
    appearance = {k: f.value for k, f in tpl.items()}
    for key, fld in tpl.items():
        prov[f"appearance.{key}"] = _template_provenance(fld, reason=skip)
    if vlm is None or skip:
        return appearance, 0
    answer = vlm.answer(images, APPEARANCE_QUESTION, options.appearance_max_new_tokens)
    good, bad = parse_appearance_answer(answer, options.max_value_words, options.max_value_chars)
    for key, value in good.items():
        appearance[key] = value
        prov[f"appearance.{key}"] = _provenance(vlm.name, vlm.revision, "MLLM JSON answer on the appearance images")
    for key, why in bad.items():
        prov[f"appearance.{key}"] = _template_provenance(tpl[key], vlm.name, f"MLLM answer rejected: {why}")
    return appearance, len(bad)


def _action_fields(sample: SampleDir, config: ContactConfig, vlm: VisionLanguageModel | None,
                   images: list[np.ndarray], skip: str | None, prov: dict[str, dict[str, Any]]) -> tuple[
        str, dict[str, float] | None, float | None]:
    """(action, its log-probabilities over `lexicon.ACTIONS` or None, plausibility yes-probability or None)."""
    action, how = template_action(config, sample.record.action)
    prov["action"] = _provenance(TEMPLATE_NAME, None, how, extra=_reason(skip))
    prov["action_plausible_p"] = _provenance(TEMPLATE_NAME, None, "not judged (no MLLM)", extra=_reason(skip))
    if vlm is None or skip:
        return action, None, None
    obj = sample.record.object
    labels = [ACTION_OPTIONS[a] for a in lx.ACTIONS]
    scores = _finite(vlm.option_logprobs(images, ACTION_QUESTION.format(object=obj), labels),
                     "action log-probabilities", vlm.name)
    best = int(np.argmax(scores))
    action = lx.ACTIONS[best]
    prov["action"] = _provenance(vlm.name, vlm.revision, "constrained choice over lexicon.ACTIONS "
                                 "(option_logprobs on the appearance images)", score=float(scores[best]))
    question = PLAUSIBLE_QUESTION.format(verb=verb_phrase(action, config), object=obj, action=ACTION_OPTIONS[action])
    yes_no = _finite(vlm.option_logprobs(images, question, ("yes", "no")), "yes/no log-probabilities", vlm.name)
    plausible = float(np.exp(yes_no[0]))
    prov["action_plausible_p"] = _provenance(vlm.name, vlm.revision, "yes-probability of 'is this action physically "
                                             "plausible?' (option_logprobs over yes / no)", score=plausible)
    return action, {a: float(v) for a, v in zip(lx.ACTIONS, scores)}, plausible


def _caption_field(geo: _Geometry, obj: str, action: str, appearance: dict[str, str], llm: LanguageModel | None,
                   skip: str | None, options: AnnotateOptions, prov: dict[str, dict[str, Any]]) -> tuple[
        str, CaptionSource, bool, int]:
    """(caption, its source, whether it parses back, 1 when the LLM's was rejected else 0)."""
    caption, parses = template_caption(geo.config, obj, action, appearance, geo.parts)
    method = "template sentence checked by parse_prompt"
    prov["caption"] = _provenance(TEMPLATE_NAME, None, method, extra=_reason(skip))
    if llm is None or skip:
        return caption, "template", parses, 0
    prompt = caption_prompt(describe_fields(geo.config, obj, action, appearance, geo.parts))
    reply = _clean_caption(llm.complete(prompt, options.caption_max_new_tokens))
    if caption_matches(reply, geo.config, obj):
        prov["caption"] = _provenance(llm.name, llm.revision, "LLM sentence from the fields; parse_prompt gives back "
                                      "the configuration and the object")
        return reply, "llm", True, 0
    why = f"LLM caption does not parse back to {geo.config.value} / {obj}: {reply[:80]!r}"
    prov["caption"] = _provenance(TEMPLATE_NAME, None, method, extra={"fallback_from": llm.name, "reason": why})
    return caption, "template", parses, 1


def annotate_sample(sample: SampleDir, backends: Annotators, options: AnnotateOptions = AnnotateOptions()) -> dict[
        str, Any]:
    """Annotate one sample and write its `annotation.json` atomically.

    An existing annotation is returned unchanged unless `options.overwrite`.

    Args:
        sample: the sample folder (bundle, appearance images, record).
        backends: the models (`load_annotators`); a role without a model uses the template.
        options: thresholds and limits.

    Returns:
        The annotation (module docstring), as written.

    Raises:
        BundleError: the sample's bundle is missing or invalid.
        InputError: an unreadable appearance image.
        ModelUnavailableError / RuntimeError: a model failed.
    """
    if not options.overwrite:
        existing = sample.annotation()
        if existing is not None:
            return existing
    timings: dict[str, float] = {}
    t = time.perf_counter()
    asset = load_bundle(sample.bundle)
    geo = _geometry(asset, options)
    timings["geometry"] = time.perf_counter() - t
    version = _version()
    rule = f"{100 * options.contact_threshold_m:g} cm rule (contacts.analyze_asset)"
    prov: dict[str, dict[str, Any]] = {
        "config": _provenance(GEOMETRY_BACKEND, version, f"classify_contacts of the parts touching by the {rule}"),
        "contact_parts": _provenance(GEOMETRY_BACKEND, version, f"body parts within the {rule}"),
        "penetration": _provenance(GEOMETRY_BACKEND, version, "contacts.penetration (depth cm, volume cm³)"),
    }
    obj = sample.record.object
    skip = None if geo.ok else f"geometry failed ({geo.reason}); models not run"
    vlm = backends.vlm
    images = _read_images(sample) if vlm is not None and not skip else []
    vlm_skip = skip or (None if vlm is None or images else "the sample has no appearance images; the MLLM was not run")

    t = time.perf_counter()
    appearance, fallbacks = _appearance_fields(asset, vlm, images, vlm_skip, options, prov)
    timings["appearance"] = time.perf_counter() - t
    t = time.perf_counter()
    action, action_logprobs, plausible = _action_fields(sample, geo.config, vlm, images, vlm_skip, prov)
    timings["action"] = time.perf_counter() - t
    t = time.perf_counter()
    caption, source, parses, rejected = _caption_field(geo, obj, action, appearance, backends.llm, skip, options, prov)
    timings["caption"] = time.perf_counter() - t

    doc: dict[str, Any] = {
        "schema_version": SCHEMA_VERSION,
        "id": sample.id,
        "object": obj,
        "config": geo.config.value,
        "contact_parts": geo.parts,
        "contacts": geo.report_contacts,
        "penetration": geo.penetration,
        "geometry_ok": geo.ok,
        "geometry_reason": geo.reason,
        "appearance": appearance,
        "action": action,
        "action_logprobs": action_logprobs,
        "action_plausible_p": plausible,
        "caption": caption,
        "caption_source": source,
        "caption_parses": parses,
        "provenance": prov,
        "annotators": backends.name,
        "fallbacks": fallbacks + rejected,
        "timings_s": {k: round(v, 4) for k, v in timings.items()},
    }
    atomic_write_bytes(sample.annotation_path, json.dumps(doc, indent=2, allow_nan=False).encode("utf-8"))
    return doc


# ----------------------------------------------------------------------------- a dataset


def annotate_dataset(
    dataset_dir: str | os.PathLike[str],
    backends: Annotators,
    options: AnnotateOptions = AnnotateOptions(),
    on_progress: ProgressCallback | None = None,
) -> AnnotateSummary:
    """Annotate every finished sample of a dataset folder (`DIR/items/<id>/`).

    Samples with an `annotation.json` are skipped unless `options.overwrite`. A
    sample that fails (a broken bundle, an unreadable image) is recorded in
    `AnnotateSummary.failed` with its one-line reason and the run goes on.

    Args:
        dataset_dir: the dataset folder.
        backends: the models (`load_annotators`).
        options: thresholds and limits.
        on_progress: called after each sample (`ProgressCallback`).

    Raises:
        InputError: `dataset_dir` has no `items/` folder.
    """
    t0 = time.perf_counter()
    samples: Sequence[SampleDir] = list(iter_samples(dataset_dir))
    summary = AnnotateSummary(Path(dataset_dir), backends.name, total=len(samples))
    for done, sample in enumerate(samples, start=1):
        if sample.annotation_path.is_file() and not options.overwrite:
            summary.skipped += 1
            status = "skipped"
        else:
            try:
                doc = annotate_sample(sample, backends, options)
            except HOIExportError as exc:
                summary.failed[sample.id] = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
                status = "failed"
            else:
                summary.annotated += 1
                summary.geometry_failed += not doc["geometry_ok"]
                summary.llm_captions += doc["caption_source"] == "llm"
                summary.template_captions += doc["caption_source"] == "template"
                summary.fallbacks += int(doc["fallbacks"])
                status = "annotated"
        if on_progress is not None:
            on_progress(done, len(samples), sample.id, status)
    summary.seconds = time.perf_counter() - t0
    return summary
