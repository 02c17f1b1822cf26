"""The template annotator: the fields of a decomposed annotation computed from the
sample itself, with no model weights.

It is not a language model and does not pretend to be one: `Annotators` use it
for every field when no model is loaded, and field by field wherever a model's
answer is rejected (the provenance says which). What it computes:

- appearance (`template_appearance`): the dominant surface colour of body-part
  regions of the human (vertex colours, or the texture under the UVs), named by
  the nearest colour word of `sdk.prompt.lexicon.COLORS` in CIELAB (hair by
  `HAIR_COLORS`), and the object's dominant colour; the object material from the
  bundle's object provenance, else from its prompt's material word, else
  "unknown". Regions:

  | field  | human vertices                                                      |
  |--------|---------------------------------------------------------------------|
  | top    | back, torso_front                                                   |
  | bottom | hips, left_leg, right_leg                                           |
  | shoes  | left_foot, right_foot                                               |
  | hair   | head vertices in the top 38 % of the neck → head-top span (posed)   |

- action (`template_action`): the sample's requested action, else the first of
  `lexicon.ACTIONS` whose default contact (`lexicon.DEFAULT_CONTACT`) is the
  measured configuration, else the first whose default is its left/right mirror.
- caption (`template_caption`): a sentence from fixed phrases the prompt parser
  reads back (`parse_prompt`) to the same configuration and object; candidates
  are tried from the fullest (appearance, the annotated action) to the plainest
  (the configuration's canonical action), and the first that parses back wins.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.spatial import cKDTree

from hoiexport.sdk.contacts.analysis import vertex_areas
from hoiexport.sdk.core.errors import InputError
from hoiexport.sdk.core.skeleton import JOINT_INDEX
from hoiexport.sdk.core.types import BODY_PARTS, ContactConfig, HOIAsset, Mesh
from hoiexport.sdk.prompt import lexicon as lx
from hoiexport.sdk.prompt import parse_prompt
from hoiexport.sdk.prompt.parse import verb_forms

TEMPLATE_NAME = "template"
"""Backend name recorded in provenance for template-computed fields."""

APPEARANCE_FIELDS: tuple[str, ...] = ("top", "bottom", "hair", "shoes", "object_color", "object_material")
"""The appearance fields of an annotation, in order."""

UNKNOWN = "unknown"
"""Value of an appearance field nothing could determine."""

HAIR_ONLY_WORDS: frozenset[str] = frozenset({"blonde", "blond", "brunette", "auburn", "ginger"})
"""Colour words that name hair only; clothes and objects are never called these."""

REGION_PARTS: dict[str, tuple[str, ...]] = {
    "top": ("back", "torso_front"),
    "bottom": ("hips", "left_leg", "right_leg"),
    "shoes": ("left_foot", "right_foot"),
    "hair": ("head",),
}
"""Appearance field → the body parts whose surface it is read from."""

HAIR_FRACTION = 0.38
"""Hair is the head vertices in the top `HAIR_FRACTION` of the neck → head-top span."""

QUANT_LEVELS = 16
"""Colours are binned per channel into this many levels to find the dominant one."""


# ----------------------------------------------------------------------------- colours


def srgb_to_lab(rgb: np.ndarray) -> np.ndarray:
    """CIELAB (D65) of sRGB colours.

    Args:
        rgb: (..., 3) sRGB, 0–255.

    Returns:
        (..., 3) float64 L*, a*, b*.
    """
    c = np.asarray(rgb, dtype=np.float64) / 255.0
    lin = np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)
    m = np.array([[0.4124564, 0.3575761, 0.1804375],
                  [0.2126729, 0.7151522, 0.0721750],
                  [0.0193339, 0.1191920, 0.9503041]])
    xyz = lin @ m.T / np.array([0.95047, 1.0, 1.08883])
    f = np.where(xyz > (6 / 29) ** 3, np.cbrt(xyz), xyz / (3 * (6 / 29) ** 2) + 4 / 29)
    return np.stack([116 * f[..., 1] - 16, 500 * (f[..., 0] - f[..., 1]), 200 * (f[..., 1] - f[..., 2])], axis=-1)


def _palette(table: Mapping[str, tuple[int, int, int]], exclude: frozenset[str] = frozenset()) -> tuple[
        tuple[str, ...], np.ndarray]:
    names = tuple(n for n in table if n not in exclude)
    return names, srgb_to_lab(np.array([table[n] for n in names], dtype=np.float64))


_CLOTH_PALETTE = _palette(lx.COLORS, HAIR_ONLY_WORDS)
_HAIR_PALETTE = _palette(lx.HAIR_COLORS)


def color_name(rgb: Sequence[float], hair: bool = False) -> str:
    """The nearest colour word (CIELAB distance; ties → first in the lexicon).

    Args:
        rgb: sRGB 0–255.
        hair: name it with `lexicon.HAIR_COLORS` (hair reads "red" for copper).
    """
    names, lab = _HAIR_PALETTE if hair else _CLOTH_PALETTE
    d = np.linalg.norm(lab - srgb_to_lab(np.asarray(rgb, dtype=np.float64)[:3]), axis=1)
    return names[int(np.argmin(d))]


def dominant_color(colors: np.ndarray, weights: np.ndarray) -> tuple[int, int, int] | None:
    """The colour covering the most surface.

    Colours are binned into `QUANT_LEVELS`³ bins; the bin with the largest summed
    weight wins and its weighted mean colour is returned.

    Args:
        colors: (N, 3) uint8 sRGB.
        weights: (N,) non-negative weights (vertex areas, m²).

    Returns:
        (r, g, b) 0–255, or None when there is no weight.
    """
    colors = np.asarray(colors)[:, :3].astype(np.int64)
    weights = np.asarray(weights, dtype=np.float64)
    if len(colors) == 0 or not weights.sum() > 0:
        return None
    q = colors * QUANT_LEVELS // 256
    key = (q[:, 0] * QUANT_LEVELS + q[:, 1]) * QUANT_LEVELS + q[:, 2]
    totals = np.bincount(key, weights=weights, minlength=QUANT_LEVELS**3)
    sel = key == int(np.argmax(totals))
    w = weights[sel]
    mean = (colors[sel] * w[:, None]).sum(axis=0) / w.sum()
    return (int(round(mean[0])), int(round(mean[1])), int(round(mean[2])))


def surface_colors(mesh: Mesh) -> np.ndarray | None:
    """(V, 3) uint8 sRGB colour of each vertex: its vertex colour, else the texel of
    its UV (nearest, clamped to the image); None when the mesh has neither."""
    if mesh.colors is not None:
        return np.asarray(mesh.colors)[:, :3]
    if mesh.texture is not None and mesh.uv is not None:
        img = mesh.texture.image
        h, w = img.shape[:2]
        uv = np.clip(np.nan_to_num(mesh.uv.astype(np.float64)), 0.0, 1.0)
        col = np.minimum((uv[:, 0] * w).astype(np.int64), w - 1)
        row = np.minimum((uv[:, 1] * h).astype(np.int64), h - 1)  # glTF: v grows downwards
        return np.asarray(img[row, col, :3])
    return None


# ----------------------------------------------------------------------------- appearance


@dataclass(frozen=True)
class TemplateField:
    """One template-computed appearance value.

    Attributes:
        value: the word(s) ("navy", "wood", or `UNKNOWN`).
        method: how it was computed, for provenance.
        rgb: the colour it names, sRGB 0–255, when it is a colour.
    """

    value: str
    method: str
    rgb: tuple[int, int, int] | None = None


def human_part_labels(asset: HOIAsset) -> np.ndarray:
    """(V_human,) int indices into `BODY_PARTS` for the human surface: the body's own
    labels when the human is the body mesh, else each vertex's nearest body vertex's
    (as `contacts.analyze_asset` does)."""
    body = asset.body
    if len(asset.human.vertices) == len(body.mesh.vertices):
        return np.asarray(body.part_labels, dtype=np.int64)
    _, nearest = cKDTree(body.mesh.vertices.astype(np.float64)).query(asset.human.vertices.astype(np.float64))
    return np.asarray(body.part_labels, dtype=np.int64)[nearest]


def _hair_mask(asset: HOIAsset, head: np.ndarray) -> np.ndarray:
    """Head vertices in the top `HAIR_FRACTION` of the neck → head-top span (posed frame)."""
    joints = asset.body.joints.astype(np.float64)
    neck, top_joint = joints[JOINT_INDEX["neck"]], joints[JOINT_INDEX["head"]]
    axis = top_joint - neck
    if not np.linalg.norm(axis) > 0 or not head.any():
        return head
    axis /= np.linalg.norm(axis)
    t = (asset.human.vertices.astype(np.float64) - neck) @ axis
    lo, hi = float(t[head].min()), float(t[head].max())
    return head & (t >= hi - HAIR_FRACTION * (hi - lo))


def _material(asset: HOIAsset) -> TemplateField:
    notes = asset.provenance.notes.get("object") if isinstance(asset.provenance.notes, dict) else None
    if isinstance(notes, dict):
        mats = notes.get("materials")
        main = mats.get("main") if isinstance(mats, dict) else None
        for value, where in ((notes.get("material"), "material"), (main, "materials.main")):
            if isinstance(value, str) and value:
                return TemplateField(value, f"bundle provenance notes.object.{where}")
    value = asset.prompt.attributes.get("material") if isinstance(asset.prompt.attributes, dict) else None
    if isinstance(value, str) and value:
        return TemplateField(value, "bundle prompt attributes.material")
    return TemplateField(UNKNOWN, "no material recorded in the bundle")


def template_appearance(asset: HOIAsset) -> dict[str, TemplateField]:
    """Appearance fields measured on a sample's meshes (module table).

    Args:
        asset: the sample's bundle (human with vertex colours or a texture, body
            with part labels and posed joints, object).

    Returns:
        Every `APPEARANCE_FIELDS` name → `TemplateField` (`UNKNOWN` where the
        surface has no colour).
    """
    out: dict[str, TemplateField] = {}
    colors = surface_colors(asset.human)
    labels = human_part_labels(asset)
    areas = vertex_areas(asset.human)
    for field, parts in REGION_PARTS.items():
        mask = np.isin(labels, [BODY_PARTS.index(p) for p in parts])
        if field == "hair":
            mask = _hair_mask(asset, mask)
        rgb = dominant_color(colors[mask], areas[mask]) if colors is not None else None
        method = f"dominant surface colour of {'+'.join(parts)}" + (" (top of the head)" if field == "hair" else "")
        out[field] = (TemplateField(color_name(rgb, hair=field == "hair"), method, rgb) if rgb is not None
                      else TemplateField(UNKNOWN, "the human surface has no colours"))
    obj_colors = surface_colors(asset.object)
    rgb = dominant_color(obj_colors, vertex_areas(asset.object)) if obj_colors is not None else None
    out["object_color"] = (TemplateField(color_name(rgb), "dominant surface colour of the object", rgb)
                           if rgb is not None else TemplateField(UNKNOWN, "the object surface has no colours"))
    out["object_material"] = _material(asset)
    return {k: out[k] for k in APPEARANCE_FIELDS}


# ----------------------------------------------------------------------------- action


_MIRROR: dict[ContactConfig, ContactConfig] = {
    ContactConfig.LEFT_HAND: ContactConfig.RIGHT_HAND,
    ContactConfig.RIGHT_HAND: ContactConfig.LEFT_HAND,
    ContactConfig.LEFT_LEG: ContactConfig.RIGHT_LEG,
    ContactConfig.RIGHT_LEG: ContactConfig.LEFT_LEG,
}


def template_action(config: ContactConfig, requested: str | None = None) -> tuple[str, str]:
    """The template's action for a measured configuration.

    Args:
        config: the measured contact configuration.
        requested: the sample record's requested action (used when it is one of
            `lexicon.ACTIONS`).

    Returns:
        (action, method for provenance).
    """
    if requested in lx.ACTIONS:
        return str(requested), "the sample record's requested action"
    for target, how in ((config, "default contact is"), (_MIRROR.get(config), "default contact mirrors")):
        for action in lx.ACTIONS:
            if target is not None and lx.DEFAULT_CONTACT[action] is target:
                return action, f"first action whose {how} the measured configuration"
    return "stand", "no action defaults to the configuration"  # unreachable with the lexicon's table


# ----------------------------------------------------------------------------- caption

CANONICAL_ACTION: dict[ContactConfig, str] = {
    ContactConfig.RIGHT_HAND: "hold",
    ContactConfig.LEFT_HAND: "hold",
    ContactConfig.BOTH_HANDS: "hold",
    ContactConfig.BACK: "lean",
    ContactConfig.RIGHT_LEG: "kick",
    ContactConfig.LEFT_LEG: "kick",
    ContactConfig.NO_CONTACT: "stand",
    ContactConfig.OTHER: "sit",
}
"""The action the plainest caption of each configuration uses."""


def _contact_back(action: str, parts: Sequence[str]) -> str:
    return {"carry": "on their back", "lie": "", "sit": "with their back against its backrest"}.get(
        action, "with their back")


def _contact_other(action: str, parts: Sequence[str]) -> str:
    return ""


CONTACT_PHRASES: dict[ContactConfig, Callable[[str, Sequence[str]], str]] = {
    ContactConfig.RIGHT_HAND: lambda action, parts: "in their right hand",
    ContactConfig.LEFT_HAND: lambda action, parts: "in their left hand",
    ContactConfig.BOTH_HANDS: lambda action, parts: "with both hands",
    ContactConfig.BACK: _contact_back,
    ContactConfig.RIGHT_LEG: lambda action, parts: "with their right foot",
    ContactConfig.LEFT_LEG: lambda action, parts: "with their left foot",
    ContactConfig.NO_CONTACT: lambda action, parts: "without touching it",
    ContactConfig.OTHER: _contact_other,
}
"""Configuration → the contact phrase after the object (given the action and the
touching parts); every phrase is one `parse_prompt` maps back to the configuration."""


def _other_action(action: str, parts: Sequence[str]) -> str:
    """Supported "other" contacts: sitting on (the hips) or standing on (the feet)."""
    if action in ("sit", "stand"):
        return action
    feet = {"left_foot", "right_foot"} & set(parts)
    return "stand" if feet and "hips" not in parts else "sit"


def verb_phrase(action: str, config: ContactConfig) -> str:
    """The -ing verb phrase of an action before its object ("carrying", "sitting on")."""
    if action == "stand":
        return "standing next to" if config is ContactConfig.NO_CONTACT else "standing on"
    fixed = {"sit": "sitting on", "lie": "lying on", "lean": "leaning against"}
    if action in fixed:
        return fixed[action]
    head = lx.ACTION_VERBS[action][0].split()[0]
    return verb_forms(head)[2]


def article(word: str) -> str:
    """"an" before a vowel letter, else "a"."""
    return "an" if word[:1].lower() in "aeiou" else "a"


_WORD_RE = re.compile(r"^[a-z][a-z -]{0,30}$")


def _usable(value: str | None) -> bool:
    return isinstance(value, str) and value != UNKNOWN and bool(_WORD_RE.match(value))


def _appearance_clause(appearance: Mapping[str, str]) -> str:
    pieces = []
    if _usable(appearance.get("top")):
        pieces.append(f"{article(appearance['top'])} {appearance['top']} top")
    if _usable(appearance.get("bottom")):
        pieces.append(f"{appearance['bottom']} trousers")
    if _usable(appearance.get("shoes")):
        pieces.append(f"{appearance['shoes']} shoes")
    clause = ""
    if pieces:
        clause = " in " + (", ".join(pieces[:-1]) + " and " + pieces[-1] if len(pieces) > 1 else pieces[0])
    if _usable(appearance.get("hair")):
        clause += f" with {appearance['hair']} hair"
    return clause


def _object_phrase(obj: str, appearance: Mapping[str, str]) -> str:
    words = [appearance[k] for k in ("object_color", "object_material") if _usable(appearance.get(k))]
    phrase = " ".join([*words, obj.replace("_", " ")])
    return f"{article(phrase)} {phrase}"


def compose_caption(config: ContactConfig, obj: str, action: str, appearance: Mapping[str, str] | None = None,
                    parts: Sequence[str] = ()) -> str:
    """One caption sentence from fixed phrases (not checked; see `template_caption`).

    Args:
        config: the contact configuration it states.
        obj: object category (a `lexicon.OBJECT_WORDS` category reads back).
        action: one of `lexicon.ACTIONS`.
        appearance: appearance field → words (`UNKNOWN` and non-word values are left out).
        parts: the touching body parts (pick the phrase of "other" contacts).
    """
    if config is ContactConfig.OTHER:
        action = _other_action(action, parts)
    contact = CONTACT_PHRASES[config](action, parts)
    text = f"A person{_appearance_clause(appearance or {})} {verb_phrase(action, config)} " \
           f"{_object_phrase(obj, appearance or {})}"
    return (f"{text} {contact}" if contact else text) + "."


def caption_matches(caption: str, config: ContactConfig, obj: str) -> bool:
    """Whether `parse_prompt(caption)` gives back `config` and the object category `obj`."""
    try:
        parsed = parse_prompt(caption)
    except InputError:
        return False
    return parsed.requested_config is config and parsed.object == obj


def caption_candidates(config: ContactConfig, obj: str, action: str, appearance: Mapping[str, str] | None = None,
                       parts: Sequence[str] = ()) -> list[str]:
    """Template captions from the fullest to the plainest, without repeats."""
    out: list[str] = []
    for look in (appearance, None):
        for act in (action, CANONICAL_ACTION[config]):
            text = compose_caption(config, obj, act, look, parts)
            if text not in out:
                out.append(text)
    return out


def template_caption(config: ContactConfig, obj: str, action: str, appearance: Mapping[str, str] | None = None,
                     parts: Sequence[str] = ()) -> tuple[str, bool]:
    """The first template caption that parses back to `config` and `obj`.

    Returns:
        (caption, whether it parses back); when none does (an object category the
        prompt lexicon does not know), the plainest caption and False.
    """
    candidates = caption_candidates(config, obj, action, appearance, parts)
    for text in candidates:
        if caption_matches(text, config, obj):
            return text, True
    return candidates[-1], False


def describe_fields(config: ContactConfig, obj: str, action: str, appearance: Mapping[str, str],
                    parts: Sequence[str] = ()) -> dict[str, Any]:
    """The facts a caption states, as plain words (the LLM's input)."""
    if config is ContactConfig.OTHER:
        action = _other_action(action, parts)
    return {
        "action": verb_phrase(action, config),
        "object": obj.replace("_", " "),
        "contact": CONTACT_PHRASES[config](action, parts),
        **{k: v for k, v in appearance.items() if _usable(v)},
    }
