"""The GitHub Actions workflows: valid by GitHub's schema, and doing what the README says.

``check-jsonschema --builtin-schema vendor.github-workflows`` validates against the schema it
ships (no network). The content checks pin what the schema cannot: the book is built with the
README's first command and published through GitHub Pages' own actions, the execution cache is
kept between runs, and the tests run with the README's second command on pushes and pull requests.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
WORKFLOWS = ROOT / ".github" / "workflows"


def readme_commands() -> tuple[str, str]:
    """The README's two commands (build, test), without their comments."""
    lines = (ROOT / "README.md").read_text(encoding="utf8").splitlines()
    commands = [line.split("#")[0].strip() for line in lines[1:3]]
    assert lines[0].startswith("```") and all(commands), "README must open with the two commands"
    return commands[0], commands[1]


def workflow_files() -> list[Path]:
    return sorted([*WORKFLOWS.glob("*.yml"), *WORKFLOWS.glob("*.yaml")])


def load(path: Path) -> dict:
    data = yaml.safe_load(path.read_text(encoding="utf8"))
    # YAML 1.1 reads the key `on:` as True.
    if True in data:
        data["on"] = data.pop(True)
    return data


def steps(workflow: dict) -> list[dict]:
    return [step for job in workflow["jobs"].values() for step in job.get("steps", [])]


def uses(workflow: dict) -> list[str]:
    return [step["uses"].split("@")[0] for step in steps(workflow) if "uses" in step]


def runs(workflow: dict) -> list[str]:
    return [" ".join(step["run"].split()) for step in steps(workflow) if "run" in step]


def the_workflow_that(predicate, what: str) -> dict:
    found = [load(p) for p in workflow_files() if predicate(load(p))]
    assert found, f"no workflow in .github/workflows/ {what}"
    return found[0]


def check_jsonschema(*paths: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "check_jsonschema", "--builtin-schema", "vendor.github-workflows",
         *map(str, paths)], capture_output=True, text=True, timeout=120)


def test_there_are_workflows():
    assert len(workflow_files()) >= 2, "expected a workflow that publishes the book and one that tests"


@pytest.mark.parametrize("path", workflow_files(), ids=lambda p: p.name)
def test_workflow_is_valid_by_githubs_schema(path):
    result = check_jsonschema(path)
    assert result.returncode == 0, f"{path.name} is not a valid workflow:\n{result.stdout}{result.stderr}"


def test_the_schema_check_catches_a_broken_workflow(tmp_path):
    broken = tmp_path / "broken.yml"
    broken.write_text("name: broken\non: push\njobs:\n  build:\n    steps:\n      - run: true\n")
    assert check_jsonschema(broken).returncode != 0, "a job without runs-on passed the schema check"


def test_book_workflow_builds_with_the_readme_command_and_publishes_to_pages():
    build, _ = readme_commands()
    wf = the_workflow_that(lambda w: "actions/deploy-pages" in uses(w), "uses actions/deploy-pages")
    assert {"actions/configure-pages", "actions/upload-pages-artifact",
            "actions/deploy-pages"} <= set(uses(wf))
    assert build in runs(wf), f"the book workflow must run the README's first command: {build}"
    upload = next(s for s in steps(wf) if s.get("uses", "").startswith("actions/upload-pages-artifact"))
    assert upload.get("with", {}).get("path", "").rstrip("/") == "_build/html"
    assert wf["permissions"].get("pages") == "write" and wf["permissions"].get("id-token") == "write"
    assert "push" in wf["on"]


@pytest.mark.parametrize("kind", ["book", "tests"])
def test_workflows_keep_the_execution_cache_keyed_on_notebooks_and_requirements(kind):
    build, test = readme_commands()
    command = build if kind == "book" else test
    wf = the_workflow_that(lambda w: command in runs(w), f"runs `{command}`")
    caches = [s for s in steps(wf) if s.get("uses", "").startswith("actions/cache")]
    assert caches, f"the {kind} workflow does not cache the execution cache"
    cache = caches[0]["with"]
    assert "_build/.jupyter_cache" in cache["path"]
    assert "book/" in cache["key"] and ".ipynb" in cache["key"] and "requirements.txt" in cache["key"]
    order = [i for i, s in enumerate(steps(wf)) if s is caches[0] or command in " ".join(s.get("run", "").split())]
    assert order[0] == steps(wf).index(caches[0]), "the cache must be restored before the build"


def test_test_workflow_runs_the_readme_test_command_on_pushes_and_pull_requests():
    _, test = readme_commands()
    wf = the_workflow_that(lambda w: test in runs(w), f"runs the README's second command: {test}")
    assert "push" in wf["on"] and "pull_request" in wf["on"]
