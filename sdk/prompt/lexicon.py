"""Word lists for the prompt parser (DESIGN §7 "compose").

Plain data: canonical actions and their verb synonyms, object nouns and their
synonyms (with the object-library style each one implies), body parts, colours,
materials, clothing nouns and body-shape words. `prompt_parse` reads these tables;
nothing here parses.

Multi-word phrases are written with single spaces; the tokeniser splits hyphens,
so "t-shirt" matches "t shirt" and "middle-aged" matches "middle aged".
"""

from __future__ import annotations

from dataclasses import dataclass

from hoiexport.sdk.core.types import ContactConfig

# --------------------------------------------------------------------------- actions

ACTIONS: tuple[str, ...] = (
    "stand",
    "sit",
    "lean",
    "carry",
    "carry_two_hands",
    "lift",
    "hold",
    "drag",
    "push",
    "pull",
    "kick",
    "lie",
    "rest_foot",
    "step_on",
    "lean_side",
    "lean_forearms",
    "sit_floor",
    "kneel",
    "squat",
    "crouch",
    "hug",
    "grab",
    "raise_overhead",
    "hold_out",
    "throw",
    "point_at",
    "carry_shoulder",
    "carry_under_arm",
)
"""Canonical action names of the compose action library (the first twelve are the
original ones; tables that pick "the first action whose ..." keep their order)."""

POSSESSIVES: tuple[str, ...] = ("his", "her", "their", "my", "your", "one", "a", "the")
"""Words standing for "~" in the phrase templates below ("rest ~ foot on")."""


def _expand(*templates: str) -> tuple[str, ...]:
    """Phrase templates → phrases: "~" becomes each of `POSSESSIVES`, "[side]" becomes
    nothing, "left" and "right" ("on ~ [side] shoulder" → "on his shoulder", "on her left shoulder" ...)."""
    out: list[str] = []
    for template in templates:
        for poss in POSSESSIVES if "~" in template else ("",):
            for side in ("", "left ", "right ") if "[side]" in template else ("",):
                phrase = template.replace("~", poss).replace("[side] ", side)
                if phrase not in out:
                    out.append(phrase)
    return tuple(out)


ACTION_VERBS: dict[str, tuple[str, ...]] = {
    "stand": ("stand", "wait", "pose", "stand still"),
    "sit": ("sit", "perch", "sit down"),
    "lean": ("lean", "rest against", "lean back"),
    "carry": ("carry", "tote", "lug", "transport"),
    "carry_two_hands": ("carry with both hands", "carry with two hands"),
    "lift": ("lift", "raise", "hoist", "heave", "pick up", "lift up"),
    "hold": ("hold", "grip", "grasp", "clutch", "clasp", "cradle", "hold up"),
    "drag": ("drag", "tow", "haul", "wheel", "roll"),
    "push": ("push", "shove", "nudge"),
    "pull": ("pull", "tug", "yank"),
    "kick": ("kick", "punt"),
    "lie": ("lie", "recline", "sprawl", "lie down"),
    "rest_foot": ("rest a foot on", *_expand("rest ~ [side] foot on", "rest ~ [side] foot upon",
                                             "put ~ [side] foot on", "put ~ [side] foot up on",
                                             "prop ~ [side] foot on", "prop ~ [side] foot up on",
                                             "place ~ [side] foot on", "set ~ [side] foot on",
                                             "plant ~ [side] foot on")),
    "step_on": ("step on", "step onto", "step up on", "step up onto", "climb on", "climb onto", "climb up on",
                "climb up onto", "get on", "get up on", "get onto", "hop on", "hop onto", "mount"),
    "lean_side": ("lean sideways against", "lean sideways on", "lean sideways",
                  *_expand("lean ~ [side] shoulder against", "lean ~ [side] shoulder on", "lean ~ side against")),
    "lean_forearms": ("lean on the forearms", *_expand("lean on ~ forearms", "lean on ~ elbows",
                                                       "rest ~ forearms on", "rest ~ elbows on",
                                                       "prop ~ elbows on", "lean ~ forearms on",
                                                       "lean ~ elbows on")),
    "sit_floor": ("sit on the floor", "sit on the ground", "sit down on the floor", "sit down on the ground",
                  "sit cross legged", "sit cross legged on the floor"),
    "kneel": ("kneel", "kneel down", "genuflect"),
    "squat": ("squat", "squat down", "hunker down"),
    "crouch": ("crouch", "crouch down", "hunch down"),
    "hug": ("hug", "embrace", "cuddle", "squeeze", *_expand("wrap ~ arms around", "put ~ arms around",
                                                           "throw ~ arms around")),
    "grab": ("grab", "snatch", "seize", "grab hold of", "take hold of", "catch hold of", "get hold of"),
    "raise_overhead": ("raise overhead", "lift overhead", "hold overhead", "hoist overhead", "press overhead",
                       *_expand("raise above ~ head", "hold above ~ head", "lift above ~ head",
                                "hold up over ~ head")),
    "hold_out": ("hold out", "hold forward", "stretch out", "extend", "offer", "proffer", "present"),
    "throw": ("throw", "toss", "hurl", "fling", "lob", "chuck"),
    "point_at": ("point at", "point to", "point towards", "point toward", "gesture at", "gesture to",
                 "gesture towards", "gesture toward"),
    "carry_shoulder": ("carry on the shoulder", "shoulder", "sling"),
    "carry_under_arm": ("carry under the arm", "tuck", "tuck away"),
}
"""Canonical action → base-form verb phrases (first word gets inflected). The first
phrase names the action in the annotators' constrained choice (`training.data.annotate`)."""

