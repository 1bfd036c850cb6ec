"""xent.jax: optax's classification losses on libxent, as XLA FFI calls with custom VJPs.

    import xent.jax as xj
    loss = xj.softmax_cross_entropy_with_integer_labels(logits, labels)   # optax's names,
    jax.grad(lambda x: xj.sigmoid_focal_loss(x, t, gamma=2.0).sum())(x)   # arguments, results

Functions (optax 0.2.8 signatures): softmax_cross_entropy_with_integer_labels(logits, labels,
axis=-1, where=None), softmax_cross_entropy(logits, labels, axis=-1, where=None),
sigmoid_binary_cross_entropy(logits, labels), sigmoid_focal_loss(logits, labels, *,
alpha=None, gamma=2.0), poly_loss_cross_entropy(logits, labels, *, epsilon=2.0, axis=-1,
where=None). float32 and float64 (under jax_enable_x64) on the CPU; jit, grad and vmap work.

Each loss is a `jax.custom_vjp` whose forward is one FFI call of the xent loss (reduction
NONE, the softmax ones with opts->lse_out, so the residuals are the inputs and the row lse)
and whose backward is one `xent_*_backward_*` call with the cotangent as dloss. An int
`axis` other than the last runs on the middle axis with opts->inner (no transpose); a tuple
of axes (and axis=None) is moved to the end and flattened first, as optax does.

The FFI shim (_jax_ffi/xent_jax_ffi.cc) is compiled on first use with the system C++
compiler against jax.ffi.include_dir() and libxent (found as xent._lib finds it), cached in
$XENT_JAX_CACHE or ~/.cache/xent/jax-ffi; see docs/JAX.md.
"""
import functools
import hashlib
import math
import os
import pathlib
import shutil
import subprocess
import tempfile
import ctypes

import numpy as np
import jax
import jax.numpy as jnp
import jax.scipy.special  # noqa: F401

from ._lib import (NO_IGNORE as _NO_IGNORE, include_dir as _include_dir, lib as _load_lib,
                   library_path as _library_path)

__all__ = [
    "softmax_cross_entropy_with_integer_labels", "softmax_cross_entropy",
    "sigmoid_binary_cross_entropy", "sigmoid_focal_loss", "poly_loss_cross_entropy",
    "shim_path",
]

_HERE = pathlib.Path(__file__).resolve().parent
_SRC = _HERE / "_jax_ffi" / "xent_jax_ffi.cc"


# --------------------------------------------------------------------------- build & load

def _header_dir():
    """A directory holding xent/xent.h: $XENT_INCLUDE_DIR, the headers bundled in the package
    (a wheel), the source tree's include/, the include/ beside the library's directory, then
    /usr/local/include and /usr/include (xent._lib.include_dir)."""
    try:
        return _include_dir()
    except OSError as e:
        msg = str(e)
        raise OSError("xent.jax: " + (msg[len("xent: "):] if msg.startswith("xent: ") else msg)) from None


def _link_args():
    """How the shim links libxent: the path xent._lib loads, with an rpath to its directory."""
    path = _library_path()
    p = pathlib.Path(path)
    if p.exists():
        p = p.absolute()
        return [str(p), f"-Wl,-rpath,{p.parent}"], str(p)
    return [f"-l:{path}"], path  # a bare name from the system's search


def _cache_dir():
    d = os.environ.get("XENT_JAX_CACHE")
    if d:
        return pathlib.Path(d)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return pathlib.Path(base) / "xent" / "jax-ffi"


def _compiler():
    for c in (os.environ.get("CXX"), "c++", "g++", "clang++"):
        if c and shutil.which(c):
            return c
    raise OSError("xent.jax: no C++ compiler found to build the FFI shim (set CXX)")


