"""Filtering annotated samples to HOI3DGen's training set: exactly K per contact
configuration (the paper: 400 = 8 × 50 out of 750k ProciGen frames).

Three rejection checks (`CHECKS`, a registry; each names its reason), then a
seeded farthest-point selection per configuration over (object, action,
appearance), so the K kept samples spread over what the configuration offers:

| check | rejects a sample when |
|---|---|
| `not_annotated` | it has no `annotation.json`, or geometry found no contact configuration |
| `penetration` | human and object interpenetrate deeper than `max_penetration_cm` |
| `implausible_action` | the body pose leaves the action library's joint limits by more than `max_joint_excess_deg` (`pose_library.limit_excess_deg`), or the MLLM's yes-probability that the action is plausible is under `min_plausible_p` (when an MLLM answered) |
| `action_contact_mismatch` | the measured configuration is not one the action goes with (`lexicon.ACTION_CONTACTS`) |

The output folder holds both layouts the trainers read, over the same files:
`images/<id>_<view>.png` + `.txt` caption pairs with `meta_data.json`
(NVlabs/Sana `SanaImgDataset`: `img_names` are paths without extension), and
`metadata.jsonl` (one line per image: `file_name`, `text`, the sample's
fields). Captions are `hoi3dgen.views.view_prompt(caption, view)`, the very
function inference builds its stage-1 prompts with, so training and inference
text are identical by construction. `filter_report.json` / `.md` hold the
per-configuration table of candidates, rejections by reason and kept samples.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from hoiexport.sdk.core.cache import atomic_directory
from hoiexport.sdk.core.errors import InputError
from hoiexport.sdk.core.types import ContactConfig
from hoiexport.sdk.generators.hoi3dgen.views import VIEWS, ViewPhrases, view_prompt
from hoiexport.sdk.prompt.lexicon import ACTION_CONTACTS
from hoiexport.sdk.training.data.sample import SampleDir, iter_samples

IMAGES_DIR = "images"
SANA_META = "meta_data.json"
METADATA = "metadata.jsonl"
REPORT_JSON = "filter_report.json"
REPORT_MD = "filter_report.md"
SANA_KIND = "Sana-ImgDataset"
"""`meta_data.json`'s `__kind__` in NVlabs/Sana's image-folder datasets."""


@dataclass(frozen=True)
class FilterOptions:
    """Thresholds and selection.

    Attributes:
        per_class: samples kept per configuration (the paper: 50).
        configs: configurations to fill (default all 8).
        max_penetration_cm: deepest accepted interpenetration, either way, cm.
        max_joint_excess_deg: largest accepted excursion of any joint beyond
            the action library's limits, degrees.
        min_plausible_p: smallest accepted MLLM yes-probability that the action
            is plausible (ignored for samples no MLLM judged).
        seed: seed of the farthest-point selection (its first pick and ties).
        phrases: the view phrases of the captions (those inference uses).
    """

    per_class: int = 50
    configs: tuple[ContactConfig, ...] = tuple(ContactConfig)
    max_penetration_cm: float = 1.0
    max_joint_excess_deg: float = 5.0
    min_plausible_p: float = 0.5
    seed: int = 0
    phrases: ViewPhrases = field(default_factory=ViewPhrases)

    def __post_init__(self) -> None:
        if isinstance(self.per_class, bool) or not isinstance(self.per_class, int) or self.per_class < 1:
            raise InputError(f"--per-class must be an integer >= 1, got {self.per_class!r}")
        object.__setattr__(self, "configs", tuple(ContactConfig.parse(c) for c in self.configs))
        if not self.configs:
            raise InputError("no configuration to fill; name at least one")
        for name in ("max_penetration_cm", "max_joint_excess_deg"):
            value = getattr(self, name)
            if not isinstance(value, (int, float)) or not np.isfinite(value) or value < 0:
                raise InputError(f"FilterOptions.{name} must be a finite number >= 0, got {value!r}")
        if not isinstance(self.min_plausible_p, (int, float)) or not 0.0 <= self.min_plausible_p <= 1.0:
            raise InputError(f"FilterOptions.min_plausible_p must be in [0, 1], got {self.min_plausible_p!r}")


@dataclass(frozen=True)
class FilterRecord:
    """What filtering knows of one sample.

    Attributes:
        id: sample id.
        config: measured configuration (None when geometry found none / not annotated).
        object: object category.
        action: annotated action, or None.
        appearance: appearance field → value ("top": "red shirt", ...).
        caption: the sample's caption (its description, without a view phrase).
        penetration_cm: deepest interpenetration, cm (nan = unknown).
        joint_excess_deg: largest joint-limit excursion of the body pose,
            degrees (nan = unknown pose).
        plausible_p: the MLLM's yes-probability that the action is plausible,
            or None when no MLLM judged it.
        annotated: whether an annotation exists.
        path: the sample folder (None for records built in code).
    """

    id: str
    config: ContactConfig | None
    object: str
    action: str | None
    appearance: dict[str, str]
    caption: str
    penetration_cm: float
    joint_excess_deg: float
    plausible_p: float | None = None
    annotated: bool = True
    path: Path | None = None


Check = Callable[[FilterRecord, FilterOptions], bool]
"""True when the check rejects the record."""


def _not_annotated(r: FilterRecord, o: FilterOptions) -> bool:
    return not r.annotated or r.config is None or not r.caption.strip()


def _penetration(r: FilterRecord, o: FilterOptions) -> bool:
    return not np.isfinite(r.penetration_cm) or r.penetration_cm > o.max_penetration_cm


def _implausible(r: FilterRecord, o: FilterOptions) -> bool:
    joints = np.isfinite(r.joint_excess_deg) and r.joint_excess_deg > o.max_joint_excess_deg
    judged = r.plausible_p is not None and r.plausible_p < o.min_plausible_p
    return bool(joints or judged)


def _mismatch(r: FilterRecord, o: FilterOptions) -> bool:
    return r.action is None or r.action not in ACTION_CONTACTS or r.config not in ACTION_CONTACTS[r.action]


CHECKS: dict[str, Check] = {
    "not_annotated": _not_annotated,
    "penetration": _penetration,
    "implausible_action": _implausible,
    "action_contact_mismatch": _mismatch,
}
"""Rejection reason → check, applied in this order (a sample is counted under its first failing check)."""


def rejection(record: FilterRecord, options: FilterOptions) -> str | None:
    """The first `CHECKS` reason that rejects `record`, or None when it passes."""
    for reason, check in CHECKS.items():
        if check(record, options):
            return reason
    return None


def _features(records: Sequence[FilterRecord]) -> np.ndarray:
    """(N, D) float64 one-hot features: object, action, each appearance field's value."""
    columns: list[list[str]] = [[r.object for r in records], [str(r.action) for r in records]]
    keys = sorted({k for r in records for k in r.appearance})
    columns += [[str(r.appearance.get(k, "")) for r in records] for k in keys]
    blocks = []
    weights = [2.0, 2.0] + [1.0] * len(keys)  # object and action count double: the paper's diversity axes
    for values, w in zip(columns, weights):
        vocab = {v: i for i, v in enumerate(sorted(set(values)))}
        block = np.zeros((len(records), len(vocab)))
        block[np.arange(len(records)), [vocab[v] for v in values]] = np.sqrt(w / 2.0)
        blocks.append(block)
    return np.concatenate(blocks, axis=1) if blocks else np.zeros((len(records), 0))


