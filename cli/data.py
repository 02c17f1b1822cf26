"""`hoiexport data ...`: HOI3DGen's training data — synthesise, import, annotate, filter."""

from __future__ import annotations

import json
import sys

import click

from hoiexport import ContactConfig
from hoiexport.cli.batch import _progress_display
from hoiexport.cli.common import device_options

CONFIG_NAMES = tuple(c.value for c in ContactConfig)


def _configs(value: str | None) -> tuple[str, ...]:
    if not value:
        return ()
    names = tuple(v.strip() for v in value.split(",") if v.strip())
    unknown = [n for n in names if n not in CONFIG_NAMES]
    if unknown:
        raise click.BadParameter(f"unknown configuration(s) {', '.join(unknown)}; use: {', '.join(CONFIG_NAMES)}",
                                 param_hint="--configs")
    return names


@click.group("data")
def data() -> None:
    """Training data of HOI3DGen's steps 1-2: synth | import-procigen -> annotate -> filter."""


@data.command("synth")
@click.argument("n", type=click.IntRange(min=1))
@click.option("-o", "--out", "out_dir", required=True, metavar="DIR", type=click.Path(file_okay=False),
              help="Dataset folder: items/<id>/ samples, manifest.sqlite, report.html.")
@click.option("--configs", default=None, metavar="A,B,...",
              help="Contact configurations to cover (default all 8): " + ", ".join(CONFIG_NAMES) + ".")
@click.option("--seed", default=0, show_default=True, type=click.IntRange(min=0), help="Grid seed.")
@click.option("--workers", default=None, type=click.IntRange(min=1), help="Parallel worker processes [1].")
@click.option("--resume", is_flag=True, help="Continue the synthesis in DIR.")
@click.option("--json", "as_json", is_flag=True, help="No progress bar; print the summary as JSON.")
@click.pass_context
def synth_cmd(ctx: click.Context, n: int, out_dir: str, configs: str | None, seed: int, workers: int | None,
              resume: bool, as_json: bool) -> None:
    """Synthesise N samples with compose, N/8 per contact configuration.

    Each sample: the bundle, 4 orthogonal appearance renders and the 3 training
    views (yaw 0 / -45 / +45, white background). Resumable (--resume); a
    configuration whose items fail is topped up with further prompts.
    """
    from hoiexport.training import synthesize

    show = not as_json and sys.stdout.isatty()
    on_progress, display = _progress_display(show)
    with display:
        summary = synthesize(n, out_dir, configs=_configs(configs), seed=seed, workers=workers, resume=resume,
                             on_progress=on_progress)
    if as_json:
        click.echo(json.dumps(summary.to_json(), indent=2))
    else:
        per = ", ".join(f"{c} {summary.done[c]}/{k}" for c, k in summary.targets.items())
        click.echo(f"synth {summary.out_dir}: {sum(summary.done.values())}/{sum(summary.targets.values())} samples "
                   f"({per}); {summary.failed} failed and replaced; {summary.rounds} pass(es), {summary.wall_s:.1f} s")
    ctx.exit(0 if summary.ok else 1)


@data.command("filter")
@click.argument("dataset", type=click.Path(exists=True, file_okay=False))
@click.option("--per-class", default=50, show_default=True, type=click.IntRange(min=1),
              help="Samples kept per contact configuration.")
@click.option("-o", "--out", "out_dir", default=None, metavar="OUT", type=click.Path(file_okay=False),
              help="Output folder [DATASET/filtered].")
@click.option("--configs", default=None, metavar="A,B,...", help="Configurations to fill (default all 8).")
@click.option("--max-penetration-cm", default=1.0, show_default=True, type=click.FloatRange(min=0),
              help="Deepest accepted interpenetration, cm.")
@click.option("--max-joint-excess-deg", default=5.0, show_default=True, type=click.FloatRange(min=0),
              help="Largest accepted joint-limit excursion, degrees.")
@click.option("--min-plausible", default=0.5, show_default=True, type=click.FloatRange(0, 1),
              help="Smallest accepted MLLM yes-probability that the action is plausible.")
@click.option("--seed", default=0, show_default=True, type=click.IntRange(min=0), help="Selection seed.")
@click.option("--overwrite", is_flag=True, help="Replace an existing output folder.")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
def filter_cmd(dataset: str, per_class: int, out_dir: str | None, configs: str | None, max_penetration_cm: float,
               max_joint_excess_deg: float, min_plausible: float, seed: int, overwrite: bool, as_json: bool) -> None:
    """Keep exactly --per-class annotated samples per configuration.

    Rejects interpenetration, implausible actions and action-contact mismatches,
    then picks a diverse set (seeded farthest-point selection over object,
    action and appearance). Writes the NVlabs/Sana layout (meta_data.json +
    .png/.txt pairs) and metadata.jsonl, plus filter_report.md.
    """
    from hoiexport.training import FilterOptions, filter_dataset

    names = _configs(configs)
    options = FilterOptions(per_class=per_class, max_penetration_cm=max_penetration_cm,
                            max_joint_excess_deg=max_joint_excess_deg, min_plausible_p=min_plausible, seed=seed,
                            **({"configs": names} if names else {}))  # type: ignore[arg-type]
    result, out = filter_dataset(dataset, out_dir, options, overwrite=overwrite)
    if as_json:
        click.echo(json.dumps({"out": str(out), "classes": [c.to_json() for c in result.classes.values()],
                               "unclassified": result.unclassified}, indent=2))
    else:
        click.echo(result.table())
        kept = sum(len(v) for v in result.selected.values())
        click.echo(f"kept {kept} samples ({per_class} per configuration) -> {out}")


