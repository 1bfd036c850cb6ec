"""The backward with an upstream gradient and the saved lse, and the focal / Poly-1 options,
against PyTorch's autograd in float64: torch.nn.functional.cross_entropy and
binary_cross_entropy_with_logits, torchvision's sigmoid_focal_loss and optax's
poly_loss_cross_entropy written out in torch operations (neither package is a dependency)."""
import numpy as np
import pytest

import xent
from _check import assert_grad_close, assert_loss_close

torch = pytest.importorskip("torch")
F = torch.nn.functional
FLOATS = (np.float32, np.float64)


def t64(a, grad=False):
    return torch.tensor(np.asarray(a, np.float64), requires_grad=grad)


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("reduction", ("none", "sum", "mean"))
def test_sparse_backward_with_saved_lse_matches_autograd(dtype, reduction):
    rng = np.random.default_rng(5)
    x = rng.uniform(-6, 6, (7, 11)).astype(dtype)
    labels = rng.integers(0, 11, 7)
    loss, lse = xent.sparse_softmax_ce_with_logits(x, labels, reduction=reduction, return_lse=True)
    assert_loss_close(lse, torch.logsumexp(t64(x), 1).numpy(), x)
    dloss = rng.uniform(-2, 2, loss.shape).astype(dtype)
    xt = t64(x, True)
    ref = F.cross_entropy(xt, torch.from_numpy(labels), reduction=reduction)
    (want,) = torch.autograd.grad(ref, xt, grad_outputs=t64(dloss))
    for saved in (lse, None):
        grad = xent.sparse_softmax_ce_with_logits_backward(x, labels, dloss, reduction=reduction, lse=saved)
        assert grad.dtype == dtype
        assert_grad_close(grad, want.numpy())


@pytest.mark.parametrize("dtype", FLOATS)
def test_elementwise_backward_is_dloss_times_the_gradient(dtype):
    rng = np.random.default_rng(6)
    x = rng.uniform(-5, 5, (4, 6)).astype(dtype)
    t = rng.uniform(0, 1, (4, 6)).astype(dtype)
    dloss = rng.uniform(-1, 1, (4, 6)).astype(dtype)
    _, fused = xent.sigmoid_ce_with_logits(x, t, grad=True)
    grad = xent.sigmoid_ce_with_logits_backward(x, t, dloss)
    np.testing.assert_array_equal(grad, dloss * fused)  # bit for bit: dloss multiplies last


def torchvision_sigmoid_focal_loss(x, t, alpha, gamma):
    """torchvision.ops.sigmoid_focal_loss, reduction 'none', in torch operations."""
    p = torch.sigmoid(x)
    ce = F.binary_cross_entropy_with_logits(x, t, reduction="none")
    p_t = p * t + (1 - p) * (1 - t)
    loss = ce * ((1 - p_t) ** gamma)
    if alpha >= 0:
        loss = (alpha * t + (1 - alpha) * (1 - t)) * loss
    return loss


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("alpha,gamma", ((0.25, 2.0), (-1.0, 2.0), (0.5, 0.0), (0.75, 1.5)))
def test_sigmoid_focal_matches_torchvision(dtype, alpha, gamma):
    rng = np.random.default_rng(7)
    x = rng.uniform(-8, 8, (5, 9)).astype(dtype)
    t = (rng.uniform(0, 1, (5, 9)) < 0.3).astype(dtype)
    loss, grad = xent.sigmoid_ce_with_logits(x, t, focal_gamma=gamma, focal_alpha=alpha, grad=True)
    xt = t64(x, True)
    ref = torchvision_sigmoid_focal_loss(xt, t64(t), alpha, gamma)
    (want,) = torch.autograd.grad(ref.sum(), xt)
    assert_loss_close(loss, ref.detach().numpy(), x)
    assert_grad_close(grad, want.numpy())


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("eps", (1.0, -0.5, 2.0))
def test_poly_softmax_matches_optax_formula(dtype, eps):
    rng = np.random.default_rng(8)
    x = rng.uniform(-4, 4, (6, 7)).astype(dtype)
    t = rng.dirichlet(np.ones(7), 6).astype(dtype)
    loss, grad = xent.softmax_ce_with_logits(x, t, poly_epsilon=eps, grad=True)
    xt = t64(x, True)
    tt = t64(t)
    # optax.poly_loss_cross_entropy: CE + eps * sum(t * (1 - softmax(x)))
    ref = -(tt * F.log_softmax(xt, 1)).sum(1) + eps * (tt * (1 - F.softmax(xt, 1))).sum(1)
    (want,) = torch.autograd.grad(ref.sum(), xt)
    assert_loss_close(loss, ref.detach().numpy(), x)
    assert_grad_close(grad, want.numpy())


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("gamma,eps", ((2.0, 0.0), (0.5, 1.0), (0.0, 1.0)))
def test_sparse_softmax_focal_poly(dtype, gamma, eps):
    rng = np.random.default_rng(9)
    x = rng.uniform(-5, 5, (8, 10)).astype(dtype)
    labels = rng.integers(0, 10, 8)
    loss, grad = xent.sparse_softmax_ce_with_logits(x, labels, focal_gamma=gamma, poly_epsilon=eps, grad=True)
    xt = t64(x, True)
    logp = F.log_softmax(xt, 1).gather(1, torch.from_numpy(labels)[:, None])[:, 0]
    om = 1 - torch.exp(logp)
    ref = om ** gamma * (-logp + eps * om)
    (want,) = torch.autograd.grad(ref.sum(), xt)
    assert_loss_close(loss, ref.detach().numpy(), x)
    assert_grad_close(grad, want.numpy())


def test_options_off_their_variant_raise():
    with pytest.raises(xent.XentError, match="focal_gamma"):
        xent.binary_ce(np.full((1, 2), 0.5), np.ones((1, 2)), focal_gamma=2)
    with pytest.raises(xent.XentError, match="lse"):
        xent.binary_ce_backward(np.full((1, 2), 0.5), np.ones((1, 2)), np.ones((1, 2)), lse=np.zeros(1))
    with pytest.raises(xent.XentError, match="dloss has shape"):
        xent.sparse_softmax_ce_with_logits_backward(np.zeros((2, 3)), [0, 1], np.ones(3))
