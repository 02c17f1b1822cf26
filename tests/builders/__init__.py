"""Model builders shared by the tests (size "tiny") and `benchmarks/gpu_chain.py`
(size "full"): one size-parameterised builder per model; see `sizes`."""
