"""The three views of the `hoi3dgen` chain, the prompts of stages 1 and 2, and
the seed each view's image is drawn with.

HOI3DGen's release builds both prompts from one line per interaction
(agshar96/Hoi3DGen, read for this module):

- `scripts/utils/create_txt_from_csv.py` writes `prompts.txt`: each CSV
  description (which ends with a period) + `SANA_SUFFIX`::

      "<description>. White Background, Full Body Visible."

- `run_t23d_pipe.sh` step 1 feeds that file to SANA's inference script
  (`--add_camera_control True` adds the view phrases inside the fork);
  step 3 feeds the *same* file to `scripts/flux/retexture_depth_images.py`,
  which strips each line and appends `RETEXTURE_SUFFIX`. The FLUX prompt
  therefore carries both suffixes, the doubled period included::

      "<description>. White Background, Full Body Visible.. White Background, PhotoRealistic,
       High Detail, Realistic Looking."   (one line)

  (`retexture_prompt`), and every FLUX image is drawn with
  `torch.Generator().manual_seed(42)` (`SeedPolicy` "fixed").

Stage 1 here (view-conditioned SANA) renders one image per view; its prompt
is the description, then the view phrase, then `SANA_SUFFIX` (`view_prompt`)::

    "<description>. <view phrase> White Background, Full Body Visible."

The view phrases are NOT verified. HOI3DGen adds them inside its fork of
SANA's inference script (repository agshar96/Sana, branch Hoi3DGen), which no
public copy we could read shows; the paper names the views (front 0°, left
diagonal −45°, right diagonal +45°) but not the caption wording the
transformer was fine-tuned on. The defaults of `ViewPhrases` are ours; where
the phrase sits relative to the description is ours as well. Pass the exact
phrases as `ViewPhrases(...)` once known.

A description without a final period gets one (`_sentence`): the release's
CSV descriptions all end with one, so its prompts are reproduced exactly.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from numbers import Integral
from typing import Literal, get_args

from hoiexport.sdk.core.errors import InputError

ViewName = Literal["front", "left_diagonal", "right_diagonal"]
"""The three views, in the chain's order."""

VIEWS: tuple[ViewName, ...] = get_args(ViewName)

VIEW_AZIMUTH_DEG: dict[ViewName, float] = {"front": 0.0, "left_diagonal": -45.0, "right_diagonal": 45.0}
"""Camera azimuth of each view, degrees about +Y relative to the front view, as
the HOI3DGen paper states them (left diagonal −45°, right diagonal +45°). The
paper does not say whether "left" is the subject's or the image's left."""

SANA_SUFFIX = " White Background, Full Body Visible."
"""Appended to every stage-1 prompt (HOI3DGen's `create_txt_from_csv.py`)."""

RETEXTURE_SUFFIX = ". White Background, PhotoRealistic, High Detail, Realistic Looking."
"""Appended to each stripped `prompts.txt` line (description + `SANA_SUFFIX`)
for stage-2 re-texturing (HOI3DGen's `scripts/flux/retexture_depth_images.py`)."""

OFFICIAL_RETEXTURE_SEED = 42
"""The seed of every FLUX image in HOI3DGen's release
(`retexture_depth_images.py`: `generator=torch.Generator().manual_seed(42)` per image)."""

SeedPolicy = Literal["fixed", "per_view"]
"""How the seed of view k's image follows from the run's seed:
"fixed": every view uses `fixed_seed` whatever the run's seed (HOI3DGen's FLUX
stage: 42 for every image); "per_view": view k uses seed + k (ours: the run's
seed changes every image, and the views differ)."""


def _fixed_seed(seed: int, k: int, fixed_seed: int) -> int:
    return fixed_seed


def _per_view_seed(seed: int, k: int, fixed_seed: int) -> int:
    return seed + k


SEED_POLICIES: dict[SeedPolicy, Callable[[int, int, int], int]] = {
    "fixed": _fixed_seed,
    "per_view": _per_view_seed,
}
"""Seed policy → (run seed, view index, fixed seed) → the view's seed."""


def view_seed(policy: SeedPolicy, seed: int, k: int, fixed_seed: int = OFFICIAL_RETEXTURE_SEED) -> int:
    """The seed of view `k`'s image under `policy`.

    Args:
        policy: a `SEED_POLICIES` name.
        seed: the run's seed (≥ 0).
        k: the view's index in the run (0, 1, 2, ...).
        fixed_seed: the seed of every view under "fixed" (HOI3DGen: 42).

    Returns:
        A non-negative integer seed.

    Raises:
        InputError: an unknown policy, or a negative seed / index.
    """
    if policy not in SEED_POLICIES:
        raise InputError(f"unknown seed policy {policy!r}: use one of {', '.join(SEED_POLICIES)}")
    for name, value in (("seed", seed), ("view index", k), ("fixed_seed", fixed_seed)):
        if isinstance(value, bool) or not isinstance(value, Integral) or value < 0:
            raise InputError(f"{name} must be a non-negative integer, got {value!r}")
    return int(SEED_POLICIES[policy](int(seed), int(k), int(fixed_seed)))


