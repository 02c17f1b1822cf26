"""The third-party model lock (`third_party_models.lock`): parse, verify, resolve, fetch.

Every external network or body model the `hoi3dgen` generator uses is pinned in one
TOML file at the repository root (DESIGN §2, §9): one `[[model]]` table per model
with its pipeline stage, where it comes from (a Hugging Face repository or, for
files distributed after registration, a web page), the repository revision, the
files with sha256 and size, the licence and its restrictions. Nothing here reaches
the network except `fetch_model`, which needs `huggingface_hub` (the `gpu` extra).

Local layout: the files of model NAME live under `<models dir>/NAME/`, at their
paths inside the source repository; the models dir is `HOIEXPORT_MODELS` (CLI
`--dir`), default `cache_dir()/"models"`. An entry may name an environment
variable (`dir_env`, e.g. `HOIEXPORT_SMPL_DIR`) that, when set, is its folder.

Weights are read with `hoiexport.sdk.models.checkpoints.load_checkpoint` (safetensors, or
pickles only through `torch.load(weights_only=True)`).

A value the lock does not know is spelled `"unknown"` (sha256; size 0) or
`"unresolved"` (revision, with `resolved = false`); `verify` reports such files as
*unpinned*: present, but not verifiable. `hoiexport models fetch NAME
--update-lock` on a machine with internet resolves and records them.
"""

from __future__ import annotations

import fnmatch
import hashlib
import json
import os
import re
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path, PurePosixPath
from typing import Any, Literal, get_args

from hoiexport.sdk.core.cache import atomic_write_bytes, cache_dir
from hoiexport.sdk.core.errors import InputError, ModelUnavailableError

Stage = Literal[
    "text_to_image",
    "depth",
    "retexture",
    "segmentation",
    "image_to_shape",
    "texture",
    "body_regressor",
    "body_model",
]
"""Pipeline stage a model serves (DESIGN §7)."""

Distribution = Literal["huggingface", "manual"]
"""`huggingface`: `source` is a Hub repository id that `fetch` downloads.
`manual`: `source` is a web page; the user registers, downloads and places the files."""

FileStatus = Literal["ok", "unpinned", "missing", "size_mismatch", "sha256_mismatch"]
ModelStatus = Literal["ok", "unpinned", "failed"]
Presence = Literal["present", "partial", "missing"]

LOCK_NAME = "third_party_models.lock"
LOCK_VERSION = 1
MODELS_DIR_ENV = "HOIEXPORT_MODELS"
UNKNOWN = "unknown"
UNRESOLVED = "unresolved"
GPU_EXTRA_HINT = "pip install 'hoiexport[gpu]'"
HASH_CACHE_NAME = ".sha256-cache.json"

_NAME_RE = re.compile(r"^[a-z0-9][a-z0-9-]*$")
_SHA256_RE = re.compile(r"^[0-9a-f]{64}$")
_REVISION_RE = re.compile(r"^[0-9a-f]{40}$")
_HASH_CHUNK = 8 << 20

_MODULE_DIR = Path(__file__).resolve().parent
REPOSITORY_LOCK = _MODULE_DIR.parents[1] / LOCK_NAME
"""The lock at the repository root (exists in a source checkout / editable install)."""
SHIPPED_LOCK = _MODULE_DIR / LOCK_NAME
"""The copy shipped as package data of `hoiexport.sdk.models` (kept identical to the root file)."""


# ----------------------------------------------------------------------------- types


@dataclass(frozen=True)
class ModelFile:
    """One file of a model, at its path inside the source repository.

    Attributes:
        path: relative POSIX path inside the model's folder (and the source repository).
        sha256: 64 lowercase hex digits, or "unknown".
        size: bytes; 0 when unknown.
        alternatives: other accepted paths for the same file (the first present one
            is used), e.g. SMPL as `.npz` or `.pkl`.
    """

    path: str
    sha256: str = UNKNOWN
    size: int = 0
    alternatives: tuple[str, ...] = ()

    @property
    def pinned(self) -> bool:
        """Whether the lock records this file's sha256."""
        return self.sha256 != UNKNOWN

    @property
    def candidates(self) -> tuple[str, ...]:
        """`path` then `alternatives`, in order of preference."""
        return (self.path, *self.alternatives)


