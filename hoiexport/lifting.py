"""`hoiexport.lift_files`: combined human + object mesh files → lifted candidates.

The application-floor form of the lift chain (`sdk.generators.lift`) that the
`hoiexport lift` command and build scripts call: read the meshes and their
per-vertex labels, pick the segmenter, lift every candidate, keep the one whose
measured contact configuration matches the prompt.

Where a mesh's labels come from, first that applies (`LABEL_SOURCES`): a
`--labels` file; glb nodes named like human / object; the mesh's parts (glb
nodes with any names, or unconnected pieces), the person being the part the
body fits (`lift.parts.split_parts`; skipped when the grounded_sam2 segmenter
is asked for); else orbit masks of the grounded_sam2 segmenter.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from hoiexport.sdk.core.errors import InputError, ModelUnavailableError
from hoiexport.sdk.core.types import HOIAsset, Mesh, Prompt

if TYPE_CHECKING:
    import numpy as np

SegmenterChoice = Literal["auto", "grounded_sam2", "labels"]
SEGMENTER_CHOICES: tuple[str, ...] = ("auto", "grounded_sam2", "labels")

LabelSource = Literal["file", "node_names", "parts", "segmenter"]
LABEL_SOURCES: tuple[str, ...] = ("file", "node_names", "parts", "segmenter")
"""Where a mesh's person / object labels come from, in order of precedence (module docstring)."""


@dataclass
class LiftRun:
    """What `lift_files` produced.

    Attributes:
        prompt: the prompt the candidates were measured against.
        results: one `LiftResult` per input mesh, in order.
        selection: which candidate was kept and why (`select.Selection`).
        backend: the segmenter that ran ("labels" or "grounded_sam2").
        label_sources: per mesh, where its labels came from (`LABEL_SOURCES`).
        splits: per mesh, its `lift.parts.PartSplit` when the labels came from
            its parts, else None.
    """

    prompt: Prompt
    results: list[Any]
    selection: Any
    backend: str
    label_sources: list[LabelSource] = field(default_factory=list)
    splits: list[Any] = field(default_factory=list)

    @property
    def chosen(self) -> Any:
        """The kept candidate's `LiftResult`."""
        return self.results[self.selection.index]

    @property
    def asset(self) -> HOIAsset:
        """The kept candidate's asset."""
        return self.chosen.asset


def lift_prompt(text: str, object_name: str | None) -> tuple[Prompt, str | None]:
    """The parsed prompt, or the bare text (with why) when the parser does not know its words."""
    from hoiexport.sdk.prompt import parse_prompt

    try:
        return parse_prompt(text), None
    except InputError as exc:
        return Prompt(text=text, object=object_name), str(exc)


def _segmenters(meshes: list[Mesh], labels: list, choice: str, detector_dir: str | None, sam_dir: str | None,
                paths: list[str]) -> tuple[list, str]:
    """One segmenter per mesh, and the backend name."""
    from hoiexport.sdk.generators.lift.segment import GroundedSam2Segmenter, LabelsSegmenter, resolve_grounded_sam2

    have_labels = all(lab is not None for lab in labels)
    if choice == "labels" or (choice == "auto" and have_labels):
        missing = [p for p, lab in zip(paths, labels, strict=True) if lab is None]
        if missing:
            raise InputError(
                f"--segmenter labels needs per-vertex labels for {missing[0]}: pass --labels FILE "
                "(.npy / .txt, 0 = person, 1 = object per vertex), a glb with nodes named human and object, or a mesh "
                "whose person and object are separate parts (glb nodes with any names, or unconnected pieces)"
            )
        return [LabelsSegmenter(m.faces, lab) for m, lab in zip(meshes, labels, strict=True)], "labels"
    try:
        resolve_grounded_sam2(detector_dir, sam_dir)
    except ModelUnavailableError as exc:
        if choice == "auto":
            raise ModelUnavailableError(
                f"cannot segment {paths[0]}: the grounded_sam2 segmenter is not available ({exc}); "
                "or pass --labels FILE (0 = person, 1 = object per vertex), a glb with nodes named human and object, "
                "or a mesh whose person and object are separate parts (glb nodes with any names, or unconnected pieces)"
            ) from None
        raise
    segmenter = GroundedSam2Segmenter.from_pretrained(detector_dir, sam_dir)
    return [segmenter] * len(meshes), "grounded_sam2"


