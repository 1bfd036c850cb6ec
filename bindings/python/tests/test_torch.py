"""Every variant and option against PyTorch in float64 (losses and autograd gradients), for
float32 and float64 inputs, (B, C) and (B, C, d1, d2) layouts and the three reductions.
Options PyTorch lacks (sample weights, z_loss, logit_softcap, smoothing of probability
losses) are composed from torch operations by the formulas of docs/SEMANTICS.md."""
import numpy as np
import pytest

import xent
from _check import assert_grad_close, assert_loss_close

torch = pytest.importorskip("torch")
F = torch.nn.functional

FLOATS = (np.float32, np.float64)
SHAPES = ((6, 5), (3, 4, 2, 3))
REDUCTIONS = ("none", "sum", "mean")
VALUES = dict(label_smoothing=0.1, z_loss=0.05, logit_softcap=3.0, epsilon=1e-3)


def t64(a):
    return torch.from_numpy(np.asarray(a, np.float64))


class Case:
    """Random inputs of one shape and dtype with the named options, and their torch tensors."""

    def __init__(self, shape, dtype, names, seed):
        self.rng = np.random.default_rng(seed)
        self.dtype, self.names, self.ndim = dtype, set(names), len(shape)
        self.classes, self.sample_shape = shape[1], (shape[0],) + shape[2:]
        self.options = {k: v for k, v in VALUES.items() if k in self.names}
        if "class_weights" in self.names:
            self.options["class_weights"] = self.uniform(0.5, 2, self.classes)
        if "pos_weight" in self.names:
            self.options["pos_weight"] = self.uniform(0.5, 3, self.classes)
        if "sample_weights" in self.names:
            self.options["sample_weights"] = self.uniform(0.5, 2, self.sample_shape)
        self.s = self.options.get("label_smoothing", 0.0)
        self.eps = self.options.get("epsilon", 1e-7)
        self.cw = t64(self.options.get("class_weights", np.ones(self.classes)))
        self.sw = t64(self.options.get("sample_weights", np.ones(self.sample_shape)))
        self.ignore = None

    def uniform(self, lo, hi, shape):
        return self.rng.uniform(lo, hi, shape).astype(self.dtype)

    def on_class_axis(self, w):
        """A (C,) tensor shaped to broadcast along axis 1."""
        return w.reshape((-1,) + (1,) * (self.ndim - 2))

    def element_weight(self):
        """class weight times sample weight for every element (B, C, d...), or None."""
        if not self.names & {"class_weights", "sample_weights"}:
            return None
        return self.on_class_axis(self.cw) * self.sw.unsqueeze(1)

    def soft_targets(self):
        """A distribution over axis 1."""
        t = self.rng.dirichlet(np.ones(self.classes), self.sample_shape).astype(self.dtype)
        return np.ascontiguousarray(np.moveaxis(t, -1, 1))

    def labels(self):
        labels = self.rng.integers(0, self.classes, self.sample_shape)
        self.ignore = -100 if "ignore_index" in self.names else None
        if self.ignore is not None:
            self.options["ignore_index"] = self.ignore
            labels.flat[::3] = self.ignore
        return labels.astype(np.int32 if "int32" in self.names else np.int64)

    def native(self, *extra):
        """Whether torch's own reduction applies (no option that torch lacks)."""
        return not self.names & {"sample_weights", "z_loss", *extra}


def reduce(loss, reduction, count):
    return {"none": loss, "sum": loss.sum(), "mean": loss.sum() / count}[reduction]


def sparse_reduce(case, loss, labels, reduction):
    """Apply sample weights, then the sparse MEAN divisor sum(class_weight[label] * sample_weight)."""
    keep = labels != case.ignore if case.ignore is not None else torch.ones_like(labels, dtype=torch.bool)
    safe = torch.where(keep, labels, 0)
    loss = loss * case.sw
    return reduce(loss, reduction, (case.cw[safe] * case.sw * keep).sum())


def softcapped(case, xt):
    cap = case.options.get("logit_softcap")
    return cap * torch.tanh(xt / cap) if cap else xt


def z_term(case, y):
    return case.options.get("z_loss", 0.0) * torch.logsumexp(y, 1) ** 2


def sparse_softmax(case, shape):
    x, labels = case.uniform(-5, 5, shape), case.labels()
    lt = torch.from_numpy(labels.astype(np.int64))
    ignore = -100 if case.ignore is None else case.ignore

    def ref(xt, reduction):
        y = softcapped(case, xt)
        native = case.native()
        loss = F.cross_entropy(y, lt, weight=case.cw, ignore_index=ignore, label_smoothing=case.s,
                               reduction=reduction if native else "none")
        if native:
            return loss
        return sparse_reduce(case, (loss + z_term(case, y)) * (lt != ignore), lt, reduction)
    return xent.sparse_softmax_ce_with_logits, x, labels, ref


def softmax(case, shape):
    x, t = case.uniform(-5, 5, shape), case.soft_targets()

    def ref(xt, reduction):
        y = softcapped(case, xt)
        native = case.native()
        loss = F.cross_entropy(y, t64(t), weight=case.cw, label_smoothing=case.s,
                               reduction=reduction if native else "none")
        return loss if native else reduce((loss + z_term(case, y)) * case.sw, reduction, loss.numel())
    return xent.softmax_ce_with_logits, x, t, ref