ACTION_MODIFIERS: tuple[tuple[tuple[str, ...], tuple[str, ...], str], ...] = (
    (("carry", "carry_two_hands", "lift"),
     _expand("on ~ [side] shoulder", "on ~ shoulders", "over ~ [side] shoulder", "onto ~ [side] shoulder",
             "across ~ shoulders"), "carry_shoulder"),
    (("carry", "carry_two_hands", "hold", "lift"), _expand("under ~ [side] arm", "beneath ~ [side] arm"),
     "carry_under_arm"),
    (("carry", "carry_two_hands", "hold", "lift"),
     ("overhead", "over head", *_expand("over ~ head", "above ~ head", "over ~ heads", "above ~ heads")),
     "raise_overhead"),
    (("hold",), ("out in front", "at arm's length", "at arms length", "at arm length", "outstretched",
                 "out in front of him", "out in front of her", "out in front of them"), "hold_out"),
    (("lean",), ("sideways", *_expand("with ~ [side] shoulder", "on ~ [side] shoulder", "~ [side] shoulder against")),
     "lean_side"),
    (("lean",), _expand("on ~ forearms", "on ~ elbows", "with ~ forearms", "with ~ elbows", "~ forearms on",
                        "~ elbows on"), "lean_forearms"),
    (("sit",), ("on the floor", "on the ground", "on the carpet", "on the rug", "cross legged"), "sit_floor"),
)
"""(actions, phrases, refined action): a phrase after the verb (before the next
verb) that turns the verb's action into a more specific one ("carrying a box on his
shoulder" → carry_shoulder, "sitting on the floor next to a box" → sit_floor).
Only when the text gives the action (an explicit `action` wins)."""

IRREGULAR_VERBS: dict[str, tuple[str, ...]] = {
    "stand": ("stand", "stands", "standing", "stood"),
    "sit": ("sit", "sits", "sitting", "sat", "seated"),
    "lean": ("lean", "leans", "leaning", "leaned", "leant"),
    "hold": ("hold", "holds", "holding", "held"),
    "lie": ("lie", "lies", "lying", "lay", "lain"),
    "carry": ("carry", "carries", "carrying", "carried"),
    "drag": ("drag", "drags", "dragging", "dragged"),
    "grip": ("grip", "grips", "gripping", "gripped"),
    "clasp": ("clasp", "clasps", "clasping", "clasped"),
    "hug": ("hug", "hugs", "hugging", "hugged"),
    "tug": ("tug", "tugs", "tugging", "tugged"),
    "lug": ("lug", "lugs", "lugging", "lugged"),
    "wheel": ("wheel", "wheels", "wheeling"),  # "wheeled" is an adjective
    "roll": ("roll", "rolls"),  # "rolling suitcase" is an adjective
    "rest": ("rest", "rests", "resting", "rested"),
    "pick": ("pick", "picks", "picking", "picked"),
    "put": ("put", "puts", "putting"),
    "set": ("set", "sets", "setting"),
    "prop": ("prop", "props", "propping", "propped"),
    "step": ("step", "steps", "stepping", "stepped"),
    "get": ("get", "gets", "getting", "got", "gotten"),
    "hop": ("hop", "hops", "hopping", "hopped"),
    "kneel": ("kneel", "kneels", "kneeling", "knelt", "kneeled"),
    "squat": ("squat", "squats", "squatting", "squatted"),
    "grab": ("grab", "grabs", "grabbing", "grabbed"),
    "snatch": ("snatch", "snatches", "snatching", "snatched"),
    "take": ("take", "takes", "taking", "took", "taken"),
    "catch": ("catch", "catches", "catching", "caught"),
    "throw": ("throw", "throws", "throwing", "threw", "thrown"),
    "fling": ("fling", "flings", "flinging", "flung"),
    "lob": ("lob", "lobs", "lobbing", "lobbed"),
    "sling": ("sling", "slings", "slinging", "slung"),
    "present": ("present", "presents", "presenting"),  # "present" is also an adjective
    "wrap": ("wrap", "wraps", "wrapping", "wrapped"),
    "shoulder": ("shouldering", "shouldered"),  # "shoulder(s)" is the noun
}
"""Verbs whose inflections the regular rules below would get wrong (or that are
nouns in some forms)."""

ACTION_IMPLIED_CONTACT: dict[str, ContactConfig] = {
    "hug": ContactConfig.BOTH_HANDS,
    "embrace": ContactConfig.BOTH_HANDS,
    "cradle": ContactConfig.BOTH_HANDS,
    "heave": ContactConfig.BOTH_HANDS,
    "cuddle": ContactConfig.BOTH_HANDS,
}
"""Verb (base form) → contact it implies when the text names no body part."""

