"""Prompt files → batch items with stable ids.

A prompt file is one of:

- `.jsonl`: one JSON object per line: `text` plus optional `object`, `action`,
  `contact`, `seed` and `target` overrides. Blank lines are skipped.
- `.txt`: one prompt per line; blank lines and lines starting with `#` are skipped.
- `.csv` with a header row. Columns are matched case-insensitively; our own names
  (`text`, `object`, `action`, `contact`, `seed`, `target`) and the HOI3DGen
  dataset's (`Description`, `Object Type`, `Contact Category`) are both accepted.
  Dataset contact values (rightHand, leftHand, bothHands, back, rightLeg, leftLeg,
  noContact, fullBody, other) map onto the 8 `ContactConfig` values.

A malformed line does not stop the file: it becomes a `LineError` naming the file
and line number, and every other line still becomes a `PromptSpec`.

`make_items` expands specs by seed and fixes everything that changes an item's
output (generator, export formats, target, texture size) into a `BatchItem` whose
`id` is a hash of exactly those values, so the same request always lands in the
same `DIR/items/<id>/` folder and a resumed batch recognises its finished items.
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hoiexport.exporters.presets import TARGETS
from hoiexport.sdk.core.errors import InputError
from hoiexport.sdk.core.types import ContactConfig
from hoiexport.sdk.core.overrides import parse_assignments
from hoiexport.sdk.generators.registry import AUTO, GENERATOR_CHOICES, make_settings

PROMPT_SUFFIXES: tuple[str, ...] = (".jsonl", ".txt", ".csv")
ID_VERSION = 1

ITEM_JOB_NAMES: tuple[str, ...] = ("asset", "sample")
"""What a worker can make of an item (`worker.ITEM_JOBS` holds the functions)."""
"""Bumped when the id recipe changes (old batch folders then re-run everything)."""

SPEC_KEYS: tuple[str, ...] = ("text", "object", "action", "contact", "seed", "target")
"""Keys a `.jsonl` line may hold (and our own `.csv` column names)."""

CSV_ALIASES: dict[str, str] = {
    "text": "text",
    "prompt": "text",
    "description": "text",
    "object": "object",
    "objecttype": "object",
    "action": "action",
    "contact": "contact",
    "contactcategory": "contact",
    "seed": "seed",
    "target": "target",
}
"""Normalised CSV header (lower case, letters only) → spec key."""

CONTACT_ALIASES: dict[str, ContactConfig] = {
    "righthand": ContactConfig.RIGHT_HAND,
    "lefthand": ContactConfig.LEFT_HAND,
    "bothhands": ContactConfig.BOTH_HANDS,
    "back": ContactConfig.BACK,
    "rightleg": ContactConfig.RIGHT_LEG,
    "leftleg": ContactConfig.LEFT_LEG,
    "nocontact": ContactConfig.NO_CONTACT,
    "fullbody": ContactConfig.OTHER,
    "other": ContactConfig.OTHER,
}
"""Contact names with case, `_`, `-`, `/` and spaces removed → `ContactConfig`.

