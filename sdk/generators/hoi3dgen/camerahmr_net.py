"""The CameraHMR network in plain torch (DESIGN §7 stage 6, lock entry "camerahmr").

CameraHMR (Patel & Black, 3DV 2025; code: github.com/pixelite1201/CameraHMR,
`core/camerahmr_model.py`, `core/backbones/vit.py`, `core/heads/smpl_head_cliff.py`,
`core/components/pose_transformer.py`) is an HMR 2.0-style regressor:

1. Input: a square crop of the person, S × S (S = 256), RGB, ImageNet-normalised;
   its centre S × (S - 64) columns (256 × 192) go to the backbone.
2. Backbone: ViTPose-style ViT-H/16 (1280 wide, 32 blocks, 16 heads, MLP 4×,
   qkv bias, LayerNorm eps 1e-6, a patch-embedding conv with padding 2, an
   absolute position embedding with a class-token slot that is added to every
   patch, a final LayerNorm) → a 16 × 12 grid of 1280-d features.
3. Head (`SMPLTransformerDecoderHead`): ONE query token = [bbox_info (3), mean
   pose (24 × 6D), mean betas (10), mean camera (3)] (160 values, CLIFF-style
   box information: box centre offset from the image centre and box size, each
   divided by the focal length), embedded to 1024, then 6 decoder layers of
   pre-norm self-attention, cross-attention to the image tokens (8 heads × 64)
   and a GELU MLP (1024); linear read-outs add to the mean parameters: pose
   (24 × 6D → rotation matrices, Zhou et al. 2019), betas (10), weak-perspective
   camera (s, tx, ty), and 44 2-D keypoints (unused here).

Module names mirror the reference code so the released Lightning checkpoint's
`state_dict` loads with `strict=True` (the LightningModule's attributes are
`backbone` and `smpl_head`; training-only attributes are dropped by the loader,
`regressor.prepare_state_dict`). Key layout, full size (shapes):

    backbone.patch_embed.proj.weight                       (1280, 3, 16, 16)
    backbone.patch_embed.proj.bias                         (1280,)
    backbone.pos_embed                                     (1, 193, 1280)
    backbone.blocks.{0..31}.norm1.{weight,bias}            (1280,)
    backbone.blocks.{i}.attn.qkv.{weight,bias}             (3840, 1280), (3840,)
    backbone.blocks.{i}.attn.proj.{weight,bias}            (1280, 1280), (1280,)
    backbone.blocks.{i}.norm2.{weight,bias}                (1280,)
    backbone.blocks.{i}.mlp.fc1.{weight,bias}              (5120, 1280), (5120,)
    backbone.blocks.{i}.mlp.fc2.{weight,bias}              (1280, 5120), (1280,)
    backbone.last_norm.{weight,bias}                       (1280,)
    smpl_head.init_body_pose                               (1, 144)  buffer (smpl_mean_params.npz 'pose')
    smpl_head.init_betas                                   (1, 10)   buffer ('shape')
    smpl_head.init_cam                                     (1, 3)    buffer ('cam')
    smpl_head.transformer.to_token_embedding.{weight,bias} (1024, 160), (1024,)
    smpl_head.transformer.pos_embedding                    (1, 1, 1024)
    smpl_head.transformer.transformer.layers.{0..5}.0.norm.{weight,bias}     (1024,)
    smpl_head.transformer.transformer.layers.{l}.0.fn.to_qkv.weight          (1536, 1024)
    smpl_head.transformer.transformer.layers.{l}.0.fn.to_out.0.{weight,bias} (1024, 512), (1024,)
    smpl_head.transformer.transformer.layers.{l}.1.norm.{weight,bias}        (1024,)
    smpl_head.transformer.transformer.layers.{l}.1.fn.to_kv.weight           (1024, 1280)
    smpl_head.transformer.transformer.layers.{l}.1.fn.to_q.weight            (512, 1024)
    smpl_head.transformer.transformer.layers.{l}.1.fn.to_out.0.{weight,bias} (1024, 512), (1024,)
    smpl_head.transformer.transformer.layers.{l}.2.norm.{weight,bias}        (1024,)
    smpl_head.transformer.transformer.layers.{l}.2.fn.net.0.{weight,bias}    (1024, 1024), (1024,)
    smpl_head.transformer.transformer.layers.{l}.2.fn.net.3.{weight,bias}    (1024, 1024), (1024,)
    smpl_head.decpose.{weight,bias}                        (144, 1024), (144,)
    smpl_head.decshape.{weight,bias}                       (10, 1024), (10,)
    smpl_head.deccam.{weight,bias}                         (3, 1024), (3,)
    smpl_head.deckp.{weight,bias}                          (88, 1024), (88,)

About 670 M parameters (ViT-H 632 M + head 38 M).
"""

