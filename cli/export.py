"""`hoiexport export`: engine assets from a bundle, validated."""

from __future__ import annotations

import dataclasses
import json

from typing import TYPE_CHECKING

import click

from hoiexport.cli.common import TARGET_CHOICES, echo_timings, lod_compress_options, rig_options

if TYPE_CHECKING:
    from hoiexport import RigOptions


@click.command("export")
@click.argument("bundle", type=click.Path(exists=True, file_okay=False))
@click.option("-o", "--out", "out_dir", required=True, type=click.Path(file_okay=False), help="Output folder.")
@click.option("--format", "formats", default="glb,usdc,usdz", show_default=True,
              help="Comma-separated: glb, gltf, usda, usdc, usdz.")
@click.option("--target", default="unity", show_default=True,
              type=click.Choice(TARGET_CHOICES), help="Engine preset (USD axes/units).")
@click.option("--texture-size", default=2048, show_default=True, type=int, help="Baked texture edge, 512-4096 px.")
@click.option("--max-faces-human", default=40_000, show_default=True, type=int, help="Human face budget.")
@click.option("--max-faces-object", default=20_000, show_default=True, type=int, help="Object face budget.")
@click.option("--name", default=None, help="File stem / root name (default: hoi_<object>).")
@rig_options
@lod_compress_options
@click.option("--json", "as_json", is_flag=True, help="Print files, validation and timings as JSON.")
def export_cmd(bundle: str, out_dir: str, formats: str, target: str, texture_size: int,
               max_faces_human: int, max_faces_object: int, name: str | None, as_json: bool,
               rig: RigOptions, lods: int, compress: str) -> None:
    """Export BUNDLE as UV-unwrapped, baked, skinned glTF / USD assets into OUT."""
    from hoiexport import ExportOptions, export
    from hoiexport import BakeOptions, PrepareOptions
    from hoiexport import load_bundle

    asset = load_bundle(bundle)
    base = ExportOptions()
    options = dataclasses.replace(
        base,
        prepare=dataclasses.replace(base.prepare, human_max_faces=max_faces_human, object_max_faces=max_faces_object)
        if isinstance(base.prepare, PrepareOptions) else base.prepare,
        bake=BakeOptions(size=texture_size, gutter_px=base.bake.gutter_px),
        rig=rig,
        lods=lods,
        compress=compress,
    )
    result = export(asset, out_dir, formats=formats, target=target, options=options, name=name)
    if as_json:
        click.echo(json.dumps(result.to_json(), indent=2))
        return
    for fmt, path in result.files.items():
        report = result.validation.get(str(path))
        status = f"valid ({report.errors} errors, {report.warnings} warnings)" if report else "not validated"
        click.echo(f"{fmt:5} {path}  {status}")
    echo_timings(result.timings_s)
