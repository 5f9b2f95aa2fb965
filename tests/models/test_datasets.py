"""The bundled data sets: shapes, splits, standardization with training statistics, sorting."""

import numpy as np
import pytest

from lib.models import datasets


@pytest.fixture(scope="module")
def digits():
    return datasets.digits()


def test_digits_shapes_and_types(digits):
    assert digits.x_train.shape == (1347, 64) and digits.x_test.shape == (450, 64)
    assert digits.y_train.shape == (1347,) and digits.y_test.shape == (450,)
    assert digits.x_train.dtype == np.float64 and digits.y_train.dtype == np.int32
    assert digits.n_classes == 10
    assert set(np.unique(digits.y_train)) == set(range(10))
    x, y = digits.train
    assert x is digits.x_train and y is digits.y_train


def test_digits_standardized_with_training_statistics(digits):
    x = digits.x_train
    np.testing.assert_allclose(x.mean(axis=0), 0.0, atol=1e-12)
    std = x.std(axis=0)
    constant = digits.std == 1.0  # pixels that never vary in the training set
    assert constant.sum() >= 1
    np.testing.assert_allclose(std[~constant], 1.0, rtol=1e-12)
    np.testing.assert_array_equal(x[:, constant], 0.0)
    # The test set uses the training mean and std, so it is *not* exactly standardized.
    from sklearn.datasets import load_digits
    raw = load_digits()
    row = np.flatnonzero(np.isclose(raw.data, digits.x_test[0] * digits.std + digits.mean).all(axis=1))
    assert row.size >= 1
    assert np.all(np.isfinite(digits.x_test)) and abs(digits.x_test.mean()) > 1e-6


def test_digits_split_is_a_stratified_partition(digits):
    from sklearn.datasets import load_digits
    raw = load_digits()
    both = np.vstack([digits.x_train, digits.x_test]) * digits.std + digits.mean
    key = lambda a: np.round(a).astype(int).tobytes()  # noqa: E731
    assert sorted(map(key, both)) == sorted(map(key, raw.data))
    share_train = np.bincount(digits.y_train) / len(digits.y_train)
    share_test = np.bincount(digits.y_test) / len(digits.y_test)
    np.testing.assert_allclose(share_train, share_test, atol=0.01)


def test_seed_reproducible_and_different(digits):
    again = datasets.digits()
    np.testing.assert_array_equal(again.x_train, digits.x_train)
    other = datasets.digits(seed=1)
    assert not np.array_equal(other.y_train, digits.y_train)
    small = datasets.digits(test_fraction=0.5)
    assert len(small.y_train) + len(small.y_test) == 1797 and abs(len(small.y_test) - 898) <= 5


def test_sort_by_label(digits):
    ordered = datasets.sort_by_label(digits)
    assert np.all(np.diff(ordered.y_train) >= 0)
    np.testing.assert_array_equal(np.bincount(ordered.y_train), np.bincount(digits.y_train))
    # the same (x, y) pairs, only reordered
    order = np.argsort(digits.y_train, kind="stable")
    np.testing.assert_array_equal(ordered.x_train, digits.x_train[order])
    np.testing.assert_array_equal(ordered.x_test, digits.x_test)
    with pytest.raises(TypeError, match="data"):
        datasets.sort_by_label((digits.x_train, digits.y_train))
    with pytest.raises(TypeError, match=r"data\.train\[1\]"):
        datasets.sort_by_label(digits._replace(y_train=None))
    with pytest.raises(ValueError, match=r"data\.train"):
        datasets.sort_by_label(digits._replace(y_train=digits.y_train[:5]))


def test_diabetes():
    data = datasets.diabetes(("bmi", "bp"))
    assert data.x_train.shape == (332, 2) and data.x_test.shape == (110, 2) and data.n_classes == 0
    np.testing.assert_allclose(data.x_train.mean(axis=0), 0.0, atol=1e-12)
    np.testing.assert_allclose(data.x_train.std(axis=0), 1.0, rtol=1e-12)
    assert data.y_train.mean() == pytest.approx(0.0, abs=1e-12)
    assert data.y_train.std() == pytest.approx(1.0)
    # bmi correlates with disease progression (r ≈ 0.59 on the whole set)
    assert 0.4 < np.corrcoef(data.x_train[:, 0], data.y_train)[0, 1] < 0.75
    assert datasets.diabetes("bmi").x_train.shape == (332, 1)


def test_diabetes_components():
    x, y = datasets.diabetes_components()
    assert x.shape == (40, 3) and y.shape == (40,) and x.dtype == y.dtype == np.float64
    np.testing.assert_allclose(x.mean(axis=0), 0.0, atol=1e-12)
    np.testing.assert_allclose(x.std(axis=0), 1.0, rtol=1e-12)
    assert y.mean() == pytest.approx(0.0, abs=1e-12) and y.std() == pytest.approx(1.0, rel=1e-12)
    # Principal components are uncorrelated.
    np.testing.assert_allclose(np.corrcoef(x.T), np.eye(3), atol=1e-12)
    # The 40 targets are 40 different patients' progression, standardized.
    from sklearn.datasets import load_diabetes
    target = load_diabetes().target
    chosen = np.random.default_rng(0).choice(442, size=40, replace=False)
    np.testing.assert_allclose(y * target[chosen].std() + target[chosen].mean(), target[chosen], rtol=1e-12)
    again, other = datasets.diabetes_components(), datasets.diabetes_components(seed=1)
    np.testing.assert_array_equal(again[0], x)
    assert not np.allclose(other[1], y)
    assert datasets.diabetes_components(100, 5)[0].shape == (100, 5)


@pytest.mark.parametrize("call, match, error", [
    (lambda: datasets.digits(test_fraction=0.0), "test_fraction", ValueError),
    (lambda: datasets.digits(test_fraction=1.0), "test_fraction", ValueError),
    (lambda: datasets.digits(seed=-1), "seed", ValueError),
    (lambda: datasets.digits(seed=1.5), "seed", TypeError),
    (lambda: datasets.diabetes(("height",)), "features", ValueError),
    (lambda: datasets.diabetes(()), "features", ValueError),
    (lambda: datasets.diabetes_components(1), "n_patients", ValueError),
    (lambda: datasets.diabetes_components(500), "n_patients", ValueError),
    (lambda: datasets.diabetes_components(40.0), "n_patients", TypeError),
    (lambda: datasets.diabetes_components(40, 11), "n_components", ValueError),
    (lambda: datasets.diabetes_components(3, 3), "n_components", ValueError),
    (lambda: datasets.diabetes_components(seed=-1), "seed", ValueError),
])
def test_validation(call, match, error):
    with pytest.raises(error, match=match):
        call()
