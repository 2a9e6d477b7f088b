"""Class-folder images, malaria, CIFAR-10 and UEA series: generated files for formats and
errors, the real files when ABLAB_DATA is set."""

from __future__ import annotations

import pickle
import re
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from ablab.data import DataContext
from ablab.data.sources import CorruptData, DataUnavailable
from ablab.registry import DATASETS
from datasets.cifar10 import FOLDER, TRAIN_BATCHES
from tests.realdata import need


def ctx(root: Path | None, cache: Path) -> DataContext:
    return DataContext(seed=0, root=root, cache=cache)


def write_folder(root: Path, classes: dict[str, int], mode: str = "RGB") -> Path:
    rng = np.random.default_rng(0)
    for name, count in classes.items():
        (root / name).mkdir(parents=True)
        for i in range(count):
            shape = (20, 24, 3) if mode == "RGB" else (20, 24)
            pixels = rng.integers(0, 256, shape, dtype=np.uint8)
            Image.fromarray(pixels, mode=mode).save(root / name / f"img{i}.png")
    return root


def test_image_folder_reads_class_folders(tmp_path: Path) -> None:
    write_folder(tmp_path / "flowers", {"daisy": 20, "rose": 20, "tulip": 20})
    data = DATASETS.get("image_folder")(ctx=ctx(tmp_path, tmp_path / "cache"), path="flowers",
                                        size=16)
    assert data.classes == ("daisy", "rose", "tulip")
    assert data.input_shape == (3, 16, 16)
    assert sum(data.counts()) == 60
    assert 0.0 <= float(data.x_train.min())
    assert float(data.x_train.max()) <= 1.0


def test_image_folder_keeps_greyscale_as_one_channel(tmp_path: Path) -> None:
    folder = write_folder(tmp_path / "grey", {"a": 20, "b": 20}, mode="L")
    data = DATASETS.get("image_folder")(ctx=ctx(None, tmp_path / "cache"), path=str(folder),
                                        size=8, per_class=10)
    assert data.input_shape == (1, 8, 8)
    assert sum(data.counts()) == 20


def test_empty_class_folder_is_named(tmp_path: Path) -> None:
    folder = write_folder(tmp_path / "set", {"a": 10})
    (folder / "b").mkdir()
    message = re.escape(f"{folder / 'b'}: class folder holds no images")
    with pytest.raises(CorruptData, match=message):
        DATASETS.get("image_folder")(ctx=ctx(None, tmp_path / "cache"), path=str(folder))
    assert not (tmp_path / "cache" / "arrays").exists()


def test_unreadable_image_is_named_and_leaves_no_cache(tmp_path: Path) -> None:
    folder = write_folder(tmp_path / "set", {"a": 10, "b": 10})
    broken = folder / "b" / "img3.png"
    broken.write_bytes(b"not a png")
    with pytest.raises(CorruptData, match=re.escape(f"{broken}: unreadable image")):
        DATASETS.get("image_folder")(ctx=ctx(None, tmp_path / "cache"), path=str(folder))
    assert list((tmp_path / "cache").rglob("*.npy")) == []


def test_malaria_missing_names_both_layouts(tmp_path: Path) -> None:
    with pytest.raises(DataUnavailable, match=r"cell_images\.zip"):
        DATASETS.get("malaria")(ctx=ctx(tmp_path, tmp_path / "cache"))


def test_malaria_from_a_class_folder(tmp_path: Path) -> None:
    write_folder(tmp_path / "malaria" / "cell_images", {"Parasitized": 20, "Uninfected": 20})
    data = DATASETS.get("malaria")(ctx=ctx(tmp_path, tmp_path / "cache"), size=12)
    assert data.classes == ("Parasitized", "Uninfected")
    assert data.input_shape == (3, 12, 12)


def test_real_malaria_zip(real_root: Path, session_cache: Path) -> None:
    need(real_root / "malaria" / "cell_images.zip")
    data = DATASETS.get("malaria")(ctx=ctx(real_root, session_cache), per_class=100)
    assert sum(data.counts()) == 200
    assert data.input_shape == (1, 32, 32)  # the shared copy is greyscale
    assert data.classes == ("Parasitized", "Uninfected")


