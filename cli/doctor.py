"""`hoiexport doctor`: what this machine can run, and what to do about what it can't."""

from __future__ import annotations

import json
import sys
from dataclasses import asdict

import click

from hoiexport import __version__
from hoiexport.diagnostics import run_checks


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
def doctor(as_json: bool) -> None:
    """Report Python, torch, CUDA, body models, SMPL files and validators.

    Exits 0 when the CPU default path (body model, export, validation) can run.
    """
    checks = run_checks()
    ok = all(c.ok for c in checks if c.required)
    if as_json:
        click.echo(json.dumps({"version": __version__, "ok": ok, "checks": [asdict(c) for c in checks]}, indent=2))
    else:
        click.echo(f"hoiexport {__version__}")
        for c in checks:
            mark = "ok " if c.ok else ("-- " if not c.required else "XX ")
            click.echo(f"  {mark} {c.name:<18} {c.detail}")
        click.echo("ready: the CPU default path can run" if ok else "not ready: fix the XX lines above")
    sys.exit(0 if ok else 1)
