"""Person / object masks on the orbit frames (DESIGN §7 stage 5).

A `Segmenter` turns an `OrbitRender` and label names ("person", the object
name) into one boolean mask and one confidence per label and frame.

Backends:
- `GroundedSam2Segmenter` ("grounded_sam2"): Grounding DINO finds one box per
  label (the query with the highest probability on that label's text tokens),
  SAM 2 cuts a mask from each box (transformers' `GroundingDinoForObjectDetection`
  and `Sam2Model`). Confidence = box probability × SAM's predicted IoU.
  SAM 2's image preprocessing (bilinear resize to the prompt encoder's square
  input size, ImageNet mean / std from the model folder's
  `preprocessor_config.json`) and mask upsampling are done in torch here:
  transformers' `Sam2ImageProcessor` requires torchvision, which has no CPU
  wheel on PyPI matching the project's torch build.
- `LabelsSegmenter` ("labels"): masks rendered from known per-vertex labels of
  the rendered mesh (input meshes that carry a human / object split, and the
  benchmark's ground truth).
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, Protocol, runtime_checkable

import numpy as np
from hoiexport.sdk.core.errors import InputError, ModelUnavailableError
from hoiexport.sdk.geometry.orbit import OrbitRender
from hoiexport.sdk.models import ModelRef, TransformersFolder, resolve_weights, weights_available

SegmenterName = Literal["grounded_sam2", "labels"]
PERSON_LABEL = "person"

GROUNDING_DINO_WEIGHTS = ModelRef(
    "grounding-dino-base",
    "segmentation",
    TransformersFolder(
        "a transformers-format Grounding DINO folder (config.json + *.safetensors; CLI: --detector-dir)"
    ),
)
"""Grounding DINO's weights: the lock entry by default, else a folder given."""
SAM2_WEIGHTS = ModelRef(
    "sam2-1-hiera-large",
    "segmentation",
    TransformersFolder(
        "a transformers-format SAM 2 folder (config.json + *.safetensors, e.g. a download of "
        "facebook/sam2-hiera-large-hf; CLI: --sam-dir)"
    ),
)
"""SAM 2's weights. The lock entry pins the original sam2 checkpoint
(`sam2.1_hiera_large.pt`), which transformers' `Sam2Model` cannot load: until the
lock pins a transformers-format SAM 2 repository, pass such a folder explicitly."""

_IMAGENET_MEAN = (0.485, 0.456, 0.406)
_IMAGENET_STD = (0.229, 0.224, 0.225)


@dataclass
class ViewMasks:
    """Masks of every label in every frame.

    Attributes:
        labels: the L label names, in the order asked for.
        masks: (N, L, H, W) bool, True where the label's mask covers the pixel.
        scores: (N, L) float32 confidence in [0, 1]; 0 where the label was not
            found in that frame (its mask is then empty).
        backend: the segmenter's name.
    """

    labels: list[str]
    masks: np.ndarray
    scores: np.ndarray
    backend: str

    def __post_init__(self) -> None:
        self.masks = np.asarray(self.masks, dtype=bool)
        self.scores = np.asarray(self.scores, dtype=np.float32)
        n, nl = self.scores.shape
        if self.masks.ndim != 4 or self.masks.shape[:2] != (n, nl) or nl != len(self.labels):
            raise InputError(
                f"masks must be (N, {len(self.labels)}, H, W) with scores (N, {len(self.labels)}), "
                f"got {self.masks.shape} and {self.scores.shape}"
            )


@runtime_checkable
class Segmenter(Protocol):
    """Frames + label names → per-frame masks."""

    name: str

    def segment(self, views: OrbitRender, labels: Sequence[str]) -> ViewMasks:
        """Masks of each label in each frame of `views` (see `ViewMasks`)."""
        ...


def _check_labels(labels: Sequence[str]) -> list[str]:
    out = [str(x).strip() for x in labels]
    if not out or any(not x for x in out):
        raise InputError(f"segmentation labels must be non-empty names, got {list(labels)!r}")
    if len({x.lower() for x in out}) != len(out):
        raise InputError(f"segmentation labels must be distinct, got {out!r}")
    return out