@dataclass(frozen=True)
class ModelEntry:
    """One model of the lock.

    Attributes:
        name: lower-case id, also the folder name under the models dir.
        stage: the pipeline stage it serves.
        source: Hugging Face repository id (`huggingface`) or web page (`manual`).
        distribution: how the files are obtained.
        revision: 40-hex commit of the Hub repository, or "unresolved".
        resolved: the revision and the complete file list are pinned.
        licence: short licence name.
        licence_url: where the licence text is.
        restrictions: what the licence forbids or requires, in one sentence or two.
        notes: provenance, what was verified and how the files are loaded.
        dir_env: environment variable naming this model's folder, if any.
        patterns: glob patterns (fnmatch, `*` crosses `/`) of further repository files
            to download while the entry is unresolved; `--update-lock` records the
            files they matched in `files`.
        files: the files, with sha256 and size where known.
    """

    name: str
    stage: Stage
    source: str
    distribution: Distribution
    revision: str
    resolved: bool
    licence: str
    licence_url: str
    restrictions: str
    notes: str
    dir_env: str = ""
    patterns: tuple[str, ...] = ()
    files: tuple[ModelFile, ...] = ()

    @property
    def fetch_command(self) -> str:
        """The command that downloads this model (or prints how to get it)."""
        return f"hoiexport models fetch {self.name}"

    @property
    def pinned(self) -> bool:
        """Revision resolved and every file's sha256 recorded."""
        return self.resolved and bool(self.files) and all(f.pinned for f in self.files)

    def folder(self, models_dir: str | os.PathLike[str] | None = None) -> Path:
        """This model's local folder: `$dir_env` when set, else `<models dir>/<name>`."""
        if self.dir_env and os.environ.get(self.dir_env):
            return Path(os.environ[self.dir_env]).expanduser()
        return get_models_dir(models_dir) / self.name


@dataclass(frozen=True)
class LockFile:
    """The parsed lock.

    Attributes:
        path: the file it was read from (and `save_lock` writes to).
        version: lock format version (`LOCK_VERSION`).
        models: the entries, in file order.
    """

    path: Path
    version: int
    models: tuple[ModelEntry, ...]

    @property
    def names(self) -> tuple[str, ...]:
        """Model names in file order."""
        return tuple(m.name for m in self.models)

    def get(self, name: str) -> ModelEntry:
        """The entry called `name`.

        Raises:
            InputError: no such model; the message lists the known names.
        """
        for m in self.models:
            if m.name == name:
                return m
        raise InputError(f"unknown model {name!r} in {self.path}: known models are {', '.join(self.names)}")

    def with_entry(self, entry: ModelEntry) -> LockFile:
        """A copy with the entry of the same name replaced by `entry`."""
        self.get(entry.name)
        return replace(self, models=tuple(entry if m.name == entry.name else m for m in self.models))


# ----------------------------------------------------------------------------- parse / dump


_ENTRY_KEYS = {f for f in ModelEntry.__dataclass_fields__}
_FILE_KEYS = {f for f in ModelFile.__dataclass_fields__}
_REQUIRED_STR = (
    "name", "stage", "source", "distribution", "revision", "licence", "licence_url", "restrictions", "notes"
)


def _bad(path: Path, where: str, msg: str) -> InputError:
    return InputError(f"{path}: {where}: {msg}")


def _relative_path(lock_path: Path, where: str, value: Any) -> str:
    if not isinstance(value, str) or not value:
        raise _bad(lock_path, where, "must be a non-empty string")
    p = PurePosixPath(value)
    if p.is_absolute() or ".." in p.parts or "\\" in value or value != p.as_posix():
        raise _bad(lock_path, where, f"{value!r} must be a relative POSIX path without '..'")
    return value


def _str_list(lock_path: Path, where: str, value: Any) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise _bad(lock_path, where, "must be a list of non-empty strings")
    return tuple(value)


