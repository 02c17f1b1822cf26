"""Lifting a combined human + object mesh into an `HOIAsset` (DESIGN §7 stages 5–7, §7b)."""
