"""Prompts: text → the structured `Prompt` every generator and `lift` read.

- `parse.parse_prompt`: the light grammar (actions, objects, contact phrases,
  appearance, body words) over the word lists of `lexicon`.
- `resolve.resolve_prompt`: text or `Prompt` + overrides → the requested `Prompt`.
"""

from hoiexport.sdk.prompt.parse import parse_prompt
from hoiexport.sdk.prompt.resolve import resolve_prompt, support_contact

__all__ = ["parse_prompt", "resolve_prompt", "support_contact"]
