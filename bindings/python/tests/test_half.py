"""16-bit inputs through the NumPy API: float16, xent.bf16_bits(uint16) and (when ml_dtypes is
installed) ml_dtypes.bfloat16 arrays call the _f16 / _bf16 functions.

Independent references: the 16-bit values are widened here (float16 by NumPy, bf16 as
uint16 << 16 viewed as float32) and rounded here (float16 by NumPy's astype, which rounds to
nearest even; bf16 by the integer arithmetic of rne_bf16 below), and
  - bitwise: every 16-bit output is the rounding of xent's own float32 result on the widened
    inputs, every float32 output (loss, lse, logsumexp, partials) equals it;
  - within tolerance: float64 formulas computed here from the widened inputs;
  - errors: dtype mixes raise TypeError naming the argument.
"""
import numpy as np
import pytest

import xent
from _check import assert_loss_close

try:
    import ml_dtypes
except ImportError:  # Debian has no python3-ml-dtypes: the bit-pattern path still runs
    ml_dtypes = None


# ---- the test's own 16-bit arithmetic
def widen_bf16(bits):
    return (np.asarray(bits, np.uint16).astype(np.uint32) << np.uint32(16)).view(np.float32)


def rne_bf16(f):
    """float32 -> bf16 bits, round to nearest even; NaN -> a NaN pattern."""
    u = np.asarray(f, np.float32).copy().view(np.uint32).astype(np.uint64)
    upper, lower = u >> 16, u & 0xFFFF
    up = (lower > 0x8000) | ((lower == 0x8000) & ((upper & 1) == 1))
    out = (upper + up).astype(np.uint16)  # carries into the exponent (and to inf) by themselves
    return np.where(np.isnan(np.asarray(f, np.float32)), np.uint16(0x7FC0), out)


class Format:
    def __init__(self, name, dtype, make, bits_of):
        self.name, self.dtype, self._make, self._bits_of = name, dtype, make, bits_of

    def make(self, values):
        """16-bit input nearest to float values (through float32)."""
        return self._make(np.asarray(values, np.float32))

    def bits(self, a):
        """The uint16 bit patterns of a 16-bit input or output."""
        return self._bits_of(a.bits if isinstance(a, xent.Bf16Bits) else np.asarray(a))

    def wide(self, a):
        """Exact float32 values."""
        b = self.bits(a)
        return b.view(np.float16).astype(np.float32) if self.name == "f16" else widen_bf16(b)

    def rounded_bits(self, f32):
        f32 = np.asarray(f32, np.float32)
        with np.errstate(over="ignore"):  # beyond the float16 range: inf, as intended
            return f32.astype(np.float16).view(np.uint16) if self.name == "f16" else rne_bf16(f32)

    def assert_rounding_of(self, got, f32, what):
        """got (a 16-bit output) is bitwise the rounding of f32; NaN where f32 is NaN."""
        assert np.asarray(got).dtype == self.dtype, f"{what}: dtype {np.asarray(got).dtype}"
        assert np.asarray(got).shape == np.shape(f32)
        g, want = self.bits(got), self.rounded_bits(f32)
        nan = np.isnan(np.asarray(f32))
        assert np.array_equal(np.isnan(self.wide(got)), nan), f"{what}: NaN positions differ"
        bad = (g != want) & ~nan
        assert not bad.any(), (f"{what} ({self.name}): {bad.sum()} of {bad.size} not the rounding of the f32 "
                               f"result; first at {np.argwhere(bad)[0]}: bits {g[bad][0]:#06x} vs {want[bad][0]:#06x}")

    def ulp_rel(self):
        return 2.0 ** -10 if self.name == "f16" else 2.0 ** -7

    def tiny(self):
        """The smallest positive subnormal: results below the normal range are this coarse."""
        return 2.0 ** -24 if self.name == "f16" else 2.0 ** -133


F16 = Format("f16", np.dtype(np.float16), lambda f: f.astype(np.float16), lambda a: a.view(np.uint16))
BF16_BITS = Format("bf16_bits", np.dtype(np.uint16), lambda f: xent.bf16_bits(rne_bf16(f)), lambda a: a.view(np.uint16))
BF16_ML = Format("bf16_ml", np.dtype(ml_dtypes.bfloat16) if ml_dtypes else None,
                 lambda f: rne_bf16(f).view(ml_dtypes.bfloat16), lambda a: a.view(np.uint16))
