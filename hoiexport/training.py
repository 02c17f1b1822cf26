"""Application floor of the training steps: `synthesize` runs the compose grid
through the batch runner (parallel, resumable) with the "sample" job.

The data steps themselves live in `hoiexport.sdk.training` (grid, samples,
import, annotation, filtering, fine-tuning, evaluation); only the driving of
many worker processes belongs to this floor, next to the batch runner.
"""

from __future__ import annotations

import dataclasses
import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hoiexport.batch.items import PromptSpec, make_items
from hoiexport.batch.manifest import MANIFEST_NAME, Manifest
from hoiexport.batch.runner import BatchOptions, BatchSummary, ProgressCallback, run
from hoiexport.sdk.core.types import ContactConfig
from hoiexport.sdk.training.data.filter import FilterOptions, FilterResult, filter_dataset
from hoiexport.sdk.training.data.procigen import ImportOptions, ImportSummary, import_procigen
from hoiexport.sdk.training.backends.registry import ANNOTATORS, load_annotators
from hoiexport.sdk.training.data.annotate import AnnotateOptions, AnnotateSummary, annotate_dataset
from hoiexport.sdk.training.data.annotate import ProgressCallback as AnnotateProgress
from hoiexport.sdk.training.evaluate import (
    ContactEval,
    EvalPrompt,
    JudgeOptions,
    JudgeResult,
    evaluate_contacts,
    write_report,
)
from hoiexport.sdk.training.evaluate.contacts import ItemCallback
from hoiexport.sdk.training.finetune import FinetuneOptions, FinetuneProgress, FinetuneResult, finetune_sana
from hoiexport.sdk.training.data.synth import SynthPrompt, parse_configs, shares, synth_grid

MAX_ROUNDS = 6
"""Top-up rounds of `synthesize`: after the first pass, configurations that came
short get the next prompts of their sequence, at most this many times."""


@dataclass
class SynthSummary:
    """What `synthesize` produced.

    Attributes:
        out_dir: the dataset folder.
        targets: configuration → samples asked for.
        done: configuration → samples done.
        failed: items that failed (compose could not stage them); replaced by
            top-up prompts.
        rounds: batch passes run.
        wall_s: seconds.
        batches: the batch summary of every pass.
    """

    out_dir: Path
    targets: dict[str, int]
    done: dict[str, int]
    failed: int
    rounds: int
    wall_s: float
    batches: list[BatchSummary] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(self.done.get(c, 0) >= n for c, n in self.targets.items())

    def to_json(self) -> dict[str, Any]:
        return {"out_dir": str(self.out_dir), "targets": self.targets, "done": self.done, "failed": self.failed,
                "rounds": self.rounds, "wall_s": round(self.wall_s, 3), "ok": self.ok}


def _spec(p: SynthPrompt) -> PromptSpec:
    return PromptSpec(text=p.text, object=p.object, action=p.action, contact=p.config, seed=p.seed)


def _done_counts(out: Path, ids: set[str]) -> tuple[dict[str, int], int]:
    """(configuration → done items, failed items) among `ids` in the manifest of `out`."""
    done: dict[str, int] = {}
    failed = 0
    with Manifest(out / MANIFEST_NAME) as manifest:
        for row in manifest.rows():
            if row.item.id not in ids:
                continue
            if row.state == "done" and row.item.contact:
                done[row.item.contact] = done.get(row.item.contact, 0) + 1
            failed += row.state == "failed"
    return done, failed


def synthesize(
    n: int,
    out_dir: str | os.PathLike[str],
    *,
    configs: Sequence[str | ContactConfig] | None = None,
    seed: int = 0,
    workers: int | None = None,
    resume: bool = False,
    on_progress: ProgressCallback | None = None,
) -> SynthSummary:
    """Synthesise `n` training samples with compose: `n / len(configs)` per configuration.

    Args:
        n: samples wanted (≥ 1).
        out_dir: the dataset folder: `DIR/items/<id>/` samples (`sdk.training.data.sample`),
            `DIR/manifest.sqlite`, `DIR/report.html`, `DIR/summary.json`.
        configs: configuration names (None = all 8).
        seed: grid seed.
        workers: parallel worker processes (default 1).
        resume: continue a synthesis already in `out_dir`.
        on_progress: batch progress callback.

    Returns:
        The summary; `summary.ok` is False when a configuration stayed short after
        `MAX_ROUNDS` top-ups.

    Raises:
        InputError: bad arguments, or a folder that already holds a batch without `resume`.
    """
    import time

    t0 = time.perf_counter()
    chosen = parse_configs(configs)
    targets = shares(n, chosen)
    out = Path(out_dir)
    options = BatchOptions(generator="compose", job="sample", workers=workers, seed=seed, resume=resume)
    tried = dict(targets)
    items_specs = [_spec(p) for p in synth_grid(n, chosen, seed)]
    batches: list[BatchSummary] = []
    done: dict[str, int] = {}
    failed = 0
    rounds = 0
    for rounds in range(1, MAX_ROUNDS + 1):
        summary = run(items_specs, out, options, on_progress=on_progress)
        batches.append(summary)
        done, failed = _done_counts(out, {i.id for i in make_items(items_specs, options.item_settings())})
        short = {c: targets[c] - done.get(c.value, 0) for c in chosen if done.get(c.value, 0) < targets[c]}
        if not short:
            break
        options = dataclasses.replace(options, resume=True)
        for config, missing in short.items():
            extra = synth_grid(missing, (config,), seed, skip={config: tried[config]})
            tried[config] += missing
            items_specs.extend(_spec(p) for p in extra)
    return SynthSummary(out_dir=out, targets={c.value: k for c, k in targets.items()},
                        done={c.value: done.get(c.value, 0) for c in chosen}, failed=failed, rounds=rounds,
                        wall_s=time.perf_counter() - t0, batches=batches)


