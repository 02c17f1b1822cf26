"""`run(items, out_dir, ...)`: produce many assets, resumably, in parallel.

The driver (this process) owns `DIR/manifest.sqlite` and a lock file; workers
produce item folders (`worker.run_item`). Two executors share one loop:

- `LocalPool`: `workers` single-process `ProcessPoolExecutor`s (spawn start
  method, one torch thread each; on Linux each worker and the helpers it forks
  die with the driver, see `worker.setup_pool_worker`). One executor
  per slot means a worker that crashes fails exactly its own item; the slot
  gets a fresh process and the batch goes on.
- `RayPool`: one Ray task per item (`num_cpus=1`; GPU generators also request
  `num_gpus=1`). `ray="auto"` starts a local cluster for the batch;
  any other value is the address of a cluster to join. Workers write into
  `DIR` themselves, so on a multi-machine cluster `DIR` must be a shared
  filesystem path that is the same on every node, and every node needs the same
  hoiexport installation (and model weights for hoi3dgen).

Crash safety: an item is marked `running` before it is handed out and `done`
only after its folder was renamed into place, so killing the driver at any
moment (even SIGKILL) and running again with `resume=True` loses no finished
item and re-runs the rest; temporary folders of interrupted attempts are
removed first.
"""

from __future__ import annotations

import concurrent.futures as cf
import contextlib
import dataclasses
import fcntl
import json
import multiprocessing
import os
import shutil
import signal
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, Protocol

from hoiexport.batch.items import (
    BatchItem,
    ItemSettings,
    LineError,
    PromptSpec,
    as_spec,
    make_items,
    read_prompts,
)
from hoiexport.batch.manifest import MANIFEST_NAME, Manifest
from hoiexport.batch.worker import (
    ITEMS_DIR,
    RESULT_NAME,
    ItemResult,
    clean_stale,
    item_dir,
    relax_permissions,
    run_item,
    run_item_single_thread,
    setup_pool_worker,
)
from hoiexport.sdk.core.cache import atomic_write_bytes
from hoiexport.sdk.core.errors import InputError

LOCK_NAME = ".batch.lock"
SUMMARY_NAME = "summary.json"
REPORT_NAME = "report.html"
RAY_OBJECT_STORE_BYTES = 256 * 1024 * 1024
"""Object-store size of a local Ray cluster started with `ray="auto"` (results are small)."""


@dataclass(frozen=True)
class BatchOptions:
    """How a batch runs.

    Attributes:
        generator: "compose" (CPU) or "hoi3dgen" (GPU).
        formats: export formats of every item.
        target: engine preset for items that do not name their own.
        texture_size: baked texture edge, texels (512..4096).
        seeds: seeds per prompt (`seed` … `seed + seeds - 1`).
        seed: first seed for prompts without their own.
        workers: parallel items. Local pool: processes (default 1). Ray: the most
            tasks in flight and, with `ray="auto"`, the local cluster's CPUs
            (default: every CPU / GPU of the cluster).
        ray: None for the local pool; "auto" to start a local Ray cluster; else
            the address of a Ray cluster to join ("ray://host:10001", "host:6379").
        resume: continue the batch already in the folder: done items are
            skipped, pending and running ones re-run.
        retry_failed: resume and also re-run failed items.
        preview_size: edge of one contact-sheet view, pixels.
        preset: the generator's settings preset (hoi3dgen: "best" or "paper");
            None = its default.
        settings: `KEY=VALUE` overrides of the preset's settings.
        job: what each item makes (`ItemSettings.job`): "asset" or "sample".
        rest_pose: the exported rig's rest pose ("a", "t", "interaction").
        skeleton: joint naming preset or "auto" (from the target).
    """

    generator: str = "compose"
    formats: tuple[str, ...] = ("glb", "usdc", "usdz")
    target: str = "unity"
    texture_size: int = 2048
    seeds: int = 1
    seed: int = 0
    workers: int | None = None
    ray: str | None = None
    resume: bool = False
    retry_failed: bool = False
    preview_size: int = 256
    preset: str | None = None
    settings: tuple[str, ...] = ()
    job: str = "asset"
    rest_pose: str = "a"
    skeleton: str = "auto"

    def __post_init__(self) -> None:
        settings = self.item_settings()  # validates generator, formats, target, sizes, seeds
        object.__setattr__(self, "formats", settings.formats)
        if self.workers is not None and (not isinstance(self.workers, int) or isinstance(self.workers, bool)
                                         or self.workers < 1):
            raise InputError(f"workers must be an integer >= 1, got {self.workers!r}")
        if self.ray is not None and (not isinstance(self.ray, str) or not self.ray.strip()):
            raise InputError(f"ray must be 'auto' or a cluster address, got {self.ray!r}")
        if not isinstance(self.preview_size, int) or not 64 <= self.preview_size <= 1024:
            raise InputError(f"preview_size must be an integer in [64, 1024] pixels, got {self.preview_size!r}")

    def item_settings(self) -> ItemSettings:
        return ItemSettings(generator=self.generator, formats=self.formats, target=self.target,
                            texture_size=self.texture_size, seeds=self.seeds, seed=self.seed,
                            preset=self.preset, settings=self.settings, job=self.job,
                            rest_pose=self.rest_pose, skeleton=self.skeleton)