FORMATS = [F16, BF16_BITS,
           pytest.param(BF16_ML, marks=pytest.mark.skipif(ml_dtypes is None, reason="ml_dtypes not installed"))]
IDS = ["f16", "bf16_bits", "bf16_ml"]


def all_patterns(fmt):
    bits = np.arange(65536, dtype=np.uint32).astype(np.uint16)
    return fmt.make(fmt.wide(bits) if fmt.name != "f16" else bits.view(np.float16).astype(np.float32)) \
        if fmt is not BF16_BITS else xent.bf16_bits(bits)


# ---- element-wise kernels
KERNELS = {
    "exp": (np.exp, (-10, 10)),
    "log": (np.log, (1e-3, 1e3)),
    "log1p": (np.log1p, (-0.9, 100)),
    "sigmoid": (lambda x: 1 / (1 + np.exp(-x)), (-12, 12)),
    "softplus": (lambda x: np.logaddexp(0, x), (-12, 12)),
    "log_sigmoid": (lambda x: -np.logaddexp(0, -x), (-12, 12)),
}


@pytest.mark.parametrize("fmt", FORMATS, ids=IDS)
@pytest.mark.parametrize("name", KERNELS)
def test_elementwise_every_pattern_is_the_rounded_f32_kernel(name, fmt):
    x = all_patterns(fmt)
    if fmt is BF16_ML:
        x = fmt.bits(x).view(ml_dtypes.bfloat16)  # every pattern, NaNs included
    y = getattr(xent, name)(x)
    fmt.assert_rounding_of(y, getattr(xent, name)(fmt.wide(x)), name)


@pytest.mark.parametrize("fmt", FORMATS, ids=IDS)
@pytest.mark.parametrize("name", KERNELS)
def test_elementwise_against_float64(name, fmt):
    reference, (lo, hi) = KERNELS[name]
    rng = np.random.default_rng(7)
    x = fmt.make(rng.uniform(lo, hi, (13, 17)))
    y = fmt.wide(getattr(xent, name)(x)).astype(np.float64)
    ref = reference(fmt.wide(x).astype(np.float64))
    assert np.all(np.abs(y - ref) <= fmt.ulp_rel() * np.abs(ref) + fmt.tiny()), name


# ---- the softmax family
@pytest.mark.parametrize("fmt", FORMATS, ids=IDS)
@pytest.mark.parametrize("axis", [-1, 0, 1])
def test_softmax_family_bitwise_and_float64(fmt, axis):
    rng = np.random.default_rng(11)
    x = fmt.make(rng.normal(scale=5, size=(3, 70, 5)))  # rows longer than a conversion tile
    w = fmt.wide(x)
    moved = np.ascontiguousarray(np.moveaxis(w, axis, -1))  # the f32 last-axis kernels on the same rows
    for name in ("softmax", "log_softmax"):
        f32 = np.moveaxis(getattr(xent, name)(moved), -1, axis)
        fmt.assert_rounding_of(getattr(xent, name)(x, axis=axis), f32, f"{name} axis {axis}")
    lse = xent.logsumexp(x, axis=axis)
    assert lse.dtype == np.float32 and np.array_equal(lse, xent.logsumexp(moved))
    w64 = w.astype(np.float64)
    ref = np.log(np.exp(w64 - w64.max(axis, keepdims=True)).sum(axis)) + w64.max(axis)
    assert_loss_close(lse, ref, w64)
    got = fmt.wide(xent.softmax(x, axis=axis)).astype(np.float64)
    want = np.exp(w64 - np.expand_dims(ref, axis))
    assert np.all(np.abs(got - want) <= fmt.ulp_rel() * want + 1e-6)


