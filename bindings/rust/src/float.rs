//! The element types the library computes on (f32, f64, and the 16-bit Bf16 and F16 whose math
//! is f32) and the label types (i64, i32).
use std::os::raw::c_int;

use crate::ffi::{self, xent_options};
use crate::half16::{Bf16, F16};

/// A loss with input and grad `T`, targets `L`, loss `A`.
pub type LossFn<T, L, A> =
    unsafe extern "C" fn(*const T, *const L, i64, i64, *const xent_options, *mut A, *mut T) -> c_int;
/// A backward with input and grad `T`, targets `L`, dloss and lse `A`.
pub type BackwardFn<T, L, A> =
    unsafe extern "C" fn(*const T, *const L, i64, i64, *const xent_options, *const A, *const A, *mut T) -> c_int;
pub type UnaryFn<T> = unsafe extern "C" fn(*const T, *mut T, i64) -> c_int;
pub type RowsFn<T, O> = unsafe extern "C" fn(*const T, i64, i64, *mut O) -> c_int;
pub type AxisFn<T> = unsafe extern "C" fn(*const T, i64, i64, i64, *mut T) -> c_int;
pub type PartialFn<T, A> = unsafe extern "C" fn(*const T, i64, i64, *mut A, *mut A) -> c_int;
pub type MergeFn<T> = unsafe extern "C" fn(*const T, *const T, i64, i64, *mut T) -> c_int;

/// The C functions of one element type `T` whose losses, dloss, lse and weights are `A`.
#[doc(hidden)]
pub struct Table<T: 'static, A: 'static> {
    pub sigmoid_ce: LossFn<T, T, A>,
    pub softmax_ce: LossFn<T, T, A>,
    pub binary_ce: LossFn<T, T, A>,
    pub categorical_ce: LossFn<T, T, A>,
    pub sparse_softmax_ce: (LossFn<T, i64, A>, LossFn<T, i32, A>),
    pub sparse_categorical_ce: (LossFn<T, i64, A>, LossFn<T, i32, A>),
    // The backward twins, in the same order.
    pub dense_backward: [BackwardFn<T, T, A>; 4], // sigmoid, softmax, binary, categorical
    pub sparse_softmax_ce_backward: (BackwardFn<T, i64, A>, BackwardFn<T, i32, A>),
    pub sparse_categorical_ce_backward: (BackwardFn<T, i64, A>, BackwardFn<T, i32, A>),
    pub nll_loss: (LossFn<T, i64, A>, LossFn<T, i32, A>),
    pub nll_loss_backward: (BackwardFn<T, i64, A>, BackwardFn<T, i32, A>),
    pub unary: [UnaryFn<T>; 6], // exp, log, log1p, sigmoid, softplus, log_sigmoid
    pub logsumexp: RowsFn<T, A>,
    pub rows: [RowsFn<T, T>; 2], // softmax, log_softmax
    pub lse_partial: PartialFn<T, A>,
}

/// The functions only f32 and f64 have.
#[doc(hidden)]
pub struct RealTable<T: 'static> {
    pub axis: [AxisFn<T>; 3], // logsumexp, softmax, log_softmax on the middle axis
    pub lse_merge: MergeFn<T>,
}

mod sealed {
    pub trait Sealed {}
    impl Sealed for f32 {}
    impl Sealed for f64 {}
    impl Sealed for super::Bf16 {}
    impl Sealed for super::F16 {}
    impl Sealed for i32 {}
    impl Sealed for i64 {}
}

/// `f32`, `f64`, [`Bf16`] or [`F16`]: the type of the input, soft targets, gradient and the
/// element-wise / softmax outputs of one call.
pub trait Float: Copy + Default + PartialEq + std::fmt::Debug + sealed::Sealed + 'static {
    /// The type of the losses, dloss, saved lse, logsumexp and lse partials, and of the option
    /// weights: the type itself for f32 and f64, f32 for the 16-bit types (whose math is f32).
    type Acc: Real;
    #[doc(hidden)]
    const C: Table<Self, Self::Acc>;
}

/// `f32` or `f64`: the types that also have the axis kernels and `lse_merge`.
pub trait Real: Float<Acc = Self> {
    #[doc(hidden)]
    const R: RealTable<Self>;
}

