"""xent.torch against torch.nn.functional itself: losses and autograd gradients (with a random
upstream gradient) within SPEC tolerance, torch.autograd.gradcheck in float64, and a small
training loop whose loss goes down as it does with torch's own loss."""
import numpy as np
import pytest

torch = pytest.importorskip("torch")
F = torch.nn.functional
import xent  # noqa: E402
import xent.torch as xt  # noqa: E402
from _check import assert_grad_close, assert_loss_close  # noqa: E402

DTYPES = (torch.float32, torch.float64)
REDUCTIONS = ("none", "sum", "mean")


def both(ours, theirs, x, upstream_seed=0):
    """Runs both with the same upstream gradient; returns (loss, grad) pairs."""
    out = []
    for fn in (ours, theirs):
        xi = x.detach().clone().requires_grad_(True)
        loss = fn(xi)
        up = torch.from_numpy(np.random.default_rng(upstream_seed).uniform(-2, 2, tuple(loss.shape))).to(loss.dtype)
        (g,) = torch.autograd.grad(loss, xi, grad_outputs=up)
        out.append((loss.detach(), g))
    return out


def check(ours, theirs, x):
    (l1, g1), (l2, g2) = both(ours, theirs, x)
    assert l1.dtype == x.dtype and g1.dtype == x.dtype
    assert_loss_close(l1.numpy(), l2.double().numpy(), x.numpy())
    assert_grad_close(g1.numpy(), g2.double().numpy())


