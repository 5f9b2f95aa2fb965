"""What the book derives or maps about the optimizers: closed forms and their conditions.

Quadratics (gradient descent and heavy-ball rates), Newton's method, SGD's noise floor,
stability and saddle escape, data-parallel cost, basins of attraction and tuned learning
rates. May import the optimizer modules, ``lib.models`` and ``lib.calculus``; never
``lib.teaching`` or ``lib.explorer``.
"""

from . import quadratic, second_order, tuning
