"""``python -m autograder mutate``: the command around :mod:`.runner`."""

from __future__ import annotations

import json
import sys
import time
from dataclasses import asdict

from . import equivalents as eqmod
from . import runner


def run(args, exercises: list[str]) -> int:
    try:
        listed = eqmod.load()
    except eqmod.EquivalentsError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    hidden = args.hidden if args.hidden is not None else runner.default_hidden()
    summaries, dump, stale = [], {}, []
    for exercise in exercises:
        every = runner.exercise_mutants(exercise)
        keys = {m.key for m in every}
        stale += [k for k in listed if k.startswith(exercise + "-") and k not in keys]
        chosen = runner.sample(every, args.sample)
        if args.list:
            for m in chosen:
                mark = "  (equivalent)" if m.key in listed else ""
                print(f"{m.describe()}{mark}\n")
            continue
        cases = runner.cases_for(exercise, hidden)
        start = time.perf_counter()
        done = [0]

        def progress(mutant, outcome, n=len(chosen), exercise=exercise):
            done[0] += 1
            if sys.stderr.isatty():
                print(f"\r{exercise}: {done[0]}/{n}", end="", file=sys.stderr, flush=True)

        if args.sandbox:
            outcomes = runner.run_sandboxed(exercise, chosen, hidden)
        else:
            outcomes = runner.run_fast(exercise, chosen, cases, jobs=max(1, args.jobs), progress=progress)
        if sys.stderr.isatty():
            print(file=sys.stderr)
        s = runner.summarize(exercise, chosen, outcomes, cases, listed, time.perf_counter() - start)
        summaries.append(s)
        dump[exercise] = {m.key: {**asdict(outcomes[m.key]), "operator": m.operator, "line": m.line,
                                  "diff": m.diff, "equivalent": m.key in listed} for m in chosen}
    if args.list:
        return 0
    print(runner.render(summaries, args.show_public_survivors))
    for key in stale:
        print(f"\nSTALE EQUIVALENT: {key} is listed in {eqmod.PATH.name} but no longer generated; remove it")
    if args.json:
        args.json.write_text(json.dumps(dump, indent=1))
    bad = any(s.grader_errors or s.killed_equivalents for s in summaries) or stale
    below = any(100 * s.rate_public < args.min_public or 100 * s.rate_all < args.min_all for s in summaries)
    return 1 if bad or below else 0
