"""Validate exported files with the real validators (DESIGN §8 step 6).

`.glb` / `.gltf` go through the Khronos glTF-Validator (npm `gltf-validator`, run by
node) plus the house rules of `validate_gltf`; `.usd` / `.usda` / `.usdc` / `.usdz`
go through every validator registered with OpenUSD's `pxr.UsdValidation` plus the
house rules of `validate_usd`.

A house rule that finds the same defect an upstream validator already reported at
the same place is dropped, so one defect counts once.

Example::

    from hoiexport.exporters.validate import ensure_valid, validate_file

    report = validate_file("out/asset.glb")
    print(report.summary())
    ensure_valid(["out/asset.glb", "out/asset.usdz"], strict=True)  # raises ValidationFailed

    with ValidationSession(gltf=True) as session:   # node starts loading now
        ...                                          # write asset.glb
        session.add("out/asset.glb")                 # node validates it at once
        ...                                          # write asset.usdz
        session.add("out/asset.usdz")
        reports = session.reports()
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Generic, Literal, Self, TypeVar

from hoiexport.sdk.core.errors import InputError, ValidationFailed

if TYPE_CHECKING:
    from hoiexport.exporters.validate_gltf import KhronosSession

Severity = Literal["error", "warning", "info", "hint"]
"""How bad a finding is; the Khronos severities 0..3 and USD's Error/Warn/Info."""

FileFormat = Literal["gltf", "usd"]
"""Which validator family a file goes through."""

Validator = Literal["khronos", "openusd", "house"]
"""Who reported a finding: the Khronos glTF-Validator, `pxr.UsdValidation`, or a
house rule of this package."""

FORMAT_BY_SUFFIX: dict[str, FileFormat] = {
    ".glb": "gltf",
    ".gltf": "gltf",
    ".usd": "usd",
    ".usda": "usd",
    ".usdc": "usd",
    ".usdz": "usd",
}
"""File suffix (lower case) → validator family."""


@dataclass(frozen=True)
class ValidationMessage:
    """One finding of a validator.

    Attributes:
        severity: "error", "warning", "info" or "hint".
        code: the validator's code, e.g. "ACCESSOR_WEIGHTS_NON_NORMALIZED" (Khronos),
            "usdGeomValidators:StageMetadataChecker.MissingUpAxisMetadata" (OpenUSD)
            or "hoi:SkinWeightsNormalised" (house rule).
        message: the human-readable text.
        location: where: a JSON pointer ("/meshes/0/primitives/0/attributes/WEIGHTS_0")
            or byte offset ("@15") for glTF; a prim or property path ("/Root/Body") or
            layer for USD; "" when the validator gives none.
        validator: who reported it.
    """

    severity: Severity
    code: str
    message: str
    location: str = ""
    validator: Validator = "house"

    def to_json(self) -> dict[str, str]:
        """A JSON-ready dict of the fields."""
        return {
            "severity": self.severity,
            "code": self.code,
            "message": self.message,
            "location": self.location,
            "validator": self.validator,
        }


Subject = TypeVar("Subject")


@dataclass(frozen=True)
class HouseRule(Generic[Subject]):
    """One of this package's own validation rules (usdchecker style).

    Attributes:
        code: the code its findings carry, "hoi:<Name>".
        description: one sentence saying what a valid file does.
        check: returns the findings for a loaded file (a glTF document or USD stage).
        upstream_codes: codes of upstream validators that report the same defect; a
            finding of this rule at a location where one of them was reported is
            dropped, so one defect counts once.
    """

    code: str
    description: str
    check: Callable[[Subject], list[ValidationMessage]]
    upstream_codes: tuple[str, ...] = ()


def run_house_rules(
    rules: Sequence[HouseRule[Subject]], subject: Subject, upstream: Sequence[ValidationMessage]
) -> list[ValidationMessage]:
    """Run `rules` on `subject`, dropping findings an upstream validator already made.

    Args:
        rules: the rules to run, in order.
        subject: the loaded file.
        upstream: what the upstream validator reported for the same file.

    Returns:
        The house findings, rule by rule.
    """
    seen = {(m.code, m.location) for m in upstream}
    found: list[ValidationMessage] = []
    for rule in rules:
        for m in rule.check(subject):
            if not any((code, m.location) in seen for code in rule.upstream_codes):
                found.append(m)
    return found


