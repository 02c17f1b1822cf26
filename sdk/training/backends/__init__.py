"""Language and vision-language backends of the data and evaluation steps,
behind narrow protocols (`protocols`): InternVL, Llama 3.1 and a template
backend that needs no weights."""
