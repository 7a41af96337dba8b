"""Data loaders, models and the exercise loader the notebooks use."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from course import data, impl, models


def test_digits_split_is_stratified_reproducible_and_disjoint():
    a, b = data.load_digits_tensors(seed=1), data.load_digits_tensors(seed=1)
    assert torch.equal(a.X_train, b.X_train)
    assert sum(a.sizes().values()) == 1797
    assert a.X_train.dtype == torch.float32 and float(a.X_train.max()) <= 1.0
    assert set(a.y_val.tolist()) == set(range(10))
    rows = {tuple(r.tolist()) for r in a.X_test}
    assert not any(tuple(r.tolist()) in rows for r in a.X_train[:200])


def test_digits_options():
    s = data.load_digits_tensors(n_train=100, images=True, classes=(5, 6, 7))
    assert s.X_train.shape == (100, 1, 8, 8) and set(s.y_train.tolist()) <= {0, 1, 2}
    with pytest.raises(ValueError, match="n_train"):
        data.load_digits_tensors(n_train=100000)


def test_linear_data_and_photos():
    x, y = data.make_linear_data(n=200, noise=0.0)
    assert torch.allclose(y, 2 * x + 1)
    photos = data.load_sample_photos()
    assert len(photos) == 2 and photos[0].shape == (427, 640, 3)


def test_models_shapes():
    assert models.mlp()(torch.zeros(5, 64)).shape == (5, 10)
    cnn = models.DigitsCNN(num_classes=4)
    assert cnn(torch.zeros(3, 1, 8, 8)).shape == (3, 4)
    assert models.count_parameters(cnn) > models.count_parameters(cnn.head)


def test_impl_prefers_the_reference_and_can_be_forced_to_the_stubs(monkeypatch, capsys):
    assert impl.load("adam").__name__ == "solutions.adam"
    monkeypatch.setenv("COURSE_IMPL", "exercises")
    stub = impl.load("adam")
    assert stub.__name__ == "exercises.adam"
    with impl.attempt("adam"):
        stub.adam_update(None, None, None, None, 1)
    out = capsys.readouterr().out
    assert "not implemented yet" in out and "python -m autograder check adam" in out
    with pytest.raises(ValueError, match="unknown exercise"):
        impl.load("sgd")


@pytest.mark.parametrize("exercise, name", [("adam", "adam_update"), ("adam", "Adam"),
                                            ("dropout", "dropout"), ("dropout", "Dropout"),
                                            ("early_stopping", "EarlyStopping")])
def test_show_source_shows_the_stub_never_the_reference(monkeypatch, exercise, name):
    monkeypatch.delenv(impl.SHOW_SOLUTIONS_ENV, raising=False)
    monkeypatch.delenv("COURSE_IMPL", raising=False)
    assert impl.load(exercise).__name__ == f"solutions.{exercise}"  # the book runs the reference...
    shown = impl.show_source(exercise, name).data                   # ...but shows the student's file
    assert f"exercises/{exercise}.py" in shown and "NotImplementedError" in shown
    reference = impl.inspect.getsource(getattr(impl.load(exercise), name))
    assert reference not in shown


def test_an_instructor_build_shows_the_reference(monkeypatch):
    monkeypatch.setenv(impl.SHOW_SOLUTIONS_ENV, "1")
    shown = impl.show_source("dropout", "dropout").data
    assert "solutions/dropout.py" in shown and "NotImplementedError" not in shown
    monkeypatch.setenv(impl.SHOW_SOLUTIONS_ENV, "0")
    assert "exercises/dropout.py" in impl.show_source("dropout", "dropout").data


class _OwnGenerator(torch.utils.data.Dataset):
    """Each item is a draw from a NumPy Generator made before the workers start."""

    def __init__(self, n: int = 4) -> None:
        self.n, self.rng = n, np.random.default_rng(0)

    def __len__(self) -> int:
        return self.n

    def __getitem__(self, i: int) -> float:
        return float(self.rng.normal())


def _draws(worker_init_fn=None, seed=0):
    loader = torch.utils.data.DataLoader(_OwnGenerator(), batch_size=2, num_workers=2,
                                         worker_init_fn=worker_init_fn,
                                         generator=torch.Generator().manual_seed(seed))
    return [b.tolist() for b in loader]


def test_reseed_worker_rng_gives_each_worker_its_own_reproducible_stream():
    same = _draws()
    assert same[0] == same[1], "without it, both workers copy one generator and draw the same numbers"
    a, b, c = _draws(data.reseed_worker_rng, 0), _draws(data.reseed_worker_rng, 0), _draws(data.reseed_worker_rng, 1)
    assert a[0] != a[1] and a == b and a != c
    data.reseed_worker_rng(0)  # in the main process it does nothing
