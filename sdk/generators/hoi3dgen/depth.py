"""Stage 2a of the `hoi3dgen` chain: monocular depth with Depth Anything.

`DepthAnythingEstimator` implements `protocols.DepthEstimator` with transformers'
`DepthAnythingForDepthEstimation`. Two weights are pinned (`DEPTH_MODELS`,
picked by `DepthOptions.model`):

- "v1-large" (default): lock entry "depth-anything-large",
  LiheYoung/depth-anything-large-hf, Depth Anything V1-Large, Apache-2.0. The
  one HOI3DGen's release runs (agshar96/Hoi3DGen
  `scripts/flux/create_depth_images.py`: the transformers "depth-estimation"
  pipeline on that repository, its `output["depth"]` saved as an 8-bit PNG).
- "v2-large": lock entry "depth-anything-v2-large",
  depth-anything/Depth-Anything-V2-Large-hf, CC-BY-NC-4.0 (non-commercial).

Preprocessing is done here in torch, not by transformers' image processors
(whose fast path needs torchvision); it follows the DPT image processor both
repositories configure:

1. resize, keeping the aspect ratio, so that both sides are at least the model's
   input size (518) and multiples of its patch size (14) — Depth Anything's own
   "lower_bound" rule — with antialiased bicubic resampling;
2. scale to [0, 1] and normalise with the ImageNet mean / std;
3. run the model, resize its relative inverse depth back to the input size
   (`DepthOptions.resample`; bicubic as transformers' `post_process_depth_estimation`)
   and min-max normalise it to [0, 1] (larger = nearer);
4. with `DepthOptions.quantize_8bit`, keep only the 256 levels of the release's
   PNG: ⌊255·d⌋ / 255, the pipeline's `(depth * 255).astype("uint8")` (transformers
   4.49, the version HOI3DGen's Install.md pins) read back as [0, 1].

Size, mean and std come from the weights folder's `preprocessor_config.json` when
it is there and no options are given (`DepthOptions.from_preprocessor_config`).
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Literal, cast, get_args

import numpy as np

from hoiexport.sdk.core.errors import InputError, ModelUnavailableError
from hoiexport.sdk.generators.hoi3dgen.runtime import Runtime
from hoiexport.sdk.models import GPU_EXTRA_HINT, ModelRef, RequiredPaths, load_pretrained, resolve_weights

if TYPE_CHECKING:
    import torch
    from transformers import DepthAnythingForDepthEstimation

DepthModelName = Literal["v1-large", "v2-large"]
"""Which Depth Anything weights run (`DEPTH_MODELS`)."""

_FILES = ("config.json", "model.safetensors")

DEPTH_MODELS: dict[DepthModelName, ModelRef] = {
    "v1-large": ModelRef(
        "depth-anything-large",
        "depth",
        RequiredPaths("a transformers-format Depth Anything (V1) Large folder", files=_FILES),
    ),
    "v2-large": ModelRef(
        "depth-anything-v2-large",
        "depth",
        RequiredPaths("a transformers-format Depth-Anything-V2 folder", files=_FILES),
    ),
}
"""Model name → the lock entry and folder layout `from_pretrained` resolves."""

DEFAULT_MODEL: DepthModelName = "v1-large"
"""HOI3DGen's depth model (`create_depth_images.py`), Apache-2.0."""

WEIGHTS = DEPTH_MODELS[DEFAULT_MODEL]
"""Where `DepthAnythingEstimator.from_pretrained` finds the default weights."""
LOCK_ENTRY = WEIGHTS.name
"""The `third_party_models.lock` entry `from_pretrained(None, ...)` resolves by default."""

Resample = Literal["bicubic", "bilinear"]
"""How the network's depth is resized back to the image (`torch.nn.functional.interpolate` mode)."""

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


