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
)
"""Canonical action names of the compose action library."""

ACTION_VERBS: dict[str, tuple[str, ...]] = {
    "stand": ("stand", "wait", "pose", "stand still"),
    "sit": ("sit", "perch", "sit down"),
    "lean": ("lean", "rest against", "lean back"),
    "carry": ("carry", "tote", "lug", "transport"),
    "carry_two_hands": ("carry with both hands", "carry with two hands"),
    "lift": ("lift", "raise", "hoist", "heave", "pick up", "lift up"),
    "hold": ("hold", "grip", "grasp", "clutch", "clasp", "cradle", "hug", "embrace", "hold up"),
    "drag": ("drag", "tow", "haul", "wheel", "roll"),
    "push": ("push", "shove", "nudge"),
    "pull": ("pull", "tug", "yank"),
    "kick": ("kick", "punt"),
    "lie": ("lie", "recline", "sprawl", "lie down"),
}
"""Canonical action → base-form verb phrases (first word gets inflected)."""

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
}
"""Verbs whose inflections the regular rules below would get wrong."""

ACTION_IMPLIED_CONTACT: dict[str, ContactConfig] = {
    "hug": ContactConfig.BOTH_HANDS,
    "embrace": ContactConfig.BOTH_HANDS,
    "cradle": ContactConfig.BOTH_HANDS,
    "heave": ContactConfig.BOTH_HANDS,
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
}
"""Contact configuration assumed for an action when the text names no body part.

| action          | default      | body parts                |
|-----------------|--------------|---------------------------|
| stand           | no_contact   | —                         |
| sit             | other        | hips                      |
| lean            | back         | back                      |
| carry           | right_hand   | right_hand                |
| carry_two_hands | both_hands   | right_hand, left_hand     |
| lift            | both_hands   | right_hand, left_hand     |
| hold            | right_hand   | right_hand                |
| drag            | right_hand   | right_hand                |
| push            | both_hands   | right_hand, left_hand     |
| pull            | right_hand   | right_hand                |
| kick            | right_leg    | right_foot                |
| lie             | back         | back, hips                |

Body parts map to configurations by `contacts.classify.classify_contacts`, so a
request is what measuring those parts would report (hips alone is "other",
back with hips is "back").
"""

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
}
"""Action → the contact configurations it can go with (the lexicon's implied
contacts): the default of `DEFAULT_CONTACT`, its mirror, and the variants the
text can ask for (one or both hands; carried on the back; lying on the back
only or with the legs). Training data whose measured configuration is not in
its action's set is an action–contact mismatch (`hoiexport data filter`), and
`hoiexport data synth` only pairs actions with these configurations."""

CONTACT_REQUIRED: frozenset[str] = frozenset(
    {"carry", "carry_two_hands", "lift", "hold", "drag", "push", "pull", "kick", "sit", "lie", "lean"}
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
    # chair
    "chair": ObjectWord("chair"),
    "armchair": ObjectWord("chair", "armchair"),
    "arm chair": ObjectWord("chair", "armchair"),
    "dining chair": ObjectWord("chair", "slat"),
    "kitchen chair": ObjectWord("chair", "slat"),
    "desk chair": ObjectWord("chair", "panel"),
    "office chair": ObjectWord("chair", "panel"),
    "folding chair": ObjectWord("chair", "panel"),
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
    # box
    "box": ObjectWord("box"),
    "cardboard box": ObjectWord("box", "cardboard", "cardboard"),
    "moving box": ObjectWord("box", "cardboard", "cardboard"),
    "carton": ObjectWord("box", "cardboard", "cardboard"),
    "parcel": ObjectWord("box", "cardboard", "cardboard"),
    "package": ObjectWord("box", "cardboard", "cardboard"),
    "crate": ObjectWord("box", "crate"),
    "storage box": ObjectWord("box", "storage", "plastic"),
    "toolbox": ObjectWord("box", "storage"),
    # bottle
    "bottle": ObjectWord("bottle"),
    "water bottle": ObjectWord("bottle", "water", "plastic"),
    "wine bottle": ObjectWord("bottle", "wine", "glass"),
    "beer bottle": ObjectWord("bottle", "wine", "glass"),
    "flask": ObjectWord("bottle", "flask", "metal"),
    "thermos": ObjectWord("bottle", "flask", "metal"),
    # mug
    "mug": ObjectWord("mug"),
    "cup": ObjectWord("mug"),
    "coffee cup": ObjectWord("mug"),
    "coffee mug": ObjectWord("mug"),
    "tea cup": ObjectWord("mug"),
    "teacup": ObjectWord("mug"),
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
}
"""Object noun phrase (singular) → category, style variant and implied material."""

OBJECT_NOUN_BLOCKERS: frozenset[str] = frozenset(
    {
        "player", "players", "fan", "fans", "coach", "team", "shirt", "jersey",
        "field", "pitch", "court", "boots", "shoes", "cleats", "uniform", "kit",
        "cap", "gown", "game", "match", "hoop", "net", "press", "club", "stadium",
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
