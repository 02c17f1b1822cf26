"""`hoiexport finetune sana`: HOI3DGen's step 2, view-conditioned SANA fine-tuning."""

from __future__ import annotations

import json
import sys

import click


@click.group("finetune")
def finetune() -> None:
    """Fine-tune the models of the hoi3dgen chain on your training data."""


@finetune.command("sana")
@click.argument("data", type=click.Path(exists=True, file_okay=False))
@click.option("-o", "--out", "out_dir", required=True, metavar="OUT", type=click.Path(file_okay=False),
              help="Output: transformer/ (full) or pytorch_lora_weights.safetensors (lora) + finetune.json.")
@click.option("--mode", default="full", show_default=True, type=click.Choice(["full", "lora"]),
              help="full: every transformer weight (the paper); lora: low-rank adapters.")
@click.option("--rank", default=16, show_default=True, type=click.IntRange(min=1), help="LoRA rank.")
@click.option("--lr", default=None, type=click.FloatRange(min=0, min_open=True),
              help="Learning rate [2e-5 full, 1e-4 lora].")
@click.option("--steps", default=1000, show_default=True, type=click.IntRange(min=1), help="Optimizer steps.")
@click.option("--batch", default=4, show_default=True, type=click.IntRange(min=1), help="Images per micro-batch.")
@click.option("--grad-accum", default=1, show_default=True, type=click.IntRange(min=1),
              help="Micro-batches per step (effective batch = batch x grad-accum x processes; the paper: 16).")
@click.option("--resolution", default=1024, show_default=True, type=click.IntRange(min=8), help="Image edge, px.")
@click.option("--precision", default="bf16", show_default=True, type=click.Choice(["bf16", "fp16", "fp32"]),
              help="Mixed precision of the transformer.")
@click.option("--seed", default=0, show_default=True, type=click.IntRange(min=0), help="Training seed.")
@click.option("--ema", "ema_decay", default=None, type=click.FloatRange(0, 1, min_open=True, max_open=True),
              metavar="DECAY", help="Keep an EMA of the weights with this decay (e.g. 0.999).")
@click.option("--checkpoint-every", default=500, show_default=True, type=click.IntRange(min=1),
              help="Steps between checkpoints.")
@click.option("--checkpoint-dir", default=None, type=click.Path(file_okay=False),
              help="Checkpoint folder [OUT.checkpoints].")
@click.option("--resume", is_flag=True, help="Continue from the latest checkpoint (same settings and data).")
@click.option("--base", default="sana-1.5", show_default=True, type=click.Choice(["sana-1.5", "sana-1.0"]),
              help="SANA base of the lock whose components are kept frozen.")
@click.option("--base-folder", default=None, type=click.Path(exists=True, file_okay=False),
              help="A diffusers SANA pipeline folder instead of the lock entry.")
@click.option("--device", default="auto", show_default=True, help="auto, cpu, cuda or cuda:N.")
@click.option("--overwrite", is_flag=True, help="Replace an existing OUT.")
@click.option("--json", "as_json", is_flag=True, help="No progress bar; print the result as JSON.")
def sana_cmd(data: str, out_dir: str, mode: str, rank: int, lr: float | None, steps: int, batch: int,
             grad_accum: int, resolution: int, precision: str, seed: int, ema_decay: float | None,
             checkpoint_every: int, checkpoint_dir: str | None, resume: bool, base: str, base_folder: str | None,
             device: str, overwrite: bool, as_json: bool) -> None:
    """Fine-tune SANA's transformer on DATA (the layout 'hoiexport data filter' writes).

    Flow matching with logit-normal timesteps and FlowMatchEulerDiscreteScheduler
    at shift 3.0, 10 % caption dropout, the same text path (instruction prefix)
    as inference; checkpoints every --checkpoint-every steps. OUT loads straight
    into the hoi3dgen generator: --set sana.finetune=OUT.
    """
    import dataclasses

    from hoiexport.training import FinetuneOptions, finetune_sana

    base_options = FinetuneOptions()
    options = FinetuneOptions(
        mode=mode, rank=rank, lr=lr, steps=steps, batch=batch, grad_accum=grad_accum,  # type: ignore[arg-type]
        resolution=resolution, precision=precision, seed=seed, ema_decay=ema_decay,  # type: ignore[arg-type]
        checkpoint_every=checkpoint_every, resume=resume, device=device,
        sana=dataclasses.replace(base_options.sana, base=base),  # type: ignore[arg-type]
    )
    show = not as_json and sys.stdout.isatty()
    bar_ctx = None
    if show:
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

        bar_ctx = Progress(TextColumn("finetune"), BarColumn(), MofNCompleteColumn(),
                           TextColumn("loss {task.fields[loss]}"), TimeRemainingColumn())
        task = bar_ctx.add_task("finetune", total=steps, loss="-")

    def progress(p) -> None:
        if bar_ctx is not None:
            bar_ctx.update(task, completed=p.step, total=p.steps, loss=f"{p.loss:.4f}")
        elif not as_json and (p.step == p.steps or p.step % max(1, p.steps // 20) == 0):
            click.echo(f"  step {p.step}/{p.steps}  loss {p.loss:.4f}  lr {p.lr:.2e}  {p.elapsed_s:.1f} s")

    if bar_ctx is not None:
        with bar_ctx:
            result = finetune_sana(data, out_dir, options, base_folder=base_folder, checkpoint_dir=checkpoint_dir,
                                   overwrite=overwrite, progress=progress)
    else:
        result = finetune_sana(data, out_dir, options, base_folder=base_folder, checkpoint_dir=checkpoint_dir,
                               overwrite=overwrite, progress=progress)
    summary = {"out": str(result.out), "steps": result.steps, "final_loss": result.final_loss,
               "first_loss": result.losses[0] if result.losses else None, "resumed_from": result.resumed_from,
               "seconds": round(result.seconds, 3)}
    if as_json:
        click.echo(json.dumps(summary, indent=2))
    else:
        first = f"{summary['first_loss']:.4f}" if summary["first_loss"] is not None else "-"
        last = f"{result.final_loss:.4f}" if result.final_loss is not None else "-"
        click.echo(f"finetuned {mode} for {result.steps} steps in {result.seconds:.1f} s (loss {first} -> {last}) "
                   f"-> {result.out}; use it with --set sana.finetune={result.out}")
