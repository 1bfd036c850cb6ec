//! The cross-entropy variants on slices. Input (B, C) or (B, C, K) with K = `opts.inner`,
//! row-major; B is `input.len() / (classes * inner)`. `loss` holds B*K values (B*C*K for the
//! element-wise variants) under `Reduction::None`, else one; `grad`, if given, the input's length.
//! Input, targets and grad are `T`; loss, dloss, lse and the option weights `T::Acc` (f32 for
//! the 16-bit types).
use std::ptr;

use crate::error::{check, expect_len, shape_error, Result};
use crate::float::{BackwardFn, Float, Label, LossFn};
use crate::options::{Options, Reduction};

/// The call's (batch, number of loss values) after checking every slice length of the inputs
/// against the shape (the outputs are the caller's to check).
fn shape<T, L, W>(name: &str, elementwise: bool, input: &[T], target: &[L], target_per_sample: bool, classes: usize,
                  opts: &Options<W>) -> Result<(usize, usize)> {
    let row = classes.checked_mul(opts.inner).ok_or_else(|| shape_error(name, "classes * inner overflows".into()))?;
    if input.len().checked_rem(row).unwrap_or(0) != 0 {
        return Err(shape_error(name, format!("input has {} elements, not a multiple of classes * inner = {row}", input.len())));
    }
    // classes or inner 0: batch 0, and the library reports the shape.
    let batch = input.len().checked_div(row).unwrap_or(0);
    let samples = batch * opts.inner;
    let what = if target_per_sample { "labels" } else { "targets" };
    expect_len(name, what, target.len(), if target_per_sample { samples } else { input.len() })?;
    for (what, w, len) in [("class_weights", opts.class_weights, classes), ("pos_weight", opts.pos_weight, classes),
                           ("sample_weights", opts.sample_weights, samples)] {
        if let Some(w) = w {
            expect_len(name, what, w.len(), len)?;
        }
    }
    let losses = match opts.reduction {
        Reduction::None if elementwise => input.len(),
        Reduction::None => samples,
        _ => 1,
    };
    Ok((batch, losses))
}

fn as_i64(n: usize) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// Checks every slice length against the shape, then calls `f`; `lse`, when given (softmax
/// with logits), receives each sample's lse (`opts->lse_out`).
#[allow(clippy::too_many_arguments)]
fn run<T: Float, L>(name: &str, f: LossFn<T, L, T::Acc>, elementwise: bool, input: &[T], target: &[L],
                    target_per_sample: bool, classes: usize, opts: &Options<T::Acc>, loss: &mut [T::Acc],
                    grad: Option<&mut [T]>, lse: Option<&mut [T::Acc]>) -> Result<()> {
    let (batch, losses) = shape(name, elementwise, input, target, target_per_sample, classes, opts)?;
    expect_len(name, "loss", loss.len(), losses)?;
    let grad = match grad {
        Some(g) => {
            expect_len(name, "grad", g.len(), input.len())?;
            g.as_mut_ptr()
        }
        None => ptr::null_mut(),
    };
    let mut raw = opts.raw();
    if let Some(lse) = lse {
        expect_len(name, "lse", lse.len(), batch * opts.inner)?;
        raw.lse_out = lse.as_mut_ptr().cast();
    }
    // SAFETY: every slice has the length the shape (batch, classes, inner) asks for; `raw`
    // points into `opts` and `lse`, which outlive the call.
    check(unsafe { f(input.as_ptr(), target.as_ptr(), as_i64(batch), as_i64(classes), &raw, loss.as_mut_ptr(), grad) })
}

/// The backward call: grad = dloss * d(loss)/d(input); dloss has the loss's length, lse (the
/// softmax-with-logits variants, else `None`) one value per sample.
#[allow(clippy::too_many_arguments)]
fn run_backward<T: Float, L>(name: &str, f: BackwardFn<T, L, T::Acc>, elementwise: bool, input: &[T],
                             target: &[L], target_per_sample: bool, classes: usize, opts: &Options<T::Acc>,
                             dloss: &[T::Acc], lse: Option<&[T::Acc]>, grad: &mut [T]) -> Result<()> {
    let (batch, losses) = shape(name, elementwise, input, target, target_per_sample, classes, opts)?;
    expect_len(name, "dloss", dloss.len(), losses)?;
    expect_len(name, "grad", grad.len(), input.len())?;
    if let Some(lse) = lse {
        expect_len(name, "lse", lse.len(), batch * opts.inner)?;
    }
    let raw = opts.raw();
    let lse = lse.map_or(ptr::null(), |l| l.as_ptr());
    // SAFETY: as for `run`.
    check(unsafe { f(input.as_ptr(), target.as_ptr(), as_i64(batch), as_i64(classes), &raw, dloss.as_ptr(), lse,
                     grad.as_mut_ptr()) })
}