DEFAULT_CONTACT: dict[str, ContactConfig] = {
    "stand": ContactConfig.NO_CONTACT,
    "sit": ContactConfig.OTHER,
    "lean": ContactConfig.BACK,
    "carry": ContactConfig.RIGHT_HAND,
    "carry_two_hands": ContactConfig.BOTH_HANDS,
    "lift": ContactConfig.BOTH_HANDS,
    "hold": ContactConfig.RIGHT_HAND,
    "drag": ContactConfig.RIGHT_HAND,
    "push": ContactConfig.BOTH_HANDS,
    "pull": ContactConfig.RIGHT_HAND,
    "kick": ContactConfig.RIGHT_LEG,
    "lie": ContactConfig.BACK,
    "rest_foot": ContactConfig.RIGHT_LEG,
    "step_on": ContactConfig.OTHER,
    "lean_side": ContactConfig.OTHER,
    "lean_forearms": ContactConfig.BOTH_HANDS,
    "sit_floor": ContactConfig.NO_CONTACT,
    "kneel": ContactConfig.NO_CONTACT,
    "squat": ContactConfig.NO_CONTACT,
    "crouch": ContactConfig.NO_CONTACT,
    "hug": ContactConfig.BOTH_HANDS,
    "grab": ContactConfig.RIGHT_HAND,
    "raise_overhead": ContactConfig.BOTH_HANDS,
    "hold_out": ContactConfig.RIGHT_HAND,
    "throw": ContactConfig.RIGHT_HAND,
    "point_at": ContactConfig.NO_CONTACT,
    "carry_shoulder": ContactConfig.OTHER,
    "carry_under_arm": ContactConfig.OTHER,
}
"""Contact configuration assumed for an action when the text names no body part.

| action          | default      | body parts (`ACTION_PARTS` / the configuration's) |
|-----------------|--------------|---------------------------------------------------|
| stand           | no_contact   | —                                                 |
| sit             | other        | hips                                              |
| lean            | back         | back                                              |
| carry           | right_hand   | right_hand                                        |
| carry_two_hands | both_hands   | right_hand, left_hand                             |
| lift            | both_hands   | right_hand, left_hand                             |
| hold            | right_hand   | right_hand                                        |
| drag            | right_hand   | right_hand                                        |
| push            | both_hands   | right_hand, left_hand                             |
| pull            | right_hand   | right_hand                                        |
| kick            | right_leg    | right_foot                                        |
| lie             | back         | back, hips                                        |
| rest_foot       | right_leg    | right_foot (raised onto a low support)            |
| step_on         | other        | left_foot, right_foot (standing on its top)       |
| lean_side       | other        | right_arm (the shoulder / forearm, not the hand)  |
| lean_forearms   | both_hands   | right_hand, left_hand (the forearms with them)    |
| sit_floor       | no_contact   | — (back: the back against its side)               |
| kneel           | no_contact   | — (other: both knees on its top)                  |
| squat           | no_contact   | — (other: both feet on its top)                   |
| crouch          | no_contact   | — (other: both feet on its top)                   |
| hug             | both_hands   | right_hand, left_hand (the arms around it)        |
| grab            | right_hand   | right_hand                                        |
| raise_overhead  | both_hands   | right_hand, left_hand                             |
| hold_out        | right_hand   | right_hand                                        |
| throw           | right_hand   | right_hand                                        |
| point_at        | no_contact   | —                                                 |
| carry_shoulder  | other        | right_arm (on the shoulder, the hand steadying it)|
| carry_under_arm | other        | right_arm, torso_front (held against the side)    |

Body parts map to configurations by `contacts.classify.classify_contacts`, so a
request is what measuring those parts would report (hips alone is "other",
back with hips is "back", an arm without its hand is "other").
"""

ACTION_PARTS: dict[str, tuple[str, ...]] = {
    "sit": ("hips",),
    "lie": ("back", "hips"),
    "stand": ("left_foot", "right_foot"),
    "step_on": ("left_foot", "right_foot"),
    "kick": ("right_foot",),
    "rest_foot": ("right_foot",),
    "kneel": ("right_leg", "left_leg"),
    "squat": ("left_foot", "right_foot"),
    "crouch": ("left_foot", "right_foot"),
    "lean_side": ("right_arm",),
    "carry_shoulder": ("right_arm",),
    "carry_under_arm": ("right_arm", "torso_front"),
}
"""Action → the body parts (authored for the right side) it touches with when its
configuration is "other" or a leg, and the text names no part (`parse.default_parts`):
a leg configuration means the foot for the actions listed with a foot, else the leg."""

ACTION_CONTACTS: dict[str, frozenset[ContactConfig]] = {
    "stand": frozenset({ContactConfig.NO_CONTACT, ContactConfig.OTHER}),
    "sit": frozenset({ContactConfig.OTHER}),
    "lean": frozenset({ContactConfig.BACK, ContactConfig.RIGHT_HAND, ContactConfig.LEFT_HAND,
                       ContactConfig.BOTH_HANDS}),
    "carry": frozenset({ContactConfig.RIGHT_HAND, ContactConfig.LEFT_HAND, ContactConfig.BOTH_HANDS,
                        ContactConfig.BACK}),
    "carry_two_hands": frozenset({ContactConfig.BOTH_HANDS}),
    "lift": frozenset({ContactConfig.RIGHT_HAND, ContactConfig.LEFT_HAND, ContactConfig.BOTH_HANDS}),
    "hold": frozenset({ContactConfig.RIGHT_HAND, ContactConfig.LEFT_HAND, ContactConfig.BOTH_HANDS}),
    "drag": frozenset({ContactConfig.RIGHT_HAND, ContactConfig.LEFT_HAND, ContactConfig.BOTH_HANDS}),
    "push": frozenset({ContactConfig.RIGHT_HAND, ContactConfig.LEFT_HAND, ContactConfig.BOTH_HANDS}),
    "pull": frozenset({ContactConfig.RIGHT_HAND, ContactConfig.LEFT_HAND, ContactConfig.BOTH_HANDS}),
    "kick": frozenset({ContactConfig.RIGHT_LEG, ContactConfig.LEFT_LEG}),
    "lie": frozenset({ContactConfig.BACK, ContactConfig.OTHER}),
    "rest_foot": frozenset({ContactConfig.RIGHT_LEG, ContactConfig.LEFT_LEG}),
    "step_on": frozenset({ContactConfig.OTHER, ContactConfig.RIGHT_LEG, ContactConfig.LEFT_LEG}),
    "lean_side": frozenset({ContactConfig.OTHER}),
    "lean_forearms": frozenset({ContactConfig.BOTH_HANDS}),
    "sit_floor": frozenset({ContactConfig.NO_CONTACT, ContactConfig.BACK}),
    "kneel": frozenset({ContactConfig.NO_CONTACT, ContactConfig.OTHER}),
    "squat": frozenset({ContactConfig.NO_CONTACT, ContactConfig.OTHER}),
    "crouch": frozenset({ContactConfig.NO_CONTACT, ContactConfig.OTHER}),
    "hug": frozenset({ContactConfig.BOTH_HANDS}),
    "grab": frozenset({ContactConfig.RIGHT_HAND, ContactConfig.LEFT_HAND}),
    "raise_overhead": frozenset({ContactConfig.BOTH_HANDS}),
    "hold_out": frozenset({ContactConfig.RIGHT_HAND, ContactConfig.LEFT_HAND}),
    "throw": frozenset({ContactConfig.RIGHT_HAND, ContactConfig.LEFT_HAND}),
    "point_at": frozenset({ContactConfig.NO_CONTACT}),
    "carry_shoulder": frozenset({ContactConfig.OTHER}),
    "carry_under_arm": frozenset({ContactConfig.OTHER}),
}
"""Action → the contact configurations it can go with (the lexicon's implied
contacts): the default of `DEFAULT_CONTACT`, its mirror, and the variants the
text can ask for (one or both hands; carried on the back; lying on the back
only or with the legs; sitting on the floor against it; kneeling, squatting or
stepping on it). Training data whose measured configuration is not in
its action's set is an action–contact mismatch (`hoiexport data filter`), and
`hoiexport data synth` only pairs actions with these configurations."""

