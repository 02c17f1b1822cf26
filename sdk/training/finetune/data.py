"""The fine-tuning data: NVlabs/Sana's `SanaImgDataset` folder layout, read.

    DATA/
      meta_data.json   {"name": ..., "__kind__": "Sana-ImgDataset",
                        "img_names": ["<stem>", ...]}   stems relative to DATA, no extension
      <stem>.png       RGB image
      <stem>.txt       first line = the caption

Written by the `filter` step (`hoiexport.sdk.training.data`); captions are the
exact stage-1 prompts (`hoiexport.sdk.generators.hoi3dgen.views.view_prompt`), so
training and inference see the same text.

Images are loaded as (3, R, R) float32 tensors in [-1, 1] (sRGB values as stored,
channels R, G, B): resized on the shorter side to R with Lanczos and
centre-cropped. Never flipped: a mirror image would swap the left and right
diagonal views its caption names.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from hoiexport.sdk.core.errors import InputError
from hoiexport.sdk.generators.hoi3dgen.views import SANA_SUFFIX, VIEWS, ViewPhrases
from hoiexport.sdk.training.data.filter import SANA_KIND, SANA_META

if TYPE_CHECKING:
    import torch

META_FILE = SANA_META
"""The dataset's index file (`meta_data.json`, as the `filter` step names it)."""
DATASET_KIND = SANA_KIND
"""`meta_data.json`'s "__kind__" ("Sana-ImgDataset")."""
IMAGE_SUFFIX = ".png"
CAPTION_SUFFIX = ".txt"


@dataclass(frozen=True)
class ImgItem:
    """One training image.

    Attributes:
        stem: its name in `img_names` (relative POSIX path, no extension).
        image: the PNG's path.
        caption: the caption (first line of the `.txt`, stripped).
    """

    stem: str
    image: Path
    caption: str


@dataclass(frozen=True)
class ImgDataset:
    """A read `SanaImgDataset` folder.

    Attributes:
        folder: the dataset folder.
        name: `meta_data.json`'s "name" ("" when absent).
        items: the images in `img_names` order.
    """

    folder: Path
    name: str
    items: tuple[ImgItem, ...]

    def __len__(self) -> int:
        return len(self.items)

    def sha256(self) -> str:
        """Hash of the dataset's content: every stem, image bytes and caption, in order."""
        h = hashlib.sha256()
        for item in self.items:
            h.update(item.stem.encode("utf-8") + b"\0")
            with item.image.open("rb") as f:
                for chunk in iter(lambda: f.read(1 << 20), b""):
                    h.update(chunk)
            h.update(b"\0" + item.caption.encode("utf-8") + b"\0")
        return h.hexdigest()

    def view_counts(self, phrases: ViewPhrases | None = None) -> dict[str, int]:
        """Captions per view: those ending in the view's phrase + `SANA_SUFFIX`
        (how `view_prompt` composes them); "other" counts the rest."""
        phrases = phrases or ViewPhrases()
        endings = {v: " " + _sentence_end(getattr(phrases, v)) + SANA_SUFFIX for v in VIEWS}
        counts = dict.fromkeys([*VIEWS, "other"], 0)
        for item in self.items:
            view = next((v for v, e in endings.items() if item.caption.endswith(e)), "other")
            counts[view] += 1
        return counts


def _sentence_end(phrase: str) -> str:
    phrase = " ".join(phrase.split())
    return phrase if phrase[-1:] in (".", "!", "?") else phrase + "."


def _bad(folder: Path, problem: str) -> InputError:
    return InputError(f"training data {folder}: {problem}")


def read_img_dataset(folder: str | os.PathLike[str]) -> ImgDataset:
    """Read and check a `SanaImgDataset` folder (module docstring).

    Raises:
        InputError: no such folder, no or malformed `meta_data.json`, a stem that
            leaves the folder or repeats, a missing `.png` / `.txt`, or an empty
            caption; one line naming the file and the fix.
    """
    root = Path(folder).expanduser()
    if not root.is_dir():
        raise _bad(root, "no such folder: pass the folder written by `hoiexport filter`")
    meta_path = root / META_FILE
    if not meta_path.is_file():
        raise _bad(root, f"no {META_FILE}: pass a folder in NVlabs/Sana's SanaImgDataset layout "
                         "(written by `hoiexport filter`)")
    try:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise _bad(root, f"cannot read {META_FILE} ({exc}): rewrite it with `hoiexport filter`") from None
    if not isinstance(meta, Mapping):
        raise _bad(root, f"{META_FILE} must be a JSON object with 'img_names'")
    kind = meta.get("__kind__", DATASET_KIND)
    if kind != DATASET_KIND:
        raise _bad(root, f"{META_FILE} has __kind__ {kind!r}, expected {DATASET_KIND!r}")
    names = meta.get("img_names")
    if not isinstance(names, list) or not names or not all(isinstance(n, str) and n.strip() for n in names):
        raise _bad(root, f"{META_FILE} 'img_names' must be a non-empty list of image stems")
    resolved_root = root.resolve()
    items: list[ImgItem] = []
    seen: set[str] = set()
    for stem in names:
        base = root / stem
        if Path(stem).is_absolute() or not base.resolve().is_relative_to(resolved_root):
            raise _bad(root, f"img_names entry {stem!r} leaves the dataset folder: stems are relative paths inside it")
        if stem in seen:
            raise _bad(root, f"img_names lists {stem!r} twice")
        seen.add(stem)
        image = base.with_name(base.name + IMAGE_SUFFIX)
        text = base.with_name(base.name + CAPTION_SUFFIX)
        for path in (image, text):
            if not path.is_file():
                raise _bad(root, f"{path.name} of img_names entry {stem!r} is missing: write it or drop the entry")
        try:
            lines = text.read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError) as exc:
            raise _bad(root, f"cannot read caption {text} ({exc})") from None
        caption = lines[0].strip() if lines else ""
        if not caption:
            raise _bad(root, f"caption {text.name} is empty: its first line must be the prompt")
        items.append(ImgItem(stem, image, caption))
    name = meta.get("name", "")
    return ImgDataset(root, name if isinstance(name, str) else str(name), tuple(items))


def load_image(path: str | os.PathLike[str], resolution: int) -> torch.Tensor:
    """One training image as the VAE takes it.

    Args:
        path: an image file (RGB; other modes are converted, alpha dropped).
        resolution: output side R, pixels.

    Returns:
        (3, R, R) float32 in [-1, 1], channels R, G, B.

    Raises:
        InputError: the file cannot be read as an image.
    """
    import torch
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as im:
            img = im.convert("RGB")
    except (OSError, UnidentifiedImageError) as exc:
        raise InputError(f"training image {path} cannot be read ({exc}): rewrite it as an RGB PNG") from None
    w, h = img.size
    scale = resolution / min(w, h)
    if (w, h) != (resolution, resolution):
        size = (max(resolution, round(w * scale)), max(resolution, round(h * scale)))
        if size != (w, h):
            img = img.resize(size, Image.Resampling.LANCZOS)
        left, top = (img.width - resolution) // 2, (img.height - resolution) // 2
        img = img.crop((left, top, left + resolution, top + resolution))
    arr = np.asarray(img, dtype=np.float32) / 127.5 - 1.0  # (R, R, 3)
    return torch.from_numpy(np.ascontiguousarray(arr.transpose(2, 0, 1)))
