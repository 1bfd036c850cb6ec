"""The seed articles' examples, references computed in NumPy float64 from the formulas;
errors; library-wide getters."""
import numpy as np
import pytest

import xent
from _check import assert_grad_close, assert_loss_close

FLOATS = (np.float32, np.float64)


def log_softmax64(x):
    x = np.asarray(x, np.float64)
    return x - np.logaddexp.reduce(x, axis=-1, keepdims=True)


@pytest.mark.parametrize("dtype", FLOATS)
def test_sigmoid_ce_soft_labels_outside_unit_interval(dtype):
    x = np.full((1, 3), 5, dtype)
    t = np.array([[1, 0, -1]], dtype)
    x64, t64 = x.astype(np.float64), t.astype(np.float64)
    ref = np.maximum(x64, 0) - x64 * t64 + np.log1p(np.exp(-np.abs(x64)))
    loss, grad = xent.sigmoid_ce_with_logits(x, t, grad=True)
    assert loss.dtype == dtype and loss.shape == (1, 3)
    assert_loss_close(loss, ref, x)
    assert_grad_close(grad, 1 / (1 + np.exp(-x64)) - t64)


@pytest.mark.parametrize("dtype", FLOATS)
def test_softmax_ce_with_soft_labels(dtype):
    x = np.array([[-1, 1], [-1, 1]], dtype)
    t = np.array([[1, -1], [1, 0]], dtype)
    ref = -(t.astype(np.float64) * log_softmax64(x)).sum(axis=1)
    assert_loss_close(xent.softmax_ce_with_logits(x, t), ref, x)


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("label_type", (np.int32, np.int64))
def test_sparse_softmax_ce_three_rows(dtype, label_type):
    x = np.tile(np.array([1, 2, 3], dtype), (3, 1))
    labels = np.full(3, 2, label_type)
    per_row = -log_softmax64(x)[:, 2]
    onehot = np.eye(3)[labels]
    softmax = np.exp(log_softmax64(x))

    loss, grad = xent.sparse_softmax_ce_with_logits(x, labels, grad=True)
    assert loss.shape == (3,) and loss.dtype == dtype and grad.dtype == dtype
    assert_loss_close(loss, per_row, x)
    assert_grad_close(grad, softmax - onehot)

    total, grad = xent.sparse_softmax_ce_with_logits(x, labels, reduction="sum", grad=True)
    assert total.shape == ()
    assert_loss_close(total, per_row.sum(), x)
    assert_grad_close(grad, softmax - onehot)

    mean, grad = xent.sparse_softmax_ce_with_logits(x, labels, reduction="mean", grad=True)
    assert_loss_close(mean, per_row.mean(), x)
    assert_grad_close(grad, (softmax - onehot) / 3)


def test_label_out_of_range_raises_with_status_and_message():
    x = np.zeros((3, 3))
    with pytest.raises(xent.XentError) as info:
        xent.sparse_softmax_ce_with_logits(x, np.array([2, 7, 0]))
    err = info.value
    assert isinstance(err, ValueError)
    assert err.status == xent.Status.LABEL_OUT_OF_RANGE
    assert "xent_sparse_softmax_ce_with_logits" in err.message
    assert "labels[1] = 7" in err.message and "[0, 3)" in err.message
    assert err.message in str(err)


@pytest.mark.parametrize("call, status", [
    (lambda: xent.softmax_ce_with_logits(np.zeros((2, 3)), np.zeros((2, 3)), label_smoothing=1.5),
     xent.Status.INVALID_ARGUMENT),
    (lambda: xent.softmax_ce_with_logits(np.zeros((2, 3)), np.zeros((2, 3)), pos_weight=np.ones(3)),
     xent.Status.INVALID_ARGUMENT),
    (lambda: xent.binary_ce(np.zeros((2, 3)), np.zeros((2, 3)), epsilon=0.5), xent.Status.INVALID_ARGUMENT),
    (lambda: xent.sparse_categorical_ce(np.ones((2, 3)), np.zeros(2, np.int32), reduction=7),
     xent.Status.INVALID_ARGUMENT),
    (lambda: xent.sparse_categorical_ce(np.ones((2, 0)), np.zeros(2, np.int64)), xent.Status.INVALID_SHAPE),
    (lambda: xent.logsumexp(np.zeros((2, 0))), xent.Status.INVALID_SHAPE),
    (lambda: xent.lse_merge(np.zeros((0, 2)), np.zeros((0, 2))), xent.Status.INVALID_SHAPE),
])
def test_library_errors(call, status):
    with pytest.raises(xent.XentError) as info:
        call()
    assert info.value.status == status and info.value.message.startswith("xent_")


@pytest.mark.parametrize("call", [
    lambda: xent.sparse_softmax_ce_with_logits(np.zeros((2, 3)), np.zeros(3, np.int64)),
    lambda: xent.sigmoid_ce_with_logits(np.zeros((2, 3)), np.zeros((3, 2))),
    lambda: xent.softmax_ce_with_logits(np.zeros((2, 3)), np.zeros((2, 3)), class_weights=np.ones(2)),
    lambda: xent.softmax_ce_with_logits(np.zeros(3), np.zeros(3)),
    lambda: xent.sparse_softmax_ce_with_logits(np.zeros((2, 3)), np.zeros(2, np.int64), reduction="avg"),
    lambda: xent.sparse_softmax_ce_with_logits(np.zeros((2, 3)), np.zeros(2)),
])
def test_binding_checks_raise_before_calling(call):
    with pytest.raises((xent.XentError, TypeError)):
        call()


def test_unknown_keyword_is_a_type_error():
    with pytest.raises(TypeError, match="smoothing"):
        xent.sparse_softmax_ce_with_logits(np.zeros((1, 2)), np.zeros(1, np.int64), smoothing=0.1)


def test_version_isa_threads():
    assert len(xent.version().split(".")) == 3
    assert xent.simd_isa() in ("avx512", "avx2", "sse2", "neon", "scalar")
    default = xent.get_num_threads()
    assert default >= 1
    xent.set_num_threads(1)
    assert xent.get_num_threads() == 1
    xent.set_num_threads(0)
    assert xent.get_num_threads() == default


def test_batch_zero():
    x, labels = np.zeros((0, 4), np.float32), np.zeros(0, np.int64)
    assert xent.sparse_softmax_ce_with_logits(x, labels).shape == (0,)
    assert xent.sparse_softmax_ce_with_logits(x, labels, reduction="sum") == 0
    assert np.isnan(xent.sparse_softmax_ce_with_logits(x, labels, reduction="mean"))


def test_results_do_not_depend_on_thread_count():
    rng = np.random.default_rng(7)
    x = rng.normal(size=(513, 37)).astype(np.float32)
    labels = rng.integers(0, 37, 513)
    one = xent.sparse_softmax_ce_with_logits(x, labels, reduction="mean", num_threads=1, grad=True)
    two = xent.sparse_softmax_ce_with_logits(x, labels, reduction="mean", num_threads=2, grad=True)
    assert one[0].tobytes() == two[0].tobytes() and one[1].tobytes() == two[1].tobytes()