@pytest.mark.parametrize("fmt", FORMATS, ids=IDS)
def test_lse_partial_is_float32_and_merges(fmt):
    rng = np.random.default_rng(12)
    x = fmt.make(rng.normal(scale=8, size=(4, 40)))
    w = fmt.wide(x)
    mx, sm = xent.lse_partial(x)
    want_mx, want_sm = xent.lse_partial(w)
    assert mx.dtype == sm.dtype == np.float32
    assert np.array_equal(mx, want_mx) and np.array_equal(sm, want_sm)
    parts = [xent.lse_partial(fmt.make(fmt.wide(x)[:, s])) for s in (slice(0, 15), slice(15, 40))]
    merged = xent.lse_merge(np.stack([p[0] for p in parts]), np.stack([p[1] for p in parts]))
    assert_loss_close(merged, np.logaddexp.reduce(w.astype(np.float64), axis=-1), w)


# ---- losses
def softmax64(x):
    e = np.exp(x - x.max(1, keepdims=True))
    return e / e.sum(1, keepdims=True)


def ref_loss(fname, x, t):
    """float64 loss and grad, reduction 'none', (B, C) input."""
    if fname == "sparse_softmax_ce_with_logits":
        p, onehot = softmax64(x), np.eye(x.shape[1])[t]
        return -np.log(p[np.arange(len(t)), t]), p - onehot
    if fname == "softmax_ce_with_logits":
        p = softmax64(x)
        return -(t * np.log(p)).sum(1), p * t.sum(1, keepdims=True) - t
    if fname == "sigmoid_ce_with_logits":
        return np.maximum(x, 0) - x * t + np.log1p(np.exp(-np.abs(x))), 1 / (1 + np.exp(-x)) - t
    if fname == "binary_ce":
        return -(t * np.log(x) + (1 - t) * np.log1p(-x)), (x - t) / (x * (1 - x))
    if fname == "categorical_ce":
        s = x.sum(1, keepdims=True)
        q = x / s
        return -(t * np.log(q)).sum(1), (t.sum(1, keepdims=True) - t * s / x) / s
    if fname == "sparse_categorical_ce":
        s = x.sum(1, keepdims=True)
        rows = np.arange(len(t))
        g = np.broadcast_to(1 / s, x.shape).copy()
        g[rows, t] -= 1 / x[rows, t]
        return -np.log(x[rows, t] / s[:, 0]), g
    if fname == "nll_loss":
        rows, g = np.arange(len(t)), np.zeros_like(x)
        g[rows, t] = -1
        return -x[rows, t], g
    raise AssertionError(fname)


LOSSES = {  # name: (sparse, probability input, element-wise)
    "sparse_softmax_ce_with_logits": (True, False, False),
    "softmax_ce_with_logits": (False, False, False),
    "sigmoid_ce_with_logits": (False, False, True),
    "binary_ce": (False, True, True),
    "categorical_ce": (False, True, False),
    "sparse_categorical_ce": (True, True, False),
    "nll_loss": (True, False, False),
}


def loss_case(fname, fmt, shape=(6, 9), seed=3):
    sparse, prob, _ = LOSSES[fname]
    rng = np.random.default_rng(seed)
    x = rng.uniform(0.05, 0.95, shape) if prob else rng.uniform(-4, 4, shape)
    if sparse:
        t = rng.integers(0, shape[1], (shape[0],) + shape[2:])
    else:
        t = rng.uniform(0, 1, shape)
        if fname in ("softmax_ce_with_logits", "categorical_ce"):
            t = t / t.sum(1, keepdims=True)
        t = fmt.make(t)
    return fmt.make(x), t


def wide_target(fmt, t):
    return t if isinstance(t, np.ndarray) and t.dtype.kind == "i" else fmt.wide(t)


@pytest.mark.parametrize("fmt", FORMATS, ids=IDS)
@pytest.mark.parametrize("fname", LOSSES)
def test_loss_and_grad_against_float64(fname, fmt):
    x, t = loss_case(fname, fmt)
    loss, grad = getattr(xent, fname)(x, t, grad=True)
    assert loss.dtype == np.float32 and grad.dtype == fmt.dtype
    x64, t64 = fmt.wide(x).astype(np.float64), wide_target(fmt, t)
    ref, ref_grad = ref_loss(fname, x64, t64 if t64.dtype.kind == "i" else t64.astype(np.float64))
    eps = 1e-7  # the probability variants clip to [eps, 1 - eps]: not reached by these inputs
    assert_loss_close(loss, ref, x64)
    g = fmt.wide(grad).astype(np.float64)
    assert np.all(np.abs(g - ref_grad) <= fmt.ulp_rel() * np.abs(ref_grad) + 1e-5 * np.abs(ref_grad).max() + eps)


