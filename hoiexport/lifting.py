"""`hoiexport.lift_files`: combined human + object mesh files → lifted candidates.

The application-floor form of the lift chain (`sdk.generators.lift`) that the
`hoiexport lift` command and build scripts call: read the meshes and their
per-vertex labels, pick the segmenter, lift every candidate, keep the one whose
measured contact configuration matches the prompt.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from hoiexport.sdk.core.errors import InputError, ModelUnavailableError
from hoiexport.sdk.core.types import HOIAsset, Mesh, Prompt

SegmenterChoice = Literal["auto", "grounded_sam2", "labels"]
SEGMENTER_CHOICES: tuple[str, ...] = ("auto", "grounded_sam2", "labels")


@dataclass
class LiftRun:
    """What `lift_files` produced.

    Attributes:
        prompt: the prompt the candidates were measured against.
        results: one `LiftResult` per input mesh, in order.
        selection: which candidate was kept and why (`select.Selection`).
        backend: the segmenter that ran ("labels" or "grounded_sam2").
    """

    prompt: Prompt
    results: list[Any]
    selection: Any
    backend: str

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
                "(.npy / .txt, 0 = person, 1 = object per vertex) or a glb with nodes named human and object"
            )
        return [LabelsSegmenter(m.faces, lab) for m, lab in zip(meshes, labels, strict=True)], "labels"
    try:
        resolve_grounded_sam2(detector_dir, sam_dir)
    except ModelUnavailableError as exc:
        if choice == "auto":
            raise ModelUnavailableError(
                f"cannot segment {paths[0]}: the grounded_sam2 segmenter is not available ({exc}); "
                "or pass --labels FILE (0 = person, 1 = object per vertex) or a glb with nodes named human and object"
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
            human / object where present).
        segmenter: "labels", "grounded_sam2", or "auto" (labels when every mesh
            has them, else grounded_sam2).
        detector_dir: Grounding DINO folder; default the lock's entry.
        sam_dir: SAM 2 folder; default the lock's entry.
        views: orbit frames.
        resolution: frame edge, pixels.
        pitch_deg: orbit pitch, degrees.
        seed: recorded in the provenance.

    Returns:
        The candidates and the kept one; when the parser could not read the
        prompt, the kept asset's provenance notes say why ("prompt_parse").

    Raises:
        InputError: unreadable meshes or labels, a labels count that does not
            match the meshes.
        ModelUnavailableError: grounded_sam2 needed but its weights are missing.
    """
    from hoiexport.sdk.generators.lift.lift import LiftOptions, lift_candidates
    from hoiexport.sdk.generators.lift.load import load_combined_mesh, load_vertex_labels
    from hoiexport.sdk.geometry.orbit import OrbitOptions

    paths = [os.fspath(p) for p in meshes]
    if labels_files and len(labels_files) != len(paths):
        raise InputError(f"give one --labels file per MESH: {len(paths)} meshes, {len(labels_files)} --labels")
    prompt, parse_problem = lift_prompt(text, object_name)
    loaded = [load_combined_mesh(p) for p in paths]
    combined = [m for m, _ in loaded]
    labels = [load_vertex_labels(f, len(m.vertices)) for f, m in zip(labels_files, combined, strict=True)] \
        if labels_files else [lab for _, lab in loaded]
    segmenters, backend = _segmenters(combined, labels, segmenter, detector_dir, sam_dir, paths)
    options = LiftOptions(orbit=OrbitOptions(views=views, resolution=resolution, pitch_deg=pitch_deg))
    results, selection = lift_candidates(combined, prompt, segmenters, object_label=object_name, options=options,
                                         seed=seed)
    run = LiftRun(prompt=prompt, results=list(results), selection=selection, backend=backend)
    run.asset.provenance.notes["selection"] = selection.reason
    if parse_problem:
        run.asset.provenance.notes["prompt_parse"] = parse_problem
    return run
