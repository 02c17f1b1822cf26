"""CameraHMR (the real `CameraHMRNet` classes) with random weights, tiny (tests of
the body regressor stage and the `hoi3dgen` chain) or full size (`benchmarks/gpu_chain.py`).

"tiny": a 2-block, 80-wide (one head) ViT on 32 × 24 crops and a 2-layer, 32-wide
decoder head (one 64-channel head): sizes the loader can read back from the tensor
shapes alone (`camerahmr_net.infer_config`: the released model's head widths and
4 : 3 patch grid), so `write_camerahmr`'s file loads with `from_pretrained(None, ...)`.

"full": `CameraHMRConfig()` defaults, which are the released model's
(pixelite1201/CameraHMR: `core/backbones/vit.py` `vit()` — ViT-H/16, img_size
(256, 192), embed 1280, depth 32, heads 16, mlp_ratio 4, qkv_bias;
`core/constants.py` TRANSFORMER_DECODER — depth 6, heads 8, dim_head 64, mlp_dim
1024, context_dim 1280; `core/heads/smpl_head_cliff.py` — decoder width 1024):
670.7 M parameters. Input: 256 × 256 person crops (the backbone sees 256 × 192).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from pathlib import Path

import torch
from hoiexport.sdk.generators.hoi3dgen.camerahmr_net import CameraHMRConfig, CameraHMRNet
from hoiexport.sdk.generators.hoi3dgen.regressor import CHECKPOINT_FILE, LOCK_ENTRY, CameraHMRRegressor
from hoiexport.sdk.generators.hoi3dgen.runtime import Runtime

from tests.builders.sizes import Size, building

SIZES: dict[Size, CameraHMRConfig] = {
    # 32 × 32 crops (backbone 32 × 24, a 4 × 3 patch grid) instead of 256 × 256
    "tiny": CameraHMRConfig(
        crop_size=32,
        backbone_width=24,
        patch_size=8,
        patch_padding=2,
        embed_dim=80,
        depth=2,
        num_heads=1,
        mlp_ratio=2.0,
        decoder_dim=32,
        decoder_depth=2,
        decoder_heads=1,
        decoder_dim_head=64,
        decoder_mlp_dim=64,
    ),
    "full": CameraHMRConfig(),
}
"""CameraHMR at each size (full: see the module docstring for sources)."""


def camerahmr_net(size: Size, *, seed: int = 0, device: str | torch.device = "cpu") -> CameraHMRNet:
    """`CameraHMRNet(SIZES[size])` with weights seeded by `seed` (the global torch
    RNG is left as it was), created on `device` ("meta" allocates nothing), in
    eval mode.

    The read-out layers are scaled by 0.01 (as HMR 2.0 initialises its decoders)
    so outputs stay near the mean parameters: an upright person facing the
    camera, camera scale ≈ 0.9 (and > 0 at any size).
    """
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        with building(device):
            net = CameraHMRNet(SIZES[size])
    with torch.no_grad():
        for layer in (net.smpl_head.decpose, net.smpl_head.decshape, net.smpl_head.deccam, net.smpl_head.deckp):
            layer.weight.mul_(0.01)
            layer.bias.mul_(0.01)
    return net.eval()


def build_regressor(size: Size, runtime: Runtime, *, device: str | torch.device = "cpu") -> CameraHMRRegressor:
    """A `CameraHMRRegressor` over `camerahmr_net(size, device=device)` on `runtime`."""
    return CameraHMRRegressor(camerahmr_net(size, device=device), runtime)


def write_camerahmr(models_dir: Path, *, seed: int = 0) -> Path:
    """The lock entry "camerahmr" with a tiny random CameraHMR, in the released layout.

    `<models_dir>/camerahmr/camerahmr_checkpoint_cleaned.ckpt`: a PyTorch Lightning
    checkpoint (a torch pickle of plain containers and tensors) whose 'state_dict'
    holds the LightningModule's attributes — the network under `backbone.` and
    `smpl_head.` (SMPL mean parameters in the head's `init_*` buffers), plus
    training-module entries the loader drops (`cam_model.` FLNet, `smpl.` layer
    buffers) — next to Lightning's bookkeeping keys (pixelite1201/CameraHMR
    `core/camerahmr_model.py`: attributes `backbone`, `smpl_head`).

    Args:
        models_dir: the fake `$HOIEXPORT_MODELS`.
        seed: weight seed (`camerahmr_net("tiny", seed=seed)`).

    Returns:
        The entry folder.
    """
    folder = Path(models_dir) / LOCK_ENTRY
    folder.mkdir(parents=True, exist_ok=True)
    net = camerahmr_net("tiny", seed=seed)
    sd = {k: v.detach().clone() for k, v in net.state_dict().items()}
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        sd["cam_model.backbone.conv1.weight"] = torch.randn(8, 3, 3, 3)
        sd["cam_model.fc1.weight"] = torch.randn(8, 4)
    sd["smpl.faces_tensor"] = torch.zeros(4, 3, dtype=torch.long)
    torch.save({"epoch": 3, "global_step": 1200, "pytorch-lightning_version": "2.1.0", "state_dict": sd},
               folder / CHECKPOINT_FILE)
    return folder


# The tiny size, under the names the tests call.
TINY_CONFIG = SIZES["tiny"]
tiny_camerahmr_net = partial(camerahmr_net, "tiny")
tiny_regressor = partial(build_regressor, "tiny")


LOCK_WRITERS: dict[str, Callable[[Path], Path]] = {LOCK_ENTRY: write_camerahmr}
"""Lock entry → the function that writes it tiny under a models dir."""
