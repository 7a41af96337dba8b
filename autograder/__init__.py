"""The course's autograder: ``python -m autograder check|grade``. See ``autograder/cli.py``."""
