"""xent against keras.losses BinaryCrossentropy, CategoricalCrossentropy and
SparseCategoricalCrossentropy (TensorFlow backend): from_logits both ways, label_smoothing,
axis, every reduction, sample weights, ignore_class, epsilon; forward and the GradientTape
gradient of the reduced loss, float32 and float64 (the loss's dtype). Where xent differs
(docs/SEMANTICS.md, "TensorFlow and Keras: where xent differs") the test asserts both sides."""
import math

import keras
import numpy as np
import pytest
import tensorflow as tf

import xent
from _oracle import FLOATS, assert_grad, assert_loss, differs, tape

inf, nan = np.inf, np.nan
REDUCTIONS = ["none", "sum", "sum_over_batch_size", "mean"]
# Keras's "sum_over_batch_size" (the default) and "mean" divide by the number of per-sample
# losses, xent's MEAN by the number of loss elements: the same for these variants.
XENT_REDUCTION = {"none": "none", "sum": "sum", "sum_over_batch_size": "mean", "mean": "mean"}


def keras_tape(loss_obj, y_true, y_pred, sample_weight=None):
    """Keras's reduced loss and the GradientTape gradient (of its sum) with respect to y_pred."""
    return tape(lambda v: loss_obj(y_true, v, sample_weight=sample_weight), y_pred)


def dtype_name(dtype):
    return np.dtype(dtype).name


def probabilities(rng, shape, dtype, axis=-1, scale=False):
    """Softmax rows away from the clip bounds; scale=True multiplies each row by a random
    factor (Keras's and xent's categorical CE normalize p / sum(p) first)."""
    z = rng.standard_normal(shape)
    p = np.exp(z) / np.exp(z).sum(axis=axis, keepdims=True)
    if scale:
        p *= rng.uniform(0.5, 3, p.sum(axis=axis, keepdims=True).shape)
    return p.astype(dtype)


# ---------------------------------------------------------------- BinaryCrossentropy

@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("from_logits", [False, True], ids=["probs", "logits"])
@pytest.mark.parametrize("smoothing", [0.0, 0.2])
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_binary_crossentropy(dtype, from_logits, smoothing, reduction, rng):
    """Keras's per-sample loss is the mean over the last axis of xent's element-wise loss;
    label smoothing t(1-s) + s/2 is xent's. Under reduction "sum" Keras sums those means, so
    it is xent's SUM / C (DIFFERENCE, asserted)."""
    B, C = 6, 5
    y_pred = (rng.standard_normal((B, C)) * 3 if from_logits else rng.uniform(0.01, 0.99, (B, C))).astype(dtype)
    y_true = rng.uniform(0, 1, (B, C)).astype(dtype)
    y_true[::2] = rng.integers(0, 2, y_true[::2].shape)
    obj = keras.losses.BinaryCrossentropy(from_logits=from_logits, label_smoothing=smoothing,
                                          reduction=reduction, dtype=dtype_name(dtype))
    ref, ref_grad = keras_tape(obj, y_true, y_pred)
    fn = xent.sigmoid_ce_with_logits if from_logits else xent.binary_ce
    opts = dict(label_smoothing=smoothing)
    if reduction == "none":
        loss = fn(y_pred, y_true, **opts)
        assert_loss(loss.mean(axis=-1), ref, y_pred)
        grad = getattr(xent, fn.__name__ + "_backward")(y_pred, y_true, np.full((B, C), 1 / C, dtype), **opts)
    elif reduction == "sum":
        total, grad = fn(y_pred, y_true, reduction="sum", grad=True, **opts)
        assert_loss(total / C, ref, y_pred)
        assert differs(total, ref, y_pred)
        grad = grad / C
    else:
        loss, grad = fn(y_pred, y_true, reduction=XENT_REDUCTION[reduction], grad=True, **opts)
        assert_loss(loss, ref, y_pred)
    assert_grad(grad, ref_grad)


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("from_logits", [False, True], ids=["probs", "logits"])
def test_binary_crossentropy_axis_and_sample_weight(dtype, from_logits, rng):
    """axis=1 on (B, C, K) averages over C; sample_weight (B, K) weighs each position: xent's
    sample_weights (B*K), MEAN over B*C*K = Keras's sum_over_batch_size over B*K."""
    B, C, K = 3, 4, 5
    y_pred = (rng.standard_normal((B, C, K)) * 3 if from_logits else rng.uniform(0.01, 0.99, (B, C, K))).astype(dtype)
    y_true = rng.uniform(0, 1, (B, C, K)).astype(dtype)
    sw = rng.uniform(0, 2, (B, K)).astype(dtype)
    fn = xent.sigmoid_ce_with_logits if from_logits else xent.binary_ce
    per_sample = keras.losses.BinaryCrossentropy(from_logits=from_logits, axis=1, reduction="none", dtype=dtype_name(dtype))
    assert_loss(fn(y_pred, y_true).mean(axis=1), per_sample(y_true, y_pred).numpy(), y_pred)
    obj = keras.losses.BinaryCrossentropy(from_logits=from_logits, axis=1, dtype=dtype_name(dtype))
    ref, ref_grad = keras_tape(obj, y_true, y_pred, sample_weight=sw)
    loss, grad = fn(y_pred, y_true, reduction="mean", sample_weights=sw, grad=True)
    assert_loss(loss, ref, y_pred)
    assert_grad(grad, ref_grad)


