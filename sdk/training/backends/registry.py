"""Which models annotate: the weights each backend resolves through the lock, and
the named bundles of backends (`ANNOTATORS`) that `load_annotators` builds.

| name             | vlm (appearance, action, plausibility) | llm (caption)          |
|------------------|----------------------------------------|------------------------|
| `template`       | none: every field from `template`      | none: template caption |
| `internvl+llama` | InternVL3-8B (`internvl3-8b-hf`)       | Llama 3.1 8B Instruct (`llama-3-1-8b-instruct`) |

Fields a model does not answer (no model, or an answer rejected) come from the
template backend, and the annotation's provenance says so field by field.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from hoiexport.sdk.core.errors import InputError
from hoiexport.sdk.generators.hoi3dgen.runtime import Precision, Runtime
from hoiexport.sdk.models import LockFile, ModelRef, Stage
from hoiexport.sdk.training.backends.protocols import LanguageModel, VisionLanguageModel
from hoiexport.sdk.training.backends.template import TEMPLATE_NAME

ANNOTATION_STAGE: Stage = "annotation"
"""The lock stage of the annotation models (`sdk.models.schema.Stage` "annotation")."""

_WEIGHTS = ("*.safetensors",)


@dataclass(frozen=True)
class ChatModelFolder:
    """A transformers-format chat model folder: given files plus safetensors weights.

    Attributes:
        description: see `FolderLayout` ("pass ...").
        files: relative paths that must be files.
    """

    description: str
    files: tuple[str, ...]

    def problem(self, folder: Path) -> str | None:
        """Why `folder` does not fit, or None."""
        if not folder.is_dir():
            return f"{folder} does not exist"
        missing = [str(folder / f) for f in self.files if not (folder / f).is_file()]
        if not any(any(folder.glob(p)) for p in _WEIGHTS):
            missing.append(f"{folder}/*.safetensors")
        return f"{', '.join(missing)} missing" if missing else None


VLM_MODELS: dict[str, ModelRef] = {
    "internvl3-8b": ModelRef(
        "internvl3-8b-hf",
        ANNOTATION_STAGE,
        ChatModelFolder("a transformers-format InternVL folder (e.g. OpenGVLab/InternVL3-8B-hf)",
                        ("config.json", "tokenizer_config.json", "tokenizer.json", "preprocessor_config.json",
                         "processor_config.json")),
    ),
}
"""Vision-language model name → its lock entry and folder layout."""

LLM_MODELS: dict[str, ModelRef] = {
    "llama-3.1-8b-instruct": ModelRef(
        "llama-3-1-8b-instruct",
        ANNOTATION_STAGE,
        ChatModelFolder("a transformers-format Llama folder (e.g. meta-llama/Llama-3.1-8B-Instruct)",
                        ("config.json", "tokenizer_config.json", "tokenizer.json")),
    ),
}
"""Language model name → its lock entry and folder layout."""


@dataclass
class Annotators:
    """The backends one annotation run uses.

    Attributes:
        name: the `ANNOTATORS` entry it was built from.
        vlm: answers appearance, action and plausibility from the appearance
            images; None: template fields, no plausibility.
        llm: composes the caption; None: the template caption.
    """

    name: str
    vlm: VisionLanguageModel | None = None
    llm: LanguageModel | None = None
    _closers: list[Callable[[], None]] = field(default_factory=list, repr=False)

    def close(self) -> None:
        """Release the models' weights."""
        for close in self._closers:
            close()
        self._closers.clear()
        self.vlm = self.llm = None

    def __enter__(self) -> Annotators:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


@dataclass(frozen=True)
class LoadRequest:
    """What `load_annotators` was asked for, handed to an entry's loader.

    Attributes:
        paths: model folders by role ("vlm", "llm"); absent roles resolve the lock.
        device: "auto", "cpu", "cuda" or "cuda:N".
        precision: weights' dtype on CUDA.
        lock: the lock (None: the repository's).
        models_dir: models root (None: `HOIEXPORT_MODELS`).
    """

    paths: Mapping[str, str | os.PathLike[str]]
    device: str
    precision: Precision
    lock: LockFile | None
    models_dir: str | os.PathLike[str] | None

    def runtime(self) -> Runtime:
        """The models' device and dtype (imports torch)."""
        return Runtime(device=self.device, precision=self.precision)


