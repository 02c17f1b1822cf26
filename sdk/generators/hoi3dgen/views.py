"""The three views of the `hoi3dgen` chain and the prompts of stages 1 and 2.

Stage 1 (view-conditioned SANA) renders one image per view; its prompt is the
interaction description, then the view phrase, then the suffix HOI3DGen's
pipeline appends to every SANA prompt::

    "<description>. <view phrase> White Background, Full Body Visible."

Stage 2 (FLUX.1-Depth re-texturing) uses the description with HOI3DGen's
re-texturing suffix::

    "<description>. White Background, PhotoRealistic, High Detail, Realistic Looking."

Provenance of the strings:
- `SANA_SUFFIX` is HOI3DGen's (`scripts/utils/create_txt_from_csv.py` of
  github.com/agshar96/Hoi3DGen appends it to each description).
- `RETEXTURE_SUFFIX` is HOI3DGen's (`scripts/flux/retexture_depth_images.py`).
- The view phrases are NOT verified. HOI3DGen adds them inside its fork of
  SANA's inference script (`--add_camera_control True`, repository
  agshar96/Sana, branch Hoi3DGen), which no public copy we could read shows; the
  paper names the views (front 0°, left diagonal −45°, right diagonal +45°) but
  not the caption wording the transformer was fine-tuned on. The defaults of
  `ViewPhrases` are ours; where the phrase sits relative to the description is
  ours as well. Pass the exact phrases as `ViewPhrases(...)` once known.
"""

from __future__ import annotations

from dataclasses import dataclass
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
"""Appended to the description for stage-2 re-texturing (HOI3DGen's
`retexture_depth_images.py`)."""


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


def retexture_prompt(description: str) -> str:
    """The stage-2 (FLUX.1-Depth) prompt.

    Args:
        description: the interaction; a trailing period is dropped so the suffix
            does not double it.

    Returns:
        "<description>. White Background, PhotoRealistic, High Detail, Realistic Looking."

    Raises:
        InputError: empty description.
    """
    if not isinstance(description, str):
        raise InputError(f"description must be a string, got {type(description).__name__}")
    desc = " ".join(description.split()).rstrip(".").rstrip()
    if not desc:
        raise InputError("description is empty: give the interaction to generate, e.g. 'A man carrying a box'")
    return desc + RETEXTURE_SUFFIX