# ---------------------------------------------------------------- CategoricalCrossentropy

@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("from_logits", [False, True], ids=["probs", "logits"])
@pytest.mark.parametrize("smoothing", [0.0, 0.1])
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_categorical_crossentropy(dtype, from_logits, smoothing, reduction, rng):
    B, C = 7, 6
    y_pred = (rng.standard_normal((B, C)) * 3 if from_logits else probabilities(rng, (B, C), dtype, scale=True)).astype(dtype)
    y_true = rng.dirichlet(np.ones(C), B).astype(dtype)
    y_true[::2] = np.eye(C)[rng.integers(0, C, y_true[::2].shape[0])]
    obj = keras.losses.CategoricalCrossentropy(from_logits=from_logits, label_smoothing=smoothing,
                                               reduction=reduction, dtype=dtype_name(dtype))
    ref, ref_grad = keras_tape(obj, y_true, y_pred)
    fn = xent.softmax_ce_with_logits if from_logits else xent.categorical_ce
    loss, grad = fn(y_pred, y_true, label_smoothing=smoothing, reduction=XENT_REDUCTION[reduction], grad=True)
    assert_loss(loss, ref, y_pred)
    assert_grad(grad, ref_grad)


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("from_logits", [False, True], ids=["probs", "logits"])
def test_categorical_crossentropy_axis_1(dtype, from_logits, rng):
    """axis=1 on (B, C, K) is xent's (B, C, K) layout (inner = K)."""
    B, C, K = 3, 5, 4
    y_pred = (rng.standard_normal((B, C, K)) * 3 if from_logits else probabilities(rng, (B, C, K), dtype, axis=1))
    y_pred = y_pred.astype(dtype)
    y_true = np.moveaxis(rng.dirichlet(np.ones(C), (B, K)), -1, 1).astype(dtype)
    fn = xent.softmax_ce_with_logits if from_logits else xent.categorical_ce
    for reduction in REDUCTIONS:
        obj = keras.losses.CategoricalCrossentropy(from_logits=from_logits, axis=1, reduction=reduction, dtype=dtype_name(dtype))
        ref, ref_grad = keras_tape(obj, y_true, y_pred)
        loss, grad = fn(y_pred, y_true, reduction=XENT_REDUCTION[reduction], grad=True)
        assert_loss(loss, ref, y_pred)
        assert_grad(grad, ref_grad)


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("from_logits", [False, True], ids=["probs", "logits"])
def test_categorical_smoothing_with_axis_1_differs(dtype, from_logits, rng):
    """DIFFERENCE: Keras's categorical_crossentropy smooths with s / y_true.shape[-1] whatever
    `axis` is, so with axis=1 on (B, C, K) it uses K, not the class count C. xent uses C: it
    equals Keras given the labels already smoothed with s / C, and differs from Keras's own
    smoothing."""
    B, C, K, s = 2, 5, 3, 0.3
    y_pred = (rng.standard_normal((B, C, K)) * 3 if from_logits else probabilities(rng, (B, C, K), dtype, axis=1))
    y_pred = y_pred.astype(dtype)
    y_true = np.moveaxis(np.eye(C)[rng.integers(0, C, (B, K))], -1, 1).astype(dtype)
    fn = xent.softmax_ce_with_logits if from_logits else xent.categorical_ce
    loss, grad = fn(y_pred, y_true, label_smoothing=s, grad=True)
    plain = keras.losses.CategoricalCrossentropy(from_logits=from_logits, axis=1, reduction="none", dtype=dtype_name(dtype))
    smoothed_by_c = (y_true * (1 - s) + s / C).astype(dtype)
    ref, ref_grad = keras_tape(plain, smoothed_by_c, y_pred)
    assert_loss(loss, ref, y_pred)
    assert_grad(grad, ref_grad)
    keras_smoothing = keras.losses.CategoricalCrossentropy(from_logits=from_logits, axis=1, label_smoothing=s,
                                                           reduction="none", dtype=dtype_name(dtype))
    theirs = keras_smoothing(y_true, y_pred).numpy()
    assert_loss(theirs, plain((y_true * (1 - s) + s / K).astype(dtype), y_pred).numpy(), y_pred)  # s / K
    assert differs(loss, theirs, y_pred).all()