def logits(shape, dtype, seed=1, scale=4.0):
    return torch.from_numpy(np.random.default_rng(seed).uniform(-scale, scale, shape)).to(dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("shape", ((6, 5), (3, 4, 2, 3)))
def test_cross_entropy_class_indices(dtype, reduction, shape):
    x = logits(shape, dtype)
    rng = np.random.default_rng(2)
    target = torch.from_numpy(rng.integers(0, shape[1], (shape[0],) + shape[2:]))
    target.view(-1)[1] = -100  # ignored
    w = torch.from_numpy(rng.uniform(0.5, 2, shape[1])).to(dtype)
    for kw in ({}, dict(weight=w), dict(label_smoothing=0.1), dict(weight=w, label_smoothing=0.2)):
        check(lambda v: xt.cross_entropy(v, target, reduction=reduction, **kw),
              lambda v: F.cross_entropy(v.double(), target, reduction=reduction,
                                        **{k: (a.double() if torch.is_tensor(a) else a) for k, a in kw.items()}), x)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_cross_entropy_probabilities(dtype, reduction):
    x = logits((7, 6), dtype, 3)
    t = torch.from_numpy(np.random.default_rng(4).dirichlet(np.ones(6), 7)).to(dtype)
    for s in (0.0, 0.15):
        check(lambda v: xt.cross_entropy(v, t, reduction=reduction, label_smoothing=s),
              lambda v: F.cross_entropy(v.double(), t.double(), reduction=reduction, label_smoothing=s), x)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_binary_cross_entropy_with_logits(dtype, reduction):
    x = logits((5, 4), dtype, 5, 6)
    rng = np.random.default_rng(6)
    t = torch.from_numpy(rng.uniform(0, 1, (5, 4))).to(dtype)
    pw = torch.from_numpy(rng.uniform(0.5, 3, 4)).to(dtype)
    w_class = torch.from_numpy(rng.uniform(0.5, 2, 4)).to(dtype)
    w_full = torch.from_numpy(rng.uniform(0.5, 2, (5, 1))).to(dtype)
    for kw in ({}, dict(pos_weight=pw), dict(weight=w_class), dict(weight=w_full, pos_weight=pw)):
        check(lambda v: xt.binary_cross_entropy_with_logits(v, t, reduction=reduction, **kw),
              lambda v: F.binary_cross_entropy_with_logits(v.double(), t.double(), reduction=reduction,
                                                           **{k: a.double() for k, a in kw.items()}), x)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_binary_cross_entropy(dtype, reduction):
    rng = np.random.default_rng(7)
    p = torch.from_numpy(rng.uniform(0.01, 0.99, (6, 3))).to(dtype)
    t = torch.from_numpy(rng.uniform(0, 1, (6, 3))).to(dtype)
    check(lambda v: xt.binary_cross_entropy(v, t, reduction=reduction),
          lambda v: F.binary_cross_entropy(v.double(), t.double(), reduction=reduction), p)
    # p = 0 and 1: torch clamps log at -100, xent clips p at e^-100: 100 in float64; in float32
    # e^-100 is a subnormal of few bits, and the loss is -log of it, 99.98 (docs/SEMANTICS.md).
    edge = torch.tensor([[0.0, 1.0]], dtype=dtype)
    got = xt.binary_cross_entropy(edge, torch.tensor([[1.0, 0.0]], dtype=dtype), reduction="none")
    want = F.binary_cross_entropy(edge.double(), torch.tensor([[1.0, 0.0]], dtype=torch.float64), reduction="none")
    if dtype == torch.float64:
        assert_loss_close(got.numpy(), want.numpy(), edge.numpy())
    else:
        np.testing.assert_allclose(got.numpy(), want.numpy(), atol=0.02)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("dim", (0, 1, -1))
def test_softmax_log_softmax(dtype, dim):
    x = logits((4, 5, 3), dtype, 8)
    check(lambda v: xt.softmax(v, dim=dim), lambda v: F.softmax(v.double(), dim=dim), x)
    check(lambda v: xt.log_softmax(v, dim=dim), lambda v: F.log_softmax(v.double(), dim=dim), x)


def torchvision_sigmoid_focal_loss(inputs, targets, alpha, gamma, reduction):
    p = torch.sigmoid(inputs)
    ce = F.binary_cross_entropy_with_logits(inputs, targets, reduction="none")
    loss = ce * ((1 - (p * targets + (1 - p) * (1 - targets))) ** gamma)
    if alpha >= 0:
        loss = (alpha * targets + (1 - alpha) * (1 - targets)) * loss
    return loss if reduction == "none" else loss.sum() if reduction == "sum" else loss.mean()


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_sigmoid_focal_loss(dtype, reduction):
    x = logits((6, 4), dtype, 9, 6)
    t = torch.from_numpy((np.random.default_rng(10).uniform(0, 1, (6, 4)) < 0.4) * 1.0).to(dtype)
    for alpha, gamma in ((0.25, 2.0), (-1, 1.5)):
        check(lambda v: xt.sigmoid_focal_loss(v, t, alpha, gamma, reduction),
              lambda v: torchvision_sigmoid_focal_loss(v.double(), t.double(), alpha, gamma, reduction), x)


@pytest.mark.skipif(not hasattr(xent._lib(), "xent_nll_loss_f32"), reason="libxent without nll_loss")
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_nll_loss(reduction):
    lp = F.log_softmax(logits((6, 5), torch.float64, 11), 1)
    target = torch.tensor([0, 4, 2, -100, 1, 3])
    w = torch.tensor([0.5, 1.0, 2.0, 1.5, 0.7], dtype=torch.float64)
    check(lambda v: xt.nll_loss(v, target, weight=w, reduction=reduction),
          lambda v: F.nll_loss(v, target, weight=w, reduction=reduction), lp)


def test_gradcheck_float64():
    x = logits((4, 5), torch.float64, 12).requires_grad_(True)
    target = torch.tensor([1, 0, 4, 2])
    t = torch.from_numpy(np.random.default_rng(13).uniform(0, 1, (4, 5)))
    assert torch.autograd.gradcheck(lambda v: xt.cross_entropy(v, target, label_smoothing=0.1), (x,))
    assert torch.autograd.gradcheck(lambda v: xt.binary_cross_entropy_with_logits(v, t), (x,))
    assert torch.autograd.gradcheck(lambda v: xt.sigmoid_focal_loss(v, t, reduction="sum"), (x,))
    assert torch.autograd.gradcheck(lambda v: xt.log_softmax(v, dim=0), (x,))


def test_training_loop_matches_torch():
    """A linear classifier trained 30 SGD steps with either loss follows the same path."""
    rng = np.random.default_rng(14)
    data = torch.from_numpy(rng.normal(size=(64, 8)))
    labels = (data @ torch.from_numpy(rng.normal(size=(8, 3)))).argmax(1)  # linearly separable
    losses = {}
    for name, fn in (("xent", xt.cross_entropy), ("torch", F.cross_entropy)):
        torch.manual_seed(0)
        model = torch.nn.Linear(8, 3).double()
        opt = torch.optim.SGD(model.parameters(), lr=0.5)
        path = []
        for _ in range(30):
            opt.zero_grad()
            loss = fn(model(data), labels)
            loss.backward()
            opt.step()
            path.append(loss.item())
        losses[name] = path
    assert losses["xent"][-1] < 0.8 * losses["xent"][0]
    np.testing.assert_allclose(losses["xent"], losses["torch"], rtol=1e-9)


def test_bad_tensors_raise():
    with pytest.raises(TypeError, match="complex64"):  # float16 / bfloat16: test_half.py
        xt.cross_entropy(torch.zeros(2, 3, dtype=torch.complex64), torch.tensor([0, 1]))
    with pytest.raises(ValueError, match="reduction"):
        xt.cross_entropy(torch.zeros(2, 3), torch.tensor([0, 1]), reduction="avg")
    # A non-contiguous input is copied, and gives the contiguous result.
    x = logits((5, 4), torch.float64, 15).t()
    target = torch.tensor([0, 1, 2, 3])
    assert torch.allclose(xt.cross_entropy(x, target), F.cross_entropy(x, target), rtol=1e-12)
