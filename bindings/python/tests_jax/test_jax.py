"""xent.jax against optax's own losses: values and gradients under jax.jit, jax.grad and
jax.vmap, float32 and float64, the axis / where options and edge rows."""
import numpy as np
import pytest

import jax
import jax.numpy as jnp
import optax

import xent.jax as xj

OL = optax.losses
DTYPES = [np.float32, np.float64]


def tol(dtype):
    # f32: xent's loss exp / log are within a few 1e-6 relative (SPEC); f64: last bits.
    return (3e-5, 3e-5) if dtype == np.float32 else (1e-11, 1e-11)


def close(actual, expected, dtype, scale=1.0):
    rtol, atol = tol(dtype)
    np.testing.assert_allclose(np.asarray(actual), np.asarray(expected), rtol=rtol, atol=atol * scale)


def rng(seed=0):
    return np.random.default_rng(seed)


def logits_of(shape, dtype, seed=0, scale=3.0):
    return jnp.asarray((rng(seed).normal(size=shape) * scale).astype(dtype))


def probs_of(shape, dtype, axis=-1, seed=1):
    return jax.nn.softmax(jnp.asarray(rng(seed).normal(size=shape).astype(dtype)) * 2, axis=axis)


def weights_like(shape, dtype, seed=7):
    # a non-uniform cotangent, so that the per-row dloss matters
    return jnp.asarray(rng(seed).uniform(0.5, 2.0, size=shape).astype(dtype))


def check_value_and_grad(xfn, ofn, args, dtype, argnums=0, scale=1.0, grad_masks=None):
    """Loss and gradient of sum(w * loss) under jit, xent vs optax. grad_masks: per gradient,
    None or a boolean mask of the entries compared (the others must be exactly 0)."""
    loss_x = jax.jit(xfn)(*args)
    loss_o = jax.jit(ofn)(*args)  # the reference jitted too: one compile beats op-by-op dispatch
    assert loss_x.shape == loss_o.shape and loss_x.dtype == loss_o.dtype
    close(loss_x, loss_o, dtype, scale)
    w = weights_like(loss_o.shape, dtype)
    gx = jax.jit(jax.grad(lambda *a: jnp.sum(w * xfn(*a)), argnums=argnums))(*args)
    go = jax.jit(jax.grad(lambda *a: jnp.sum(w * ofn(*a)), argnums=argnums))(*args)
    gx, go = jax.tree_util.tree_leaves(gx), jax.tree_util.tree_leaves(go)
    for i, (a, b) in enumerate(zip(gx, go)):
        assert a.dtype == b.dtype and a.shape == b.shape
        m = None if grad_masks is None else grad_masks[i]
        if m is None:
            close(a, b, dtype, scale)
        else:
            m = np.broadcast_to(np.asarray(m), a.shape)
            close(np.asarray(a)[m], np.asarray(b)[m], dtype, scale)
            assert (np.asarray(a)[~m] == 0).all()


# --------------------------------------------------------------------------- the FFI is used

def test_lowers_to_xent_ffi_calls():
    x = logits_of((4, 6), np.float32)
    y = jnp.asarray([0, 1, 2, 3])
    hlo = jax.jit(jax.grad(lambda x: xj.softmax_cross_entropy_with_integer_labels(x, y).sum())).lower(x).as_text()
    assert "xent_jax_sparse_fwd_f32_i64" in hlo and "xent_jax_sparse_bwd_f32_i64" in hlo


# --------------------------------------------------------------------------- integer labels

@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("axis,shape", [(-1, (6, 7)), (1, (3, 7, 4)), (0, (7, 5)), (-2, (2, 7, 3)),
                                        ((1, 2), (3, 4, 5))])
