//! The element types the library computes in (f32, f64) and the label types (i64, i32).
use std::os::raw::c_int;

use crate::ffi::{self, xent_options};

pub type LossFn<T, L> = unsafe extern "C" fn(*const T, *const L, i64, i64, *const xent_options, *mut T, *mut T) -> c_int;
pub type BackwardFn<T, L> =
    unsafe extern "C" fn(*const T, *const L, i64, i64, *const xent_options, *const T, *const T, *mut T) -> c_int;
pub type UnaryFn<T> = unsafe extern "C" fn(*const T, *mut T, i64) -> c_int;
pub type RowsFn<T> = unsafe extern "C" fn(*const T, i64, i64, *mut T) -> c_int;
pub type AxisFn<T> = unsafe extern "C" fn(*const T, i64, i64, i64, *mut T) -> c_int;
pub type PartialFn<T> = unsafe extern "C" fn(*const T, i64, i64, *mut T, *mut T) -> c_int;
pub type MergeFn<T> = unsafe extern "C" fn(*const T, *const T, i64, i64, *mut T) -> c_int;

/// The C functions of one element type.
#[doc(hidden)]
pub struct Table<T: 'static> {
    pub sigmoid_ce: LossFn<T, T>,
    pub softmax_ce: LossFn<T, T>,
    pub binary_ce: LossFn<T, T>,
    pub categorical_ce: LossFn<T, T>,
    pub sparse_softmax_ce: (LossFn<T, i64>, LossFn<T, i32>),
    pub sparse_categorical_ce: (LossFn<T, i64>, LossFn<T, i32>),
    // The backward twins, in the same order.
    pub dense_backward: [BackwardFn<T, T>; 4], // sigmoid, softmax, binary, categorical
    pub sparse_softmax_ce_backward: (BackwardFn<T, i64>, BackwardFn<T, i32>),
    pub sparse_categorical_ce_backward: (BackwardFn<T, i64>, BackwardFn<T, i32>),
    pub nll_loss: (LossFn<T, i64>, LossFn<T, i32>),
    pub nll_loss_backward: (BackwardFn<T, i64>, BackwardFn<T, i32>),
    pub axis: [AxisFn<T>; 3], // logsumexp, softmax, log_softmax on the middle axis
    pub unary: [UnaryFn<T>; 6], // exp, log, log1p, sigmoid, softplus, log_sigmoid
    pub rows: [RowsFn<T>; 3],   // logsumexp, softmax, log_softmax
    pub lse_partial: PartialFn<T>,
    pub lse_merge: MergeFn<T>,
}

mod sealed {
    pub trait Sealed {}
    impl Sealed for f32 {}
    impl Sealed for f64 {}
    impl Sealed for i32 {}
    impl Sealed for i64 {}
}

/// `f32` or `f64`: the type of inputs, soft labels, weights and outputs of one call.
pub trait Float: Copy + PartialEq + std::fmt::Debug + sealed::Sealed + 'static {
    #[doc(hidden)]
    const C: Table<Self>;
}

/// `i64` or `i32` class labels (the latter calls the `_i32` twins).
pub trait Label: Copy + sealed::Sealed + 'static {
    #[doc(hidden)]
    fn pick<T>(fns: (LossFn<T, i64>, LossFn<T, i32>)) -> LossFn<T, Self>;
    #[doc(hidden)]
    fn pick_backward<T>(fns: (BackwardFn<T, i64>, BackwardFn<T, i32>)) -> BackwardFn<T, Self>;
}

impl Label for i64 {
    fn pick<T>(fns: (LossFn<T, i64>, LossFn<T, i32>)) -> LossFn<T, i64> {
        fns.0
    }
    fn pick_backward<T>(fns: (BackwardFn<T, i64>, BackwardFn<T, i32>)) -> BackwardFn<T, i64> {
        fns.0
    }
}

impl Label for i32 {
    fn pick<T>(fns: (LossFn<T, i64>, LossFn<T, i32>)) -> LossFn<T, i32> {
        fns.1
    }
    fn pick_backward<T>(fns: (BackwardFn<T, i64>, BackwardFn<T, i32>)) -> BackwardFn<T, i32> {
        fns.1
    }
}

