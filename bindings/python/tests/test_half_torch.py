"""xent.torch on float16 / bfloat16 CPU tensors: the 16-bit functions, zero-copy, against torch's
own functions on the same 16-bit values upcast to float32; loss and gradient dtypes follow the
input (as torch's autograd expects), values within the 16-bit rounding; dtype mixes raise."""
import numpy as np
import pytest

torch = pytest.importorskip("torch")
F = torch.nn.functional
import xent  # noqa: E402
import xent.torch as xt  # noqa: E402

HALF = (torch.bfloat16, torch.float16)
REDUCTIONS = ("none", "sum", "mean")
ULP = {torch.bfloat16: 2.0 ** -7, torch.float16: 2.0 ** -10}


def tensor(shape, dtype, seed=1, lo=-4.0, hi=4.0):
    return torch.from_numpy(np.random.default_rng(seed).uniform(lo, hi, shape)).to(dtype)


def close(got, ref, dtype, what, spread=1e-5):
    """got (16-bit) within two 16-bit ulps of ref (float32) plus spread times the largest |ref|."""
    got, ref = got.double(), ref.double()
    tol = 2 * ULP[dtype] * ref.abs() + spread * (ref.abs().max() if ref.numel() else 0) + 1e-7
    bad = ~((got - ref).abs() <= tol)
    assert not bad.any(), f"{what} ({dtype}): {int(bad.sum())} outside tolerance, e.g. {got[bad][:3]} vs {ref[bad][:3]}"


def _ref(a):
    if not isinstance(a, torch.Tensor):
        return a
    return a.float() if a.is_floating_point() else a.long()


def check(ours, theirs, x, *args, grad_spread=1e-5, **kwargs):
    """ours on the 16-bit x against theirs on x.float(); grads with the same (16-bit) upstream.
    grad_spread: the gradient's error allowed in units of its largest value."""
    xi = x.detach().clone().requires_grad_(True)
    loss = ours(xi, *args, **kwargs)
    assert loss.dtype == x.dtype
    up = tensor(tuple(loss.shape), x.dtype, seed=9, lo=-2, hi=2)
    (g,) = torch.autograd.grad(loss, xi, grad_outputs=up)
    assert g.dtype == x.dtype and g.shape == x.shape
    xr = x.detach().float().requires_grad_(True)
    ref = theirs(xr, *map(_ref, args), **{k: _ref(v) for k, v in kwargs.items()})
    (gr,) = torch.autograd.grad(ref, xr, grad_outputs=up.float())
    close(loss.detach(), ref.detach(), x.dtype, "loss")
    close(g, gr, x.dtype, "grad", grad_spread)


@pytest.mark.parametrize("dtype", HALF)
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_cross_entropy_indices(dtype, reduction):
    x, y = tensor((6, 5), dtype), torch.tensor([0, 4, 2, 1, 3, -100])
    w = tensor((5,), dtype, seed=2, lo=0.5, hi=2)
    check(xt.cross_entropy, F.cross_entropy, x, y, reduction=reduction)
    check(xt.cross_entropy, F.cross_entropy, x, y, weight=w, reduction=reduction, label_smoothing=0.1)
    x3, y3 = tensor((3, 4, 2, 5), dtype, seed=3), torch.from_numpy(np.random.default_rng(3).integers(0, 4, (3, 2, 5)))
    check(xt.cross_entropy, F.cross_entropy, x3, y3.int(), reduction=reduction)


@pytest.mark.parametrize("dtype", HALF)
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_cross_entropy_probabilities_and_nll(dtype, reduction):
    x = tensor((4, 6), dtype)
    p = torch.softmax(tensor((4, 6), torch.float32, seed=4), 1).to(dtype)
    check(xt.cross_entropy, F.cross_entropy, x, p, reduction=reduction)
    logp = torch.log_softmax(tensor((4, 6), torch.float32, seed=5), 1).to(dtype)
    check(xt.nll_loss, F.nll_loss, logp, torch.tensor([5, 0, 2, 2]), reduction=reduction)


@pytest.mark.parametrize("dtype", HALF)
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_binary_losses(dtype, reduction):
    x, t = tensor((5, 3), dtype), tensor((5, 3), dtype, seed=6, lo=0, hi=1)
    w, pw = tensor((3,), dtype, seed=7, lo=0.5, hi=2), tensor((3,), dtype, seed=8, lo=0.5, hi=3)
    check(xt.binary_cross_entropy_with_logits, F.binary_cross_entropy_with_logits, x, t, reduction=reduction)
    check(xt.binary_cross_entropy_with_logits, F.binary_cross_entropy_with_logits, x, t, weight=w, pos_weight=pw,
          reduction=reduction)
    p = tensor((5, 3), dtype, seed=10, lo=0.05, hi=0.95)
    check(xt.binary_cross_entropy, F.binary_cross_entropy, p, t, reduction=reduction)
    check(xt.binary_cross_entropy, F.binary_cross_entropy, p, t, weight=tensor((5, 1), dtype, seed=11, lo=0, hi=1),
          reduction=reduction)  # a non-per-class weight: applied by torch


