"""xent._torch_ops, the torch.library custom ops (torch >= 2.4): torch.library.opcheck on each
op, and the public functions through the ops equal to the autograd.Function path.

These skip where torch.library.custom_op is missing (Debian's python3-torch 1.13, the
development machine's). There, test_stand_in_* still runs the module's kernels, fake kernels,
setup_context and backward through a minimal stand-in for custom_op (an autograd.Function
per op); it checks xent's glue, not torch's custom-op machinery."""
import importlib
import sys

import numpy as np
import pytest

torch = pytest.importorskip("torch")
import xent.torch as xt  # noqa: E402

HAS_CUSTOM_OP = hasattr(torch.library, "custom_op")
needs_custom_op = pytest.mark.skipif(not HAS_CUSTOM_OP, reason="torch.library.custom_op needs torch >= 2.4")
REDUCTIONS = ("none", "sum", "mean")


def _rng(seed):
    return np.random.default_rng(seed)


def _logits(shape, dtype=torch.float32, seed=1):
    return torch.from_numpy(_rng(seed).uniform(-4, 4, shape)).to(dtype)


def _labels(shape, classes, seed=2):
    return torch.from_numpy(_rng(seed).integers(0, classes, shape))


def _probs(shape, dtype=torch.float32, seed=3):
    return torch.from_numpy(_rng(seed).dirichlet(np.ones(shape[1]), shape[0])).to(dtype)


def _bits(shape, dtype=torch.float32, seed=4):
    return torch.from_numpy(_rng(seed).integers(0, 2, shape).astype(np.float64)).to(dtype)


# (public call, its inputs) pairs: each runs through the custom ops where they exist
CASES = [
    ("ce_indices", lambda x, t, r: xt.cross_entropy(x, t, reduction=r), lambda: (_logits((6, 5)), _labels((6,), 5))),
    ("ce_indices_4d", lambda x, t, r: xt.cross_entropy(x, t, reduction=r, ignore_index=1, label_smoothing=0.1),
     lambda: (_logits((2, 5, 3, 2), torch.float64), _labels((2, 3, 2), 5))),
    ("ce_weight", lambda x, t, r: xt.cross_entropy(x, t, weight=torch.linspace(0.5, 2, 5), reduction=r),
     lambda: (_logits((6, 5)), _labels((6,), 5))),
    ("ce_probs", lambda x, t, r: xt.cross_entropy(x, t, reduction=r), lambda: (_logits((6, 5)), _probs((6, 5)))),
    ("bce_logits", lambda x, t, r: xt.binary_cross_entropy_with_logits(x, t, reduction=r),
     lambda: (_logits((6, 5)), _bits((6, 5)))),
    ("bce_logits_pos_weight", lambda x, t, r: xt.binary_cross_entropy_with_logits(
        x, t, weight=torch.linspace(0.5, 2, 5), pos_weight=torch.linspace(2, 1, 5), reduction=r),
     lambda: (_logits((6, 5), torch.float64), _bits((6, 5), torch.float64))),
    ("focal", lambda x, t, r: xt.sigmoid_focal_loss(x, t, reduction=r), lambda: (_logits((6, 5)), _bits((6, 5)))),
    ("ce_bf16", lambda x, t, r: xt.cross_entropy(x, t, reduction=r), lambda: (_logits((4, 7), torch.bfloat16),
                                                                              _labels((4,), 7))),
]


def _loss_and_grad(fn, x, t, reduction):
    x = x.detach().clone().requires_grad_(True)
    loss = fn(x, t, reduction)
    up = torch.from_numpy(_rng(9).uniform(-2, 2, tuple(loss.shape))).to(loss.dtype)
    (g,) = torch.autograd.grad(loss, x, grad_outputs=up)
    return loss.detach(), g


def _same_as_function_path(monkeypatch, ops, name, fn, make, reduction):
    x, t = make()
    monkeypatch.setattr(xt, "_ops", None)
    want = _loss_and_grad(fn, x, t, reduction)
    monkeypatch.setattr(xt, "_ops", ops)
    got = _loss_and_grad(fn, x, t, reduction)
    for a, b in zip(got, want):
        assert a.dtype == b.dtype and a.shape == b.shape, name
        assert torch.equal(a, b), name  # the same C calls: bitwise equal


@needs_custom_op
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("name, fn, make", CASES, ids=[c[0] for c in CASES])
def test_ops_equal_function_path(monkeypatch, name, fn, make, reduction):
    from xent import _torch_ops
    _same_as_function_path(monkeypatch, _torch_ops, name, fn, make, reduction)


@needs_custom_op
def test_public_functions_use_the_ops():
    assert xt._ops is not None


