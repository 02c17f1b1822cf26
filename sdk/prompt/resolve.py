"""From what a caller gives (text or a `Prompt`, plus overrides) to the `Prompt`
every generator and `lift` read.

`resolve_prompt` parses the text (`parse.parse_prompt`), applies the explicit
`object` / `action` / `contact` overrides, then `support_contact`: the requested
configuration of a body resting on a support follows the rule that classifies
measured contacts (`contacts.classify`), so the configuration a generator is asked
for is the one its result will be measured as.
"""

from __future__ import annotations

from hoiexport.sdk.core.errors import InputError
from hoiexport.sdk.core.types import ContactConfig, Prompt
from hoiexport.sdk.prompt.parse import parse_prompt


def support_contact(prompt: Prompt) -> Prompt:
    """Lying or sitting *on* a support: the requested configuration becomes "other".

    The parser reads "lying on a bench" as back + hips and "sits on a bench,
    leaning against its backrest" as hips + back, i.e. `back`. But a body lying
    on a bench, table or bed touches it with the back, the hips and the legs, and
    a seated body rests on its hips and thighs, which `contacts.classify` calls
    `other` ("lying on a bed", "sitting on a chair"). When the text says nothing
    more specific ("lying on his back" keeps `back`; an explicit `contact`
    override is kept), the prompt is returned with `other`, the legs among its
    parts, and `attributes["contact_adjusted"]` saying why. The back stays among
    the parts, so a seated body still leans on the backrest.

    Args:
        prompt: a parsed prompt.

    Returns:
        The same prompt, or a new one with contact "other" as described.
    """
    parts = set(prompt.contact_parts)
    source = prompt.attributes.get("contact_source")
    phrases = " ".join(prompt.attributes.get("contact_phrases") or [])
    if source not in ("text", "default") or parts != {"back", "hips"}:
        return prompt
    if prompt.action == "lie" and "back" not in phrases.split():
        why = "lying on a support touches it with the back, hips and legs: contact 'other' (contacts.classify)"
    elif prompt.action == "sit":
        why = ("sitting on a seat touches it with the hips and thighs, the backrest with the back: "
               "contact 'other' (contacts.classify)")
    else:
        return prompt
    attributes = dict(prompt.attributes)
    attributes["contact_adjusted"] = why
    return Prompt(
        text=prompt.text,
        appearance=prompt.appearance,
        object=prompt.object,
        action=prompt.action,
        contact_parts=["back", "hips", "right_leg", "left_leg"],
        requested_config=ContactConfig.OTHER,
        attributes=attributes,
    )


def resolve_prompt(prompt: str | Prompt, object: str | None = None, action: str | None = None,
                   contact: str | ContactConfig | None = None, prop: str | None = None) -> Prompt:
    """The `Prompt` a generator is asked for.

    Args:
        prompt: free text, or a `Prompt`. A `Prompt` that already names its
            object, action and configuration is kept as it is when no override
            is given; otherwise its text is parsed again with the overrides.
        object: object category or synonym overriding the text's.
        action: action overriding the text's.
        contact: contact configuration overriding the text's.
        prop: the name of the user's own object mesh: the prompt's object is
            that prop, whatever noun the text uses (`parse_prompt`).

    Returns:
        The parsed prompt with `support_contact` applied.

    Raises:
        InputError: the prompt is neither text nor a `Prompt`, or cannot be parsed
            (the message names the word at fault and the fix).
    """
    if isinstance(prompt, Prompt):
        if object is None and action is None and contact is None and prop is None \
                and prompt.requested_config is not None and prompt.object and prompt.action:
            return support_contact(prompt)
        return support_contact(parse_prompt(prompt.text, object=object, action=action, contact=contact, prop=prop))
    if not isinstance(prompt, str):
        raise InputError(f"prompt must be text or a Prompt, got {type(prompt).__name__}")
    return support_contact(parse_prompt(prompt, object=object, action=action, contact=contact, prop=prop))
