"""xent.torch: drop-ins for torch.nn.functional's cross-entropy family, computed by libxent.

Each function has the signature and defaults of its torch counterpart and is a
torch.autograd.Function: the forward is one fused C call that saves the least the backward
needs (the input, and for the softmax losses each sample's lse), and the backward is one C
call (xent_*_backward_*) that takes the upstream gradient, so no forward is recomputed and
no second scaling pass runs.

Tensors: CPU, float32, float64, float16 or bfloat16; contiguous tensors are used in place
(zero-copy), others are first copied with .contiguous(). float16 / bfloat16 tensors go to the
_f16 / _bf16 functions as they are: the math is float32, the loss is returned in the input's
dtype (as torch's own losses do: the float32 loss rounded to nearest even), the gradient is
the C function's 16-bit grad (the rounding of the float32 gradient), weights and soft targets
must be of the input's dtype (or float32 weights). softmax / log_softmax give the input's
dtype; their backward runs torch's formula in float32 and rounds. CUDA tensors raise TypeError. Gradients flow to the input only (not to
targets or weights), as torch's own kernels do for class indices.

Where torch has torch.library.custom_op (2.4+), cross_entropy, binary_cross_entropy_with_logits
and sigmoid_focal_loss call the custom ops of xent._torch_ops instead (xent::sparse_ce_fwd and
the like: the same C calls, with fake kernels so that torch.compile can trace them); the other
functions, and every function on older torch (Debian's 1.13), are the autograd.Functions here.
The custom-op path is untested on the development machine (torch 1.13).

Differences from torch (docs/SEMANTICS.md): binary_cross_entropy clips p to
[e^-100, 1 - e^-100] where torch clamps log(p) at -100: the same loss, but the gradient of a
clipped probability is 0 where torch's is (p - t) / max(p (1 - p), 1e-12).
"""
import math

import numpy as np
import torch

from . import _half, _kernels, _losses

__all__ = ["cross_entropy", "nll_loss", "binary_cross_entropy_with_logits", "binary_cross_entropy",
           "softmax", "log_softmax", "sigmoid_focal_loss"]

_BCE_EPSILON = math.exp(-100.0)  # torch clamps log(p) at -100


def _array(t, what):
    """A tensor's data as a NumPy array without a copy (after .contiguous() if needed)."""
    if not isinstance(t, torch.Tensor):
        return np.asarray(t)
    if t.device.type != "cpu":
        raise TypeError(f"xent.torch: {what} is on {t.device}; xent computes on the CPU")
    if t.dtype not in _DTYPES:
        raise TypeError(f"xent.torch: {what} has dtype {t.dtype}; xent takes float32, float64, float16 and "
                        "bfloat16 (and int64 / int32 class indices)")
    t = t.detach().contiguous()
    if t.dtype == torch.bfloat16:  # NumPy has no bfloat16: the same memory as bit patterns
        return _half.bf16_bits(t.view(torch.int16).numpy().view(np.uint16))
    return t.numpy()


_DTYPES = (torch.float32, torch.float64, torch.float16, torch.bfloat16, torch.int64, torch.int32)
_HALF = (torch.float16, torch.bfloat16)


def _tensor(a, like):
    """A result as a tensor of like's dtype: 16-bit results as they are (bf16 bit patterns viewed
    as bfloat16), float32 / float64 ones converted (rounded to nearest even for 16-bit)."""
    a = np.asarray(a)
    a = a if a.flags.c_contiguous else a.copy()
    if a.dtype == np.uint16 and like.dtype == torch.bfloat16:
        return torch.from_numpy(a.view(np.int16)).view(torch.bfloat16)
    return torch.from_numpy(a).to(like.dtype)  # 0-d stays 0-d


def _weight(w, what, input):
    _same_half(w, what, input)
    return None if w is None else _array(w, what)


def _same_half(t, what, input):
    """A float tensor beside a 16-bit input must not be of the other 16-bit dtype."""
    if isinstance(t, torch.Tensor) and input.dtype in _HALF and t.dtype in _HALF and t.dtype != input.dtype:
        raise TypeError(f"xent.torch: {what} has dtype {t.dtype} but input is {input.dtype}")


