"""Prompt parsing, shared by every generator and `lift` (docs/architecture.md §3).

`parse_prompt` turns free text such as "A tall man carrying a brown suitcase in
his left hand." into a `Prompt`: object category, action, requested contact
configuration and body parts, the person's appearance clause, colours (object,
clothing, hair), object material and body-shape hints.

The grammar is deliberately light and predictable:

1. Tokenise (lower case, hyphens split, punctuation kept as tokens).
2. Find action verbs (all inflections: carry / carries / carrying / carried) and
   object nouns (longest match over the synonyms in `lexicon`). A participle
   after a determiner is an adjective ("a rolling suitcase", "a seated man").
3. The action is the first verb that has an object noun between it and the next
   verb; the object is the first object noun there ("A man wearing a backpack
   carries a box" → carry, box).
4. Adjectives immediately before the object noun colour / texture the object;
   adjectives before a clothing or hair noun colour the person.
5. Contact phrases ("in his left hand", "with both hands", "with his right
   foot", "leaning against its backrest", "sits on", "without touching it") give
   body parts; the parts give the contact configuration by the same rule that
   classifies measured contacts (`contacts.classify.classify_contacts`). Without
   any phrase the action's default applies (`lexicon.DEFAULT_CONTACT`).

Explicit `object`, `action` and `contact` arguments win over what the text says.
"""

from __future__ import annotations

import difflib
import functools
import re
from dataclasses import dataclass
from typing import Any

from hoiexport.sdk.prompt import lexicon as lx
from hoiexport.sdk.contacts.classify import classify_contacts
from hoiexport.sdk.core.errors import InputError
from hoiexport.sdk.core.types import BODY_PARTS, ContactConfig, Prompt

_TOKEN_RE = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)?|[,.;:!?()]", re.UNICODE)
_PUNCT = frozenset(",.;:!?()")


@dataclass(frozen=True)
class Token:
    """One word or punctuation mark.

    Attributes:
        text: lower-cased token text.
        start: character offset of the token in the original prompt.
        end: character offset one past its end.
    """

    text: str
    start: int
    end: int

    @property
    def is_punct(self) -> bool:
        return self.text in _PUNCT


@dataclass(frozen=True)
class _Match:
    """A lexicon phrase found at tokens [start, end)."""

    start: int
    end: int
    value: Any
    phrase: str


@dataclass(frozen=True)
class _Cue:
    """A contact phrase and the body parts it names."""

    phrase: str
    parts: tuple[str, ...]
    start_token: int
    end_token: int
    kind: str  # "part" | "support" | "none"


# --------------------------------------------------------------------------- lexicon indexes


def tokenize(text: str) -> list[Token]:
    """Split a prompt into lower-cased word and punctuation tokens.

    Hyphens and digits separate words ("t-shirt" → "t", "shirt").
    """
    return [Token(m.group(0).lower(), m.start(), m.end()) for m in _TOKEN_RE.finditer(text)]


def _regular_forms(base: str) -> tuple[str, ...]:
    """Base, 3rd-person, -ing and past forms of a regular English verb."""
    if base.endswith(("s", "sh", "ch", "x", "z", "o")):
        third = base + "es"
    elif base.endswith("y") and base[-2:-1] not in "aeiou":
        third = base[:-1] + "ies"
    else:
        third = base + "s"
    if base.endswith("ie"):
        ing = base[:-2] + "ying"
    elif base.endswith("e") and not base.endswith("ee"):
        ing = base[:-1] + "ing"
    else:
        ing = base + "ing"
    if base.endswith("e"):
        past = base + "d"
    elif base.endswith("y") and base[-2:-1] not in "aeiou":
        past = base[:-1] + "ied"
    else:
        past = base + "ed"
    return (base, third, ing, past)


def verb_forms(base: str) -> tuple[str, ...]:
    """All inflections of a one-word verb: "carry" → carry, carries, carrying, carried."""
    return lx.IRREGULAR_VERBS.get(base, _regular_forms(base))


def _plural(word: str) -> str:
    if word.endswith(("s", "sh", "ch", "x", "z")):
        return word + "es"
    if word.endswith("y") and word[-2:-1] not in "aeiou":
        return word[:-1] + "ies"
    return word + "s"


