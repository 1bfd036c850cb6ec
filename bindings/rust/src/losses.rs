//! The six cross-entropy variants on slices. Input (B, C) or (B, C, K) with K = `opts.inner`,
//! row-major; B is `input.len() / (classes * inner)`. `loss` holds B*K values (B*C*K for the
//! element-wise variants) under `Reduction::None`, else one; `grad`, if given, the input's length.
use std::ptr;

use crate::error::{check, expect_len, shape_error, Result};
use crate::float::{Float, Label, LossFn};
use crate::options::{Options, Reduction};

/// Checks every slice length against the shape, then calls `f`.
#[allow(clippy::too_many_arguments)]
fn run<T: Float, L>(name: &str, f: LossFn<T, L>, elementwise: bool, input: &[T], target: &[L],
                    target_per_sample: bool, classes: usize, opts: &Options<T>, loss: &mut [T],
                    grad: Option<&mut [T]>) -> Result<()> {
    let row = classes.checked_mul(opts.inner).ok_or_else(|| shape_error(name, "classes * inner overflows".into()))?;
    if input.len().checked_rem(row).unwrap_or(0) != 0 {
        return Err(shape_error(name, format!("input has {} elements, not a multiple of classes * inner = {row}", input.len())));
    }
    // classes or inner 0: batch 0, and the library reports the shape.
    let batch = input.len().checked_div(row).unwrap_or(0);
    let samples = batch * opts.inner;
    let what = if target_per_sample { "labels" } else { "targets" };
    expect_len(name, what, target.len(), if target_per_sample { samples } else { input.len() })?;
    let losses = match opts.reduction {
        Reduction::None if elementwise => input.len(),
        Reduction::None => samples,
        _ => 1,
    };
    expect_len(name, "loss", loss.len(), losses)?;
    for (what, w, len) in [("class_weights", opts.class_weights, classes), ("pos_weight", opts.pos_weight, classes),
                           ("sample_weights", opts.sample_weights, samples)] {
        if let Some(w) = w {
            expect_len(name, what, w.len(), len)?;
        }
    }
    let grad = match grad {
        Some(g) => {
            expect_len(name, "grad", g.len(), input.len())?;
            g.as_mut_ptr()
        }
        None => ptr::null_mut(),
    };
    let raw = opts.raw();
    let (batch, classes) = (batch as i64, i64::try_from(classes).unwrap_or(i64::MAX));
    // SAFETY: every slice has the length the shape (batch, classes, inner) asks for; `raw`
    // points into `opts`, which outlives the call.
    check(unsafe { f(input.as_ptr(), target.as_ptr(), batch, classes, &raw, loss.as_mut_ptr(), grad) })
}

macro_rules! dense {
    ($($(#[$doc:meta])* $name:ident: $field:ident, elementwise = $elementwise:expr;)+) => { $(
        $(#[$doc])*
        pub fn $name<T: Float>(input: &[T], targets: &[T], classes: usize, opts: &Options<T>, loss: &mut [T],
                               grad: Option<&mut [T]>) -> Result<()> {
            run(stringify!($name), T::C.$field, $elementwise, input, targets, false, classes, opts, loss, grad)
        }
    )+ };
}

macro_rules! sparse {
    ($($(#[$doc:meta])* $name:ident: $field:ident;)+) => { $(
        $(#[$doc])*
        pub fn $name<T: Float, L: Label>(input: &[T], labels: &[L], classes: usize, opts: &Options<T>,
                                         loss: &mut [T], grad: Option<&mut [T]>) -> Result<()> {
            run(stringify!($name), L::pick(T::C.$field), false, input, labels, true, classes, opts, loss, grad)
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
}
