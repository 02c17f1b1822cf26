"""`hoiexport lift`: a combined human + object mesh → segmented, registered bundle → exports."""

from __future__ import annotations

import dataclasses
import json
import time
from pathlib import Path
from typing import cast

import click

from hoiexport.cli.common import TARGET_CHOICES, echo_timings
from hoiexport.lifting import SEGMENTER_CHOICES, SegmenterChoice


@click.command("lift")
@click.argument("meshes", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False))
@click.option("--prompt", "text", required=True, help="The prompt the mesh was generated from.")
@click.option("--object", "object_name", default=None,
              help="Object name for segmentation (default: the prompt's object, else 'object').")
@click.option("-o", "--out", "out_dir", required=True, type=click.Path(file_okay=False),
              help="Output folder: the bundle goes to OUT/bundle, the exports to OUT.")
@click.option("--labels", "labels_files", multiple=True, type=click.Path(exists=True, dir_okay=False),
              help="Per-vertex labels (.npy or text; 0 = person, 1 = object), one per MESH in order.")
@click.option("--segmenter", default="auto", show_default=True, type=click.Choice(SEGMENTER_CHOICES),
              help="auto: labels when every mesh carries them (a --labels file, nodes named human/object, "
                   "or parts the body fits), else grounded_sam2.")
@click.option("--detector-dir", default=None, type=click.Path(file_okay=False),
              help="Grounding DINO folder (transformers format); default: the lock's entry.")
@click.option("--sam-dir", default=None, type=click.Path(file_okay=False),
              help="SAM 2 folder (transformers format); default: the lock's entry.")
@click.option("--views", default=8, show_default=True, type=click.IntRange(1, 64), help="Orbit frames.")
@click.option("--resolution", default=512, show_default=True, type=click.IntRange(64, 2048), help="Frame edge, px.")
@click.option("--pitch", default=15.0, show_default=True, type=click.FloatRange(-80, 80), help="Orbit pitch, degrees.")
@click.option("--format", "formats", default="glb,usdc,usdz", show_default=True,
              help="Comma-separated: glb, gltf, usda, usdc, usdz.")
@click.option("--target", default="unity", show_default=True,
              type=click.Choice(TARGET_CHOICES), help="Engine preset (USD axes/units).")
@click.option("--texture-size", default=2048, show_default=True, type=int, help="Baked texture edge, 512-4096 px.")
@click.option("--save-views", is_flag=True, help="Also write the orbit frames, masks and cameras to OUT/views.")
@click.option("--seed", default=0, show_default=True, type=click.IntRange(min=0), help="Recorded in the provenance.")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
def lift_cmd(meshes: tuple[str, ...], text: str, object_name: str | None, out_dir: str,
             labels_files: tuple[str, ...], segmenter: str, detector_dir: str | None, sam_dir: str | None,
             views: int, resolution: int, pitch: float, formats: str, target: str, texture_size: int,
             save_views: bool, seed: int, as_json: bool) -> None:
    """Lift MESH (a combined human + object mesh: glb, gltf, obj, ply) into a registered, exported asset.

    Renders an orbit of the mesh, segments person and object in every frame, votes
    per vertex, splits the mesh, registers the body model to the human part and
    measures contacts. With several MESHes (candidates of one prompt) the one whose
    measured contact configuration matches the prompt is kept. A mesh whose person
    and object are separate parts (glb nodes with any names, or unconnected
    pieces) is split by fitting the body to each part; no segmentation weights needed.

    Example: hoiexport lift scene.glb --prompt "A man carrying a suitcase" -o out/
    """
    from hoiexport import CHAMFER_DEFINITION, BakeOptions, ExportOptions, export, get_preset, parse_formats, \
        save_bundle
    from hoiexport.lifting import lift_files

    t0 = time.perf_counter()
    fmts = parse_formats(formats)  # bad flags fail before the work starts
    get_preset(target)
    base = ExportOptions()
    export_options = dataclasses.replace(base, bake=BakeOptions(size=texture_size, gutter_px=base.bake.gutter_px))
    if not as_json:
        click.echo(f"lifting {len(meshes)} mesh(es) ...", err=True)
    run = lift_files(meshes, text, object_name=object_name, labels_files=labels_files,
                     segmenter=cast(SegmenterChoice, segmenter),  # click.Choice(SEGMENTER_CHOICES) checked it
                     detector_dir=detector_dir, sam_dir=sam_dir, views=views, resolution=resolution,
                     pitch_deg=pitch, seed=seed)
    results, selection, chosen, asset, backend, prompt = \
        run.results, run.selection, run.chosen, run.asset, run.backend, run.prompt
    out = Path(out_dir)
    bundle = save_bundle(asset, out / "bundle", overwrite=True)
    if save_views:
        for i, r in enumerate(results):
            r.views.save(out / "views" / f"candidate_{i}", r.masks.masks, r.masks.labels)
    if not as_json:
        click.echo("exporting ...", err=True)
    result = export(asset, out, formats=fmts, target=target, options=export_options)
    reg = chosen.registration
    data = {
        "bundle": str(bundle),
        "files": {k: str(v) for k, v in result.files.items()},
        "validation": result.to_json()["validation"],
        "segmenter": backend,
        "chosen": selection.index,
        "selection": selection.reason,
        "requested_config": prompt.requested_config.value if prompt.requested_config else None,
        "contact_config": asset.contact_config.value,
        "contacts": [c.part for c in asset.contacts],
        "penetration_cm": round(asset.penetration.max_depth_cm, 3),
        "chamfer": reg.chamfer.to_json(),
        "candidates": [
            {
                "mesh": path,
                "contact_config": r.asset.contact_config.value,
                "penetration_cm": round(r.asset.penetration.max_depth_cm, 3),
                "chamfer_cm": round(r.registration.chamfer.chamfer_cm, 4),
                "chamfer_squared_cm2": round(r.registration.chamfer.squared_cm2, 4),
                "human_vertices": int((r.labels == 0).sum()),
                "object_vertices": int((r.labels == 1).sum()),
                "timings_s": {k: round(v, 3) for k, v in r.timings_s.items()},
            }
            for path, r in zip(meshes, results, strict=True)
        ],
        "seconds": round(time.perf_counter() - t0, 2),
    }
    if as_json:
        click.echo(json.dumps(data, indent=2))
        return
    click.echo(f"segmenter: {backend}; kept candidate {selection.index}: {selection.reason}")
    req = data["requested_config"] or "none"
    click.echo(f"contact config: {asset.contact_config.value} (requested {req}); "
               f"penetration {asset.penetration.max_depth_cm:.2f} cm")
    click.echo(f"Chamfer {reg.chamfer.chamfer_cm:.3f} cm ({CHAMFER_DEFINITION}); "
               f"squared {reg.chamfer.squared_cm2:.3f} cm^2 (the release's pytorch3d convention)")
    click.echo(f"bundle {bundle}")
    for fmt, path in result.files.items():
        report = result.validation.get(str(path))
        status = f"valid ({report.errors} errors, {report.warnings} warnings)" if report else "not validated"
        click.echo(f"{fmt:5} {path}  {status}")
    echo_timings(chosen.timings_s)