/// `i64` or `i32` class labels (the latter calls the `_i32` twins).
pub trait Label: Copy + sealed::Sealed + 'static {
    #[doc(hidden)]
    fn pick<T, A>(fns: (LossFn<T, i64, A>, LossFn<T, i32, A>)) -> LossFn<T, Self, A>;
    #[doc(hidden)]
    fn pick_backward<T, A>(fns: (BackwardFn<T, i64, A>, BackwardFn<T, i32, A>)) -> BackwardFn<T, Self, A>;
}

impl Label for i64 {
    fn pick<T, A>(fns: (LossFn<T, i64, A>, LossFn<T, i32, A>)) -> LossFn<T, i64, A> {
        fns.0
    }
    fn pick_backward<T, A>(fns: (BackwardFn<T, i64, A>, BackwardFn<T, i32, A>)) -> BackwardFn<T, i64, A> {
        fns.0
    }
}

impl Label for i32 {
    fn pick<T, A>(fns: (LossFn<T, i64, A>, LossFn<T, i32, A>)) -> LossFn<T, i32, A> {
        fns.1
    }
    fn pick_backward<T, A>(fns: (BackwardFn<T, i64, A>, BackwardFn<T, i32, A>)) -> BackwardFn<T, i32, A> {
        fns.1
    }
}

macro_rules! float {
    ($t:ty, $acc:ty: $sig:ident $soft:ident $bin:ident $cat:ident ($s64:ident $s32:ident) ($c64:ident $c32:ident)
     backward [$($dense_b:ident)+] ($sb64:ident $sb32:ident) ($cb64:ident $cb32:ident)
     nll ($n64:ident $n32:ident) ($nb64:ident $nb32:ident)
     [$($unary:ident)+] $lse:ident [$($rows:ident)+] $partial:ident) => {
        impl Float for $t {
            type Acc = $acc;
            const C: Table<$t, $acc> = Table {
                sigmoid_ce: ffi::$sig, softmax_ce: ffi::$soft, binary_ce: ffi::$bin, categorical_ce: ffi::$cat,
                sparse_softmax_ce: (ffi::$s64, ffi::$s32), sparse_categorical_ce: (ffi::$c64, ffi::$c32),
                dense_backward: [$(ffi::$dense_b),+], sparse_softmax_ce_backward: (ffi::$sb64, ffi::$sb32),
                sparse_categorical_ce_backward: (ffi::$cb64, ffi::$cb32),
                nll_loss: (ffi::$n64, ffi::$n32), nll_loss_backward: (ffi::$nb64, ffi::$nb32),
                unary: [$(ffi::$unary),+], logsumexp: ffi::$lse, rows: [$(ffi::$rows),+], lse_partial: ffi::$partial,
            };
        }
    };
}

macro_rules! real {
    ($t:ty: axis [$($axis:ident)+] $merge:ident) => {
        impl Real for $t {
            const R: RealTable<$t> = RealTable { axis: [$(ffi::$axis),+], lse_merge: ffi::$merge };
        }
    };
}

float!(f32, f32: xent_sigmoid_ce_with_logits_f32 xent_softmax_ce_with_logits_f32 xent_binary_ce_f32 xent_categorical_ce_f32
       (xent_sparse_softmax_ce_with_logits_f32 xent_sparse_softmax_ce_with_logits_f32_i32)
       (xent_sparse_categorical_ce_f32 xent_sparse_categorical_ce_f32_i32)
       backward [xent_sigmoid_ce_with_logits_backward_f32 xent_softmax_ce_with_logits_backward_f32
                 xent_binary_ce_backward_f32 xent_categorical_ce_backward_f32]
       (xent_sparse_softmax_ce_with_logits_backward_f32 xent_sparse_softmax_ce_with_logits_backward_f32_i32)
       (xent_sparse_categorical_ce_backward_f32 xent_sparse_categorical_ce_backward_f32_i32)
       nll (xent_nll_loss_f32 xent_nll_loss_f32_i32) (xent_nll_loss_backward_f32 xent_nll_loss_backward_f32_i32)
       [xent_exp_f32 xent_log_f32 xent_log1p_f32 xent_sigmoid_f32 xent_softplus_f32 xent_log_sigmoid_f32]
       xent_logsumexp_f32 [xent_softmax_f32 xent_log_softmax_f32] xent_lse_partial_f32);
