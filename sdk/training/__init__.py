"""HOI3DGen's first two steps, and its evaluation.

- `data`: training samples (synthesised by compose, or imported from ProciGen /
  BEHAVE), decomposed annotation, 8-configuration filtering, the NVlabs/Sana layout.
- `finetune`: view-conditioned SANA fine-tuning (full or LoRA).
- `evaluate`: contact accuracy with its confusion matrix, and a VLM judge.

Layer 4: above the generators (compose synthesises samples, the hoi3dgen SANA
is fine-tuned), below the application floor.
"""
