"""The `compose` CPU generator (DESIGN §7).

Building blocks:
- `hoiexport.sdk.prompt.parse.parse_prompt`: text → structured `Prompt`.
- `hoiexport.sdk.prompt.lexicon`: the word lists and the default-contact table.
- `hoiexport.sdk.generators.compose.objects.make_object`: the procedural object library.
"""