@dataclass
class Progress:
    """Live counts, passed to the progress callback after every change.

    Attributes:
        total: items of this batch.
        skipped: items already done before this run (counted in `done`).
        queued: items this run set out to produce.
        done: items done (including skipped ones).
        failed: items failed (including earlier failures not retried).
        running: items in the hands of a worker now.
        finished_this_run: items of this run that ended (done or failed).
    """

    total: int = 0
    skipped: int = 0
    queued: int = 0
    done: int = 0
    failed: int = 0
    running: int = 0
    finished_this_run: int = 0


ProgressCallback = Callable[[Progress], None]


@dataclass
class BatchSummary:
    """The outcome of `run`.

    Attributes:
        out_dir: the batch folder.
        manifest: its manifest file.
        report: its HTML report.
        total: items of this batch.
        done: items done (including `skipped`).
        failed: items failed.
        skipped: items already done before this run.
        ran: items attempted in this run.
        invalid_lines: prompt-file lines that could not be read.
        failures: per failed item: id, line, text, seed, error.
        wall_s: seconds this run took.
        assets_per_min: items done in this run per minute of `wall_s`.
        backend: "local" or "ray".
        workers: parallel items used.
    """

    out_dir: Path
    manifest: Path
    report: Path
    total: int
    done: int
    failed: int
    skipped: int
    ran: int
    invalid_lines: list[LineError]
    failures: list[dict[str, Any]]
    wall_s: float
    assets_per_min: float
    backend: Literal["local", "ray"]
    workers: int

    @property
    def ok(self) -> bool:
        """Every item done and every prompt line readable."""
        return self.done == self.total and not self.invalid_lines

    @property
    def exit_code(self) -> int:
        """0 when `ok`, else 1 (the CLI's exit status)."""
        return 0 if self.ok else 1

    def to_json(self) -> dict[str, Any]:
        """The CLI's `--json` shape."""
        return {
            "ok": self.ok,
            "out_dir": str(self.out_dir),
            "manifest": str(self.manifest),
            "report": str(self.report),
            "total": self.total,
            "done": self.done,
            "failed": self.failed,
            "skipped": self.skipped,
            "ran": self.ran,
            "invalid_lines": [e.to_json() for e in self.invalid_lines],
            "failures": self.failures,
            "wall_s": round(self.wall_s, 3),
            "assets_per_min": round(self.assets_per_min, 3),
            "backend": self.backend,
            "workers": self.workers,
        }


# --------------------------------------------------------------------------- executors


class ItemExecutor(Protocol):
    """Runs items somewhere and reports their results."""

    capacity: int
    """How many items may be in flight at once."""

    @property
    def running(self) -> int:
        """Items handed out and not yet reported."""

    def submit(self, item: BatchItem) -> None:
        """Start producing `item`."""

    def wait(self, timeout: float) -> list[tuple[BatchItem, ItemResult]]:
        """Results that arrived within `timeout` seconds (possibly none)."""

    def close(self, cancel: bool = False) -> None:
        """Release the workers; `cancel` abandons items still running."""


def _failure(item: BatchItem, message: str) -> ItemResult:
    return ItemResult(id=item.id, ok=False, error=message)