# ---------------------------------------------------------------- SparseCategoricalCrossentropy

@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("from_logits", [False, True], ids=["probs", "logits"])
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("ignore", [None, 2])
def test_sparse_categorical_crossentropy(dtype, from_logits, reduction, ignore, rng):
    """ignore_class is xent's ignore_index; Keras's sum_over_batch_size then divides by the
    samples that count, as xent's MEAN does."""
    B, C = 9, 4
    y_pred = (rng.standard_normal((B, C)) * 3 if from_logits else probabilities(rng, (B, C), dtype)).astype(dtype)
    labels = rng.integers(0, C, B)
    labels[:3] = [2, 0, 2]
    obj = keras.losses.SparseCategoricalCrossentropy(from_logits=from_logits, ignore_class=ignore,
                                                     reduction=reduction, dtype=dtype_name(dtype))
    ref, ref_grad = keras_tape(obj, labels, y_pred)
    fn = xent.sparse_softmax_ce_with_logits if from_logits else xent.sparse_categorical_ce
    opts = {} if ignore is None else dict(ignore_index=ignore)
    for label_dtype in (np.int32, np.int64):
        loss, grad = fn(y_pred, labels.astype(label_dtype), reduction=XENT_REDUCTION[reduction], grad=True, **opts)
        assert_loss(loss, ref, y_pred)
        assert_grad(grad, ref_grad)


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("from_logits", [False, True], ids=["probs", "logits"])
def test_sparse_label_smoothing_is_categorical_on_one_hot(dtype, from_logits, rng):
    """Keras's sparse loss has no label_smoothing; xent's sparse one with label_smoothing is
    Keras's CategoricalCrossentropy(label_smoothing) on the one-hot labels."""
    B, C, s = 6, 5, 0.2
    y_pred = (rng.standard_normal((B, C)) * 3 if from_logits else probabilities(rng, (B, C), dtype)).astype(dtype)
    labels = rng.integers(0, C, B)
    obj = keras.losses.CategoricalCrossentropy(from_logits=from_logits, label_smoothing=s, dtype=dtype_name(dtype))
    ref, ref_grad = keras_tape(obj, np.eye(C, dtype=dtype)[labels], y_pred)
    fn = xent.sparse_softmax_ce_with_logits if from_logits else xent.sparse_categorical_ce
    loss, grad = fn(y_pred, labels, label_smoothing=s, reduction="mean", grad=True)
    assert_loss(loss, ref, y_pred)
    assert_grad(grad, ref_grad)


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("from_logits", [False, True], ids=["probs", "logits"])
def test_sample_weight_means(dtype, from_logits, rng):
    """Sparse: xent's MEAN divides by sum(sample_weights) (PyTorch), which is Keras's
    "mean_with_sample_weight"; Keras's default sum_over_batch_size divides by the batch size
    (DIFFERENCE, asserted). Dense: xent's MEAN divides by the batch size, as Keras's default.
    SUM is Keras's "sum" in both."""
    B, C = 8, 3
    y_pred = (rng.standard_normal((B, C)) * 3 if from_logits else probabilities(rng, (B, C), dtype)).astype(dtype)
    labels = rng.integers(0, C, B)
    sw = rng.uniform(0, 3, B).astype(dtype)
    sparse = xent.sparse_softmax_ce_with_logits if from_logits else xent.sparse_categorical_ce
    dense = xent.softmax_ce_with_logits if from_logits else xent.categorical_ce
    name = dtype_name(dtype)

    def ref(cls, reduction, y_true):
        return keras_tape(cls(from_logits=from_logits, reduction=reduction, dtype=name), y_true, y_pred, sample_weight=sw)

    mean, mean_grad = sparse(y_pred, labels, reduction="mean", sample_weights=sw, grad=True)
    k, k_grad = ref(keras.losses.SparseCategoricalCrossentropy, "mean_with_sample_weight", labels)
    assert_loss(mean, k, y_pred)
    assert_grad(mean_grad, k_grad)
    k, k_grad = ref(keras.losses.SparseCategoricalCrossentropy, "sum_over_batch_size", labels)
    assert_loss(mean * sw.sum() / B, k, y_pred)
    assert_grad(mean_grad * sw.sum() / B, k_grad)
    assert differs(mean, k, y_pred)
    total, total_grad = sparse(y_pred, labels, reduction="sum", sample_weights=sw, grad=True)
    k, k_grad = ref(keras.losses.SparseCategoricalCrossentropy, "sum", labels)
    assert_loss(total, k, y_pred)
    assert_grad(total_grad, k_grad)

    onehot = np.eye(C, dtype=dtype)[labels]
    for reduction in ("sum_over_batch_size", "sum"):
        got, got_grad = dense(y_pred, onehot, reduction=XENT_REDUCTION[reduction], sample_weights=sw, grad=True)
        k, k_grad = ref(keras.losses.CategoricalCrossentropy, reduction, onehot)
        assert_loss(got, k, y_pred)
        assert_grad(got_grad, k_grad)


