"""`hoiexport eval ...`: HOI3DGen's evaluation — contact accuracy and the VLM judge."""

from __future__ import annotations

import json
from pathlib import Path

import click

from hoiexport.cli.common import device_options
from hoiexport.generation import GENERATOR_CHOICES, PRESET_CHOICES


@click.group("eval")
def eval_group() -> None:
    """Evaluate generators: contact accuracy (8x8 confusion) and a VLM judge's preference."""


@eval_group.command("contacts")
@click.argument("prompts", type=click.Path(exists=True, dir_okay=False))
@click.option("--generator", default="compose", show_default=True, type=click.Choice(GENERATOR_CHOICES),
              help="Generator to evaluate.")
@click.option("--preset", default=None, type=click.Choice(PRESET_CHOICES), help="Settings preset of the generator.")
@click.option("--set", "settings", multiple=True, metavar="KEY=VALUE", help="Override one setting; repeatable.")
@click.option("--seed", default=0, show_default=True, type=click.IntRange(min=0),
              help="First seed of prompts without their own.")
@click.option("--seeds", default=1, show_default=True, type=click.IntRange(min=1), help="Seeds per prompt.")
@click.option("--report", "report_path", default=None, type=click.Path(dir_okay=False),
              help="Write a self-contained HTML report here.")
@click.option("--keep", "keep_dir", default=None, type=click.Path(file_okay=False),
              help="Save each generated asset's bundle under this folder.")
@click.option("--json", "as_json", is_flag=True, help="Print the evaluation as JSON.")
def contacts_cmd(prompts: str, generator: str, preset: str | None, settings: tuple[str, ...], seed: int, seeds: int,
                 report_path: str | None, keep_dir: str | None, as_json: bool) -> None:
    """Contact accuracy of a generator over PROMPTS (.jsonl / .txt / .csv).

    Each prompt's requested contact configuration is compared with the one
    measured on the generated asset; prints accuracy, per-class accuracy and the
    8x8 confusion matrix (rows requested, columns measured). For hoi3dgen also
    front-view-only vs any-of-3-views accuracy (the paper's 78 % vs 90 %).
    """
    from hoiexport import save_bundle
    from hoiexport.training import evaluate_contacts_file, write_report

    count = [0]

    def on_item(item, asset) -> None:
        count[0] += 1
        if keep_dir and asset is not None:
            save_bundle(asset, Path(keep_dir) / f"{count[0]:04d}_seed{item.seed}", overwrite=True)
        if not as_json:
            mark = "ok " if item.correct else "BAD"
            measured = item.measured.value if item.measured else f"failed ({item.error})"
            click.echo(f"  {mark} {item.requested.value:>10} -> {measured}  {item.prompt!r} seed {item.seed}")

    ev = evaluate_contacts_file(prompts, generator, seed=seed, seeds=seeds, preset=preset, settings=settings,
                                on_item=on_item)
    if report_path:
        write_report(report_path, contacts=ev)
    if as_json:
        click.echo(json.dumps(ev.to_json(), indent=2))
        return
    m = ev.metrics
    click.echo(f"contact accuracy {ev.accuracy:.1%} ({m.correct}/{m.n}, {m.failed} failed) — {ev.generator}")
    names = [c.value for c in m.per_class]
    width = max(len(n) for n in names)
    short = ["".join(w[0] for w in n.split("_")).upper() for n in names]  # RH LH BH B RL LL NC O
    click.echo("rows requested, columns measured: " + ", ".join(f"{a} {n}" for a, n in zip(short, names)))
    click.echo(" " * (width + 2) + " ".join(f"{a:>6}" for a in short) + "   accuracy")
    for i, (config, score) in enumerate(m.per_class.items()):
        row = " ".join(f"{int(v):>6}" for v in m.confusion[i])
        acc = "-" if score.accuracy is None else f"{score.accuracy:.0%}"
        click.echo(f"{config.value:>{width}}  {row}   {acc}")
    if ev.views is not None:
        front = ev.views.front_only
        click.echo(f"front view only {front:.1%}, any of {len(ev.views.views)} views {ev.views.any_view:.1%}"
                   if front is not None else f"any of {len(ev.views.views)} views {ev.views.any_view:.1%}")
    if report_path:
        click.echo(f"report: {report_path}")


@eval_group.command("judge")
@click.option("--method", "methods", multiple=True, required=True, metavar="NAME=DIR",
              help="A method and the folder of its bundles (e.g. 'eval contacts --keep DIR'); repeat, 2 or more.")
@click.option("--vlm", "vlm_path", default=None, type=click.Path(exists=True, file_okay=False),
              help="The judge's InternVL weights folder [the lock entry under HOIEXPORT_MODELS].")
@device_options("judge model")
@click.option("--aggregation", default="log_mean", show_default=True, type=click.Choice(["log_mean", "mean"]),
              help="How the option orders are averaged (log_mean cancels a position bias exactly).")
@click.option("--report", "report_path", default=None, type=click.Path(dir_okay=False),
              help="Write a self-contained HTML report here.")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
def judge_cmd(methods: tuple[str, ...], vlm_path: str | None, device: str, precision: str, aggregation: str,
              report_path: str | None, as_json: bool) -> None:
    """A VLM judge's multi-way preference between methods (the paper's GPT score).

    Per prompt every method's asset is rendered (4 views tiled) and the judge
    picks the best match among options A, B, ... presented in every order; its
    probabilities are averaged over the orders and over prompts into win shares
    that sum to 1.
    """
    from hoiexport.training import JudgeOptions, judge_folders, write_report

    parsed: dict[str, str] = {}
    for m in methods:
        name, sep, folder = m.partition("=")
        if not sep or not name.strip() or not folder.strip():
            raise click.BadParameter(f"{m!r} is not NAME=DIR", param_hint="--method")
        if name.strip() in parsed:
            raise click.BadParameter(f"method {name.strip()!r} given twice", param_hint="--method")
        parsed[name.strip()] = folder.strip()
    result, images = judge_folders(parsed, vlm_path=vlm_path, device=device, precision=precision,
                                   options=JudgeOptions(aggregation=aggregation))  # type: ignore[arg-type]
    if report_path:
        write_report(report_path, judge=result, images=images)
    if as_json:
        click.echo(json.dumps(result.to_json(), indent=2))
        return
    click.echo(f"judge {result.judge} over {len(result.prompts)} prompt(s), {result.aggregation}:")
    for m in result.methods:
        click.echo(f"  {m:>16}  score {result.scores[m]:.3f}  votes {result.votes[m]:.3f}  wins {result.wins[m]:.3f}")
    if report_path:
        click.echo(f"report: {report_path}")