@functools.lru_cache(maxsize=None)
def shim_path():
    """Path of the compiled FFI shim, building it into the cache directory if needed."""
    ffi_inc = jax.ffi.include_dir()
    xent_inc = _header_dir()
    link, lib_id = _link_args()
    cxx = _compiler()
    key = hashlib.sha256()
    for part in (_SRC.read_bytes(), (xent_inc / "xent" / "xent.h").read_bytes(),
                 ffi_inc.encode(), jax.__version__.encode(), lib_id.encode(), cxx.encode()):
        key.update(part)
        key.update(b"\0")
    cache = _cache_dir()
    out = cache / f"xent_jax_ffi-{key.hexdigest()[:16]}.so"
    if out.is_file():
        return str(out)
    cache.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(suffix=".so", dir=cache)
    os.close(fd)
    cmd = [cxx, "-O2", "-shared", "-fPIC", "-std=c++17", "-isystem", ffi_inc, f"-I{xent_inc}",
           str(_SRC), *link, "-o", tmp]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True)
        if proc.returncode != 0:
            raise OSError("xent.jax: building the FFI shim failed:\n" + " ".join(cmd) + "\n" + proc.stderr[-4000:])
        os.replace(tmp, out)  # atomic: concurrent builders agree
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return str(out)


_TARGETS = (
    [f"xent_jax_sparse_{d}_{t}_{i}" for d in ("fwd", "bwd") for t in ("f32", "f64") for i in ("i32", "i64")]
    + [f"xent_jax_{op}_{d}_{t}" for op in ("soft", "sigmoid") for d in ("fwd", "bwd") for t in ("f32", "f64")]
)


@functools.lru_cache(maxsize=None)
def _shim():
    _load_lib()  # load libxent first (the same file the shim links)
    handle = ctypes.CDLL(shim_path())
    for name in _TARGETS:
        jax.ffi.register_ffi_target(name, jax.ffi.pycapsule(getattr(handle, name)), platform="cpu")
    return handle


def _call(name, results, *args, **attrs):
    _shim()
    return jax.ffi.ffi_call(name, results, vmap_method="broadcast_all")(*args, **attrs)


# --------------------------------------------------------------------------- argument checks

def _tname(dtype):
    dtype = np.dtype(dtype)
    if dtype == np.float32:
        return "f32"
    if dtype == np.float64:
        return "f64"
    raise TypeError(f"xent.jax: logits must be float32 or float64 (float64 needs jax_enable_x64), got {dtype}")


def _float_logits(logits, fn):
    logits = jnp.asarray(logits)
    if not jnp.issubdtype(logits.dtype, jnp.floating):
        raise TypeError(f"xent.jax.{fn}: logits must be floating, got {logits.dtype}")
    _tname(logits.dtype)
    return logits


def _static_scalar(name, value):
    """An option that becomes an FFI attribute: a Python or NumPy scalar, or a concrete 0-d array."""
    if isinstance(value, jax.core.Tracer):
        raise TypeError(f"xent.jax: {name} must be a static scalar (it is an FFI attribute), got a traced "
                        f"value; pass a Python float (under jit: close over it or make it a static argument)")
    a = np.asarray(value)
    if a.ndim != 0:
        raise ValueError(f"xent.jax: {name} must be a scalar, got shape {a.shape} "
                         f"(per-element {name} is not supported)")
    v = float(a)
    if not math.isfinite(v):
        raise ValueError(f"xent.jax: {name} must be finite, got {v}")
    return v


def _canon_axis(axis, ndim):
    a = int(axis)
    if not -ndim <= a < ndim:
        raise ValueError(f"axis {axis} is out of bounds for array of dimension {ndim}")
    return a % ndim


def _axes_to_last(x, axis):
    """(x moved so that the tuple of axes is one flattened last axis, batch shape)."""
    ax = tuple(_canon_axis(a, x.ndim) for a in axis)
    if len(set(ax)) != len(ax):
        raise ValueError(f"repeated axis in {axis}")
    batch = tuple(i for i in range(x.ndim) if i not in ax)
    moved = jnp.transpose(x, batch + ax)
    shape = tuple(x.shape[i] for i in batch)
    return moved.reshape(shape + (-1,)), shape


def _row_shape(shape, axis):
    return shape[:axis] + shape[axis + 1:]


def _inner(shape, axis):
    return int(np.prod(shape[axis + 1:], dtype=np.int64))


# --------------------------------------------------------------------------- sparse softmax CE

@functools.partial(jax.custom_vjp, nondiff_argnums=(2, 3))
def _sparse_ce(logits, labels, axis, ignore):
    return _sparse_ce_fwd(logits, labels, axis, ignore)[0]


def _sparse_ce_fwd(logits, labels, axis, ignore):
    t, i = _tname(logits.dtype), ("i64" if labels.dtype == np.int64 else "i32")
    out = jax.ShapeDtypeStruct(labels.shape, logits.dtype)
    loss, lse = _call(f"xent_jax_sparse_fwd_{t}_{i}", (out, out), logits, labels,
                      classes=np.int64(logits.shape[axis]), inner=np.int64(_inner(logits.shape, axis)),
                      ignore_index=np.int64(ignore))
    return loss, (logits, labels, lse)


