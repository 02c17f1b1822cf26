"""`hoiexport batch`: many prompts → many validated assets, resumable, in parallel."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click
from hoiexport import REST_POSES, SKELETON_PRESETS
from hoiexport.cli.common import TARGET_CHOICES
from hoiexport.generation import GENERATOR_CHOICES, PRESET_CHOICES


def _progress_display(enabled: bool):
    """(callback, context manager) showing a rich progress bar when `enabled`."""
    import contextlib

    if not enabled:
        return None, contextlib.nullcontext()
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        SpinnerColumn,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    bar = Progress(
        SpinnerColumn(),
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("[green]{task.fields[done]} done[/] [red]{task.fields[failed]} failed[/] "
                   "{task.fields[running]} running"),
        TimeElapsedColumn(),
        TextColumn("ETA"),
        TimeRemainingColumn(),
    )
    task = bar.add_task("batch", total=None, done=0, failed=0, running=0)

    def update(p) -> None:
        bar.update(task, total=p.queued, completed=p.finished_this_run, done=p.done, failed=p.failed,
                   running=p.running)

    return update, bar


def _print_summary(summary) -> None:
    s = summary
    click.echo(f"batch {s.out_dir}: {s.done}/{s.total} done, {s.failed} failed, {s.skipped} already done before; "
               f"{s.ran} run in {s.wall_s:.1f} s ({s.assets_per_min:.2f} assets/min, {s.backend}, "
               f"{s.workers} worker(s))")
    if s.failures:
        click.echo("failed:")
        for f in s.failures:
            click.echo(f"  {f['id']}  line {f['line']}  seed {f['seed']}  {f['text']!r}: {f['error']}")
    if s.invalid_lines:
        click.echo("unreadable prompt lines:")
        for e in s.invalid_lines:
            click.echo(f"  {e}")
    click.echo(f"report: {s.report}")


@click.command("batch")
@click.argument("prompts", type=click.Path(exists=True, dir_okay=False))
@click.option("-o", "--out", "out_dir", required=True, metavar="DIR", type=click.Path(file_okay=False),
              help="Batch folder: manifest, items/<id>/, report.html.")
@click.option("--generator", default="compose", show_default=True, type=click.Choice(GENERATOR_CHOICES),
              help="compose (CPU) or hoi3dgen (GPU).")
@click.option("--preset", default=None, type=click.Choice(PRESET_CHOICES),
              help="Settings preset of the generator (hoi3dgen: best or paper; compose: default).")
@click.option("--set", "settings", multiple=True, metavar="KEY=VALUE",
              help="Override one setting of the preset for every item, e.g. --set lift.orbit.views=4; repeatable.")
@click.option("--seeds", type=click.IntRange(min=1), default=None,
              help="Seeds per prompt: 0..N-1 (or from a prompt's own seed on).")
@click.option("--seed", type=click.IntRange(min=0), default=None, help="Seed of every prompt without its own.")
@click.option("--format", "formats", default="glb,usdc,usdz", show_default=True,
              help="Comma-separated: glb, gltf, usda, usdc, usdz.")
@click.option("--target", default="unity", show_default=True, type=click.Choice(TARGET_CHOICES),
              help="Engine preset of prompts that do not name one.")
@click.option("--texture-size", default=2048, show_default=True, type=int, help="Baked texture edge, 512-4096 px.")
@click.option("--rest-pose", default="a", show_default=True, type=click.Choice(list(REST_POSES)),
              help="Bind pose of every rig: A pose, T pose, or the generated pose (interaction).")
@click.option("--skeleton", default="auto", show_default=True, type=click.Choice(["auto", *SKELETON_PRESETS]),
              help="Joint names: auto = ue5 for unreal, unity-humanoid for unity, else smpl.")
@click.option("--workers", type=click.IntRange(min=1), default=None,
              help="Parallel items [local: 1; Ray: every CPU (GPU for hoi3dgen) of the cluster].")
@click.option("--ray", "ray_address", default=None, metavar="auto|ADDRESS",
              help="Run on Ray: 'auto' starts a local cluster, else a cluster address to join "
                   "(DIR must then be on a filesystem every node shares).")
@click.option("--resume", is_flag=True, help="Continue the batch in DIR: skip done items, re-run the rest.")
@click.option("--retry-failed", is_flag=True, help="Like --resume, and also re-run failed items.")
@click.option("--json", "as_json", is_flag=True, help="No progress bar; print the summary as JSON.")
@click.pass_context
def batch(ctx: click.Context, prompts: str, out_dir: str, generator: str, preset: str | None,
          settings: tuple[str, ...], seeds: int | None, seed: int | None,
          formats: str, target: str, texture_size: int, rest_pose: str, skeleton: str,
          workers: int | None, ray_address: str | None,
          resume: bool, retry_failed: bool, as_json: bool) -> None:
    """Generate and export every prompt in PROMPTS (.jsonl, .txt or .csv) into DIR.

    Each item gets DIR/items/<id>/ (bundle, exports, preview.png, log.txt,
    result.json); DIR/manifest.sqlite records progress and DIR/report.html shows
    the results. Exit status: 0 when every item succeeded, 1 otherwise, 2 for
    usage errors.
    """
    from hoiexport.batch.runner import BatchOptions, run
    from hoiexport import InputError

    if seeds is not None and seed is not None:
        raise click.UsageError("use --seeds N (seeds 0..N-1) or --seed S (one seed), not both")
    try:
        options = BatchOptions(generator=generator, formats=tuple(formats.split(",")), target=target, texture_size=texture_size,
                               seeds=seeds or 1, seed=seed or 0, workers=workers, ray=ray_address,
                               resume=resume, retry_failed=retry_failed, preset=preset, settings=settings,
                               rest_pose=rest_pose, skeleton=skeleton)
    except InputError as exc:
        raise click.UsageError(str(exc)) from None
    show = not as_json and sys.stdout.isatty()
    on_progress, display = _progress_display(show)
    try:
        with display:
            summary = run(Path(prompts), out_dir, options, on_progress=on_progress)
    except InputError as exc:
        raise click.UsageError(str(exc)) from None
    if as_json:
        click.echo(json.dumps(summary.to_json(), indent=2))
    else:
        _print_summary(summary)
    ctx.exit(summary.exit_code)
