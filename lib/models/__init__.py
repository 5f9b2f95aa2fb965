"""What is optimized: activations, networks, least squares, data sets and two-parameter surfaces.

Pure functions of parameters and data (``f(params, *data)``), with the symmetries and
normalizations of networks. May import ``lib.calculus`` and ``lib._validate``, never an
optimizer: a model does not know how it will be trained.
"""

from . import activations, datasets, deep_chains, networks, regression, surfaces
