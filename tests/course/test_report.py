"""course.report: glued numbers and tables that render as HTML in the book and as text elsewhere."""

from __future__ import annotations

import doctest

import pytest

from course import report


def test_doctests():
    assert doctest.testmod(report).failed == 0


def test_glue_stores_the_formatted_text_under_myst_nb_s_mime_prefix(monkeypatch):
    shown = []
    monkeypatch.setattr("IPython.display.display",
                        lambda data, raw, metadata: shown.append((data, metadata)))
    assert report.glue("x", 19.5, ".1f") == "19.5"
    assert report.glue("name", "text") == "text"
    (data, meta), _ = shown
    assert data == {"application/papermill.record/text/plain": "19.5"}
    assert meta == {"scrapbook": {"name": "x", "mime_prefix": "application/papermill.record/"}}


def test_glue_matches_what_myst_nb_glue_writes(monkeypatch):
    myst_nb = pytest.importorskip("myst_nb")
    shown = []
    monkeypatch.setattr("myst_nb.ext.glue.ipy_display",
                        lambda data, raw, metadata: shown.append((data, metadata)))
    monkeypatch.setattr("IPython.display.display",
                        lambda data, raw, metadata: shown.append((data, metadata)))
    myst_nb.glue("k", report._Text("0.25"), display=False)
    report.glue("k", 0.25)
    assert shown[0][0] == shown[1][0] and shown[0][1]["scrapbook"] == shown[1][1]["scrapbook"]


def test_table_text_and_markdown():
    t = report.Table(["strategy", "acc", "n"], [["scratch", 0.5501, 3], ["a|b", 0.9, 12]],
                     formats={"acc": ".3f"}, caption="Results")
    text = repr(t)
    assert text.splitlines() == ["Results",
                                 "strategy |   acc |  n",
                                 "---------+-------+---",
                                 "scratch  | 0.550 |  3",
                                 "a|b      | 0.900 | 12"]
    md = t._repr_markdown_().splitlines()
    assert md[2:] == ["| strategy | acc | n |", "|:---|---:|---:|",
                      "| scratch | 0.550 | 3 |", "| a\\|b | 0.900 | 12 |"]
    assert t.cell(1, "acc") == "0.900"


def test_table_formats_by_function_and_checks_row_length():
    t = report.Table(["a"], [[0.5]], formats={"a": lambda v: f"{100 * v:.0f} %"})
    assert t.cell(0, "a") == "50 %"
    with pytest.raises(ValueError, match="2 values for 1 columns"):
        report.Table(["a"], [[1, 2]])


def test_numpy_numbers_are_right_aligned():
    np = pytest.importorskip("numpy")
    t = report.Table(["a", "b"], [[np.float32(0.5), "x"], [np.int64(12), "yy"]])
    assert t._repr_markdown_().splitlines()[1] == "|---:|:---|"