macro_rules! float {
    ($t:ty: $sig:ident $soft:ident $bin:ident $cat:ident ($s64:ident $s32:ident) ($c64:ident $c32:ident)
     backward [$($dense_b:ident)+] ($sb64:ident $sb32:ident) ($cb64:ident $cb32:ident)
     nll ($n64:ident $n32:ident) ($nb64:ident $nb32:ident) axis [$($axis:ident)+]
     [$($unary:ident)+] [$($rows:ident)+] $partial:ident $merge:ident) => {
        impl Float for $t {
            const C: Table<$t> = Table {
                sigmoid_ce: ffi::$sig, softmax_ce: ffi::$soft, binary_ce: ffi::$bin, categorical_ce: ffi::$cat,
                sparse_softmax_ce: (ffi::$s64, ffi::$s32), sparse_categorical_ce: (ffi::$c64, ffi::$c32),
                dense_backward: [$(ffi::$dense_b),+], sparse_softmax_ce_backward: (ffi::$sb64, ffi::$sb32),
                sparse_categorical_ce_backward: (ffi::$cb64, ffi::$cb32),
                nll_loss: (ffi::$n64, ffi::$n32), nll_loss_backward: (ffi::$nb64, ffi::$nb32),
                axis: [$(ffi::$axis),+],
                unary: [$(ffi::$unary),+], rows: [$(ffi::$rows),+], lse_partial: ffi::$partial, lse_merge: ffi::$merge,
            };
        }
    };
}

float!(f32: xent_sigmoid_ce_with_logits_f32 xent_softmax_ce_with_logits_f32 xent_binary_ce_f32 xent_categorical_ce_f32
       (xent_sparse_softmax_ce_with_logits_f32 xent_sparse_softmax_ce_with_logits_f32_i32)
       (xent_sparse_categorical_ce_f32 xent_sparse_categorical_ce_f32_i32)
       backward [xent_sigmoid_ce_with_logits_backward_f32 xent_softmax_ce_with_logits_backward_f32
                 xent_binary_ce_backward_f32 xent_categorical_ce_backward_f32]
       (xent_sparse_softmax_ce_with_logits_backward_f32 xent_sparse_softmax_ce_with_logits_backward_f32_i32)
       (xent_sparse_categorical_ce_backward_f32 xent_sparse_categorical_ce_backward_f32_i32)
       nll (xent_nll_loss_f32 xent_nll_loss_f32_i32) (xent_nll_loss_backward_f32 xent_nll_loss_backward_f32_i32)
       axis [xent_logsumexp_axis_f32 xent_softmax_axis_f32 xent_log_softmax_axis_f32]
       [xent_exp_f32 xent_log_f32 xent_log1p_f32 xent_sigmoid_f32 xent_softplus_f32 xent_log_sigmoid_f32]
       [xent_logsumexp_f32 xent_softmax_f32 xent_log_softmax_f32] xent_lse_partial_f32 xent_lse_merge_f32);
float!(f64: xent_sigmoid_ce_with_logits_f64 xent_softmax_ce_with_logits_f64 xent_binary_ce_f64 xent_categorical_ce_f64
       (xent_sparse_softmax_ce_with_logits_f64 xent_sparse_softmax_ce_with_logits_f64_i32)
       (xent_sparse_categorical_ce_f64 xent_sparse_categorical_ce_f64_i32)
       backward [xent_sigmoid_ce_with_logits_backward_f64 xent_softmax_ce_with_logits_backward_f64
                 xent_binary_ce_backward_f64 xent_categorical_ce_backward_f64]
       (xent_sparse_softmax_ce_with_logits_backward_f64 xent_sparse_softmax_ce_with_logits_backward_f64_i32)
       (xent_sparse_categorical_ce_backward_f64 xent_sparse_categorical_ce_backward_f64_i32)
       nll (xent_nll_loss_f64 xent_nll_loss_f64_i32) (xent_nll_loss_backward_f64 xent_nll_loss_backward_f64_i32)
       axis [xent_logsumexp_axis_f64 xent_softmax_axis_f64 xent_log_softmax_axis_f64]
       [xent_exp_f64 xent_log_f64 xent_log1p_f64 xent_sigmoid_f64 xent_softplus_f64 xent_log_sigmoid_f64]
       [xent_logsumexp_f64 xent_softmax_f64 xent_log_softmax_f64] xent_lse_partial_f64 xent_lse_merge_f64);
