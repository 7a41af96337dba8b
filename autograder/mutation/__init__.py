"""Mutation testing of the grader: single-point mutants of each reference, graded by its cases.

``python -m autograder mutate [EXERCISE ...]`` reports, per exercise, the share of mutants that
lose points on the public cases and on all cases; see :mod:`.runner` and :mod:`.operators`.
"""