_SAVES_LSE = ("sparse_softmax_ce_with_logits", "softmax_ce_with_logits")


class _Loss(torch.autograd.Function):
    """One xent loss (fname, its keyword options) on (input, target): the forward saves the
    input, the target and, for the softmax losses, each sample's lse; the backward is the C
    backward with grad_output as dloss."""

    @staticmethod
    def forward(ctx, input, target, fname, options):
        _same_half(target, "target", input)
        x, t = _array(input, "input"), _array(target, "target")
        fn = getattr(_losses, fname)
        if fname in _SAVES_LSE:
            loss, lse = fn(x, t, return_lse=True, **options)
        else:
            loss, lse = fn(x, t, **options), None
        ctx.save_for_backward(input, target)
        ctx.fname, ctx.options, ctx.lse = fname, options, lse
        return _tensor(loss, input)

    @staticmethod
    def backward(ctx, grad_output):
        input, target = ctx.saved_tensors
        backward = getattr(_losses, ctx.fname + "_backward")
        grad = backward(_array(input, "input"), _array(target, "target"), _array(grad_output, "grad_output"),
                        lse=ctx.lse, **ctx.options)
        return _tensor(grad, input), None, None, None


def _is_tensor_or_none(*ts):
    return all(t is None or isinstance(t, torch.Tensor) for t in ts)


def _reduction(reduction):
    if reduction not in ("none", "sum", "mean"):
        raise ValueError(f"{reduction} is not a valid value for reduction")
    return reduction


def cross_entropy(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None,
                  reduction="mean", label_smoothing=0.0):
    """torch.nn.functional.cross_entropy: class indices (N) / (N, d1..) or probabilities of the
    input's shape; input (N, C) or (N, C, d1..) logits."""
    if size_average is not None or reduce is not None:
        raise TypeError("xent.torch.cross_entropy: size_average and reduce are deprecated in torch; use reduction")
    options = dict(reduction=_reduction(reduction), label_smoothing=float(label_smoothing),
                   class_weights=_weight(weight, "weight", input))
    ops = _ops is not None and _is_tensor_or_none(weight)
    if target.dtype in (torch.int64, torch.int32, torch.int16, torch.int8, torch.uint8):
        target = target.long() if target.dtype not in (torch.int64, torch.int32) else target
        if ops:
            return _ops.sparse_ce(input, target, weight, options["reduction"], ignore_index, label_smoothing)
        return _Loss.apply(input, target, "sparse_softmax_ce_with_logits", dict(options, ignore_index=int(ignore_index)))
    if ops:
        return _ops.soft_ce(input, target, weight, options["reduction"], label_smoothing)
    return _Loss.apply(input, target, "softmax_ce_with_logits", options)


def nll_loss(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None, reduction="mean"):
    """torch.nn.functional.nll_loss on log-probabilities (N, C) or (N, C, d1..)."""
    if size_average is not None or reduce is not None:
        raise TypeError("xent.torch.nll_loss: size_average and reduce are deprecated in torch; use reduction")
    options = dict(reduction=_reduction(reduction), class_weights=_weight(weight, "weight", input),
                   ignore_index=int(ignore_index))
    return _Loss.apply(input, target, "nll_loss", options)


def _elementwise(fname, input, target, weight, reduction, options, op=None):
    """An element-wise loss; a weight that is not one value per class (the last axis of a
    (N, C) input) is applied by torch around xent's per-element losses. op: None, or the
    custom op's caller op(input, target, per-class weight or None, reduction)."""
    reduction = _reduction(reduction)
    per_class = weight is not None and input.dim() == 2 and weight.numel() == input.shape[1] and \
        tuple(weight.shape) in ((input.shape[1],), (1, input.shape[1]))
    if op is not None and not _is_tensor_or_none(weight):
        op = None
    if weight is None or per_class:
        if op is not None:
            return op(input, target, weight, reduction)
        options = dict(options, reduction=reduction, class_weights=_weight(weight, "weight", input))
        return _Loss.apply(input, target, fname, options)
    if op is not None:
        loss = op(input, target, None, "none") * weight
    else:
        loss = _Loss.apply(input, target, fname, dict(options, reduction="none")) * weight
    return loss if reduction == "none" else loss.sum() if reduction == "sum" else loss.mean()


