"""Grading submitted assignment notebooks: a sandbox per submission, verdicts outside it.

The pieces, in the order a submission meets them:

:mod:`.answers`   the JSON form of what a student's kernel may hand back (numbers, lists,
                  strings, a marker for a function or ``...``), and nothing else;
:mod:`.plan`      what to ask a kernel for: the answer variables of the hidden tests, and for
                  implement-it-yourself questions the calls of the student's functions on the
                  inputs the grader chooses (recorded by running the tests on the solution);
:mod:`.sandbox`   bubblewrap around one run: a private copy of the notebook, read-only
                  system, no network, its own process namespace, time and memory limits;
:mod:`.extract`   the script that runs *inside* the sandbox: executes the notebook cell by
                  cell as Run All does and writes the answers file;
:mod:`.score`     the trusted side: the hidden tests run in the instructor's process on the
                  decoded answers; slips are named, nothing of the tests is shown;
:mod:`.gradebook` the CSV per assignment, merged by student, rewritten after every row;
:mod:`.grade`     the batch: parallel sandboxes, identifier checks, feedback, summary;
:mod:`.gradescope` the same split for one submission in Gradescope's container: the zip
                  (``zip/setup.sh``, ``zip/run_autograder``), the notebook run as an
                  unprivileged user, the verdicts written by root into ``results.json``.
"""
