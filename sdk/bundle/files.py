"""The files of a bundle: safe paths, sha256, `.npz` arrays and `.png` textures.

Everything read here comes from disk we do not trust: paths are confined to the
bundle folder, `.npz` files are read without pickle and their array headers are
checked before any array memory is allocated, and every decoding failure becomes
a `BundleError` naming the file.
"""

from __future__ import annotations

import hashlib
import io
import math
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath, PureWindowsPath

import numpy as np
from numpy.lib import format as npy_format
from PIL import Image

from hoiexport.sdk.core.errors import BundleError

_FIX_CORRUPT = "the file is corrupt or was edited: restore it or re-save the bundle with hoiexport"


@dataclass(frozen=True)
class ArrayHeader:
    """Shape and dtype of one array in an `.npz`, read before the array data."""

    shape: tuple[int, ...]
    dtype: np.dtype


def file_ref(root: Path, rel: str, data: bytes) -> dict[str, str]:
    """Write `data` to `root / rel` and return its `asset.json` reference.

    Args:
        root: the (temporary) bundle folder being written.
        rel: relative POSIX path inside the bundle.
        data: the file's bytes.

    Returns:
        {"path": rel, "sha256": hex digest of `data`}.
    """
    target = root / PurePosixPath(rel)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(data)
    return {"path": rel, "sha256": hashlib.sha256(data).hexdigest()}


def npz_bytes(arrays: dict[str, np.ndarray]) -> bytes:
    """Encode arrays as an uncompressed `.npz` (no pickled objects)."""
    buf = io.BytesIO()
    np.savez(buf, allow_pickle=False, **arrays)
    return buf.getvalue()


def png_bytes(image: np.ndarray) -> bytes:
    """Encode an (H, W, 3|4) uint8 image as a lossless PNG (RGB or RGBA)."""
    buf = io.BytesIO()
    Image.fromarray(image).save(buf, format="PNG")
    return buf.getvalue()


def resolve_inside(root: Path, rel: str, field: str, where: Path) -> Path:
    """Resolve a path from `asset.json`, refusing anything outside the bundle.

    Args:
        root: the bundle folder, already `resolve()`d.
        rel: the path as written in `asset.json` (relative, POSIX separators).
        field: the `asset.json` field holding `rel`, named in errors.
        where: path of `asset.json`, named in errors.

    Returns:
        The resolved path of an existing regular file inside `root`.

    Raises:
        BundleError: absolute path, `..`, backslash, a symlink resolving outside
            the bundle, a missing file, or something that is not a regular file.
    """
    fix = (
        "bundle paths must be relative POSIX paths to files inside the bundle folder: "
        "re-save the bundle with hoiexport"
    )
    problem = None
    if "\\" in rel or "\x00" in rel:
        problem = "contains a backslash or NUL character"
    elif PurePosixPath(rel).is_absolute() or PureWindowsPath(rel).drive or PureWindowsPath(rel).root:
        problem = "is an absolute path"
    elif ".." in PurePosixPath(rel).parts:
        problem = "contains '..' and leaves the bundle folder"
    if problem:
        raise BundleError(f"{where}: field {field} = {rel!r} {problem}; {fix}")
    try:
        resolved = (root / PurePosixPath(rel)).resolve()
    except (OSError, RuntimeError, ValueError) as e:
        raise BundleError(f"{where}: field {field} = {rel!r} cannot be resolved ({e}); {fix}") from None
    if not resolved.is_relative_to(root):
        raise BundleError(
            f"{where}: field {field} = {rel!r} resolves to {resolved}, outside the bundle folder "
            f"{root} (through a symlink); {fix}"
        )
    if not resolved.exists():
        raise BundleError(
            f"{where}: field {field} refers to {rel!r}, which does not exist in {root}; "
            "restore the file or re-save the bundle with hoiexport"
        )
    if not resolved.is_file():
        raise BundleError(f"{where}: field {field} = {rel!r} is not a regular file; {fix}")
    return resolved


def verify_sha256(path: Path, expected: str, field: str, where: Path) -> None:
    """Check a file's sha256 against the digest recorded in `asset.json`.

    Raises:
        BundleError: naming the file and the `asset.json` field on mismatch.
    """
    digest = hashlib.sha256()
    try:
        with open(path, "rb") as f:
            for chunk in iter(lambda: f.read(1 << 20), b""):
                digest.update(chunk)
    except OSError as e:
        raise BundleError(f"{path}: cannot be read ({e}); check its permissions") from None
    actual = digest.hexdigest()
    if actual != expected:
        raise BundleError(
            f"{path}: sha256 {actual} does not match {where} field {field} ({expected}); {_FIX_CORRUPT}"
        )


