"""`hoiexport validate FILE...`: run the glTF / USD validators on exported files."""

from __future__ import annotations

import json
from pathlib import Path

import click

from hoiexport import ValidationReport, file_format, validate_files
from hoiexport import HOIExportError, InputError

_STYLE = {"error": "red", "warning": "yellow", "info": "cyan", "hint": "blue"}


def _echo_report(report: ValidationReport) -> None:
    verdict = click.style("PASS", fg="green") if report.ok else click.style("FAIL", fg="red", bold=True)
    click.echo(
        f"{verdict} {report.path}  [{report.format}, {report.validator_version}]  "
        f"{report.errors} error(s), {report.warnings} warning(s), {report.infos} info(s)"
    )
    for m in report.messages:
        severity = click.style(f"{m.severity:<7}", fg=_STYLE[m.severity])
        where = f" at {m.location}" if m.location else ""
        click.echo(f"  {severity} {m.code}{where}: {m.message}")


@click.command("validate")
@click.argument(
    "files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path)
)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object {path: report}.")
@click.option("--strict", is_flag=True, help="Count warnings as failures (what exports require).")
def validate(files: tuple[Path, ...], as_json: bool, strict: bool) -> None:
    """Validate exported .glb/.gltf (Khronos glTF-Validator) and
    .usd/.usda/.usdc/.usdz (OpenUSD UsdValidation) files, plus house rules.

    Exit code 0 when every file passes, 1 when any has errors (or warnings with
    --strict), 2 on usage errors.
    """
    for path in files:
        try:
            file_format(path)
        except InputError as exc:
            raise click.BadParameter(str(exc), param_hint="FILES") from None
    try:
        reports = validate_files(files, strict=strict)
    except HOIExportError as exc:
        raise click.ClickException(str(exc)) from None
    if as_json:
        click.echo(json.dumps({str(r.path): r.to_json() for r in reports}, indent=2))
    else:
        for report in reports:
            _echo_report(report)
        failed = sum(not r.ok for r in reports)
        click.echo(f"{len(reports) - failed} of {len(reports)} file(s) passed" + (" (strict)" if strict else ""))
    if any(not r.ok for r in reports):
        click.get_current_context().exit(1)
