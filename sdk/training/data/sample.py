"""One training sample on disk: the folder every data step reads and writes.

A dataset folder `DIR` holds `DIR/items/<id>/` (the batch runner's item layout,
so synthesis is resumable through its manifest), each a sample::

    sample.json          SampleRecord: id, source, text, object, action,
                         requested config, seed, image paths, origin
    bundle/              the HOIAsset (sdk.bundle): human, object, body fit,
                         contacts, penetration
    appearance/{front,left,back,right}.png  (compose: 4 orthogonal renders)
    appearance/k{0..3}.jpg                   (ProciGen / BEHAVE: the 4 Kinect photographs)
                         the 4 images the MLLM describes
                         (camera yaw 0 / 90 / 180 / 270 degrees about +Y; "left" sees the
                         character's left side, the camera on +X)
    views/{front,left_diagonal,right_diagonal}.png
                         the 3 training views (yaw 0 / -45 / +45, white background)
    annotation.json      written by `annotate` (fields with provenance)

Paths inside `sample.json` are relative to the sample folder and are checked
to stay inside it when read.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

from hoiexport.sdk.core.cache import atomic_write_bytes
from hoiexport.sdk.core.errors import InputError

SAMPLE_NAME = "sample.json"
"""The sample record's file name inside a sample folder."""

ANNOTATION_NAME = "annotation.json"
"""The annotation's file name inside a sample folder (written by `annotate`)."""

BUNDLE_DIR = "bundle"
"""The sample's HOIAsset bundle folder."""

ITEMS_DIR = "items"
"""Sample folders live in `DIR/items/<id>/` (the batch runner's layout)."""

APPEARANCE_YAWS: dict[str, float] = {"front": 0.0, "left": 90.0, "back": 180.0, "right": 270.0}
"""The 4 orthogonal appearance renders: name → camera yaw about +Y, degrees
(0 = the camera on +Z, in front of the character; 90 = on +X, which
sees the character's left side)."""

SampleSource = Literal["compose", "procigen", "behave"]
"""Where a sample came from."""

SCHEMA_VERSION = 1


@dataclass(frozen=True)
class SampleRecord:
    """`sample.json`: what a sample is and where its files are.

    Attributes:
        id: the sample's id (its folder name).
        source: "compose" (synthesised), "procigen" or "behave" (imported).
        text: the prompt it was generated from ("" for imported frames).
        object: object category (the compose library's, or the dataset's name).
        action: the action requested (compose) or None (imported: unknown).
        requested_config: the contact configuration requested, or None.
        seed: generator seed (compose) or None.
        appearance: appearance-image name → relative path: the `APPEARANCE_YAWS`
            keys for rendered samples, "k0".."k3" for imported photographs.
        views: training-view name ("front", "left_diagonal", "right_diagonal") →
            relative path.
        origin: source-specific facts (e.g. the ProciGen sequence and frame).
    """

    id: str
    source: SampleSource
    text: str
    object: str
    action: str | None
    requested_config: str | None
    seed: int | None
    appearance: dict[str, str] = field(default_factory=dict)
    views: dict[str, str] = field(default_factory=dict)
    origin: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {"schema_version": SCHEMA_VERSION, **asdict(self)}

    @classmethod
    def from_json(cls, doc: Any, where: Path) -> SampleRecord:
        """The record `to_json` wrote; `InputError` naming `where` on a bad one."""
        if not isinstance(doc, dict) or doc.get("schema_version") != SCHEMA_VERSION:
            raise InputError(f"{where}: not a sample record (schema_version {SCHEMA_VERSION}); "
                             "re-create the dataset with 'hoiexport data synth' or 'data import-procigen'")
        names = {f for f in cls.__dataclass_fields__}
        try:
            rec = cls(**{k: v for k, v in doc.items() if k in names})
        except TypeError as exc:
            raise InputError(f"{where}: sample record is missing fields ({exc})") from None
        for key in ("appearance", "views"):
            paths = getattr(rec, key)
            if not isinstance(paths, dict) or not all(isinstance(v, str) for v in paths.values()):
                raise InputError(f"{where}: '{key}' must map names to relative paths")
        return rec


def write_record(folder: str | os.PathLike[str], record: SampleRecord) -> Path:
    """Write `folder/sample.json` atomically."""
    return atomic_write_bytes(Path(folder) / SAMPLE_NAME, json.dumps(record.to_json(), indent=2).encode("utf-8"))


def _inside(folder: Path, rel: str, where: Path) -> Path:
    path = (folder / rel).resolve()
    if os.path.isabs(rel) or not path.is_relative_to(folder.resolve()):
        raise InputError(f"{where}: path {rel!r} leaves the sample folder; sample paths must be relative")
    return path


@dataclass(frozen=True)
class SampleDir:
    """A sample folder and its record.

    Attributes:
        path: the folder.
        record: its `sample.json`.
    """

    path: Path
    record: SampleRecord

    @property
    def id(self) -> str:
        return self.record.id

    @property
    def bundle(self) -> Path:
        return self.path / BUNDLE_DIR

    @property
    def annotation_path(self) -> Path:
        return self.path / ANNOTATION_NAME

    def appearance_paths(self) -> dict[str, Path]:
        """Appearance-render name → absolute path (checked to stay inside the folder)."""
        return {k: _inside(self.path, v, self.path / SAMPLE_NAME) for k, v in self.record.appearance.items()}

    def view_paths(self) -> dict[str, Path]:
        """Training-view name → absolute path (checked to stay inside the folder)."""
        return {k: _inside(self.path, v, self.path / SAMPLE_NAME) for k, v in self.record.views.items()}

    def annotation(self) -> dict[str, Any] | None:
        """The sample's `annotation.json`, or None before `annotate` ran."""
        if not self.annotation_path.is_file():
            return None
        try:
            doc = json.loads(self.annotation_path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise InputError(f"{self.annotation_path}: unreadable annotation ({exc}); "
                             "re-run 'hoiexport data annotate'") from None
        if not isinstance(doc, dict):
            raise InputError(f"{self.annotation_path}: an annotation is a JSON object; re-run 'hoiexport data annotate'")
        return doc


def read_sample(folder: str | os.PathLike[str]) -> SampleDir:
    """The sample in `folder`.

    Raises:
        InputError: no or an unreadable `sample.json`.
    """
    path = Path(folder)
    where = path / SAMPLE_NAME
    try:
        doc = json.loads(where.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(f"{path}: no {SAMPLE_NAME}; not a sample folder") from None
    except (OSError, ValueError, RecursionError) as exc:
        raise InputError(f"{where}: unreadable sample record ({type(exc).__name__})") from None
    return SampleDir(path, SampleRecord.from_json(doc, where))


def iter_samples(dataset: str | os.PathLike[str]) -> Iterator[SampleDir]:
    """Every finished sample of a dataset folder, in id order (folders without a
    `sample.json` — failed or unfinished items — are skipped).

    Raises:
        InputError: `dataset` has no `items/` folder.
    """
    root = Path(dataset) / ITEMS_DIR
    if not root.is_dir():
        raise InputError(f"{dataset}: no '{ITEMS_DIR}/' folder; create a dataset with "
                         "'hoiexport data synth N -o DIR' or 'hoiexport data import-procigen ROOT -o DIR'")
    for child in sorted(root.iterdir()):
        if child.is_dir() and not child.name.startswith(".") and (child / SAMPLE_NAME).is_file():
            yield read_sample(child)
