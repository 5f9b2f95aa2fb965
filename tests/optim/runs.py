"""A keyword-argument form of lib.optimize for the tests: ``run_rule(lib.adam(), f, x0, lr=0.1, steps=5)``."""

import lib


def run_rule(rule, f, x0, *args, steps=100, max_norm=1e8, **hyper):
    """``lib.optimize(rule, f, x0, *args, hyper=hyper, …)``, its runs counted under ``rule.name``."""
    return lib.optimize(rule, f, x0, *args, hyper=hyper, steps=steps, max_norm=max_norm, name=rule.name)


def update(rule, grad, state, **hyper):
    """One step of ``rule`` by hand: ``(step, new_state)``."""
    return rule.update(grad, state, None, hyper, None)