CONTACT_REQUIRED: frozenset[str] = frozenset(
    {"carry", "carry_two_hands", "lift", "hold", "drag", "push", "pull", "kick", "sit", "lie", "lean",
     "rest_foot", "step_on", "lean_side", "lean_forearms", "hug", "grab", "raise_overhead", "hold_out", "throw",
     "carry_shoulder", "carry_under_arm"}
)
"""Actions that cannot be done without touching the object."""

# --------------------------------------------------------------------------- objects


@dataclass(frozen=True)
class ObjectWord:
    """One object noun phrase.

    Attributes:
        category: object-library category it names.
        variant: style hint for the object library (e.g. "basketball"), or None.
        material: material the noun itself implies ("cardboard box" → "cardboard").
    """

    category: str
    variant: str | None = None
    material: str | None = None


OBJECT_WORDS: dict[str, ObjectWord] = {
    # suitcase
    "suitcase": ObjectWord("suitcase"),
    "luggage": ObjectWord("suitcase"),
    "trolley case": ObjectWord("suitcase"),
    "trolley": ObjectWord("suitcase"),
    "trolley bag": ObjectWord("suitcase"),
    "roller case": ObjectWord("suitcase"),
    "roller bag": ObjectWord("suitcase"),
    "travel case": ObjectWord("suitcase"),
    "carry on suitcase": ObjectWord("suitcase"),
    "carry on bag": ObjectWord("suitcase"),
    "carry on luggage": ObjectWord("suitcase"),
    "valise": ObjectWord("suitcase"),
    # briefcase
    "briefcase": ObjectWord("briefcase"),
    "attache case": ObjectWord("briefcase"),
    "attaché case": ObjectWord("briefcase"),
    "laptop case": ObjectWord("briefcase"),
    "document case": ObjectWord("briefcase"),
    # backpack
    "backpack": ObjectWord("backpack"),
    "rucksack": ObjectWord("backpack"),
    "knapsack": ObjectWord("backpack"),
    "schoolbag": ObjectWord("backpack"),
    "school bag": ObjectWord("backpack"),
    "daypack": ObjectWord("backpack"),
    # bag
    "bag": ObjectWord("bag"),
    "handbag": ObjectWord("bag", "handbag"),
    "hand bag": ObjectWord("bag", "handbag"),
    "purse": ObjectWord("bag", "handbag"),
    "tote": ObjectWord("bag", "tote"),
    "tote bag": ObjectWord("bag", "tote"),
    "shopping bag": ObjectWord("bag", "tote"),
    "shoulder bag": ObjectWord("bag", "handbag"),
    "gym bag": ObjectWord("bag", "tote"),
    # ball
    "ball": ObjectWord("ball"),
    "football": ObjectWord("ball", "soccer"),
    "soccer ball": ObjectWord("ball", "soccer"),
    "basketball": ObjectWord("ball", "basketball"),
    "volleyball": ObjectWord("ball", "volleyball"),
    "beach ball": ObjectWord("ball", "beach", "plastic"),
    "handball": ObjectWord("ball", "plain"),
    "rubber ball": ObjectWord("ball", "plain", "rubber"),
    "yoga ball": ObjectWord("ball", "yoga"),
    "exercise ball": ObjectWord("ball", "yoga"),
    "fitness ball": ObjectWord("ball", "yoga"),
    "gym ball": ObjectWord("ball", "yoga"),
    "swiss ball": ObjectWord("ball", "yoga"),
    "stability ball": ObjectWord("ball", "yoga"),
    "pilates ball": ObjectWord("ball", "yoga"),
    # chair
    "chair": ObjectWord("chair"),
    "armchair": ObjectWord("chair", "armchair"),
    "arm chair": ObjectWord("chair", "armchair"),
    "dining chair": ObjectWord("chair", "slat"),
    "kitchen chair": ObjectWord("chair", "slat"),
    "desk chair": ObjectWord("chair", "office"),
    "office chair": ObjectWord("chair", "office"),
    "swivel chair": ObjectWord("chair", "office"),
    "computer chair": ObjectWord("chair", "office"),
    "folding chair": ObjectWord("chair", "folding"),
    "camp chair": ObjectWord("chair", "folding"),
    # stool
    "stool": ObjectWord("stool"),
    "bar stool": ObjectWord("stool", "bar"),
    "barstool": ObjectWord("stool", "bar"),
    "step stool": ObjectWord("stool", "low"),
    "footstool": ObjectWord("stool", "low"),
    # table
    "table": ObjectWord("table"),
    "desk": ObjectWord("table", "dining"),
    "dining table": ObjectWord("table", "dining"),
    "kitchen table": ObjectWord("table", "dining"),
    "coffee table": ObjectWord("table", "coffee"),
    "side table": ObjectWord("table", "coffee"),
    "end table": ObjectWord("table", "coffee"),
    "nightstand": ObjectWord("table", "coffee"),
    "square table": ObjectWord("table", "square"),
    "card table": ObjectWord("table", "square"),
    "cafe table": ObjectWord("table", "square"),
    "small table": ObjectWord("table", "small"),
    "little table": ObjectWord("table", "small"),
    # box
    "box": ObjectWord("box"),
    "cardboard box": ObjectWord("box", "cardboard", "cardboard"),
    "moving box": ObjectWord("box", "cardboard", "cardboard"),
    "carton": ObjectWord("box", "cardboard", "cardboard"),
    "parcel": ObjectWord("box", "cardboard", "cardboard"),
    "package": ObjectWord("box", "cardboard", "cardboard"),
    "wooden box": ObjectWord("box", "crate", "wood"),
    "storage box": ObjectWord("box", "storage", "plastic"),
    "tiny box": ObjectWord("box", "tiny"),
    "small box": ObjectWord("box", "small"),
    "little box": ObjectWord("box", "small"),
    "medium box": ObjectWord("box", "medium"),
    "large box": ObjectWord("box", "large"),
    "big box": ObjectWord("box", "large"),
    "huge box": ObjectWord("box", "huge"),
    "giant box": ObjectWord("box", "huge"),
    # bottle
    "bottle": ObjectWord("bottle"),
    "water bottle": ObjectWord("bottle", "water", "plastic"),
    "wine bottle": ObjectWord("bottle", "wine", "glass"),
    "beer bottle": ObjectWord("bottle", "wine", "glass"),
    "flask": ObjectWord("bottle", "flask", "metal"),
    "thermos": ObjectWord("bottle", "flask", "metal"),
    # mug
    "mug": ObjectWord("mug"),
    "coffee mug": ObjectWord("mug"),
    "tea cup": ObjectWord("mug"),
    "teacup": ObjectWord("mug"),
    # cup (no handle)
    "cup": ObjectWord("cup"),
    "paper cup": ObjectWord("cup", "paper", "cardboard"),
    "coffee cup": ObjectWord("cup", "takeaway"),
    "takeaway cup": ObjectWord("cup", "takeaway"),
    "to go cup": ObjectWord("cup", "takeaway"),
    "plastic cup": ObjectWord("cup", "plastic", "plastic"),
    "tumbler": ObjectWord("cup", "plastic"),
    # bin
    "bin": ObjectWord("bin"),
    "trash can": ObjectWord("bin", "lidded"),
    "trashcan": ObjectWord("bin", "lidded"),
    "trash bin": ObjectWord("bin", "lidded"),
    "garbage can": ObjectWord("bin", "lidded"),
    "garbage bin": ObjectWord("bin", "lidded"),
    "rubbish bin": ObjectWord("bin", "lidded"),
    "dustbin": ObjectWord("bin", "lidded"),
    "litter bin": ObjectWord("bin", "lidded"),
    "recycling bin": ObjectWord("bin", "lidded"),
    "waste bin": ObjectWord("bin", "open"),
    "wastebasket": ObjectWord("bin", "open"),
    "waste basket": ObjectWord("bin", "open"),
    "wastepaper basket": ObjectWord("bin", "open"),
    # bench
    "bench": ObjectWord("bench"),
    "park bench": ObjectWord("bench"),
    "garden bench": ObjectWord("bench"),
    # sword
    "sword": ObjectWord("sword"),
    "blade": ObjectWord("sword"),
    "arming sword": ObjectWord("sword", "arming", "metal"),
    "broadsword": ObjectWord("sword", "arming", "metal"),
    "sabre": ObjectWord("sword", "arming", "metal"),
    "saber": ObjectWord("sword", "arming", "metal"),
    "longsword": ObjectWord("sword", "longsword", "metal"),
    "long sword": ObjectWord("sword", "longsword", "metal"),
    "greatsword": ObjectWord("sword", "longsword", "metal"),
    "katana": ObjectWord("sword", "katana", "metal"),
    "samurai sword": ObjectWord("sword", "katana", "metal"),
    # axe
    "axe": ObjectWord("axe"),
    "ax": ObjectWord("axe"),
    "felling axe": ObjectWord("axe", "felling"),
    "wood axe": ObjectWord("axe", "felling"),
    "battle axe": ObjectWord("axe", "felling"),
    "hatchet": ObjectWord("axe", "hatchet"),
    "hand axe": ObjectWord("axe", "hatchet"),
    # shield
    "shield": ObjectWord("shield"),
    "round shield": ObjectWord("shield", "round"),
    "buckler": ObjectWord("shield", "round"),
    "heater shield": ObjectWord("shield", "heater"),
    "kite shield": ObjectWord("shield", "heater"),
    "knight's shield": ObjectWord("shield", "heater"),
    # umbrella
    "umbrella": ObjectWord("umbrella"),
    "brolly": ObjectWord("umbrella"),
    "closed umbrella": ObjectWord("umbrella", "closed"),
    "folded umbrella": ObjectWord("umbrella", "closed"),
    "open umbrella": ObjectWord("umbrella", "open"),
    "parasol": ObjectWord("umbrella", "open"),
    # guitar
    "guitar": ObjectWord("guitar"),
    "acoustic guitar": ObjectWord("guitar", "acoustic", "wood"),
    "classical guitar": ObjectWord("guitar", "acoustic", "wood"),
    "electric guitar": ObjectWord("guitar", "electric"),
    "bass guitar": ObjectWord("guitar", "electric"),
    # skateboard
    "skateboard": ObjectWord("skateboard"),
    "skate board": ObjectWord("skateboard"),
    "skate deck": ObjectWord("skateboard", "street"),
    "longboard": ObjectWord("skateboard", "longboard"),
    # scooter
    "scooter": ObjectWord("scooter"),
    "kick scooter": ObjectWord("scooter"),
    "push scooter": ObjectWord("scooter"),
    # phone
    "phone": ObjectWord("phone"),
    "cellphone": ObjectWord("phone"),
    "cell phone": ObjectWord("phone"),
    "smartphone": ObjectWord("phone"),
    "smart phone": ObjectWord("phone"),
    "mobile phone": ObjectWord("phone"),
    "iphone": ObjectWord("phone"),
    # book
    "book": ObjectWord("book"),
    "hardcover": ObjectWord("book", "hardcover"),
    "hardcover book": ObjectWord("book", "hardcover"),
    "hardback": ObjectWord("book", "hardcover"),
    "paperback": ObjectWord("book", "paperback"),
    "novel": ObjectWord("book", "paperback"),
    "textbook": ObjectWord("book", "hardcover"),
    # bucket
    "bucket": ObjectWord("bucket"),
    "pail": ObjectWord("bucket", "metal", "metal"),
    "water bucket": ObjectWord("bucket"),
    "plastic bucket": ObjectWord("bucket", "plastic", "plastic"),
    "metal bucket": ObjectWord("bucket", "metal", "metal"),
    # broom
    "broom": ObjectWord("broom"),
    "broomstick": ObjectWord("broom"),
    "sweeping brush": ObjectWord("broom", "household"),
    "corn broom": ObjectWord("broom", "corn"),
    "besom": ObjectWord("broom", "corn"),
    # barrel
    "barrel": ObjectWord("barrel"),
    "wooden barrel": ObjectWord("barrel", "wooden", "wood"),
    "wine barrel": ObjectWord("barrel", "wooden", "wood"),
    "cask": ObjectWord("barrel", "wooden", "wood"),
    "keg": ObjectWord("barrel", "wooden"),
    "oil drum": ObjectWord("barrel", "drum", "metal"),
    "oil barrel": ObjectWord("barrel", "drum", "metal"),
    "steel drum": ObjectWord("barrel", "drum", "metal"),
    # crate
    "crate": ObjectWord("crate"),
    "wooden crate": ObjectWord("crate", None, "wood"),
    "shipping crate": ObjectWord("crate"),
    "packing crate": ObjectWord("crate"),
    "fruit crate": ObjectWord("crate"),
    # lamp
    "lamp": ObjectWord("lamp"),
    "floor lamp": ObjectWord("lamp", "floor"),
    "standing lamp": ObjectWord("lamp", "floor"),
    "standard lamp": ObjectWord("lamp", "floor"),
    "table lamp": ObjectWord("lamp", "table"),
    "desk lamp": ObjectWord("lamp", "table"),
    "bedside lamp": ObjectWord("lamp", "table"),
    # keyboard
    "keyboard": ObjectWord("keyboard"),
    "computer keyboard": ObjectWord("keyboard"),
    # monitor
    "monitor": ObjectWord("monitor"),
    "computer monitor": ObjectWord("monitor"),
    "computer screen": ObjectWord("monitor"),
    "flat screen": ObjectWord("monitor"),
    # toolbox
    "toolbox": ObjectWord("toolbox"),
    "tool box": ObjectWord("toolbox"),
    "tool case": ObjectWord("toolbox"),
    # container
    "container": ObjectWord("container"),
    "plastic container": ObjectWord("container", None, "plastic"),
    "food container": ObjectWord("container"),
    "storage container": ObjectWord("container"),
    "tupperware": ObjectWord("container", None, "plastic"),
    "lunch box": ObjectWord("container"),
    "lunchbox": ObjectWord("container"),
    # mat
    "mat": ObjectWord("mat"),
    "yoga mat": ObjectWord("mat"),
    "exercise mat": ObjectWord("mat"),
    "gym mat": ObjectWord("mat"),
    "pilates mat": ObjectWord("mat"),
    "rolled mat": ObjectWord("mat", "rolled"),
    "rolled yoga mat": ObjectWord("mat", "rolled"),
    "rolled up yoga mat": ObjectWord("mat", "rolled"),
}
"""Object noun phrase (singular) → category, style variant and implied material."""

