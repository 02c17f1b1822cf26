"""Body colours of the compose generator: skin, clothes, shoes and hair as vertex colours.

The prompt's colour words (`Prompt.attributes["colors"]`: slots "top", "bottom",
"shoes", "hat", "hair") colour regions of the body; slots it leaves open take a
seeded colour from a palette of everyday clothes, so different seeds dress the
same prompt differently. Skin takes `DEFAULT_SKIN`.

Regions are decided once per vertex on the rest pose (internal frame, +Y up,
metres), from the body-part labels and the SMPL-24 skin weights:

| region | vertices                                                                         |
|--------|----------------------------------------------------------------------------------|
| top    | back, torso_front; the upper arm to mid-length (short sleeves) or the whole arm to the wrist (long sleeves: jacket, coat, sweater, hoodie...) |
| bottom | hips and legs down to the ankles (shorts / skirt: down to ~10 cm above the knee) |
| shoes  | feet, up to 3 cm above the ankle joint                                            |
| hair   | head vertices above the forehead line, and the back of the head above the ears    |
| hat    | head vertices above the brow, when the prompt colours a hat                       |
| skin   | everything else (face, neck, hands, bare forearms and legs)                       |

PBR (`region_pbr`): each region is a surface material (`REGION_SURFACES`: skin,
fabric clothes and hat, leather shoes, hair; values in `objects.materials.SURFACES`),
one per face, for the exporters' ORM and normal maps.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from hoiexport.sdk.core.skeleton import JOINT_INDEX
from hoiexport.sdk.core.types import BODY_PARTS, Prompt, SurfacePBR
from hoiexport.sdk.generators.compose.objects.materials import surface_pbr

RGB = tuple[int, int, int]

DEFAULT_SKIN: RGB = (214, 168, 138)
"""sRGB skin tone of every generated body."""

TOP_PALETTE: tuple[RGB, ...] = (
    (235, 235, 232), (30, 32, 36), (40, 70, 150), (150, 35, 40), (60, 110, 70),
    (130, 130, 135), (200, 170, 90), (90, 60, 120), (220, 120, 60), (45, 120, 150),
)
BOTTOM_PALETTE: tuple[RGB, ...] = (
    (45, 65, 110), (30, 30, 34), (120, 110, 90), (80, 80, 85), (60, 80, 60), (150, 140, 120),
)
SHOE_PALETTE: tuple[RGB, ...] = ((25, 25, 28), (235, 235, 235), (90, 60, 40), (60, 60, 65))
HAIR_PALETTE: tuple[RGB, ...] = ((40, 28, 20), (25, 22, 20), (95, 60, 35), (160, 120, 70), (120, 80, 45))

_LONG_SLEEVES = frozenset(
    {"jacket", "coat", "blazer", "parka", "windbreaker", "raincoat", "cardigan", "hoodie", "sweater",
     "jumper", "sweatshirt", "suit", "tracksuit", "overalls", "uniform", "jumpsuit"}
)
_SHORT_LEGS = frozenset({"shorts", "skirt", "dress"})


@dataclass(frozen=True)
class Appearance:
    """What a body wears.

    Attributes:
        skin, top, bottom, shoes, hair: sRGB colours (0–255).
        hat: sRGB colour of a hat, or None for none.
        long_sleeves: the top covers the arms to the wrists.
        long_legs: the bottom reaches the ankles.
        sources: slot → "prompt" or "seed" (where each colour came from).
    """

    skin: RGB
    top: RGB
    bottom: RGB
    shoes: RGB
    hair: RGB
    hat: RGB | None
    long_sleeves: bool
    long_legs: bool
    sources: dict[str, str]

    def to_json(self) -> dict:
        return {
            "skin": list(self.skin), "top": list(self.top), "bottom": list(self.bottom),
            "shoes": list(self.shoes), "hair": list(self.hair),
            "hat": list(self.hat) if self.hat else None,
            "long_sleeves": self.long_sleeves, "long_legs": self.long_legs, "sources": dict(self.sources),
        }


def appearance_from_prompt(prompt: Prompt, rng: np.random.Generator) -> Appearance:
    """The clothes and hair a prompt asks for, seeded where it says nothing.

    Args:
        prompt: parsed prompt (`attributes["colors"]`, clothing words in its text).
        rng: the seed's appearance stream (always drawn the same number of times).
    """
    colors = dict(prompt.attributes.get("colors") or {})
    words = {w.strip(".,;:!?").lower() for w in prompt.text.split()}
    seeded = {
        "top": TOP_PALETTE[int(rng.integers(len(TOP_PALETTE)))],
        "bottom": BOTTOM_PALETTE[int(rng.integers(len(BOTTOM_PALETTE)))],
        "shoes": SHOE_PALETTE[int(rng.integers(len(SHOE_PALETTE)))],
        "hair": HAIR_PALETTE[int(rng.integers(len(HAIR_PALETTE)))],
    }
    out: dict[str, RGB] = {}
    sources: dict[str, str] = {}
    for slot, fallback in seeded.items():
        if slot in colors:
            out[slot] = tuple(int(c) for c in colors[slot][:3])  # type: ignore[assignment]
            sources[slot] = "prompt"
        else:
            out[slot] = fallback
            sources[slot] = "seed"
    if "dress" in words and "bottom" not in colors and "top" in colors:
        out["bottom"], sources["bottom"] = out["top"], "prompt"
    hat = tuple(int(c) for c in colors["hat"][:3]) if "hat" in colors else None
    if hat is not None:
        sources["hat"] = "prompt"
    return Appearance(
        skin=DEFAULT_SKIN,
        top=out["top"],
        bottom=out["bottom"],
        shoes=out["shoes"],
        hair=out["hair"],
        hat=hat,  # type: ignore[arg-type]
        long_sleeves=bool(words & _LONG_SLEEVES),
        long_legs=not (words & _SHORT_LEGS),
        sources=sources,
    )


def body_regions(
    rest_vertices: np.ndarray,
    rest_normals: np.ndarray,
    rest_joints: np.ndarray,
    part_labels: np.ndarray,
    skin_weights: np.ndarray,
    appearance: Appearance,
) -> np.ndarray:
    """Region name of every body vertex (module table).

    Args:
        rest_vertices: (V, 3) rest-pose vertices, metres, internal frame.
        rest_normals: (V, 3) their unit normals.
        rest_joints: (24, 3) rest-pose SMPL-24 joints, metres.
        part_labels: (V,) indices into `BODY_PARTS`.
        skin_weights: (V, 24) SMPL-24 skin weights.
        appearance: sleeve and leg lengths, hat.

    Returns:
        (V,) array of region names ("skin", "top", "bottom", "shoes", "hair", "hat").
    """
    v = np.asarray(rest_vertices, dtype=np.float64)
    labels = np.asarray(part_labels)
    part = {name: labels == i for i, name in enumerate(BODY_PARTS)}
    region = np.full(len(v), "skin", dtype=object)
    region[part["back"] | part["torso_front"]] = "top"
    dominant = np.argmax(skin_weights, axis=1)
    for side in ("left", "right"):
        arm = part[f"{side}_arm"]
        if appearance.long_sleeves:
            region[arm] = "top"
        else:
            shoulder = rest_joints[JOINT_INDEX[f"{side}_shoulder"]]
            elbow = rest_joints[JOINT_INDEX[f"{side}_elbow"]]
            axis = elbow - shoulder
            t = (v - shoulder) @ axis / (axis @ axis)
            region[arm & (t < 0.55)] = "top"
        if appearance.long_sleeves:
            wrist_only = part[f"{side}_hand"] & (dominant == JOINT_INDEX[f"{side}_wrist"])
            wrist = rest_joints[JOINT_INDEX[f"{side}_wrist"]]
            elbow = rest_joints[JOINT_INDEX[f"{side}_elbow"]]
            forearm = wrist - elbow
            t = (v - elbow) @ forearm / (forearm @ forearm)
            region[wrist_only & (t < 1.0)] = "top"
        leg = part[f"{side}_leg"]
        if appearance.long_legs:
            region[leg] = "bottom"
        else:
            knee_y = rest_joints[JOINT_INDEX[f"{side}_knee"], 1]
            region[leg & (v[:, 1] > knee_y + 0.10)] = "bottom"
        foot = part[f"{side}_foot"]
        ankle_y = rest_joints[JOINT_INDEX[f"{side}_ankle"], 1]
        region[foot & (v[:, 1] < ankle_y + 0.03)] = "shoes"
        if appearance.long_legs:
            region[foot & (v[:, 1] >= ankle_y + 0.03)] = "bottom"
    region[part["hips"]] = "bottom"
    head = part["head"]
    head_y = rest_joints[JOINT_INDEX["head"], 1]
    top_y = v[head, 1].max()
    span = top_y - head_y
    forehead = head & (v[:, 1] > head_y + 0.62 * span)
    back_of_head = head & (v[:, 1] > head_y - 0.05 * span) & (rest_normals[:, 2] < -0.25)
    region[forehead | back_of_head] = "hair"
    if appearance.hat is not None:
        region[head & (v[:, 1] > head_y + 0.55 * span)] = "hat"
    return region


REGION_SURFACES: dict[str, str] = {
    "skin": "skin", "top": "fabric", "bottom": "fabric", "shoes": "leather", "hair": "hair", "hat": "fabric",
}
"""Region name → material kind (`objects.materials.SURFACES`)."""


def region_pbr(regions: np.ndarray, faces: np.ndarray) -> SurfacePBR:
    """The body's `SurfacePBR`: one material per region, each face in the region of
    the majority of its corners (its first corner's when all three differ).

    Args:
        regions: (V,) region names of the mesh's vertices (`body_regions`).
        faces: (F, 3) int triangles of the same mesh.
    """
    names = list(REGION_SURFACES)
    index = np.array([names.index(r) for r in regions], np.int32)
    c = index[np.asarray(faces, np.int64)]
    face_region = np.where((c[:, 1] == c[:, 2]) & (c[:, 0] != c[:, 1]), c[:, 1], c[:, 0])
    return surface_pbr([REGION_SURFACES[n] for n in names], face_region)


def region_colors(regions: np.ndarray, appearance: Appearance) -> np.ndarray:
    """(V, 3) uint8 sRGB vertex colours of region names."""
    table = {
        "skin": appearance.skin, "top": appearance.top, "bottom": appearance.bottom,
        "shoes": appearance.shoes, "hair": appearance.hair, "hat": appearance.hat or appearance.hair,
    }
    out = np.empty((len(regions), 3), dtype=np.uint8)
    for name, rgb in table.items():
        out[regions == name] = rgb
    return out