AnnotatorLoader = Callable[[LoadRequest], Annotators]
"""Builds an entry's `Annotators`."""


def _template(request: LoadRequest) -> Annotators:
    return Annotators(TEMPLATE_NAME)


def _internvl_llama(request: LoadRequest) -> Annotators:
    from hoiexport.sdk.training.backends.internvl import InternVLAnnotator
    from hoiexport.sdk.training.backends.llama import LlamaAnnotator

    runtime = request.runtime()
    vlm = InternVLAnnotator.from_pretrained(request.paths.get("vlm"), runtime, VLM_MODELS["internvl3-8b"],
                                            lock=request.lock, models_dir=request.models_dir)
    try:
        llm = LlamaAnnotator.from_pretrained(request.paths.get("llm"), runtime, LLM_MODELS["llama-3.1-8b-instruct"],
                                             lock=request.lock, models_dir=request.models_dir)
    except BaseException:
        vlm.close()
        raise
    return Annotators("internvl+llama", vlm, llm, [vlm.close, llm.close])


def _internvl(request: LoadRequest) -> Annotators:
    from hoiexport.sdk.training.backends.internvl import InternVLAnnotator

    vlm = InternVLAnnotator.from_pretrained(request.paths.get("vlm"), request.runtime(), VLM_MODELS["internvl3-8b"],
                                            lock=request.lock, models_dir=request.models_dir)
    return Annotators("internvl", vlm, None, [vlm.close])


@dataclass(frozen=True)
class AnnotatorsEntry:
    """One `ANNOTATORS` entry.

    Attributes:
        description: one line for listings.
        roles: the model roles it loads ("vlm", "llm"); `paths` keys it reads.
        load: builds the `Annotators`.
    """

    description: str
    roles: tuple[str, ...]
    load: AnnotatorLoader


ANNOTATORS: dict[str, AnnotatorsEntry] = {
    TEMPLATE_NAME: AnnotatorsEntry("no weights: appearance from the meshes' colours, action from the request "
                                   "or the configuration, template caption", (), _template),
    "internvl+llama": AnnotatorsEntry("InternVL3-8B answers appearance, action and plausibility; Llama 3.1 8B "
                                      "Instruct composes the caption", ("vlm", "llm"), _internvl_llama),
    "internvl": AnnotatorsEntry("InternVL3-8B alone: model answers, template caption; the judge of "
                                "'hoiexport eval judge'", ("vlm",), _internvl),
}
"""Annotator bundle name → entry."""


def load_annotators(
    name: str = TEMPLATE_NAME,
    *,
    paths: Mapping[str, str | os.PathLike[str]] | None = None,
    models_dir: str | os.PathLike[str] | None = None,
    device: str = "auto",
    precision: Precision = "bf16",
    lock: LockFile | None = None,
) -> Annotators:
    """Build a named bundle of annotation backends.

    Args:
        name: an `ANNOTATORS` key: "template" or "internvl+llama".
        paths: model folders by role ("vlm", "llm"); a role not given resolves its
            lock entry under `models_dir`.
        models_dir: models root (default `HOIEXPORT_MODELS`).
        device: "auto", "cpu", "cuda" or "cuda:N".
        precision: weights' dtype on CUDA ("bf16", "fp16", "fp32"; CPU runs fp32).
        lock: the lock (default: the repository's).

    Raises:
        InputError: an unknown name, a path for a role the bundle does not load,
            or an unusable device.
        ModelUnavailableError: weights missing or unreadable (the message names the
            lock entry and `hoiexport models fetch ENTRY`).
    """
    entry = ANNOTATORS.get(name)
    if entry is None:
        raise InputError(f"unknown annotators {name!r}; use one of: {', '.join(ANNOTATORS)}")
    given = dict(paths or {})
    extra = sorted(set(given) - set(entry.roles))
    if extra:
        roles = ", ".join(entry.roles) or "none"
        raise InputError(f"annotators {name!r} load no model for role(s) {extra}; its roles: {roles}")
    return entry.load(LoadRequest(given, device, precision, lock, models_dir))