def _sparse_ce_bwd(axis, ignore, res, g):
    logits, labels, lse = res
    t, i = _tname(logits.dtype), ("i64" if labels.dtype == np.int64 else "i32")
    grad = _call(f"xent_jax_sparse_bwd_{t}_{i}", jax.ShapeDtypeStruct(logits.shape, logits.dtype),
                 logits, labels, g.astype(logits.dtype), lse,
                 classes=np.int64(logits.shape[axis]), inner=np.int64(_inner(logits.shape, axis)),
                 ignore_index=np.int64(ignore))
    return grad, None


_sparse_ce.defvjp(_sparse_ce_fwd, _sparse_ce_bwd)


def _labels_int(labels):
    labels = jnp.asarray(labels)
    if not jnp.issubdtype(labels.dtype, jnp.integer):
        raise TypeError(f"xent.jax: integer labels expected, got {labels.dtype}")
    if labels.dtype != np.int64:
        labels = labels.astype(np.int32)
    return labels


def softmax_cross_entropy_with_integer_labels(logits, labels, axis=-1, where=None):
    """optax.losses.softmax_cross_entropy_with_integer_labels: lse(logits) - logits[label] per
    row, over `axis` (an int: the middle-axis kernel; a tuple: flattened, labels are flat
    indices into logits[axis] as in optax). `where` (shape logits.shape or the batch shape)
    masks logits out of the lse; rows with nothing kept give 0. Labels outside
    [0, classes) raise at run time (XlaRuntimeError naming XENT_ERR_LABEL_OUT_OF_RANGE)."""
    logits = _float_logits(logits, "softmax_cross_entropy_with_integer_labels")
    labels = _labels_int(labels)
    if where is not None:
        where = jnp.asarray(where, dtype=bool)
        if where.ndim != logits.ndim:
            where = jnp.expand_dims(where, axis)
        where = jnp.broadcast_to(where, logits.shape)
    if isinstance(axis, tuple):
        logits, _ = _axes_to_last(logits, axis)
        if where is not None:
            where, _ = _axes_to_last(where, axis)
        axis = logits.ndim - 1
    elif isinstance(axis, (int, np.integer)):
        axis = _canon_axis(axis, logits.ndim)
    else:
        raise ValueError("Keyword argument 'axis' must be of type 'int' or 'tuple[int, ...]' but actual type "
                         f"is {type(axis)}.")
    classes = logits.shape[axis]
    if classes < 1:
        raise ValueError("xent.jax: the class axis is empty")
    if labels.shape != _row_shape(logits.shape, axis):
        raise ValueError(f"xent.jax: labels shape {labels.shape} does not match the logits' rows "
                         f"{_row_shape(logits.shape, axis)}")
    if where is None:
        return _sparse_ce(logits, labels, axis, _NO_IGNORE)

    # where: masked logits leave the lse (-inf); a row with nothing kept is ignored (label =
    # classes = ignore_index, loss 0, grad 0); a masked label entry is replaced by the row's
    # first kept class and corrected by x[sub] - x[label] (optax: lse(kept) - x[label]).
    any_kept = jnp.any(where, axis=axis)
    label_kept = jnp.take_along_axis(where, jnp.expand_dims(labels, axis), axis=axis).squeeze(axis)
    sub = jnp.argmax(where, axis=axis).astype(labels.dtype)
    lab = jnp.where(label_kept, labels, sub)
    lab = jnp.where(any_kept, lab, jnp.asarray(classes, labels.dtype))
    xm = jnp.where(where, logits, -jnp.inf)
    xm = jnp.where(jnp.expand_dims(any_kept, axis), xm, 0)
    loss = _sparse_ce(xm, lab, axis, classes)
    x_label = jnp.take_along_axis(logits, jnp.expand_dims(labels, axis), axis=axis).squeeze(axis)
    x_sub = jnp.take_along_axis(logits, jnp.expand_dims(sub, axis), axis=axis).squeeze(axis)
    loss = jnp.where(label_kept, loss, loss + (x_sub - x_label))
    return jnp.where(any_kept, loss, jnp.zeros_like(loss))