def farthest_point_selection(features: np.ndarray, k: int, seed: int) -> list[int]:
    """`k` row indices chosen greedily to maximise the smallest distance to those
    already chosen (squared Euclidean); the first pick and ties follow a seeded
    random order, so a seed fixes the result.

    Args:
        features: (N, D) float64.
        k: how many to choose (≤ N).
        seed: the seed.
    """
    n = len(features)
    priority = np.random.default_rng(seed).permutation(n)  # lower rank wins a tie
    rank = np.empty(n, np.int64)
    rank[priority] = np.arange(n)
    chosen = [int(priority[0])]
    dist = ((features - features[chosen[0]]) ** 2).sum(axis=1)
    dist[chosen[0]] = -np.inf
    while len(chosen) < k:
        best = np.flatnonzero(dist == dist.max())
        pick = int(best[np.argmin(rank[best])])
        chosen.append(pick)
        dist = np.minimum(dist, ((features - features[pick]) ** 2).sum(axis=1))
        dist[chosen] = -np.inf
    return chosen


@dataclass
class ClassReport:
    """One configuration's row of the report.

    Attributes:
        config: the configuration.
        candidates: samples measured in it.
        rejected: reason → count.
        passed: samples that passed every check.
        kept: ids kept (sorted by selection order).
    """

    config: str
    candidates: int = 0
    rejected: dict[str, int] = field(default_factory=dict)
    passed: int = 0
    kept: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {"config": self.config, "candidates": self.candidates, "rejected": self.rejected,
                "passed": self.passed, "kept": len(self.kept), "ids": self.kept}


