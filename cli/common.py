"""Small helpers shared by the CLI commands."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click

from hoiexport import TARGETS

TARGET_CHOICES: tuple[str, ...] = TARGETS
"""`--target` choices: the exporters' engine presets."""


def echo_timings(timings_s: dict[str, float]) -> None:
    """Print 'stage 0.12s' pairs on one line."""
    click.echo("timings: " + "  ".join(f"{k} {v:.2f}s" for k, v in timings_s.items()))


def device_options(what: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """`--device` and `--precision` of a command that loads models (`what` names them in the help)."""

    def decorate(f: Callable[..., Any]) -> Callable[..., Any]:
        f = click.option("--precision", default="bf16", show_default=True, type=click.Choice(["bf16", "fp16", "fp32"]),
                         help=f"Dtype of the {what} on CUDA (CPU runs fp32).")(f)
        return click.option("--device", default="auto", show_default=True,
                            help=f"Where the {what} run: auto, cpu, cuda or cuda:N.")(f)

    return decorate
