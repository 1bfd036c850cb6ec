"""xent against tf.nn.sigmoid_cross_entropy_with_logits, softmax_cross_entropy_with_logits and
sparse_softmax_cross_entropy_with_logits, forward and GradientTape gradient, in float32 and
float64: random inputs, the seed articles' examples (computed here, not copied), edge rows.
Where xent differs from TF (docs/SEMANTICS.md, "TensorFlow and Keras: where xent differs")
the test asserts both sides, so it fails if either changes."""
import numpy as np
import pytest
import tensorflow as tf

import xent
from _oracle import FLOATS, assert_grad, assert_loss, differs, tape

inf, nan = np.inf, np.nan


def tf_sigmoid(t):
    return lambda x: tf.nn.sigmoid_cross_entropy_with_logits(labels=tf.constant(t), logits=x)


def tf_softmax(t, axis=-1):
    return lambda x: tf.nn.softmax_cross_entropy_with_logits(labels=tf.constant(t), logits=x, axis=axis)


def tf_sparse(labels):
    return lambda x: tf.nn.sparse_softmax_cross_entropy_with_logits(labels=tf.constant(labels), logits=x)


def check_all_reductions(xent_fn, tf_fn, x, t, rng, **opts):
    """Per-element / per-sample loss and gradient (grad of the sum), SUM and MEAN with their
    gradients, and the backward with a random upstream gradient, against TF."""
    ref, ref_grad = tape(tf_fn, x)
    loss, grad = xent_fn(x, t, grad=True, **opts)
    assert loss.dtype == x.dtype and grad.dtype == x.dtype
    assert_loss(loss, ref, x)
    assert_grad(grad, ref_grad)
    for reduction, reduce in (("sum", tf.reduce_sum), ("mean", tf.reduce_mean)):
        ref_r, ref_rg = tape(lambda v: reduce(tf_fn(v)), x)
        got, got_grad = xent_fn(x, t, reduction=reduction, grad=True, **opts)
        assert got.shape == ()
        assert_loss(got, ref_r, x)
        assert_grad(got_grad, ref_rg)
    dloss = rng.standard_normal(ref.shape).astype(x.dtype)
    _, ref_up = tape(tf_fn, x, upstream=dloss)
    backward = getattr(xent, xent_fn.__name__ + "_backward")
    assert_grad(backward(x, t, dloss, **opts), ref_up)
    return loss, grad


# ---------------------------------------------------------------- random inputs

@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("shape", [(6, 5), (3, 4, 7), (1, 1)])
def test_sigmoid_random(dtype, shape, rng):
    x = (rng.standard_normal(shape) * 4).astype(dtype)
    t = rng.uniform(0, 1, shape).astype(dtype)
    t.flat[::3] = rng.integers(0, 2, t.flat[::3].shape)  # hard labels among the soft ones
    check_all_reductions(xent.sigmoid_ce_with_logits, tf_sigmoid(t), x, t, rng)


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("classes", [1, 5, 37])
def test_softmax_random(dtype, classes, rng):
    x = (rng.standard_normal((7, classes)) * 3).astype(dtype)
    t = rng.dirichlet(np.ones(classes), 7).astype(dtype)
    check_all_reductions(xent.softmax_ce_with_logits, tf_softmax(t), x, t, rng)
    # the backward from the forward's saved lse (no max / sum pass) meets the same oracle
    _, lse = xent.softmax_ce_with_logits(x, t, return_lse=True)
    dloss = rng.standard_normal(7).astype(dtype)
    _, ref_up = tape(tf_softmax(t), x, upstream=dloss)
    assert_grad(xent.softmax_ce_with_logits_backward(x, t, dloss, lse=lse), ref_up)


@pytest.mark.parametrize("dtype", FLOATS)
def test_softmax_class_axis_in_the_middle(dtype, rng):
    """TF's axis=1 on (B, C, K) is xent's (B, C, K) layout (opts.inner = K)."""
    x = (rng.standard_normal((4, 6, 3)) * 3).astype(dtype)
    t = np.moveaxis(rng.dirichlet(np.ones(6), (4, 3)), -1, 1).astype(dtype)
    loss, _ = check_all_reductions(xent.softmax_ce_with_logits, tf_softmax(t, axis=1), x, t, rng)
    assert loss.shape == (4, 3)


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("label_dtype", [np.int32, np.int64])
@pytest.mark.parametrize("classes", [1, 4, 100])
def test_sparse_random(dtype, label_dtype, classes, rng):
    x = (rng.standard_normal((9, classes)) * 3).astype(dtype)
    labels = rng.integers(0, classes, 9).astype(label_dtype)
    check_all_reductions(xent.sparse_softmax_ce_with_logits, tf_sparse(labels), x, labels, rng)
    _, lse = xent.sparse_softmax_ce_with_logits(x, labels, return_lse=True)
    dloss = rng.standard_normal(9).astype(dtype)
    _, ref_up = tape(tf_sparse(labels), x, upstream=dloss)
    assert_grad(xent.sparse_softmax_ce_with_logits_backward(x, labels, dloss, lse=lse), ref_up)