def binary_cross_entropy_with_logits(input, target, weight=None, size_average=None, reduce=None,
                                     reduction="mean", pos_weight=None):
    """torch.nn.functional.binary_cross_entropy_with_logits (pos_weight: one value per class)."""
    if size_average is not None or reduce is not None:
        raise TypeError("xent.torch: size_average and reduce are deprecated in torch; use reduction")
    if input.dim() != 2 and (pos_weight is not None):
        raise TypeError("xent.torch.binary_cross_entropy_with_logits: pos_weight needs a (N, C) input")
    op = None
    if _ops is not None and _is_tensor_or_none(pos_weight):
        def op(input, target, weight, reduction):
            return _ops.sigmoid_ce(input, target, weight, pos_weight, reduction)
    return _elementwise("sigmoid_ce_with_logits", input, target, weight, reduction,
                        dict(pos_weight=_weight(pos_weight, "pos_weight", input)), op)


def binary_cross_entropy(input, target, weight=None, size_average=None, reduce=None, reduction="mean"):
    """torch.nn.functional.binary_cross_entropy on probabilities (log clamped at -100, as torch)."""
    if size_average is not None or reduce is not None:
        raise TypeError("xent.torch: size_average and reduce are deprecated in torch; use reduction")
    return _elementwise("binary_ce", input, target, weight, reduction, dict(epsilon=_BCE_EPSILON))


def sigmoid_focal_loss(inputs, targets, alpha=0.25, gamma=2.0, reduction="none"):
    """torchvision.ops.sigmoid_focal_loss: alpha < 0 means no alpha term."""
    if _ops is not None:
        return _ops.sigmoid_ce(inputs, targets, None, None, _reduction(reduction), float(gamma),
                               float(alpha) if alpha >= 0 else -1.0)
    return _Loss.apply(inputs, targets, "sigmoid_ce_with_logits",
                        dict(reduction=_reduction(reduction), focal_gamma=float(gamma),
                             focal_alpha=float(alpha) if alpha >= 0 else -1.0))


class _Softmax(torch.autograd.Function):
    """softmax / log_softmax over one dim; the backward is torch's formula on the saved output."""

    @staticmethod
    def forward(ctx, input, dim, log):
        y = getattr(_kernels, "log_softmax" if log else "softmax")(_array(input, "input"), axis=dim)
        out = _tensor(y, input)
        ctx.save_for_backward(out)
        ctx.dim, ctx.log = dim, log
        return out

    @staticmethod
    def backward(ctx, grad_output):
        (out,) = ctx.saved_tensors
        dtype = out.dtype
        if dtype in _HALF:  # in float32, rounded once at the end
            out, grad_output = out.float(), grad_output.float()
        if ctx.log:
            grad = grad_output - out.exp() * grad_output.sum(ctx.dim, keepdim=True)
        else:
            grad = out * (grad_output - (grad_output * out).sum(ctx.dim, keepdim=True))
        return grad.to(dtype), None, None


def softmax(input, dim=None, _stacklevel=3, dtype=None):
    """torch.nn.functional.softmax over dim (required, as torch recommends)."""
    if dim is None:
        raise TypeError("xent.torch.softmax: pass dim")
    return _Softmax.apply(input if dtype is None else input.to(dtype), dim, False)


def log_softmax(input, dim=None, _stacklevel=3, dtype=None):
    """torch.nn.functional.log_softmax over dim (required)."""
    if dim is None:
        raise TypeError("xent.torch.log_softmax: pass dim")
    return _Softmax.apply(input if dtype is None else input.to(dtype), dim, True)


# torch >= 2.4: the losses as torch.library custom ops (xent._torch_ops), used by the functions above
_ops = None
if hasattr(torch.library, "custom_op"):
    from . import _torch_ops as _ops  # noqa: E402