from __future__ import annotations

import math
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import cast

import torch
import torch.nn.functional as F
from hoiexport.sdk.core.errors import InputError
from torch import nn


@dataclass(frozen=True)
class CameraHMRConfig:
    """Sizes of the CameraHMR network; defaults are the released model's.

    Sources (pixelite1201/CameraHMR): `core/backbones/vit.py` `vit()` for the
    backbone (img_size (256, 192), patch 16, embed 1280, depth 32, heads 16,
    mlp_ratio 4, qkv_bias); `core/constants.py` TRANSFORMER_DECODER (depth 6,
    heads 8, mlp_dim 1024, dim_head 64, context_dim 1280), IMAGE_SIZE 256,
    NUM_BETAS 10, NUM_POSE_PARAMS 23 (+ global orientation); and
    `core/heads/smpl_head_cliff.py` (decoder width 1024, 88 keypoint outputs).

    Attributes:
        crop_size: side of the square person crop, pixels (256).
        backbone_width: columns of the crop the backbone sees, centred (192).
        patch_size: ViT patch side, pixels.
        patch_padding: padding of the patch-embedding conv (ViTPose: 2).
        embed_dim: ViT width.
        depth: ViT blocks.
        num_heads: ViT attention heads.
        mlp_ratio: ViT MLP hidden width / embed_dim.
        decoder_dim: decoder token width.
        decoder_depth: decoder layers.
        decoder_heads: decoder attention heads.
        decoder_dim_head: decoder per-head width.
        decoder_mlp_dim: decoder MLP hidden width.
        num_joints: SMPL joints predicted (global orientation + 23).
        num_betas: SMPL shape coefficients.
        num_keypoints: 2-D keypoints read out (unused by hoiexport; kept for the weights).
    """

    crop_size: int = 256
    backbone_width: int = 192
    patch_size: int = 16
    patch_padding: int = 2
    embed_dim: int = 1280
    depth: int = 32
    num_heads: int = 16
    mlp_ratio: float = 4.0
    decoder_dim: int = 1024
    decoder_depth: int = 6
    decoder_heads: int = 8
    decoder_dim_head: int = 64
    decoder_mlp_dim: int = 1024
    num_joints: int = 24
    num_betas: int = 10
    num_keypoints: int = 44

    def __post_init__(self) -> None:
        for name in ("crop_size", "backbone_width", "patch_size", "embed_dim", "depth", "num_heads",
                     "decoder_dim", "decoder_depth", "decoder_heads", "decoder_dim_head", "decoder_mlp_dim",
                     "num_joints", "num_betas", "num_keypoints"):
            value = getattr(self, name)
            if not isinstance(value, int) or value < 1:
                raise InputError(f"CameraHMRConfig.{name} must be a positive integer, got {value!r}")
        if self.backbone_width > self.crop_size or (self.crop_size - self.backbone_width) % 2:
            raise InputError(
                f"CameraHMRConfig.backbone_width ({self.backbone_width}) must be at most crop_size "
                f"({self.crop_size}) and differ from it by an even number of pixels"
            )
        if self.embed_dim % self.num_heads:
            raise InputError(
                f"CameraHMRConfig.embed_dim ({self.embed_dim}) must divide by num_heads ({self.num_heads})"
            )
        for side in (self.crop_size, self.backbone_width):
            conv = (side + 2 * self.patch_padding - self.patch_size) // self.patch_size + 1
            if side % self.patch_size or conv != side // self.patch_size:
                raise InputError(
                    f"CameraHMRConfig: a {side}-pixel side gives {conv} patches with patch {self.patch_size} and "
                    f"padding {self.patch_padding}, but the position embedding has {side // self.patch_size}; "
                    "use sides that are multiples of patch_size"
                )

    @property
    def grid(self) -> tuple[int, int]:
        """(rows, cols) of the backbone's feature grid."""
        return self.crop_size // self.patch_size, self.backbone_width // self.patch_size

    @property
    def margin(self) -> int:
        """Columns cut from each side of the crop before the backbone (32)."""
        return (self.crop_size - self.backbone_width) // 2

    @property
    def token_dim(self) -> int:
        """Length of the decoder's query token: bbox info + 6D pose + betas + camera (160)."""
        return 3 + 6 * self.num_joints + self.num_betas + 3