def _read_header(f, label: str, key: str) -> ArrayHeader:
    version = npy_format.read_magic(f)
    if version == (1, 0):
        shape, _, dtype = npy_format.read_array_header_1_0(f)
    elif version == (2, 0):
        shape, _, dtype = npy_format.read_array_header_2_0(f)
    else:
        raise BundleError(
            f"{label}: array {key!r} uses .npy format version {version}, which hoiexport does not read; "
            "re-save the bundle with hoiexport"
        )
    return ArrayHeader(tuple(int(s) for s in shape), np.dtype(dtype))


def read_npz(path: Path, check: Callable[[dict[str, ArrayHeader]], None]) -> dict[str, np.ndarray]:
    """Read an `.npz` safely: headers first, then (if `check` accepts them) the arrays.

    Args:
        path: the `.npz` file (already confined to the bundle).
        check: called with {key: ArrayHeader} before any array is read; raises
            `BundleError` on unexpected keys, shapes, dtypes or sizes.

    Returns:
        {key: array}, read with `allow_pickle=False`.

    Raises:
        BundleError: not a zip, a member that is not a `.npy`, pickled objects,
            truncated data, or whatever `check` rejects.
    """
    try:
        with zipfile.ZipFile(path) as zf:
            infos = {}
            headers = {}
            for info in zf.infolist():
                if not info.filename.endswith(".npy") or info.is_dir():
                    raise BundleError(f"{path}: member {info.filename!r} is not a .npy array; {_FIX_CORRUPT}")
                key = info.filename[: -len(".npy")]
                if key in headers:
                    raise BundleError(f"{path}: array {key!r} appears twice; {_FIX_CORRUPT}")
                with zf.open(info) as f:
                    header = _read_header(f, str(path), key)
                if header.dtype.hasobject:
                    raise BundleError(
                        f"{path}: array {key!r} holds Python objects (dtype {header.dtype}), which "
                        "would need pickle; bundles hold numeric arrays only: "
                        "re-save the bundle with hoiexport"
                    )
                nbytes = math.prod(header.shape) * header.dtype.itemsize
                if nbytes > info.file_size:
                    raise BundleError(
                        f"{path}: array {key!r} claims shape {header.shape} {header.dtype} "
                        f"({nbytes} bytes) but holds {info.file_size} bytes; {_FIX_CORRUPT}"
                    )
                infos[key] = info
                headers[key] = header
            check(headers)
            arrays = {}
            for key, info in infos.items():
                with zf.open(info) as f:
                    arrays[key] = npy_format.read_array(f, allow_pickle=False)
            return arrays
    except BundleError:
        raise
    except (
        zipfile.BadZipFile,
        zipfile.LargeZipFile,
        zlib.error,
        ValueError,
        OSError,
        EOFError,
        NotImplementedError,
        KeyError,
        TypeError,
    ) as e:
        raise BundleError(
            f"{path}: not a readable .npz file ({type(e).__name__}: {e}); {_FIX_CORRUPT}"
        ) from None


def read_png(path: Path) -> np.ndarray:
    """Decode a PNG texture.

    Args:
        path: the `.png` file (already confined to the bundle).

    Returns:
        (H, W, 3|4) uint8 sRGB image, row 0 at the top.

    Raises:
        BundleError: not a PNG, corrupt data, an unsupported pixel format, or
            an image large enough to trip Pillow's decompression-bomb guard.
    """
    img: Image.Image  # opened as an ImageFile; convert() gives a plain Image
    try:
        with Image.open(path, formats=["PNG"]) as img:
            img.load()
            if img.mode not in ("RGB", "RGBA"):
                if img.mode not in ("L", "LA", "P", "PA", "1"):
                    raise BundleError(
                        f"{path}: PNG pixel format {img.mode!r} is not supported; "
                        "save the texture as 8-bit RGB or RGBA"
                    )
                has_alpha = "A" in img.getbands() or "transparency" in img.info
                img = img.convert("RGBA" if has_alpha else "RGB")
            return np.array(img, dtype=np.uint8)
    except BundleError:
        raise
    except (OSError, SyntaxError, ValueError, EOFError, Image.DecompressionBombError) as e:
        raise BundleError(
            f"{path}: not a readable PNG image ({type(e).__name__}: {e}); {_FIX_CORRUPT}"
        ) from None