def face_labels_from_vertices(faces: np.ndarray, vertex_labels: np.ndarray, num_labels: int) -> np.ndarray:
    """(F,) int64 label of each face: the majority of its corners' labels (ties: lowest index)."""
    counts = np.zeros((len(faces), num_labels), np.int64)
    for k in range(3):
        np.add.at(counts, (np.arange(len(faces)), vertex_labels[faces[:, k]]), 1)
    return counts.argmax(axis=1)


class LabelsSegmenter:
    """Masks rendered from per-vertex labels of the rendered mesh.

    Attributes:
        name: "labels".
    """

    name = "labels"

    def __init__(self, faces: np.ndarray, vertex_labels: np.ndarray) -> None:
        """
        Args:
            faces: (F, 3) int faces of the rendered mesh.
            vertex_labels: (V,) int label index per vertex (index into the
                `labels` later given to `segment`; 0 = person, 1 = object).
        """
        labels = np.asarray(vertex_labels)
        if labels.ndim != 1 or labels.dtype.kind not in "iub":
            raise InputError(f"vertex labels must be a (V,) integer array, got {labels.shape} {labels.dtype}")
        faces = np.asarray(faces, np.int64)
        if len(faces) and faces.max() >= len(labels):
            raise InputError(f"vertex labels have {len(labels)} entries but faces index vertex {faces.max()}")
        if len(labels) and labels.min() < 0:
            raise InputError("vertex labels must be >= 0")
        self._labels = labels.astype(np.int64)
        self._faces = faces

    def segment(self, views: OrbitRender, labels: Sequence[str]) -> ViewMasks:
        names = _check_labels(labels)
        if len(self._labels) and self._labels.max() >= len(names):
            raise InputError(f"vertex labels go up to {self._labels.max()} but only {len(names)} labels were given")
        face_label = face_labels_from_vertices(self._faces, self._labels, len(names))
        ids = views.face_ids
        seen = ids >= 0
        per_pixel = np.where(seen, face_label[np.maximum(ids, 0)], -1)
        masks = np.stack([per_pixel == i for i in range(len(names))], axis=1)
        scores = np.asarray(masks.any(axis=(2, 3)), dtype=np.float32)
        return ViewMasks(names, masks, scores, self.name)


@dataclass(frozen=True)
class GroundedSam2Options:
    """Settings of the Grounding DINO + SAM 2 segmenter.

    Attributes:
        box_threshold: a label counts as found in a frame when its best box's
            probability on the label's tokens reaches this.
        mask_threshold: SAM 2 mask logit threshold.
        batch_size: frames per forward pass.
        device: "auto" (CUDA when available), "cpu" or "cuda".
    """

    box_threshold: float = 0.3
    mask_threshold: float = 0.0
    batch_size: int = 4
    device: Literal["auto", "cpu", "cuda"] = "auto"

    def __post_init__(self) -> None:
        if not 0.0 <= self.box_threshold <= 1.0:
            raise InputError(f"GroundedSam2Options.box_threshold must be in [0, 1], got {self.box_threshold}")
        if self.batch_size < 1:
            raise InputError(f"GroundedSam2Options.batch_size must be >= 1, got {self.batch_size}")


def _import_transformers() -> Any:
    try:
        import transformers
    except ImportError as exc:
        raise ModelUnavailableError(
            "the grounded_sam2 segmenter needs transformers; install the gpu extra: pip install 'hoiexport[gpu]'"
        ) from exc
    return transformers


