"""Datasets that ship inside packages or are generated: no download at run time.

* :func:`load_digits_tensors` - scikit-learn's 8x8 handwritten digits (1,797 images).
* :func:`make_linear_data` - the seed's ``y = 2x + 1 + noise`` regression problem.
* :func:`load_sample_photos` - scikit-learn's two bundled colour photographs.
* :func:`make_loaders` - seeded ``DataLoader`` objects for train / validation tensors.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch.utils.data import DataLoader, TensorDataset


@dataclass
class Split:
    """Train / validation / test tensors of one dataset."""

    X_train: torch.Tensor
    y_train: torch.Tensor
    X_val: torch.Tensor
    y_val: torch.Tensor
    X_test: torch.Tensor
    y_test: torch.Tensor

    def sizes(self) -> dict[str, int]:
        return {"train": len(self.y_train), "val": len(self.y_val), "test": len(self.y_test)}


def load_digits_tensors(
    n_train: int | None = None,
    val_fraction: float = 0.2,
    test_fraction: float = 0.2,
    seed: int = 0,
    images: bool = False,
    classes: tuple[int, ...] | None = None,
) -> Split:
    """The digits data set as float32 tensors scaled to [0, 1], split reproducibly.

    Args:
        n_train: keep only this many training samples (a small-data task); ``None`` keeps all.
        val_fraction, test_fraction: fractions of the whole set held out, stratified by class.
        seed: seed of the shuffle; the same seed gives the same split.
        images: return ``(N, 1, 8, 8)`` images instead of ``(N, 64)`` vectors.
        classes: keep only these digits, relabelled ``0..len(classes)-1`` in the given order.
    """
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    digits = load_digits()
    X = digits.data.astype(np.float32) / 16.0
    y = digits.target.astype(np.int64)
    if classes is not None:
        keep = np.isin(y, classes)
        X, y = X[keep], y[keep]
        remap = {c: i for i, c in enumerate(classes)}
        y = np.array([remap[int(t)] for t in y], dtype=np.int64)
    X_rest, X_test, y_rest, y_test = train_test_split(
        X, y, test_size=test_fraction, random_state=seed, stratify=y
    )
    X_train, X_val, y_train, y_val = train_test_split(
        X_rest, y_rest, test_size=val_fraction / (1 - test_fraction), random_state=seed, stratify=y_rest
    )
    if n_train is not None:
        if not 0 < n_train <= len(y_train):
            raise ValueError(f"n_train must be in 1..{len(y_train)}, got {n_train}")
        rng = np.random.default_rng(seed)
        idx = rng.permutation(len(y_train))[:n_train]
        X_train, y_train = X_train[idx], y_train[idx]

    def t(a: np.ndarray) -> torch.Tensor:
        out = torch.from_numpy(np.ascontiguousarray(a))
        return out.reshape(-1, 1, 8, 8) if images and out.dtype == torch.float32 else out

    return Split(t(X_train), t(y_train), t(X_val), t(y_val), t(X_test), t(y_test))


def make_linear_data(n: int = 200, noise: float = 0.5, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """The seed's regression problem ``y = 2x + 1 + noise`` with ``x ~ U(-3, 3)``, shapes ``(n, 1)``."""
    g = torch.Generator().manual_seed(seed)
    x = torch.rand(n, 1, generator=g) * 6 - 3
    y = 2 * x + 1 + noise * torch.randn(n, 1, generator=g)
    return x, y


def load_sample_photos() -> list[np.ndarray]:
    """scikit-learn's two bundled photos (``china.jpg``, ``flower.jpg``) as ``(H, W, 3)`` uint8 arrays."""
    from sklearn.datasets import load_sample_images

    return list(load_sample_images().images)


def make_loaders(
    X_train: torch.Tensor,
    y_train: torch.Tensor,
    X_val: torch.Tensor,
    y_val: torch.Tensor,
    batch_size: int = 64,
    seed: int = 0,
    eval_batch_size: int = 512,
) -> tuple[DataLoader, DataLoader]:
    """A shuffled training loader (seeded generator, so runs repeat) and an ordered validation loader."""
    g = torch.Generator().manual_seed(seed)
    train = DataLoader(TensorDataset(X_train, y_train), batch_size=batch_size, shuffle=True, generator=g)
    val = DataLoader(TensorDataset(X_val, y_val), batch_size=eval_batch_size, shuffle=False)
    return train, val


def reseed_worker_rng(worker_id: int) -> None:
    """``worker_init_fn`` for a ``DataLoader`` whose dataset draws from its own ``np.random.Generator``.

    Since PyTorch 1.9 every worker process seeds Python's ``random`` and NumPy's *global* generator
    from the loader's base seed (``base_seed + worker_id``), so those differ between workers and
    repeat from run to run. A generator object that the dataset created before the workers started
    is copied into every worker in the same state: without this function all workers draw the same
    numbers. It gives ``dataset.rng`` a fresh generator seeded with the worker's own seed
    (``torch.utils.data.get_worker_info().seed``), which follows the loader's ``generator``.
    """
    info = torch.utils.data.get_worker_info()
    if info is not None and hasattr(info.dataset, "rng"):
        info.dataset.rng = np.random.default_rng(info.seed)