def _build_index(phrases: dict[tuple[str, ...], Any]) -> dict[str, list[tuple[tuple[str, ...], Any]]]:
    index: dict[str, list[tuple[tuple[str, ...], Any]]] = {}
    for words, value in phrases.items():
        index.setdefault(words[0], []).append((words, value))
    for entries in index.values():
        entries.sort(key=lambda e: -len(e[0]))
    return index


def _words(phrase: str) -> tuple[str, ...]:
    return tuple(t.text for t in tokenize(phrase))


def _verb_phrases() -> dict[tuple[str, ...], tuple[str, str]]:
    """Inflected verb phrase → (action, base verb)."""
    out: dict[tuple[str, ...], tuple[str, str]] = {}
    for action, bases in lx.ACTION_VERBS.items():
        for phrase in bases:
            head, *rest = _words(phrase)
            for form in verb_forms(head):
                out[(form, *rest)] = (action, head)
    return out


def _object_phrases() -> dict[tuple[str, ...], lx.ObjectWord]:
    out: dict[tuple[str, ...], lx.ObjectWord] = {}
    for phrase, word in lx.OBJECT_WORDS.items():
        words = _words(phrase)
        out[words] = word
        out[(*words[:-1], _plural(words[-1]))] = word
    return out


_VERBS = _build_index(_verb_phrases())
_OBJECTS = _build_index(_object_phrases())
_COLORS = _build_index({_words(k): k for k in lx.COLORS})
_MATERIALS = _build_index({_words(k): v for k, v in lx.MATERIAL_WORDS.items()})
_CLOTHES = _build_index({_words(k): k for k in lx.CLOTHING_WORDS})
_BODY = _build_index({_words(k): v for k, v in lx.BODY_WORDS.items()})
_RUN_WORDS = frozenset(
    w
    for table in (lx.COLORS, lx.MATERIAL_WORDS)
    for phrase in table
    for w in _words(phrase)
) | lx.SIZE_WORDS | frozenset(lx.COLOR_MODIFIERS) | {"and", "or", ",", "very"}
_ADJ_DETERMINERS = frozenset({"a", "an", "the", "his", "its", "their", "my", "your", "our"})


def _match_at(tokens: list[Token], i: int, index: dict) -> _Match | None:
    """Longest lexicon phrase starting at token i."""
    for words, value in index.get(tokens[i].text, ()):
        n = len(words)
        if tuple(t.text for t in tokens[i : i + n]) == words:
            return _Match(i, i + n, value, " ".join(words))
    return None


def _find_all(tokens: list[Token], index: dict) -> list[_Match]:
    """Non-overlapping longest matches, left to right."""
    out, i = [], 0
    while i < len(tokens):
        m = _match_at(tokens, i, index)
        if m:
            out.append(m)
            i = m.end
        else:
            i += 1
    return out


# --------------------------------------------------------------------------- verbs and objects


def _find_verbs(tokens: list[Token]) -> list[_Match]:
    verbs = []
    for m in _find_all(tokens, _VERBS):
        prev = tokens[m.start - 1].text if m.start > 0 else ""
        nxt = tokens[m.end].text if m.end < len(tokens) else ""
        if prev in _ADJ_DETERMINERS:
            continue  # "a rolling suitcase", "the seated man"
        if m.phrase == "lean" and (nxt in lx.PERSON_NOUNS or nxt == "," or nxt in lx.BODY_WORDS):
            continue  # "a lean, muscular man"
        verbs.append(m)
    return verbs


def _prop_matches(tokens: list[Token], prop: str) -> list[_Match]:
    """Where the text names the user's prop: its name's words (the last one may
    be plural), e.g. "step" in "standing on a step"."""
    words = _words(prop)
    if not words:
        return []
    name = lx.ObjectWord("_".join(words))
    n = len(words)
    for i in range(len(tokens) - n + 1):
        got = tuple(t.text for t in tokens[i : i + n])
        if got[:-1] == words[:-1] and got[-1] in (words[-1], _plural(words[-1])):
            return [_Match(i, i + n, name, " ".join(got))]
    return []


def _find_objects(tokens: list[Token]) -> list[_Match]:
    out = []
    for m in _find_all(tokens, _OBJECTS):
        nxt = tokens[m.end].text if m.end < len(tokens) else ""
        if nxt in lx.OBJECT_NOUN_BLOCKERS:
            continue  # "football player"
        out.append(m)
    return out


_MODIFIERS = [(frozenset(actions), _build_index({_words(p): refined for p in phrases}), refined)
              for actions, phrases, refined in lx.ACTION_MODIFIERS]


