"""The `hoiexport` click group. Each command lives in its own module."""

from __future__ import annotations

import os
import sys

import click

from hoiexport import __version__
from hoiexport import HOIExportError


class _App(click.Group):
    """Turns hoiexport's own errors into one clear line and exit code 1.

    A `RuntimeError` or `OSError` raised inside a library hoiexport runs (torch,
    trimesh, the file system) is also one line, with its type; set
    HOIEXPORT_DEBUG=1 to get the traceback instead.
    """

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except HOIExportError as exc:
            click.echo(f"error: {exc}", err=True)
            sys.exit(1)
        except (click.exceptions.Exit, click.ClickException, click.Abort):
            raise  # click's own control flow (`ctx.exit` raises Exit, a RuntimeError)
        except (RuntimeError, OSError) as exc:
            if os.environ.get("HOIEXPORT_DEBUG"):
                raise
            click.echo(f"error: {type(exc).__name__}: {exc} (set HOIEXPORT_DEBUG=1 for the traceback)", err=True)
            sys.exit(1)


@click.group(cls=_App, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="hoiexport")
def app() -> None:
    """Text to 3D human-object interactions, exported as glTF / USD game assets."""


def _register() -> None:
    from hoiexport.cli import batch, contacts, doctor, export, models, validate

    app.add_command(doctor.doctor)
    app.add_command(validate.validate)
    app.add_command(export.export_cmd)
    app.add_command(contacts.contacts)
    app.add_command(batch.batch)
    app.add_command(models.models)
    from hoiexport.cli.generate import generate_cmd
    app.add_command(generate_cmd)
    from hoiexport.cli.lift import lift_cmd
    app.add_command(lift_cmd)
    from hoiexport.cli.data import data
    app.add_command(data)
    from hoiexport.cli.evaluate import eval_group
    app.add_command(eval_group)
    from hoiexport.cli.finetune import finetune
    app.add_command(finetune)


_register()


def main() -> None:
    """Console-script entry point."""
    app(prog_name="hoiexport")