def sigmoid(case, shape):
    x, t = case.uniform(-6, 6, shape), case.uniform(0, 1, shape)
    t.flat[::4], t.flat[1::4] = 0, 1

    def ref(xt, reduction):
        pos = case.options.get("pos_weight")
        return F.binary_cross_entropy_with_logits(
            xt, (1 - case.s) * t64(t) + case.s / 2, weight=case.element_weight(),
            pos_weight=None if pos is None else case.on_class_axis(t64(pos)), reduction=reduction)
    return xent.sigmoid_ce_with_logits, x, t, ref


def binary(case, shape):
    # p near 1 only with the larger epsilon: torch forms 1 - q, inexact in float64 for q = 1 - 1e-7
    p, t = case.uniform(0, 0.99 if "epsilon" not in case.names else 1, shape), case.uniform(0, 1, shape)
    p.flat[::5], p.flat[1::7] = 0, 1e-9
    if "epsilon" in case.names:
        p.flat[2::7], p.flat[3::7] = 1, 0.9995
    t.flat[::4] = 0

    def ref(pt, reduction):
        q = torch.clamp(pt, case.eps, 1 - case.eps)
        return F.binary_cross_entropy(q, (1 - case.s) * t64(t) + case.s / 2, weight=case.element_weight(),
                                      reduction=reduction)
    return xent.binary_ce, p, t, ref


def probabilities(case, shape):
    p = case.uniform(0, 2, shape)
    p.flat[::7] = 0  # one zero class at most in each sample
    return p


def clipped_log(case, pt):
    return torch.log(torch.clamp(pt / pt.sum(1, keepdim=True), case.eps, 1 - case.eps))


def categorical(case, shape):
    p, t = probabilities(case, shape), case.soft_targets()

    def ref(pt, reduction):
        smoothed = (1 - case.s) * t64(t) + case.s / case.classes
        loss = -(smoothed * case.on_class_axis(case.cw) * clipped_log(case, pt)).sum(1)
        return reduce(loss * case.sw, reduction, loss.numel())
    return xent.categorical_ce, p, t, ref


def sparse_categorical(case, shape):
    p, labels = probabilities(case, shape), case.labels()
    lt = torch.from_numpy(labels.astype(np.int64))
    ignore = -100 if case.ignore is None else case.ignore

    def ref(pt, reduction):
        logq = clipped_log(case, pt)
        if case.native("label_smoothing"):
            return F.nll_loss(logq, lt, weight=case.cw, ignore_index=ignore, reduction=reduction)
        keep = lt != ignore
        onehot = F.one_hot(torch.where(keep, lt, 0), case.classes).movedim(-1, 1).double()
        smoothed = ((1 - case.s) * onehot + case.s / case.classes) * keep.unsqueeze(1)
        loss = -(smoothed * case.on_class_axis(case.cw) * logq).sum(1)
        return sparse_reduce(case, loss, lt, reduction)
    return xent.sparse_categorical_ce, p, labels, ref


ALL_SOFTMAX = ("class_weights", "label_smoothing", "sample_weights", "z_loss", "logit_softcap")
VARIANTS = {  # builder: option sets, each tested alone and all together
    sparse_softmax: (*ALL_SOFTMAX, "ignore_index", "int32"),
    softmax: ALL_SOFTMAX,
    sigmoid: ("class_weights", "pos_weight", "sample_weights", "label_smoothing"),
    binary: ("class_weights", "sample_weights", "label_smoothing", "epsilon"),
    categorical: ("class_weights", "sample_weights", "label_smoothing", "epsilon"),
    sparse_categorical: ("class_weights", "sample_weights", "label_smoothing", "epsilon", "ignore_index", "int32"),
}
CASES = [pytest.param(builder, names, id=f"{builder.__name__}-{'+'.join(names) or 'plain'}")
         for builder, options in VARIANTS.items()
         for names in [(), *((n,) for n in options), options]]


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("shape", SHAPES, ids=("BC", "BCd1d2"))
@pytest.mark.parametrize("dtype", FLOATS, ids=("f32", "f64"))
@pytest.mark.parametrize("builder, names", CASES)
def test_loss_and_gradient_match_torch(builder, names, dtype, shape, reduction):
    case = Case(shape, dtype, names, seed=20)
    fn, x, target, ref = builder(case, shape)
    loss, grad = fn(x, target, reduction=reduction, grad=True, **case.options)
    xt = t64(x).requires_grad_()
    expected = ref(xt, reduction)
    expected.sum().backward()
    assert loss.dtype == dtype and grad.dtype == dtype and grad.shape == x.shape
    assert_loss_close(loss, expected.detach().numpy(), x)
    assert_grad_close(grad, xt.grad.numpy())
    assert_loss_close(fn(x, target, reduction=reduction, **case.options), expected.detach().numpy(), x)
    if case.ignore is not None:
        assert not np.moveaxis(grad, 1, -1)[target == case.ignore].any(), "ignored samples need grad 0"