def _refine_action(action: str, tokens: list[Token], verb: _Match, verbs: list[_Match]) -> str:
    """The action after `lexicon.ACTION_MODIFIERS`: a phrase between the verb and the next
    verb that makes it more specific ("carrying a box on his shoulder" → carry_shoulder)."""
    stop = next((v.start for v in verbs if v.start >= verb.end), len(tokens))
    clause = tokens[verb.end:stop]
    for actions, index, refined in _MODIFIERS:
        if action in actions and _find_all(clause, index):
            return refined
    return action


def _choose(verbs: list[_Match], objects: list[_Match]) -> tuple[_Match | None, _Match | None]:
    """The first verb governing an object noun, and that noun."""
    for k, v in enumerate(verbs):
        stop = verbs[k + 1].start if k + 1 < len(verbs) else 10**9
        inside = [o for o in objects if v.end <= o.start < stop]
        if inside:
            return v, inside[0]
    return (verbs[0] if verbs else None), (objects[0] if objects else None)


def _resolve_name(value: str, kind: str, names: tuple[str, ...], synonyms: dict[str, str]) -> str:
    """Map an explicit object / action argument (name or synonym) to its canonical name."""
    key = " ".join(_words(value)) if value.strip() else ""
    if value.strip().lower() in names:
        return value.strip().lower()
    if key in synonyms:
        return synonyms[key]
    if key.replace(" ", "_") in names:
        return key.replace(" ", "_")
    close = difflib.get_close_matches(key, list(names) + list(synonyms), n=1, cutoff=0.5)
    hint = ""
    if close:
        target = synonyms.get(close[0], close[0])
        hint = f"; closest match: {close[0]!r}" + (f" ({target})" if target != close[0] else "")
    raise InputError(f"unknown {kind} {value!r}; use one of: {', '.join(names)}{hint}")


def _object_synonyms() -> dict[str, str]:
    return {phrase: w.category for phrase, w in lx.OBJECT_WORDS.items()} | {
        " ".join(k): w.category for k, w in _object_phrases().items()
    }


@functools.lru_cache(maxsize=1)
def _action_synonyms() -> dict[str, str]:
    """Inflected verb phrase → action (built once: the lexicon's tables are constant)."""
    return {" ".join(k): v[0] for k, v in _verb_phrases().items()}


def _known_words() -> frozenset[str]:
    words = set(lx.PERSON_NOUNS) | set(lx.PRONOUN_GENDER) | lx.DETERMINERS | lx.AUXILIARIES
    words |= _RUN_WORDS | {w for p in lx.CLOTHING_WORDS for w in _words(p)}
    words |= {w for p in lx.BODY_WORDS for w in _words(p)} | set(lx.PART_WORDS)
    words |= {w for k in _verb_phrases() for w in k} | {w for k in _object_phrases() for w in k}
    words |= {"in", "on", "of", "to", "at", "by", "with", "without", "next", "front", "near", "up",
              "down", "it", "against", "over", "under", "into", "onto", "from", "left", "right",
              "both", "touching", "wearing", "dressed", "hair", "while", "behind", "beside"}
    return frozenset(words)


def _closest_unknown(tokens: list[Token], synonyms: dict[str, str], after: int = 0) -> str:
    """A " did you mean ..." hint for the token closest to a lexicon word."""
    known = _known_words()
    vocab = list(synonyms)
    best: tuple[float, str, str] | None = None
    for t in tokens[after:]:
        if t.is_punct or t.text in known or len(t.text) < 3:
            continue
        for cand in difflib.get_close_matches(t.text, vocab, n=1, cutoff=0.6):
            score = difflib.SequenceMatcher(None, t.text, cand).ratio()
            if best is None or score > best[0]:
                best = (score, t.text, cand)
    if best is None:
        return ""
    _, word, cand = best
    return f"; closest match: {word!r} → did you mean {cand!r} ({synonyms[cand]})?"


# --------------------------------------------------------------------------- colours and materials


def _mix(rgb: tuple[int, int, int], amount: float) -> tuple[int, int, int]:
    target = 255.0 if amount > 0 else 0.0
    a = abs(amount)
    return tuple(round(c + (target - c) * a) for c in rgb)  # type: ignore[return-value]