@dataclass
class ValidationReport:
    """What the validators found in one file.

    Attributes:
        path: the file validated.
        format: "gltf" or "usd".
        messages: every finding, upstream validator first, then house rules.
        validator_version: e.g. "gltf-validator 2.0.0-dev.3.10" or "OpenUSD 0.26.11".
        strict: when True, warnings count as failures too (what the exporters ask).
    """

    path: Path
    format: FileFormat
    messages: list[ValidationMessage] = field(default_factory=list)
    validator_version: str = ""
    strict: bool = False

    def _count(self, severity: Severity) -> int:
        return sum(1 for m in self.messages if m.severity == severity)

    @property
    def errors(self) -> int:
        """Number of error findings."""
        return self._count("error")

    @property
    def warnings(self) -> int:
        """Number of warning findings."""
        return self._count("warning")

    @property
    def infos(self) -> int:
        """Number of informational findings."""
        return self._count("info")

    @property
    def hints(self) -> int:
        """Number of hints (glTF only)."""
        return self._count("hint")

    @property
    def ok(self) -> bool:
        """True when there is no error (and, if `strict`, no warning either)."""
        return self.errors == 0 and (not self.strict or self.warnings == 0)

    def failures(self) -> list[ValidationMessage]:
        """The findings that make `ok` False: errors, plus warnings when strict."""
        bad: set[str] = {"error", "warning"} if self.strict else {"error"}
        return [m for m in self.messages if m.severity in bad]

    def summary(self) -> str:
        """One line: path, format, counts and PASS/FAIL."""
        verdict = "PASS" if self.ok else "FAIL"
        return (
            f"{verdict} {self.path} ({self.format}, {self.validator_version}): "
            f"{self.errors} error(s), {self.warnings} warning(s), {self.infos} info(s)"
            + (" [strict]" if self.strict else "")
        )

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict: format, ok, counts, validator version and messages."""
        return {
            "format": self.format,
            "ok": self.ok,
            "strict": self.strict,
            "errors": self.errors,
            "warnings": self.warnings,
            "infos": self.infos,
            "hints": self.hints,
            "validator": self.validator_version,
            "messages": [m.to_json() for m in self.messages],
        }


def file_format(path: str | os.PathLike[str]) -> FileFormat:
    """The validator family of `path` by its suffix.

    Raises:
        InputError: the suffix is not one of .glb .gltf .usd .usda .usdc .usdz.
    """
    suffix = Path(path).suffix.lower()
    try:
        return FORMAT_BY_SUFFIX[suffix]
    except KeyError:
        known = " ".join(FORMAT_BY_SUFFIX)
        raise InputError(
            f"cannot validate {path}: unknown file type {suffix or '(no suffix)'!r}; "
            f"use one of {known}"
        ) from None


def _checked_path(path: str | os.PathLike[str]) -> Path:
    p = Path(path)
    file_format(p)
    if not p.is_file():
        raise InputError(f"cannot validate {p}: no such file; check the path")
    return p


class ValidationSession:
    """Validate files as they are written: each glTF file goes to one node process
    (the Khronos validator) the moment it is added, so node works while the caller
    writes the next file; USD files and the glTF house rules run in `reports()`
    (the house rules' file parsing before waiting for node).

    Use as a context manager (or call `close()`) so node never outlives an error.
    """

    def __init__(self, *, strict: bool = False, gltf: bool = False) -> None:
        """Args:
            strict: count warnings as failures in each report's `ok`.
            gltf: start node now (it loads the validator, ~0.2 s, and warms it up
                on a generated glb while the caller works); otherwise it starts
                with the first glTF file added.

        Raises:
            ModelUnavailableError: `gltf` and node or `gltf-validator` is missing.
        """
        self.strict = strict
        self.paths: list[Path] = []
        self._khronos: KhronosSession | None = None
        if gltf:
            self._start_khronos(warm_up=True)

    def _start_khronos(self, warm_up: bool = False) -> KhronosSession:
        if self._khronos is None:
            from hoiexport.exporters.validate_gltf import KhronosSession

            self._khronos = KhronosSession(warm_up=warm_up)
        return self._khronos

    def add(self, path: str | os.PathLike[str]) -> None:
        """Queue one file (a glTF file starts validating now).

        Raises:
            InputError: the path does not exist or has an unknown suffix.
            ModelUnavailableError: a glTF file and the Khronos validator is missing.
        """
        p = _checked_path(path)
        if file_format(p) == "gltf":
            self._start_khronos().add(p)
        self.paths.append(p)

    def reports(self) -> list[ValidationReport]:
        """One report per added file, in the order added (waits for node)."""
        from hoiexport.exporters.validate_usd import validate_usd_file

        out: dict[int, ValidationReport] = {}
        gltf_idx = [i for i, p in enumerate(self.paths) if file_format(p) == "gltf"]
        for i, p in enumerate(self.paths):
            if i not in gltf_idx:
                messages, version = validate_usd_file(p)
                out[i] = ValidationReport(p, "usd", messages, version, self.strict)
        if gltf_idx:
            from hoiexport.exporters.validate_gltf import house_findings, load_for_house_rules

            docs = [load_for_house_rules(self.paths[i]) for i in gltf_idx]
            session = self._start_khronos()
            version = f"gltf-validator {session.install.version}"
            for i, doc, upstream in zip(gltf_idx, docs, session.results(), strict=True):
                messages = upstream + house_findings(self.paths[i], upstream, doc)
                out[i] = ValidationReport(self.paths[i], "gltf", messages, version, self.strict)
        return [out[i] for i in range(len(self.paths))]

    def close(self) -> None:
        """Stop node if it still runs."""
        if self._khronos is not None:
            self._khronos.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def validate_files(
    paths: Iterable[str | os.PathLike[str]], *, strict: bool = False
) -> list[ValidationReport]:
    """Validate several files; all glTF files share one node process.

    Args:
        paths: files ending in .glb .gltf .usd .usda .usdc .usdz.
        strict: count warnings as failures in each report's `ok`.

    Returns:
        One report per path, in the order given.

    Raises:
        InputError: a path does not exist or has an unknown suffix.
        ModelUnavailableError: a glTF file was given and node or the npm package
            `gltf-validator` is missing (run scripts/install_validators.sh).
    """
    checked = [_checked_path(p) for p in paths]
    with ValidationSession(strict=strict) as session:
        for p in checked:
            session.add(p)
        return session.reports()


def validate_file(path: str | os.PathLike[str], *, strict: bool = False) -> ValidationReport:
    """Validate one exported file by its suffix.

    Args:
        path: a .glb .gltf .usd .usda .usdc or .usdz file.
        strict: count warnings as failures in the report's `ok`.

    Raises:
        InputError: the path does not exist or has an unknown suffix.
        ModelUnavailableError: glTF given and the Khronos validator is not installed.
    """
    return validate_files([path], strict=strict)[0]


def ensure_valid(
    paths: Sequence[str | os.PathLike[str]], *, strict: bool = True, session: ValidationSession | None = None
) -> list[ValidationReport]:
    """Validate exported files and raise if any fails: what the exporters call.

    Args:
        paths: the files an export wrote.
        strict: warnings count as failures (the exporters' default).
        session: a session the same `paths` were already added to, in order (their
            validation started as they were written); its `strict` is used.
            Default: validate `paths` now.

    Returns:
        The reports, all `ok`.

    Raises:
        ValidationFailed: naming each failing file and its first findings.
    """
    if session is None:
        reports = validate_files(paths, strict=strict)
    else:
        if [Path(p).resolve() for p in paths] != [p.resolve() for p in session.paths]:
            raise InputError("ensure_valid: the session holds other files than `paths`")
        reports = session.reports()
    failing = [r for r in reports if not r.ok]
    if failing:
        lines = []
        for r in failing:
            bad = r.failures()
            shown = "; ".join(f"{m.severity} {m.code} at {m.location or '-'}: {m.message}" for m in bad[:3])
            more = f" (+{len(bad) - 3} more)" if len(bad) > 3 else ""
            lines.append(f"{r.path}: {shown}{more}")
        raise ValidationFailed(
            "exported file(s) failed validation: " + " | ".join(lines)
            + "; run `hoiexport validate FILE` for the full report"
        )
    return reports