@dataclass
class FilterResult:
    """The selection.

    Attributes:
        selected: configuration → kept records, in selection order.
        classes: configuration → its report row.
        unclassified: rejected records without a configuration (reason → count).
    """

    selected: dict[ContactConfig, list[FilterRecord]]
    classes: dict[ContactConfig, ClassReport]
    unclassified: dict[str, int]

    def table(self) -> str:
        """The report as a Markdown table (one row per configuration)."""
        reasons = [r for r in CHECKS if r != "not_annotated"]
        head = "| configuration | candidates | " + " | ".join(reasons) + " | passed | kept |"
        rows = [head, "|" + "---|" * (len(reasons) + 4)]
        for c, rep in self.classes.items():
            cells = " | ".join(str(rep.rejected.get(r, 0)) for r in reasons)
            rows.append(f"| {c.value} | {rep.candidates} | {cells} | {rep.passed} | {len(rep.kept)} |")
        if self.unclassified:
            rows.append("")
            rows.append("without a configuration: " + ", ".join(f"{k} {v}" for k, v in self.unclassified.items()))
        return "\n".join(rows)


def select(records: Sequence[FilterRecord], options: FilterOptions = FilterOptions()) -> FilterResult:
    """Reject, then keep exactly `options.per_class` records per configuration.

    Raises:
        InputError: a configuration with fewer passing records than
            `per_class`, named with its counts and rejection reasons.
    """
    classes = {c: ClassReport(c.value) for c in options.configs}
    passing: dict[ContactConfig, list[FilterRecord]] = {c: [] for c in options.configs}
    unclassified: dict[str, int] = {}
    for r in sorted(records, key=lambda r: r.id):
        reason = rejection(r, options)
        if r.config is None or r.config not in classes:
            if r.config is None:
                unclassified[reason or "not_annotated"] = unclassified.get(reason or "not_annotated", 0) + 1
            continue
        rep = classes[r.config]
        rep.candidates += 1
        if reason is None:
            passing[r.config].append(r)
            rep.passed += 1
        else:
            rep.rejected[reason] = rep.rejected.get(reason, 0) + 1
    short = [rep for c, rep in classes.items() if rep.passed < options.per_class]
    if short:
        parts = []
        for rep in short:
            why = ", ".join(f"{k} {v}" for k, v in sorted(rep.rejected.items())) or "none rejected"
            parts.append(f"{rep.config}: {rep.passed} of {rep.candidates} pass ({why})")
        raise InputError(f"too few samples to keep {options.per_class} per configuration — " + "; ".join(parts)
                         + "; synthesise more ('hoiexport data synth N') or lower --per-class")
    selected: dict[ContactConfig, list[FilterRecord]] = {}
    for c, pool in passing.items():
        idx = farthest_point_selection(_features(pool), options.per_class, options.seed + list(classes).index(c))
        selected[c] = [pool[i] for i in idx]
        classes[c].kept = [pool[i].id for i in idx]
    return FilterResult(selected, classes, unclassified)


# --------------------------------------------------------------------------- reading samples


def _float(value: Any, default: float = float("nan")) -> float:
    try:
        out = float(value)
    except (TypeError, ValueError):
        return default
    return out


def _penetration_cm(value: Any) -> float:
    """Deepest interpenetration in an annotation's `penetration` field, cm."""
    if isinstance(value, dict):
        if "max_depth_cm" in value:
            return _float(value["max_depth_cm"])
        depths = [_float(v) for k, v in value.items() if k.endswith("depth_cm")]
        return max(depths) if depths else float("nan")
    return _float(value)


def _joint_excess(sample: SampleDir) -> float:
    """Largest joint-limit excursion of the sample body's pose, degrees (nan when unreadable)."""
    from hoiexport.sdk.bodies.pose_library import limit_excess_deg
    from hoiexport.sdk.bundle import load_bundle

    try:
        pose = np.asarray(load_bundle(sample.bundle).body.params.get("pose"), np.float64).reshape(24, 3)
    except Exception:  # noqa: BLE001 - an unreadable bundle is an unknown pose, not a crash
        return float("nan")
    return max(limit_excess_deg(pose).values())