def _adjective_run(tokens: list[Token], end: int) -> int:
    """Index where the run of colour / material / size adjectives ending before `end` starts."""
    i = end
    while i > 0 and tokens[i - 1].text in _RUN_WORDS:
        i -= 1
    while i < end and tokens[i].text in {"and", "or", ","}:
        i += 1
    return i


def _colors_in(tokens: list[Token], start: int, end: int, hair: bool = False) -> list[tuple[str, tuple[int, int, int]]]:
    """Colour phrases in tokens[start:end] with their sRGB values (modifiers applied)."""
    out: list[tuple[str, tuple[int, int, int]]] = []
    i = start
    while i < end:
        mod = lx.COLOR_MODIFIERS.get(tokens[i].text)
        j = i + 1 if mod is not None else i
        m = _match_at(tokens, j, _COLORS) if j < end else None
        if m and m.end <= end:
            name = m.value
            rgb = (lx.HAIR_COLORS.get(name) if hair else None) or lx.COLORS[name]
            if mod is not None:
                rgb = _mix(rgb, mod)
                name = f"{tokens[i].text} {name}"
            out.append((name, rgb))
            i = m.end
        else:
            i += 1
    return out


def _materials_in(tokens: list[Token], start: int, end: int) -> list[str]:
    return [m.value for m in _find_all(tokens[start:end], _MATERIALS)]


# --------------------------------------------------------------------------- contact phrases

_SIDE_PART = {
    "hand": "hand", "hands": "hand", "palm": "hand", "fist": "hand", "fingers": "hand",
    "handed": "hand", "arm": "arm", "elbow": "arm", "forearm": "arm", "shoulder": "arm",
    "foot": "foot", "toe": "foot", "toes": "foot", "heel": "foot",
    "leg": "leg", "knee": "leg", "shin": "leg", "thigh": "leg",
}
_POSS = r"(?:his|her|their|its|the|one|my|your|a)"
_CUE_PATTERNS: list[tuple[re.Pattern[str], str, Any]] = [
    (re.compile(r"\b(?:without (?:touching|holding|contact)|not touching|no contact|"
                r"does not touch|doesn't touch|never touching|hands free|at a distance)\b"),
     "none", ()),
    (re.compile(r"\b(left|right) (" + "|".join(_SIDE_PART) + r")\b(?! side| corner)"), "part", "side"),
    (re.compile(r"\b(?:both|two) (?:hands|arms|palms)\b|\btwo handed\b|"
                r"\b(?:with|in|using|into) (?:his|her|their) (?:hands|arms)\b|"
                r"\b(?:his|her|their) arms around\b"), "part", ("right_hand", "left_hand")),
    (re.compile(r"\b(?:both|two) (?:feet|legs|knees)\b"), "part", ("left_foot", "right_foot")),
    (re.compile(r"\b(?:with|in|using|by|under|on|over) " + _POSS
                + r" (hand|palm|fist|foot|knee|elbow|arm|shoulder|forearm)\b"), "part", "default_side"),
    (re.compile(r"\b(?:one|single) hand(?:ed)?\b"), "part", ("right_hand",)),
    (re.compile(r"\b(?:on|with|using) (?:his|her|their|the) head\b"), "part", ("head",)),
    (re.compile(r"\bbackrest\b|\bback rest\b|\bback of the (?:chair|bench|seat|armchair)\b|"
                r"\b(?:with|on|against|using) (?:his|her|their) back\b|"
                r"\b(?:his|her|their) back against\b|\bleaning back\b|\bback against\b"),
     "part", ("back",)),
    (re.compile(r"\b(?:against|to) (?:his|her|their) (?:chest|belly|stomach|body)\b"),
     "part", ("torso_front",)),
    (re.compile(r"\b(?:sit|sits|sitting|sat|seated|perch|perches|perching|perched)"
                r" (?:down )?(?:on|in|upon|atop)\b"), "support", ("hips",)),
    (re.compile(r"\b(?:lie|lies|lying|lay|lain|recline|reclines|reclining|reclined|sprawled|"
                r"sprawling) (?:down )?(?:on|across|upon|along)\b"), "support", ("back", "hips")),
    (re.compile(r"\b(?:stand|stands|standing|stood|step|steps|stepping|stepped|climbs|climbing|"
                r"squat|squats|squatting|squatted|crouch|crouches|crouching|crouched)"
                r" (?:up |down )?(?:on|upon|onto|atop)\b"), "support", ("left_foot", "right_foot")),
    (re.compile(r"\b(?:kneel|kneels|kneeling|knelt|kneeled) (?:down )?(?:on|upon|onto|atop)\b"),
     "support", ("right_leg", "left_leg")),
]


