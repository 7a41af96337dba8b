"""course.plotting: figures fit the book's column, panels come in the order asked for."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from course import plotting  # noqa: E402


def test_figures_fit_the_book_width_and_keep_the_panel_order():
    history = {m: [1.0, 0.5] for m in ("train_loss", "val_loss", "val_acc")}
    fig = plotting.plot_history({"run": history}, metrics=("train_loss", "val_loss", "val_acc"))
    assert fig.get_figwidth() <= plotting.MAX_WIDTH_IN
    assert [ax.get_title() for ax in fig.axes] == ["train_loss", "val_loss", "val_acc"]
    fig = plotting.plot_lr_curves({f"s{i}": np.linspace(1, 0, 5) for i in range(7)}, ncols=4)
    assert fig.get_figwidth() <= plotting.MAX_WIDTH_IN
    fig = plotting.show_images([np.zeros((4, 4))] * 8, ncols=4, size=3.0)
    assert fig.get_figwidth() <= plotting.MAX_WIDTH_IN + 1e-9
    plt.close("all")