Covers our snake_case values (right_hand → righthand) and the HOI3DGen dataset's
camelCase ones (rightHand, bothHands, noContact, fullBody/other)."""


@dataclass(frozen=True)
class LineError:
    """A prompt-file line that could not be read.

    Attributes:
        source: the prompt file.
        line: 1-based line number.
        message: what is wrong and how to fix it.
    """

    source: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.source}:{self.line}: {self.message}"

    def to_json(self) -> dict[str, Any]:
        return {"source": self.source, "line": self.line, "message": self.message}


@dataclass(frozen=True)
class PromptSpec:
    """One prompt as a prompt file states it (before seeds and export settings).

    Attributes:
        text: the prompt text.
        object: object override (a category or synonym), or None.
        action: action override, or None.
        contact: contact-configuration override, or None.
        seed: seed override, or None for the batch's seed(s).
        target: engine-preset override, or None for the batch's target.
        line: 1-based line number in `source` (0 for specs built in code).
        source: the prompt file, "" for specs built in code.
    """

    text: str
    object: str | None = None
    action: str | None = None
    contact: ContactConfig | None = None
    seed: int | None = None
    target: str | None = None
    line: int = 0
    source: str = ""


@dataclass(frozen=True)
class PromptFile:
    """What `read_prompts` found in a file.

    Attributes:
        path: the file.
        specs: the readable prompts, in file order.
        errors: one entry per malformed line.
    """

    path: Path
    specs: list[PromptSpec]
    errors: list[LineError] = field(default_factory=list)


@dataclass(frozen=True)
class ItemSettings:
    """Batch-wide choices that, with the prompt, fix an item's output.

    Attributes:
        generator: "compose" (CPU) or "hoi3dgen" (GPU).
        formats: export formats, e.g. ("glb", "usdc", "usdz").
        target: engine preset for items that do not override it.
        texture_size: baked texture edge, texels (512..4096).
        seeds: seeds per prompt: each prompt runs with `seed`, `seed + 1`, ...
            `seed + seeds - 1`.
        seed: first seed for prompts that do not set their own (a prompt's own
            seed replaces it and is expanded the same way).
        preset: the generator's settings preset (hoi3dgen: "best" or "paper");
            None = its default.
        settings: `KEY=VALUE` overrides of the preset's settings, e.g.
            ("lift.orbit.views=4",).
        job: what a worker makes of each item, a `worker.ITEM_JOBS` name:
            "asset" (bundle + validated exports + preview) or "sample" (bundle +
            the training images of `hoiexport data synth`).
        rest_pose: the exported rig's rest pose (`exporters.rig.REST_POSES`).
        skeleton: joint naming preset, or "auto" (from the target).
    """

    generator: str = "compose"
    formats: tuple[str, ...] = ("glb", "usdc", "usdz")
    target: str = "unity"
    texture_size: int = 2048
    seeds: int = 1
    seed: int = 0
    preset: str | None = None
    settings: tuple[str, ...] = ()
    job: str = "asset"
    rest_pose: str = "a"
    skeleton: str = "auto"

    def __post_init__(self) -> None:
        from hoiexport.exporters.export import parse_formats
        from hoiexport.exporters.options import BakeOptions
        from hoiexport.exporters.rig import RigOptions

        RigOptions(rest_pose=self.rest_pose, skeleton=self.skeleton)  # one-line errors naming the choices

        if self.generator not in GENERATOR_CHOICES:
            raise InputError(f"unknown generator {self.generator!r}; use one of: {', '.join(GENERATOR_CHOICES)}")
        object.__setattr__(self, "formats", parse_formats(self.formats))
        _check_target(self.target, "target")
        BakeOptions(size=self.texture_size)  # raises InputError naming the valid range
        if not isinstance(self.seeds, int) or isinstance(self.seeds, bool) or self.seeds < 1:
            raise InputError(f"seeds must be an integer >= 1 (seeds per prompt), got {self.seeds!r}")
        if not isinstance(self.seed, int) or isinstance(self.seed, bool) or self.seed < 0:
            raise InputError(f"seed must be an integer >= 0, got {self.seed!r}")
        object.__setattr__(self, "settings", tuple(self.settings))
        if self.job not in ITEM_JOB_NAMES:
            raise InputError(f"unknown item job {self.job!r}; use one of: {', '.join(ITEM_JOB_NAMES)}")
        if self.generator != AUTO:  # a bad preset or setting fails before any item runs
            make_settings(self.generator, self.preset, parse_assignments(self.settings, "--set"))


@dataclass(frozen=True)
class BatchItem:
    """One asset to produce: a prompt with everything that decides its output.

    Attributes:
        id: stable id, `item_id` of the other fields (16 hex digits).
        text: prompt text.
        object: object override or None.
        action: action override or None.
        contact: contact-configuration value ("right_hand", ...) or None.
        seed: generator seed.
        generator: "compose" or "hoi3dgen".
        target: engine preset.
        formats: export formats.
        texture_size: baked texture edge, texels.
        line: line in the prompt file (0 if built in code).
        source: the prompt file ("" if built in code).
        preset: the generator's settings preset, None = its default.
        settings: `KEY=VALUE` overrides of the preset's settings.
        job: the worker job (`ItemSettings.job`).
        rest_pose: the exported rig's rest pose.
        skeleton: joint naming preset or "auto".
    """

    id: str
    text: str
    object: str | None
    action: str | None
    contact: str | None
    seed: int
    generator: str
    target: str
    formats: tuple[str, ...]
    texture_size: int
    line: int = 0
    source: str = ""
    preset: str | None = None
    settings: tuple[str, ...] = ()
    job: str = "asset"
    rest_pose: str = "a"
    skeleton: str = "auto"

    @property
    def overrides(self) -> dict[str, str]:
        """The object / action / contact overrides that are set (generate's kwargs)."""
        return {k: v for k, v in (("object", self.object), ("action", self.action), ("contact", self.contact)) if v}

    @property
    def needs_gpu(self) -> bool:
        """Whether the item's generator runs on a GPU."""
        return self.generator == "hoi3dgen"

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "text": self.text,
            "object": self.object,
            "action": self.action,
            "contact": self.contact,
            "seed": self.seed,
            "generator": self.generator,
            "target": self.target,
            "formats": list(self.formats),
            "texture_size": self.texture_size,
            "line": self.line,
            "source": self.source,
            "preset": self.preset,
            "settings": list(self.settings),
            "job": self.job,
            "rest_pose": self.rest_pose,
            "skeleton": self.skeleton,
        }

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> BatchItem:
        """The item `to_json` wrote (manifests before presets lack the last two keys)."""
        return cls(**{**d, "formats": tuple(d["formats"]), "settings": tuple(d.get("settings", ()))})