def test_integer_labels(dtype, axis, shape):
    x = logits_of(shape, dtype)
    if isinstance(axis, tuple):
        row_shape = tuple(s for i, s in enumerate(shape) if i not in axis)
        classes = int(np.prod([shape[a] for a in axis]))
    else:
        a = axis % len(shape)
        row_shape, classes = shape[:a] + shape[a + 1:], shape[a]
    y = jnp.asarray(rng(3).integers(0, classes, size=row_shape))
    check_value_and_grad(lambda x, y: xj.softmax_cross_entropy_with_integer_labels(x, y, axis=axis),
                         lambda x, y: OL.softmax_cross_entropy_with_integer_labels(x, y, axis=axis),
                         (x, y), dtype)


@pytest.mark.parametrize("label_dtype", [np.int32, np.int64, np.uint8])
def test_integer_label_dtypes(label_dtype):
    x = logits_of((5, 9), np.float64)
    y = jnp.asarray(rng(2).integers(0, 9, size=5).astype(label_dtype))
    check_value_and_grad(xj.softmax_cross_entropy_with_integer_labels,
                         OL.softmax_cross_entropy_with_integer_labels, (x, y), np.float64)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("kind", ["rows", "elements", "label_masked", "empty_row"])
def test_integer_labels_where(dtype, kind):
    x = logits_of((6, 5), dtype)
    y = jnp.asarray([0, 1, 2, 3, 4, 0])
    if kind == "rows":
        where = jnp.asarray([True, False, True, True, False, True])
    else:
        m = rng(5).random((6, 5)) < 0.7
        m[np.arange(6), np.asarray(y)] = True  # labels kept
        if kind == "label_masked":
            m[1, 1] = m[3, 3] = False
        if kind == "empty_row":
            m[2, :] = False
        where = jnp.asarray(m)
    check_value_and_grad(lambda x: xj.softmax_cross_entropy_with_integer_labels(x, y, where=where),
                         lambda x: OL.softmax_cross_entropy_with_integer_labels(x, y, where=where), (x,), dtype)


@pytest.mark.parametrize("dtype", DTYPES)
def test_integer_labels_vmap(dtype):
    x = logits_of((3, 4, 6), dtype)
    y = jnp.asarray(rng(1).integers(0, 6, size=(3, 4)))
    y_shared = y[0]
    for in_axes, ys in (((0, 0), y), ((0, None), y_shared)):
        fx = jax.vmap(xj.softmax_cross_entropy_with_integer_labels, in_axes=in_axes)
        fo = jax.vmap(OL.softmax_cross_entropy_with_integer_labels, in_axes=in_axes)
        close(jax.jit(fx)(x, ys), jax.jit(fo)(x, ys), dtype)
        w = weights_like((4,), dtype)
        gx = jax.jit(jax.vmap(jax.grad(lambda x, y: jnp.sum(w * xj.softmax_cross_entropy_with_integer_labels(x, y))),
                              in_axes=in_axes))(x, ys)
        go = jax.jit(jax.vmap(jax.grad(lambda x, y: jnp.sum(w * OL.softmax_cross_entropy_with_integer_labels(x, y))),
                              in_axes=in_axes))(x, ys)
        close(gx, go, dtype)
    # vmap over a middle axis of the logits, and the grad of a vmapped loss
    xt = jnp.swapaxes(x, 0, 1)  # (4, 3, 6), mapped over axis 1
    close(jax.vmap(xj.softmax_cross_entropy_with_integer_labels, in_axes=(1, 0))(xt, y),
          jax.vmap(OL.softmax_cross_entropy_with_integer_labels, in_axes=(1, 0))(xt, y), dtype)
    gx = jax.grad(lambda x: jax.vmap(xj.softmax_cross_entropy_with_integer_labels)(x, y).sum())(x)
    go = jax.grad(lambda x: jax.vmap(OL.softmax_cross_entropy_with_integer_labels)(x, y).sum())(x)
    close(gx, go, dtype)