def _parse_file(lock_path: Path, where: str, table: Any) -> ModelFile:
    if not isinstance(table, dict):
        raise _bad(lock_path, where, "must be a table")
    unknown = set(table) - _FILE_KEYS
    if unknown:
        raise _bad(lock_path, where, f"unknown key(s) {sorted(unknown)}; allowed: {sorted(_FILE_KEYS)}")
    path = _relative_path(lock_path, f"{where}.path", table.get("path"))
    sha = table.get("sha256", UNKNOWN)
    if not isinstance(sha, str) or not (sha == UNKNOWN or _SHA256_RE.match(sha)):
        raise _bad(lock_path, f"{where}.sha256", f"{sha!r} must be 64 lowercase hex digits or {UNKNOWN!r}")
    size = table.get("size", 0)
    if not isinstance(size, int) or isinstance(size, bool) or size < 0:
        raise _bad(lock_path, f"{where}.size", f"{size!r} must be an integer >= 0 (0 = unknown)")
    alts = tuple(
        _relative_path(lock_path, f"{where}.alternatives", a)
        for a in _str_list(lock_path, f"{where}.alternatives", table.get("alternatives", []))
    )
    return ModelFile(path=path, sha256=sha, size=size, alternatives=alts)


def _parse_entry(lock_path: Path, index: int, table: Any) -> ModelEntry:
    where = f"model[{index}]"
    if not isinstance(table, dict):
        raise _bad(lock_path, where, "must be a table")
    if isinstance(table.get("name"), str):
        where = f"model {table['name']!r}"
    unknown = set(table) - _ENTRY_KEYS
    if unknown:
        raise _bad(lock_path, where, f"unknown key(s) {sorted(unknown)}; allowed: {sorted(_ENTRY_KEYS)}")
    for key in _REQUIRED_STR:
        if not isinstance(table.get(key), str) or (key != "licence_url" and not table[key]):
            raise _bad(lock_path, f"{where}.{key}", "is required and must be a non-empty string")
    if not _NAME_RE.match(table["name"]):
        raise _bad(lock_path, f"{where}.name", "must be lower-case letters, digits and '-' (it names a folder)")
    if table["stage"] not in get_args(Stage):
        raise _bad(lock_path, f"{where}.stage", f"{table['stage']!r} is not one of {', '.join(get_args(Stage))}")
    if table["distribution"] not in get_args(Distribution):
        raise _bad(lock_path, f"{where}.distribution", f"must be one of {', '.join(get_args(Distribution))}")
    resolved = table.get("resolved")
    if not isinstance(resolved, bool):
        raise _bad(lock_path, f"{where}.resolved", "is required and must be true or false")
    revision = table["revision"]
    if table["distribution"] == "huggingface":
        if resolved and not _REVISION_RE.match(revision):
            raise _bad(lock_path, f"{where}.revision", "a resolved Hugging Face entry needs a 40-hex commit")
        if not resolved and revision != UNRESOLVED and not _REVISION_RE.match(revision):
            raise _bad(lock_path, f"{where}.revision", f"must be a 40-hex commit or {UNRESOLVED!r}")
    dir_env = table.get("dir_env", "")
    if not isinstance(dir_env, str):
        raise _bad(lock_path, f"{where}.dir_env", "must be a string")
    files_raw = table.get("files", [])
    if not isinstance(files_raw, list):
        raise _bad(lock_path, f"{where}.files", "must be an array of tables ([[model.files]])")
    files = tuple(_parse_file(lock_path, f"{where}.files[{i}]", t) for i, t in enumerate(files_raw))
    patterns = _str_list(lock_path, f"{where}.patterns", table.get("patterns", []))
    if not files and not patterns:
        raise _bad(lock_path, where, "lists no files and no patterns")
    seen = [p for f in files for p in f.candidates]
    if len(seen) != len(set(seen)):
        raise _bad(lock_path, f"{where}.files", "lists a path twice")
    return ModelEntry(
        name=table["name"],
        stage=table["stage"],
        source=table["source"],
        distribution=table["distribution"],
        revision=revision,
        resolved=resolved,
        licence=table["licence"],
        licence_url=table["licence_url"],
        restrictions=table["restrictions"],
        notes=table["notes"],
        dir_env=dir_env,
        patterns=patterns,
        files=files,
    )


