"""The six cross-entropy variants over NumPy arrays."""
import ctypes
import inspect
import math

import numpy as np

from ._half import float_array, like_input, real_array
from ._lib import BACKWARD, LOSS, Status, XentError, call, new_options, ptr

_REDUCTIONS = {"none": 0, "sum": 1, "mean": 2}
_WEIGHTS = ("class_weights", "pos_weight", "sample_weights")
_SCALARS = ("label_smoothing", "epsilon", "ignore_index", "z_loss", "logit_softcap", "num_threads",
            "focal_gamma", "focal_alpha", "poly_epsilon")
# Keyword options; None leaves the library's default (xent_options_init). return_lse: also
# return each sample's lse (opts->lse_out; the softmax-with-logits variants), for the backward.
_KEYWORDS = dict(reduction="none", **{k: None for k in _SCALARS + _WEIGHTS}, grad=False, return_lse=False)
_BACKWARD_KEYWORDS = dict(reduction="none", **{k: None for k in _SCALARS + _WEIGHTS}, lse=None)


def _fail(fname, status, message):
    raise XentError(status, f"xent_{fname}: {message}")


def _sized(fname, what, value, elem, size):
    """A weight vector as a contiguous elem.real array holding exactly `size` elements."""
    array = real_array(fname, what, value, elem).reshape(-1)
    if array.size != size:
        _fail(fname, Status.INVALID_SHAPE, f"{what} has {array.size} elements, expected {size}")
    return array


def _labels(fname, labels, shape):
    """Integer labels as int32 (kept, selecting the _i32 function) or int64."""
    labels = np.asarray(labels)
    if labels.dtype.kind not in "iu":
        raise TypeError(f"xent_{fname}: labels must be integers, got {labels.dtype}")
    if labels.shape != shape:
        _fail(fname, Status.INVALID_SHAPE, f"labels have shape {labels.shape}, expected {shape}")
    if labels.dtype == np.int32:
        return np.asarray(labels, order="C"), "_i32"
    return np.asarray(labels, np.int64, order="C"), ""


def _reduction(fname, reduction):
    if isinstance(reduction, str):
        if reduction.lower() not in _REDUCTIONS:
            _fail(fname, Status.INVALID_ARGUMENT, f"reduction {reduction!r} is not one of 'none', 'sum', 'mean'")
        return _REDUCTIONS[reduction.lower()]
    return int(reduction)


def _loss(fname, sparse, elementwise, input, target, reduction, grad=False, return_lse=False, dloss=None,
          lse=None, backward=False, **options):
    """One forward call, or with backward=True the backward call (dloss, optional lse) -> grad."""
    x, elem = float_array(input)
    suffix = elem.suffix
    if x.ndim < 2:
        _fail(fname, Status.INVALID_SHAPE, f"input has shape {x.shape}, expected (B, C) or (B, C, d1..dk)")
    batch, classes, inner_shape = x.shape[0], x.shape[1], x.shape[2:]
    sample_shape = (batch,) + inner_shape
    if sparse:
        t, label_suffix = _labels(fname, target, sample_shape)
        suffix += label_suffix
    else:
        t = like_input(fname, "targets", target, x, elem)
        if t.shape != x.shape:
            _fail(fname, Status.INVALID_SHAPE, f"targets have shape {t.shape}, expected {x.shape}")

    opts = new_options()
    opts.reduction = _reduction(fname, reduction)
    opts.inner = math.prod(inner_shape)
    for key in _SCALARS:
        if options[key] is not None:
            setattr(opts, key, type(getattr(opts, key))(options[key]))  # int or float field
    sizes = dict(class_weights=classes, pos_weight=classes, sample_weights=batch * opts.inner)
    weights = {k: _sized(fname, k, options[k], elem, sizes[k]) for k in _WEIGHTS if options[k] is not None}
    for key, array in weights.items():  # `weights` keeps the arrays alive through the call
        setattr(opts, key, ptr(array))

    loss_shape = (x.shape if elementwise else sample_shape) if opts.reduction == 0 else ()
    if backward:
        up = real_array(f"{fname}_backward", "dloss", dloss, elem)
        if up.shape != loss_shape and not (loss_shape == () and up.size == 1):
            _fail(f"{fname}_backward", Status.INVALID_SHAPE, f"dloss has shape {up.shape}, expected {loss_shape}")
        saved = None if lse is None else real_array(f"{fname}_backward", "lse", lse, elem)
        if saved is not None and saved.shape != sample_shape:
            _fail(f"{fname}_backward", Status.INVALID_SHAPE, f"lse has shape {saved.shape}, expected {sample_shape}")
        gradient = np.empty_like(x)
        call(f"xent_{fname}_backward_{suffix}", BACKWARD, ptr(x), ptr(t), batch, classes, ctypes.byref(opts), ptr(up), ptr(saved), ptr(gradient))
        return gradient
    loss = np.empty(loss_shape, elem.real)
    gradient = np.empty_like(x) if grad else None
    row_lse = np.empty(sample_shape, elem.real) if return_lse else None
    opts.lse_out = ptr(row_lse)
    call(f"xent_{fname}_{suffix}", LOSS, ptr(x), ptr(t), batch, classes, ctypes.byref(opts), ptr(loss), ptr(gradient))
    out = (loss,) + ((gradient,) if grad else ()) + ((row_lse,) if return_lse else ())
    return out if len(out) > 1 else loss