@data.command("import-procigen")
@click.argument("root", type=click.Path(exists=True, file_okay=False))
@click.option("-o", "--out", "out_dir", required=True, metavar="DIR", type=click.Path(file_okay=False),
              help="Dataset folder: items/<id>/ samples.")
@click.option("--limit", type=click.IntRange(min=1), default=None, help="Only the first N frames (in name order).")
@click.option("--body-fit", type=click.Choice(["auto", "smpl-params", "register"]), default="auto", show_default=True,
              help="smpl-params: pose your SMPL file with the frame's SMPL-H parameters; register: fit the "
                   "default body to the human mesh; auto: smpl-params when SMPL files are found.")
@click.option("--smpl-dir", type=click.Path(exists=True, file_okay=False), default=None,
              help="Folder with your licensed SMPL files [HOIEXPORT_SMPL_DIR].")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
@click.pass_context
def import_procigen_cmd(ctx: click.Context, root: str, out_dir: str, limit: int | None, body_fit: str,
                        smpl_dir: str | None, as_json: bool) -> None:
    """Import ProciGen / BEHAVE frames under ROOT as samples (lazily, resumable).

    Reads ROOT/<seq>/<frame>/: k0..k3.color.jpg, person/fit01/person_fit.{ply,pkl}
    (SMPL-H) and <obj>/fit01/<obj>_fit.{ply,pkl}; pickles go through a restricted
    unpickler. A frame whose sample exists is skipped; a bad frame is reported and
    the import goes on (exit 1 when any failed).
    """
    from hoiexport.training import ImportOptions, import_procigen

    def progress(event) -> None:
        if not as_json and event.status == "failed":
            click.echo(f"  failed {event.frame}: {event.reason}", err=True)

    summary = import_procigen(root, out_dir, limit=limit,
                              options=ImportOptions(body_fit=body_fit, smpl_dir=smpl_dir),  # type: ignore[arg-type]
                              on_progress=progress)
    if as_json:
        click.echo(json.dumps(summary.to_json(), indent=2))
    else:
        click.echo(f"import {root} -> {out_dir}: imported {summary.imported}, skipped {summary.skipped}, "
                   f"failed {summary.failed} ({summary.seconds:.1f} s, body fit {summary.body_fit})")
    ctx.exit(1 if summary.failed else 0)


@data.command("annotate")
@click.argument("dataset", type=click.Path(exists=True, file_okay=False))
@click.option("--annotators", default="template", show_default=True,
              type=click.Choice(["template", "internvl+llama", "internvl"]),
              help="template: no weights; internvl+llama: InternVL3-8B answers, Llama 3.1 8B writes the caption.")
@click.option("--vlm", "vlm_path", default=None, type=click.Path(exists=True, file_okay=False),
              help="InternVL weights folder [the lock entry under HOIEXPORT_MODELS].")
@click.option("--llm", "llm_path", default=None, type=click.Path(exists=True, file_okay=False),
              help="Llama weights folder [the lock entry under HOIEXPORT_MODELS].")
@device_options("annotation models")
@click.option("--max-penetration-cm", default=1.0, show_default=True, type=click.FloatRange(min=0),
              help="Deepest interpenetration that passes geometry (models run only on passing samples), cm.")
@click.option("--overwrite", is_flag=True, help="Annotate samples that already have an annotation again.")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
@click.pass_context
def annotate_cmd(ctx: click.Context, dataset: str, annotators: str, vlm_path: str | None, llm_path: str | None,
                 device: str, precision: str, max_penetration_cm: float, overwrite: bool, as_json: bool) -> None:
    """Write annotation.json for every sample of DATASET (decomposed annotation).

    Geometry first on every sample (contact parts and configuration by the 4 cm
    rule, penetration); then, on samples that pass, appearance by the MLLM from
    the 4 images, the action by constrained choice over the action list, and a
    caption by the LLM, kept only if it parses back to the measured
    configuration and object (else a template caption). Every field records
    its backend, revision and method.
    """
    from hoiexport.training import AnnotateOptions, annotate

    paths = {k: v for k, v in (("vlm", vlm_path), ("llm", llm_path)) if v}

    def progress(done: int, total: int, sample_id: str, status: str) -> None:
        if not as_json and status == "failed":
            click.echo(f"  failed {sample_id}", err=True)

    summary = annotate(dataset, annotators, paths=paths or None, device=device, precision=precision,
                       options=AnnotateOptions(max_penetration_cm=max_penetration_cm, overwrite=overwrite),
                       on_progress=progress)
    if as_json:
        click.echo(json.dumps(summary.to_json(), indent=2))
    else:
        click.echo(f"annotate {dataset} ({summary.annotators}): {summary.annotated} annotated, {summary.skipped} "
                   f"skipped, {summary.geometry_failed} failed geometry, {summary.llm_captions} LLM / "
                   f"{summary.template_captions} template captions, {summary.fallbacks} fallbacks, "
                   f"{len(summary.failed)} failed ({summary.seconds:.1f} s)")
        for sid, why in summary.failed.items():
            click.echo(f"  {sid}: {why}")
    ctx.exit(1 if summary.failed else 0)