@pytest.mark.parametrize("dtype", FLOATS)
def test_sparse_class_axis_in_the_middle(dtype, rng):
    """TF's sparse op takes the class axis last: its (B, K, C) transpose is xent's (B, C, K)."""
    x = (rng.standard_normal((3, 5, 4)) * 3).astype(dtype)
    labels = rng.integers(0, 5, (3, 4))
    xt = np.ascontiguousarray(np.moveaxis(x, 1, -1))
    ref, ref_grad = tape(tf_sparse(labels), xt)
    loss, grad = xent.sparse_softmax_ce_with_logits(x, labels, grad=True)
    assert_loss(loss, ref, x)
    assert_grad(grad, np.moveaxis(ref_grad, -1, 1))


@pytest.mark.parametrize("dtype", FLOATS)
def test_pos_weight_is_weighted_cross_entropy_with_logits(dtype, rng):
    x = (rng.standard_normal((5, 4)) * 3).astype(dtype)
    t = rng.uniform(0, 1, (5, 4)).astype(dtype)
    pw = rng.uniform(0.2, 5, 4).astype(dtype)
    fn = lambda v: tf.nn.weighted_cross_entropy_with_logits(labels=t, logits=v, pos_weight=pw)  # noqa: E731
    ref, ref_grad = tape(fn, x)
    loss, grad = xent.sigmoid_ce_with_logits(x, t, pos_weight=pw, grad=True)
    assert_loss(loss, ref, x)
    assert_grad(grad, ref_grad)


# ---------------------------------------------------------------- the seed articles

@pytest.mark.parametrize("dtype", FLOATS)
def test_seed_sigmoid_labels_one_zero_minus_one(dtype, rng):
    """Seed 000: preds [5, 5, 5], labels [1, 0, -1] (a label outside [0, 1] follows the formula)."""
    x = np.array([[5, 5, 5]], dtype)
    t = np.array([[1, 0, -1]], dtype)
    check_all_reductions(xent.sigmoid_ce_with_logits, tf_sigmoid(t), x, t, rng)
    ref = tf.nn.sigmoid_cross_entropy_with_logits(labels=t[0], logits=x[0]).numpy()  # the article's 1-D call
    assert_loss(xent.sigmoid_ce_with_logits(x, t)[0], ref, x)


@pytest.mark.parametrize("dtype", FLOATS)
def test_seed_softmax_two_class_rows(dtype):
    """Seed 000: x = [[-1, 1]] with y = [[1, -1]] and y = [[1, 0]]: the forward is TF's."""
    x = np.array([[-1, 1], [-1, 1]], dtype)
    t = np.array([[1, -1], [1, 0]], dtype)
    ref, ref_grad = tape(tf_softmax(t), x)
    loss, grad = xent.softmax_ce_with_logits(x, t, grad=True)
    assert_loss(loss, ref, x)
    assert_grad(grad[1], ref_grad[1])  # labels summing to 1: TF's gradient too (row 0: see below)


@pytest.mark.parametrize("dtype", FLOATS)
def test_seed_four_samples_dense_and_sparse(dtype, rng):
    """Seed 000: preds [[10, -10]] x 4, labels [[1,0], [1,-1], [0,1], [-1,1]]; then the
    article's sparse call with the labels' argmax (per row: [0, 0, 1, 1])."""
    x = np.tile(np.array([10, -10], dtype), (4, 1))
    t = np.array([[1, 0], [1, -1], [0, 1], [-1, 1]], dtype)
    ref, ref_grad = tape(tf_softmax(t), x)
    loss, grad = xent.softmax_ce_with_logits(x, t, grad=True)
    assert_loss(loss, ref, x)
    normalized = t.sum(1) == 1
    assert_grad(grad[normalized], ref_grad[normalized])
    labels = np.argmax(t, axis=1)
    check_all_reductions(xent.sparse_softmax_ce_with_logits, tf_sparse(labels), x, labels, rng)


