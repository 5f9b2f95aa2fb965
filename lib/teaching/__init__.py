"""The reader's side: self-checks, checks of update rules the reader writes, autograder asserts,
per-student variants, and ``glue`` (numbers a chapter computes and its prose quotes).

Top layer beside ``lib.explorer`` (neither imports the other): may import every numerical
layer below (theory, optim, models, calculus).
"""

from . import checks