class GroundedSam2Segmenter:
    """Grounding DINO boxes → SAM 2 masks (module docstring).

    Attributes:
        name: "grounded_sam2".
        detector: a `GroundingDinoForObjectDetection`.
        detector_processor: its `GroundingDinoProcessor` (image processor + fast tokenizer).
        sam: a `Sam2Model`.
        sam_mean, sam_std: (3,) SAM 2 input normalisation.
        options: thresholds, batch size, device.
    """

    name = "grounded_sam2"

    def __init__(
        self,
        detector: Any,
        detector_processor: Any,
        sam: Any,
        *,
        sam_mean: Sequence[float] = _IMAGENET_MEAN,
        sam_std: Sequence[float] = _IMAGENET_STD,
        options: GroundedSam2Options = GroundedSam2Options(),
    ) -> None:
        import torch

        if options.device == "auto":
            device = "cuda" if torch.cuda.is_available() else "cpu"
        else:
            device = options.device
        self.device = torch.device(device)
        self.detector = detector.eval().to(self.device)
        self.detector_processor = detector_processor
        self.sam = sam.eval().to(self.device)
        self.sam_mean = torch.as_tensor(sam_mean, dtype=torch.float32).reshape(1, 3, 1, 1)
        self.sam_std = torch.as_tensor(sam_std, dtype=torch.float32).reshape(1, 3, 1, 1)
        self.options = options
        if not getattr(detector_processor.tokenizer, "is_fast", False):
            raise ModelUnavailableError("the Grounding DINO processor needs a fast tokenizer (tokenizer.json)")

    @classmethod
    def from_pretrained(
        cls,
        detector_dir: str | os.PathLike[str] | None = None,
        sam_dir: str | os.PathLike[str] | None = None,
        options: GroundedSam2Options = GroundedSam2Options(),
    ) -> GroundedSam2Segmenter:
        """Load both models from their folders (default: under `$HOIEXPORT_MODELS`).

        Raises:
            ModelUnavailableError: a folder or transformers is missing.
        """
        gd_path, sam_path = resolve_grounded_sam2(detector_dir, sam_dir)
        tf = _import_transformers()
        detector = tf.GroundingDinoForObjectDetection.from_pretrained(gd_path)
        processor = tf.AutoProcessor.from_pretrained(gd_path)
        sam = tf.Sam2Model.from_pretrained(sam_path)
        mean, std = _IMAGENET_MEAN, _IMAGENET_STD
        cfg_path = Path(sam_path) / "preprocessor_config.json"
        if cfg_path.is_file():
            cfg = json.loads(cfg_path.read_text())
            mean = tuple(cfg.get("image_mean", mean))
            std = tuple(cfg.get("image_std", std))
        return cls(detector, processor, sam, sam_mean=mean, sam_std=std, options=options)

    # --- detection -----------------------------------------------------------------------

    def _label_tokens(self, text: str, spans: list[tuple[int, int]], input_ids: Any) -> list[np.ndarray]:
        """Token positions of each label's characters in the detector's text input."""
        enc = self.detector_processor.tokenizer(text, return_offsets_mapping=True)
        if list(enc["input_ids"]) != [int(x) for x in input_ids]:
            raise InputError("Grounding DINO tokenisation of the labels is not reproducible")
        offsets = np.asarray(enc["offset_mapping"])
        out = []
        for lo, hi in spans:
            pos = np.flatnonzero((offsets[:, 1] > offsets[:, 0]) & (offsets[:, 0] >= lo) & (offsets[:, 1] <= hi))
            if len(pos) == 0:
                raise InputError(f"label {text[lo:hi]!r} has no tokens the detector's tokenizer knows")
            out.append(pos)
        return out

    def _detect(self, frames: np.ndarray, names: list[str]) -> tuple[np.ndarray, np.ndarray]:
        """Best box per label and frame: boxes (B, L, 4) xyxy pixels, scores (B, L)."""
        import torch

        lowered = [n.lower() for n in names]
        text = ". ".join(lowered) + "."
        spans, at = [], 0
        for n in lowered:
            spans.append((at, at + len(n)))
            at += len(n) + 2
        inputs = self.detector_processor(images=list(frames), text=[text] * len(frames), return_tensors="pt")
        tokens = self._label_tokens(text, spans, inputs["input_ids"][0])
        inputs = {k: v.to(self.device) for k, v in inputs.items()}
        with torch.no_grad():
            out = self.detector(**inputs)
        probs = out.logits.sigmoid().float().cpu().numpy()  # (B, Q, T)
        boxes_rel = out.pred_boxes.float().cpu().numpy()  # (B, Q, 4) cx, cy, w, h in [0, 1]
        h, w = frames.shape[1:3]
        b, nl = len(frames), len(names)
        boxes = np.zeros((b, nl, 4), np.float32)
        scores = np.zeros((b, nl), np.float32)
        for li, pos in enumerate(tokens):
            label_prob = probs[:, :, pos].max(axis=2)  # (B, Q)
            best = label_prob.argmax(axis=1)
            scores[:, li] = label_prob[np.arange(b), best]
            cx, cy, bw, bh = boxes_rel[np.arange(b), best].T
            boxes[:, li] = np.stack([(cx - bw / 2) * w, (cy - bh / 2) * h, (cx + bw / 2) * w, (cy + bh / 2) * h], 1)
        boxes[..., 0::2] = np.clip(boxes[..., 0::2], 0, w)
        boxes[..., 1::2] = np.clip(boxes[..., 1::2], 0, h)
        return boxes, scores

    # --- masks ---------------------------------------------------------------------------

    def _masks(self, frames: np.ndarray, boxes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """SAM 2 masks of each box: (B, L, H, W) bool and predicted IoU (B, L)."""
        import torch
        import torch.nn.functional as F

        size = int(self.sam.config.prompt_encoder_config.image_size)
        h, w = frames.shape[1:3]
        pixels = torch.from_numpy(np.ascontiguousarray(frames[..., :3])).permute(0, 3, 1, 2).float() / 255.0
        pixels = F.interpolate(pixels, size=(size, size), mode="bilinear", align_corners=False, antialias=True)
        pixels = ((pixels - self.sam_mean) / self.sam_std).to(self.device)
        scale = torch.tensor([size / w, size / h, size / w, size / h], dtype=torch.float32)
        input_boxes = (torch.from_numpy(boxes) * scale).to(self.device)
        with torch.no_grad():
            out = self.sam(pixel_values=pixels, input_boxes=input_boxes, multimask_output=False)
        logits = out.pred_masks[:, :, 0].float()  # (B, L, h', w')
        logits = F.interpolate(logits, size=(h, w), mode="bilinear", align_corners=False)
        masks = (logits > self.options.mask_threshold).cpu().numpy()
        iou = out.iou_scores[:, :, 0].float().clamp(0.0, 1.0).cpu().numpy()
        return masks, iou

    def segment_images(self, frames: np.ndarray, labels: Sequence[str]) -> tuple[list[str], np.ndarray, np.ndarray]:
        """Masks of `labels` on any images (the orbit frames, or a generated view).

        Args:
            frames: (N, H, W, 3) uint8 sRGB images.
            labels: label texts ("person", the object name).

        Returns:
            The cleaned label names, masks (N, L, H, W) bool and confidences
            (N, L) float32 (box probability × SAM's IoU; 0 and an empty mask
            where the box probability is below `options.box_threshold`).
        """
        names = _check_labels(labels)
        frames = np.asarray(frames)
        if frames.ndim != 4 or frames.shape[3] < 3 or frames.dtype != np.uint8:
            raise InputError(f"frames must be (N, H, W, 3) uint8, got {frames.shape} {frames.dtype}")
        all_masks, all_scores = [], []
        for start in range(0, len(frames), self.options.batch_size):
            batch = frames[start : start + self.options.batch_size, ..., :3]
            boxes, box_scores = self._detect(batch, names)
            masks, iou = self._masks(batch, boxes)
            found = box_scores >= self.options.box_threshold
            masks &= found[:, :, None, None]
            all_masks.append(masks)
            all_scores.append(np.where(found, box_scores * iou, 0.0).astype(np.float32))
        return names, np.concatenate(all_masks), np.concatenate(all_scores)

    def segment(self, views: OrbitRender, labels: Sequence[str]) -> ViewMasks:
        names, masks, scores = self.segment_images(views.rgb, labels)
        return ViewMasks(names, masks, scores, self.name)


def resolve_grounded_sam2(
    detector_dir: str | os.PathLike[str] | None = None, sam_dir: str | os.PathLike[str] | None = None
) -> tuple[Path, Path]:
    """The transformers-format folders of Grounding DINO and SAM 2 (transformers not imported).

    Args:
        detector_dir, sam_dir: folders given by the caller; None resolves the lock
            entries `GROUNDING_DINO_WEIGHTS` / `SAM2_WEIGHTS` (files checked).

    Raises:
        ModelUnavailableError: naming the entry, the stage, what is wrong and the fix.
    """
    return resolve_weights(GROUNDING_DINO_WEIGHTS, detector_dir), resolve_weights(SAM2_WEIGHTS, sam_dir)


def grounded_sam2_available(
    detector_dir: str | os.PathLike[str] | None = None, sam_dir: str | os.PathLike[str] | None = None
) -> bool:
    """Whether both model folders exist (transformers not imported)."""
    return weights_available(GROUNDING_DINO_WEIGHTS, detector_dir) and weights_available(SAM2_WEIGHTS, sam_dir)