def parse_lock(text: str, path: str | os.PathLike[str] = LOCK_NAME) -> LockFile:
    """Parse lock TOML.

    Raises:
        InputError: invalid TOML, unknown keys, bad values or duplicate names; the
            message names the file, the model and the field.
    """
    path = Path(path)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"{path}: not valid TOML: {exc}") from None
    version = data.get("version")
    if version != LOCK_VERSION:
        raise InputError(f"{path}: version = {version!r}; this hoiexport reads lock version {LOCK_VERSION}")
    unknown = set(data) - {"version", "model"}
    if unknown:
        raise InputError(f"{path}: unknown top-level key(s) {sorted(unknown)}; allowed: version, model")
    tables = data.get("model", [])
    if not isinstance(tables, list) or not tables:
        raise InputError(f"{path}: no [[model]] tables")
    models = tuple(_parse_entry(path, i, t) for i, t in enumerate(tables))
    names = [m.name for m in models]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise InputError(f"{path}: model name(s) {dupes} appear more than once")
    return LockFile(path=path, version=version, models=models)


def find_lock() -> Path:
    """The lock to read by default: the repository root's in a source checkout
    (editable install), else the copy shipped as package data.

    Raises:
        ModelUnavailableError: neither exists.
    """
    for candidate in (REPOSITORY_LOCK, SHIPPED_LOCK):
        if candidate.is_file():
            return candidate
    raise ModelUnavailableError(
        f"{LOCK_NAME} not found at {REPOSITORY_LOCK} or {SHIPPED_LOCK}: reinstall hoiexport, or pass --lock PATH"
    )


def load_lock(path: str | os.PathLike[str] | None = None) -> LockFile:
    """Read and validate a lock file (`find_lock()` when `path` is None).

    Raises:
        InputError: the file is missing or invalid (see `parse_lock`).
    """
    p = Path(path).expanduser() if path is not None else find_lock()
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(f"model lock {p} does not exist: pass an existing --lock file") from None
    return parse_lock(text, p)


def _toml(value: str | bool | int | tuple[str, ...]) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, tuple):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    # A JSON string literal is a valid TOML basic string, apart from DEL.
    return json.dumps(value, ensure_ascii=False).replace("\x7f", "\\u007f")


_HEADER = """\
# third_party_models.lock: every external model hoiexport's hoi3dgen generator uses.
# Format (version 1): one [[model]] table per model and one [[model.files]] per file.
# "unknown" sha256 / size 0 / revision "unresolved" mean not pinned yet: run
# `hoiexport models fetch NAME --update-lock` on a machine with internet to pin them.
# This file is written by hoiexport (sdk/models_lock.py dump_lock); keep edits in its format.
"""


def dump_lock(lock: LockFile) -> str:
    """Serialise a lock to TOML in the canonical form `parse_lock` reads back."""
    out = [_HEADER, f"\nversion = {lock.version}\n"]
    for m in lock.models:
        out.append("\n[[model]]\n")
        for key in ("name", "stage", "source", "distribution", "revision", "resolved",
                    "licence", "licence_url", "restrictions", "notes"):
            out.append(f"{key} = {_toml(getattr(m, key))}\n")
        if m.dir_env:
            out.append(f"dir_env = {_toml(m.dir_env)}\n")
        if m.patterns:
            out.append(f"patterns = {_toml(m.patterns)}\n")
        for f in m.files:
            out.append("\n[[model.files]]\n")
            out.append(f"path = {_toml(f.path)}\nsha256 = {_toml(f.sha256)}\nsize = {f.size}\n")
            if f.alternatives:
                out.append(f"alternatives = {_toml(f.alternatives)}\n")
    return "".join(out)


def save_lock(lock: LockFile, path: str | os.PathLike[str] | None = None) -> list[Path]:
    """Write `lock` atomically to `path` (default `lock.path`).

    When that is the repository's root lock and the packaged copy exists beside the
    sources, the copy is rewritten too, so the two stay identical.

    Returns:
        The paths written.
    """
    target = Path(path) if path is not None else lock.path
    data = dump_lock(lock).encode("utf-8")
    written = [atomic_write_bytes(target, data)]
    if target.resolve() == REPOSITORY_LOCK and SHIPPED_LOCK.is_file():
        written.append(atomic_write_bytes(SHIPPED_LOCK, data))
    return written


