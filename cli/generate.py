"""`hoiexport generate`: text → bundle + validated engine assets."""

from __future__ import annotations

import dataclasses
import json
import time
from pathlib import Path
from typing import TYPE_CHECKING

import click

from hoiexport.generation import GENERATOR_CHOICES, PRESET_CHOICES

from hoiexport.cli.common import TARGET_CHOICES, echo_timings, lod_compress_options, rig_options

if TYPE_CHECKING:
    from hoiexport import RigOptions


def _parse_body(values: tuple[str, ...]) -> dict[str, float]:
    from hoiexport import InputError

    out: dict[str, float] = {}
    for item in values:
        key, sep, value = item.partition("=")
        try:
            if not sep:
                raise ValueError
            out[key.strip()] = float(value)
        except ValueError:
            raise InputError(f"--body {item!r} must be NAME=VALUE, e.g. --body height=0.6") from None
    return out


@click.command("generate")
@click.argument("text")
@click.option("-o", "--out", "out_dir", required=True, type=click.Path(file_okay=False),
              help="Output folder: the bundle goes to OUT/bundle, the exports to OUT.")
@click.option("--generator", default="auto", show_default=True, type=click.Choice(GENERATOR_CHOICES),
              help="compose: CPU, procedural; hoi3dgen: the paper's GPU chain (needs CUDA and the weights); "
                   "auto: hoi3dgen when a CUDA GPU and all its weights are present, else compose.")
@click.option("--preset", default=None, type=click.Choice(PRESET_CHOICES),
              help="Settings preset of the generator. hoi3dgen: best (default, our improvements) or paper "
                   "(every setting as the official HOI3DGen release; docs/fidelity.md). compose: default.")
@click.option("--set", "settings", multiple=True, metavar="KEY=VALUE",
              help="Override one setting of the preset, e.g. --set lift.orbit.views=4 (hoi3dgen) or "
                   "--set max_attempts=2 (compose); repeatable.")
@click.option("--device", default="auto", show_default=True, help="hoi3dgen: auto, cpu, cuda or cuda:N.")
@click.option("--precision", default="bf16", show_default=True, type=click.Choice(["bf16", "fp16", "fp32"]),
              help="hoi3dgen: weights and activations dtype on CUDA.")
@click.option("--cpu-offload/--no-cpu-offload", default=None,
              help="hoi3dgen: diffusers model CPU offload (default: on for GPUs under 24 GB).")
@click.option("--seed", default=0, show_default=True, type=click.IntRange(min=0), help="Random seed.")
@click.option("--object", "object_", default=None, help="Object category overriding the text's (e.g. suitcase).")
@click.option("--action", default=None, help="Action overriding the text's (e.g. carry).")
@click.option("--contact", default=None,
              type=click.Choice(["right_hand", "left_hand", "both_hands", "back", "right_leg", "left_leg",
                                 "no_contact", "other"]),
              help="Contact configuration overriding the text's.")
@click.option("--object-mesh", "object_mesh", default=None, type=click.Path(dir_okay=False),
              help="Your own prop (.glb, .gltf, .obj, .ply): staged by its shape (handles, seats, sides), "
                   "its texture kept; compose only.")
@click.option("--object-name", default=None, help="The prop's name [the file name].")
@click.option("--object-height", default=None, type=float, metavar="M", help="Scale the prop to this height, metres.")
@click.option("--object-scale", default=None, type=float, metavar="S",
              help="Multiply the prop's coordinates by S (0.01 for a file in centimetres).")
@click.option("--up", "up_axis", default="y", show_default=True, type=click.Choice(["y", "z"]),
              help="The prop file's up axis.")
@click.option("--body", "body", multiple=True, metavar="NAME=VALUE",
              help="Anny phenotype override in [0, 1] (gender, age, muscle, weight, height, proportions); repeatable.")
@click.option("--format", "formats", default="glb,usdc,usdz", show_default=True,
              help="Comma-separated: glb, gltf, usda, usdc, usdz.")
@click.option("--target", default="unity", show_default=True,
              type=click.Choice(TARGET_CHOICES), help="Engine preset (USD axes/units).")