OBJECT_NOUN_BLOCKERS: frozenset[str] = frozenset(
    {
        "player", "players", "fan", "fans", "coach", "team", "shirt", "jersey",
        "field", "pitch", "court", "boots", "shoes", "cleats", "uniform", "kit",
        "cap", "gown", "game", "match", "hoop", "net", "press", "club", "stadium",
        "call", "calls", "booth", "shelf", "shelves", "holder", "rack", "store", "shop",
        "post", "fight", "fighter", "fighters", "swallower", "lesson", "lessons", "park",
    }
)
"""Nouns that, right after an object word, make it a modifier ("football player")."""

# --------------------------------------------------------------------------- colours

COLORS: dict[str, tuple[int, int, int]] = {
    "red": (200, 30, 35),
    "crimson": (170, 20, 45),
    "scarlet": (215, 35, 25),
    "maroon": (115, 20, 30),
    "burgundy": (110, 20, 40),
    "orange": (235, 120, 30),
    "yellow": (240, 205, 40),
    "mustard": (200, 160, 40),
    "gold": (212, 175, 55),
    "golden": (212, 175, 55),
    "green": (40, 150, 60),
    "olive": (110, 115, 45),
    "olive green": (95, 105, 45),
    "forest green": (35, 90, 45),
    "lime": (150, 210, 50),
    "mint": (160, 225, 190),
    "teal": (20, 128, 128),
    "turquoise": (60, 200, 190),
    "cyan": (40, 200, 220),
    "blue": (35, 75, 185),
    "navy": (25, 35, 85),
    "navy blue": (25, 35, 85),
    "royal blue": (40, 70, 190),
    "sky blue": (120, 180, 230),
    "baby blue": (150, 200, 235),
    "purple": (110, 45, 140),
    "violet": (130, 70, 190),
    "lavender": (180, 160, 220),
    "lilac": (190, 160, 210),
    "pink": (235, 130, 170),
    "hot pink": (240, 60, 150),
    "magenta": (205, 40, 150),
    "brown": (110, 70, 40),
    "chocolate": (85, 50, 30),
    "tan": (190, 150, 105),
    "beige": (215, 195, 160),
    "khaki": (185, 170, 120),
    "cream": (240, 230, 200),
    "ivory": (245, 240, 220),
    "white": (240, 240, 238),
    "black": (22, 22, 24),
    "grey": (128, 128, 130),
    "gray": (128, 128, 130),
    "charcoal": (55, 57, 60),
    "silver": (192, 194, 198),
    "bronze": (165, 115, 60),
    "copper": (185, 100, 55),
    "blonde": (215, 185, 120),
    "blond": (215, 185, 120),
    "brunette": (90, 60, 35),
    "auburn": (140, 60, 30),
    "ginger": (190, 90, 40),
}
"""Colour name → sRGB (0–255)."""