OPTIONS = {  # per variant, options that apply to it (class weights are float32)
    "sparse_softmax_ce_with_logits": dict(reduction="mean", label_smoothing=0.1, z_loss=1e-3, ignore_index=1),
    "softmax_ce_with_logits": dict(reduction="sum", logit_softcap=3.0),
    "sigmoid_ce_with_logits": dict(reduction="mean", focal_gamma=2.0, focal_alpha=0.25),
    "binary_ce": dict(reduction="sum", epsilon=1e-3),
    "categorical_ce": dict(reduction="mean", label_smoothing=0.2),
    "sparse_categorical_ce": dict(reduction="none"),
    "nll_loss": dict(reduction="mean", ignore_index=2),
}


@pytest.mark.parametrize("fmt", FORMATS, ids=IDS)
@pytest.mark.parametrize("options", ["plain", "weighted"])
@pytest.mark.parametrize("inner", [False, True])
@pytest.mark.parametrize("fname", LOSSES)
def test_loss_bitwise_f32_on_widened_inputs(fname, inner, options, fmt):
    """loss (and lse) equal the _f32 call's on the widened inputs, grad is its rounding; the
    backward likewise, with and without the saved lse."""
    x, t = loss_case(fname, fmt, shape=(5, 7, 3) if inner else (6, 9))
    kw = dict(OPTIONS[fname]) if options == "weighted" else {}
    if options == "weighted":
        kw["class_weights"] = np.linspace(0.5, 2, x.shape[1], dtype=np.float32)
        if fname == "softmax_ce_with_logits":
            kw.pop("class_weights")
            kw["sample_weights"] = np.linspace(0, 1, x.shape[0] * (3 if inner else 1), dtype=np.float32)
    wx, wt = fmt.wide(x), wide_target(fmt, t)
    saves_lse = "softmax_ce_with_logits" in fname
    fn = getattr(xent, fname)
    out = fn(x, t, grad=True, return_lse=saves_lse, **kw)
    want = fn(wx, wt, grad=True, return_lse=saves_lse, **kw)
    assert out[0].dtype == np.float32 and np.array_equal(out[0], want[0], equal_nan=True)
    fmt.assert_rounding_of(out[1], want[1], f"{fname} grad")
    if saves_lse:
        assert out[2].dtype == np.float32 and np.array_equal(out[2], want[2])

    dloss = np.random.default_rng(1).uniform(-2, 2, want[0].shape).astype(np.float32)
    backward = getattr(xent, fname + "_backward")
    for lse in ([None, out[2]] if saves_lse else [None]):
        g = backward(x, t, dloss, lse=lse, **kw)
        fmt.assert_rounding_of(g, backward(wx, wt, dloss, lse=lse, **kw), f"{fname}_backward lse={lse is not None}")


@pytest.mark.parametrize("fmt", FORMATS, ids=IDS)
def test_int32_labels_and_non_contiguous_input(fmt):
    x, t = loss_case("sparse_softmax_ce_with_logits", fmt)
    a = xent.sparse_softmax_ce_with_logits(x, t, grad=True)
    b = xent.sparse_softmax_ce_with_logits(x, t.astype(np.int32), grad=True)
    assert np.array_equal(a[0], b[0]) and np.array_equal(fmt.bits(a[1]), fmt.bits(b[1]))
    # a transposed 16-bit array: copied (16-bit), same result as its contiguous copy
    xt = fmt.bits(x).T.view(fmt.bits(x).dtype)
    xt = xent.bf16_bits(xt) if fmt is BF16_BITS else xt.view(fmt.dtype)
    assert np.array_equal(fmt.bits(xent.exp(xt)), fmt.bits(xent.exp(fmt.make(fmt.wide(x).T))))


@pytest.mark.parametrize("fmt", FORMATS, ids=IDS)
def test_input_memory_is_passed_through(fmt):
    """No float32 copy: the array handed to libxent is the caller's memory."""
    from xent._half import float_array
    x, _ = loss_case("softmax_ce_with_logits", fmt)
    arr, elem = float_array(x)
    assert elem.half and arr.ctypes.data == fmt.bits(x).ctypes.data and arr.dtype.itemsize == 2