# ----------------------------------------------------------------------------- backbone (ViTPose ViT)


class PatchEmbed(nn.Module):
    def __init__(self, cfg: CameraHMRConfig) -> None:
        super().__init__()
        self.proj = nn.Conv2d(3, cfg.embed_dim, kernel_size=cfg.patch_size, stride=cfg.patch_size,
                              padding=cfg.patch_padding)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, tuple[int, int]]:
        x = self.proj(x)
        return x.flatten(2).transpose(1, 2), (x.shape[2], x.shape[3])


class ViTAttention(nn.Module):
    def __init__(self, dim: int, heads: int) -> None:
        super().__init__()
        self.heads = heads
        self.qkv = nn.Linear(dim, 3 * dim, bias=True)
        self.proj = nn.Linear(dim, dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, n, c = x.shape
        q, k, v = self.qkv(x).reshape(b, n, 3, self.heads, c // self.heads).permute(2, 0, 3, 1, 4)
        out = F.scaled_dot_product_attention(q, k, v)  # softmax(q kᵀ / √d) v, as the reference
        return self.proj(out.transpose(1, 2).reshape(b, n, c))


class ViTMlp(nn.Module):
    def __init__(self, dim: int, hidden: int) -> None:
        super().__init__()
        self.fc1 = nn.Linear(dim, hidden)
        self.act = nn.GELU()
        self.fc2 = nn.Linear(hidden, dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc2(self.act(self.fc1(x)))


class ViTBlock(nn.Module):
    def __init__(self, cfg: CameraHMRConfig) -> None:
        super().__init__()
        self.norm1 = nn.LayerNorm(cfg.embed_dim, eps=1e-6)
        self.attn = ViTAttention(cfg.embed_dim, cfg.num_heads)
        self.norm2 = nn.LayerNorm(cfg.embed_dim, eps=1e-6)
        self.mlp = ViTMlp(cfg.embed_dim, int(cfg.embed_dim * cfg.mlp_ratio))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x + self.attn(self.norm1(x))
        return x + self.mlp(self.norm2(x))


class ViTBackbone(nn.Module):
    """ViTPose-style ViT: (B, 3, H, W) normalised image → (B, C, H/p, W/p) features."""

    def __init__(self, cfg: CameraHMRConfig) -> None:
        super().__init__()
        rows, cols = cfg.grid
        self.patch_embed = PatchEmbed(cfg)
        self.pos_embed = nn.Parameter(torch.zeros(1, rows * cols + 1, cfg.embed_dim))
        self.blocks = nn.ModuleList([ViTBlock(cfg) for _ in range(cfg.depth)])
        self.last_norm = nn.LayerNorm(cfg.embed_dim, eps=1e-6)
        nn.init.trunc_normal_(self.pos_embed, std=0.02)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b = x.shape[0]
        x, (hp, wp) = self.patch_embed(x)
        x = x + self.pos_embed[:, 1:] + self.pos_embed[:, :1]  # the class-token slot is added to every patch
        for block in self.blocks:
            x = block(x)
        x = self.last_norm(x)
        return x.transpose(1, 2).reshape(b, -1, hp, wp)


# ----------------------------------------------------------------------------- head (transformer decoder)


class PreNorm(nn.Module):
    def __init__(self, dim: int, fn: nn.Module) -> None:
        super().__init__()
        self.norm = nn.LayerNorm(dim)
        self.fn = fn

    def forward(self, x: torch.Tensor, **kwargs: torch.Tensor) -> torch.Tensor:
        return self.fn(self.norm(x), **kwargs)


def _out_projection(inner: int, dim: int, heads: int, dim_head: int) -> nn.Module:
    """`to_out`: Sequential(Linear, Dropout) (key `to_out.0`), Identity when heads == 1 and dim_head == dim."""
    if heads == 1 and dim_head == dim:
        return nn.Identity()
    return nn.Sequential(nn.Linear(inner, dim), nn.Dropout(0.0))


class SelfAttention(nn.Module):
    def __init__(self, dim: int, heads: int, dim_head: int) -> None:
        super().__init__()
        self.heads = heads
        self.to_qkv = nn.Linear(dim, 3 * heads * dim_head, bias=False)
        self.to_out = _out_projection(heads * dim_head, dim, heads, dim_head)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, n, _ = x.shape
        q, k, v = (t.reshape(b, n, self.heads, -1).transpose(1, 2) for t in self.to_qkv(x).chunk(3, dim=-1))
        out = F.scaled_dot_product_attention(q, k, v)
        return self.to_out(out.transpose(1, 2).reshape(b, n, -1))


class CrossAttention(nn.Module):
    def __init__(self, dim: int, context_dim: int, heads: int, dim_head: int) -> None:
        super().__init__()
        self.heads = heads
        self.to_kv = nn.Linear(context_dim, 2 * heads * dim_head, bias=False)
        self.to_q = nn.Linear(dim, heads * dim_head, bias=False)
        self.to_out = _out_projection(heads * dim_head, dim, heads, dim_head)

    def forward(self, x: torch.Tensor, context: torch.Tensor) -> torch.Tensor:
        b, n, _ = x.shape
        m = context.shape[1]
        k, v = (t.reshape(b, m, self.heads, -1).transpose(1, 2) for t in self.to_kv(context).chunk(2, dim=-1))
        q = self.to_q(x).reshape(b, n, self.heads, -1).transpose(1, 2)
        out = F.scaled_dot_product_attention(q, k, v)
        return self.to_out(out.transpose(1, 2).reshape(b, n, -1))


class FeedForward(nn.Module):
    def __init__(self, dim: int, hidden: int) -> None:
        super().__init__()
        self.net = nn.Sequential(nn.Linear(dim, hidden), nn.GELU(), nn.Dropout(0.0), nn.Linear(hidden, dim),
                                 nn.Dropout(0.0))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)


class TransformerCrossAttn(nn.Module):
    def __init__(self, cfg: CameraHMRConfig) -> None:
        super().__init__()
        d, h, dh = cfg.decoder_dim, cfg.decoder_heads, cfg.decoder_dim_head
        self.layers = nn.ModuleList(
            nn.ModuleList([
                PreNorm(d, SelfAttention(d, h, dh)),
                PreNorm(d, CrossAttention(d, cfg.embed_dim, h, dh)),
                PreNorm(d, FeedForward(d, cfg.decoder_mlp_dim)),
            ])
            for _ in range(cfg.decoder_depth)
        )

    def forward(self, x: torch.Tensor, context: torch.Tensor) -> torch.Tensor:
        for layer in self.layers:
            self_attn, cross_attn, ff = cast(nn.ModuleList, layer)
            x = self_attn(x) + x
            x = cross_attn(x, context=context) + x
            x = ff(x) + x
        return x


class TransformerDecoder(nn.Module):
    def __init__(self, cfg: CameraHMRConfig) -> None:
        super().__init__()
        self.to_token_embedding = nn.Linear(cfg.token_dim, cfg.decoder_dim)
        self.pos_embedding = nn.Parameter(torch.randn(1, 1, cfg.decoder_dim))
        self.transformer = TransformerCrossAttn(cfg)

    def forward(self, token: torch.Tensor, context: torch.Tensor) -> torch.Tensor:
        return self.transformer(self.to_token_embedding(token) + self.pos_embedding, context=context)


def rot6d_to_matrix(x: torch.Tensor) -> torch.Tensor:
    """6D rotation representation → rotation matrices (Zhou et al., CVPR 2019).

    The 6 numbers are two 3-vectors a1 = x[..., 0:3], a2 = x[..., 3:6];
    Gram–Schmidt gives b1 = a1/|a1|, b2 = the unit part of a2 orthogonal to b1,
    b3 = b1 × b2, and the matrix has columns (b1, b2, b3) (CameraHMR's
    `rot6d_to_rotmat`).

    Args:
        x: (..., 6).

    Returns:
        (..., 3, 3) rotation matrices, same dtype.
    """
    a1, a2 = x[..., 0:3], x[..., 3:6]
    b1 = F.normalize(a1, dim=-1)
    b2 = F.normalize(a2 - (b1 * a2).sum(dim=-1, keepdim=True) * b1, dim=-1)
    b3 = torch.linalg.cross(b1, b2, dim=-1)
    return torch.stack((b1, b2, b3), dim=-1)


class SMPLTransformerDecoderHead(nn.Module):
    """CameraHMR's SMPL head: one query token cross-attending to the image features."""

    init_body_pose: torch.Tensor  # buffers, registered in __init__
    init_betas: torch.Tensor
    init_cam: torch.Tensor

    def __init__(self, cfg: CameraHMRConfig) -> None:
        super().__init__()
        self.cfg = cfg
        npose = 6 * cfg.num_joints
        self.transformer = TransformerDecoder(cfg)
        self.decpose = nn.Linear(cfg.decoder_dim, npose)
        self.decshape = nn.Linear(cfg.decoder_dim, cfg.num_betas)
        self.deccam = nn.Linear(cfg.decoder_dim, 3)
        self.deckp = nn.Linear(cfg.decoder_dim, 2 * cfg.num_keypoints)
        # The released weights carry the SMPL mean parameters (smpl_mean_params.npz) in these
        # buffers. Before loading: zero pose with the global orientation of an upright person
        # facing the camera (180° about x in OpenCV axes), zero betas, camera (0.9, 0, 0) (the
        # weak-perspective scale of HMR-family mean parameters).
        pose6d = torch.tensor([1.0, 0.0, 0.0, 0.0, 1.0, 0.0]).repeat(cfg.num_joints)
        pose6d[:6] = torch.tensor([1.0, 0.0, 0.0, 0.0, -1.0, 0.0])
        self.register_buffer("init_body_pose", pose6d[None].clone())
        self.register_buffer("init_betas", torch.zeros(1, cfg.num_betas))
        self.register_buffer("init_cam", torch.tensor([[0.9, 0.0, 0.0]]))

    def forward(self, features: torch.Tensor, bbox_info: torch.Tensor) -> dict[str, torch.Tensor]:
        b = features.shape[0]
        context = features.flatten(2).transpose(1, 2)  # (B, h*w, C), row-major tokens
        pose0 = self.init_body_pose.expand(b, -1)
        betas0 = self.init_betas.expand(b, -1)
        cam0 = self.init_cam.expand(b, -1)
        token = torch.cat([bbox_info.to(pose0.dtype), pose0, betas0, cam0], dim=1)[:, None]
        out = self.transformer(token, context=context)[:, 0]
        pose6d = self.decpose(out) + pose0
        return {
            "rotations": rot6d_to_matrix(pose6d.float().reshape(b, self.cfg.num_joints, 6)),
            "betas": self.decshape(out) + betas0,
            "cam": self.deccam(out) + cam0,
            "keypoints": self.deckp(out).reshape(b, self.cfg.num_keypoints, 2),
        }


class CameraHMRNet(nn.Module):
    """CameraHMR: square person crop + box info → SMPL rotations, betas, camera.

    Attributes:
        config: the sizes.
        backbone: `ViTBackbone`.
        smpl_head: `SMPLTransformerDecoderHead`.
    """

    def __init__(self, config: CameraHMRConfig | None = None) -> None:
        super().__init__()
        self.config = config or CameraHMRConfig()
        self.backbone = ViTBackbone(self.config)
        self.smpl_head = SMPLTransformerDecoderHead(self.config)

    def forward(self, crops: torch.Tensor, bbox_info: torch.Tensor) -> dict[str, torch.Tensor]:
        """Run the network.

        Args:
            crops: (B, 3, S, S) normalised RGB crops (S = `config.crop_size`).
            bbox_info: (B, 3) [(cx - W/2) / f, (cy - H/2) / f, box size / f]: box centre
                offset from the image centre and box side, in units of the focal length.

        Returns:
            dict: rotations (B, J, 3, 3) float32 (joint 0 = global orientation, camera frame),
            betas (B, 10), cam (B, 3) weak-perspective (s, tx, ty) of the crop,
            keypoints (B, K, 2).
        """
        m = self.config.margin
        features = self.backbone(crops[..., m : crops.shape[-1] - m] if m else crops)
        return self.smpl_head(features, bbox_info)


# ----------------------------------------------------------------------------- sizes from a checkpoint


VIT_HEAD_WIDTH = 80
"""Channels per ViT attention head of the released model (1280 / 16)."""
DECODER_HEAD_WIDTH = 64
"""Channels per decoder attention head of the released model (`dim_head`)."""
GRID_ASPECT = (4, 3)
"""Rows : columns of the released backbone's patch grid (16 × 12 patches of a 256 × 192 crop)."""


def _count(keys: Collection[str], prefix: str) -> int:
    """Number of consecutive indices i with some key starting with f"{prefix}{i}."."""
    n = 0
    while any(k.startswith(f"{prefix}{n}.") for k in keys):
        n += 1
    return n


def infer_config(state_dict: Mapping[str, torch.Tensor], *, patch_padding: int = 2) -> CameraHMRConfig:
    """The `CameraHMRConfig` a CameraHMR state dict (keys as `CameraHMRNet`'s) was made with.

    The tensor shapes give every size but three, which take the released model's
    conventions: ViT heads of `VIT_HEAD_WIDTH` channels, decoder heads of
    `DECODER_HEAD_WIDTH` channels (one head as wide as the decoder when the
    checkpoint has no `to_out` projection), and a patch grid of `GRID_ASPECT`
    rows : columns (the crop is rows × patch pixels square, the backbone sees
    cols × patch columns of it). For the released checkpoint this gives
    `CameraHMRConfig()` exactly; a checkpoint trained with other head counts
    needs its config passed explicitly.

    Args:
        state_dict: `backbone.*` / `smpl_head.*` tensors (`regressor.prepare_state_dict`
            output, or the raw keys after dropping a common prefix).
        patch_padding: padding of the patch-embedding conv (not in the shapes; ViTPose's 2).

    Returns:
        The config.

    Raises:
        InputError: a key the shapes are read from is missing, or the shapes do not
            fit the conventions (the message says to pass a config).
    """
    keys = list(state_dict)
    fix = "pass CameraHMRConfig(...) with the checkpoint's sizes explicitly"

    def shape(key: str) -> tuple[int, ...]:
        if key not in state_dict:
            raise InputError(f"cannot infer CameraHMR sizes: the checkpoint has no {key}; {fix}")
        return tuple(state_dict[key].shape)

    embed, _, patch, _ = shape("backbone.patch_embed.proj.weight")
    tokens = shape("backbone.pos_embed")[1] - 1
    depth = _count(keys, "backbone.blocks.")
    hidden = shape("backbone.blocks.0.mlp.fc1.weight")[0]
    decoder_dim, token_dim = shape("smpl_head.transformer.to_token_embedding.weight")
    layers = "smpl_head.transformer.transformer.layers."
    decoder_depth = _count(keys, layers)
    inner = shape(f"{layers}0.0.fn.to_qkv.weight")[0] // 3
    mlp = shape(f"{layers}0.2.fn.net.0.weight")[0]
    npose = shape("smpl_head.decpose.weight")[0]
    betas = shape("smpl_head.decshape.weight")[0]
    keypoints = shape("smpl_head.deckp.weight")[0] // 2
    a, b = GRID_ASPECT
    unit = math.isqrt(tokens // (a * b)) if tokens % (a * b) == 0 else 0
    if embed % VIT_HEAD_WIDTH or not unit or unit * unit * a * b != tokens or npose % 6:
        raise InputError(
            f"cannot infer CameraHMR sizes: ViT width {embed} (heads of {VIT_HEAD_WIDTH} channels), "
            f"{tokens} patches (a {a}:{b} grid), {npose} pose outputs (6 per joint) do not fit the released "
            f"model's conventions; {fix}"
        )
    if f"{layers}0.0.fn.to_out.0.weight" in state_dict:
        if inner % DECODER_HEAD_WIDTH:
            raise InputError(
                f"cannot infer CameraHMR sizes: decoder attention width {inner} is not a multiple of "
                f"{DECODER_HEAD_WIDTH}; {fix}"
            )
        heads, dim_head = inner // DECODER_HEAD_WIDTH, DECODER_HEAD_WIDTH
    else:  # `_out_projection` is the identity: one head as wide as the decoder
        heads, dim_head = 1, decoder_dim
    config = CameraHMRConfig(
        crop_size=unit * a * patch,
        backbone_width=unit * b * patch,
        patch_size=patch,
        patch_padding=patch_padding,
        embed_dim=embed,
        depth=depth,
        num_heads=embed // VIT_HEAD_WIDTH,
        mlp_ratio=hidden / embed,
        decoder_dim=decoder_dim,
        decoder_depth=decoder_depth,
        decoder_heads=heads,
        decoder_dim_head=dim_head,
        decoder_mlp_dim=mlp,
        num_joints=npose // 6,
        num_betas=betas,
        num_keypoints=keypoints,
    )
    if config.token_dim != token_dim:
        raise InputError(
            f"cannot infer CameraHMR sizes: the query token has {token_dim} inputs, expected "
            f"{config.token_dim} for {config.num_joints} joints and {betas} betas; {fix}"
        )
    return config


__all__ = ["CameraHMRConfig", "CameraHMRNet", "infer_config", "rot6d_to_matrix"]