HAIR_COLORS: dict[str, tuple[int, int, int]] = {
    "red": (155, 60, 30),
    "ginger": (190, 90, 40),
    "auburn": (140, 60, 30),
    "blonde": (215, 185, 120),
    "blond": (215, 185, 120),
    "brown": (95, 60, 35),
    "brunette": (90, 60, 35),
    "black": (25, 22, 20),
    "grey": (160, 160, 160),
    "gray": (160, 160, 160),
    "silver": (190, 190, 195),
    "white": (225, 225, 220),
}
"""Colour words as they read for hair ("red hair" is copper, not fire-engine red)."""

COLOR_MODIFIERS: dict[str, float] = {
    "light": 0.45,
    "pale": 0.55,
    "pastel": 0.5,
    "bright": 0.15,
    "dark": -0.45,
    "deep": -0.3,
}
"""Lightness modifier → blend towards white (> 0) or black (< 0)."""

METAL_COLORS: frozenset[str] = frozenset({"silver", "gold", "golden", "bronze", "copper", "chrome"})
"""Colour words that also imply a metal material when no material is named."""

# --------------------------------------------------------------------------- materials

MATERIALS: tuple[str, ...] = (
    "wood",
    "leather",
    "metal",
    "plastic",
    "fabric",
    "cardboard",
    "ceramic",
    "glass",
    "rubber",
    "stone",
)
"""Materials the object library can texture."""

