"""Claims of the chapter "Stochastic gradient descent" that its hidden cells do not check.

The chapter asserts its own claims where it computes them (the mean of the per-example gradients,
the 1/S law with the finite-population correction, progress per example, shuffling, step decay);
the mini-batch runs' unit tests are in tests/optim/. What is left is the answer to the exercise
"Order does not matter for the full batch", whose solution the chapter shows but does not run.
"""

import jax.numpy as jnp
import numpy as np

import lib
from lib.models import datasets, networks

WEIGHT_DECAY = 1e-2


def loss(params, x, y):
    return networks.cross_entropy_loss(params, x, y) + 0.5 * WEIGHT_DECAY * jnp.sum(params[0]["w"] ** 2)


PARAMS0 = [{"w": np.zeros((64, 10)), "b": np.zeros(10)}]


def test_full_batch_does_not_care_about_order():
    digits = datasets.digits()
    x, y = digits.train
    ordered = datasets.sort_by_label(digits)
    a = lib.optimize(lib.sgd(), loss, PARAMS0, x, y, hyper={"lr": 0.5}, batch_size=len(y), epochs=5,
                     shuffle=False)
    b = lib.optimize(lib.sgd(), loss, PARAMS0, *ordered.train, hyper={"lr": 0.5}, batch_size=len(y), epochs=5,
                     shuffle=False)
    np.testing.assert_allclose(a.losses, b.losses, rtol=1e-12)
