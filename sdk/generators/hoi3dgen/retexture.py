"""Stage 2b of the `hoi3dgen` chain: depth-conditioned re-texturing with FLUX.1-Depth [dev].

`FluxDepthRetexturer` implements `protocols.Retexturer` with diffusers'
`FluxControlPipeline` (lock entry "flux1-depth-dev", diffusers layout: CLIP-L and
T5-XXL text encoders, the FLUX VAE, the 12B transformer whose input is the noisy
latent concatenated with the VAE latent of the control image, and a flow-matching
Euler scheduler).

The control image is the depth map (`protocols.DepthEstimator`: (H, W) float32 in
[0, 1], larger = nearer, i.e. near is white) replicated to three channels, which is
the form FLUX.1-Depth was trained on (Depth Anything output as a grey image). A
depth map of another size than the requested output is resized to it (bilinear;
stretched if the aspect ratios differ) before it is encoded.

HOI3DGen's release (agshar96/Hoi3DGen `scripts/flux/retexture_depth_images.py`)
calls `FluxControlPipeline.from_pretrained("black-forest-labs/FLUX.1-Depth-dev",
torch_dtype=torch.bfloat16)` once per image with the 8-bit depth PNG of
`create_depth_images.py` read back as RGB (`DepthOptions.quantize_8bit` gives the
same values), height = width = 1024, `num_inference_steps=30`,
`guidance_scale=10.0`, the pipeline's default 512 T5 tokens and
`generator=torch.Generator().manual_seed(42)` (a CPU generator, as
`Runtime.generator`). `RetextureOptions()` holds exactly those values; the seed
is the caller's (`views.view_seed`: "fixed" = 42 for every image as released,
"per_view" = seed + k). The prompt is composed by the caller
(`views.retexture_prompt`: the `prompts.txt` line + ". White Background,
PhotoRealistic, High Detail, Realistic Looking.").
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from hoiexport.sdk.core.errors import InputError, ModelUnavailableError
from hoiexport.sdk.generators.hoi3dgen.runtime import Runtime
from hoiexport.sdk.models import GPU_EXTRA_HINT, ModelRef, RequiredPaths, load_pretrained, resolve_weights

if TYPE_CHECKING:
    import torch
    # From the defining modules: mypy reads diffusers' top-level names as its torch-less dummy classes.
    from diffusers.models.autoencoders.autoencoder_kl import AutoencoderKL
    from diffusers.models.transformers.transformer_flux import FluxTransformer2DModel
    from diffusers.schedulers.scheduling_flow_match_euler_discrete import FlowMatchEulerDiscreteScheduler
    from transformers import CLIPTextModel, CLIPTokenizer, T5EncoderModel
    from transformers import T5TokenizerFast  # type: ignore[attr-defined]  # transformers 5: a lazy alias

LOCK_ENTRY = "flux1-depth-dev"
"""The `third_party_models.lock` entry `from_pretrained(None, ...)` resolves."""
WEIGHTS = ModelRef(
    LOCK_ENTRY,
    "retexture",
    RequiredPaths("the folder of a diffusers-format FLUX.1-Depth-dev", files=("model_index.json",)),
)
"""Where `FluxDepthRetexturer.from_pretrained` finds its weights."""

@dataclass(frozen=True)
class RetextureOptions:
    """Defaults of `FluxDepthRetexturer.retexture`; every default is HOI3DGen's
    (`scripts/flux/retexture_depth_images.py`, see the module docstring).

    Attributes:
        steps: denoising steps (official: 30).
        guidance: FLUX's distilled guidance scale (official: 10).
        height, width: output pixels (official: 1024 × 1024); multiples of 16 for
            FLUX (VAE factor 8 × 2×2 latent packing).
        max_sequence_length: T5 prompt tokens (512, FLUX.1 [dev]'s maximum and the
            pipeline default the release leaves in place).
    """

    steps: int = 30
    guidance: float = 10.0
    height: int = 1024
    width: int = 1024
    max_sequence_length: int = 512

    def __post_init__(self) -> None:
        for name in ("steps", "height", "width", "max_sequence_length"):
            value = getattr(self, name)
            if not isinstance(value, int) or value < 1:
                raise InputError(f"RetextureOptions.{name} must be a positive integer, got {value!r}")
        if self.max_sequence_length > 512:
            raise InputError(f"RetextureOptions.max_sequence_length must be ≤ 512, got {self.max_sequence_length}")
        if not math.isfinite(self.guidance) or self.guidance < 0:
            raise InputError(f"RetextureOptions.guidance must be a finite number ≥ 0, got {self.guidance!r}")


def _check_depth(depth: np.ndarray) -> None:
    if not isinstance(depth, np.ndarray):
        raise InputError(f"depth must be a numpy array (H, W) float32 in [0, 1], got {type(depth).__name__}")
    if depth.ndim != 2:
        raise InputError(
            f"depth must have shape (H, W), got {depth.shape}; pass one depth map (DepthEstimator.estimate)"
        )
    if depth.shape[0] < 2 or depth.shape[1] < 2:
        raise InputError(f"depth map is too small: shape {depth.shape}, need at least 2 × 2 pixels")
    if not np.issubdtype(depth.dtype, np.floating):
        raise InputError(
            f"depth must be floating point in [0, 1], got dtype {depth.dtype}; divide 8/16-bit depth images by "
            "their maximum (255 / 65535) first"
        )
    if not np.isfinite(depth).all():
        raise InputError(f"depth has {int((~np.isfinite(depth)).sum())} NaN/inf values; it must be finite in [0, 1]")
    lo, hi = float(depth.min()), float(depth.max())
    if lo < 0.0 or hi > 1.0:
        raise InputError(
            f"depth values must lie in [0, 1] (larger = nearer), got [{lo:.4g}, {hi:.4g}]; min-max normalise it"
        )


class FluxDepthRetexturer:
    """FLUX.1-Depth [dev] (`FluxControlPipeline`) as a `protocols.Retexturer`.

    Built from the pipeline's components (tests pass tiny random ones; weights come
    through `from_pretrained`). The pipeline is moved to `runtime`'s device and dtype,
    or put under diffusers' model CPU offload when `runtime.offload`.

    Args:
        scheduler, vae, text_encoder, tokenizer, text_encoder_2, tokenizer_2, transformer:
            the `FluxControlPipeline` components (CLIP text encoder/tokenizer, T5
            encoder/tokenizer). `transformer.config.in_channels` must be 2 × 4 ×
            `vae.config.latent_channels` (noisy latent + control latent, 2×2-packed).
        runtime: device, dtype, offload.
        options: defaults of `retexture` (`RetextureOptions`).
    """

    def __init__(
        self,
        *,
        scheduler: FlowMatchEulerDiscreteScheduler,
        vae: AutoencoderKL,
        text_encoder: CLIPTextModel,
        tokenizer: CLIPTokenizer,
        text_encoder_2: T5EncoderModel,
        tokenizer_2: T5TokenizerFast,
        transformer: FluxTransformer2DModel,
        runtime: Runtime,
        options: RetextureOptions | None = None,
    ) -> None:
        from diffusers import FluxControlPipeline

        # Any: diffusers types `config` as a dict; it is a FrozenDict whose keys are also attributes
        vae_config: Any = vae.config
        transformer_config: Any = transformer.config
        expected = 2 * 4 * int(vae_config.latent_channels)
        if int(transformer_config.in_channels) != expected:
            raise InputError(
                f"FLUX depth transformer in_channels={transformer_config.in_channels} does not fit the VAE's "
                f"{vae_config.latent_channels} latent channels: a control transformer takes 2 × 4 × latent channels "
                f"= {expected} (FLUX.1-Depth: 128)"
            )
        # Any: mypy reads diffusers' top-level FluxControlPipeline as its torch-less dummy class
        pipe: Any = FluxControlPipeline(
            scheduler=scheduler,
            vae=vae,
            text_encoder=text_encoder,
            tokenizer=tokenizer,
            text_encoder_2=text_encoder_2,
            tokenizer_2=tokenizer_2,
            transformer=transformer,
        )
        pipe.set_progress_bar_config(disable=True)
        for module in (vae, text_encoder, text_encoder_2, transformer):
            module.eval()  # modules built in code start in training mode (T5 dropout)
            if module.dtype != runtime.dtype:
                module.to(dtype=runtime.dtype)  # type: ignore[call-arg]  # `to` typed through functools.wraps
        if runtime.offload:
            pipe.enable_model_cpu_offload(device=runtime.torch_device)
        else:
            pipe.to(runtime.torch_device)
        self.pipeline = pipe
        self.runtime = runtime
        self.options = options or RetextureOptions()

    @classmethod
    def from_pretrained(
        cls, folder: str | os.PathLike[str] | None, runtime: Runtime, options: RetextureOptions | None = None
    ) -> FluxDepthRetexturer:
        """Load FLUX.1-Depth [dev] in diffusers layout (safetensors).

        Args:
            folder: the model folder (with `model_index.json`); None resolves lock entry
                "flux1-depth-dev" under `HOIEXPORT_MODELS` (checking it against the lock).
            runtime: device, dtype, offload.
            options: defaults of `retexture`.

        Raises:
            ModelUnavailableError: the folder or a component is missing or unreadable.
        """
        folder = resolve_weights(WEIGHTS, folder)
        try:
            from diffusers import FluxControlPipeline
        except ImportError:
            raise ModelUnavailableError(f"FLUX re-texturing needs diffusers: run {GPU_EXTRA_HINT}") from None
        pipe = load_pretrained(FluxControlPipeline.from_pretrained, folder, WEIGHTS, dtype=runtime.dtype)
        return cls(**pipe.components, runtime=runtime, options=options)

    @property
    def size_multiple(self) -> int:
        """Output sides must be multiples of this (VAE downscale × 2×2 packing; 16 for FLUX)."""
        return int(self.pipeline.vae_scale_factor) * 2

    def control_image(self, depth: np.ndarray, height: int, width: int) -> torch.Tensor:
        """The control image for `depth`.

        Args:
            depth: (H, W) float in [0, 1], larger = nearer.
            height, width: output pixels.

        Returns:
            (1, 3, height, width) float32 on the CPU in [-1, 1] (the VAE's input range):
            grey, near = white; bilinearly resized when (H, W) != (height, width).
        """
        import torch
        import torch.nn.functional as F

        _check_depth(depth)
        d = torch.from_numpy(np.ascontiguousarray(depth, dtype=np.float32))[None, None]
        if tuple(d.shape[2:]) != (height, width):
            d = F.interpolate(d, size=(height, width), mode="bilinear", align_corners=False).clamp_(0.0, 1.0)
        return (d * 2.0 - 1.0).expand(1, 3, height, width).contiguous()

    def retexture(
        self,
        prompt: str,
        depth: np.ndarray,
        *,
        seed: int,
        height: int | None = None,
        width: int | None = None,
        steps: int | None = None,
        guidance: float | None = None,
    ) -> np.ndarray:
        """A new image with `depth`'s layout, textured as `prompt` says.

        Args:
            prompt: the re-texturing prompt (`views.retexture_prompt(description)`).
            depth: (H, W) float in [0, 1], larger = nearer; resized to the output size
                when it differs (bilinear, stretched if the aspect ratio differs).
            seed: generator seed (CPU generator: the same on CPU and GPU).
            height, width: output pixels, multiples of `size_multiple`; None →
                `options.height` / `options.width`.
            steps: denoising steps; None → `options.steps`.
            guidance: guidance scale; None → `options.guidance`.

        Returns:
            (height, width, 3) uint8 sRGB.

        Raises:
            InputError: empty prompt, a depth map that is not (H, W) finite floats in
                [0, 1], a size that is not a positive multiple of `size_multiple`, or
                steps < 1 / a negative guidance.
        """
        import torch

        opts = self.options
        height = opts.height if height is None else height
        width = opts.width if width is None else width
        steps = opts.steps if steps is None else steps
        guidance = opts.guidance if guidance is None else guidance
        if not isinstance(prompt, str) or not prompt.strip():
            raise InputError(f"re-texturing prompt must be a non-empty string, got {prompt!r}")
        m = self.size_multiple
        for name, value in (("height", height), ("width", width)):
            if not isinstance(value, int) or value < m or value % m:
                raise InputError(f"re-texturing {name} must be a positive multiple of {m} pixels, got {value!r}")
        if not isinstance(steps, int) or steps < 1:
            raise InputError(f"re-texturing steps must be an integer ≥ 1, got {steps!r}")
        if not math.isfinite(guidance) or guidance < 0:
            raise InputError(f"re-texturing guidance must be a finite number ≥ 0, got {guidance!r}")
        control = self.control_image(depth, height, width)
        with torch.inference_mode():
            out = self.pipeline(
                prompt=prompt,
                control_image=control,
                height=height,
                width=width,
                num_inference_steps=steps,
                guidance_scale=float(guidance),
                generator=self.runtime.generator(seed),
                max_sequence_length=opts.max_sequence_length,
                output_type="np",
            ).images
        image = np.asarray(out[0], dtype=np.float32)
        return np.clip(np.round(image * 255.0), 0, 255).astype(np.uint8)