@dataclass(frozen=True)
class DepthOptions:
    """Which weights run, and how images and depth maps are prepared.

    Attributes:
        model: the weights (`DEPTH_MODELS`): "v1-large" (HOI3DGen's, Apache-2.0;
            default) or "v2-large" (CC-BY-NC-4.0).
        height, width: minimum network input size, pixels (Depth Anything: 518 × 518);
            the image is scaled, keeping its aspect ratio, until both sides reach it.
        multiple_of: network input sides are rounded to a multiple of this (the ViT
            patch size, 14; must be a multiple of the model's patch size).
        mean, std: per-channel normalisation of [0, 1] RGB (ImageNet values).
        resample: how the prediction is resized to the image ("bicubic": transformers'
            `post_process_depth_estimation`, the release's path; or "bilinear").
        quantize_8bit: keep only the 256 levels of the release's 8-bit depth PNG
            (⌊255·d⌋ / 255); off keeps full float precision.
    """

    model: DepthModelName = DEFAULT_MODEL
    height: int = 518
    width: int = 518
    multiple_of: int = 14
    mean: tuple[float, float, float] = IMAGENET_MEAN
    std: tuple[float, float, float] = IMAGENET_STD
    resample: Resample = "bicubic"
    quantize_8bit: bool = False

    def __post_init__(self) -> None:
        if self.model not in DEPTH_MODELS:
            raise InputError(f"DepthOptions.model {self.model!r} is unknown: use one of {', '.join(DEPTH_MODELS)}")
        if self.resample not in get_args(Resample):
            raise InputError(f"DepthOptions.resample {self.resample!r} is unknown: use one of {get_args(Resample)}")
        if not isinstance(self.quantize_8bit, bool):
            raise InputError(f"DepthOptions.quantize_8bit must be true or false, got {self.quantize_8bit!r}")
        for name in ("height", "width", "multiple_of"):
            value = getattr(self, name)
            if not isinstance(value, int) or value < 1:
                raise InputError(f"DepthOptions.{name} must be a positive integer, got {value!r}")
        for name in ("mean", "std"):
            value = getattr(self, name)
            if len(value) != 3 or not all(math.isfinite(float(v)) for v in value):
                raise InputError(f"DepthOptions.{name} must be 3 finite numbers (R, G, B), got {value!r}")
        if min(self.std) <= 0:
            raise InputError(f"DepthOptions.std must be positive, got {self.std!r}")

    @classmethod
    def from_preprocessor_config(
        cls, path: str | os.PathLike[str], base: DepthOptions | None = None
    ) -> DepthOptions:
        """Options from a transformers `preprocessor_config.json` (DPT image processor keys:
        `size` {height, width}, `ensure_multiple_of`, `image_mean`, `image_std`).

        Args:
            path: the file.
            base: the options whose preprocessing fields the file replaces (model,
                resampling and quantisation are kept); None = `DepthOptions()`.
                Keys the file lacks keep `base`'s values.

        Raises:
            ModelUnavailableError: the file is unreadable or not a JSON object of that form.
        """
        base = base or cls()
        path = Path(path)
        try:
            cfg = json.loads(path.read_text(encoding="utf-8"))
            if not isinstance(cfg, dict):
                raise TypeError("not a JSON object")
            kwargs: dict = {}
            size = cfg.get("size")
            if isinstance(size, dict) and "height" in size and "width" in size:
                kwargs["height"], kwargs["width"] = int(size["height"]), int(size["width"])
            elif isinstance(size, int):
                kwargs["height"] = kwargs["width"] = size
            if cfg.get("ensure_multiple_of") is not None:
                kwargs["multiple_of"] = int(cfg["ensure_multiple_of"])
            if cfg.get("do_normalize", True):
                if cfg.get("image_mean") is not None:
                    kwargs["mean"] = tuple(float(v) for v in cfg["image_mean"])
                if cfg.get("image_std") is not None:
                    kwargs["std"] = tuple(float(v) for v in cfg["image_std"])
            else:
                kwargs["mean"], kwargs["std"] = (0.0, 0.0, 0.0), (1.0, 1.0, 1.0)
            return replace(base, **kwargs)
        except (OSError, ValueError, TypeError, InputError) as exc:
            raise ModelUnavailableError(
                f"cannot read Depth Anything preprocessor config {path}: {exc}; re-download it with "
                f"`hoiexport models fetch {DEPTH_MODELS[base.model].name}`"
            ) from exc

    def network_size(self, height: int, width: int) -> tuple[int, int]:
        """Network input (height, width) for an image of `height` × `width` pixels.

        The smallest aspect-preserving scale with both sides ≥ (`self.height`,
        `self.width`), each side then rounded to the nearest multiple of
        `multiple_of`, rounded up where rounding would fall below the minimum.
        """
        scale = max(self.height / height, self.width / width)

        def snap(value: float, minimum: int) -> int:
            m = self.multiple_of
            out = round(value / m) * m
            return out if out >= minimum else math.ceil(value / m) * m

        return snap(scale * height, self.height), snap(scale * width, self.width)


def _check_image(image: np.ndarray) -> None:
    if not isinstance(image, np.ndarray):
        raise InputError(f"depth input image must be a numpy array (H, W, 3) uint8, got {type(image).__name__}")
    if image.ndim != 3 or image.shape[2] != 3:
        raise InputError(
            f"depth input image must have shape (H, W, 3) (RGB), got {image.shape}; "
            "convert greyscale or RGBA images to RGB first"
        )
    if image.dtype != np.uint8:
        raise InputError(
            f"depth input image must be uint8 sRGB (0-255), got dtype {image.dtype}; "
            "convert with (np.clip(x, 0, 1) * 255).round().astype(np.uint8)"
        )
    if image.shape[0] < 1 or image.shape[1] < 1:
        raise InputError(f"depth input image is empty: shape {image.shape}")