def evaluate_contacts_file(
    path: str | os.PathLike[str],
    generator: str = "compose",
    *,
    seed: int = 0,
    seeds: int = 1,
    preset: str | None = None,
    settings: Sequence[str] = (),
    on_item: ItemCallback | None = None,
) -> ContactEval:
    """`sdk.training.evaluate.evaluate_contacts` over a prompt file (.jsonl / .txt /
    .csv, read by the batch runner's reader: text, object, action, contact, seed).

    Raises:
        InputError: an unreadable file or malformed lines (the first is named),
            and everything `evaluate_contacts` raises.
    """
    from hoiexport.batch.items import read_prompts
    from hoiexport.sdk.core.errors import InputError
    from hoiexport.sdk.core.overrides import parse_assignments

    found = read_prompts(path)
    if found.errors:
        raise InputError(f"{path}: {len(found.errors)} malformed line(s), first: {found.errors[0]}; fix them "
                         "and run again")
    prompts = [EvalPrompt(s.text, s.object, s.action, s.contact, s.seed) for s in found.specs]
    return evaluate_contacts(prompts, generator, seed=seed, seeds=seeds, preset=preset,
                             overrides=parse_assignments(settings, "--set"), on_item=on_item)


def annotate(
    dataset: str | os.PathLike[str],
    annotators: str = "template",
    *,
    paths: dict[str, str] | None = None,
    device: str = "auto",
    precision: str = "bf16",
    options: AnnotateOptions | None = None,
    on_progress: AnnotateProgress | None = None,
) -> AnnotateSummary:
    """Annotate every sample of `dataset` (`sdk.training.data.annotate`) with the
    named annotator bundle (`load_annotators`), releasing its models at the end."""
    with load_annotators(annotators, paths=paths, device=device, precision=precision) as backends:  # type: ignore[arg-type]
        return annotate_dataset(dataset, backends, options or AnnotateOptions(), on_progress)


def _bundles(folder: Path) -> dict[str, Path]:
    """Prompt text → bundle folder, for every bundle (`asset.json`) under `folder`
    (two levels of batch / eval output at most)."""
    from hoiexport.sdk.core.errors import InputError

    found: dict[str, Path] = {}
    if not folder.is_dir():
        raise InputError(f"{folder} is not a folder of bundles; give --method NAME=DIR with DIR holding bundles")
    for doc in sorted(folder.glob("**/asset.json")):
        if len(doc.relative_to(folder).parts) > 5:
            continue
        try:
            text = json.loads(doc.read_text(encoding="utf-8"))["prompt"]["text"]
        except (OSError, ValueError, KeyError, TypeError, RecursionError):
            continue
        found.setdefault(str(text), doc.parent)
    if not found:
        raise InputError(f"{folder} holds no bundle (asset.json); write some with 'hoiexport eval contacts --keep DIR' "
                         "or 'hoiexport batch'")
    return found


def judge_folders(
    methods: Mapping[str, str | os.PathLike[str]],
    *,
    judge: str = "internvl",
    vlm_path: str | None = None,
    device: str = "auto",
    precision: str = "bf16",
    options: JudgeOptions | None = None,
) -> tuple[JudgeResult, list[dict[str, Any]]]:
    """The VLM judge over the bundles of several methods, matched by prompt text.

    Args:
        methods: method name → folder of its bundles (`asset.json` anywhere below,
            two or three levels deep, e.g. a batch folder or `eval contacts --keep`).
        judge: the `ANNOTATORS` bundle whose VLM judges ("internvl").
        vlm_path: the judge's weights folder (None: the lock entry).
        device: "auto", "cpu", "cuda".
        precision: weights' dtype on CUDA.
        options: question, orders, aggregation.

    Returns:
        (the judge result, per prompt method → composite image) for the report.

    Raises:
        InputError: fewer than 2 methods, no prompt every method has, or a judge
            bundle without a VLM.
    """
    from hoiexport.sdk.bundle import load_bundle
    from hoiexport.sdk.core.errors import InputError
    from hoiexport.sdk.training.evaluate import JudgeRenderOptions, asset_composite, judge_cases
    from hoiexport.sdk.training.evaluate.judge import JudgeCase

    if len(methods) < 2:
        raise InputError("the judge compares methods: give at least two --method NAME=DIR")
    found = {m: _bundles(Path(d)) for m, d in methods.items()}
    common = sorted(set.intersection(*(set(f) for f in found.values())))
    if not common:
        raise InputError("no prompt has a bundle from every method; generate the same prompts with each method")
    render = JudgeRenderOptions()
    cases = [JudgeCase(text, {m: asset_composite(load_bundle(found[m][text]), render) for m in methods})
             for text in common]
    paths = {"vlm": vlm_path} if vlm_path else None
    with load_annotators(judge, paths=paths, device=device, precision=precision) as backends:  # type: ignore[arg-type]
        if backends.vlm is None:
            raise InputError(f"annotators {judge!r} have no vision-language model to judge with; use 'internvl'")
        result = judge_cases(backends.vlm, cases, options or JudgeOptions())
    return result, [dict(c.images) for c in cases]


__all__ = ["MAX_ROUNDS", "SynthSummary", "synthesize", "FilterOptions", "FilterResult", "filter_dataset",
           "ImportOptions", "ImportSummary", "import_procigen", "evaluate_contacts_file", "write_report",
           "ANNOTATORS", "AnnotateOptions", "AnnotateSummary", "annotate", "JudgeOptions", "JudgeResult",
           "judge_folders", "FinetuneOptions", "FinetuneProgress", "FinetuneResult", "finetune_sana"]
