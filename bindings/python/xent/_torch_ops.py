"""xent's losses as torch.library custom ops (namespace ``xent::``), for torch >= 2.4.

xent.torch imports this module only where ``torch.library.custom_op`` exists. Each loss is a
pair of ops, a forward and a backward, both calling the C library (through xent._losses, as
the autograd.Function path of xent.torch does):

- ``xent::sparse_ce_fwd(input, target, weight, reduction, ignore_index, label_smoothing)
  -> (loss, lse)`` and ``xent::sparse_ce_bwd(grad, input, target, lse, ...) -> grad_input``:
  cross_entropy with class indices;
- ``xent::soft_ce_fwd`` / ``xent::soft_ce_bwd``: cross_entropy with class probabilities;
- ``xent::sigmoid_ce_fwd`` / ``xent::sigmoid_ce_bwd``: binary_cross_entropy_with_logits and
  sigmoid_focal_loss (weight / pos_weight: one value per class, or None).

Every op has a fake kernel (``register_fake``: shapes and dtypes only, no data access), so
torch.compile / torch.export can trace through it without running it, and every forward op
has ``register_autograd`` (setup_context saves the input, target, weights and lse; backward
calls the backward op). The lse output of the softmax forwards is an auxiliary output for the
backward: xent.torch never returns it, and a gradient flowing into it is ignored. The backward
ops have no autograd formula (no double backward, as with the autograd.Function path).

UNTESTED ON THE DEVELOPMENT MACHINE: it runs Debian's python3-torch 1.13, which has no
torch.library.custom_op; this module was written against the torch 2.4 documentation of
custom_op / register_fake / register_autograd / opcheck, and tests/test_torch_ops.py (opcheck
and equality with the autograd.Function path) skips there.
"""
from typing import Optional, Tuple

import torch
from torch import Tensor

from . import _losses
from .torch import _array, _same_half, _tensor, _weight


def _sample_shape(input):
    return (input.shape[0],) + tuple(input.shape[2:])


def _loss_shape(input, reduction, elementwise):
    if reduction != "none":
        return ()
    return tuple(input.shape) if elementwise else _sample_shape(input)


def _real_dtype(input):
    """The dtype of lse: float64 for float64 input, float32 otherwise (16-bit calls too)."""
    return torch.float64 if input.dtype == torch.float64 else torch.float32


# --- cross_entropy with class indices -------------------------------------------------------

def _sparse_options(input, weight, reduction, ignore_index, label_smoothing):
    return dict(reduction=reduction, label_smoothing=float(label_smoothing), ignore_index=int(ignore_index),
                class_weights=_weight(weight, "weight", input))


@torch.library.custom_op("xent::sparse_ce_fwd", mutates_args=())
def sparse_ce_fwd(input: Tensor, target: Tensor, weight: Optional[Tensor], reduction: str, ignore_index: int,
                  label_smoothing: float) -> Tuple[Tensor, Tensor]:
    options = _sparse_options(input, weight, reduction, ignore_index, label_smoothing)
    loss, lse = _losses.sparse_softmax_ce_with_logits(_array(input, "input"), _array(target, "target"),
                                                      return_lse=True, **options)
    return _tensor(loss, input), torch.from_numpy(lse)


@sparse_ce_fwd.register_fake
def _(input, target, weight, reduction, ignore_index, label_smoothing):
    return (input.new_empty(_loss_shape(input, reduction, False)),
            input.new_empty(_sample_shape(input), dtype=_real_dtype(input)))


@torch.library.custom_op("xent::sparse_ce_bwd", mutates_args=())
def sparse_ce_bwd(grad: Tensor, input: Tensor, target: Tensor, lse: Tensor, weight: Optional[Tensor],
                  reduction: str, ignore_index: int, label_smoothing: float) -> Tensor:
    options = _sparse_options(input, weight, reduction, ignore_index, label_smoothing)
    g = _losses.sparse_softmax_ce_with_logits_backward(
        _array(input, "input"), _array(target, "target"), _array(grad, "grad_output"), lse=_array(lse, "lse"),
        **options)
    return _tensor(g, input)


@sparse_ce_bwd.register_fake
def _(grad, input, target, lse, weight, reduction, ignore_index, label_smoothing):
    return input.new_empty(input.shape)


def _sparse_setup(ctx, inputs, output):
    input, target, weight, reduction, ignore_index, label_smoothing = inputs
    ctx.save_for_backward(input, target, output[1], weight)
    ctx.options = (reduction, ignore_index, label_smoothing)


def _sparse_backward(ctx, grad_loss, grad_lse):
    input, target, lse, weight = ctx.saved_tensors
    return sparse_ce_bwd(grad_loss, input, target, lse, weight, *ctx.options), None, None, None, None, None


sparse_ce_fwd.register_autograd(_sparse_backward, setup_context=_sparse_setup)


# --- cross_entropy with class probabilities -------------------------------------------------

def _soft_options(input, weight, reduction, label_smoothing):
    return dict(reduction=reduction, label_smoothing=float(label_smoothing),
                class_weights=_weight(weight, "weight", input))