# --------------------------------------------------------------------------- dense softmax CE, Poly-1

@functools.partial(jax.custom_vjp, nondiff_argnums=(2, 3))
def _soft_ce(logits, targets, axis, epsilon):
    return _soft_ce_fwd(logits, targets, axis, epsilon)[0]


def _soft_ce_fwd(logits, targets, axis, epsilon):
    out = jax.ShapeDtypeStruct(_row_shape(logits.shape, axis), logits.dtype)
    loss, lse = _call(f"xent_jax_soft_fwd_{_tname(logits.dtype)}", (out, out), logits, targets,
                      classes=np.int64(logits.shape[axis]), inner=np.int64(_inner(logits.shape, axis)),
                      poly_epsilon=np.float64(epsilon))
    return loss, (logits, targets, lse)


def _soft_ce_bwd(axis, epsilon, res, g):
    logits, targets, lse = res
    g = g.astype(logits.dtype)
    grad = _call(f"xent_jax_soft_bwd_{_tname(logits.dtype)}", jax.ShapeDtypeStruct(logits.shape, logits.dtype),
                 logits, targets, g, lse,
                 classes=np.int64(logits.shape[axis]), inner=np.int64(_inner(logits.shape, axis)),
                 poly_epsilon=np.float64(epsilon))
    # d loss / d t_c = (lse - x_c) + epsilon (1 - p_c), p_c = exp(x_c - lse): from the residuals.
    lse_b = jnp.expand_dims(lse, axis)
    dt = lse_b - logits
    if epsilon != 0.0:
        dt = dt + epsilon * (1 - jnp.exp(logits - lse_b))
    return grad, jnp.expand_dims(g, axis) * dt


_soft_ce.defvjp(_soft_ce_fwd, _soft_ce_bwd)


def _soft(logits, labels, axis, where, epsilon, fn):
    logits = _float_logits(logits, fn)
    labels = jnp.asarray(labels)
    if fn == "poly_loss_cross_entropy" and not jnp.issubdtype(labels.dtype, jnp.floating):
        raise TypeError(f"xent.jax.{fn}: labels must be floating, got {labels.dtype}")
    labels = labels.astype(logits.dtype)
    shape = jnp.broadcast_shapes(logits.shape, labels.shape)
    logits, labels = jnp.broadcast_to(logits, shape), jnp.broadcast_to(labels, shape)
    if where is not None:
        where = jnp.asarray(where, dtype=bool)
        if where.ndim != logits.ndim:
            where = jnp.expand_dims(where, axis)
        where = jnp.broadcast_to(where, shape)
    if axis is None:
        axis = tuple(range(logits.ndim))
    if isinstance(axis, tuple):
        logits, _ = _axes_to_last(logits, axis)
        labels, _ = _axes_to_last(labels, axis)
        if where is not None:
            where, _ = _axes_to_last(where, axis)
        axis = logits.ndim - 1
    elif isinstance(axis, (int, np.integer)):
        axis = _canon_axis(axis, logits.ndim)
    else:
        raise ValueError(f"xent.jax.{fn}: axis must be an int, a tuple of ints or None, got {type(axis)}")
    if logits.shape[axis] < 1:
        raise ValueError("xent.jax: the class axis is empty")
    if where is None:
        return _soft_ce(logits, labels, axis, epsilon)
    # where: masked entries get logit -inf and target 0 (they cost exactly 0 in xent); a row with
    # nothing kept is computed on zeros and returns 0 (optax: an empty sum).
    any_kept = jnp.expand_dims(jnp.any(where, axis=axis), axis)
    xm = jnp.where(where, logits, -jnp.inf)
    xm = jnp.where(any_kept, xm, 0)
    tm = jnp.where(where, labels, 0)
    loss = _soft_ce(xm, tm, axis, epsilon)
    return jnp.where(any_kept.squeeze(axis), loss, jnp.zeros_like(loss))


def softmax_cross_entropy(logits, labels, axis=-1, where=None):
    """optax.losses.softmax_cross_entropy: -sum_c labels_c log_softmax(logits)_c over `axis`
    (int: middle-axis kernel; tuple or None: flattened). Differs from optax where a logit is
    -inf and its label is 0: the term is 0 here (optax.safe_softmax_cross_entropy's
    convention), NaN in optax.softmax_cross_entropy."""
    return _soft(logits, labels, axis, where, 0.0, "softmax_cross_entropy")


