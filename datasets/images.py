"""Class-folder image sets: `malaria` (NIH cells, a folder or its zip) and any `image_folder`.

Each image is decoded with Pillow, resized to size x size (bilinear) and scaled to [0, 1]; the set
is greyscale (1 channel) when every file is, RGB (3 channels) otherwise. Decoded arrays and
finished splits are cached, keyed by the content of every source file.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, UnidentifiedImageError

from ablab.data import DataContext, TensorData, split
from ablab.data.sources import (
    Arrays,
    CorruptData,
    DataUnavailable,
    cached_arrays,
    cached_split,
    data_root,
    fingerprint,
)
from ablab.registry import register_dataset

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".bmp", ".gif", ".tif", ".tiff", ".webp", ".ppm"}
MALARIA_CLASSES = ("Parasitized", "Uninfected")
GREY_MODES = {"1", "L", "LA", "I", "I;16", "F"}
Reader = Callable[[], bytes]


def decode_image(read: Reader, name: str, size: int) -> tuple[np.ndarray, bool]:
    """(size, size, 3) uint8 and whether the file was greyscale; CorruptData naming it if not
    readable."""
    try:
        with Image.open(io.BytesIO(read())) as image:
            grey = image.mode in GREY_MODES
            rgb = image.convert("RGB").resize((size, size), Image.Resampling.BILINEAR)
            return np.asarray(rgb, dtype=np.uint8), grey
    except (UnidentifiedImageError, OSError, ValueError, zipfile.BadZipFile) as error:
        raise CorruptData(f"{name}: unreadable image ({error})") from error


def decode_all(items: list[tuple[int, str, Reader]], size: int) -> Arrays:
    """Images (N, C, size, size) uint8 and labels (N,) from (label, name, reader) items."""
    pixels = np.empty((len(items), size, size, 3), dtype=np.uint8)
    greys = []
    for i, (_, name, read) in enumerate(items):
        pixels[i], grey = decode_image(read, name, size)
        greys.append(grey)
    chosen = pixels[..., :1] if all(greys) else pixels
    labels = np.array([label for label, _, _ in items], dtype=np.int64)
    return {"x": np.ascontiguousarray(chosen.transpose(0, 3, 1, 2)), "y": labels}


def keep_per_class(names: list[str], limit: int | None) -> list[str]:
    """The first `limit` names in sorted order (all with None): a reproducible subset."""
    ordered = sorted(names)
    return ordered if limit is None else ordered[:limit]


def folder_items(
    folder: Path, classes: tuple[str, ...], limit: int | None
) -> list[tuple[int, str, Reader]]:
    items: list[tuple[int, str, Reader]] = []
    for label, name in enumerate(classes):
        files = [str(p) for p in (folder / name).iterdir()
                 if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES]
        if not files:
            raise CorruptData(f"{folder / name}: class folder holds no images "
                              f"({', '.join(sorted(IMAGE_SUFFIXES))})")
        items += [(label, f, Path(f).read_bytes) for f in keep_per_class(files, limit)]
    return items


def zip_items(
    archive: Path, prefix: str, classes: tuple[str, ...], limit: int | None
) -> Iterator[tuple[int, str, Reader]]:
    try:
        handle = zipfile.ZipFile(archive)
    except (zipfile.BadZipFile, OSError) as error:
        raise CorruptData(f"{archive}: not a readable zip ({error})") from error
    members = handle.namelist()
    for label, name in enumerate(classes):
        folder = f"{prefix}{name}/"
        files = [m for m in members if m.startswith(folder)
                 and Path(m).suffix.lower() in IMAGE_SUFFIXES]
        if not files:
            raise CorruptData(f"{archive}: class folder {folder} holds no images")
        for member in keep_per_class(files, limit):
            yield label, f"{archive}:{member}", member_reader(handle, member)


def member_reader(handle: zipfile.ZipFile, member: str) -> Reader:
    return lambda: handle.read(member)


def load_items(
    ctx: DataContext, dataset: str, sources: list[Path], options: dict[str, Any],
    classes: tuple[str, ...], items: Callable[[], list[tuple[int, str, Reader]]], size: int,
) -> TensorData:
    if size < 4:
        raise ValueError(f"{dataset}: size={size} must be >= 4 pixels")
    key = fingerprint(dataset, sources, options)

    def prepare() -> TensorData:
        arrays = cached_arrays(ctx, key, lambda: decode_all(items(), size))
        x = arrays["x"].astype(np.float32) / 255.0
        return split(x, arrays["y"], ctx, classes, key)

    return cached_split(ctx, key, {}, prepare)


def image_files(folder: Path) -> list[Path]:
    return [p for p in folder.rglob("*") if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES]


@register_dataset
def malaria(
    *, ctx: DataContext, size: int = 32, per_class: int | None = None
) -> TensorData:
    """NIH malaria cells, classes Parasitized / Uninfected, resized to size x size, shuffled
    into stratified train / validation / test splits. Reads `<root>/malaria/cell_images/<class>/`
    or, failing that, `<root>/malaria/cell_images.zip` (read in place: nothing is extracted).
    `per_class` keeps the first N images of each class (sorted by name) for quick runs."""
    root = data_root(ctx, "malaria", "malaria/cell_images/<class>/ or malaria/cell_images.zip")
    folder, archive = root / "malaria" / "cell_images", root / "malaria" / "cell_images.zip"
    options = {"size": size, "per_class": per_class}
    if folder.is_dir():
        return load_items(ctx, "malaria", image_files(folder), options, MALARIA_CLASSES,
                          lambda: folder_items(folder, MALARIA_CLASSES, per_class), size)
    if archive.is_file():
        return load_items(ctx, "malaria", [archive], options, MALARIA_CLASSES,
                          lambda: list(zip_items(archive, "cell_images/", MALARIA_CLASSES,
                                                 per_class)), size)
    raise DataUnavailable(f"malaria: missing {folder}/{{{','.join(MALARIA_CLASSES)}}}/ and "
                          f"{archive}")


@register_dataset
def image_folder(
    *, ctx: DataContext, path: str, size: int = 64, per_class: int | None = None
) -> TensorData:
    """Any class-folder image set (`path/<class>/<image>`, S5's flowers): `path` absolute or
    relative to the data root; classes are the subfolders in sorted order; options as malaria."""
    folder = Path(path)
    if not folder.is_absolute():
        folder = data_root(ctx, "image_folder", path) / folder
    if not folder.is_dir():
        raise DataUnavailable(f"image_folder: missing folder {folder}")
    classes = tuple(sorted(p.name for p in folder.iterdir() if p.is_dir()))
    if len(classes) < 2:
        raise CorruptData(f"{folder}: needs at least two class folders, found {len(classes)}")
    options = {"size": size, "per_class": per_class, "classes": classes}
    return load_items(ctx, "image_folder", image_files(folder), options, classes,
                      lambda: folder_items(folder, classes, per_class), size)
