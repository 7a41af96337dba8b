"""The code that runs inside the student's sandboxed process: the harness, the codec, the probes' helpers.

Nothing here imports the grader's other modules: the sandbox receives a copy of this package and
of one exercise's ``probes.py``, and no other file of the grader.
"""