# ----------------------------------------------------------------------------- local files


def get_models_dir(override: str | os.PathLike[str] | None = None) -> Path:
    """Root of downloaded model files: `override`, else `HOIEXPORT_MODELS`, else
    `cache_dir()/"models"`. Not created here."""
    if override is not None:
        return Path(override).expanduser()
    env = os.environ.get(MODELS_DIR_ENV)
    return Path(env).expanduser() if env else cache_dir() / "models"


def sha256_file(path: str | os.PathLike[str]) -> str:
    """sha256 of a file, read in 8 MiB chunks (constant memory)."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(_HASH_CHUNK):
            h.update(chunk)
    return h.hexdigest()


class _HashCache:
    """sha256 of files keyed by (path, size, mtime_ns), in `<models dir>/.sha256-cache.json`.

    Hashing tens of GB on every run would dominate start-up; a file whose size and
    modification time are unchanged is not hashed again. Unwritable dirs are fine.
    Disabled, nothing is read from or written to disk, but a file is still hashed
    only once per instance.
    """

    def __init__(self, root: Path, enabled: bool = True) -> None:
        self.path = root / HASH_CACHE_NAME
        self.enabled = enabled
        self.entries: dict[str, list[Any]] = {}
        self.dirty = False
        if enabled:
            try:
                loaded = json.loads(self.path.read_text())
                if isinstance(loaded, dict):
                    self.entries = loaded
            except (OSError, ValueError):
                pass

    def sha256(self, path: Path, st: os.stat_result) -> str:
        key = str(path.resolve())
        hit = self.entries.get(key)
        if isinstance(hit, list) and hit[:2] == [st.st_size, st.st_mtime_ns]:
            return str(hit[2])
        digest = sha256_file(path)
        self.entries[key] = [st.st_size, st.st_mtime_ns, digest]
        self.dirty = True
        return digest

    def save(self) -> None:
        if not (self.enabled and self.dirty):
            return
        try:
            atomic_write_bytes(self.path, json.dumps(self.entries, indent=0, sort_keys=True).encode())
        except OSError:
            pass


def _walk(folder: Path) -> list[str]:
    """Relative POSIX paths of the files under `folder`, skipping hidden folders
    (huggingface_hub keeps its download metadata in `.cache/`)."""
    if not folder.is_dir():
        return []
    out = []
    for dirpath, dirnames, filenames in os.walk(folder):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        rel = Path(dirpath).relative_to(folder)
        out.extend((rel / n).as_posix() for n in sorted(filenames) if not n.startswith("."))
    return out


def _match(paths: Iterable[str], pattern: str) -> list[str]:
    return [p for p in paths if fnmatch.fnmatchcase(p, pattern)]


def _present(folder: Path, f: ModelFile) -> Path | None:
    for rel in f.candidates:
        if (folder / rel).is_file():
            return folder / rel
    return None


@dataclass
class FileCheck:
    """The state of one lock file (or, for unresolved entries, one pattern) on disk.

    Attributes:
        path: the local path found, or the expected one when missing.
        status: ok | unpinned (present, no sha256 to check) | missing |
            size_mismatch | sha256_mismatch.
        expected_sha256: from the lock ("unknown" when not pinned).
        actual_sha256: computed (None when missing or not hashed).
        expected_size: bytes from the lock (0 = unknown).
        actual_size: bytes on disk (None when missing).
        pattern: set when this row checks a pattern rather than one file.
        matched: number of files the pattern matched.
    """

    path: Path
    status: FileStatus
    expected_sha256: str = UNKNOWN
    actual_sha256: str | None = None
    expected_size: int = 0
    actual_size: int | None = None
    pattern: str | None = None
    matched: int = 0

    def to_json(self) -> dict[str, Any]:
        d = {k: getattr(self, k) for k in self.__dataclass_fields__}
        d["path"] = str(self.path)
        return d


@dataclass
class ModelCheck:
    """Verification of one model's files.

    Attributes:
        entry: the lock entry.
        folder: the local folder checked.
        files: one row per lock file (and per pattern of an unresolved entry).
    """

    entry: ModelEntry
    folder: Path
    files: list[FileCheck] = field(default_factory=list)

    @property
    def failures(self) -> list[FileCheck]:
        """Missing or mismatching rows."""
        return [f for f in self.files if f.status not in ("ok", "unpinned")]

    @property
    def unpinned(self) -> list[FileCheck]:
        """Rows present but not verifiable against a sha256."""
        return [f for f in self.files if f.status == "unpinned"]

    @property
    def status(self) -> ModelStatus:
        """failed if any row fails, else unpinned if any row is unpinned, else ok."""
        if self.failures:
            return "failed"
        return "unpinned" if self.unpinned else "ok"

    def _fix(self, status: FileStatus) -> str:
        e = self.entry
        if status == "unpinned":
            if e.distribution == "manual":
                return "the lock records no sha256 for this user-supplied file (nothing to verify)"
            return f"pin it from a trusted machine with `{e.fetch_command} --update-lock`"
        if status == "missing":
            how = "prints where to download it" if e.distribution == "manual" else "downloads it"
            return f"run `{e.fetch_command}` ({how})"
        if e.distribution == "manual":
            return f"replace it with the file from {e.source} (see `{e.fetch_command}`)"
        return f"delete it and run `{e.fetch_command}`"

    def describe(self, row: FileCheck) -> str:
        """One line naming the model, stage, expected path, the problem and the fix."""
        head = f"{self.entry.name} ({self.entry.stage}): "
        if row.pattern is not None:
            if row.status == "missing":
                what = f"no file matching {row.pattern!r} under {row.path}"
            else:
                what = f"{row.matched} file(s) matching {row.pattern!r} under {row.path} are unpinned"
        elif row.status == "missing":
            what = f"missing {row.path}"
        elif row.status == "size_mismatch":
            what = f"size mismatch at {row.path}: {row.actual_size} bytes, the lock expects {row.expected_size}"
        elif row.status == "sha256_mismatch":
            what = (f"sha256 mismatch at {row.path}: {row.actual_sha256}, "
                    f"the lock expects {row.expected_sha256}")
        elif row.status == "unpinned":
            what = f"{row.path} is present but unpinned"
        else:
            what = f"{row.path} ok"
        return f"{head}{what}; fix: {self._fix(row.status)}"

    def problem_lines(self, include_unpinned: bool = False) -> list[str]:
        """`describe` of every failing row (and unpinned rows when asked)."""
        rows = self.failures + (self.unpinned if include_unpinned else [])
        return [self.describe(r) for r in rows]

    def to_json(self) -> dict[str, Any]:
        e = self.entry
        return {
            "name": e.name,
            "stage": e.stage,
            "source": e.source,
            "revision": e.revision,
            "folder": str(self.folder),
            "status": self.status,
            "files": [f.to_json() for f in self.files],
            "problems": self.problem_lines(include_unpinned=True),
        }


def _check_entry(entry: ModelEntry, folder: Path, cache: _HashCache) -> ModelCheck:
    check = ModelCheck(entry=entry, folder=folder)
    for f in entry.files:
        found = _present(folder, f)
        if found is None:
            check.files.append(FileCheck(folder / f.path, "missing", f.sha256, None, f.size))
            continue
        st = found.stat()
        row = FileCheck(found, "ok", f.sha256, None, f.size, st.st_size)
        # An `alternatives` file is another format of the same data: its sha256 is not the lock's.
        exact = found == folder / f.path
        if f.size and exact and st.st_size != f.size:
            row.status = "size_mismatch"
        elif f.pinned and exact:
            row.actual_sha256 = cache.sha256(found, st)
            if row.actual_sha256 != f.sha256:
                row.status = "sha256_mismatch"
        else:
            row.status = "unpinned"
        check.files.append(row)
    if not entry.resolved and entry.patterns:
        listed = {p for f in entry.files for p in f.candidates}
        present = _walk(folder)
        for pattern in entry.patterns:
            hits = _match(present, pattern)
            extra = [h for h in hits if h not in listed]
            status: FileStatus = "missing" if not hits else ("unpinned" if extra else "ok")
            check.files.append(FileCheck(folder, status, pattern=pattern, matched=len(hits)))
    return check


def verify_models(
    entries: Iterable[ModelEntry],
    models_dir: str | os.PathLike[str] | None = None,
    *,
    use_hash_cache: bool = True,
) -> list[ModelCheck]:
    """Check presence, size and sha256 of the files of each entry.

    Args:
        entries: the models to check.
        models_dir: models root (default `get_models_dir()`).
        use_hash_cache: reuse sha256 of files whose size and mtime are unchanged
            since they were last hashed (False re-hashes everything).

    Returns:
        One `ModelCheck` per entry, in order.
    """
    root = get_models_dir(models_dir)
    cache = _HashCache(root, enabled=use_hash_cache and root.is_dir())
    try:
        return [_check_entry(e, e.folder(root), cache) for e in entries]
    finally:
        cache.save()


def presence(entry: ModelEntry, models_dir: str | os.PathLike[str] | None = None) -> Presence:
    """Whether the entry's files exist (no hashing): present, partial or missing."""
    folder = entry.folder(models_dir)
    have = [_present(folder, f) is not None for f in entry.files]
    if not entry.resolved and entry.patterns:
        present = _walk(folder)
        have += [bool(_match(present, p)) for p in entry.patterns]
    if all(have):
        return "present"
    return "partial" if any(have) else "missing"