@pytest.mark.parametrize("dtype", DTYPES)
def test_integer_labels_edge_rows(dtype):
    big = 200.0 if dtype == np.float32 else 1000.0  # exp(big) overflows
    inf = np.inf
    x = jnp.asarray(np.array([
        [big, big, -big, 0.0],        # huge logits, label among the max
        [big, -big, 0.0, 1.0],        # huge logits, label far below the max: loss ~ 2 big
        [-inf, 0.0, 1.0, -inf],       # masked classes
        [-inf, -inf, 3.0, -inf],      # one class left, the label: loss 0
        [-inf, 0.0, 1.0, 2.0],        # the label is masked: loss +inf
        [5.0, 5.0, 5.0, 5.0],         # uniform: log 4
    ], dtype=dtype))
    y = jnp.asarray([1, 2, 1, 2, 0, 3])
    loss_x = jax.jit(xj.softmax_cross_entropy_with_integer_labels)(x, y)
    loss_o = OL.softmax_cross_entropy_with_integer_labels(x, y)
    close(loss_x, loss_o, dtype)
    assert np.isinf(loss_x[4]) and loss_x[4] > 0
    # gradients where optax's are finite (all rows but the +inf one)
    keep = np.array([0, 1, 2, 3, 5])
    gx = jax.grad(lambda x: xj.softmax_cross_entropy_with_integer_labels(x, y)[keep].sum())(x)
    go = jax.grad(lambda x: OL.softmax_cross_entropy_with_integer_labels(x, y)[keep].sum())(x)
    close(gx[keep], go[keep], dtype)


@pytest.mark.parametrize("dtype", DTYPES)
def test_integer_labels_huge_logits_loss(dtype):
    # |logits| far past exp's range: the loss is lse - x_label = log 2 + 0 exactly in
    # arithmetic; xent computes it from x - max (optax's lse - x_label loses it in float64).
    big = 1e30 if dtype == np.float32 else 1e200
    x = jnp.asarray(np.array([[big, big, -big, 0.0], [-big, 0.0, big, 0.0]], dtype=dtype))
    y = jnp.asarray([1, 1])
    loss = np.asarray(jax.jit(xj.softmax_cross_entropy_with_integer_labels)(x, y))
    close(loss[0], np.log(2.0), dtype)
    assert loss[1] == np.asarray(big, dtype)  # lse = big, minus 0


# The saved lse is used only where |lse| keeps p = exp(x - lse) within tolerance; beyond it
# (here) the backward recomputes the row (src/kernels/softmax_losses.hpp, saved_lse_limit).
@pytest.mark.parametrize("dtype", DTYPES)
def test_integer_labels_huge_logits_grad(dtype):
    big = 1e4 if dtype == np.float32 else 1e12
    x = jnp.asarray(np.array([[big, big, -big, 0.0]], dtype=dtype))
    y = jnp.asarray([1])
    gx = jax.grad(lambda x: xj.softmax_cross_entropy_with_integer_labels(x, y).sum())(x)
    go = jax.grad(lambda x: OL.softmax_cross_entropy_with_integer_labels(x, y).sum())(x)
    close(gx, go, dtype)


def test_integer_labels_out_of_range_raises():
    x = logits_of((3, 4), np.float32)
    with pytest.raises(Exception, match="LABEL_OUT_OF_RANGE"):
        jax.block_until_ready(xj.softmax_cross_entropy_with_integer_labels(x, jnp.asarray([0, 4, 1])))
    with pytest.raises(ValueError, match="labels shape"):
        xj.softmax_cross_entropy_with_integer_labels(x, jnp.asarray([0, 1]))
    with pytest.raises(TypeError, match="integer labels"):
        xj.softmax_cross_entropy_with_integer_labels(x, jnp.zeros(3))


# --------------------------------------------------------------------------- probability labels

@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("axis,shape", [(-1, (6, 7)), (1, (3, 7, 4)), (0, (7, 5)), (None, (3, 4)),
                                        ((0, 2), (3, 4, 5))])
def test_softmax_cross_entropy(dtype, axis, shape):
    x = logits_of(shape, dtype)
    t = probs_of(shape, dtype, axis=-1 if axis is None else axis)
    check_value_and_grad(lambda x, t: xj.softmax_cross_entropy(x, t, axis=axis),
                         lambda x, t: OL.softmax_cross_entropy(x, t, axis=axis), (x, t), dtype, argnums=(0, 1))