@pytest.mark.parametrize("dtype", FLOATS)
def test_nothing_to_divide_by_differs(dtype):
    """DIFFERENCE: Keras divides with divide_no_nan, so every sample ignored (or all sample
    weights 0) gives 0 under sum_over_batch_size and mean_with_sample_weight; xent's MEAN is
    NaN there (SEMANTICS, Reductions), its SUM 0 as Keras's. An empty batch: Keras returns
    the empty per-sample loss for every reduction, xent a 0-d MEAN NaN and SUM 0."""
    p = np.full((2, 3), 1 / 3, dtype)
    labels = np.array([1, 1])
    name = dtype_name(dtype)
    for reduction in ("sum_over_batch_size", "mean", "sum"):
        obj = keras.losses.SparseCategoricalCrossentropy(ignore_class=1, reduction=reduction, dtype=name)
        assert obj(labels, p).numpy() == 0
        got = xent.sparse_categorical_ce(p, labels, ignore_index=1, reduction=XENT_REDUCTION[reduction])
        assert (got == 0) if reduction == "sum" else np.isnan(got)
    zero_w = np.zeros(2, dtype)
    obj = keras.losses.SparseCategoricalCrossentropy(reduction="mean_with_sample_weight", dtype=name)
    assert obj(labels, p, sample_weight=zero_w).numpy() == 0
    assert np.isnan(xent.sparse_categorical_ce(p, labels, sample_weights=zero_w, reduction="mean"))
    empty = np.zeros((0, 3), dtype)
    for reduction in REDUCTIONS:
        obj = keras.losses.SparseCategoricalCrossentropy(reduction=reduction, dtype=name)
        assert obj(np.zeros(0, np.int64), empty).numpy().shape == (0,)
    assert np.isnan(xent.sparse_categorical_ce(empty, np.zeros(0, np.int64), reduction="mean"))
    assert xent.sparse_categorical_ce(empty, np.zeros(0, np.int64), reduction="sum") == 0


# ---------------------------------------------------------------- epsilon and clipping