MATERIAL_WORDS: dict[str, str] = {
    "wood": "wood", "wooden": "wood", "oak": "wood", "pine": "wood", "walnut": "wood",
    "mahogany": "wood", "teak": "wood", "timber": "wood", "bamboo": "wood", "wicker": "wood",
    "leather": "leather", "suede": "leather", "faux leather": "leather",
    "metal": "metal", "metallic": "metal", "steel": "metal", "stainless steel": "metal",
    "aluminium": "metal", "aluminum": "metal", "iron": "metal", "chrome": "metal", "tin": "metal",
    "plastic": "plastic", "polycarbonate": "plastic", "hard shell": "plastic", "hardshell": "plastic",
    "fabric": "fabric", "cloth": "fabric", "canvas": "fabric", "denim": "fabric", "nylon": "fabric",
    "cotton": "fabric", "wool": "fabric", "woolen": "fabric", "woollen": "fabric", "velvet": "fabric",
    "upholstered": "fabric", "polyester": "fabric", "linen": "fabric",
    "cardboard": "cardboard", "paper": "cardboard", "carton": "cardboard",
    "ceramic": "ceramic", "porcelain": "ceramic", "china": "ceramic", "clay": "ceramic",
    "glass": "glass",
    "rubber": "rubber",
    "stone": "stone", "concrete": "stone", "marble": "stone", "granite": "stone",
}
"""Material adjective / noun → material."""

# --------------------------------------------------------------------------- body parts

PART_WORDS: dict[str, str] = {
    "hand": "hand", "hands": "hands", "palm": "hand", "palms": "hands", "fist": "hand",
    "fingers": "hand", "arm": "arm", "arms": "arms", "elbow": "arm", "forearm": "arm",
    "shoulder": "arm", "shoulders": "arms",
    "foot": "foot", "feet": "feet", "toe": "foot", "toes": "foot", "heel": "foot",
    "leg": "leg", "legs": "legs", "knee": "leg", "knees": "legs", "shin": "leg", "thigh": "leg",
    "back": "back", "head": "head", "hip": "hips", "hips": "hips", "lap": "hips",
    "chest": "torso_front", "belly": "torso_front", "stomach": "torso_front",
}
"""Body-part noun → part family ("hand", "arm", "foot", "leg", plural = both sides)."""

# --------------------------------------------------------------------------- people

PERSON_NOUNS: dict[str, str | None] = {
    "man": "male", "men": "male", "boy": "male", "guy": "male", "gentleman": "male",
    "father": "male", "dad": "male", "grandfather": "male", "grandpa": "male",
    "businessman": "male", "husband": "male", "son": "male", "brother": "male",
    "schoolboy": "male", "male": "male",
    "woman": "female", "women": "female", "girl": "female", "lady": "female",
    "mother": "female", "mom": "female", "mum": "female", "grandmother": "female",
    "grandma": "female", "businesswoman": "female", "wife": "female", "daughter": "female",
    "sister": "female", "schoolgirl": "female", "female": "female",
    "person": None, "people": None, "child": None, "kid": None, "teenager": None,
    "teen": None, "adult": None, "player": None, "athlete": None, "worker": None,
    "student": None, "traveler": None, "traveller": None, "tourist": None, "chef": None,
    "nurse": None, "doctor": None, "officer": None, "soldier": None, "farmer": None,
    "customer": None, "shopper": None, "commuter": None, "passenger": None,
    "toddler": None, "baby": None, "senior": None, "bodybuilder": None, "someone": None,
}
"""Person noun → gender word it implies (None: unspecified)."""

PRONOUN_GENDER: dict[str, str] = {
    "he": "male", "his": "male", "him": "male", "himself": "male",
    "she": "female", "her": "female", "hers": "female", "herself": "female",
}

