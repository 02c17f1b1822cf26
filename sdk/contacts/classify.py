"""The 8 HOI3DGen contact configurations from the set of touching body parts.

Rule, applied to T, the set of parts touching the object (names from
`BODY_PARTS`), first match wins:

1. T is empty → `no_contact`.
2. right_hand ∈ T ⊆ {right_hand, right_arm, torso_front} → `right_hand`
   (a hand may lean on its own forearm or press the object to the chest).
3. left_hand ∈ T ⊆ {left_hand, left_arm, torso_front} → `left_hand`.
4. {right_hand, left_hand} ⊆ T ⊆ {both hands, both arms, torso_front} →
   `both_hands` (carrying a box against the chest, hugging a ball).
5. back ∈ T ⊆ {back, hips, head} → `back` (a backpack, leaning against a wall
   or a backrest with the buttocks and the back of the head touching too).
6. T ⊆ {right_leg, right_foot} → `right_leg` (kicking a ball, a foot on a step).
7. T ⊆ {left_leg, left_foot} → `left_leg`.
8. anything else → `other`.

So `other` holds the full-body and mixed contacts, as in HOI3DGen: sitting on
a stool (hips only, or hips with the thighs), sitting on a chair (back + hips +
legs), lying on a bed, standing on a board with both feet, an arm without its
hand, the head alone, a hand with a foot. Hips alone is `other`, not `back`:
the buttocks carry the body's weight (a support contact like sitting or
lying), while `back` means the object rests against the back.
"""

from __future__ import annotations

from collections.abc import Iterable

from hoiexport.sdk.core.errors import InputError
from hoiexport.sdk.core.types import BODY_PARTS, ContactConfig

_SINGLE_HAND = {
    "right_hand": frozenset({"right_hand", "right_arm", "torso_front"}),
    "left_hand": frozenset({"left_hand", "left_arm", "torso_front"}),
}
_BOTH_HANDS = frozenset({"right_hand", "left_hand", "right_arm", "left_arm", "torso_front"})
_BACK = frozenset({"back", "hips", "head"})
_RIGHT_LEG = frozenset({"right_leg", "right_foot"})
_LEFT_LEG = frozenset({"left_leg", "left_foot"})


def classify_contacts(touching: Iterable[str]) -> ContactConfig:
    """Contact configuration of a set of touching body parts (module docstring).

    Args:
        touching: names of the parts touching the object, from `BODY_PARTS`.

    Returns:
        One of the 8 `ContactConfig` values.

    Raises:
        InputError: a name that is not a body part.
    """
    parts = frozenset(touching)
    unknown = sorted(parts - set(BODY_PARTS))
    if unknown:
        raise InputError(f"unknown body part(s) {unknown}; use names from BODY_PARTS: {', '.join(BODY_PARTS)}")
    if not parts:
        return ContactConfig.NO_CONTACT
    if "right_hand" in parts and parts <= _SINGLE_HAND["right_hand"]:
        return ContactConfig.RIGHT_HAND
    if "left_hand" in parts and parts <= _SINGLE_HAND["left_hand"]:
        return ContactConfig.LEFT_HAND
    if {"right_hand", "left_hand"} <= parts <= _BOTH_HANDS:
        return ContactConfig.BOTH_HANDS
    if "back" in parts and parts <= _BACK:
        return ContactConfig.BACK
    if parts <= _RIGHT_LEG:
        return ContactConfig.RIGHT_LEG
    if parts <= _LEFT_LEG:
        return ContactConfig.LEFT_LEG
    return ContactConfig.OTHER