def item_id(
    text: str,
    object: str | None,
    action: str | None,
    contact: str | None,
    seed: int,
    generator: str,
    target: str,
    formats: Iterable[str],
    texture_size: int,
    preset: str | None = None,
    settings: Iterable[str] = (),
    job: str = "asset",
    rest_pose: str = "a",
    skeleton: str = "auto",
) -> str:
    """Stable id of an item: sha256 of its request, first 16 hex digits.

    The request is the prompt text, its overrides, the seed, the generator, its
    preset and settings overrides (only when set, so ids made before presets
    existed stay the same) and the export settings (target, sorted formats,
    texture size; rest pose and skeleton preset when not the defaults). The line
    number and file name are not part of it: moving a
    prompt within a file keeps its id.
    """
    payload = {
        "v": ID_VERSION,
        "text": text,
        "object": object,
        "action": action,
        "contact": contact,
        "seed": seed,
        "generator": generator,
        "target": target,
        "formats": sorted(formats),
        "texture_size": texture_size,
    }
    if preset is not None:
        payload["preset"] = preset
    settings = list(settings)
    if settings:
        payload["settings"] = settings
    if job != "asset":
        payload["job"] = job
    if rest_pose != "a":
        payload["rest_pose"] = rest_pose
    if skeleton != "auto":
        payload["skeleton"] = skeleton
    blob = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()[:16]


# --------------------------------------------------------------------------- field parsing


def _check_target(value: str, name: str) -> str:
    if value not in TARGETS:
        raise InputError(f"unknown {name} {value!r}; use one of: {', '.join(TARGETS)}")
    return value


def parse_contact(value: str | ContactConfig) -> ContactConfig:
    """A contact name in our snake_case or the HOI3DGen dataset's camelCase.

    Raises:
        InputError: an unknown name; the message lists both spellings.
    """
    if isinstance(value, ContactConfig):
        return value
    key = re.sub(r"[\s_\-/]", "", str(value)).lower()
    if key in CONTACT_ALIASES:
        return CONTACT_ALIASES[key]
    ours = ", ".join(c.value for c in ContactConfig)
    raise InputError(
        f"unknown contact {value!r}; use one of: {ours} "
        "(or rightHand, leftHand, bothHands, back, rightLeg, leftLeg, noContact, fullBody)"
    )


