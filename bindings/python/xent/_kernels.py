"""exp / log / softmax kernels over NumPy arrays (float32 input stays float32, float16 and bfloat16
call the 16-bit functions, others float64). Row kernels work on the last axis: x of shape
(..., cols) is rows = prod(...) rows; logsumexp / softmax / log_softmax also on any `axis`."""
import math

import numpy as np

from ._half import float_array, real_array, widen
from ._lib import MERGE, PARTIAL, ROWS, UNARY, Status, XentError, call, ptr


def _rows(name, x):
    """x as (rows, cols) over its last axis."""
    if x.ndim < 1:
        raise XentError(Status.INVALID_SHAPE, f"xent_{name}: x must have at least one axis")
    return math.prod(x.shape[:-1]), x.shape[-1]


AXIS = (ROWS[0], ROWS[1], ROWS[1], ROWS[1], ROWS[3])  # x, outer, cols, inner, out


def _axis(name, x, axis):
    """(outer, cols, inner) of x around `axis` (an int, negative from the end)."""
    if x.ndim < 1:
        raise XentError(Status.INVALID_SHAPE, f"xent_{name}: x must have at least one axis")
    a = axis + x.ndim if axis < 0 else axis
    if not 0 <= a < x.ndim:
        raise XentError(Status.INVALID_SHAPE, f"xent_{name}: axis {axis} is out of range for {x.ndim} axes")
    return math.prod(x.shape[:a]), x.shape[a], math.prod(x.shape[a + 1:])


def _on_axis(name, x, elem, axis, reduces):
    """xent_{name} over `axis` of x: y of x's shape, or with reduces=True x's shape without `axis`
    (elem.real). The *_axis_* function where elem has one; else (16-bit) the last-axis function,
    on a 16-bit copy of x with `axis` moved last unless the axis is last already (inner = 1)."""
    outer, cols, inner = _axis(name, x, axis)
    a = axis % x.ndim
    moved = x if inner == 1 or elem.axis else np.ascontiguousarray(np.moveaxis(x, a, -1))
    b = a if moved is x else x.ndim - 1  # where the axis is in `moved`
    y = np.empty(moved.shape[:b] + moved.shape[b + 1:], elem.real) if reduces else np.empty_like(moved)
    if elem.axis:
        call(f"xent_{name}_axis_{elem.suffix}", AXIS, ptr(x), outer, cols, inner, ptr(y))
    else:
        call(f"xent_{name}_{elem.suffix}", ROWS, ptr(moved), outer * inner, cols, ptr(y))
    return y if reduces or moved is x else np.ascontiguousarray(np.moveaxis(y, -1, a))


def _same_shape(name, doc, row_wise=False):
    def elementwise(x):
        x, elem = float_array(x)
        y = np.empty_like(x)
        call(f"xent_{name}_{elem.suffix}", UNARY, ptr(x), ptr(y), x.size)
        return y

    def along(x, axis=-1):
        x, elem = float_array(x)
        return _on_axis(name, x, elem, axis, reduces=False)

    kernel = along if row_wise else elementwise
    kernel.__name__ = kernel.__qualname__ = name
    kernel.__doc__ = f"{doc}{' over `axis` (default the last)' if row_wise else ', element-wise'}; a new array of x's shape."
    return kernel


exp = _same_shape("exp", "exp(x)")
log = _same_shape("log", "log(x)")
log1p = _same_shape("log1p", "log(1 + x)")
sigmoid = _same_shape("sigmoid", "1 / (1 + exp(-x))")
softplus = _same_shape("softplus", "log(1 + exp(x))")
log_sigmoid = _same_shape("log_sigmoid", "log(sigmoid(x)) = -softplus(-x)")
softmax = _same_shape("softmax", "softmax", row_wise=True)
log_softmax = _same_shape("log_softmax", "log_softmax", row_wise=True)


def logsumexp(x, axis=-1):
    """log(sum(exp(x))) over `axis` (default the last); x's shape without that axis."""
    x, elem = float_array(x)
    return _on_axis("logsumexp", x, elem, axis, reduces=True)


def lse_partial(x):
    """Partial log-sum-exp of a shard of each row (last axis): returns (max, sum), each of shape
    x.shape[:-1], with sum = sum(exp(x - max)). Combine the shards' partials with lse_merge."""
    x, elem = float_array(x)
    mx, sm = np.empty(x.shape[:-1], elem.real), np.empty(x.shape[:-1], elem.real)
    call(f"xent_lse_partial_{elem.suffix}", PARTIAL, ptr(x), *_rows("lse_partial", x), ptr(mx), ptr(sm))
    return mx, sm


def lse_merge(max, sum):
    """The log-sum-exp of whole rows from partials stacked on axis 0: max and sum of shape
    (parts, ...) give an array of shape (...). 16-bit partials are widened to float32 (the
    partials of 16-bit input are float32 already)."""
    mx, elem = float_array(widen(max))
    sm = real_array("lse_merge", "sum", sum, elem)
    if mx.ndim < 1 or sm.shape != mx.shape:
        raise XentError(Status.INVALID_SHAPE,
                        f"xent_lse_merge: max {mx.shape} and sum {sm.shape} must be equal (parts, ...) shapes")
    out = np.empty(mx.shape[1:], mx.dtype)
    call(f"xent_lse_merge_{elem.suffix}", MERGE, ptr(mx), ptr(sm), mx.shape[0], out.size, ptr(out))
    return out