def _find_cues(tokens: list[Token], obj: _Match | None) -> list[_Cue]:
    """Contact phrases in the prompt, with the body parts each names."""
    norm_parts, offsets = [], []
    pos = 0
    for t in tokens:
        offsets.append(pos)
        norm_parts.append(t.text)
        pos += len(t.text) + 1
    norm = " ".join(norm_parts)

    def token_at(char: int) -> int:
        k = 0
        while k + 1 < len(offsets) and offsets[k + 1] <= char:
            k += 1
        return k

    cues: list[_Cue] = []
    taken: list[tuple[int, int]] = []
    for pattern, kind, parts in _CUE_PATTERNS:
        for m in pattern.finditer(norm):
            if any(a < m.end() and m.start() < b for a, b in taken):
                continue
            if parts == "side":
                side, word = m.group(1), m.group(2)
                names: tuple[str, ...] = (f"{side}_{_SIDE_PART[word]}",)
            elif parts == "default_side":
                names = (f"right_{_SIDE_PART[m.group(1)]}",)
            else:
                names = parts
            s, e = token_at(m.start()), token_at(m.end() - 1) + 1
            if kind == "support" and not _governs(tokens, e, obj):
                continue  # "stands on the floor next to a box"
            taken.append((m.start(), m.end()))
            cues.append(_Cue(m.group(0), names, s, e, kind))
    cues.sort(key=lambda c: c.start_token)
    return cues


def _governs(tokens: list[Token], i: int, obj: _Match | None) -> bool:
    """Whether the noun phrase starting at token i is the object (or "it")."""
    while i < len(tokens) and (tokens[i].text in lx.DETERMINERS or tokens[i].text in _RUN_WORDS
                               or tokens[i].text in {"top", "of"}):
        i += 1
    if i < len(tokens) and tokens[i].text == "it":
        return True
    return obj is not None and i == obj.start


def default_parts(config: ContactConfig, action: str | None) -> list[str]:
    """Body parts a configuration means for an action (kick → foot, sit → hips...)."""
    if config is ContactConfig.RIGHT_HAND:
        return ["right_hand"]
    if config is ContactConfig.LEFT_HAND:
        return ["left_hand"]
    if config is ContactConfig.BOTH_HANDS:
        return ["right_hand", "left_hand"]
    if config is ContactConfig.BACK:
        return ["back", "hips"] if action in ("sit", "lie") else ["back"]
    parts = lx.ACTION_PARTS.get(action or "", ())
    if config in (ContactConfig.RIGHT_LEG, ContactConfig.LEFT_LEG):
        side = "right" if config is ContactConfig.RIGHT_LEG else "left"
        return [f"{side}_foot"] if "right_foot" in parts else [f"{side}_leg"]
    if config is ContactConfig.NO_CONTACT or ContactConfig.OTHER not in lx.ACTION_CONTACTS.get(action or "", ()):
        return []
    return list(parts)


def _ordered(parts: set[str]) -> list[str]:
    return [p for p in BODY_PARTS if p in parts]


def _contact_from_cues(text: str, cues: list[_Cue], action: str | None) -> tuple[ContactConfig, list[str]]:
    none = [c for c in cues if c.kind == "none"]
    touching = [c for c in cues if c.kind != "none"]
    if none and touching:
        raise InputError(
            f"prompt {text!r} is contradictory: {none[0].phrase!r} asks for no contact but "
            f"{touching[0].phrase!r} names a touching body part; remove one of them or pass contact=..."
        )
    if none:
        return ContactConfig.NO_CONTACT, []
    explicit = [c for c in touching if c.kind == "part"]
    hands = [c for c in explicit if any(p.endswith(("_hand", "_arm")) for p in c.parts)]
    legs = [c for c in explicit if any(p.endswith(("_foot", "_leg")) for p in c.parts)]
    if hands and legs:
        raise InputError(
            f"prompt {text!r} is contradictory: {hands[0].phrase!r} and {legs[0].phrase!r} ask for two "
            "different contact configurations (a hand and a leg); keep one or pass contact=..."
        )
    parts = {p for c in touching for p in c.parts}
    return classify_contacts(parts), _ordered(parts)


# --------------------------------------------------------------------------- appearance and body