class LocalPool:
    """`workers` single-process pools on this machine (module docstring)."""

    def __init__(self, workers: int, out_dir: Path, preview_size: int) -> None:
        self.capacity = workers
        self._out_dir = str(out_dir)
        self._preview_size = preview_size
        self._context = multiprocessing.get_context("spawn")
        self._slots: list[cf.ProcessPoolExecutor | None] = [None] * workers
        self._futures: dict[cf.Future, tuple[int, BatchItem]] = {}

    @property
    def running(self) -> int:
        return len(self._futures)

    def _executor(self, slot: int) -> cf.ProcessPoolExecutor:
        ex = self._slots[slot]
        if ex is None:
            ex = cf.ProcessPoolExecutor(max_workers=1, mp_context=self._context, initializer=setup_pool_worker,
                                        initargs=(os.getpid(),))
            self._slots[slot] = ex
        return ex

    def submit(self, item: BatchItem) -> None:
        busy = {slot for slot, _ in self._futures.values()}
        slot = next(i for i in range(self.capacity) if i not in busy)
        future = self._executor(slot).submit(run_item, item, self._out_dir, self._preview_size)
        self._futures[future] = (slot, item)

    def wait(self, timeout: float) -> list[tuple[BatchItem, ItemResult]]:
        finished, _ = cf.wait(list(self._futures), timeout=timeout, return_when=cf.FIRST_COMPLETED)
        out = []
        for future in finished:
            slot, item = self._futures.pop(future)
            try:
                result = future.result()
            except BrokenProcessPool:
                result = _failure(item, "worker process died (killed or crashed) while producing this item")
                ex, self._slots[slot] = self._slots[slot], None
                if ex is not None:
                    ex.shutdown(wait=False, cancel_futures=True)
            except Exception as exc:  # noqa: BLE001 - e.g. the item could not be pickled
                result = _failure(item, f"{type(exc).__name__}: {exc}")
            out.append((item, result))
        return out

    def close(self, cancel: bool = False) -> None:
        for ex in self._slots:
            if ex is None:
                continue
            if cancel:  # stop items mid-way: each worker leads a process group with its helpers
                for proc in list(getattr(ex, "_processes", {}).values()):
                    with contextlib.suppress(ProcessLookupError, PermissionError):
                        os.killpg(proc.pid, signal.SIGKILL)
            ex.shutdown(wait=not cancel, cancel_futures=True)
        self._slots = [None] * self.capacity
        self._futures.clear()


class RayPool:
    """One Ray task per item (module docstring)."""

    def __init__(self, address: str, workers: int | None, needs_gpu: bool, out_dir: Path,
                 preview_size: int) -> None:
        try:
            import ray
        except ImportError:
            raise InputError("--ray needs Ray, an optional extra: pip install 'hoiexport[ray]'") from None
        self._ray = ray
        self._owned = not ray.is_initialized()
        if self._owned:
            import logging

            common = {"log_to_driver": False, "logging_level": logging.WARNING, "include_dashboard": False}
            if address == "auto":
                ray.init(address="local", num_cpus=workers, num_gpus=None,
                         object_store_memory=RAY_OBJECT_STORE_BYTES, **common)
            else:
                try:
                    ray.init(address=address, **common)
                except (ConnectionError, ValueError, RuntimeError) as exc:
                    raise InputError(
                        f"cannot join the Ray cluster at {address!r}: {str(exc).splitlines()[0]}; check the address "
                        "(`ray status` on the head node) and that this machine uses the cluster's auth settings "
                        "(e.g. RAY_AUTH_MODE=token with the cluster's token)") from None
        resources = ray.cluster_resources()
        cpus, gpus = int(resources.get("CPU", 0)), int(resources.get("GPU", 0))
        if needs_gpu and gpus < 1:
            self.close()
            raise InputError("generator 'hoi3dgen' requests one GPU per item but the Ray cluster has no GPU; "
                             "join a cluster with GPUs (--ray ADDRESS) or use --generator compose")
        slots = gpus if needs_gpu else cpus
        self.capacity = max(1, min(workers, slots) if workers else slots)
        self._task = ray.remote(num_cpus=1, num_gpus=1 if needs_gpu else 0, max_retries=0)(run_item_single_thread)
        self._out_dir = str(out_dir.resolve())
        self._preview_size = preview_size
        self._refs: dict[Any, BatchItem] = {}

    @property
    def running(self) -> int:
        return len(self._refs)

    def submit(self, item: BatchItem) -> None:
        ref = self._task.remote(item, self._out_dir, self._preview_size)
        self._refs[ref] = item

    def wait(self, timeout: float) -> list[tuple[BatchItem, ItemResult]]:
        if not self._refs:
            return []
        ready, _ = self._ray.wait(list(self._refs), num_returns=1, timeout=timeout)
        out = []
        for ref in ready:
            item = self._refs.pop(ref)
            try:
                result = self._ray.get(ref)
            except Exception as exc:  # noqa: BLE001 - worker crash, node loss, cancelled task
                result = _failure(item, f"ray task failed: {type(exc).__name__}: {str(exc).splitlines()[0]}")
            out.append((item, result))
        return out

    def close(self, cancel: bool = False) -> None:
        if cancel:
            for ref in self._refs:
                with contextlib.suppress(Exception):
                    self._ray.cancel(ref, force=True)
        self._refs.clear()
        if self._owned and self._ray.is_initialized():
            self._ray.shutdown()