@pytest.mark.parametrize("dtype", FLOATS)
def test_seed_unnormalized_labels_gradient_differs(dtype):
    """DIFFERENCE: for soft labels that do not sum to 1 (the seed's [1, -1] and [-1, 1] rows),
    TF's fused op returns softmax - t as its gradient, which is not the derivative of its own
    loss; xent returns the derivative, (sum t) * softmax - t, which is TF's GradientTape
    gradient of the same loss written as -sum t * log_softmax(x)."""
    x = np.array([[-1, 1], [10, -10], [10, -10], [0.5, 2]], dtype)
    t = np.array([[1, -1], [1, -1], [-1, 1], [0.3, 0.2]], dtype)
    ref, fused_grad = tape(tf_softmax(t), x)
    explicit, explicit_grad = tape(lambda v: -tf.reduce_sum(t * tf.nn.log_softmax(v), axis=-1), x)
    loss, grad = xent.softmax_ce_with_logits(x, t, grad=True)
    assert_loss(loss, ref, x)
    assert_loss(loss, explicit, x)
    assert_grad(grad, explicit_grad)
    softmax = tf.nn.softmax(x).numpy()
    assert_grad(fused_grad, softmax - t)  # TF's fused gradient ...
    assert_grad(grad - fused_grad, (t.sum(1, keepdims=True) - 1) * softmax)  # ... off by (sum t - 1) * softmax
    assert differs(grad, fused_grad, x).any(axis=1).all()


@pytest.mark.parametrize("dtype", FLOATS)
def test_seed_three_rows_reduce_sum(dtype, rng):
    """Seed 002: logits [[1, 2, 3]] x 3, one-hot class 2; reduce_sum of the per-sample loss is
    the article's manual -reduce_sum(y_ * log(softmax(logits))) and xent's SUM."""
    x = np.tile(np.array([1, 2, 3], dtype), (3, 1))
    t = np.tile(np.array([0, 0, 1], dtype), (3, 1))
    manual, manual_grad = tape(lambda v: -tf.reduce_sum(t * tf.math.log(tf.nn.softmax(v))), x)
    fused, fused_grad = tape(lambda v: tf.reduce_sum(tf.nn.softmax_cross_entropy_with_logits(labels=t, logits=v)), x)
    total, grad = xent.softmax_ce_with_logits(x, t, reduction="sum", grad=True)
    for ref, ref_grad in ((manual, manual_grad), (fused, fused_grad)):
        assert_loss(total, ref, x)
        assert_grad(grad, ref_grad)
    assert_grad(xent.softmax(x), tf.nn.softmax(x).numpy())  # the article's step 1
    check_all_reductions(xent.softmax_ce_with_logits, tf_softmax(t), x, t, rng)


# ---------------------------------------------------------------- edge rows

@pytest.mark.parametrize("dtype", FLOATS)
def test_sigmoid_edges_that_agree(dtype):
    x = np.array([[-inf, 1e30, -1e30, 1e30, -1e30, 1e30, nan, nan, 0, 0, 88, -88, 1e-30]], dtype)
    t = np.array([[1, 1, 0, 0, 1, 0.5, 0, 1, 0.5, 1, 0, 1, 0.25]], dtype)
    ref, ref_grad = tape(tf_sigmoid(t), x)
    loss, grad = xent.sigmoid_ce_with_logits(x, t, grad=True)
    assert_loss(loss, ref, x)
    assert_grad(grad, ref_grad)
    assert np.isposinf(loss[0, 0]) and np.isnan(loss[0, 6]) and np.isnan(grad[0, 6])


@pytest.mark.parametrize("dtype", FLOATS)
def test_sigmoid_infinite_logits_differ(dtype):
    """DIFFERENCE: TF computes max(x,0) - x*t + log1p(exp(-|x|)) as written, so x = +inf gives
    inf - inf or inf*0 = NaN, and x = -inf with t = 0 gives -inf*0 = NaN. xent drops a term whose
    coefficient is 0 (SEMANTICS, Special values): x = +inf, t = 1 costs 0; x = +inf, t = 0
    costs +inf; x = -inf, t = 0 costs 0. The gradients agree (sigmoid(x) - t)."""
    x = np.array([[inf, inf, -inf]], dtype)
    t = np.array([[1, 0, 0]], dtype)
    ref, ref_grad = tape(tf_sigmoid(t), x)
    loss, grad = xent.sigmoid_ce_with_logits(x, t, grad=True)
    assert np.isnan(ref).all()
    np.testing.assert_array_equal(loss, np.array([[0, inf, 0]], dtype))
    np.testing.assert_array_equal(grad, ref_grad)
    np.testing.assert_array_equal(grad, np.array([[0, 1, 0]], dtype))


