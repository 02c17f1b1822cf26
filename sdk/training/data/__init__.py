"""Training data: samples on disk (`sample`), compose synthesis (`synth`),
ProciGen / BEHAVE import (`procigen`), decomposed annotation (`annotate`) and
filtering to the NVlabs/Sana layout (`filter`)."""