def lift_files(
    meshes: Sequence[str | os.PathLike[str]],
    text: str,
    *,
    object_name: str | None = None,
    labels_files: Sequence[str | os.PathLike[str]] = (),
    segmenter: SegmenterChoice = "auto",
    detector_dir: str | None = None,
    sam_dir: str | None = None,
    views: int = 8,
    resolution: int = 512,
    pitch_deg: float = 15.0,
    seed: int = 0,
) -> LiftRun:
    """Lift combined human + object meshes (glb, gltf, obj, ply) against one prompt.

    Args:
        meshes: candidate files of one prompt (one or more).
        text: the prompt the meshes were generated from.
        object_name: object label for segmentation (default: the prompt's object).
        labels_files: per-vertex label files (0 = person, 1 = object), one per
            mesh in order, or none (labels then come from glb nodes named
            human / object where present, else from the mesh's parts: module
            docstring).
        segmenter: "labels", "grounded_sam2", or "auto" (labels when every mesh
            has them, else grounded_sam2). "grounded_sam2" segments even a
            mesh in parts.
        detector_dir: Grounding DINO folder; default the lock's entry.
        sam_dir: SAM 2 folder; default the lock's entry.
        views: orbit frames.
        resolution: frame edge, pixels.
        pitch_deg: orbit pitch, degrees.
        seed: recorded in the provenance.

    Returns:
        The candidates and the kept one; when the parser could not read the
        prompt, the kept asset's provenance notes say why ("prompt_parse").
        Every candidate's notes say where its labels came from
        ("label_source") and, for a mesh in parts, how the person was chosen
        ("part_split": `PartSplit.to_json`).

    Raises:
        InputError: unreadable meshes or labels, a labels count that does not
            match the meshes.
        ModelUnavailableError: grounded_sam2 needed but its weights are missing
            (the message says so when a mesh was in parts the body fits none of).
    """
    from hoiexport.sdk.bodies import load_body_model
    from hoiexport.sdk.generators.lift.lift import LiftOptions, lift_candidates
    from hoiexport.sdk.generators.lift.load import load_mesh_parts, load_vertex_labels
    from hoiexport.sdk.generators.lift.parts import split_parts
    from hoiexport.sdk.geometry.orbit import OrbitOptions

    paths = [os.fspath(p) for p in meshes]
    if labels_files and len(labels_files) != len(paths):
        raise InputError(f"give one --labels file per MESH: {len(paths)} meshes, {len(labels_files)} --labels")
    prompt, parse_problem = lift_prompt(text, object_name)
    loaded = [load_mesh_parts(p) for p in paths]
    combined = [m.mesh for m in loaded]
    options = LiftOptions(orbit=OrbitOptions(views=views, resolution=resolution, pitch_deg=pitch_deg))
    sources: list[LabelSource]
    labels: list[np.ndarray | None]
    if labels_files:
        labels = [load_vertex_labels(f, len(m.vertices)) for f, m in zip(labels_files, combined, strict=True)]
        sources = ["file"] * len(paths)
    else:
        labels = [m.labels for m in loaded]
        sources = ["node_names" if lab is not None else "segmenter" for lab in labels]
    splits: list[Any] = [None] * len(paths)
    body = None
    if segmenter != "grounded_sam2" and any(lab is None for lab in labels):
        body = load_body_model(options.body_model)
        for i, m in enumerate(loaded):
            if labels[i] is None:
                splits[i] = split_parts(m.mesh, body, node_index=m.part_index, node_names=m.part_names)
                if splits[i] is not None and splits[i].decided:
                    labels[i], sources[i] = splits[i].labels, "parts"
    try:
        segmenters, backend = _segmenters(combined, labels, segmenter, detector_dir, sam_dir, paths)
    except (InputError, ModelUnavailableError) as exc:
        undecided = [(p, sp) for p, sp, lab in zip(paths, splits, labels, strict=True)
                     if sp is not None and lab is None]
        if not undecided:
            raise
        path, split = undecided[0]
        raise type(exc)(
            f"{exc}; {path} is in parts, but the body model fits none of them (best Chamfer / stature "
            f"{split.fit.relative:.3f}, stature {split.fit.stature_m:.2f} m; a person lying down is not fitted)"
        ) from None
    results, selection = lift_candidates(combined, prompt, segmenters, object_label=object_name, options=options,
                                         seed=seed, body=body)
    for result, source, split in zip(results, sources, splits, strict=True):
        result.asset.provenance.notes["label_source"] = source
        if split is not None:
            result.asset.provenance.notes["part_split"] = split.to_json()
    run = LiftRun(prompt=prompt, results=list(results), selection=selection, backend=backend,
                  label_sources=sources, splits=splits)
    run.asset.provenance.notes["selection"] = selection.reason
    if parse_problem:
        run.asset.provenance.notes["prompt_parse"] = parse_problem
    return run
