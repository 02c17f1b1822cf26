"""hoiexport.cli: the `hoiexport` command (click). Thin: parse, call the SDK, report."""

from hoiexport.cli.app import main

__all__ = ["main"]