def write_cifar(root: Path, per_batch: int = 40) -> Path:
    folder = root / FOLDER
    folder.mkdir(parents=True)
    rng = np.random.default_rng(0)
    for name in (*TRAIN_BATCHES, "test_batch"):
        batch = {b"data": rng.integers(0, 256, (per_batch, 3072), dtype=np.uint8),
                 b"labels": [i % 10 for i in range(per_batch)]}
        (folder / name).write_bytes(pickle.dumps(batch))
    names = [b"airplane", b"automobile", b"bird", b"cat", b"deer", b"dog", b"frog", b"horse",
             b"ship", b"truck"]
    (folder / "batches.meta").write_bytes(pickle.dumps({b"label_names": names}))
    return folder


def test_cifar10_reads_python_batches(tmp_path: Path) -> None:
    write_cifar(tmp_path)
    data = DATASETS.get("cifar10")(ctx=ctx(tmp_path, tmp_path / "cache"))
    assert sum(data.counts()[:2]) == 200
    assert data.counts()[2] == 40
    assert data.input_shape == (3, 32, 32)
    assert data.classes[:2] == ("airplane", "automobile")


def test_cifar10_binary_relabels_two_classes(tmp_path: Path) -> None:
    write_cifar(tmp_path)
    data = DATASETS.get("cifar10")(ctx=ctx(tmp_path, tmp_path / "cache"), binary=(3, 5))
    assert data.classes == ("cat", "dog")
    assert sum(data.counts()) == 2 * 20 + 2 * 4
    assert set(data.y_test.tolist()) == {0, 1}


def test_cifar10_corrupt_batch_is_named(tmp_path: Path) -> None:
    folder = write_cifar(tmp_path)
    (folder / "data_batch_3").write_bytes(b"\x80\x04garbage")
    with pytest.raises(CorruptData, match="data_batch_3"):
        DATASETS.get("cifar10")(ctx=ctx(tmp_path, tmp_path / "cache"))
    assert list((tmp_path / "cache").rglob("*.npy")) == []


def test_cifar10_missing_names_the_folder(tmp_path: Path) -> None:
    with pytest.raises(DataUnavailable, match=f"{FOLDER}"):
        DATASETS.get("cifar10")(ctx=ctx(tmp_path, tmp_path / "cache"))


@pytest.mark.parametrize(("name", "steps", "total"),
                         [("BasicMotions", 100, 80), ("RacketSports", 30, 303)])
def test_real_uea_series(real_root: Path, tmp_path: Path, name: str, steps: int,
                         total: int) -> None:
    need(real_root / "timeseries" / name)
    make = DATASETS.get("uea")
    data = make(ctx=ctx(real_root, tmp_path), name=name)
    assert sum(data.counts()) == total
    assert data.input_shape == (steps, 6)
    assert data.num_classes == 4
    windowed = make(ctx=ctx(real_root, tmp_path), name=name, window=2)
    assert windowed.input_shape == (3, 6)
    assert (windowed.x_test == data.x_test[:, -3:]).all()
    with pytest.raises(ValueError, match="window=500"):
        make(ctx=ctx(real_root, tmp_path), name=name, window=500)


def test_uea_bad_file_is_named(tmp_path: Path) -> None:
    folder = tmp_path / "timeseries" / "BasicMotions"
    folder.mkdir(parents=True)
    header = "@problemName x\n@classLabel true a b\n@data\n"
    (folder / "BasicMotions_TRAIN.ts").write_text(header + "1,2,3:4,5,6:a\n1,2,x:4,5,6:b\n")
    (folder / "BasicMotions_TEST.ts").write_text(header + "1,2,3:4,5,6:a\n")
    with pytest.raises(CorruptData, match=r"BasicMotions_TRAIN\.ts:5"):
        DATASETS.get("uea")(ctx=ctx(tmp_path, tmp_path / "cache"), name="BasicMotions")