@click.option("--texture-size", default=2048, show_default=True, type=int, help="Baked texture edge, 512-4096 px.")
@rig_options
@lod_compress_options
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
def generate_cmd(text: str, out_dir: str, generator: str, preset: str | None, settings: tuple[str, ...], device: str, precision: str, cpu_offload: bool | None,
                 seed: int, object_: str | None, action: str | None, contact: str | None,
                 object_mesh: str | None, object_name: str | None, object_height: float | None,
                 object_scale: float | None, up_axis: str, body: tuple[str, ...],
                 formats: str, target: str, texture_size: int, as_json: bool, rig: RigOptions, lods: int,
                 compress: str) -> None:
    """Generate the interaction TEXT describes, save its bundle and export it (validated).

    Example: hoiexport generate "A man carrying a suitcase in his right hand" -o out/
    """
    from hoiexport import ExportOptions, export, parse_formats
    from hoiexport import BakeOptions
    from hoiexport import get_preset, locate_gltf_transform, resolve_compression
    from hoiexport import save_bundle
    from hoiexport.generation import generate, make_settings, parse_assignments, resolve_name

    t0 = time.perf_counter()
    fmts = parse_formats(formats)  # bad flags fail before the work starts
    get_preset(target)
    base = ExportOptions()
    options = dataclasses.replace(base, bake=BakeOptions(size=texture_size, gutter_px=base.bake.gutter_px), rig=rig,
                                  lods=lods, compress=compress)
    if "glb" in fmts and resolve_compression(compress, target) != "none":
        locate_gltf_transform()  # node and glTF-Transform are there before the generation runs
    shape = _parse_body(body)
    runtime = None
    prop = None
    if object_mesh is not None:
        from hoiexport import PropOptions

        prop = PropOptions(name=object_name, height_m=object_height, scale=object_scale, up=up_axis)
        if generator == "auto":
            generator = "compose"  # hoi3dgen makes its own object
    elif object_name or object_height is not None or object_scale is not None:
        raise click.UsageError("--object-name, --object-height and --object-scale go with --object-mesh")
    generator = resolve_name(generator)  # "auto" → the generator that runs here
    settings_obj = make_settings(generator, preset, parse_assignments(settings, "--set"))
    if generator == "hoi3dgen":
        from hoiexport import Runtime

        runtime = Runtime(device=device, precision=precision, cpu_offload=cpu_offload)
    if not as_json:
        click.echo(f"generating ({generator}, seed {seed}) ...", err=True)
    asset = generate(text, generator=generator, seed=seed, object=object_, action=action, contact=contact,
                     body=shape or None, options=settings_obj, runtime=runtime, object_mesh=object_mesh, prop=prop)
    out = Path(out_dir)
    bundle = save_bundle(asset, out / "bundle", overwrite=True)
    if not as_json:
        click.echo("exporting ...", err=True)
    result = export(asset, out, formats=fmts, target=target, options=options)
    seconds = time.perf_counter() - t0
    pen = asset.penetration
    data = {
        "bundle": str(bundle),
        "files": {k: str(v) for k, v in result.files.items()},
        "prompt": asset.prompt.to_json(),
        "requested_config": asset.prompt.requested_config.value if asset.prompt.requested_config else None,
        "contact_config": asset.contact_config.value,
        "contacts": [c.to_json() for c in asset.contacts],
        "penetration": pen.to_json(),
        "seed": asset.provenance.seed,
        "generator": asset.provenance.generator,
        "preset": asset.provenance.notes.get("preset"),
        "models": asset.provenance.models,
        "validation": result.to_json()["validation"],
        "timings_s": {
            "generate": {k: round(v, 4) for k, v in asset.provenance.timings_s.items()},
            "export": {k: round(v, 4) for k, v in result.timings_s.items()},
        },
        "seconds": round(seconds, 3),
    }
    if as_json:
        click.echo(json.dumps(data, indent=2))
        return
    p = asset.prompt
    click.echo(f"prompt: object {p.object}, action {p.action}, requested {data['requested_config']}")
    click.echo(f"measured: {data['contact_config']} "
               f"(touching: {', '.join(c.part for c in asset.contacts) or 'nothing'}); "
               f"penetration {pen.max_depth_cm:.2f} cm; seed {data['seed']}")
    click.echo(f"bundle {bundle}")
    for fmt, path in result.files.items():
        report = result.validation.get(str(path))
        status = f"valid ({report.errors} errors, {report.warnings} warnings)" if report else "not validated"
        click.echo(f"{fmt:5} {path}  {status}")
    echo_timings({**{f"generate.{k}": v for k, v in asset.provenance.timings_s.items()},
                  "export": result.timings_s.get("total", 0.0), "all": seconds})