def _optional_text(value: Any, name: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise InputError(f"{name} must be a string, got {type(value).__name__} {value!r}")
    value = value.strip()
    return value or None


def _seed(value: Any) -> int | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, str):
        try:
            value = int(value.strip())
        except ValueError:
            raise InputError(f"seed must be a whole number >= 0, got {value!r}") from None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise InputError(f"seed must be a whole number >= 0, got {value!r}")
    return value


def spec_from_mapping(fields: Mapping[str, Any], line: int = 0, source: str = "") -> PromptSpec:
    """A `PromptSpec` from a dict with `SPEC_KEYS` keys.

    Raises:
        InputError: unknown keys, a missing / empty `text`, or a bad value; the
            message names the field.
    """
    unknown = sorted(set(fields) - set(SPEC_KEYS))
    if unknown:
        raise InputError(f"unknown field(s) {', '.join(map(repr, unknown))}; use: {', '.join(SPEC_KEYS)}")
    text = _optional_text(fields.get("text"), "text")
    if not text:
        raise InputError("missing prompt: 'text' must be a non-empty string")
    contact = _optional_text(fields.get("contact"), "contact")
    target = _optional_text(fields.get("target"), "target")
    return PromptSpec(
        text=text,
        object=_optional_text(fields.get("object"), "object"),
        action=_optional_text(fields.get("action"), "action"),
        contact=parse_contact(contact) if contact else None,
        seed=_seed(fields.get("seed")),
        target=_check_target(target.lower(), "target") if target else None,
        line=line,
        source=source,
    )


# --------------------------------------------------------------------------- file readers