def poly_loss_cross_entropy(logits, labels, *, epsilon=2.0, axis=-1, where=None):
    """optax.losses.poly_loss_cross_entropy: softmax CE + epsilon * sum_c labels_c (1 - p_c)
    (xent's poly_epsilon). epsilon must be a static scalar."""
    epsilon = _static_scalar("epsilon", epsilon)
    return _soft(logits, labels, axis, where, epsilon, "poly_loss_cross_entropy")


# --------------------------------------------------------------------------- sigmoid CE, focal

def _focal_reference(x, t, gamma, alpha):
    """optax's formula in jnp: used only for the labels' cotangent of sigmoid_focal_loss."""
    log_p, log_q = jax.nn.log_sigmoid(x), jax.nn.log_sigmoid(-x)
    ce = -t * log_p - (1 - t) * log_q
    log_om = jax.scipy.special.logsumexp(jnp.stack([log_p, log_q], axis=-1), axis=-1,
                                         b=jnp.stack([1 - t, t], axis=-1))
    loss = ce * jnp.exp(gamma * log_om)
    if alpha >= 0:
        loss = (alpha * t + (1 - alpha) * (1 - t)) * loss
    return loss


@functools.partial(jax.custom_vjp, nondiff_argnums=(2, 3))
def _sigmoid_ce(logits, targets, gamma, alpha):
    return _sigmoid_ce_fwd(logits, targets, gamma, alpha)[0]


def _classes(shape):
    return np.int64(shape[-1] if len(shape) else 1)


def _sigmoid_ce_fwd(logits, targets, gamma, alpha):
    loss = _call(f"xent_jax_sigmoid_fwd_{_tname(logits.dtype)}", jax.ShapeDtypeStruct(logits.shape, logits.dtype),
                 logits, targets, classes=_classes(logits.shape),
                 focal_gamma=np.float64(gamma), focal_alpha=np.float64(alpha))
    return loss, (logits, targets)


def _sigmoid_ce_bwd(gamma, alpha, res, g):
    logits, targets = res
    g = g.astype(logits.dtype)
    grad = _call(f"xent_jax_sigmoid_bwd_{_tname(logits.dtype)}", jax.ShapeDtypeStruct(logits.shape, logits.dtype),
                 logits, targets, g, classes=_classes(logits.shape),
                 focal_gamma=np.float64(gamma), focal_alpha=np.float64(alpha))
    if gamma == 0.0 and alpha < 0:
        dt = -logits * g  # d/dt (softplus(x) - t x) = -x
    else:
        _, vjp = jax.vjp(lambda t: _focal_reference(logits, t, gamma, alpha), targets)
        (dt,) = vjp(g)
    return grad, dt


_sigmoid_ce.defvjp(_sigmoid_ce_fwd, _sigmoid_ce_bwd)


def _elementwise(logits, labels, gamma, alpha, fn):
    logits = _float_logits(logits, fn)
    labels = jnp.asarray(labels).astype(logits.dtype)
    shape = jnp.broadcast_shapes(logits.shape, labels.shape)
    return _sigmoid_ce(jnp.broadcast_to(logits, shape), jnp.broadcast_to(labels, shape), gamma, alpha)


def sigmoid_binary_cross_entropy(logits, labels):
    """optax.losses.sigmoid_binary_cross_entropy: element-wise -t log s(x) - (1-t) log s(-x)."""
    return _elementwise(logits, labels, 0.0, -1.0, "sigmoid_binary_cross_entropy")


def sigmoid_focal_loss(logits, labels, *, alpha=None, gamma=2.0):
    """optax.losses.sigmoid_focal_loss: ce * (1 - p_t)^gamma, times alpha_t when alpha is given
    (xent's focal_gamma / focal_alpha). alpha in [0, 1] and gamma >= 0, both static scalars."""
    gamma = _static_scalar("gamma", gamma)
    if gamma < 0:
        raise ValueError(f"xent.jax: gamma must be >= 0, got {gamma}")
    if alpha is None:
        alpha = -1.0
    else:
        alpha = _static_scalar("alpha", alpha)
        if not 0.0 <= alpha <= 1.0:
            raise ValueError(f"xent.jax: alpha must be in [0, 1], got {alpha}")
    return _elementwise(logits, labels, gamma, alpha, "sigmoid_focal_loss")