def _appearance(text: str, tokens: list[Token], verbs: list[_Match], verb: _Match | None,
                clothing: list[_Match]) -> str:
    """The person-describing clause(s) of the prompt."""
    first_verb = verbs[0].start if verbs else len(tokens)
    end = first_verb
    while end > 0 and (tokens[end - 1].is_punct or tokens[end - 1].text in lx.AUXILIARIES):
        end -= 1
    pieces = []
    if end > 0:
        pieces.append(text[tokens[0].start : tokens[end - 1].end])
    else:
        person = next((k for k, t in enumerate(tokens) if t.text in lx.PERSON_NOUNS), None)
        if person is not None:
            s = person
            while s > 0 and not tokens[s - 1].is_punct and (
                tokens[s - 1].text in lx.DETERMINERS or tokens[s - 1].text in _RUN_WORDS
                or tokens[s - 1].text in lx.BODY_WORDS
            ):
                s -= 1
            e = person + 1
            while e < len(tokens) and not tokens[e].is_punct and not any(v.start == e for v in verbs):
                e += 1
            while e > person + 1 and tokens[e - 1].text in lx.AUXILIARIES:
                e -= 1
            pieces.append(text[tokens[s].start : tokens[e - 1].end])
    # Later clauses that only describe clothing ("..., wearing a red cap.")
    clause_start = first_verb
    for k in range(first_verb, len(tokens) + 1):
        if k == len(tokens) or tokens[k].text in ",.;":
            span = range(clause_start, k)
            has_cloth = any(c.start in span for c in clothing)
            has_verb = any(v.start in span for v in verbs)
            if span and has_cloth and not has_verb:
                pieces.append(text[tokens[span.start].start : tokens[span.stop - 1].end])
            clause_start = k + 1
    return ", ".join(p.strip() for p in pieces if p.strip())


def _body_hints(tokens: list[Token], used: set[int]) -> tuple[dict[str, float], list[str]]:
    """Phenotype hints (Anny convention, values in [0, 1]) and the words they came from."""
    hints: dict[str, float] = {}
    words: list[str] = []
    age_strong: float | None = None
    age_noun: float | None = None
    age_weak: float | None = None
    gender: str | None = None
    for k, t in enumerate(tokens):
        if k in used:
            continue
        if gender is None and lx.PERSON_NOUNS.get(t.text):
            gender = lx.PERSON_NOUNS[t.text]
            words.append(t.text)
    if gender is None:
        gender = next((lx.PRONOUN_GENDER[t.text] for t in tokens if t.text in lx.PRONOUN_GENDER), None)
    if gender is not None:
        hints["gender"] = lx.GENDER_VALUE[gender]
    i = 0
    while i < len(tokens):
        if i in used:
            i += 1
            continue
        m = _match_at(tokens, i, _BODY)
        if not m:
            i += 1
            continue
        key, value = m.value
        factor = 1.0
        if i > 0 and tokens[i - 1].text in lx.BODY_INTENSIFIERS:
            factor = lx.BODY_INTENSIFIERS[tokens[i - 1].text]
        value = min(1.0, max(0.0, 0.5 + (value - 0.5) * factor))
        if m.phrase not in words:
            words.append(m.phrase)
        if key == "age":
            if m.phrase in lx.PERSON_NOUNS:
                age_noun = value if age_noun is None else age_noun
            elif m.phrase in ("young", "adult"):
                age_weak = value if age_weak is None else age_weak
            else:
                age_strong = value if age_strong is None else age_strong
        elif key not in hints:
            hints[key] = round(value, 3)
        i = m.end
    age = next((a for a in (age_strong, age_noun, age_weak) if a is not None), None)
    if age is not None:
        hints["age"] = round(age, 3)
    return hints, words


# --------------------------------------------------------------------------- entry point