def _decoded_lines(data: bytes, source: str, errors: list[LineError]) -> Iterator[tuple[int, str]]:
    """(line number, text) of every line; undecodable lines become `LineError`s."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    for number, raw in enumerate(data.splitlines(), start=1):
        try:
            yield number, raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            errors.append(LineError(source, number, f"not UTF-8 text (byte {exc.start + 1}); save the file as UTF-8"))


def _read_jsonl(data: bytes, source: str) -> PromptFile:
    specs: list[PromptSpec] = []
    errors: list[LineError] = []
    for number, text in _decoded_lines(data, source, errors):
        if not text.strip():
            continue
        try:
            obj = json.loads(text)
        except json.JSONDecodeError as exc:
            errors.append(LineError(source, number, f"invalid JSON ({exc.msg} at column {exc.colno})"))
            continue
        if not isinstance(obj, dict):
            errors.append(LineError(source, number, f"expected a JSON object with a 'text' field, got {type(obj).__name__}"))
            continue
        try:
            specs.append(spec_from_mapping(obj, number, source))
        except InputError as exc:
            errors.append(LineError(source, number, str(exc)))
    return PromptFile(Path(source), specs, errors)


def _read_txt(data: bytes, source: str) -> PromptFile:
    specs: list[PromptSpec] = []
    errors: list[LineError] = []
    for number, text in _decoded_lines(data, source, errors):
        text = text.strip()
        if text and not text.startswith("#"):
            specs.append(PromptSpec(text=text, line=number, source=source))
    return PromptFile(Path(source), specs, errors)


def _csv_columns(header: list[str], source: str, line: int) -> list[str | None]:
    """Spec key per CSV column (None: a column we do not use)."""
    keys: list[str | None] = []
    for name in header:
        key = CSV_ALIASES.get(re.sub(r"[^a-z]", "", name.lower()))
        if key is not None and key in keys:
            raise InputError(f"{source}:{line}: two columns mean {key!r}; keep one")
        keys.append(key)
    if "text" not in keys:
        raise InputError(
            f"{source}:{line}: the CSV header has no prompt column; name it 'text' or 'Description' "
            f"(found: {', '.join(map(repr, header))})"
        )
    return keys


def _read_csv(data: bytes, source: str) -> PromptFile:
    specs: list[PromptSpec] = []
    errors: list[LineError] = []
    lines = _decoded_lines(data, source, errors)
    numbers: list[int] = []

    def texts() -> Iterator[str]:
        for number, text in lines:
            numbers.append(number)
            yield text + "\n"

    reader = csv.reader(texts())
    keys: list[str | None] | None = None
    for row in reader:
        line = _row_start(numbers, row)
        if not row or all(not c.strip() for c in row):
            continue
        if keys is None:
            keys = _csv_columns(row, source, line)
            continue
        if len(row) > len(keys):
            errors.append(LineError(source, line, f"{len(row)} fields but the header has {len(keys)}; "
                                                  "quote fields that contain commas"))
            continue
        fields = {k: v for k, v in zip(keys, row) if k is not None}
        try:
            specs.append(spec_from_mapping(fields, line, source))
        except InputError as exc:
            errors.append(LineError(source, line, str(exc)))
    if keys is None:
        raise InputError(f"{source} has no CSV header row; the first line must name the columns (e.g. text,object,contact)")
    return PromptFile(Path(source), specs, errors)


def _row_start(numbers: list[int], row: list[str]) -> int:
    """File line number where the row `csv.reader` just returned started.

    `numbers` holds the file line numbers of the lines consumed so far; a quoted
    field with newlines makes one row span several of them.
    """
    span = 1 + sum(cell.count("\n") for cell in row)
    return numbers[max(0, len(numbers) - span)]


_READERS = {".jsonl": _read_jsonl, ".txt": _read_txt, ".csv": _read_csv}


def read_prompts(path: str | os.PathLike[str]) -> PromptFile:
    """Read a `.jsonl`, `.txt` or `.csv` prompt file (module docstring).

    Args:
        path: the prompt file.

    Returns:
        The readable prompts and one `LineError` per malformed line.

    Raises:
        InputError: the file is missing, of another type, or (CSV) has no usable
            header; the message names the file and the fix.
    """
    p = Path(path)
    reader = _READERS.get(p.suffix.lower())
    if reader is None:
        raise InputError(f"prompt file {p} must end in {', '.join(PROMPT_SUFFIXES)}")
    try:
        data = p.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read prompt file {p}: {exc.strerror or exc}") from None
    return reader(data, str(p))


# --------------------------------------------------------------------------- items


def as_spec(value: PromptSpec | str | Mapping[str, Any]) -> PromptSpec:
    """A `PromptSpec` from a spec, a prompt string or a dict with `SPEC_KEYS`."""
    if isinstance(value, PromptSpec):
        return value
    if isinstance(value, str):
        return spec_from_mapping({"text": value})
    if isinstance(value, Mapping):
        return spec_from_mapping(value)
    raise InputError(f"a batch item must be a prompt string, a dict or a PromptSpec, got {type(value).__name__}")


def make_items(specs: Iterable[PromptSpec], settings: ItemSettings) -> list[BatchItem]:
    """Expand specs by seed into `BatchItem`s with stable ids, dropping repeats.

    Args:
        specs: prompts in order.
        settings: generator, export settings and seeds.

    Returns:
        Items in prompt order (seeds ascending within a prompt); an item whose id
        was already produced (the same prompt, overrides and seed twice) appears once.
    """
    items: list[BatchItem] = []
    seen: set[str] = set()
    for spec in specs:
        first = spec.seed if spec.seed is not None else settings.seed
        target = spec.target or settings.target
        contact = spec.contact.value if spec.contact else None
        for seed in range(first, first + settings.seeds):
            iid = item_id(spec.text, spec.object, spec.action, contact, seed, settings.generator, target,
                          settings.formats, settings.texture_size, settings.preset, settings.settings,
                          settings.job, settings.rest_pose, settings.skeleton)
            if iid in seen:
                continue
            seen.add(iid)
            items.append(BatchItem(
                id=iid, text=spec.text, object=spec.object, action=spec.action, contact=contact, seed=seed,
                generator=settings.generator, target=target, formats=settings.formats,
                texture_size=settings.texture_size, line=spec.line, source=spec.source,
                preset=settings.preset, settings=settings.settings, job=settings.job,
                rest_pose=settings.rest_pose, skeleton=settings.skeleton,
            ))
    return items