def resolve(
    name: str,
    *,
    lock: LockFile | None = None,
    models_dir: str | os.PathLike[str] | None = None,
) -> Path:
    """The local folder of model `name`, after checking its files against the lock.

    Files the lock pins are size- and sha256-checked (hashes of unchanged files are
    cached); unpinned files only need to exist.

    Raises:
        InputError: `name` is not in the lock.
        ModelUnavailableError: a file is missing or mismatches; the message names the
            model, its stage, each expected path and the command that fixes it.
    """
    lock = lock if lock is not None else load_lock()
    check = verify_models([lock.get(name)], models_dir)[0]
    if check.failures:
        raise ModelUnavailableError(
            f"model {name!r} (stage {check.entry.stage}) is not available: " + " | ".join(check.problem_lines())
        )
    return check.folder


def resolve_file(
    name: str,
    path: str,
    *,
    lock: LockFile | None = None,
    models_dir: str | os.PathLike[str] | None = None,
) -> Path:
    """The local path of one lock file of model `name` (an alternative when that is
    what is present), after `resolve` checked the model.

    Raises:
        InputError: the model does not list `path`.
        ModelUnavailableError: as `resolve`.
    """
    lock = lock if lock is not None else load_lock()
    entry = lock.get(name)
    spec = next((f for f in entry.files if f.path == path), None)
    if spec is None:
        raise InputError(f"model {name!r} lists no file {path!r}: it lists {', '.join(f.path for f in entry.files)}")
    folder = resolve(name, lock=lock, models_dir=models_dir)
    found = _present(folder, spec)
    assert found is not None  # resolve() raised otherwise
    return found


