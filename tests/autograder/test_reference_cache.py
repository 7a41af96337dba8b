"""`check` in the instructor's copy keeps the reference's observations on disk between runs: the same
values as computed afresh, recomputed when anything that decides them changes."""

from __future__ import annotations

import shutil

import pytest
from ag_helpers import ROOT

from autograder import observing
from autograder.cases import PUBLIC
from autograder.inside import codec

CASES = [c for c in PUBLIC if c.exercise == "dropout"][:6]


def test_cached_observations_equal_fresh_ones_and_are_reused(tmp_path, monkeypatch):
    monkeypatch.setattr(observing, "CACHE", tmp_path / "cache")
    fresh = {k: codec.dumps(v) for k, v in observing.expected_observations(CASES).items()}
    twice = {k: codec.dumps(v) for k, v in observing.expected_observations(CASES).items()}
    fixed = [k for k in fresh if fresh[k] == twice[k]]  # not the cases with a fresh, unseeded generator
    assert len(fixed) >= 4
    first = observing.expected_observations(CASES, cache=True)
    [stored] = list((tmp_path / "cache").glob("dropout-*.json"))
    assert {k: codec.dumps(first[k]) for k in fixed} == {k: fresh[k] for k in fixed}

    def computed(case):
        raise AssertionError(f"{case.id} was computed again")

    monkeypatch.setattr(observing, "expected_observation", computed)
    again = observing.expected_observations(CASES, cache=True)
    assert {k: codec.dumps(v) for k, v in again.items()} == {k: codec.dumps(v) for k, v in first.items()}
    stored.write_text("{torn")
    # this process decoded them already (a batch grades every submission against them): no file read
    assert {k: codec.dumps(v) for k, v in observing.expected_observations(CASES, cache=True).items()} == \
        {k: codec.dumps(v) for k, v in first.items()}
    monkeypatch.setattr(observing, "_decoded", {})  # another process: a damaged file is computed again, not trusted
    with pytest.raises(AssertionError, match="computed again"):
        observing.expected_observations(CASES, cache=True)


def test_the_key_changes_with_the_reference_and_the_probes(tmp_path):
    package = tmp_path / "autograder"
    shutil.copytree(ROOT / "autograder" / "inside", package / "inside")
    shutil.copytree(ROOT / "autograder" / "graded" / "dropout", package / "graded" / "dropout")
    (tmp_path / "solutions").mkdir()
    shutil.copy(ROOT / "solutions" / "dropout.py", tmp_path / "solutions" / "dropout.py")
    before = observing._fingerprint("dropout", package)
    assert observing._fingerprint("dropout", package) == before
    with open(tmp_path / "solutions" / "dropout.py", "a") as f:
        f.write("\n# an edit\n")
    after_solution = observing._fingerprint("dropout", package)
    with open(package / "graded" / "dropout" / "probes.py", "a") as f:
        f.write("\n# an edit\n")
    after_probes = observing._fingerprint("dropout", package)
    assert len({before, after_solution, after_probes}) == 3
    assert observing._fingerprint("adam", package) != before
