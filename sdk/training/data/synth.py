"""Synthesised training samples: a balanced prompt grid over the compose
lexicon × the 8 contact configurations, and the sample a worker writes for
each generated asset.

The grid is HOI3DGen's training distribution made explicit: the paper keeps
50 ProciGen samples for each of the 8 configurations; here every configuration
gets the same number of prompts, each a (object, action) pair that the compose
generator can stage for that configuration (`interaction.plan_interaction`)
and whose action goes with it (`lexicon.ACTION_CONTACTS`), dressed with a
seeded appearance (person, build, top colour, object colour). Prompts are
written as sentences the parser reads back to the same object, action and
configuration, and every item also carries them as explicit overrides.

`hoiexport.synthesize` (the application floor) runs the grid through the batch
runner with the "sample" job (`write_sample`), topping up a configuration whose
items failed until each has its share.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from hoiexport.sdk.bundle import save_bundle
from hoiexport.sdk.core.errors import InputError
from hoiexport.sdk.core.types import ContactConfig, HOIAsset
from hoiexport.sdk.generators.compose.interaction import plan_interaction
from hoiexport.sdk.generators.compose.objects.library import OBJECT_CATEGORIES, make_object
from hoiexport.sdk.prompt import lexicon as lx
from hoiexport.sdk.prompt.resolve import resolve_prompt
from hoiexport.sdk.training.data.render import RenderOptions, render_images, scene_mesh
from hoiexport.sdk.training.data.sample import BUNDLE_DIR, SAMPLE_NAME, SampleRecord, write_record

CONFIGS: tuple[ContactConfig, ...] = tuple(ContactConfig)
"""The 8 configurations, in `ContactConfig` order."""

_PEOPLE: tuple[tuple[str, str], ...] = (
    ("man", "his"), ("woman", "her"), ("young man", "his"), ("young woman", "her"), ("old man", "his"),
    ("old woman", "her"), ("tall man", "his"), ("tall woman", "her"), ("short man", "his"), ("girl", "her"),
    ("boy", "his"), ("slim woman", "her"), ("heavy man", "his"),
)
_TOPS: tuple[str, ...] = ("shirt", "t-shirt", "jacket", "sweater", "hoodie")
_COLORS: tuple[str, ...] = ("red", "blue", "green", "yellow", "black", "white", "grey", "brown", "orange", "purple",
                            "pink", "navy", "beige")

_ING = {"stand": "standing", "sit": "sitting", "lean": "leaning", "carry": "carrying",
        "carry_two_hands": "carrying", "lift": "lifting", "hold": "holding", "drag": "dragging",
        "push": "pushing", "pull": "pulling", "kick": "kicking", "lie": "lying",
        "rest_foot": "resting", "step_on": "stepping onto", "lean_side": "leaning sideways against",
        "lean_forearms": "leaning", "sit_floor": "sitting on the floor", "kneel": "kneeling", "squat": "squatting",
        "crouch": "crouching", "hug": "hugging", "grab": "grabbing", "raise_overhead": "raising",
        "hold_out": "holding out", "throw": "throwing", "point_at": "pointing at", "carry_shoulder": "carrying",
        "carry_under_arm": "carrying"}
"""Action → the -ing verb of the grid's sentences (every one is in `lexicon.ACTION_VERBS`);
actions without one are not in the grid."""


def _hands(side: str) -> str:
    return "with both hands" if side == "both" else f"with {{pos}} {side} hand"


_PHRASES: dict[ContactConfig, dict[str, str]] = {
    ContactConfig.RIGHT_HAND: {"*": "{ing} {a} {obj} " + _hands("right"), "lean": "leaning on {a} {obj} " + _hands("right")},
    ContactConfig.LEFT_HAND: {"*": "{ing} {a} {obj} " + _hands("left"), "lean": "leaning on {a} {obj} " + _hands("left")},
    ContactConfig.BOTH_HANDS: {"*": "{ing} {a} {obj} " + _hands("both"), "lean": "leaning on {a} {obj} " + _hands("both"),
                               "carry": "", "lean_forearms": "leaning on {pos} forearms on {a} {obj}",
                               "raise_overhead": "raising {a} {obj} over {pos} head " + _hands("both")},
    ContactConfig.BACK: {"carry": "carrying {a} {obj} on {pos} back",
                         "lean": "leaning {pos} back against {a} {obj}",
                         "lie": "lying on {pos} back on {a} {obj}",
                         "sit_floor": "sitting on the floor with {pos} back against {a} {obj}"},
    ContactConfig.RIGHT_LEG: {"kick": "kicking {a} {obj} with {pos} right foot",
                              "rest_foot": "resting {pos} right foot on {a} {obj}"},
    ContactConfig.LEFT_LEG: {"kick": "kicking {a} {obj} with {pos} left foot",
                             "rest_foot": "resting {pos} left foot on {a} {obj}"},
    ContactConfig.NO_CONTACT: {"stand": "standing next to {a} {obj}", "sit_floor": "{ing} next to {a} {obj}",
                               "kneel": "{ing} next to {a} {obj}", "squat": "{ing} next to {a} {obj}",
                               "crouch": "{ing} next to {a} {obj}", "point_at": "{ing} {a} {obj}"},
    ContactConfig.OTHER: {"sit": "sitting on {a} {obj}", "stand": "standing on {a} {obj}", "lie": "lying on {a} {obj}",
                          "step_on": "{ing} {a} {obj}", "kneel": "{ing} on {a} {obj}", "squat": "{ing} on {a} {obj}",
                          "crouch": "{ing} on {a} {obj}", "lean_side": "{ing} {a} {obj}",
                          "carry_shoulder": "{ing} {a} {obj} on {pos} shoulder",
                          "carry_under_arm": "{ing} {a} {obj} under {pos} arm"},
}
"""Configuration → action ("*" = any) → the verb phrase naming the contact ("" =
not in the grid: both hands carrying is the parser's `carry_two_hands`)."""


@dataclass(frozen=True)
class SynthPrompt:
    """One prompt of the grid.

    Attributes:
        text: the sentence, e.g. "A tall woman in a green shirt carrying a red box
            with both hands."
        object: compose object category.
        action: compose action (`lexicon.ACTIONS`).
        config: the configuration requested.
        seed: the generator seed.
        index: position in its configuration's sequence (0, 1, ...).
    """

    text: str
    object: str
    action: str
    config: ContactConfig
    seed: int
    index: int


def _phrase(config: ContactConfig, action: str) -> str | None:
    table = _PHRASES[config]
    return table.get(action, table.get("*")) or None


@functools.lru_cache(maxsize=1)
def feasible_pairs() -> dict[ContactConfig, tuple[tuple[str, str], ...]]:
    """Configuration → the (object, action) pairs of the grid, in library order.

    A pair is in when the action goes with the configuration
    (`lexicon.ACTION_CONTACTS`), the grid has a sentence for it, and the
    compose planner stages it (no refusal). A few seconds (every object built once), cached.
    """
    out: dict[ContactConfig, list[tuple[str, str]]] = {c: [] for c in CONFIGS}
    objects = {o: make_object(o, 0) for o in OBJECT_CATEGORIES}
    for config in CONFIGS:
        for obj_name, obj in objects.items():
            for action in lx.ACTIONS:
                if (action not in _ING or config not in lx.ACTION_CONTACTS.get(action, frozenset())
                        or _phrase(config, action) is None):
                    continue
                try:
                    prompt = resolve_prompt(f"A person and a {obj_name}.", object=obj_name, action=action,
                                            contact=config)
                    plan_interaction(prompt, obj)
                except InputError:
                    continue
                out[config].append((obj_name, action))
    return {c: tuple(v) for c, v in out.items()}


def _sentence(config: ContactConfig, obj: str, action: str, rng: np.random.Generator) -> str:
    person, pos = _PEOPLE[int(rng.integers(len(_PEOPLE)))]
    top = _TOPS[int(rng.integers(len(_TOPS)))]
    top_color, obj_color = (str(c) for c in rng.choice(_COLORS, size=2, replace=False))
    phrase = (_phrase(config, action) or "").format(ing=_ING[action], a=_article(obj_color), obj=f"{obj_color} {obj}",
                                                   pos=pos)
    return f"{_article(person).title()} {person} in {_article(top_color)} {top_color} {top} {phrase}."


def _article(word: str) -> str:
    return "an" if word[0] in "aeiou" else "a"


def config_prompts(config: ContactConfig, seed: int = 0) -> Iterator[SynthPrompt]:
    """The endless, seeded prompt sequence of one configuration.

    Pairs are visited in a seeded shuffled order, reshuffled each pass, so any
    prefix of the sequence spreads over objects and actions.

    Raises:
        InputError: the configuration has no feasible pair.
    """
    pairs = feasible_pairs()[config]
    if not pairs:
        raise InputError(f"no compose object and action stage contact {config.value!r}; drop it from --configs")
    rng = np.random.default_rng([seed, CONFIGS.index(config)])
    index = 0
    while True:
        for k in rng.permutation(len(pairs)):
            obj, action = pairs[int(k)]
            text = _sentence(config, obj, action, rng)
            yield SynthPrompt(text, obj, action, config, seed * 100_003 + CONFIGS.index(config) * 10_007 + index,
                              index)
            index += 1


def parse_configs(values: Sequence[str | ContactConfig] | None) -> tuple[ContactConfig, ...]:
    """Configurations from names (None or empty = all 8), duplicates dropped, order kept.

    Raises:
        InputError: an unknown name (the message lists the valid ones).
    """
    if not values:
        return CONFIGS
    out: list[ContactConfig] = []
    for v in values:
        c = ContactConfig.parse(v)
        if c not in out:
            out.append(c)
    return tuple(out)


def shares(n: int, configs: Sequence[ContactConfig]) -> dict[ContactConfig, int]:
    """`n` samples split over `configs` as evenly as possible (the first ones get the remainder).

    Raises:
        InputError: `n` < 1 or no configuration.
    """
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise InputError(f"the number of samples must be an integer >= 1, got {n!r}")
    if not configs:
        raise InputError("no contact configuration to synthesise; name at least one with --configs")
    base, extra = divmod(n, len(configs))
    return {c: base + (i < extra) for i, c in enumerate(configs)}


def synth_grid(n: int, configs: Sequence[ContactConfig] | None = None, seed: int = 0,
               skip: dict[ContactConfig, int] | None = None) -> list[SynthPrompt]:
    """The balanced grid: `n` prompts split evenly over `configs`.

    Args:
        n: number of prompts (≥ 1).
        configs: configurations (None = all 8).
        seed: grid seed (sequences, appearances and generator seeds).
        skip: per configuration, how many prompts of its sequence to pass over
            first (top-up rounds continue a sequence where the last one ended).

    Returns:
        Prompts, configuration by configuration.
    """
    configs = parse_configs(configs)
    out: list[SynthPrompt] = []
    for config, count in shares(n, configs).items():
        seq = config_prompts(config, seed)
        for _ in range((skip or {}).get(config, 0)):
            next(seq)
        out.extend(next(seq) for _ in range(count))
    return out


def write_sample(asset: HOIAsset, folder: Path, *, sample_id: str, seed: int | None,
                 options: RenderOptions = RenderOptions()) -> dict[str, str]:
    """Write one synthesised sample into `folder` (the `sample` layout).

    Args:
        asset: the compose asset.
        folder: the (temporary) sample folder.
        sample_id: the sample's id (the batch item id).
        seed: the generator seed.
        options: image sizes and camera.

    Returns:
        The sample's files for the batch report: kind → path relative to `folder`
        ("sample", "bundle", "view_<name>").
    """
    folder = Path(folder)
    save_bundle(asset, folder / BUNDLE_DIR)
    appearance, views = render_images(scene_mesh(asset), folder, options)
    prompt = asset.prompt
    requested = prompt.requested_config.value if prompt.requested_config else None
    write_record(folder, SampleRecord(
        id=sample_id, source="compose", text=prompt.text, object=prompt.object or "", action=prompt.action,
        requested_config=requested, seed=seed, appearance=appearance, views=views,
        origin={"generator": asset.provenance.generator},
    ))
    return {"sample": SAMPLE_NAME, "bundle": f"{BUNDLE_DIR}/asset.json", **{f"view_{k}": v for k, v in views.items()}}