@pytest.mark.parametrize("dtype", DTYPES)
def test_softmax_cross_entropy_where_and_broadcast(dtype):
    x = logits_of((5, 6), dtype)
    t = probs_of((5, 6), dtype)
    m = rng(4).random((5, 6)) < 0.6
    m[1] = False  # a row with nothing kept
    for where in (jnp.asarray(m), jnp.asarray([True, False, True, True, False])):
        full = np.broadcast_to(np.asarray(where if where.ndim == 2 else where[:, None]), (5, 6))
        # optax's label gradient at masked entries is NaN (0 * -inf); xent's is 0
        check_value_and_grad(lambda x, t: xj.softmax_cross_entropy(x, t, where=where),
                             lambda x, t: OL.softmax_cross_entropy(x, t, where=where), (x, t), dtype,
                             argnums=(0, 1), grad_masks=(None, full))
    t1 = probs_of((6,), dtype)  # one label row broadcast to every logits row
    check_value_and_grad(xj.softmax_cross_entropy, OL.softmax_cross_entropy, (x, t1), dtype, argnums=(0, 1))


@pytest.mark.parametrize("dtype", DTYPES)
def test_softmax_cross_entropy_neg_inf_logits(dtype):
    inf = np.inf
    x = jnp.asarray(np.array([[-inf, 0.0, 1.0, -inf], [2.0, -inf, 0.5, 0.1]], dtype=dtype))
    t = jnp.asarray(np.array([[0.0, 0.3, 0.7, 0.0], [0.5, 0.0, 0.25, 0.25]], dtype=dtype))
    # optax.softmax_cross_entropy gives NaN here (0 * -inf); xent follows 0 log 0 = 0, which is
    # optax.safe_softmax_cross_entropy's convention.
    assert np.isnan(np.asarray(OL.softmax_cross_entropy(x, t))).all()
    check_value_and_grad(xj.softmax_cross_entropy, OL.safe_softmax_cross_entropy, (x, t), dtype)
    # a masked class that the target covers: +inf, as optax
    t2 = jnp.asarray(np.array([[0.5, 0.5, 0.0, 0.0]], dtype=dtype))
    out = xj.softmax_cross_entropy(x[:1], t2)
    assert np.isinf(out[0]) and out[0] > 0
    assert np.isinf(OL.safe_softmax_cross_entropy(x[:1], t2)[0])


@pytest.mark.parametrize("dtype", DTYPES)
def test_softmax_cross_entropy_large_logits(dtype):
    big = 200.0 if dtype == np.float32 else 1000.0  # exp(big) overflows
    x = jnp.asarray(np.array([[big, big, -big], [big, 0.0, -big], [-big, 0.0, big]], dtype=dtype))
    t = jnp.asarray(np.array([[0.5, 0.5, 0.0], [0.2, 0.8, 0.0], [0.1, 0.0, 0.9]], dtype=dtype))
    check_value_and_grad(xj.softmax_cross_entropy, OL.softmax_cross_entropy, (x, t), dtype, argnums=(0, 1))


@pytest.mark.parametrize("dtype", DTYPES)
def test_softmax_cross_entropy_vmap(dtype):
    x = logits_of((3, 4, 6), dtype)
    t = probs_of((3, 4, 6), dtype)
    for f_x, f_o in ((xj.softmax_cross_entropy, OL.softmax_cross_entropy),
                     (xj.poly_loss_cross_entropy, OL.poly_loss_cross_entropy)):
        close(jax.jit(jax.vmap(f_x))(x, t), jax.jit(jax.vmap(f_o))(x, t), dtype)
        close(jax.jit(jax.vmap(f_x, in_axes=(0, None)))(x, t[0]), jax.jit(jax.vmap(f_o, in_axes=(0, None)))(x, t[0]),
              dtype)
        gx = jax.jit(jax.vmap(jax.grad(lambda x, t: f_x(x, t).sum(), argnums=(0, 1))))(x, t)
        go = jax.jit(jax.vmap(jax.grad(lambda x, t: f_o(x, t).sum(), argnums=(0, 1))))(x, t)
        close(gx[0], go[0], dtype)
        close(gx[1], go[1], dtype)