@dataclass(frozen=True)
class ViewPhrases:
    """The phrase that names each view in a stage-1 prompt.

    The defaults are ours, not verified against the captions the HOI3DGen
    transformer was fine-tuned with (see the module docstring). Each phrase is a
    sentence; a missing final period is added when the prompt is composed.

    Attributes:
        front: phrase of the front view (azimuth 0°).
        left_diagonal: phrase of the left diagonal view (azimuth −45°).
        right_diagonal: phrase of the right diagonal view (azimuth +45°).
    """

    front: str = "Front View."
    left_diagonal: str = "Left Diagonal View."
    right_diagonal: str = "Right Diagonal View."

    def __post_init__(self) -> None:
        for name in VIEWS:
            phrase = getattr(self, name)
            if not isinstance(phrase, str) or not phrase.strip():
                raise InputError(f"ViewPhrases.{name} must be a non-empty string, got {phrase!r}")


@dataclass(frozen=True)
class View:
    """One view of the chain.

    Attributes:
        name: the view's id.
        azimuth_deg: camera azimuth about +Y relative to the front view, degrees.
        phrase: the phrase naming the view in the stage-1 prompt.
    """

    name: ViewName
    azimuth_deg: float
    phrase: str


def views(phrases: ViewPhrases | None = None) -> tuple[View, ...]:
    """The three views in the chain's order (front, left diagonal, right diagonal)."""
    phrases = phrases or ViewPhrases()
    return tuple(View(name, VIEW_AZIMUTH_DEG[name], getattr(phrases, name)) for name in VIEWS)


def _sentence(text: str, what: str) -> str:
    """`text` stripped, ending with a sentence terminator ('.' added if none)."""
    if not isinstance(text, str):
        raise InputError(f"{what} must be a string, got {type(text).__name__}")
    text = " ".join(text.split())
    if not text.strip(".!? "):
        raise InputError(f"{what} is empty: give the interaction to generate, e.g. 'A man carrying a box'")
    return text if text[-1] in ".!?" else text + "."


def view_prompt(description: str, view: ViewName | View, phrases: ViewPhrases | None = None) -> str:
    """The stage-1 (SANA) prompt of one view.

    Args:
        description: the interaction, e.g. "A man carrying a box with both hands".
        view: a view name or a `View` (whose phrase is used).
        phrases: phrase table when `view` is a name (default `ViewPhrases()`).

    Returns:
        "<description>. <view phrase> White Background, Full Body Visible."

    Raises:
        InputError: empty description or unknown view name.
    """
    desc = _sentence(description, "description")
    if isinstance(view, View):
        phrase = view.phrase
    elif view in VIEWS:
        phrase = getattr(phrases or ViewPhrases(), view)
    else:
        raise InputError(f"unknown view {view!r}: use one of {', '.join(VIEWS)}")
    return f"{desc} {_sentence(phrase, 'view phrase')}{SANA_SUFFIX}"


def view_prompts(description: str, phrases: ViewPhrases | None = None) -> list[str]:
    """The stage-1 prompts of the three views, in `views()` order.

    Raises:
        InputError: empty description.
    """
    return [view_prompt(description, v) for v in views(phrases)]


def prompt_line(description: str) -> str:
    """One line of HOI3DGen's `prompts.txt`: the description + `SANA_SUFFIX`.

    Args:
        description: the interaction, e.g. "A man carrying a box with both hands".

    Returns:
        "<description>. White Background, Full Body Visible." (whitespace
        collapsed, a final period added when there is none).

    Raises:
        InputError: empty description.
    """
    return _sentence(description, "description") + SANA_SUFFIX


def retexture_prompt(description: str) -> str:
    """The stage-2 (FLUX.1-Depth) prompt, as HOI3DGen's release builds it: the
    `prompts.txt` line (`prompt_line`) + `RETEXTURE_SUFFIX`.

    Args:
        description: the interaction, e.g. "A man carrying a box with both hands".

    Returns:
        "<description>. White Background, Full Body Visible.. White Background,
        PhotoRealistic, High Detail, Realistic Looking." (the doubled period is the
        release's: its line ends with a period and the suffix starts with one).

    Raises:
        InputError: empty description.
    """
    return prompt_line(description) + RETEXTURE_SUFFIX
