"""Reference solutions of the graded exercises (instructors only; not in the student release).

This package mirrors ``exercises/`` file for file and name for name.
"""