@torch.library.custom_op("xent::soft_ce_fwd", mutates_args=())
def soft_ce_fwd(input: Tensor, target: Tensor, weight: Optional[Tensor], reduction: str,
                label_smoothing: float) -> Tuple[Tensor, Tensor]:
    _same_half(target, "target", input)
    options = _soft_options(input, weight, reduction, label_smoothing)
    loss, lse = _losses.softmax_ce_with_logits(_array(input, "input"), _array(target, "target"),
                                               return_lse=True, **options)
    return _tensor(loss, input), torch.from_numpy(lse)


@soft_ce_fwd.register_fake
def _(input, target, weight, reduction, label_smoothing):
    return (input.new_empty(_loss_shape(input, reduction, False)),
            input.new_empty(_sample_shape(input), dtype=_real_dtype(input)))


@torch.library.custom_op("xent::soft_ce_bwd", mutates_args=())
def soft_ce_bwd(grad: Tensor, input: Tensor, target: Tensor, lse: Tensor, weight: Optional[Tensor],
                reduction: str, label_smoothing: float) -> Tensor:
    options = _soft_options(input, weight, reduction, label_smoothing)
    g = _losses.softmax_ce_with_logits_backward(
        _array(input, "input"), _array(target, "target"), _array(grad, "grad_output"), lse=_array(lse, "lse"),
        **options)
    return _tensor(g, input)


@soft_ce_bwd.register_fake
def _(grad, input, target, lse, weight, reduction, label_smoothing):
    return input.new_empty(input.shape)


def _soft_setup(ctx, inputs, output):
    input, target, weight, reduction, label_smoothing = inputs
    ctx.save_for_backward(input, target, output[1], weight)
    ctx.options = (reduction, label_smoothing)


def _soft_backward(ctx, grad_loss, grad_lse):
    input, target, lse, weight = ctx.saved_tensors
    return soft_ce_bwd(grad_loss, input, target, lse, weight, *ctx.options), None, None, None, None


soft_ce_fwd.register_autograd(_soft_backward, setup_context=_soft_setup)


# --- binary_cross_entropy_with_logits / sigmoid_focal_loss ----------------------------------

def _sigmoid_options(input, weight, pos_weight, reduction, focal_gamma, focal_alpha):
    return dict(reduction=reduction, focal_gamma=float(focal_gamma), focal_alpha=float(focal_alpha),
                class_weights=_weight(weight, "weight", input), pos_weight=_weight(pos_weight, "pos_weight", input))


@torch.library.custom_op("xent::sigmoid_ce_fwd", mutates_args=())
def sigmoid_ce_fwd(input: Tensor, target: Tensor, weight: Optional[Tensor], pos_weight: Optional[Tensor],
                   reduction: str, focal_gamma: float, focal_alpha: float) -> Tensor:
    _same_half(target, "target", input)
    options = _sigmoid_options(input, weight, pos_weight, reduction, focal_gamma, focal_alpha)
    loss = _losses.sigmoid_ce_with_logits(_array(input, "input"), _array(target, "target"), **options)
    return _tensor(loss, input)


@sigmoid_ce_fwd.register_fake
def _(input, target, weight, pos_weight, reduction, focal_gamma, focal_alpha):
    return input.new_empty(_loss_shape(input, reduction, True))


@torch.library.custom_op("xent::sigmoid_ce_bwd", mutates_args=())
def sigmoid_ce_bwd(grad: Tensor, input: Tensor, target: Tensor, weight: Optional[Tensor],
                   pos_weight: Optional[Tensor], reduction: str, focal_gamma: float, focal_alpha: float) -> Tensor:
    options = _sigmoid_options(input, weight, pos_weight, reduction, focal_gamma, focal_alpha)
    g = _losses.sigmoid_ce_with_logits_backward(_array(input, "input"), _array(target, "target"),
                                                _array(grad, "grad_output"), **options)
    return _tensor(g, input)


@sigmoid_ce_bwd.register_fake
def _(grad, input, target, weight, pos_weight, reduction, focal_gamma, focal_alpha):
    return input.new_empty(input.shape)


def _sigmoid_setup(ctx, inputs, output):
    input, target, weight, pos_weight, reduction, focal_gamma, focal_alpha = inputs
    ctx.save_for_backward(input, target, weight, pos_weight)
    ctx.options = (reduction, focal_gamma, focal_alpha)


def _sigmoid_backward(ctx, grad_loss):
    input, target, weight, pos_weight = ctx.saved_tensors
    grad = sigmoid_ce_bwd(grad_loss, input, target, weight, pos_weight, *ctx.options)
    return grad, None, None, None, None, None, None


sigmoid_ce_fwd.register_autograd(_sigmoid_backward, setup_context=_sigmoid_setup)


# --- what xent.torch calls -------------------------------------------------------------------

def sparse_ce(input, target, weight, reduction, ignore_index, label_smoothing):
    return sparse_ce_fwd(input, target, weight, reduction, int(ignore_index), float(label_smoothing))[0]


def soft_ce(input, target, weight, reduction, label_smoothing):
    return soft_ce_fwd(input, target, weight, reduction, float(label_smoothing))[0]


def sigmoid_ce(input, target, weight, pos_weight, reduction, focal_gamma=0.0, focal_alpha=-1.0):
    return sigmoid_ce_fwd(input, target, weight, pos_weight, reduction, float(focal_gamma), float(focal_alpha))