@pytest.mark.parametrize("dtype", FLOATS)
def test_softmax_edges_that_agree(dtype):
    x = np.array([[1e30, -1e30, 0], [1e30, -1e30, 0], [-inf, 0, 0], [-inf, -inf, -inf], [nan, 0, 0],
                  [0, 0, nan], [-1e30, -1e30, 1e30], [3, 3, 3]], dtype)
    t = np.array([[1, 0, 0], [0, 0, 1], [1, 0, 0], [1, 0, 0], [0, 1, 0], [1, 0, 0], [0.5, 0.5, 0], [0, 0, 1]], dtype)
    ref, ref_grad = tape(tf_softmax(t), x)
    loss, grad = xent.softmax_ce_with_logits(x, t, grad=True)
    assert_loss(loss, ref, x)
    assert_grad(grad, ref_grad)
    assert np.isposinf(loss[2]) and np.isnan(loss[3:6]).all() and np.isnan(grad[3:6]).all()


@pytest.mark.parametrize("dtype", FLOATS)
def test_sparse_edges_that_agree(dtype):
    x = np.array([[1e30, -1e30, 0], [1e30, -1e30, 0], [-inf, 0, 0], [-inf, 0, 0], [-inf, -inf, -inf],
                  [nan, 0, 0], [0, 0, nan], [-1e30, -1e30, 1e30]], dtype)
    labels = np.array([0, 2, 1, 0, 0, 1, 0, 2])
    ref, ref_grad = tape(tf_sparse(labels), x)
    loss, grad = xent.sparse_softmax_ce_with_logits(x, labels, grad=True)
    assert_loss(loss, ref, x)
    assert_grad(grad, ref_grad)
    assert np.isposinf(loss[3]) and np.isnan(loss[4:7]).all() and np.isnan(grad[4:7]).all()


@pytest.mark.parametrize("dtype", FLOATS)
def test_softmax_masked_class_with_zero_target_differs(dtype):
    """DIFFERENCE: a -inf logit (masked class) whose target is 0: TF's loss is 0 * inf = NaN,
    xent's is the loss over the other classes, which is TF's on the row without that class;
    the gradients agree (0 at the masked class)."""
    x = np.array([[-inf, 0.5, -1, 2], [1, -inf, -inf, 0]], dtype)
    t = np.array([[0, 0.25, 0.25, 0.5], [0.5, 0, 0, 0.5]], dtype)
    ref, ref_grad = tape(tf_softmax(t), x)
    loss, grad = xent.softmax_ce_with_logits(x, t, grad=True)
    assert np.isnan(ref).all()
    assert_grad(grad, ref_grad)
    for row, keep in ((0, [1, 2, 3]), (1, [0, 3])):
        sub, sub_grad = tape(tf_softmax(t[row:row + 1, keep]), x[row:row + 1, keep])
        assert_loss(loss[row:row + 1], sub, x[row, keep])
        assert_grad(grad[row:row + 1, keep], sub_grad)


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("sparse", [False, True], ids=["dense", "sparse"])
def test_positive_infinite_logit_differs(dtype, sparse):
    """DIFFERENCE: a +inf logit makes TF's max-shifted row inf - inf = NaN: NaN loss and an
    all-NaN gradient row. xent (SEMANTICS, Special values): lse = +inf, so the loss is +inf
    unless the target covers the +inf logit (inf - inf: NaN), and the gradient is NaN at the
    +inf entries and softmax - t = -t elsewhere."""
    x = np.array([[inf, 0, 0], [inf, 0, 0], [inf, inf, 0], [0, 2, inf]], dtype)
    labels = np.array([0, 1, 2, 2])
    t = np.eye(3, dtype=dtype)[labels]
    if sparse:
        ref, ref_grad = tape(tf_sparse(labels), x)
        loss, grad = xent.sparse_softmax_ce_with_logits(x, labels, grad=True)
    else:
        ref, ref_grad = tape(tf_softmax(t), x)
        loss, grad = xent.softmax_ce_with_logits(x, t, grad=True)
    assert np.isnan(ref).all() and np.isnan(ref_grad).all()
    np.testing.assert_array_equal(loss, np.array([nan, inf, inf, nan], dtype))
    expected = np.where(np.isposinf(x), nan, -t)
    np.testing.assert_array_equal(grad, expected)


def test_labels_out_of_range_both_raise():
    """TF's CPU kernel and xent both refuse a label outside [0, C) (xent names it)."""
    x = np.zeros((3, 4), np.float32)
    for bad in (4, -1):
        labels = np.array([0, bad, 1])
        with pytest.raises(tf.errors.InvalidArgumentError):
            tf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=x)
        with pytest.raises(xent.XentError) as info:
            xent.sparse_softmax_ce_with_logits(x, labels)
        assert info.value.status == xent.Status.LABEL_OUT_OF_RANGE and f"labels[1] = {bad}" in info.value.message