def test_default_epsilon_is_keras():
    """xent's default clip (1e-7) is Keras's backend epsilon: the default and an explicit
    epsilon=1e-7 give the same bits, on clipped and unclipped probabilities."""
    assert keras.config.epsilon() == 1e-7
    p = np.array([[0, 1e-9, 0.3, 1], [0.5, 0.5, 1e-12, 0]], np.float64)
    t = np.array([[0, 1, 0.4, 0], [1, 0, 0.5, 0]], np.float64)
    for fn in (xent.binary_ce, xent.categorical_ce):
        for dtype in FLOATS:
            a, ga = fn(p.astype(dtype), t.astype(dtype), grad=True)
            b, gb = fn(p.astype(dtype), t.astype(dtype), epsilon=1e-7, grad=True)
            assert np.array_equal(a, b) and np.array_equal(ga, gb)


@pytest.mark.parametrize("dtype", FLOATS)
def test_epsilon_option_is_keras_backend_epsilon(dtype, rng):
    """keras.config.set_epsilon(e) changes Keras's clip; xent's epsilon=e reproduces it, clipped
    probabilities (gradient 0) included, for binary and categorical CE."""
    e = 1e-3
    p = rng.uniform(0, 1, (6, 5))
    p[:, 0] = rng.uniform(0, e / 2, 6)         # clipped low
    p[:, 1] = 1 - rng.uniform(0, e / 2, 6)     # clipped high (binary)
    p = p.astype(dtype)
    t = rng.uniform(0, 1, (6, 5)).astype(dtype)
    pc = np.array([[1e-4, 0.3, 0.6999], [0.9995, 0.0002, 0.0003], [0.2, 0.3, 0.5]], dtype)  # normalized rows
    tc = np.array([[1, 0, 0], [0.5, 0.5, 0], [0, 0, 1]], dtype)
    old = keras.config.epsilon()
    keras.config.set_epsilon(e)
    try:
        for fn, obj, y_true, y_pred in (
                (xent.binary_ce, keras.losses.BinaryCrossentropy, t, p),
                (xent.categorical_ce, keras.losses.CategoricalCrossentropy, tc, pc)):
            for reduction in ("sum_over_batch_size", "sum"):
                ref, ref_grad = keras_tape(obj(reduction=reduction, dtype=dtype_name(dtype)), y_true, y_pred)
                loss, grad = fn(y_pred, y_true, epsilon=e, reduction=XENT_REDUCTION[reduction], grad=True)
                scale = y_pred.shape[1] if (fn is xent.binary_ce and reduction == "sum") else 1
                assert_loss(loss / scale, ref, y_pred)
                assert_grad(grad / scale, ref_grad)
                assert not np.array_equal(loss, fn(y_pred, y_true, reduction=XENT_REDUCTION[reduction]))
    finally:
        keras.config.set_epsilon(old)


@pytest.mark.parametrize("dtype", FLOATS)
def test_binary_probability_edges(dtype):
    """p at 0 and 1 (clipped: gradient 0), below eps and above 1 - eps: Keras's values, but
    for the float32 case below."""
    p = np.array([[0, 0, 1, 1e-9, 1e-9, 2e-7, 0.5, 1 - 1e-5, 1e-7]], dtype)
    t = np.array([[0, 1, 1, 0, 1, 1, 0.5, 0, 1]], dtype)
    ref, ref_grad = tape(lambda v: keras.ops.binary_crossentropy(t, v), p)
    loss, grad = xent.binary_ce(p, t, grad=True)
    assert_loss(loss, ref, p)
    assert_grad(grad, ref_grad)
    assert (grad[0, :5] == 0).all()