# --------------------------------------------------------------------------- Poly-1

@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("epsilon", [2.0, -1.0, 0.0])
@pytest.mark.parametrize("axis,shape", [(-1, (6, 7)), (1, (3, 7, 4)), ((0, 1), (3, 4, 2))])
def test_poly_loss(dtype, epsilon, axis, shape):
    x = logits_of(shape, dtype)
    t = probs_of(shape, dtype, axis=axis if isinstance(axis, int) else -1)
    check_value_and_grad(lambda x, t: xj.poly_loss_cross_entropy(x, t, epsilon=epsilon, axis=axis),
                         lambda x, t: OL.poly_loss_cross_entropy(x, t, epsilon=epsilon, axis=axis),
                         (x, t), dtype, argnums=(0, 1))


@pytest.mark.parametrize("dtype", DTYPES)
def test_poly_loss_where_and_one_hot(dtype):
    x = logits_of((5, 6), dtype)
    t = jax.nn.one_hot(jnp.asarray([0, 5, 2, 3, 1]), 6, dtype=dtype)
    m = rng(6).random((5, 6)) < 0.6
    m[np.arange(5), [0, 5, 2, 3, 1]] = True
    m[3] = False
    where = jnp.asarray(m)
    check_value_and_grad(lambda x, t: xj.poly_loss_cross_entropy(x, t, epsilon=1.5, where=where),
                         lambda x, t: OL.poly_loss_cross_entropy(x, t, epsilon=1.5, where=where), (x, t), dtype,
                         argnums=(0, 1), grad_masks=(None, m))


# --------------------------------------------------------------------------- sigmoid CE, focal

@pytest.mark.parametrize("dtype", DTYPES)
def test_sigmoid_binary_cross_entropy(dtype):
    x = logits_of((5, 7), dtype)
    t = jnp.asarray(rng(2).random((5, 7)).astype(dtype))
    check_value_and_grad(xj.sigmoid_binary_cross_entropy, OL.sigmoid_binary_cross_entropy, (x, t), dtype,
                         argnums=(0, 1))
    # binary labels broadcast over a class axis, a 1-d and a 0-d input
    tb = jnp.asarray((rng(3).random((7,)) < 0.5).astype(dtype))
    check_value_and_grad(xj.sigmoid_binary_cross_entropy, OL.sigmoid_binary_cross_entropy, (x, tb), dtype)
    check_value_and_grad(xj.sigmoid_binary_cross_entropy, OL.sigmoid_binary_cross_entropy, (x[0], t[0]), dtype)
    check_value_and_grad(xj.sigmoid_binary_cross_entropy, OL.sigmoid_binary_cross_entropy,
                         (x[0, 0], t[0, 0]), dtype)


@pytest.mark.parametrize("dtype", DTYPES)
def test_sigmoid_binary_cross_entropy_large_logits(dtype):
    big = 1e4 if dtype == np.float32 else 1e200
    x = jnp.asarray(np.array([big, -big, big, -big, 40.0, -40.0, 0.0], dtype=dtype))
    t = jnp.asarray(np.array([1.0, 0.0, 0.0, 1.0, 1.0, 0.3, 0.5], dtype=dtype))
    check_value_and_grad(xj.sigmoid_binary_cross_entropy, OL.sigmoid_binary_cross_entropy, (x, t), dtype,
                         argnums=(0, 1), scale=big if dtype == np.float32 else 1.0)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("gamma", [0.0, 0.5, 2.0])
@pytest.mark.parametrize("alpha", [None, 0.25])
def test_sigmoid_focal_loss(dtype, gamma, alpha):
    x = logits_of((6, 5), dtype)
    t = jnp.asarray((rng(2).random((6, 5)) < 0.4).astype(dtype))
    t = t.at[0].set(jnp.asarray(rng(3).random(5).astype(dtype)))  # a row of soft labels
    check_value_and_grad(lambda x, t: xj.sigmoid_focal_loss(x, t, alpha=alpha, gamma=gamma),
                         lambda x, t: OL.sigmoid_focal_loss(x, t, alpha=alpha, gamma=gamma), (x, t), dtype,
                         argnums=(0, 1))


