"""What the grading sandbox gives a notebook for ``import otter`` (on its path before the real one).

In the sandbox no verdict comes from otter: the kernel only hands back answers, and the
hidden tests run in the grader's own process. ``grader.check(...)`` there would only print
the public tests for the student, and importing otter-grader takes seconds per notebook
(most of what the set-up cell costs), so this stand-in accepts the calls and does nothing.
"""

__version__ = "sandbox stand-in"


class Notebook:
    def __init__(self, *args, **kwargs):
        pass

    def check(self, *args, **kwargs):
        return None

    def check_all(self, *args, **kwargs):
        return None

    def __getattr__(self, name):
        return lambda *args, **kwargs: None
