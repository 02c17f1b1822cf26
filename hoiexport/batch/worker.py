"""One batch item, start to finish, in whatever process runs it.

`run_item` generates the asset, saves its bundle, exports it (validated),
renders its contact sheet and writes `result.json` and `log.txt`, all inside a
temporary sibling of `DIR/items/<id>/` that is renamed into place at the end
(`cache.atomic_directory`). A killed worker therefore leaves either the previous
folder or a complete new one, plus at most a hidden temporary folder that the
next attempt of the same item removes first.

A failing item still gets its folder, holding only `log.txt` (with the
traceback) and `result.json` (with the error); the batch goes on.
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import logging
import os
import shutil
import signal
import sys
import time
import traceback
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hoiexport.batch.items import BatchItem
from hoiexport.sdk.core.cache import atomic_directory, atomic_write_bytes
from hoiexport.sdk.core.errors import HOIExportError
from hoiexport.sdk.core.threads import set_threads

ITEMS_DIR = "items"
LOG_NAME = "log.txt"
RESULT_NAME = "result.json"
PREVIEW_NAME = "preview.png"
BUNDLE_DIR = "bundle"

_log = logging.getLogger("hoiexport.batch")


@dataclass
class ItemResult:
    """What one attempt at an item produced (picklable; crosses process boundaries).

    Attributes:
        id: the item id.
        ok: True when every step succeeded and the folder is in place.
        error: one line naming the failure (None when ok).
        timings_s: step → seconds ("generate", "bundle", "export", "preview", "total").
        metrics: measured facts (see `item_metrics`); empty on failure before
            generation finished.
    """

    id: str
    ok: bool
    error: str | None = None
    timings_s: dict[str, float] = field(default_factory=dict)
    metrics: dict[str, Any] = field(default_factory=dict)


def item_dir(out_dir: str | Path, item_id: str) -> Path:
    """`DIR/items/<id>`."""
    return Path(out_dir) / ITEMS_DIR / item_id


def clean_stale(out_dir: str | Path, item_id: str) -> list[Path]:
    """Remove temporary folders a killed attempt at `item_id` left in `DIR/items`.

    Returns:
        The folders removed.
    """
    root = Path(out_dir) / ITEMS_DIR
    removed = []
    if root.is_dir():
        for p in root.glob(f".{item_id}.*"):
            shutil.rmtree(p, ignore_errors=True) if p.is_dir() else p.unlink(missing_ok=True)
            removed.append(p)
    return removed


def relax_permissions(root: Path) -> None:
    """Give `root` and everything in it the modes a plain `mkdir` / `open` would.

    Temporary folders and files are created private (0700 / 0600); finished
    batch outputs should be as readable as any other file the user writes.
    """
    mask = os.umask(0)
    os.umask(mask)
    paths = [root, *root.rglob("*")] if root.is_dir() else [root]
    for p in paths:
        if not p.is_symlink():
            p.chmod((0o777 if p.is_dir() else 0o666) & ~mask)


def _kill_group(signum: int | None = None, frame: object = None) -> None:
    os.killpg(os.getpgid(0), signal.SIGKILL)


def setup_pool_worker(driver_pid: int) -> None:
    """Initializer of a local pool worker: one torch thread; dies with the driver.

    On Linux the worker becomes the leader of its own process group and asks
    the kernel for SIGTERM when its parent (the driver) dies, however it dies;
    the handler kills the whole group with SIGKILL, so helper processes the
    exporter forks during an item die with it instead of outliving the batch.
    """
    set_threads(torch_threads=1)  # for the rest of the process: items run one per worker
    if not sys.platform.startswith("linux"):
        return
    with contextlib.suppress(OSError, AttributeError):
        os.setpgrp()
        signal.signal(signal.SIGTERM, _kill_group)
        PR_SET_PDEATHSIG = 1
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    if os.getppid() != driver_pid:  # the driver died before the request above
        _kill_group()


@contextlib.contextmanager
def _capture(log_path: Path) -> Iterator[None]:
    """Send logging, warnings, stdout and stderr of this item into `log_path`."""
    handler = logging.FileHandler(log_path, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(min(old_level or logging.INFO, logging.INFO))
    logging.captureWarnings(True)
    stream = handler.stream
    try:
        with warnings.catch_warnings(), contextlib.redirect_stdout(stream), contextlib.redirect_stderr(stream):
            warnings.simplefilter("default")
            yield
    finally:
        logging.captureWarnings(False)
        root.removeHandler(handler)
        root.setLevel(old_level)
        handler.close()


def _generate(item: BatchItem):  # -> HOIAsset
    """`hoiexport.generate` for the item."""
    from hoiexport.generation import generate, parse_assignments

    return generate(item.text, generator=item.generator, seed=item.seed,
                    object=item.object or None, action=item.action or None, contact=item.contact or None,
                    preset=item.preset, overrides=parse_assignments(item.settings, "--set"))


def asset_metrics(asset) -> dict[str, Any]:
    """Measured facts of a generated asset, JSON-able: prompt, object, action,
    requested_config, measured_config, config_match, contacts (part, joint,
    distance_cm), penetration (cm / cm³ plus max_depth_cm)."""
    requested = asset.prompt.requested_config.value if asset.prompt.requested_config else None
    return {
        "prompt": asset.prompt.text,
        "object": asset.prompt.object,
        "action": asset.prompt.action,
        "requested_config": requested,
        "measured_config": asset.contact_config.value,
        "config_match": requested is None or requested == asset.contact_config.value,
        "contacts": [
            {"part": c.part, "joint": c.joint, "distance_cm": round(float(c.distance_m) * 100.0, 3)}
            for c in asset.contacts
        ],
        "penetration": {**asset.penetration.to_json(), "max_depth_cm": asset.penetration.max_depth_cm},
    }


def item_metrics(asset, export_result, folder: Path) -> dict[str, Any]:
    """Measured facts of a finished "asset" item, JSON-able, paths relative to its folder.

    Keys: those of `asset_metrics`, then validation (file → ok, errors,
    warnings), files (kind → relative path), counts (vertices / faces),
    provenance_timings_s.
    """
    validation = {}
    for path, report in export_result.validation.items():
        validation[Path(path).name] = {"ok": report.ok, "errors": report.errors, "warnings": report.warnings}
    files = {fmt: str(Path(p).relative_to(folder)) for fmt, p in export_result.files.items()}
    return {
        **asset_metrics(asset),
        "validation": validation,
        "files": {"bundle": f"{BUNDLE_DIR}/asset.json", **files, "preview": PREVIEW_NAME, "log": LOG_NAME},
        "counts": {
            "human_vertices": len(asset.human.vertices),
            "human_faces": len(asset.human.faces),
            "object_vertices": len(asset.object.vertices),
            "object_faces": len(asset.object.faces),
        },
        "provenance_timings_s": {k: round(float(v), 4) for k, v in asset.provenance.timings_s.items()},
    }


def _error_line(exc: BaseException) -> str:
    if isinstance(exc, HOIExportError):
        return str(exc)
    return f"{type(exc).__name__}: {exc}"


def _asset_job(item: BatchItem, asset: Any, tmp: Path, timings: dict[str, float], preview_size: int,
               step: list[str]) -> dict[str, Any]:
    """The "asset" job: bundle, validated exports and the contact-sheet preview."""
    from hoiexport.batch.preview import PreviewOptions, contact_sheet, png_bytes
    from hoiexport.exporters.export import ExportOptions, export
    from hoiexport.exporters.options import BakeOptions
    from hoiexport.exporters.rig import RigOptions
    from hoiexport.sdk.bundle import save_bundle

    step[0], t = "bundle", time.perf_counter()
    save_bundle(asset, tmp / BUNDLE_DIR)
    timings["bundle"] = time.perf_counter() - t

    step[0], t = "export", time.perf_counter()
    options = ExportOptions(bake=BakeOptions(size=item.texture_size),
                            rig=RigOptions(rest_pose=item.rest_pose, skeleton=item.skeleton))
    result = export(asset, tmp, formats=item.formats, target=item.target, options=options)
    timings["export"] = time.perf_counter() - t
    _log.info("exported %s in %.2f s", ", ".join(p.name for p in result.files.values()), timings["export"])

    step[0], t = "preview", time.perf_counter()
    sheet = contact_sheet(asset, PreviewOptions(size=preview_size))
    atomic_write_bytes(tmp / PREVIEW_NAME, png_bytes(sheet))
    timings["preview"] = time.perf_counter() - t
    return item_metrics(asset, result, tmp)


def _sample_job(item: BatchItem, asset: Any, tmp: Path, timings: dict[str, float], preview_size: int,
                step: list[str]) -> dict[str, Any]:
    """The "sample" job (`hoiexport data synth`): bundle, the 4 appearance
    renders, the 3 training views and `sample.json` (`sdk.training.data.synth`)."""
    from hoiexport.sdk.training.data.synth import write_sample

    step[0], t = "sample", time.perf_counter()
    files = write_sample(asset, tmp, sample_id=item.id, seed=item.seed)
    timings["sample"] = time.perf_counter() - t
    return {**asset_metrics(asset), "files": files}


ItemJob = Callable[[BatchItem, Any, Path, dict[str, float], int, list[str]], dict[str, Any]]

ITEM_JOBS: dict[str, ItemJob] = {"asset": _asset_job, "sample": _sample_job}
"""Job name (`BatchItem.job`) → what a worker makes of the generated asset
(writes into the item's temporary folder, returns the item's metrics)."""


def run_item(item: BatchItem, out_dir: str, preview_size: int = 256) -> ItemResult:
    """Produce one item into `DIR/items/<id>/` (module docstring).

    Args:
        item: the item; `item.job` picks what is made of it (`ITEM_JOBS`).
        out_dir: the batch folder `DIR` (shared by every worker).
        preview_size: edge of one contact-sheet view, pixels.

    Returns:
        The attempt's `ItemResult`; exceptions of the item become `ok=False`
        with `error` set, never propagate (except KeyboardInterrupt / SystemExit).
    """
    t_start = time.perf_counter()
    clean_stale(out_dir, item.id)
    timings: dict[str, float] = {}
    metrics: dict[str, Any] = {}
    error: str | None = None
    with atomic_directory(item_dir(out_dir, item.id), overwrite=True) as tmp:
        with _capture(tmp / LOG_NAME):
            _log.info("item %s: %r seed %d generator %s overrides %s", item.id, item.text, item.seed,
                      item.generator, item.overrides or "none")
            step = ["generate"]
            try:
                t = time.perf_counter()
                asset = _generate(item)
                timings["generate"] = time.perf_counter() - t
                _log.info("generated in %.2f s: object %s, action %s, contact %s",
                          timings["generate"], asset.prompt.object, asset.prompt.action, asset.contact_config.value)
                metrics = ITEM_JOBS[item.job](item, asset, tmp, timings, preview_size, step)
            except Exception as exc:  # noqa: BLE001 - one item's failure never stops the batch
                error = f"{step[0]}: {_error_line(exc)}"
                _log.error("failed at %s: %s\n%s", step[0], _error_line(exc), traceback.format_exc())
                for p in tmp.iterdir():
                    if p.name != LOG_NAME:
                        shutil.rmtree(p) if p.is_dir() else p.unlink()
            timings["total"] = time.perf_counter() - t_start
            _log.info("%s in %.2f s", "failed" if error else "done", timings["total"])
        record = {"item": item.to_json(), "ok": error is None, "error": error,
                  "timings_s": {k: round(v, 4) for k, v in timings.items()}, "metrics": metrics}
        (tmp / RESULT_NAME).write_text(json.dumps(record, indent=2), encoding="utf-8")
        relax_permissions(tmp)
    return ItemResult(id=item.id, ok=error is None, error=error,
                      timings_s={k: round(v, 4) for k, v in timings.items()}, metrics=metrics)


def run_item_single_thread(item: BatchItem, out_dir: str, preview_size: int = 256) -> ItemResult:
    """`run_item` with one torch thread (the Ray task body)."""
    set_threads(torch_threads=1)
    return run_item(item, out_dir, preview_size)
