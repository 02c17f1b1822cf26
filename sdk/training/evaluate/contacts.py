"""Contact accuracy: does the generated interaction touch the object the way the
prompt asks?

For every prompt and seed a generator of `hoiexport.sdk.generators.registry`
makes an asset; its requested configuration (`asset.prompt.requested_config`,
what `resolve_prompt` read from the text and overrides) is compared with the
measured one (`asset.contact_config`, the 4 cm rule of `sdk.contacts` on the
result). A generation that fails (`InputError` / `GenerationError` from the
generator) counts as wrong and is listed with its error.

`contact_metrics` is the pure part: (requested, measured) pairs → accuracy,
per-class accuracy and the 8 × 8 confusion matrix (rows requested, columns
measured, both in `ContactConfig` order; failed items are counted per requested
class beside it, not in any column).

Views (hoi3dgen). The chain lifts each of its 3 generated views (front, left
diagonal, right diagonal) into its own candidate and measures each one's
configuration; the asset's provenance records them (`notes["views"]`,
`notes["candidates"]`: view + measured configuration per lifted view,
`notes["failed_views"]`). HOI3DGen reports lifting the front view only against
using all 3 views. Both come out of one 3-view run here, since the front view's
image and mesh do not depend on the other views (image k and its mesh are drawn
with seed + k): `ViewSplit.per_view["front"]` is "front only" (the front
candidate's configuration against the request; a front view that could not be
lifted is wrong), `ViewSplit.any_view` is "any of the 3" (some lifted view
measures the request). Because the chain keeps a matching candidate whenever
one exists (`lift.select.choose_candidate`), the kept asset is right exactly
when `any_view` is; the overall metrics are those of the kept assets.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from hoiexport.sdk.core.errors import GenerationError, InputError
from hoiexport.sdk.core.types import ContactConfig, HOIAsset, Prompt

CONFIGS: tuple[ContactConfig, ...] = tuple(ContactConfig)
"""Row / column order of every confusion matrix (`ContactConfig` order)."""

_INDEX: dict[ContactConfig, int] = {c: i for i, c in enumerate(CONFIGS)}


# --------------------------------------------------------------------------- prompts


@dataclass(frozen=True)
class EvalPrompt:
    """One evaluation prompt, as a prompt file states it.

    The prompt-file readers of the application floor (`hoiexport.batch.items.
    read_prompts`: .jsonl, .txt, .csv with the HOI3DGen dataset's columns) give
    the same fields; the floor converts their records to these.

    Attributes:
        text: the prompt text.
        object: object override (category or synonym), or None.
        action: action override, or None.
        contact: contact-configuration override, or None (the text's).
        seed: first seed of this prompt, or None for the evaluation's.
    """

    text: str
    object: str | None = None
    action: str | None = None
    contact: ContactConfig | None = None
    seed: int | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.text, str) or not self.text.strip():
            raise InputError(f"an evaluation prompt needs non-empty text, got {self.text!r}")
        if self.contact is not None:
            object.__setattr__(self, "contact", ContactConfig.parse(self.contact))
        if self.seed is not None and (isinstance(self.seed, bool) or not isinstance(self.seed, int) or self.seed < 0):
            raise InputError(f"the seed of evaluation prompt {self.text!r} must be an integer >= 0, got {self.seed!r}")


# --------------------------------------------------------------------------- metrics


@dataclass(frozen=True)
class ClassScore:
    """The items that requested one configuration.

    Attributes:
        config: the requested configuration.
        n: items requesting it.
        correct: of those, measured as requested.
        failed: of those, whose generation failed (counted wrong).
    """

    config: ContactConfig
    n: int
    correct: int
    failed: int

    @property
    def accuracy(self) -> float | None:
        """correct / n, None when no item requested this configuration."""
        return self.correct / self.n if self.n else None


@dataclass(frozen=True)
class ContactMetrics:
    """Accuracy and confusion of a set of (requested, measured) pairs.

    Attributes:
        n: pairs.
        correct: pairs with measured == requested.
        failed: pairs without a measurement (generation failed); counted wrong.
        confusion: (8, 8) int64, [requested, measured] counts in `CONFIGS`
            order; failed pairs are not in it.
        failed_per_class: (8,) int64 failed pairs per requested configuration.
    """

    n: int
    correct: int
    failed: int
    confusion: np.ndarray
    failed_per_class: np.ndarray

    @property
    def accuracy(self) -> float:
        """correct / n, in [0, 1]."""
        return self.correct / self.n

    @property
    def per_class(self) -> dict[ContactConfig, ClassScore]:
        """Every configuration's items (n = row sum + failed; `accuracy` None when n = 0)."""
        rows = self.confusion.sum(axis=1) + self.failed_per_class
        return {c: ClassScore(c, int(rows[i]), int(self.confusion[i, i]), int(self.failed_per_class[i]))
                for i, c in enumerate(CONFIGS)}

    def to_json(self) -> dict[str, Any]:
        return {
            "accuracy": self.accuracy,
            "n": self.n,
            "correct": self.correct,
            "failed": self.failed,
            "configs": [c.value for c in CONFIGS],
            "per_class": {c.value: {"n": s.n, "correct": s.correct, "failed": s.failed, "accuracy": s.accuracy}
                          for c, s in self.per_class.items()},
            "confusion": self.confusion.tolist(),
            "failed_per_class": self.failed_per_class.tolist(),
        }

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> ContactMetrics:
        """The metrics `to_json` wrote (the configuration order must be `CONFIGS`)."""
        if list(d["configs"]) != [c.value for c in CONFIGS]:
            raise InputError(f"contact metrics list configurations {d['configs']}; expected {[c.value for c in CONFIGS]}")
        return cls(int(d["n"]), int(d["correct"]), int(d["failed"]), np.asarray(d["confusion"], np.int64),
                   np.asarray(d["failed_per_class"], np.int64))


def contact_metrics(pairs: Iterable[tuple[ContactConfig | str, ContactConfig | str | None]]) -> ContactMetrics:
    """Accuracy, per-class accuracy and confusion of (requested, measured) pairs.

    Args:
        pairs: (requested, measured) per item; measured None = the generation
            failed (counted wrong, in `failed_per_class`, in no column).
            Configuration names are accepted for either.

    Returns:
        The metrics.

    Raises:
        InputError: no pairs, or an unknown configuration name.
    """
    confusion = np.zeros((len(CONFIGS), len(CONFIGS)), np.int64)
    failed = np.zeros(len(CONFIGS), np.int64)
    n = 0
    for requested, measured in pairs:
        row = _INDEX[ContactConfig.parse(requested)]
        if measured is None:
            failed[row] += 1
        else:
            confusion[row, _INDEX[ContactConfig.parse(measured)]] += 1
        n += 1
    if n == 0:
        raise InputError("contact accuracy needs at least one (requested, measured) pair")
    return ContactMetrics(n=n, correct=int(np.trace(confusion)), failed=int(failed.sum()), confusion=confusion,
                          failed_per_class=failed)


# --------------------------------------------------------------------------- items and views


@dataclass(frozen=True)
class ContactItem:
    """One generated (or failed) item.

    Attributes:
        prompt: the prompt text.
        seed: the seed it was generated with.
        requested: the configuration the resolved prompt asks for.
        measured: the asset's measured configuration, None when generation failed.
        object: the resolved object category ("" if none).
        action: the resolved action ("" if none).
        views: per generated view, the measured configuration of its lifted
            candidate (None = the view could not be lifted); empty for
            generators without views (compose) and for failed items.
        error: why generation failed, None when it did not.
        seconds: wall time of the generation.
    """

    prompt: str
    seed: int
    requested: ContactConfig
    measured: ContactConfig | None
    object: str = ""
    action: str = ""
    views: Mapping[str, ContactConfig | None] = field(default_factory=dict)
    error: str | None = None
    seconds: float = 0.0

    @property
    def correct(self) -> bool:
        """Measured as requested (a failed item never is)."""
        return self.measured is not None and self.measured == self.requested

    def to_json(self) -> dict[str, Any]:
        return {
            "prompt": self.prompt,
            "seed": self.seed,
            "requested": self.requested.value,
            "measured": self.measured.value if self.measured is not None else None,
            "correct": self.correct,
            "object": self.object,
            "action": self.action,
            "views": {v: (m.value if m is not None else None) for v, m in self.views.items()},
            "error": self.error,
            "seconds": round(self.seconds, 4),
        }

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> ContactItem:
        return cls(
            prompt=d["prompt"], seed=int(d["seed"]), requested=ContactConfig.parse(d["requested"]),
            measured=ContactConfig.parse(d["measured"]) if d.get("measured") else None,
            object=d.get("object", ""), action=d.get("action", ""),
            views={v: (ContactConfig.parse(m) if m else None) for v, m in (d.get("views") or {}).items()},
            error=d.get("error"), seconds=float(d.get("seconds", 0.0)),
        )


def views_of(asset: HOIAsset) -> dict[str, ContactConfig | None]:
    """Per-view measured configurations a multi-view generator recorded.

    Reads the hoi3dgen chain's provenance (`notes["views"]`: the views run, in
    order; `notes["candidates"]`: {"view", "contact_config", ...} per lifted
    view). Also works on an asset loaded from a bundle (the notes are JSON).

    Args:
        asset: a generated asset.

    Returns:
        view name → measured configuration of that view's candidate, None for a
        view that could not be lifted; empty when the asset records no
        candidates (compose, lift).
    """
    notes = asset.provenance.notes
    candidates = notes.get("candidates")
    if not isinstance(candidates, list):
        return {}
    measured = {str(c["view"]): ContactConfig.parse(c["contact_config"]) for c in candidates}
    order = [str(v) for v in notes.get("views") or measured]
    return {v: measured.get(v) for v in order}


def score_asset(asset: HOIAsset, seed: int, seconds: float = 0.0) -> ContactItem:
    """The evaluation row of one generated asset (requested from its prompt).

    Raises:
        InputError: the asset's prompt requests no configuration.
    """
    requested = _requested(asset.prompt)
    return ContactItem(prompt=asset.prompt.text, seed=int(seed), requested=requested, measured=asset.contact_config,
                       object=asset.prompt.object or "", action=asset.prompt.action or "", views=views_of(asset),
                       seconds=seconds)


def _requested(prompt: Prompt) -> ContactConfig:
    if prompt.requested_config is None:
        raise InputError(f"prompt {prompt.text!r} requests no contact configuration; "
                         "state the contact in the text or give a contact override")
    return prompt.requested_config


@dataclass(frozen=True)
class ViewSplit:
    """Contact accuracy per generated view, and with any view allowed (module docstring).

    Attributes:
        views: the view names, in the generator's order.
        per_view: view → metrics of that view's candidates alone (an item whose
            view was not lifted, or whose generation failed, counts as failed).
        n: items.
        any_view_correct: items where some lifted view measures the request.
    """

    views: tuple[str, ...]
    per_view: dict[str, ContactMetrics]
    n: int
    any_view_correct: int

    @property
    def any_view(self) -> float:
        """Accuracy when any lifted view counts ("3 views" in HOI3DGen)."""
        return self.any_view_correct / self.n

    @property
    def front_only(self) -> float | None:
        """Accuracy of the front view alone ("front view only"), None without a front view."""
        front = self.per_view.get("front")
        return front.accuracy if front is not None else None

    def to_json(self) -> dict[str, Any]:
        return {"views": list(self.views), "n": self.n, "any_view": self.any_view,
                "any_view_correct": self.any_view_correct, "front_only": self.front_only,
                "per_view": {v: m.to_json() for v, m in self.per_view.items()}}

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> ViewSplit:
        return cls(tuple(d["views"]), {v: ContactMetrics.from_json(m) for v, m in d["per_view"].items()},
                   int(d["n"]), int(d["any_view_correct"]))


def view_split(items: Sequence[ContactItem]) -> ViewSplit | None:
    """Per-view and any-view accuracy of `items` (None when no item has views).

    An item without a record of some view (its generation failed, or that view
    was not lifted) counts that view as failed.
    """
    views: list[str] = []
    for item in items:
        views.extend(v for v in item.views if v not in views)
    if not views:
        return None
    per_view = {v: contact_metrics((i.requested, i.views.get(v)) for i in items) for v in views}
    any_correct = sum(any(m == i.requested for m in i.views.values()) for i in items)
    return ViewSplit(tuple(views), per_view, len(items), int(any_correct))


# --------------------------------------------------------------------------- evaluation


@dataclass(frozen=True)
class ContactEval:
    """A contact-accuracy evaluation.

    Attributes:
        generator: the generator evaluated (registry name, `auto` resolved).
        preset: its settings preset (the generator's default named when none was given).
        metrics: accuracy, per-class, confusion of the kept assets.
        items: every item, in prompt order (seeds ascending within a prompt).
        views: per-view accuracy (hoi3dgen), None for generators without views.
        seconds: wall time of the whole evaluation.
    """

    generator: str
    preset: str | None
    metrics: ContactMetrics
    items: tuple[ContactItem, ...]
    views: ViewSplit | None = None
    seconds: float = 0.0

    @property
    def accuracy(self) -> float:
        return self.metrics.accuracy

    @property
    def n(self) -> int:
        return self.metrics.n

    @property
    def failures(self) -> tuple[ContactItem, ...]:
        """Items not measured as requested (wrong configuration or failed)."""
        return tuple(i for i in self.items if not i.correct)

    def to_json(self) -> dict[str, Any]:
        return {"generator": self.generator, "preset": self.preset, **self.metrics.to_json(),
                "views": self.views.to_json() if self.views is not None else None,
                "seconds": round(self.seconds, 3), "items": [i.to_json() for i in self.items]}

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> ContactEval:
        """The evaluation `to_json` wrote (e.g. to report it again)."""
        return cls(d["generator"], d.get("preset"), ContactMetrics.from_json(d),
                   tuple(ContactItem.from_json(i) for i in d["items"]),
                   ViewSplit.from_json(d["views"]) if d.get("views") else None, float(d.get("seconds", 0.0)))


def summarize(items: Sequence[ContactItem], generator: str, preset: str | None = None,
              seconds: float = 0.0) -> ContactEval:
    """The evaluation of finished items (metrics and view split computed from them).

    Raises:
        InputError: no items.
    """
    items = tuple(items)
    metrics = contact_metrics((i.requested, i.measured) for i in items)
    return ContactEval(generator, preset, metrics, items, view_split(items), seconds)


ItemCallback = Callable[[ContactItem, HOIAsset | None], None]
"""Called after each item with its row and its asset (None when generation
failed): progress output, or keeping the bundles."""


def evaluate_contacts(
    prompts: Sequence[EvalPrompt],
    generator: str = "compose",
    *,
    seed: int = 0,
    seeds: int = 1,
    preset: str | None = None,
    overrides: Mapping[str, str] | None = None,
    runtime: Any = None,
    on_item: ItemCallback | None = None,
) -> ContactEval:
    """Generate every prompt × seed and measure contact accuracy.

    Every prompt is resolved (`sdk.prompt.resolve_prompt`) before anything is
    generated, so a prompt the parser cannot read fails at once.

    Args:
        prompts: the evaluation prompts.
        generator: a registry name ("compose", "hoi3dgen", "auto").
        seed: first seed of prompts without their own.
        seeds: seeds per prompt: seed, seed + 1, ... seed + seeds - 1.
        preset: the generator's settings preset (None = its default).
        overrides: `KEY=VALUE` settings overrides (`registry.make_settings`).
        runtime: device / precision of GPU generators (None = auto).
        on_item: called after each item (`ItemCallback`).

    Returns:
        The evaluation; items in prompt order, seeds ascending.

    Raises:
        InputError: no prompts, a bad seed count, an unknown generator, preset or
            setting, or a prompt that cannot be parsed (named with its number).
        ModelUnavailableError: the generator's weights are missing (not an item
            failure: nothing could run).
    """
    from hoiexport.sdk.generators.base import GenerationOptions
    from hoiexport.sdk.generators.registry import GENERATORS, get_generator, make_settings, resolve_name
    from hoiexport.sdk.prompt import resolve_prompt

    if not prompts:
        raise InputError("contact evaluation needs at least one prompt")
    if isinstance(seeds, bool) or not isinstance(seeds, int) or seeds < 1:
        raise InputError(f"seeds must be an integer >= 1 (seeds per prompt), got {seeds!r}")
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise InputError(f"seed must be an integer >= 0, got {seed!r}")
    name = resolve_name(generator)
    settings = make_settings(name, preset, overrides)
    resolved: list[Prompt] = []
    for number, p in enumerate(prompts, start=1):
        try:
            r = resolve_prompt(p.text, p.object, p.action, p.contact)
            _requested(r)
        except InputError as exc:
            raise InputError(f"evaluation prompt {number} ({p.text!r}): {exc}") from None
        resolved.append(r)
    model = get_generator(name)
    request = GenerationOptions(settings=settings, runtime=runtime)
    t_start = time.perf_counter()
    items: list[ContactItem] = []
    for p, r in zip(prompts, resolved, strict=True):
        first = p.seed if p.seed is not None else seed
        for s in range(first, first + seeds):
            t0 = time.perf_counter()
            asset: HOIAsset | None
            try:
                asset = model(r, s, request)
            except (InputError, GenerationError) as exc:  # this item could not be made: counted wrong, listed
                asset = None
                item = ContactItem(prompt=r.text, seed=s, requested=_requested(r), measured=None,
                                   object=r.object or "", action=r.action or "",
                                   error=f"{type(exc).__name__}: {exc}", seconds=time.perf_counter() - t0)
            else:
                item = score_asset(asset, s, time.perf_counter() - t0)
            items.append(item)
            if on_item is not None:
                on_item(item, asset)
    return summarize(items, name, preset or GENERATORS[name].presets[0], time.perf_counter() - t_start)
