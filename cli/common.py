"""Small helpers shared by the CLI commands."""

from __future__ import annotations

import click

from hoiexport import TARGETS

TARGET_CHOICES: tuple[str, ...] = TARGETS
"""`--target` choices: the exporters' engine presets."""


def echo_timings(timings_s: dict[str, float]) -> None:
    """Print 'stage 0.12s' pairs on one line."""
    click.echo("timings: " + "  ".join(f"{k} {v:.2f}s" for k, v in timings_s.items()))
