"""Comparing xent with TensorFlow / Keras computed in the same dtype.

Tolerances are SPEC section 4's, doubled because the reference is itself rounded in that
dtype (TF float32 carries its own ~1e-7 relative error): a loss within
2 * rtol * max(|ref|, 1 + max|finite input|), a gradient within 2 * rtol * max|finite ref grad| + 8 ulp(1) (TF's rounding noise where the
gradient is 0, e.g. one class),
rtol 1e-5 (float32) and 1e-11 (float64). Non-finite reference values must be matched exactly
(same infinity, NaN for NaN), and a NaN where the reference is finite fails."""
import numpy as np
import tensorflow as tf

RTOL = {np.dtype(np.float32): 2e-5, np.dtype(np.float64): 2e-11}
FLOATS = (np.float32, np.float64)


def _compare(got, ref, tol, what):
    got, ref = np.asarray(got), np.asarray(ref)
    assert got.shape == ref.shape, f"{what}: xent shape {got.shape}, TF shape {ref.shape}"
    g, r = got.astype(np.float64), ref.astype(np.float64)
    finite = np.isfinite(r)
    assert np.array_equal(g[~finite], r[~finite], equal_nan=True), \
        f"{what}: non-finite values differ: xent {g[~finite]} vs TF {r[~finite]}"
    err = np.abs(np.where(finite, g, 0.0) - np.where(finite, r, 0.0))
    tol = np.broadcast_to(tol, err.shape)
    bad = ~(err <= tol)
    if bad.any():
        i = np.unravel_index(np.argmax(np.where(bad, err, -1.0)), err.shape)
        raise AssertionError(f"{what} ({got.dtype}): {bad.sum()} of {err.size} outside tolerance; worst at {i}: "
                             f"xent {g[i]!r}, TF {r[i]!r}, error {err[i]:.3g} > {tol[i]:.3g}")


def assert_loss(got, ref, x):
    got = np.asarray(got)
    x = np.asarray(x, np.float64)
    big = np.max(np.abs(x[np.isfinite(x)]), initial=0.0)
    r = np.asarray(ref, np.float64)
    scale = np.maximum(np.abs(np.nan_to_num(r, posinf=0, neginf=0)), 1 + big)
    _compare(got, ref, RTOL[got.dtype] * scale, "loss")


def assert_grad(got, ref):
    got = np.asarray(got)
    r = np.asarray(ref, np.float64)
    largest = np.max(np.abs(r[np.isfinite(r)]), initial=0.0)
    _compare(got, ref, RTOL[got.dtype] * largest + 8 * np.finfo(got.dtype).eps, "grad")


def tape(fn, x, upstream=None):
    """fn(x) and its GradientTape gradient with respect to x: of the sum of fn(x), or with
    `upstream` as output_gradients (the cotangent dloss)."""
    x = tf.constant(x)
    with tf.GradientTape() as g:
        g.watch(x)
        y = fn(x)
    grad = g.gradient(y, x, output_gradients=None if upstream is None else tf.constant(upstream, y.dtype))
    return y.numpy(), grad.numpy()


def differs(a, b, x, factor=10):
    """True where a and b differ by more than factor times the tolerance (or in finiteness)."""
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    big = np.max(np.abs(np.asarray(x, np.float64)[np.isfinite(x)]), initial=0.0)
    both = np.isfinite(a) & np.isfinite(b)
    tol = factor * 1e-5 * np.maximum(np.abs(np.where(both, b, 0)), 1 + big)
    return np.where(both, np.abs(np.where(both, a - b, 0)) > tol, ~((a == b) | (np.isnan(a) & np.isnan(b))))