def _opcheck_samples():
    """(op name, args) for every xent:: op: forward ops with a requires_grad input, backward ops
    with the forward's saved tensors."""
    samples = []
    for reduction in REDUCTIONS:
        for x, t in ((_logits((6, 5)), _labels((6,), 5)), (_logits((2, 5, 3), torch.float64), _labels((2, 3), 5))):
            x = x.requires_grad_(True)
            args = (None, reduction, -100, 0.1)
            samples.append(("sparse_ce_fwd", (x, t) + args))
            loss, lse = torch.ops.xent.sparse_ce_fwd(x.detach(), t, *args)
            samples.append(("sparse_ce_bwd", (torch.ones_like(loss), x.detach(), t, lse) + args))
        x, p = _logits((6, 5)).requires_grad_(True), _probs((6, 5))
        w = torch.linspace(0.5, 2, 5)
        samples.append(("soft_ce_fwd", (x, p, w, reduction, 0.0)))
        loss, lse = torch.ops.xent.soft_ce_fwd(x.detach(), p, w, reduction, 0.0)
        samples.append(("soft_ce_bwd", (torch.ones_like(loss), x.detach(), p, lse, w, reduction, 0.0)))
        b = _bits((6, 5))
        for extra in ((None, None, reduction, 0.0, -1.0), (w, w.flip(0), reduction, 2.0, 0.25)):
            samples.append(("sigmoid_ce_fwd", (x, b) + extra))
            loss = torch.ops.xent.sigmoid_ce_fwd(x.detach(), b, *extra)
            samples.append(("sigmoid_ce_bwd", (torch.ones_like(loss), x.detach(), b) + extra))
    return samples


@needs_custom_op
def test_opcheck():
    from xent import _torch_ops  # noqa: F401  (registers the ops)
    for name, args in _opcheck_samples():
        torch.library.opcheck(getattr(torch.ops.xent, name).default, args)


# --- torch < 2.4: the module's glue under a stand-in for torch.library.custom_op ---------------

class _StandInOp:
    """custom_op's surface that _torch_ops uses: register_fake, register_autograd, __call__."""
    calls = 0

    def __init__(self, fn):
        self.fn, self.fake, self.backward, self.setup = fn, None, None, None

    def register_fake(self, fake):
        self.fake = fake
        return fake

    def register_autograd(self, backward, *, setup_context=None):
        self.backward, self.setup = backward, setup_context

    def __call__(self, *args):
        _StandInOp.calls += 1
        if self.backward is None:
            with torch.no_grad():
                return self.fn(*args)
        op = self

        class Op(torch.autograd.Function):
            @staticmethod
            def forward(ctx, *args):
                out = op.fn(*args)
                op.setup(ctx, args, out)
                return out

            @staticmethod
            def backward(ctx, *grads):
                grads = op.backward(ctx, *grads)
                assert len(grads) == len(args)
                return grads

        return Op.apply(*args)


@pytest.fixture
def stand_in_ops(monkeypatch):
    def custom_op(name, *, mutates_args):
        assert name.startswith("xent::") and tuple(mutates_args) == ()
        return _StandInOp

    monkeypatch.setattr(torch.library, "custom_op", custom_op, raising=False)
    monkeypatch.delitem(sys.modules, "xent._torch_ops", raising=False)
    module = importlib.import_module("xent._torch_ops")
    yield module
    sys.modules.pop("xent._torch_ops", None)


@pytest.mark.skipif(HAS_CUSTOM_OP, reason="the real custom ops are tested above")
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("name, fn, make", CASES, ids=[c[0] for c in CASES])
def test_stand_in_equal_function_path(monkeypatch, stand_in_ops, name, fn, make, reduction):
    before = _StandInOp.calls
    _same_as_function_path(monkeypatch, stand_in_ops, name, fn, make, reduction)
    assert _StandInOp.calls >= before + 2  # the forward op and the backward op ran


@pytest.mark.skipif(HAS_CUSTOM_OP, reason="opcheck's test_faketensor covers this")
def test_stand_in_fake_kernels(stand_in_ops):
    """Each fake kernel, on meta tensors, gives the real kernel's shapes and dtypes."""
    def meta(a):
        return a.detach().to("meta") if isinstance(a, torch.Tensor) else a

    for name, args in _stand_in_samples(stand_in_ops):
        op = getattr(stand_in_ops, name)
        real = op.fn(*[a.detach() if isinstance(a, torch.Tensor) else a for a in args])
        fake = op.fake(*[meta(a) for a in args])
        real, fake = (real, fake) if isinstance(real, tuple) else ((real,), (fake,))
        assert len(real) == len(fake), name
        for r, f in zip(real, fake):
            assert f.device.type == "meta" and r.shape == f.shape and r.dtype == f.dtype, name


def _stand_in_samples(ops):
    samples = []
    for reduction in REDUCTIONS:
        for x, t in ((_logits((6, 5)), _labels((6,), 5)), (_logits((2, 5, 3), torch.bfloat16), _labels((2, 3), 5)),
                     (_logits((2, 5, 3), torch.float64), _labels((2, 3), 5))):
            args = (None, reduction, -100, 0.0)
            loss, lse = ops.sparse_ce_fwd.fn(x, t, *args)
            samples += [("sparse_ce_fwd", (x, t) + args),
                        ("sparse_ce_bwd", (torch.ones_like(loss), x, t, lse) + args)]
        x, p = _logits((6, 5), torch.float64), _probs((6, 5), torch.float64)
        loss, lse = ops.soft_ce_fwd.fn(x, p, None, reduction, 0.0)
        samples += [("soft_ce_fwd", (x, p, None, reduction, 0.0)),
                    ("soft_ce_bwd", (torch.ones_like(loss), x, p, lse, None, reduction, 0.0))]
        b = _bits((6, 5), torch.float64)
        extra = (None, None, reduction, 2.0, 0.25)
        loss = ops.sigmoid_ce_fwd.fn(x, b, *extra)
        samples += [("sigmoid_ce_fwd", (x, b) + extra), ("sigmoid_ce_bwd", (torch.ones_like(loss), x, b) + extra)]
    return samples
