"""Person / object masks on the orbit frames (DESIGN §7 stage 5).

A `Segmenter` turns an `OrbitRender` and label names ("person", the object
name) into one boolean mask and one confidence per label and frame.

Backends:
- `GroundedSam2Segmenter` ("grounded_sam2"): Grounding DINO finds one box per
  label (the query with the highest probability on that label's text tokens),
  SAM 2 cuts a mask from each box (transformers' `GroundingDinoForObjectDetection`,
  `Sam2Model` and `Sam2VideoModel`). Two mask paths (`GroundedSam2Options.masks`):

  - "per_frame" (ours): detection and a box-prompted mask in every frame;
    confidence = box probability × SAM's predicted IoU.
  - "track" (HOI3DGen's release, agshar96/Hoi3DGen `run_segmentation_pipe.sh`
    step 3: Grounded-SAM-2 on one front frame, then SAM 2 video tracking of
    those objects across the orbit frames): boxes from the start frame
    (`start_frame`: the frame where the least certain label is detected most
    confidently, or a given index) prompt SAM 2's video model there, and the
    masks are propagated around the orbit in both directions from it (each
    frame reached the short way round; the fork's tracking script,
    `tracking_for_disti.py`, is not public, so the propagation order is ours);
    confidence = the start frame's box probability × sigmoid(SAM 2's
    object-presence logit) in that frame, and an empty mask where SAM 2 says
    the object is absent.

  Either way the orbit masks can be eroded by a 3 × 3 kernel `erode_iterations`
  times, as the release's `scripts/segmentMeshes/reproject_mv_human.py` erodes
  every mask twice (`cv2.erode(mask, ones((3, 3)), iterations=2)`; the border
  does not erode) before it builds the person / object point clouds. (That
  script then drops points within 0.01 of the other cloud,
  `remove_pc_intersections.py`; per-vertex voting replaces those point clouds here.)

  SAM 2's weights: the lock entry pins the original sam2 checkpoint
  (`sam2.1_hiera_large.pt` + `sam2.1_hiera_l.yaml`), converted once into a
  transformers folder next to it (`hoiexport.sdk.generators.lift.sam2_convert`);
  a transformers-format folder can be given instead (CLI `--sam-dir`).
  SAM 2's image preprocessing (bilinear resize to the prompt encoder's square
  input size, ImageNet mean / std from the model folder's
  `preprocessor_config.json`) and mask upsampling are done in torch here:
  transformers' `Sam2ImageProcessor` / `Sam2VideoProcessor` require torchvision,
  which has no CPU wheel on PyPI matching the project's torch build; the video
  session is filled directly (`Sam2VideoInferenceSession`, box corners with
  labels 2 / 3, as the processor does).
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
from typing import Any, Literal, Protocol, get_args, runtime_checkable

import numpy as np

from hoiexport.sdk.core.errors import InputError, ModelUnavailableError
from hoiexport.sdk.generators.lift.sam2_convert import Sam2Weights, transformers_folder
from hoiexport.sdk.geometry.orbit import OrbitRender
from hoiexport.sdk.models import (
    ModelRef,
    TransformersFolder,
    load_pretrained,
    resolve_weights,
    weights_available,
)

SegmenterName = Literal["grounded_sam2", "labels"]
PERSON_LABEL = "person"
MaskPath = Literal["per_frame", "track"]
"""How `GroundedSam2Segmenter` masks the orbit frames (module docstring)."""
StartFrame = int | Literal["most_confident"]
"""The frame tracking starts from: an index, or where detection is most confident."""

GROUNDING_DINO_WEIGHTS = ModelRef(
    "grounding-dino-base",
    "segmentation",
    TransformersFolder(
        "a transformers-format Grounding DINO folder (config.json + *.safetensors; CLI: --detector-dir)"
    ),
)
"""Grounding DINO's weights: the lock entry by default, else a folder given."""
SAM2_WEIGHTS = ModelRef("sam2-1-hiera-large", "segmentation", Sam2Weights())
"""SAM 2's weights: the lock entry's original sam2 checkpoint + yaml (converted to
transformers on first use, cached in its `transformers/` subfolder), or a folder
given: original files, or a transformers-format folder (a `sam2_video` config
for the "track" mask path)."""

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

    Presets: "paper" (HOI3DGen's release) = masks "track", erode_iterations 2;
    "best" (ours, the default) = masks "per_frame", erode_iterations 0.

    Attributes:
        box_threshold: a label counts as found in a frame when its best box's
            probability on the label's tokens reaches this.
        mask_threshold: SAM 2 mask logit threshold.
        batch_size: frames per forward pass (detection, per-frame masks).
        device: "auto" (CUDA when available), "cpu" or "cuda".
        masks: "per_frame" (detect + mask every orbit frame) or "track"
            (detect on `start_frame`, SAM 2 video tracking around the orbit);
            see the module docstring. Masks of single images
            (`segment_images`) are always per image.
        start_frame: the frame tracking starts from: an index into the orbit,
            or "most_confident" (the frame whose least confident label has the
            highest box probability; the release picks the frame facing the
            person with CameraHMR, which a caller can pass as an index).
        erode_iterations: erosions of every orbit mask by a 3 × 3 square
            (the release: 2; 0 keeps the masks as SAM 2 cut them).
    """

    box_threshold: float = 0.3
    mask_threshold: float = 0.0
    batch_size: int = 4
    device: Literal["auto", "cpu", "cuda"] = "auto"
    masks: MaskPath = "per_frame"
    start_frame: StartFrame = "most_confident"
    erode_iterations: int = 0

    def __post_init__(self) -> None:
        if not 0.0 <= self.box_threshold <= 1.0:
            raise InputError(f"GroundedSam2Options.box_threshold must be in [0, 1], got {self.box_threshold}")
        if self.batch_size < 1:
            raise InputError(f"GroundedSam2Options.batch_size must be >= 1, got {self.batch_size}")
        if self.masks not in get_args(MaskPath):
            raise InputError(f"GroundedSam2Options.masks must be one of {get_args(MaskPath)}, got {self.masks!r}")
        if self.start_frame != "most_confident" and (
            isinstance(self.start_frame, bool) or not isinstance(self.start_frame, int) or self.start_frame < 0
        ):
            raise InputError(
                f"GroundedSam2Options.start_frame must be a frame index >= 0 or 'most_confident', got {self.start_frame!r}"
            )
        if isinstance(self.erode_iterations, bool) or not isinstance(self.erode_iterations, int) or (
            self.erode_iterations < 0
        ):
            raise InputError(f"GroundedSam2Options.erode_iterations must be an integer >= 0, got {self.erode_iterations!r}")


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
        tracker: a `Sam2VideoModel` (the "track" mask path), or None.
        sam_mean, sam_std: (3,) SAM 2 input normalisation.
        options: thresholds, batch size, device, mask path.
    """

    name = "grounded_sam2"

    def __init__(
        self,
        detector: Any,
        detector_processor: Any,
        sam: Any | None,
        *,
        tracker: Any | None = None,
        sam_mean: Sequence[float] = _IMAGENET_MEAN,
        sam_std: Sequence[float] = _IMAGENET_STD,
        options: GroundedSam2Options = GroundedSam2Options(),
    ) -> None:
        """
        Args:
            detector, detector_processor: Grounding DINO and its processor.
            sam: a `Sam2Model`; None takes the image model out of `tracker`
                (`image_model_of`, sharing its weights).
            tracker: a `Sam2VideoModel`, needed when `options.masks` is "track".
            sam_mean, sam_std: SAM 2 input normalisation.
            options: see `GroundedSam2Options`.

        Raises:
            InputError: "track" without a tracker, or neither `sam` nor `tracker`.
            ModelUnavailableError: the processor has no fast tokenizer.
        """
        import torch

        if options.device == "auto":
            device = "cuda" if torch.cuda.is_available() else "cpu"
        else:
            device = options.device
        self.device = torch.device(device)
        if options.masks == "track" and tracker is None:
            raise InputError("GroundedSam2Options.masks='track' needs SAM 2's video model: pass tracker=Sam2VideoModel")
        self.tracker = tracker.eval().to(self.device) if tracker is not None else None
        if sam is None:
            if self.tracker is None:
                raise InputError("GroundedSam2Segmenter needs a Sam2Model (sam=) or a Sam2VideoModel (tracker=)")
            sam = image_model_of(self.tracker)
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
        """Load both models from their folders (default: the lock entries under `$HOIEXPORT_MODELS`).

        SAM 2's folder may hold the original sam2 checkpoint + yaml (converted
        once, `sam2_convert.transformers_folder`) or be a transformers-format
        folder. The "track" mask path loads `Sam2VideoModel` and takes the
        image model out of it (one copy of the weights); "per_frame" loads
        `Sam2Model` only.

        Raises:
            ModelUnavailableError: a folder or transformers is missing, the
                conversion failed, or "track" is asked of an image-only SAM 2 folder.
        """
        gd_path, sam_path = resolve_grounded_sam2(detector_dir, sam_dir)
        tf = _import_transformers()
        local = {"local_safetensors": False, "local_files_only": True}
        detector = load_pretrained(tf.GroundingDinoForObjectDetection.from_pretrained, gd_path,
                                   GROUNDING_DINO_WEIGHTS, **local)
        processor = load_pretrained(tf.AutoProcessor.from_pretrained, gd_path, GROUNDING_DINO_WEIGHTS, **local)
        sam_folder = transformers_folder(sam_path)
        sam, tracker = None, None
        if options.masks == "track":
            model_type = _config_model_type(sam_folder)
            if model_type != "sam2_video":
                raise ModelUnavailableError(
                    f"model {SAM2_WEIGHTS.name!r} (stage {SAM2_WEIGHTS.stage}): {sam_folder} is a {model_type!r} "
                    "checkpoint without SAM 2's memory modules; fix: the 'track' mask path needs a sam2_video "
                    "checkpoint (the original sam2 .pt + .yaml, or a transformers facebook/sam2.1-hiera-* folder), "
                    "or use masks='per_frame'"
                )
            tracker = load_pretrained(tf.Sam2VideoModel.from_pretrained, sam_folder, SAM2_WEIGHTS, **local)
        else:
            sam = load_pretrained(tf.Sam2Model.from_pretrained, sam_folder, SAM2_WEIGHTS, **local)
        mean, std = _IMAGENET_MEAN, _IMAGENET_STD
        for cfg_path in (Path(sam_folder) / "preprocessor_config.json", Path(sam_path) / "preprocessor_config.json"):
            if cfg_path.is_file():
                cfg = json.loads(cfg_path.read_text())
                mean = tuple(cfg.get("image_mean", mean))
                std = tuple(cfg.get("image_std", std))
                break
        return cls(detector, processor, sam, tracker=tracker, sam_mean=mean, sam_std=std, options=options)

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

    def _sam_inputs(self, frames: np.ndarray, boxes: np.ndarray) -> tuple[Any, Any]:
        """SAM 2 inputs: pixels (B, 3, S, S) normalised on the device, and `boxes`
        (..., 4) xyxy frame pixels scaled to the S × S input (float32 tensor, on the device)."""
        import torch
        import torch.nn.functional as F

        size = int(self.sam.config.prompt_encoder_config.image_size)
        h, w = frames.shape[1:3]
        pixels = torch.from_numpy(np.ascontiguousarray(frames[..., :3])).permute(0, 3, 1, 2).float() / 255.0
        pixels = F.interpolate(pixels, size=(size, size), mode="bilinear", align_corners=False, antialias=True)
        pixels = ((pixels - self.sam_mean) / self.sam_std).to(self.device)
        scale = torch.tensor([size / w, size / h, size / w, size / h], dtype=torch.float32)
        return pixels, (torch.from_numpy(np.asarray(boxes, np.float32)) * scale).to(self.device)

    def _masks(self, frames: np.ndarray, boxes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """SAM 2 masks of each box: (B, L, H, W) bool and predicted IoU (B, L)."""
        import torch
        import torch.nn.functional as F

        h, w = frames.shape[1:3]
        pixels, input_boxes = self._sam_inputs(frames, boxes)
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
        frames = _check_frames(frames)
        all_masks, all_scores = [], []
        for start in range(0, len(frames), self.options.batch_size):
            batch = frames[start : start + self.options.batch_size]
            boxes, box_scores = self._detect(batch, names)
            masks, iou = self._masks(batch, boxes)
            found = box_scores >= self.options.box_threshold
            masks &= found[:, :, None, None]
            all_masks.append(masks)
            all_scores.append(np.where(found, box_scores * iou, 0.0).astype(np.float32))
        return names, np.concatenate(all_masks), np.concatenate(all_scores)

    # --- tracking ------------------------------------------------------------------------

    def _start(self, frames: np.ndarray, names: list[str]) -> tuple[int, np.ndarray, np.ndarray]:
        """The start frame, its boxes (L, 4) and box probabilities (L,)."""
        n = len(frames)
        chosen = self.options.start_frame
        if chosen != "most_confident":
            if chosen >= n:
                raise InputError(f"GroundedSam2Options.start_frame {chosen} is past the orbit's last frame {n - 1}")
            boxes, scores = self._detect(frames[chosen : chosen + 1], names)
            return int(chosen), boxes[0], scores[0]
        detected = [self._detect(frames[i : i + self.options.batch_size], names)
                    for i in range(0, n, self.options.batch_size)]
        boxes = np.concatenate([b for b, _ in detected])
        scores = np.concatenate([s for _, s in detected])
        start = int(np.argmax(scores.min(axis=1)))
        return start, boxes[start], scores[start]

    def track_images(self, frames: np.ndarray, labels: Sequence[str]) -> tuple[list[str], np.ndarray, np.ndarray]:
        """Masks of `labels` tracked by SAM 2's video model around a closed orbit.

        Grounding DINO boxes each label on the start frame (`options.start_frame`);
        the labels found there (box probability ≥ `options.box_threshold`) prompt
        `Sam2VideoModel` with their boxes on that frame, and the masks are
        propagated forwards and backwards from it over the frames in orbit
        order, each direction covering half the circle.

        Args:
            frames: (N, H, W, 3) uint8 sRGB frames of one orbit, in order around it.
            labels: label texts ("person", the object name).

        Returns:
            The cleaned label names, masks (N, L, H, W) bool and confidences
            (N, L) float32: the start frame's box probability × sigmoid of SAM 2's
            object-presence logit in each frame; 0 and an empty mask where the
            label was not found on the start frame or SAM 2 finds it absent.
        """
        import torch
        import torch.nn.functional as F

        if self.tracker is None:
            raise InputError("tracking needs SAM 2's video model: construct the segmenter with tracker=Sam2VideoModel")
        tf = _import_transformers()
        names = _check_labels(labels)
        frames = _check_frames(frames)
        n, h, w = frames.shape[:3]
        masks = np.zeros((n, len(names), h, w), bool)
        scores = np.zeros((n, len(names)), np.float32)
        start, boxes, box_scores = self._start(frames, names)
        found = [li for li in range(len(names)) if box_scores[li] >= self.options.box_threshold]
        if not found:
            return names, masks, scores
        back = (n - 1) // 2
        order = [(start + k) % n for k in range(-back, n - back)]  # order[back] == start
        pixels, input_boxes = self._sam_inputs(frames[order], boxes)
        session = tf.Sam2VideoInferenceSession(
            video=pixels, video_height=h, video_width=w, inference_device=self.device,
            inference_state_device=self.device, video_storage_device=self.device, dtype=torch.float32,
        )
        for li in found:
            session.add_point_inputs(session.obj_id_to_idx(li), back, {
                "point_coords": input_boxes[li].reshape(1, 1, 2, 2),
                "point_labels": torch.tensor([[[2, 3]]], dtype=torch.int32, device=self.device),
            })
        session.obj_with_new_inputs = list(found)
        with torch.inference_mode():
            for reverse in (False, True):
                for out in self.tracker.propagate_in_video_iterator(session, start_frame_idx=back, reverse=reverse):
                    frame = order[int(out.frame_idx)]
                    logits = F.interpolate(out.pred_masks.float(), size=(h, w), mode="bilinear", align_corners=False)
                    present = out.object_score_logits.float().reshape(-1)
                    for i, li in enumerate(out.object_ids):
                        masks[frame, li] = (logits[i, 0] > self.options.mask_threshold).cpu().numpy() & bool(
                            present[i] > 0
                        )
                        scores[frame, li] = float(box_scores[li] * torch.sigmoid(present[i]))
        scores[~masks.any(axis=(2, 3))] = 0.0
        return names, masks, scores

    def segment(self, views: OrbitRender, labels: Sequence[str]) -> ViewMasks:
        """Masks of `labels` on the orbit frames: per frame or tracked
        (`options.masks`), then eroded `options.erode_iterations` times."""
        if self.options.masks == "track":
            names, masks, scores = self.track_images(views.rgb, labels)
        else:
            names, masks, scores = self.segment_images(views.rgb, labels)
        return ViewMasks(names, erode_masks(masks, self.options.erode_iterations), scores, self.name)


def _check_frames(frames: np.ndarray) -> np.ndarray:
    frames = np.asarray(frames)
    if frames.ndim != 4 or frames.shape[3] < 3 or frames.dtype != np.uint8:
        raise InputError(f"frames must be (N, H, W, 3) uint8, got {frames.shape} {frames.dtype}")
    return frames[..., :3]


def erode_masks(masks: np.ndarray, iterations: int) -> np.ndarray:
    """Binary erosion of every (H, W) mask by a 3 × 3 square, `iterations` times
    (OpenCV's `cv2.erode(mask, np.ones((3, 3)), iterations=k)`: pixels outside the
    image count as set, so the border does not erode).

    Args:
        masks: (..., H, W) bool.
        iterations: 0 returns `masks` unchanged.

    Returns:
        (..., H, W) bool.
    """
    masks = np.asarray(masks, dtype=bool)
    if iterations <= 0:
        return masks
    from scipy.ndimage import binary_erosion

    structure = np.ones((3, 3), bool)
    out = np.empty_like(masks)
    for index in np.ndindex(*masks.shape[:-2]):
        out[index] = binary_erosion(masks[index], structure, iterations=iterations, border_value=1)
    return out


def _config_model_type(folder: Path) -> str:
    """`model_type` of a transformers folder's `config.json` ("" when unreadable)."""
    try:
        return str(json.loads((Path(folder) / "config.json").read_text(encoding="utf-8")).get("model_type", ""))
    except (OSError, ValueError, AttributeError):
        return ""


def image_model_of(video: Any) -> Any:
    """The `Sam2Model` inside a `Sam2VideoModel`: vision encoder, prompt encoder and
    mask decoder (and the two embeddings they use), sharing the video model's
    tensors (no copy; built on the meta device, then assigned)."""
    from accelerate import init_empty_weights

    tf = _import_transformers()
    config = tf.Sam2Config(
        vision_config=video.config.vision_config.to_dict(),
        prompt_encoder_config=video.config.prompt_encoder_config.to_dict(),
        mask_decoder_config=video.config.mask_decoder_config.to_dict(),
    )
    with init_empty_weights():
        image = tf.Sam2Model(config)
    sd = video.state_dict()
    image.load_state_dict({k: sd[k] for k in image.state_dict()}, strict=True, assign=True)
    return image.eval()


def resolve_grounded_sam2(
    detector_dir: str | os.PathLike[str] | None = None, sam_dir: str | os.PathLike[str] | None = None
) -> tuple[Path, Path]:
    """The folders of Grounding DINO (transformers format) and SAM 2 (original sam2
    checkpoint + yaml, or transformers format); transformers not imported, nothing converted.

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