def record_of(sample: SampleDir) -> FilterRecord:
    """The `FilterRecord` of a sample folder (its annotation and body pose)."""
    ann = sample.annotation()
    if ann is None:
        return FilterRecord(sample.id, None, sample.record.object, None, {}, "", float("nan"), float("nan"),
                            annotated=False, path=sample.path)
    try:
        config = ContactConfig.parse(ann["config"]) if ann.get("config") else None
    except InputError:
        config = None
    appearance = {str(k): str(v) for k, v in (ann.get("appearance") or {}).items() if isinstance(v, (str, int, float))}
    plausible = ann.get("action_plausible_p")
    return FilterRecord(
        id=sample.id, config=config, object=str(ann.get("object") or sample.record.object),
        action=ann.get("action") if isinstance(ann.get("action"), str) else None, appearance=appearance,
        caption=str(ann.get("caption") or ""), penetration_cm=_penetration_cm(ann.get("penetration")),
        joint_excess_deg=_joint_excess(sample),
        plausible_p=_float(plausible) if plausible is not None else None, path=sample.path,
    )


def read_records(dataset: str | os.PathLike[str]) -> list[FilterRecord]:
    """Every sample of a dataset folder as a `FilterRecord`."""
    return [record_of(s) for s in iter_samples(dataset)]


def write_filtered(result: FilterResult, out_dir: str | os.PathLike[str], options: FilterOptions = FilterOptions(),
                   overwrite: bool = False) -> Path:
    """Write the kept samples' training views, captions and both layouts (module docstring).

    Args:
        result: `select`'s result (records with `path` set).
        out_dir: the output folder (replaced atomically when `overwrite`).
        options: the view phrases of the captions.
        overwrite: replace an existing folder.

    Raises:
        InputError: `out_dir` exists without `overwrite`, or a kept sample lacks
            a training view.
    """
    from hoiexport.sdk.training.data.sample import read_sample

    out = Path(out_dir)
    if out.exists() and not overwrite:
        raise InputError(f"{out} already exists; pass --overwrite or choose another output folder")
    names: list[str] = []
    lines: list[str] = []
    with atomic_directory(out, overwrite=overwrite) as tmp:
        (tmp / IMAGES_DIR).mkdir()
        for config, records in result.selected.items():
            for r in records:
                if r.path is None:
                    raise InputError(f"sample {r.id} has no folder to copy its views from")
                sample = read_sample(r.path)
                views = sample.view_paths()
                for view in VIEWS:
                    if view not in views or not views[view].is_file():
                        raise InputError(f"{sample.path}: training view {view!r} is missing; re-synthesise the sample")
                    stem = f"{IMAGES_DIR}/{r.id}_{view}"
                    shutil.copyfile(views[view], tmp / f"{stem}.png")
                    caption = view_prompt(r.caption, view, options.phrases)
                    (tmp / f"{stem}.txt").write_text(caption + "\n", encoding="utf-8")
                    names.append(stem)
                    lines.append(json.dumps({
                        "file_name": f"{stem}.png", "text": caption, "sample": r.id, "view": view,
                        "config": config.value, "object": r.object, "action": r.action,
                        "appearance": r.appearance, "description": r.caption,
                    }, ensure_ascii=False))
        meta = {"name": out.name, "__kind__": SANA_KIND, "img_names": names}
        (tmp / SANA_META).write_text(json.dumps(meta, indent=1), encoding="utf-8")
        (tmp / METADATA).write_text("\n".join(lines) + "\n", encoding="utf-8")
        report = {"per_class": options.per_class, "classes": [c.to_json() for c in result.classes.values()],
                  "unclassified": result.unclassified,
                  "thresholds": {"max_penetration_cm": options.max_penetration_cm,
                                 "max_joint_excess_deg": options.max_joint_excess_deg,
                                 "min_plausible_p": options.min_plausible_p}, "seed": options.seed}
        (tmp / REPORT_JSON).write_text(json.dumps(report, indent=2), encoding="utf-8")
        (tmp / REPORT_MD).write_text(result.table() + "\n", encoding="utf-8")
    return out


def filter_dataset(dataset: str | os.PathLike[str], out_dir: str | os.PathLike[str] | None = None,
                   options: FilterOptions = FilterOptions(), overwrite: bool = False) -> tuple[FilterResult, Path]:
    """Read, select and write: `hoiexport data filter DIR`.

    Args:
        dataset: the annotated dataset folder.
        out_dir: output folder (default `DIR/filtered`).
        options: thresholds and selection.
        overwrite: replace an existing output folder.
    """
    out = Path(out_dir) if out_dir is not None else Path(dataset) / "filtered"
    result = select(read_records(dataset), options)
    return result, write_filtered(result, out, options, overwrite=overwrite)