@pytest.mark.parametrize("fmt", FORMATS, ids=IDS)
def test_special_values(fmt):
    inf, nan = np.inf, np.nan
    y = fmt.wide(xent.exp(fmt.make([-inf, inf, nan, 0.0, 12.0])))
    assert y[0] == 0 and y[1] == inf and np.isnan(y[2]) and y[3] == 1
    assert (y[4] == inf) == (fmt is F16)  # e^12 overflows float16 only
    assert xent.logsumexp(fmt.make([[-inf, -inf]]))[0] == -inf
    assert np.isnan(fmt.wide(xent.softmax(fmt.make([[-inf, -inf]])))).all()


def test_bf16_helpers_round_to_nearest_even():
    rng = np.random.default_rng(2)
    f = np.concatenate([rng.normal(scale=1e3, size=10000).astype(np.float32),
                        ((np.arange(0, 65536, 7, dtype=np.uint32) << 16) | 0x8000).view(np.float32),  # exact ties
                        np.array([3.4e38, -3.4e38, np.inf, -np.inf, 0.0, -0.0], np.float32)])
    got, want = xent.float32_to_bf16_bits(f), rne_bf16(f)
    nan = np.isnan(f)
    assert np.array_equal(got[~nan], want[~nan]) and np.isnan(widen_bf16(got[nan])).all()
    assert np.array_equal(xent.bf16_bits_to_float32(got[~nan]), widen_bf16(want[~nan]))
    assert xent.float32_to_bf16_bits(np.float32(1)).shape == ()


# ---- errors: dtype mixes name the argument
def test_dtype_mixes_raise_naming_the_argument():
    x16, xb = F16.make([[0.1, 0.9]]), BF16_BITS.make([[0.1, 0.9]])
    with pytest.raises(TypeError, match="targets is bfloat16 .* input is float16"):
        xent.binary_ce(x16, xb)
    with pytest.raises(TypeError, match="targets is float16 but the input is bfloat16"):
        xent.sigmoid_ce_with_logits(xb, x16)
    with pytest.raises(TypeError, match="targets is float32 but the input is float16"):
        xent.softmax_ce_with_logits(x16, np.float32([[0.5, 0.5]]))
    with pytest.raises(TypeError, match="class_weights is bfloat16"):
        xent.sparse_softmax_ce_with_logits(x16, [1], class_weights=BF16_BITS.make([1, 1]))
    with pytest.raises(TypeError, match="pos_weight is a bare uint16 array"):
        xent.sigmoid_ce_with_logits(xb, xb, pos_weight=np.ones(2, np.uint16))
    with pytest.raises(TypeError, match="dloss is bfloat16"):
        xent.sparse_softmax_ce_with_logits_backward(x16, [1], BF16_BITS.make([1.0]))
    with pytest.raises(TypeError, match="lse is float16 .* input is bfloat16"):
        xent.sparse_softmax_ce_with_logits_backward(xb, [1], np.ones(1, np.float32), lse=F16.make([1.0]))
    with pytest.raises(TypeError, match="uint16"):
        xent.bf16_bits(np.zeros(3, np.float32))
    with pytest.raises(TypeError, match="labels must be integers"):
        xent.nll_loss(x16, x16)
    # shapes and options are checked as for float32, with the 16-bit function's name
    with pytest.raises(xent.XentError, match="xent_sparse_softmax_ce_with_logits_bf16: .*label"):
        xent.sparse_softmax_ce_with_logits(xb, [5])
    with pytest.raises(xent.XentError, match="pos_weight"):
        xent.softmax_ce_with_logits(x16, x16, pos_weight=[1, 1])


def test_float32_calls_accept_16bit_targets_and_weights():
    """Widening is exact, so a float32 call converts 16-bit targets and weights as before."""
    x = np.float32([[0.2, -1.0, 3.0]])
    t16 = F16.make([[0.25, 0.25, 0.5]])
    a = xent.softmax_ce_with_logits(x, t16, class_weights=BF16_BITS.make([1, 2, 3]))
    b = xent.softmax_ce_with_logits(x, np.float32([[0.25, 0.25, 0.5]]), class_weights=np.float32([1, 2, 3]))
    assert a.dtype == np.float32 and np.array_equal(a, b)