def test_binary_near_one_differs():
    """DIFFERENCE: for p > 1 - eps Keras takes log(1 - clip(p, eps, 1-eps)) = log(1 - fl(1 - eps)),
    xent clips 1 - p itself (SEMANTICS, Binary CE) and takes log(eps). In float32 1 - eps
    rounds to 1 - 2^-23, so Keras's (1 - t) term is -log(2^-23) = 15.942385 per unit where
    xent's is -log(eps) = 16.118095; in float64 fl(1 - 1e-7) is off by 5.3e-11 relative, so
    they differ by 5.3e-10 per unit, above the float64 tolerance. Gradients agree (0: clipped)."""
    for dtype in FLOATS:
        eps = float(dtype(1e-7))
        p = np.array([[1, np.nextafter(dtype(1), dtype(0)), 1, 1]], dtype)
        t = np.array([[0, 0, 0.5, 1]], dtype)
        ref, ref_grad = tape(lambda v: keras.ops.binary_crossentropy(t, v), p)
        loss, grad = xent.binary_ce(p, t, grad=True)
        theirs = -math.log(1 - float(dtype(1 - 1e-7)))
        ours = -math.log(eps)
        one_term = -math.log(float(dtype(1 - 1e-7)))  # the t log q term at q = fl(1 - eps)
        rtol = 1e-6 if dtype == np.float32 else 1e-13
        np.testing.assert_allclose(ref[0], [theirs, theirs, 0.5 * (theirs + one_term), one_term], rtol=rtol)
        np.testing.assert_allclose(loss[0], [ours, ours, 0.5 * (ours + one_term), one_term], rtol=rtol)
        assert (grad == 0).all() and (ref_grad == 0).all()
        assert abs(theirs - ours) > (0.17 if dtype == np.float32 else 5e-10)


@pytest.mark.parametrize("dtype", FLOATS)
def test_categorical_probability_edges_agree(dtype):
    p = np.array([[0, 1, 0], [0, 1, 0], [0.2, 0.2, 0], [1e-9, 0.5, 0.5], [0.5, 0.5, 0], [0, 0, 0], [nan, 0.5, 0.5],
                  [4, 4, 0]], dtype)
    t = np.array([[1, 0, 0], [0, 1, 0], [0, 0, 1], [1, 0, 0], [0.5, 0.5, 0], [1, 0, 0], [0, 1, 0], [0.5, 0.5, 0]], dtype)
    ref, ref_grad = tape(lambda v: keras.ops.categorical_crossentropy(t, v), p)
    loss, grad = xent.categorical_ce(p, t, grad=True)
    assert_loss(loss, ref, p)
    assert_grad(grad, ref_grad)
    assert np.isnan(loss[5:7]).all() and np.isnan(grad[5:7]).all()


@pytest.mark.parametrize("dtype", FLOATS)
def test_sparse_categorical_clips_before_normalizing_in_keras(dtype):
    """DIFFERENCE: Keras's sparse_categorical_crossentropy on probabilities clips p to
    [eps, 1-eps] first and normalizes after (log, then sparse softmax CE):
    loss = log(sum_c clip(p_c)) - log clip(p_label), and its gradient passes only through the
    unclipped entries. xent normalizes first and clips after, as Keras's categorical_crossentropy
    does: loss = -log clip(p_label / sum p), gradient 0 when the label's u is clipped. They agree
    on rows that sum to 1 away from the clip bounds (tested above)."""
    p = np.array([[0.2, 0.2, 0], [1e-9, 0.5, 0.5], [0, 0, 0], [2, 2, 0], [0, 1, 0]], dtype)
    labels = np.array([2, 0, 0, 0, 0])
    ref, ref_grad = tape(lambda v: keras.ops.sparse_categorical_crossentropy(labels, v), p)
    loss, grad = xent.sparse_categorical_ce(p, labels, grad=True)
    eps = dtype(1e-7)
    q = np.clip(p.astype(np.float64), eps, dtype(1 - 1e-7))
    rows = np.arange(5)
    assert_loss(ref, np.log(q.sum(1)) - np.log(q[rows, labels]), p)
    with np.errstate(invalid="ignore"):
        u = p.astype(np.float64) / p.astype(np.float64).sum(1, keepdims=True)
    ours = -np.log(np.clip(u[rows, labels], eps, dtype(1 - 1e-7)))
    assert_loss(loss, ours, p)
    assert differs(loss, ref, p)[[0, 2]].all()
    assert np.isnan(loss[2]) and ref[2] == pytest.approx(math.log(3), rel=1e-5)  # 0-row: NaN / log 3
    assert (grad[:2] == 0).all() and (ref_grad[:2] != 0).any(axis=1).all()  # label clipped
    assert (ref_grad[3] == 0).all()  # 2 and 0 are both clipped in Keras
    assert_grad(grad[3], [-0.25, 0.25, 0.25])  # -1/p_label + 1/S, 1/S, 1/S: u_label = 1/2 is not clipped


