"""lib.timing.best_time: warm-up call not counted, the minimum of the timed calls, validation."""

import pytest

from lib import timing


def test_warm_up_is_not_timed_and_the_fastest_call_is_returned(monkeypatch):
    calls = []
    clock = iter([0.0, 5.0, 10.0, 12.0, 20.0, 23.0])          # timed calls take 5, 2 and 3 s
    monkeypatch.setattr(timing.time, "perf_counter", lambda: next(clock))
    assert timing.best_time(lambda x: calls.append(x), 7, repeats=3) == 2.0
    assert calls == [7, 7, 7, 7]                              # one warm-up call + three timed


def test_validation_names_the_argument():
    with pytest.raises(ValueError, match="repeats"):
        timing.best_time(lambda: 0, repeats=0)
    with pytest.raises(TypeError, match="fn"):
        timing.best_time(3)