BODY_WORDS: dict[str, tuple[str, float]] = {
    # age (Anny anchors: 0 baby, 1/3 child, 2/3 young adult, 1 old)
    "baby": ("age", 0.05), "toddler": ("age", 0.12), "child": ("age", 0.33),
    "kid": ("age", 0.33), "little": ("age", 0.33), "schoolboy": ("age", 0.38),
    "schoolgirl": ("age", 0.38), "boy": ("age", 0.45), "girl": ("age", 0.45),
    "teen": ("age", 0.55), "teenager": ("age", 0.55), "teenage": ("age", 0.55),
    "adolescent": ("age", 0.52), "young": ("age", 0.67), "adult": ("age", 0.72),
    "middle aged": ("age", 0.82), "mature": ("age", 0.82), "old": ("age", 0.95),
    "elderly": ("age", 0.95), "senior": ("age", 0.92), "aged": ("age", 0.95),
    "retired": ("age", 0.92), "grandmother": ("age", 0.93), "grandfather": ("age", 0.93),
    "grandma": ("age", 0.93), "grandpa": ("age", 0.93),
    # height
    "tall": ("height", 0.8), "towering": ("height", 0.95), "lanky": ("height", 0.8),
    "short": ("height", 0.2), "petite": ("height", 0.15), "tiny": ("height", 0.1),
    # weight
    "heavy": ("weight", 0.8), "heavyset": ("weight", 0.82), "overweight": ("weight", 0.85),
    "fat": ("weight", 0.88), "obese": ("weight", 0.97), "chubby": ("weight", 0.75),
    "plump": ("weight", 0.75), "stout": ("weight", 0.75), "stocky": ("weight", 0.72),
    "portly": ("weight", 0.8), "big": ("weight", 0.7), "large": ("weight", 0.72),
    "slim": ("weight", 0.25), "thin": ("weight", 0.2), "skinny": ("weight", 0.1),
    "slender": ("weight", 0.25), "lean": ("weight", 0.3), "slight": ("weight", 0.3),
    # muscle
    "muscular": ("muscle", 0.85), "athletic": ("muscle", 0.75), "sporty": ("muscle", 0.7),
    "fit": ("muscle", 0.7), "strong": ("muscle", 0.78), "buff": ("muscle", 0.85),
    "brawny": ("muscle", 0.85), "burly": ("muscle", 0.8), "toned": ("muscle", 0.7),
    "bodybuilder": ("muscle", 0.97), "weak": ("muscle", 0.2), "frail": ("muscle", 0.12),
    "feeble": ("muscle", 0.15),
}
"""Body-shape word → (phenotype key, value in [0, 1], Anny convention).

Gender is not here: it comes from person nouns and pronouns (Anny: 0 = male,
1 = female).
"""

BODY_INTENSIFIERS: dict[str, float] = {
    "very": 1.4, "extremely": 1.7, "really": 1.3, "quite": 1.15,
    "slightly": 0.5, "somewhat": 0.6, "rather": 0.9, "fairly": 0.85, "bit": 0.5,
}
"""Intensifier → factor on the word's distance from the average 0.5."""

GENDER_VALUE: dict[str, float] = {"male": 0.0, "female": 1.0}
"""Gender word → Anny `gender` phenotype value."""

# --------------------------------------------------------------------------- clothing

CLOTHING_WORDS: dict[str, tuple[str, ...]] = {
    "shirt": ("top",), "t shirt": ("top",), "tshirt": ("top",), "tee": ("top",),
    "blouse": ("top",), "sweater": ("top",), "jumper": ("top",), "hoodie": ("top",),
    "sweatshirt": ("top",), "jacket": ("top",), "coat": ("top",), "blazer": ("top",),
    "vest": ("top",), "top": ("top",), "tank top": ("top",), "cardigan": ("top",),
    "polo": ("top",), "polo shirt": ("top",), "jersey": ("top",), "parka": ("top",),
    "windbreaker": ("top",), "raincoat": ("top",), "tunic": ("top",),
    "suit": ("top", "bottom"), "tracksuit": ("top", "bottom"), "dress": ("top", "bottom"),
    "overalls": ("top", "bottom"), "uniform": ("top", "bottom"), "jumpsuit": ("top", "bottom"),
    "jeans": ("bottom",), "trousers": ("bottom",), "pants": ("bottom",), "shorts": ("bottom",),
    "skirt": ("bottom",), "leggings": ("bottom",), "chinos": ("bottom",), "joggers": ("bottom",),
    "sweatpants": ("bottom",), "slacks": ("bottom",),
    "shoes": ("shoes",), "sneakers": ("shoes",), "trainers": ("shoes",), "boots": ("shoes",),
    "sandals": ("shoes",), "heels": ("shoes",), "loafers": ("shoes",), "cleats": ("shoes",),
    "hat": ("hat",), "cap": ("hat",), "beanie": ("hat",), "helmet": ("hat",), "hood": ("hat",),
    "hair": ("hair",), "haired": ("hair",), "beard": ("beard",),
    "scarf": ("scarf",), "gloves": ("gloves",), "glasses": ("glasses",), "tie": ("tie",),
}
"""Clothing / hair noun → appearance colour slots it fills."""

TOP_PRIORITY: frozenset[str] = frozenset(
    {"jacket", "coat", "blazer", "parka", "windbreaker", "raincoat", "cardigan", "hoodie", "sweater", "jumper"}
)
"""Outer layers: their colour wins the "top" slot over a shirt's."""

# --------------------------------------------------------------------------- function words

DETERMINERS: frozenset[str] = frozenset(
    {"a", "an", "the", "his", "her", "their", "its", "my", "your", "our", "this", "that",
     "one", "two", "some", "another", "each", "every"}
)
AUXILIARIES: frozenset[str] = frozenset(
    {"is", "are", "was", "were", "be", "being", "been", "who", "that", "which", "and", "while",
     "as", "currently", "also", "then", "now", "happily", "carefully", "slowly", "casually"}
)
SIZE_WORDS: frozenset[str] = frozenset(
    {"big", "small", "large", "little", "huge", "tiny", "heavy", "light", "old", "new", "round",
     "square", "tall", "short", "empty", "full", "open", "closed", "worn", "vintage", "modern",
     "classic", "shiny", "striped", "plain", "patterned", "sturdy", "rectangular", "wide",
     "narrow", "long", "bulky", "compact", "rolling", "wheeled", "hard", "soft", "padded",
     "folding", "simple", "rustic", "antique", "metallic"}
)
"""Non-colour adjectives that may sit between a determiner and an object noun."""
