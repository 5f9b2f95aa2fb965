r"""Small real data sets that ship with scikit-learn (no download), ready for JAX.

:func:`digits` is the UCI optical-recognition set of 1797 handwritten digits,
8 × 8 grey levels (64 features), 10 classes. :func:`diabetes` is the 442-patient
regression set of Efron et al. (2004). Both are split into training and test
sets with a fixed seed and standardized with the *training* statistics:

.. math:: \tilde x_{ij} = (x_{ij} - \mu_j) / \sigma_j ,

where a feature that is constant on the training set (several corner pixels of
the digits are always 0) keeps :math:`\sigma_j = 1`, so it stays 0 instead of
becoming ``nan``. Arrays are float64 numpy (labels int32). :func:`diabetes_components`
is a small subset of the diabetes patients on principal components, without a split: the
fixed data of a loss landscape.

>>> data = digits()
>>> data.x_train.shape, data.y_train.shape, data.x_test.shape
((1347, 64), (1347,), (450, 64))
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from .. import _validate

__all__ = ["Dataset", "digits", "diabetes", "diabetes_components", "sort_by_label"]


class Dataset(NamedTuple):
    """A standardized train/test split. ``mean``/``std`` are the training statistics used."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    mean: np.ndarray
    std: np.ndarray
    n_classes: int  #: number of classes, 0 for regression

    @property
    def train(self):
        """``(x_train, y_train)``: the data arguments of a loss ``f(params, x, y)``."""
        return self.x_train, self.y_train

    @property
    def test(self):
        return self.x_test, self.y_test


def _check_split(test_fraction, seed):
    test_fraction = _validate.real_scalar("test_fraction", test_fraction)
    if not 0.0 < test_fraction < 1.0:
        raise ValueError(f"test_fraction must lie in (0, 1), got {test_fraction}")
    return test_fraction, _validate.seed("seed", seed)


def _split_standardize(x, y, test_fraction, seed, stratify, n_classes):
    rng = np.random.default_rng(seed)
    n = len(x)
    if stratify:
        test = []
        for label in np.unique(y):
            members = rng.permutation(np.flatnonzero(y == label))
            test.extend(members[: int(round(test_fraction * len(members)))])
        test = np.sort(np.asarray(test))
    else:
        test = np.sort(rng.permutation(n)[: int(round(test_fraction * n))])
    is_test = np.zeros(n, dtype=bool)
    is_test[test] = True
    # A fixed shuffle of the training set, so that "the order of the data" is not the file's order.
    train = rng.permutation(np.flatnonzero(~is_test))
    x_train, x_test = x[train], x[np.flatnonzero(is_test)]
    mean = x_train.mean(axis=0)
    std = x_train.std(axis=0)
    std = np.where(std > 1e-12 * max(1.0, float(np.abs(mean).max())), std, 1.0)
    standardize = lambda a: (a - mean) / std  # noqa: E731
    return Dataset(standardize(x_train), y[train], standardize(x_test), y[np.flatnonzero(is_test)],
                   mean, std, n_classes)


def digits(test_fraction=0.25, seed=0) -> Dataset:
    """The 8 × 8 handwritten digits: ``x`` (N, 64) standardized pixels, ``y`` (N,) labels 0–9.

    The split is stratified (each class keeps the same share in both sets) and
    the training examples come in a fixed random order (``seed``). With the
    defaults, 1347 training and 450 test examples.
    """
    from sklearn.datasets import load_digits

    test_fraction, seed = _check_split(test_fraction, seed)
    raw = load_digits()
    return _split_standardize(raw.data.astype(np.float64), raw.target.astype(np.int32),
                              test_fraction, seed, stratify=True, n_classes=10)


def _feature_columns(features, names: list) -> list[int]:
    """The column of each name in ``features`` (one name, or a list or tuple of distinct ones)."""
    if isinstance(features, str):
        features = (features,)
    if not isinstance(features, (list, tuple)):
        raise TypeError(f"features must be a tuple of names among {names}, got {type(features).__name__}")
    if not features:
        raise ValueError("features must name at least one feature")
    for name in features:
        if not isinstance(name, str):
            raise TypeError(f"features must be a tuple of names among {names}, got an entry of type "
                            f"{type(name).__name__}")
        if name not in names:
            raise ValueError(f"features must be names among {names}, got {name!r}")
    repeated = sorted({name for name in features if features.count(name) > 1})
    if repeated:
        raise ValueError(f"features must be distinct names, got {repeated} more than once "
                         f"(a repeated column would make the inputs collinear)")
    return [names.index(name) for name in features]