@pytest.mark.parametrize("dtype", DTYPES)
def test_sigmoid_focal_loss_edges_and_vmap(dtype):
    big = 1e4 if dtype == np.float32 else 1e200
    # confident right (p_t -> 1: loss -> 0), confident wrong (loss ~ |x|), large logits
    x = jnp.asarray(np.array([[30.0, -30.0, 30.0, -30.0, big, -big]], dtype=dtype))
    t = jnp.asarray(np.array([[1.0, 0.0, 0.0, 1.0, 1.0, 1.0]], dtype=dtype))
    for gamma in (2.0, 1.0):
        check_value_and_grad(lambda x: xj.sigmoid_focal_loss(x, t, alpha=0.25, gamma=gamma),
                             lambda x: OL.sigmoid_focal_loss(x, t, alpha=0.25, gamma=gamma), (x,), dtype,
                             scale=big if dtype == np.float32 else 1.0)
    xb = logits_of((3, 4, 5), dtype)
    tb = jnp.asarray((rng(4).random((3, 4, 5)) < 0.5).astype(dtype))
    fx = jax.vmap(lambda x, t: xj.sigmoid_focal_loss(x, t, gamma=1.5))
    fo = jax.vmap(lambda x, t: OL.sigmoid_focal_loss(x, t, gamma=1.5))
    close(jax.jit(fx)(xb, tb), jax.jit(fo)(xb, tb), dtype)
    gx = jax.jit(jax.vmap(jax.grad(lambda x, t: xj.sigmoid_focal_loss(x, t, gamma=1.5).sum())))(xb, tb)
    go = jax.jit(jax.vmap(jax.grad(lambda x, t: OL.sigmoid_focal_loss(x, t, gamma=1.5).sum())))(xb, tb)
    close(gx, go, dtype)
    close(jax.vmap(xj.sigmoid_binary_cross_entropy, in_axes=(0, None))(xb, tb[0]),
          jax.vmap(OL.sigmoid_binary_cross_entropy, in_axes=(0, None))(xb, tb[0]), dtype)


# --------------------------------------------------------------------------- errors

def test_clear_errors():
    x = logits_of((2, 3), np.float32)
    t = jnp.zeros((2, 3), np.float32)
    with pytest.raises(TypeError, match="static scalar"):
        jax.jit(lambda x, g: xj.sigmoid_focal_loss(x, t, gamma=g))(x, 2.0)
    with pytest.raises(TypeError, match="static scalar"):
        jax.jit(lambda x, e: xj.poly_loss_cross_entropy(x, t, epsilon=e))(x, 1.0)
    with pytest.raises(ValueError, match="alpha"):
        xj.sigmoid_focal_loss(x, t, alpha=1.5)
    with pytest.raises(ValueError, match="gamma"):
        xj.sigmoid_focal_loss(x, t, gamma=-1.0)
    with pytest.raises(ValueError, match="scalar"):
        xj.sigmoid_focal_loss(x, t, alpha=jnp.asarray([0.2, 0.3, 0.4]))
    with pytest.raises(TypeError, match="float32 or float64"):
        xj.sigmoid_binary_cross_entropy(x.astype(jnp.bfloat16), t)
    with pytest.raises(TypeError, match="floating"):
        xj.softmax_cross_entropy(jnp.zeros((2, 3), jnp.int32), t)
    with pytest.raises(ValueError, match="out of bounds"):
        xj.softmax_cross_entropy(x, t, axis=2)
    # a concrete (non-traced) array scalar is accepted, as in optax
    close(xj.sigmoid_focal_loss(x, t, gamma=jnp.asarray(2.0)), OL.sigmoid_focal_loss(x, t, gamma=2.0), np.float32)