@pytest.mark.parametrize("dtype", FLOATS, ids=("f32", "f64"))
def test_binary_ce_clips_near_one_by_the_formula(dtype):
    """q = clip(p), r = clip(1 - p) (SEMANTICS.md) where torch's 1 - q would be inexact."""
    p = np.array([[1, 1 - 1e-9, 0.5, 0]], dtype)
    t = np.array([[0, 0.3, 1, 1]], dtype)
    pt, tt = t64(p).requires_grad_(), t64(t)
    eps = 1e-7
    ref = -(tt * torch.log(torch.clamp(pt, eps, 1 - eps)) + (1 - tt) * torch.log(torch.clamp(1 - pt, eps, 1 - eps)))
    ref.sum().backward()
    loss, grad = xent.binary_ce(p, t, grad=True)
    assert_loss_close(loss, ref.detach().numpy(), p)
    assert_grad_close(grad, pt.grad.numpy())


def row_inputs(dtype):
    x = np.random.default_rng(11).normal(scale=4, size=(5, 9))
    x[1, 3], x[1, 5] = 1e30, -1e30
    x[2, ::2] = -np.inf  # masked classes
    return x.astype(dtype)


@pytest.mark.parametrize("dtype", FLOATS, ids=("f32", "f64"))
@pytest.mark.parametrize("name, reference", [
    ("logsumexp", lambda x: torch.logsumexp(x, -1)),
    ("softmax", lambda x: torch.softmax(x, -1)),
    ("log_softmax", lambda x: torch.log_softmax(x, -1)),
])
def test_row_kernels_match_torch(name, reference, dtype):
    x = row_inputs(dtype)
    got = getattr(xent, name)(x)
    assert got.dtype == dtype
    assert_loss_close(got, reference(t64(x)).numpy(), x[np.abs(x) < 1e29])


@pytest.mark.parametrize("dtype", FLOATS, ids=("f32", "f64"))
@pytest.mark.parametrize("shape", [(1, 17), (37, 1000), (3, 65537), (2, 250007)])
def test_sizes_masks_and_extremes_match_torch(shape, dtype):
    """Tails of the SIMD loops, many rows, and few long rows (split inside rows), with masked
    (-inf) classes and a row of large logits, for the softmax losses and their gradients."""
    rng = np.random.default_rng(shape[1])
    x = rng.normal(scale=3, size=shape)
    x[0, 1::3] = -np.inf
    x[-1, :5] += 1e4
    x = x.astype(dtype)
    labels = rng.integers(0, shape[1], shape[0])
    labels[0] = 0
    targets = np.zeros(shape, dtype)
    targets[np.arange(shape[0]), labels] = 1
    for fn, target, ref_target in ((xent.sparse_softmax_ce_with_logits, labels, torch.from_numpy(labels)),
                                   (xent.softmax_ce_with_logits, targets, t64(targets))):
        loss, grad = fn(x, target, reduction="mean", grad=True)
        xt = t64(x).requires_grad_()
        expected = F.cross_entropy(xt, ref_target, reduction="none") if fn is not xent.softmax_ce_with_logits \
            else -(torch.where(t64(targets) > 0, torch.log_softmax(xt, 1), torch.zeros(())) * t64(targets)).sum(1)
        expected.mean().backward()
        assert_loss_close(loss, expected.mean().detach().numpy(), x)
        assert_grad_close(grad, xt.grad.numpy())


@pytest.mark.parametrize("dtype", FLOATS, ids=("f32", "f64"))
def test_binary_ce_without_clipping_at_zero_and_one(dtype):
    # The loss matches torch; the gradient is checked against the analytic derivative
    # (1-t)/(1-p) - t/p with zero-coefficient terms exactly 0: torch's backward computes
    # (p - t) / max(p (1 - p), 1e-12), which gives 0 instead of 1 at p = 0, t = 0.
    p, t = np.array([[0, 1, 0.25]], dtype), np.array([[0, 1, 0.5]], dtype)
    pt = t64(p).requires_grad_()
    ref = F.binary_cross_entropy(pt, t64(t), reduction="none")
    loss, grad = xent.binary_ce(p, t, epsilon=0.0, grad=True)
    assert_loss_close(loss, ref.detach().numpy(), p)
    p64, t64_ = p.astype(np.float64), t.astype(np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        up = np.where(t64_ == 1, 0.0, (1 - t64_) / (1 - p64))
        down = np.where(t64_ == 0, 0.0, t64_ / p64)
    assert_grad_close(grad, up - down)


@pytest.mark.parametrize("dtype", FLOATS, ids=("f32", "f64"))
def test_categorical_ce_of_one_hot_equals_sparse_without_clipping(dtype):
    p = np.array([[0, 1, 3]], dtype)
    dense = xent.categorical_ce(p, np.array([[0, 0, 1]], dtype), epsilon=0.0, grad=True)
    sparse = xent.sparse_categorical_ce(p, np.array([2]), epsilon=0.0, grad=True)
    assert_loss_close(dense[0], sparse[0], p)
    assert_grad_close(dense[1], sparse[1])