def _variant(fname, summary, sparse=False, elementwise=False):
    def loss(input, target, **keywords):
        unknown = sorted(keywords.keys() - _KEYWORDS.keys())
        if unknown:
            raise TypeError(f"{fname}() got unexpected keyword argument(s) {', '.join(unknown)}")
        return _loss(fname, sparse, elementwise, input, target, **{**_KEYWORDS, **keywords})

    loss.__name__ = loss.__qualname__ = fname
    loss.__signature__ = inspect.Signature(
        [inspect.Parameter(p, inspect.Parameter.POSITIONAL_OR_KEYWORD) for p in ("input", "target")]
        + [inspect.Parameter(k, inspect.Parameter.KEYWORD_ONLY, default=v) for k, v in _KEYWORDS.items()])
    target_doc = ("integer class indices (B, d1..dk); int32 calls the _i32 function" if sparse
                  else "an array of the input's shape")
    loss_shape = "the input's shape" if elementwise else "(B, d1..dk)"
    loss.__doc__ = f"""{summary}

    input: float array (B, C) or (B, C, d1..dk); float32 input computes in float32, float16,
    ml_dtypes.bfloat16 and xent.bf16_bits(uint16) input calls the 16-bit function (soft targets
    and grad of the input's dtype; loss, lse and weights float32), any other in float64.
    target: {target_doc}.
    Returns the loss, of {loss_shape} for reduction 'none' or a 0-d array for 'sum' / 'mean';
    with grad=True, (loss, grad), grad being d(loss)/d(input); with return_lse=True (the
    softmax-with-logits variants) each sample's lse comes last, for the backward. The other keywords set
    xent_options fields; None keeps the library's default; an option that does not apply to
    this variant raises XentError."""
    return loss


def _backward_variant(fname, sparse=False, elementwise=False):
    def backward(input, target, dloss, **keywords):
        unknown = sorted(keywords.keys() - _BACKWARD_KEYWORDS.keys())
        if unknown:
            raise TypeError(f"{fname}_backward() got unexpected keyword argument(s) {', '.join(unknown)}")
        return _loss(fname, sparse, elementwise, input, target, dloss=dloss, backward=True,
                     **{**_BACKWARD_KEYWORDS, **keywords})

    backward.__name__ = backward.__qualname__ = f"{fname}_backward"
    backward.__signature__ = inspect.Signature(
        [inspect.Parameter(p, inspect.Parameter.POSITIONAL_OR_KEYWORD) for p in ("input", "target", "dloss")]
        + [inspect.Parameter(k, inspect.Parameter.KEYWORD_ONLY, default=v) for k, v in _BACKWARD_KEYWORDS.items()])
    backward.__doc__ = f"""dloss * d({fname})/d(input), in one pass (xent_{fname}_backward_*).

    dloss: the upstream gradient, of the loss's shape (reduction 'none') or a scalar ('sum',
    'mean'). lse: None, or the per-sample lse that the forward returned with return_lse=True
    (softmax-with-logits variants), which spares the backward its max and sum passes. The
    other keywords must be the forward's. Returns the gradient, of the input's shape."""
    return backward


sigmoid_ce_with_logits = _variant(
    "sigmoid_ce_with_logits", "Element-wise max(x,0) - x*t + log1p(exp(-|x|)) on logits.", elementwise=True)
softmax_ce_with_logits = _variant(
    "softmax_ce_with_logits", "Per sample -sum_c t_c log_softmax(x)_c for soft labels t.")
sparse_softmax_ce_with_logits = _variant(
    "sparse_softmax_ce_with_logits", "Per sample lse(x) - x[label].", sparse=True)
binary_ce = _variant(
    "binary_ce", "Element-wise -(t log q + (1-t) log(1-q)), q = clip(p, eps, 1-eps).", elementwise=True)
categorical_ce = _variant(
    "categorical_ce", "Per sample -sum_c t_c log q_c, q = clip(p / sum(p), eps, 1-eps).")
sparse_categorical_ce = _variant(
    "sparse_categorical_ce", "Per sample -log q[label], q = clip(p / sum(p), eps, 1-eps).", sparse=True)
nll_loss = _variant(
    "nll_loss", "Per sample -w[label] * input[label] on log-probabilities (PyTorch's nll_loss).", sparse=True)

sigmoid_ce_with_logits_backward = _backward_variant("sigmoid_ce_with_logits", elementwise=True)
softmax_ce_with_logits_backward = _backward_variant("softmax_ce_with_logits")
sparse_softmax_ce_with_logits_backward = _backward_variant("sparse_softmax_ce_with_logits", sparse=True)
binary_ce_backward = _backward_variant("binary_ce", elementwise=True)
categorical_ce_backward = _backward_variant("categorical_ce")
sparse_categorical_ce_backward = _backward_variant("sparse_categorical_ce", sparse=True)
nll_loss_backward = _backward_variant("nll_loss", sparse=True)