float!(f64, f64: xent_sigmoid_ce_with_logits_f64 xent_softmax_ce_with_logits_f64 xent_binary_ce_f64 xent_categorical_ce_f64
       (xent_sparse_softmax_ce_with_logits_f64 xent_sparse_softmax_ce_with_logits_f64_i32)
       (xent_sparse_categorical_ce_f64 xent_sparse_categorical_ce_f64_i32)
       backward [xent_sigmoid_ce_with_logits_backward_f64 xent_softmax_ce_with_logits_backward_f64
                 xent_binary_ce_backward_f64 xent_categorical_ce_backward_f64]
       (xent_sparse_softmax_ce_with_logits_backward_f64 xent_sparse_softmax_ce_with_logits_backward_f64_i32)
       (xent_sparse_categorical_ce_backward_f64 xent_sparse_categorical_ce_backward_f64_i32)
       nll (xent_nll_loss_f64 xent_nll_loss_f64_i32) (xent_nll_loss_backward_f64 xent_nll_loss_backward_f64_i32)
       [xent_exp_f64 xent_log_f64 xent_log1p_f64 xent_sigmoid_f64 xent_softplus_f64 xent_log_sigmoid_f64]
       xent_logsumexp_f64 [xent_softmax_f64 xent_log_softmax_f64] xent_lse_partial_f64);
float!(Bf16, f32: xent_sigmoid_ce_with_logits_bf16 xent_softmax_ce_with_logits_bf16 xent_binary_ce_bf16 xent_categorical_ce_bf16
       (xent_sparse_softmax_ce_with_logits_bf16 xent_sparse_softmax_ce_with_logits_bf16_i32)
       (xent_sparse_categorical_ce_bf16 xent_sparse_categorical_ce_bf16_i32)
       backward [xent_sigmoid_ce_with_logits_backward_bf16 xent_softmax_ce_with_logits_backward_bf16
                 xent_binary_ce_backward_bf16 xent_categorical_ce_backward_bf16]
       (xent_sparse_softmax_ce_with_logits_backward_bf16 xent_sparse_softmax_ce_with_logits_backward_bf16_i32)
       (xent_sparse_categorical_ce_backward_bf16 xent_sparse_categorical_ce_backward_bf16_i32)
       nll (xent_nll_loss_bf16 xent_nll_loss_bf16_i32) (xent_nll_loss_backward_bf16 xent_nll_loss_backward_bf16_i32)
       [xent_exp_bf16 xent_log_bf16 xent_log1p_bf16 xent_sigmoid_bf16 xent_softplus_bf16 xent_log_sigmoid_bf16]
       xent_logsumexp_bf16 [xent_softmax_bf16 xent_log_softmax_bf16] xent_lse_partial_bf16);
float!(F16, f32: xent_sigmoid_ce_with_logits_f16 xent_softmax_ce_with_logits_f16 xent_binary_ce_f16 xent_categorical_ce_f16
       (xent_sparse_softmax_ce_with_logits_f16 xent_sparse_softmax_ce_with_logits_f16_i32)
       (xent_sparse_categorical_ce_f16 xent_sparse_categorical_ce_f16_i32)
       backward [xent_sigmoid_ce_with_logits_backward_f16 xent_softmax_ce_with_logits_backward_f16
                 xent_binary_ce_backward_f16 xent_categorical_ce_backward_f16]
       (xent_sparse_softmax_ce_with_logits_backward_f16 xent_sparse_softmax_ce_with_logits_backward_f16_i32)
       (xent_sparse_categorical_ce_backward_f16 xent_sparse_categorical_ce_backward_f16_i32)
       nll (xent_nll_loss_f16 xent_nll_loss_f16_i32) (xent_nll_loss_backward_f16 xent_nll_loss_backward_f16_i32)
       [xent_exp_f16 xent_log_f16 xent_log1p_f16 xent_sigmoid_f16 xent_softplus_f16 xent_log_sigmoid_f16]
       xent_logsumexp_f16 [xent_softmax_f16 xent_log_softmax_f16] xent_lse_partial_f16);
real!(f32: axis [xent_logsumexp_axis_f32 xent_softmax_axis_f32 xent_log_softmax_axis_f32] xent_lse_merge_f32);
real!(f64: axis [xent_logsumexp_axis_f64 xent_softmax_axis_f64 xent_log_softmax_axis_f64] xent_lse_merge_f64);