# ----------------------------------------------------------------------------- fetch


def manual_steps(entry: ModelEntry, models_dir: str | os.PathLike[str] | None = None) -> str:
    """How to obtain a manually distributed model, as numbered lines."""
    folder = entry.folder(models_dir)
    names = "\n".join(
        f"     - {f.path}" + (f" (or {', '.join(f.alternatives)})" if f.alternatives else "") for f in entry.files
    )
    where = f"{folder}" + (f"  (or set {entry.dir_env} to their folder)" if entry.dir_env else "")
    return (
        f"{entry.name} ({entry.stage}) is not downloadable automatically: {entry.restrictions}\n"
        f"  1. Register at {entry.source} and accept its licence ({entry.licence}).\n"
        f"  2. Download:\n{names}\n"
        f"  3. Place them in {where}\n"
        f"  4. Check with `hoiexport models verify {entry.name}`.\n"
        f"  Notes: {entry.notes}"
    )


def _hub() -> Any:
    try:
        import huggingface_hub
    except ImportError:
        raise ModelUnavailableError(
            f"`hoiexport models fetch` needs huggingface_hub, which is not installed: run {GPU_EXTRA_HINT}"
        ) from None
    return huggingface_hub


def pin_entry(entry: ModelEntry, folder: str | os.PathLike[str], revision: str) -> ModelEntry:
    """The entry as downloaded into `folder` at `revision`: every listed file plus the
    files matched by its patterns, each with sha256 and size, `resolved = true`.

    Raises:
        ModelUnavailableError: a listed file or a pattern is absent from `folder`, or a
            file's size / sha256 differs from what the lock already pins.
    """
    folder = Path(folder)
    hashes = _HashCache(folder, enabled=False)  # each file is hashed once
    check = _check_entry(replace(entry, resolved=False), folder, hashes)
    if check.failures:
        raise ModelUnavailableError(
            f"{entry.name}: the download from {entry.source}@{revision} does not match the lock: "
            + " | ".join(check.problem_lines())
        )

    def record(rel: str, alternatives: tuple[str, ...] = ()) -> ModelFile:
        st = (folder / rel).stat()
        return ModelFile(rel, hashes.sha256(folder / rel, st), st.st_size, alternatives)

    files: dict[str, ModelFile] = {}
    for f in entry.files:
        found = _present(folder, f)
        assert found is not None  # _check_entry reported it otherwise
        rel = found.relative_to(folder).as_posix()
        files[rel] = record(rel, tuple(c for c in f.candidates if c != rel))
    present = _walk(folder)
    for pattern in entry.patterns:
        for rel in _match(present, pattern):
            if rel not in files:
                files[rel] = record(rel)
    return replace(entry, revision=revision, resolved=True, files=tuple(files[k] for k in sorted(files)))


