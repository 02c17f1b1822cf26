"""The `compose` CPU generator (DESIGN §7).

Building blocks:
- `hoiexport.sdk.compose.prompt_parse.parse_prompt`: text → structured `Prompt`.
- `hoiexport.sdk.compose.lexicon`: the word lists and the default-contact table.
- `hoiexport.sdk.compose.objects.make_object`: the procedural object library.
"""
