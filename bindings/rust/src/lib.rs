//! Safe bindings to libxent: SIMD CPU cross-entropy losses (fused forward + gradient) and
//! exp / log / softmax kernels, through its C ABI. Every function works on slices of `f32`,
//! `f64`, or the 16-bit [`Bf16`] / [`F16`] (f32 math; their losses, lse and option weights
//! are f32: [`Float::Acc`]) and returns `Result<(), xent::Error>`; the library's message of a failed call
//! is in `Error::message`. Contract: docs/SEMANTICS.md of the repository.
//!
//! ```no_run
//! let logits = [1.0f64, 2.0, 3.0, 1.0, 2.0, 3.0, 1.0, 2.0, 3.0];
//! let mut loss = [0.0; 3];
//! xent::sparse_softmax_ce_with_logits(&logits, &[2i64, 2, 2], 3, &xent::Options::default(), &mut loss, None)?;
//! # Ok::<(), xent::Error>(())
//! ```
pub mod ffi;

mod error;
mod float;
mod half16;
mod kernels;
mod losses;
#[cfg(feature = "ndarray")]
#[path = "ndarray_api.rs"]
pub mod nd;
mod options;

pub use error::{Error, Result, Status};
pub use float::{Float, Label, Real};
pub use half16::{Bf16, F16};
pub use kernels::{exp, log, log1p, log_sigmoid, log_softmax, log_softmax_axis, logsumexp, logsumexp_axis, lse_merge,
                  lse_partial, sigmoid, softmax, softmax_axis, softplus};
pub use losses::{binary_ce, binary_ce_backward, categorical_ce, categorical_ce_backward, sigmoid_ce_with_logits,
                 sigmoid_ce_with_logits_backward, softmax_ce_with_logits, softmax_ce_with_logits_backward,
                 softmax_ce_with_logits_lse, sparse_categorical_ce, sparse_categorical_ce_backward,
                 sparse_softmax_ce_with_logits, sparse_softmax_ce_with_logits_backward,
                 sparse_softmax_ce_with_logits_lse, nll_loss, nll_loss_backward};
pub use options::{Options, Reduction};

use error::static_str;

/// The library's version, "MAJOR.MINOR.PATCH".
pub fn version() -> &'static str {
    // SAFETY: a static string.
    static_str(unsafe { ffi::xent_version() })
}

/// The SIMD path in use: "avx512", "avx2", "sse2", "neon" or "scalar".
pub fn simd_isa() -> &'static str {
    // SAFETY: a static string.
    static_str(unsafe { ffi::xent_simd_isa() })
}

/// Threads used by later calls; 0 restores the default.
pub fn set_num_threads(n: usize) {
    // SAFETY: plain value.
    unsafe { ffi::xent_set_num_threads(i32::try_from(n).unwrap_or(i32::MAX)) }
}

/// Threads that calls use.
pub fn get_num_threads() -> usize {
    // SAFETY: no arguments.
    unsafe { ffi::xent_get_num_threads() }.max(0) as usize
}