@dataclass
class FetchResult:
    """What `fetch_model` did.

    Attributes:
        entry: the entry pinned to what was downloaded (revision, sha256, sizes).
        folder: where the files are.
        check: verification of the downloaded files against the lock as it was.
    """

    entry: ModelEntry
    folder: Path
    check: ModelCheck


def fetch_model(
    entry: ModelEntry,
    models_dir: str | os.PathLike[str] | None = None,
    *,
    token: str | None = None,
) -> FetchResult:
    """Download a Hugging Face entry's files into its folder and check them.

    The revision is the pinned one, or `main` resolved to its commit hash now
    (`HfApi().model_info(repo, revision="main").sha`); the files are downloaded at
    that commit with `snapshot_download(allow_patterns=<files + patterns>)`.

    Raises:
        InputError: the entry is distributed manually (see `manual_steps`).
        ModelUnavailableError: huggingface_hub is missing, the Hub refused or failed
            (gated repository, no network), or the files do not match the lock.
    """
    if entry.distribution != "huggingface":
        raise InputError(manual_steps(entry, models_dir))
    hub = _hub()
    folder = entry.folder(models_dir)
    try:
        revision = entry.revision if entry.resolved else hub.HfApi(token=token).model_info(
            entry.source, revision="main").sha
        allow = [p for f in entry.files for p in f.candidates]
        if not entry.resolved:
            allow += list(entry.patterns)
        hub.snapshot_download(repo_id=entry.source, revision=revision, allow_patterns=allow,
                              local_dir=folder, token=token)
    except Exception as exc:  # noqa: BLE001 - every Hub / network failure becomes one clear line
        try:
            from huggingface_hub.errors import GatedRepoError
        except ImportError:  # older huggingface_hub: no gated-specific hint
            gated = False
        else:
            gated = isinstance(exc, GatedRepoError)
        hint = (
            f"accept the licence ({entry.licence}) at https://huggingface.co/{entry.source} and log in "
            "(`hf auth login` or HF_TOKEN)"
            if gated
            else "check the network, the repository id and, for gated repositories, HF_TOKEN"
        )
        raise ModelUnavailableError(
            f"{entry.name} ({entry.stage}): download from https://huggingface.co/{entry.source} failed: "
            f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}; {hint}"
        ) from exc
    pinned = pin_entry(entry, folder, revision)
    check = verify_models([entry], models_dir)[0]
    return FetchResult(entry=pinned, folder=folder, check=check)