def diabetes(features=("bmi",), test_fraction=0.25, seed=0) -> Dataset:
    """Disease progression of 442 diabetes patients against chosen baseline ``features``.

    ``features`` is a tuple (or list) of distinct names among ``age, sex, bmi, bp, s1 … s6``,
    or one name; the columns of ``x`` follow its order. Inputs
    are standardized with the training statistics, and so is the target
    (``y`` has training mean 0 and standard deviation 1), so a least-squares
    fit has well-scaled weights. ``n_classes`` is 0 (regression).
    """
    from sklearn.datasets import load_diabetes

    test_fraction, seed = _check_split(test_fraction, seed)
    raw = load_diabetes(scaled=False)
    names = list(raw.feature_names)
    columns = _feature_columns(features, names)
    data = _split_standardize(raw.data[:, columns].astype(np.float64), raw.target.astype(np.float64),
                              test_fraction, seed, stratify=False, n_classes=0)
    y_mean, y_std = data.y_train.mean(), data.y_train.std()
    return data._replace(y_train=(data.y_train - y_mean) / y_std, y_test=(data.y_test - y_mean) / y_std)


def diabetes_components(n_patients=40, n_components=3, seed=0):
    r"""A small regression problem: a random subset of the diabetes patients, on principal components.

    Draws ``n_patients`` of the 442 patients without replacement
    (``numpy.random.default_rng(seed)``), projects their 10 baseline
    measurements (scikit-learn's scaled ones) on their first ``n_components``
    principal components and divides each component by its standard deviation;
    the target, disease progression after one year, is standardized the same way:

    .. math:: x_{nj} = s_{nj} / \operatorname{std}_n(s_{\cdot j}), \qquad
              y_n = (t_n - \bar t) / \operatorname{std}(t),

    with :math:`s` the component scores (mean 0 by construction). There is no
    test split: this is the fixed data of a loss landscape, not a benchmark.
    Returns ``(x, y)``, float64 arrays of shapes ``(n_patients, n_components)``
    and ``(n_patients,)``, each column of ``x`` and ``y`` with mean 0 and standard
    deviation 1.

    >>> x, y = diabetes_components()
    >>> x.shape, y.shape, round(float(y.std()), 12)
    ((40, 3), (40,), 1.0)
    """
    from sklearn.datasets import load_diabetes
    from sklearn.decomposition import PCA

    n_patients = _validate.positive_int("n_patients", n_patients)
    n_components = _validate.positive_int("n_components", n_components)
    seed = _validate.seed("seed", seed)
    features, progression = load_diabetes(return_X_y=True)
    if not 2 <= n_patients <= len(progression):
        raise ValueError(f"n_patients must be between 2 and {len(progression)}, got {n_patients}")
    if n_components > min(features.shape[1], n_patients - 1):
        raise ValueError(f"n_components must be at most {min(features.shape[1], n_patients - 1)} "
                         f"for {n_patients} patients, got {n_components}")
    chosen = np.random.default_rng(seed).choice(len(progression), size=n_patients, replace=False)
    x = PCA(n_components=n_components).fit_transform(features[chosen])
    x = x / x.std(axis=0)
    y = (progression[chosen] - progression[chosen].mean()) / progression[chosen].std()
    return x.astype(np.float64), y.astype(np.float64)


def sort_by_label(data: Dataset) -> Dataset:
    """The same data with the *training* examples sorted by label (stable): all 0s, then all 1s, …

    This is how a data set often arrives from disk; it shows what happens to
    stochastic gradient descent if nobody shuffles.
    """
    if not isinstance(data, Dataset):
        raise TypeError(f"data must be a lib.models.datasets.Dataset, got {type(data).__name__}")
    _, y_train = _validate.examples("data.train", data.train)  # checked; the arrays stay as given
    if y_train.ndim != 1:
        raise ValueError(f"data.y_train must hold one label per example (1-D), got shape {y_train.shape}")
    order = np.argsort(data.y_train, kind="stable")
    return data._replace(x_train=data.x_train[order], y_train=data.y_train[order])
