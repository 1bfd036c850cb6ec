"""Element-wise kernels against NumPy long double references (<= 2 ulp from the correctly rounded
result, SEMANTICS.md), special values, shapes, and the sharded lse_partial / lse_merge."""
import numpy as np
import pytest

import xent
from _check import assert_loss_close

FLOATS = (np.float32, np.float64)
L = np.longdouble
KERNELS = {  # name: (reference on long double, input range)
    "exp": (np.exp, (-80, 80)),
    "log": (np.log, (1e-30, 1e30)),
    "log1p": (np.log1p, (-0.999, 100)),
    "sigmoid": (lambda x: 1 / (1 + np.exp(-x)), (-80, 80)),
    "softplus": (lambda x: np.logaddexp(L(0), x), (-80, 80)),
    "log_sigmoid": (lambda x: -np.logaddexp(L(0), -x), (-80, 80)),
}


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("name", KERNELS)
def test_elementwise_within_two_ulp(name, dtype):
    reference, (lo, hi) = KERNELS[name]
    rng = np.random.default_rng(3)
    x = (np.geomspace(lo, hi, 999) if name == "log" else rng.uniform(lo, hi, 999)).astype(dtype)
    x = x.reshape(27, 37)
    y = getattr(xent, name)(x)
    assert y.dtype == dtype and y.shape == x.shape
    ref = reference(x.astype(L))
    ulps = np.abs(y.astype(L) - ref) / np.spacing(np.abs(ref.astype(dtype)))
    assert ulps.max() <= 2.5, f"{name}: {ulps.max():.2f} ulp at x = {x.flat[np.argmax(ulps)]!r}"


@pytest.mark.parametrize("dtype", FLOATS)
def test_special_values(dtype):
    inf, nan = np.inf, np.nan
    assert np.array_equal(xent.exp(np.array([-inf, inf, nan], dtype)), [0, inf, nan], equal_nan=True)
    assert np.array_equal(xent.log(np.array([0, -1, 1], dtype)), [-inf, nan, 0], equal_nan=True)
    assert xent.logsumexp(np.full((1, 4), -inf, dtype))[0] == -inf
    assert np.isnan(xent.softmax(np.full((1, 4), -inf, dtype))).all()


def test_float_dtype_follows_input():
    assert xent.exp(np.zeros(3, np.float32)).dtype == np.float32
    assert xent.exp(np.zeros(3, np.float16)).dtype == np.float16  # the _f16 function (test_half.py)
    assert xent.logsumexp(np.zeros((2, 3), np.float16)).dtype == np.float32
    assert xent.exp([0, 1]).dtype == np.float64
    assert xent.exp(np.zeros(3, np.int32)).dtype == np.float64
    assert xent.exp(np.float32(0)).shape == ()


@pytest.mark.parametrize("dtype", FLOATS)
def test_sharded_lse_equals_whole_rows(dtype):
    rng = np.random.default_rng(5)
    x = rng.normal(scale=20, size=(2, 3, 30)).astype(dtype)
    x[0, 0, :11] = -np.inf  # a shard with nothing in it
    parts = [xent.lse_partial(shard) for shard in np.split(x, [11, 19], axis=-1)]
    assert parts[0][0].shape == (2, 3)
    merged = xent.lse_merge(np.stack([m for m, _ in parts]), np.stack([s for _, s in parts]))
    assert merged.dtype == dtype and merged.shape == (2, 3)
    whole = np.logaddexp.reduce(x.astype(np.float64), axis=-1)
    assert_loss_close(merged, whole, x)
    assert_loss_close(xent.logsumexp(x), whole, x)


def test_softmax_family_on_any_axis():
    rng = np.random.default_rng(3)
    x = rng.uniform(-10, 10, (3, 5, 4))
    for axis in (0, 1, 2, -1, -2):
        e = np.exp(x - x.max(axis=axis, keepdims=True))
        np.testing.assert_allclose(xent.softmax(x, axis=axis), e / e.sum(axis=axis, keepdims=True), rtol=1e-12, atol=1e-15)
        ref = np.log(e.sum(axis=axis)) + x.max(axis=axis)
        np.testing.assert_allclose(xent.logsumexp(x, axis=axis), ref, rtol=1e-12)
        np.testing.assert_allclose(xent.log_softmax(x, axis=axis), x - np.expand_dims(ref, axis), rtol=1e-11, atol=1e-11)
    with pytest.raises(xent.XentError, match="axis 3"):
        xent.softmax(x, axis=3)
