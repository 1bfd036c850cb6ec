"""Tolerances of SPEC section 4: losses within rtol * max(|ref|, 1 + max|x|), gradients within
rtol * max|ref grad|, with rtol 1e-5 for float32 and 1e-11 for float64 results."""
import numpy as np

RTOL = {np.dtype(np.float32): 1e-5, np.dtype(np.float64): 1e-11}


def _compare(got, ref, tol, what):
    got, ref = np.asarray(got), np.asarray(ref, np.float64)
    assert got.shape == ref.shape, f"{what}: shape {got.shape}, reference {ref.shape}"
    g = got.astype(np.float64)
    finite = np.isfinite(ref)
    assert np.array_equal(g[~finite], ref[~finite], equal_nan=True), \
        f"{what}: non-finite values differ: {g[~finite]} vs {ref[~finite]}"
    err = np.abs(np.where(finite, g, 0.0) - np.where(finite, ref, 0.0))
    bad = ~(err <= np.broadcast_to(tol, err.shape))  # NaN where the reference is finite is bad too
    if bad.any():
        i = np.unravel_index(np.argmax(np.where(bad, err, -1.0)), err.shape)
        raise AssertionError(f"{what} ({got.dtype}): {bad.sum()} of {err.size} outside tolerance; worst at "
                             f"{i}: got {g[i]!r}, reference {ref[i]!r}, error {err[i]:.3g} > {np.broadcast_to(tol, err.shape)[i]:.3g}")


def assert_loss_close(got, ref, x):
    """Losses (and row-kernel outputs): error <= rtol * max(|ref|, 1 + max |finite x|)."""
    x = np.asarray(x, np.float64)
    big = np.max(np.abs(x[np.isfinite(x)]), initial=0.0)
    ref = np.asarray(ref, np.float64)
    scale = np.maximum(np.abs(np.nan_to_num(ref, posinf=0, neginf=0)), 1 + big)
    _compare(got, ref, RTOL[np.asarray(got).dtype] * scale, "loss")


def assert_grad_close(got, ref):
    """Gradients: error <= rtol * the largest |finite reference gradient|."""
    ref = np.asarray(ref, np.float64)
    largest = np.max(np.abs(ref[np.isfinite(ref)]), initial=0.0)
    _compare(got, ref, RTOL[np.asarray(got).dtype] * largest, "grad")