def parse_prompt(
    text: str,
    object: str | None = None,
    action: str | None = None,
    contact: str | ContactConfig | None = None,
    prop: str | None = None,
) -> Prompt:
    """Parse a free-text HOI prompt into a structured `Prompt`.

    Args:
        text: the prompt, e.g. "A girl holding a red ball with both hands".
        object: object category or synonym that overrides the text's object.
        action: action name or verb that overrides the text's action.
        contact: contact configuration name that overrides the text's contact.
        prop: the name of the user's own object mesh (`--object-mesh`): the
            object is that prop whatever noun the text uses ("a pistol"), and
            `object` must be None.

    Returns:
        A `Prompt` with `object` in the object library, `action` in
        `lexicon.ACTIONS`, `requested_config` always set (from the text, the
        action's default or the override), `contact_parts` (names from
        `BODY_PARTS`) and `attributes`:
        - "colors": slot → [r, g, b] sRGB 0–255; slots "object", "top",
          "bottom", "shoes", "hat", "hair", ...; "color_names": slot → word.
        - "material": object material (one of `lexicon.MATERIALS`) or None.
        - "object_word", "object_variant": the noun used and its style hint.
        - "body": Anny phenotype hints in [0, 1] ("gender" 0 male / 1 female,
          "age" 0 baby … 2/3 young adult … 1 old, "height", "weight", "muscle");
          "body_words": the words they came from.
        - "contact_source": "text", "verb", "default" or "override";
          "contact_phrases": the contact phrases found.

    Raises:
        InputError: empty prompt; no known object or action (the message lists
            the known ones and the closest match); contradictory contact phrases.
    """
    if not isinstance(text, str) or not text.strip():
        raise InputError("prompt is empty; describe a person interacting with an object, "
                         "e.g. 'A man carrying a suitcase in his right hand'")
    tokens = tokenize(text)
    verbs = _find_verbs(tokens)
    objects = _find_objects(tokens)
    if prop is not None:  # the prop is the object: its own words in the text, not the library's nouns
        objects = _prop_matches(tokens, prop)
        verbs = [v for v in verbs if all(v.end <= m.start or v.start >= m.end for m in objects)]
    verb, obj = _choose(verbs, objects)

    # -- object
    obj_word: lx.ObjectWord | None = obj.value if obj else None
    if prop is not None:
        if object is not None:
            raise InputError("give either an object category or your own object mesh (--object-mesh), not both")
        name = " ".join(_words(prop)).replace(" ", "_")
        if not name:
            raise InputError(f"prop name {prop!r} is empty; pass --object-name NAME (letters, e.g. 'pistol')")
        obj_word = lx.ObjectWord(name)
    elif object is not None:
        category = _resolve_name(object, "object", _object_categories(), _object_synonyms())
        if obj_word is None or obj_word.category != category:
            obj_word = lx.OBJECT_WORDS.get(" ".join(_words(object)), lx.ObjectWord(category))
    elif obj_word is None:
        raise InputError(
            f"no known object in prompt {text!r}; known objects: {', '.join(_object_categories())}"
            f"{_closest_unknown(tokens, _object_synonyms(), verb.end if verb else 0)}"
            "; or bring your own object mesh: --object-mesh PROP.glb (SDK: object_mesh=...)"
        )

    # -- action
    act: str | None = verb.value[0] if verb else None
    if action is not None:
        act = _resolve_name(action, "action", lx.ACTIONS, _action_synonyms())
    elif act is None:
        raise InputError(
            f"no known action verb in prompt {text!r}; known actions: {', '.join(lx.ACTIONS)}"
            f"{_closest_unknown(tokens, _action_synonyms())} (or pass action=...)"
        )
    elif verb is not None:
        act = _refine_action(act, tokens, verb, verbs)

    # -- contact
    cues = _find_cues(tokens, obj)
    if contact is not None:
        config = ContactConfig.parse(contact)
        parts = default_parts(config, act)
        source = "override"
    elif cues:
        config, parts = _contact_from_cues(text, cues, act)
        source = "text"
    else:
        implied = lx.ACTION_IMPLIED_CONTACT.get(verb.value[1]) if verb and action is None else None
        config = implied or lx.DEFAULT_CONTACT[act]
        parts = default_parts(config, act)
        source = "verb" if implied else "default"
    if act == "carry" and action is None and config is ContactConfig.BOTH_HANDS:
        act = "carry_two_hands"
    if config is ContactConfig.NO_CONTACT and act in lx.CONTACT_REQUIRED:
        raise InputError(
            f"prompt {text!r} is contradictory: action {act!r} needs contact with the "
            f"{obj_word.category} but no contact was asked for; change the action or the contact"
        )
    if act == "carry_two_hands" and config in (ContactConfig.RIGHT_HAND, ContactConfig.LEFT_HAND):
        raise InputError(
            f"prompt {text!r} is contradictory: action 'carry_two_hands' needs both hands but the "
            f"contact asked for is {config.value!r}; pass action='carry' or contact='both_hands'"
        )

    attributes = _attributes(text, tokens, obj, obj_word, verbs, cues)
    if object is not None and (obj is None or obj.value.category != obj_word.category):
        attributes["object_word"] = " ".join(_words(object))
    attributes["contact_source"] = source
    attributes["contact_phrases"] = [c.phrase for c in cues] if source == "text" else []
    appearance = _appearance(text, tokens, verbs, verb, _find_all(tokens, _CLOTHES))
    return Prompt(
        text=text,
        appearance=appearance,
        object=obj_word.category,
        action=act,
        contact_parts=parts,
        requested_config=config,
        attributes=attributes,
    )