class DepthAnythingEstimator:
    """Depth Anything V1 / V2 (transformers `DepthAnythingForDepthEstimation`) as a
    `protocols.DepthEstimator`.

    Args:
        model: the network (any size; tests build a tiny random one).
        runtime: device and dtype; the model is moved there.
        options: preprocessing and post-processing (`DepthOptions`); its `model`
            field only names the weights (`from_pretrained` loads them).
    """

    def __init__(
        self, model: DepthAnythingForDepthEstimation, runtime: Runtime, options: DepthOptions | None = None
    ) -> None:
        options = options or DepthOptions()
        patch = int(cast(int, model.config.patch_size))  # typed int | list | tuple; V1 / V2 configs carry an int
        if options.multiple_of % patch:
            raise InputError(
                f"DepthOptions.multiple_of={options.multiple_of} is not a multiple of the model's patch size {patch}"
            )
        # transformers types PreTrainedModel.to through functools.wraps, which loses `self`
        self.model = model.to(device=runtime.torch_device, dtype=runtime.dtype).eval()  # type: ignore[call-arg]
        self.runtime = runtime
        self.options = options

    @classmethod
    def from_pretrained(
        cls, folder: str | os.PathLike[str] | None, runtime: Runtime, options: DepthOptions | None = None
    ) -> DepthAnythingEstimator:
        """Load transformers-format weights (`config.json`, `model.safetensors`).

        Args:
            folder: the model folder; None resolves the lock entry of `options.model`
                (default "depth-anything-large", V1-Large) under `HOIEXPORT_MODELS`,
                checking it against the lock.
            runtime: device and dtype.
            options: which weights and how to prepare images; None = `DepthOptions()`
                with the preprocessing of the folder's `preprocessor_config.json`
                when present. Given options are used as they are.

        Raises:
            ModelUnavailableError: the folder or a weight file is missing or unreadable.
        """
        chosen = options or DepthOptions()
        ref = DEPTH_MODELS[chosen.model]
        folder = resolve_weights(ref, folder)
        try:
            from transformers import DepthAnythingForDepthEstimation
        except ImportError:
            raise ModelUnavailableError(f"Depth Anything needs transformers: run {GPU_EXTRA_HINT}") from None
        pre = folder / "preprocessor_config.json"
        if options is None and pre.is_file():
            chosen = DepthOptions.from_preprocessor_config(pre, chosen)
        model = load_pretrained(DepthAnythingForDepthEstimation.from_pretrained, folder, ref, dtype=runtime.dtype)
        return cls(model, runtime, chosen)

    def preprocess(self, image: np.ndarray) -> torch.Tensor:
        """The network input for `image`.

        Args:
            image: (H, W, 3) uint8 sRGB.

        Returns:
            (1, 3, h, w) float32 on the CPU, normalised; (h, w) = `options.network_size(H, W)`.
        """
        import torch
        import torch.nn.functional as F

        _check_image(image)
        h, w = self.options.network_size(image.shape[0], image.shape[1])
        x = torch.from_numpy(np.ascontiguousarray(image)).permute(2, 0, 1)[None].to(torch.float32) / 255.0
        if (h, w) != tuple(x.shape[2:]):
            x = F.interpolate(x, size=(h, w), mode="bicubic", align_corners=False, antialias=True)
        mean = torch.tensor(self.options.mean, dtype=torch.float32).view(1, 3, 1, 1)
        std = torch.tensor(self.options.std, dtype=torch.float32).view(1, 3, 1, 1)
        return (x - mean) / std

    def estimate(self, image: np.ndarray) -> np.ndarray:
        """Relative depth of `image`.

        Args:
            image: (H, W, 3) uint8 sRGB.

        Returns:
            (H, W) float32 in [0, 1], larger = nearer (Depth Anything's relative inverse
            depth, resized with `options.resample` and min-max normalised over the
            image; multiples of 1/255 with `options.quantize_8bit`); all zeros where the
            prediction is constant (no depth contrast), never NaN.

        Raises:
            InputError: `image` is not an (H, W, 3) uint8 array.
        """
        import torch
        import torch.nn.functional as F

        x = self.preprocess(image).to(device=self.runtime.torch_device, dtype=self.runtime.dtype)
        with torch.inference_mode():
            pred = self.model(pixel_values=x).predicted_depth  # (1, h, w), relative inverse depth
        pred = pred[:, None].to(torch.float32)
        pred = F.interpolate(pred, size=image.shape[:2], mode=self.options.resample, align_corners=False)[0, 0]
        lo, hi = pred.min(), pred.max()
        span = float(hi - lo)
        if not math.isfinite(span):
            raise RuntimeError("Depth Anything produced non-finite depth; check the weights and the precision")
        if span <= 1e-12 * max(1.0, float(hi.abs())):
            return np.zeros(image.shape[:2], dtype=np.float32)
        depth = ((pred - lo) / span).clamp_(0.0, 1.0)
        if self.options.quantize_8bit:
            depth = torch.floor(depth * 255.0) / 255.0
        return depth.cpu().numpy().astype(np.float32, copy=False)