macro_rules! dense {
    ($($(#[$doc:meta])* $name:ident: $field:ident, elementwise = $elementwise:expr;)+) => { $(
        $(#[$doc])*
        pub fn $name<T: Float>(input: &[T], targets: &[T], classes: usize, opts: &Options<T::Acc>,
                               loss: &mut [T::Acc], grad: Option<&mut [T]>) -> Result<()> {
            run(stringify!($name), T::C.$field, $elementwise, input, targets, false, classes, opts, loss, grad, None)
        }
    )+ };
}

macro_rules! sparse {
    ($($(#[$doc:meta])* $name:ident: $field:ident;)+) => { $(
        $(#[$doc])*
        pub fn $name<T: Float, L: Label>(input: &[T], labels: &[L], classes: usize, opts: &Options<T::Acc>,
                                         loss: &mut [T::Acc], grad: Option<&mut [T]>) -> Result<()> {
            run(stringify!($name), L::pick(T::C.$field), false, input, labels, true, classes, opts, loss, grad, None)
        }
    )+ };
}

macro_rules! dense_backward {
    ($($(#[$doc:meta])* $name:ident: $index:expr, elementwise = $elementwise:expr;)+) => { $(
        $(#[$doc])*
        pub fn $name<T: Float>(input: &[T], targets: &[T], classes: usize, opts: &Options<T::Acc>,
                               dloss: &[T::Acc], lse: Option<&[T::Acc]>, grad: &mut [T]) -> Result<()> {
            run_backward(stringify!($name), T::C.dense_backward[$index], $elementwise, input, targets, false, classes,
                         opts, dloss, lse, grad)
        }
    )+ };
}

macro_rules! sparse_backward {
    ($($(#[$doc:meta])* $name:ident: $field:ident;)+) => { $(
        $(#[$doc])*
        pub fn $name<T: Float, L: Label>(input: &[T], labels: &[L], classes: usize, opts: &Options<T::Acc>,
                                         dloss: &[T::Acc], lse: Option<&[T::Acc]>, grad: &mut [T]) -> Result<()> {
            run_backward(stringify!($name), L::pick_backward(T::C.$field), false, input, labels, true, classes, opts,
                         dloss, lse, grad)
        }
    )+ };
}

dense! {
    /// Element-wise `max(x,0) - x*t + log1p(exp(-|x|))` on logits x, soft labels t.
    sigmoid_ce_with_logits: sigmoid_ce, elementwise = true;
    /// Per sample `-sum_c t_c log_softmax(x)_c`.
    softmax_ce_with_logits: softmax_ce, elementwise = false;
    /// Element-wise `-(t log q + (1-t) log(1-q))` on probabilities, `q = clip(p, eps, 1-eps)`.
    binary_ce: binary_ce, elementwise = true;
    /// Per sample `-sum_c t_c log q_c`, `q = clip(p / sum(p), eps, 1-eps)`.
    categorical_ce: categorical_ce, elementwise = false;
}

sparse! {
    /// Per sample `lse(x) - x[label]`.
    sparse_softmax_ce_with_logits: sparse_softmax_ce;
    /// Per sample `-log q[label]`, `q = clip(p / sum(p), eps, 1-eps)`.
    sparse_categorical_ce: sparse_categorical_ce;
    /// Per sample `-w[label] * input[label]` on log-probabilities (PyTorch's `nll_loss`).
    nll_loss: nll_loss;
}

dense_backward! {
    /// `dloss * d(sigmoid_ce_with_logits)/d(input)`; `lse` must be `None`.
    sigmoid_ce_with_logits_backward: 0, elementwise = true;
    /// `dloss * d(softmax_ce_with_logits)/d(input)`; `lse`: `None` or the forward's (`softmax_ce_with_logits_lse`).
    softmax_ce_with_logits_backward: 1, elementwise = false;
    /// `dloss * d(binary_ce)/d(input)`; `lse` must be `None`.
    binary_ce_backward: 2, elementwise = true;
    /// `dloss * d(categorical_ce)/d(input)`; `lse` must be `None`.
    categorical_ce_backward: 3, elementwise = false;
}

sparse_backward! {
    /// `dloss * d(sparse_softmax_ce_with_logits)/d(input)`; `lse`: `None` or the forward's
    /// (`sparse_softmax_ce_with_logits_lse`), which spares the max and sum passes.
    sparse_softmax_ce_with_logits_backward: sparse_softmax_ce_backward;
    /// `dloss * d(sparse_categorical_ce)/d(input)`; `lse` must be `None`.
    sparse_categorical_ce_backward: sparse_categorical_ce_backward;
    /// `dloss * d(nll_loss)/d(input)`; `lse` must be `None`.
    nll_loss_backward: nll_loss_backward;
}

/// `softmax_ce_with_logits` that also writes each sample's lse into `lse` (B*K values), for the backward.
pub fn softmax_ce_with_logits_lse<T: Float>(input: &[T], targets: &[T], classes: usize, opts: &Options<T::Acc>,
                                            loss: &mut [T::Acc], grad: Option<&mut [T]>, lse: &mut [T::Acc]) -> Result<()> {
    run("softmax_ce_with_logits_lse", T::C.softmax_ce, false, input, targets, false, classes, opts, loss, grad, Some(lse))
}

/// `sparse_softmax_ce_with_logits` that also writes each sample's lse into `lse` (B*K values).
pub fn sparse_softmax_ce_with_logits_lse<T: Float, L: Label>(input: &[T], labels: &[L], classes: usize,
                                                             opts: &Options<T::Acc>, loss: &mut [T::Acc],
                                                             grad: Option<&mut [T]>, lse: &mut [T::Acc]) -> Result<()> {
    run("sparse_softmax_ce_with_logits_lse", L::pick(T::C.sparse_softmax_ce), false, input, labels, true, classes, opts,
        loss, grad, Some(lse))
}