def _object_categories() -> tuple[str, ...]:
    return tuple(sorted({w.category for w in lx.OBJECT_WORDS.values()}))


def _attributes(text: str, tokens: list[Token], obj: _Match | None, obj_word: lx.ObjectWord,
                verbs: list[_Match], cues: list[_Cue]) -> dict[str, Any]:
    colors: dict[str, list[int]] = {}
    names: dict[str, str] = {}
    cloth_materials: dict[str, str] = {}
    used: set[int] = set()
    material = obj_word.material
    if obj is not None:
        run = _adjective_run(tokens, obj.start)
        used.update(range(run, obj.end))
        found = _colors_in(tokens, run, obj.start)
        if found:
            names["object"], rgb = found[0]
            colors["object"] = list(rgb)
            if len(found) > 1:
                names["object_secondary"], rgb2 = found[1]
                colors["object_secondary"] = list(rgb2)
        mats = _materials_in(tokens, run, obj.start)
        if mats:
            material = mats[0]
        elif material is None and found and found[0][0].split()[-1] in lx.METAL_COLORS:
            material = "metal"
    top_from_outer = False
    for c in _find_all(tokens, _CLOTHES):
        if obj is not None and obj.start <= c.start < obj.end:
            continue
        nxt = tokens[c.end].text if c.end < len(tokens) else ""
        if c.value == "top" and nxt == "of":
            continue
        run = _adjective_run(tokens, c.start)
        used.update(range(run, c.end))
        slots = lx.CLOTHING_WORDS[c.value]
        hair = slots == ("hair",)
        found = _colors_in(tokens, run, c.start, hair=hair)
        mats = _materials_in(tokens, run, c.start)
        outer = c.value in lx.TOP_PRIORITY
        for slot in slots:
            if found and (slot not in colors or (slot == "top" and outer and not top_from_outer)):
                names[slot], rgb = found[0]
                colors[slot] = list(rgb)
                if slot == "top":
                    top_from_outer = outer
            if mats and slot not in cloth_materials:
                cloth_materials[slot] = mats[0]
    # "a man in red", "dressed in navy blue": a colour with no noun after it
    for k, t in enumerate(tokens[:-1]):
        if t.text not in ("in", "wearing") or "top" in colors or k + 1 in used:
            continue
        found = _colors_in(tokens, k + 1, min(len(tokens), k + 4))
        j = k + 2 if tokens[k + 1].text in lx.COLOR_MODIFIERS else k + 1
        m = _match_at(tokens, j, _COLORS)
        if found and m is not None and (m.end == len(tokens) or tokens[m.end].text not in _RUN_WORDS):
            names["top"], rgb = found[0]
            colors["top"] = list(rgb)
            used.update(range(k + 1, m.end))
    # "a blonde woman"
    for k, t in enumerate(tokens[:-1]):
        is_hair = t.text in ("blonde", "blond", "brunette") and tokens[k + 1].text in lx.PERSON_NOUNS
        if (is_hair or t.text == "redhead") and "hair" not in colors:
            key = "red" if t.text == "redhead" else t.text
            names["hair"], colors["hair"] = key, list(lx.HAIR_COLORS[key])
            used.add(k)
    for cue in cues:
        used.update(range(cue.start_token, cue.end_token))
    for v in verbs:
        used.update(range(v.start, v.end))
    body, body_words = _body_hints(tokens, used)
    out: dict[str, Any] = {
        "colors": colors,
        "color_names": names,
        "material": material,
        "object_word": " ".join(t.text for t in tokens[obj.start : obj.end]) if obj else None,
        "object_variant": obj_word.variant,
        "body": body,
        "body_words": body_words,
    }
    if cloth_materials:
        out["clothing_materials"] = cloth_materials
    return out