# --------------------------------------------------------------------------- driver


@contextlib.contextmanager
def _lock(out_dir: Path) -> Iterator[None]:
    """Hold `DIR/.batch.lock` exclusively (released by the OS if the process dies)."""
    fd = os.open(out_dir / LOCK_NAME, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise InputError(f"another batch is running in {out_dir}; wait for it or choose another folder") from None
        yield
    finally:
        os.close(fd)


def _sweep_temporaries(out_dir: Path) -> None:
    """Remove hidden temporary folders left in `DIR/items` by killed attempts."""
    root = out_dir / ITEMS_DIR
    if root.is_dir():
        for p in root.iterdir():
            if p.name.startswith("."):
                shutil.rmtree(p, ignore_errors=True) if p.is_dir() else p.unlink(missing_ok=True)


def resolve_items(
    items: str | os.PathLike[str] | Iterable[BatchItem | PromptSpec | str | Mapping[str, Any]],
    settings: ItemSettings,
) -> tuple[list[BatchItem], list[LineError]]:
    """The batch's items and the unreadable prompt-file lines.

    Args:
        items: a prompt file (`.jsonl`, `.txt`, `.csv`), or an iterable of
            `BatchItem`s (used as they are), `PromptSpec`s, prompt strings or
            dicts with `items.SPEC_KEYS` keys.
        settings: generator, export settings and seeds for everything but
            ready-made `BatchItem`s.
    """
    if isinstance(items, (str, os.PathLike)):
        prompt_file = read_prompts(items)
        return make_items(prompt_file.specs, settings), list(prompt_file.errors)
    out: list[BatchItem] = []
    seen: set[str] = set()
    for value in items:
        made = [value] if isinstance(value, BatchItem) else make_items([as_spec(value)], settings)
        for item in made:
            if item.id not in seen:
                seen.add(item.id)
                out.append(item)
    return out, []


def _work_queue(manifest: Manifest, items: list[BatchItem], out_dir: Path, retry_failed: bool) -> list[BatchItem]:
    queue = []
    for item in items:
        row = manifest.get(item.id)
        state = row.state if row else "pending"
        if state == "done" and not (item_dir(out_dir, item.id) / RESULT_NAME).is_file():
            manifest.mark_pending(item.id)  # its folder went missing: make it again
            state = "pending"
        if state in ("pending", "running") or (state == "failed" and retry_failed):
            queue.append(item)
    return queue


def run(
    items: str | os.PathLike[str] | Iterable[BatchItem | PromptSpec | str | Mapping[str, Any]],
    out_dir: str | os.PathLike[str],
    options: BatchOptions | None = None,
    *,
    on_progress: ProgressCallback | None = None,
    **overrides: Any,
) -> BatchSummary:
    """Produce every item into `out_dir` (module docstring).

    Args:
        items: a prompt file or an iterable of items (see `resolve_items`).
        out_dir: the batch folder `DIR`: `DIR/manifest.sqlite`, `DIR/items/<id>/`
            (bundle, exports, preview.png, log.txt, result.json), `DIR/report.html`,
            `DIR/summary.json`.
        options: how to run; keyword `overrides` replace its fields
            (`run("prompts.jsonl", "out", workers=2, formats="glb")`).
        on_progress: called with live counts after every change.

    Returns:
        The summary; `summary.exit_code` is 0 only when every item is done.

    Raises:
        InputError: bad options, an unreadable prompt file, no items, a folder
            that already holds a batch without `resume`, a folder locked by a
            running batch, Ray missing or without the GPUs the generator needs.
    """
    from hoiexport.batch.report import write_report

    t0 = time.perf_counter()
    options = options or BatchOptions()
    if overrides:
        names = {f.name for f in dataclasses.fields(BatchOptions)}
        unknown = sorted(set(overrides) - names)
        if unknown:
            raise InputError(f"unknown batch option(s) {', '.join(unknown)}; use: {', '.join(sorted(names))}")
        options = dataclasses.replace(options, **overrides)
    batch, invalid = resolve_items(items, options.item_settings())
    if not batch and not invalid:
        raise InputError("the batch has no prompts; give at least one prompt")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    resume = options.resume or options.retry_failed
    backend: Literal["local", "ray"] = "ray" if options.ray else "local"

    with _lock(out), Manifest(out / MANIFEST_NAME) as manifest:
        if not resume and manifest.started():  # a batch that never started an item is not one yet
            n = sum(manifest.counts().values())
            raise InputError(f"{out} already holds a batch ({n} items); pass --resume to continue it "
                             "(--retry-failed to also re-run failed items) or choose another folder")
        _sweep_temporaries(out)
        manifest.add(batch)
        queue = _work_queue(manifest, batch, out, options.retry_failed)
        progress = Progress(total=len(batch), queued=len(queue))
        queued_ids = {i.id for i in queue}
        for item in batch:
            row = manifest.get(item.id)
            if item.id not in queued_ids and row is not None:
                progress.done += row.state == "done"
                progress.skipped += row.state == "done"
                progress.failed += row.state == "failed"
        if on_progress:
            on_progress(progress)

        executor: ItemExecutor | None = None
        workers = 0
        try:
            if queue:
                if options.ray:
                    executor = RayPool(options.ray, options.workers, any(i.needs_gpu for i in queue), out,
                                       options.preview_size)
                else:
                    executor = LocalPool(min(options.workers or 1, len(queue)), out, options.preview_size)
                workers = executor.capacity
                _drive(executor, deque(queue), manifest, out, progress, on_progress)
        except BaseException:
            if executor is not None:
                executor.close(cancel=True)
            raise
        if executor is not None:
            executor.close()
        _sweep_temporaries(out)

        rows = [r for r in (manifest.get(i.id) for i in batch) if r is not None]
        wall = time.perf_counter() - t0
        done_now = progress.done - progress.skipped
        summary = BatchSummary(
            out_dir=out,
            manifest=out / MANIFEST_NAME,
            report=out / REPORT_NAME,
            total=len(batch),
            done=sum(r.state == "done" for r in rows),
            failed=sum(r.state == "failed" for r in rows),
            skipped=progress.skipped,
            ran=len(queue),
            invalid_lines=invalid,
            failures=[
                {"id": r.id, "line": r.item.line, "text": r.item.text, "seed": r.item.seed, "error": r.error}
                for r in rows if r.state == "failed"
            ],
            wall_s=wall,
            assets_per_min=done_now / wall * 60.0 if wall > 0 else 0.0,
            backend=backend,
            workers=workers,
        )
        write_report(out / REPORT_NAME, rows, summary)
        atomic_write_bytes(out / SUMMARY_NAME, json.dumps(summary.to_json(), indent=2).encode("utf-8"))
        for name in (REPORT_NAME, SUMMARY_NAME):
            relax_permissions(out / name)
    return summary


def _drive(
    executor: ItemExecutor,
    queue: deque[BatchItem],
    manifest: Manifest,
    out_dir: Path,
    progress: Progress,
    on_progress: ProgressCallback | None,
) -> None:
    """Hand items out as capacity frees up; record each result as it arrives."""
    while queue or executor.running:
        changed = False
        while queue and executor.running < executor.capacity:
            item = queue.popleft()
            manifest.mark_running(item.id)
            executor.submit(item)
            progress.running = executor.running
            changed = True
        if changed and on_progress:
            on_progress(progress)
        for item, result in executor.wait(timeout=0.5):
            if result.ok:
                manifest.mark_done(item.id, result.timings_s, result.metrics)
                progress.done += 1
            else:
                clean_stale(out_dir, item.id)
                manifest.mark_failed(item.id, result.error or "unknown failure", result.timings_s, result.metrics)
                progress.failed += 1
            progress.finished_this_run += 1
            progress.running = executor.running
            if on_progress:
                on_progress(progress)