@pytest.mark.parametrize("dtype", FLOATS)
def test_nan_and_inf_probabilities_differ(dtype):
    """DIFFERENCE: a NaN probability gives NaN loss in both, but Keras's clip_by_value passes no
    gradient to it (0) and its sparse loss keeps the other entries' gradient; xent's gradient
    is NaN over the element (binary) or row (categorical). A +inf probability: Keras's
    categorical loss is NaN (inf / inf), its sparse loss clips it to 1 - eps; xent's u = inf *
    (1 / inf) is NaN at that entry, a term whose target is 0 is dropped, so the loss is
    -log(clip(0)) = -log(eps) and the gradient NaN."""
    p = np.array([[nan, 0.5, 0.5], [0.2, 0.3, 0.5]], dtype)
    t = np.array([[1, 0, 0], [0, 1, 0]], dtype)
    ref, ref_grad = tape(lambda v: keras.ops.binary_crossentropy(t, v), p)
    loss, grad = xent.binary_ce(p, t, grad=True)
    assert np.isnan(ref[0, 0]) and np.isnan(loss[0, 0]) and ref_grad[0, 0] == 0 and np.isnan(grad[0, 0])
    assert_loss(loss[:, 1:], ref[:, 1:], p)
    labels = np.array([1, 1])
    ref, ref_grad = tape(lambda v: keras.ops.sparse_categorical_crossentropy(labels, v), p)
    loss, grad = xent.sparse_categorical_ce(p, labels, grad=True)
    assert np.isnan(ref[0]) and np.isnan(loss[0])
    assert ref_grad[0, 0] == 0 and np.isnan(ref_grad[0, 1:]).all() and np.isnan(grad[0]).all()
    pi = np.array([[inf, 1, 1]], dtype)
    ti = np.array([[0, 1, 0]], dtype)
    assert np.isnan(keras.ops.categorical_crossentropy(ti, pi).numpy()).all()
    assert keras.ops.sparse_categorical_crossentropy(np.array([1]), pi).numpy()[0] == pytest.approx(math.log(3), rel=1e-5)
    loss, grad = xent.categorical_ce(pi, ti, grad=True)
    assert loss[0] == pytest.approx(-math.log(dtype(1e-7)), rel=1e-6) and np.isnan(grad).all()
    assert xent.sparse_categorical_ce(pi, np.array([1]))[0] == pytest.approx(-math.log(dtype(1e-7)), rel=1e-6)


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("variant", ["binary", "categorical"])
def test_gradient_at_the_rounded_upper_clip_bound(variant, dtype):
    """The probability losses pass the gradient where p (categorical: u = p / S) lies in
    [eps, fl(1 - eps)], the bounds of TF's clip_by_value in the dtype. At p = fl(1 - eps)
    (float64 with eps = 1e-7; float32 with eps = 1e-3), where 1 - p is below eps, both pass it:
    binary CE at t = 0 gets 1/(1 - p) ~ 1/eps, categorical CE at t = [1, 0] gets
    [-(1 - p), p] ~ [-eps, 1]."""
    e = 1e-7 if dtype == np.float64 else 1e-3
    top = dtype(1 - e)
    p = np.array([[top, 1 - top]], dtype)  # sums to 1 exactly, so u = p
    t = np.array([[0, 1]] if variant == "binary" else [[1, 0]], dtype)
    keras_fn = keras.ops.binary_crossentropy if variant == "binary" else keras.ops.categorical_crossentropy
    xent_fn = xent.binary_ce if variant == "binary" else xent.categorical_ce
    old = keras.config.epsilon()
    keras.config.set_epsilon(e)
    try:
        ref, ref_grad = tape(lambda v: keras_fn(t, v), p)
    finally:
        keras.config.set_epsilon(old)
    assert (ref_grad[0] != 0).any()
    loss, grad = xent_fn(p, t, epsilon=e, grad=True)
    if variant == "categorical":  # (binary's loss there differs by design: test_binary_near_one_differs)
        assert_loss(loss, ref, p)
        assert_grad(grad, ref_grad)
    else:  # xent's r = max(1 - p, eps) against TF's 1 - fl(1 - eps): 1/eps against 1/(1 - p)
        assert (grad != 0).any() and np.allclose(grad, ref_grad, rtol=1e-3 if dtype == np.float32 else 1e-9, atol=0)
