"""`hoiexport doctor`: what this machine can run."""

from __future__ import annotations

import click


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print a JSON report.")
def doctor(as_json: bool) -> None:
    """Report Python, torch, CUDA, body models, validators and model weights."""
    raise SystemExit(0)