def torchvision_focal(inputs, targets, alpha=0.25, gamma=2.0, reduction="none"):
    """torchvision.ops.sigmoid_focal_loss, written out (torchvision is not a dependency)."""
    p = torch.sigmoid(inputs)
    ce = F.binary_cross_entropy_with_logits(inputs, targets, reduction="none")
    p_t = p * targets + (1 - p) * (1 - targets)
    loss = ce * ((1 - p_t) ** gamma)
    if alpha >= 0:
        loss = (alpha * targets + (1 - alpha) * (1 - targets)) * loss
    return loss if reduction == "none" else loss.sum() if reduction == "sum" else loss.mean()


@pytest.mark.parametrize("dtype", HALF)
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_sigmoid_focal_loss(dtype, reduction):
    x, t = tensor((4, 5), dtype), (tensor((4, 5), torch.float32, seed=12, lo=0, hi=1) > 0.5).to(dtype)
    check(xt.sigmoid_focal_loss, torchvision_focal, x, t, reduction=reduction)


@pytest.mark.parametrize("dtype", HALF)
@pytest.mark.parametrize("dim", [0, 1, -1])
@pytest.mark.parametrize("log", [False, True])
def test_softmax_family(dtype, dim, log):
    x = tensor((3, 7, 4), dtype)
    ours, theirs = (xt.log_softmax, F.log_softmax) if log else (xt.softmax, F.softmax)
    # the backward is torch's formula on the saved 16-bit output, whose rounding the
    # sum over the dim carries into every element: allowed 4 ulps of the largest gradient
    check(ours, theirs, x, dim=dim, grad_spread=4 * ULP[dtype])
    # forward bitwise: the rounding of xent's own float32 softmax of the widened values
    y = ours(x, dim=dim)
    assert y.dtype == dtype and torch.equal(y, ours(x.float(), dim=dim).to(dtype))


@pytest.mark.parametrize("dtype", HALF)
def test_grad_is_the_numpy_functions_and_tensors_are_not_copied(dtype):
    x, y = tensor((4, 6), dtype).requires_grad_(True), torch.tensor([1, 0, 5, 3])
    xt.cross_entropy(x, y, reduction="sum").backward()
    src = xt._array(x.detach(), "input")
    bits = src.bits if isinstance(src, xent.Bf16Bits) else src
    assert bits.ctypes.data == x.data_ptr()  # zero-copy: the tensor's own memory
    _, g = xent.sparse_softmax_ce_with_logits(src, y.numpy(), reduction="sum", grad=True)
    g = torch.from_numpy(np.asarray(g).view(np.int16)).view(torch.bfloat16) if dtype == torch.bfloat16 \
        else torch.from_numpy(g)
    assert torch.equal(x.grad, g)


def test_non_contiguous_half_is_copied():
    x = tensor((5, 4), torch.bfloat16).t()
    y = torch.tensor([0, 1, 2, 3])
    assert torch.equal(xt.cross_entropy(x, y), xt.cross_entropy(x.contiguous(), y))


def test_dtype_mixes_raise_naming_the_argument():
    x16, xb = tensor((2, 3), torch.float16), tensor((2, 3), torch.bfloat16)
    with pytest.raises(TypeError, match="target has dtype torch.bfloat16 but input is torch.float16"):
        xt.binary_cross_entropy_with_logits(x16, torch.zeros(2, 3, dtype=torch.bfloat16))
    with pytest.raises(TypeError, match="weight has dtype torch.float16 but input is torch.bfloat16"):
        xt.cross_entropy(xb, torch.tensor([0, 1]), weight=torch.ones(3, dtype=torch.float16))
    with pytest.raises(TypeError, match="pos_weight has dtype torch.bfloat16"):
        xt.binary_cross_entropy_with_logits(x16, torch.zeros_like(x16), pos_weight=torch.ones(3, dtype=torch.bfloat16))
    with pytest.raises(TypeError, match="targets is float32 but the input is float16"):
        xt.cross_entropy(x16, torch.softmax(x16.float(), 1))
