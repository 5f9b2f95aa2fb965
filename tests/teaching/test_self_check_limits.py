"""The self-checks answer every reader's function: one that never returns, exits, or is complex."""

import numpy as np
import pytest

from lib.teaching import checks, update_checks


def loops_forever(theta, grad, lr):
    while True:
        pass


def swallows_exceptions_and_loops(theta, grad, lr):
    while True:
        try:
            while True:
                pass
        except Exception:  # noqa: BLE001 - a reader's broad except must not swallow the time limit
            continue


def test_an_endless_loop_is_stopped_and_named(monkeypatch, capsys):
    monkeypatch.setattr(update_checks, "TIME_LIMIT", 0.2)
    for fn in (loops_forever, swallows_exceptions_and_loops):
        assert update_checks.check_gd_step(fn) is False
        assert "did not return within 0.2 s at step 1" in capsys.readouterr().out


def test_the_time_limit_is_lifted_after_the_check(monkeypatch, capsys):
    import signal

    monkeypatch.setattr(update_checks, "TIME_LIMIT", 0.2)
    before = signal.getsignal(signal.SIGALRM)
    update_checks.check_gd_step(loops_forever)
    assert signal.getsignal(signal.SIGALRM) is before
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)
    assert update_checks.check_gd_step(lambda theta, grad, lr: theta - lr * grad) is True
    capsys.readouterr()


def test_system_exit_is_reported_not_raised(capsys):
    def exits(theta, grad, lr):
        raise SystemExit(3)

    assert update_checks.check_gd_step(exits) is False
    assert "called exit() or raised SystemExit at step 1" in capsys.readouterr().out

    def loop_exits(grad_fn, theta, X, y, lr, batch_size, epochs, rng):
        raise SystemExit

    assert update_checks.check_sgd_loop(loop_exits) is False
    assert "SystemExit" in capsys.readouterr().out


def test_a_complex_answer_is_not_correct(capsys):
    assert update_checks.check_gd_step(lambda theta, grad, lr: (theta - lr * grad) + 0j) is False
    assert "theta must be real, got complex numbers at step 1" in capsys.readouterr().out
    with pytest.raises(TypeError, match="answer must be real"):
        checks.check_array(np.array([1.0 + 0j, 2.0]), [1.0, 2.0])
    with pytest.raises(TypeError, match="answer must be a number"):
        checks.check_scalar(True, 1.0)
