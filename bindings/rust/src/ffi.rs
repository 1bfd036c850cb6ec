//! Raw declarations of include/xent/xent.h. Prefer the safe functions of the crate root.
#![allow(non_camel_case_types)]

use std::os::raw::{c_char, c_int, c_void};

/// `xent_status`: 0 is `XENT_OK`; see [`crate::Status`] for the others.
pub type xent_status = c_int;

/// `XENT_NO_IGNORE`: the `ignore_index` that ignores no label.
pub const XENT_NO_IGNORE: i64 = i64::MIN;

/// `struct xent_bf16 { uint16_t bits; }`: [`crate::Bf16`] has its layout.
pub type xent_bf16 = crate::Bf16;
/// `struct xent_f16 { uint16_t bits; }`: [`crate::F16`] has its layout.
pub type xent_f16 = crate::F16;

/// `struct xent_options`; fill it with [`xent_options_init`].
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct xent_options {
    pub struct_size: usize,
    pub reduction: c_int,
    pub label_smoothing: f64,
    pub epsilon: f64,
    pub class_weights: *const c_void,
    pub pos_weight: *const c_void,
    pub sample_weights: *const c_void,
    pub ignore_index: i64,
    pub inner: i64,
    pub z_loss: f64,
    pub logit_softcap: f64,
    pub num_threads: c_int,
    // appended in 0.2
    pub lse_out: *mut c_void,
    pub focal_gamma: f64,
    pub focal_alpha: f64,
    pub poly_epsilon: f64,
}

macro_rules! losses {
    ($t:ty, $label:ty, $acc:ty: $($name:ident),+) => {
        extern "C" { $(
            pub fn $name(input: *const $t, targets: *const $label, batch: i64, classes: i64,
                         opts: *const xent_options, loss: *mut $acc, grad: *mut $t) -> xent_status;
        )+ }
    };
}

macro_rules! backward {
    ($t:ty, $label:ty, $acc:ty: $($name:ident),+) => {
        extern "C" { $(
            pub fn $name(input: *const $t, targets: *const $label, batch: i64, classes: i64,
                         opts: *const xent_options, dloss: *const $acc, lse: *const $acc, grad: *mut $t)
                         -> xent_status;
        )+ }
    };
}

/// Every loss of one element type `$t` (`$acc`: loss, dloss and lse) and suffix: forward and
/// backward, dense, and sparse with i64 and i32 labels.
macro_rules! all_losses {
    ($t:ty, $acc:ty: dense [$($dense:ident)+] [$($dense_b:ident)+] sparse64 [$($s64:ident)+] [$($sb64:ident)+]
     sparse32 [$($s32:ident)+] [$($sb32:ident)+]) => {
        losses!($t, $t, $acc: $($dense),+);
        backward!($t, $t, $acc: $($dense_b),+);
        losses!($t, i64, $acc: $($s64),+);
        backward!($t, i64, $acc: $($sb64),+);
        losses!($t, i32, $acc: $($s32),+);
        backward!($t, i32, $acc: $($sb32),+);
    };
}

all_losses!(f32, f32:
    dense [xent_sigmoid_ce_with_logits_f32 xent_softmax_ce_with_logits_f32 xent_binary_ce_f32 xent_categorical_ce_f32]
    [xent_sigmoid_ce_with_logits_backward_f32 xent_softmax_ce_with_logits_backward_f32 xent_binary_ce_backward_f32
     xent_categorical_ce_backward_f32]
    sparse64 [xent_sparse_softmax_ce_with_logits_f32 xent_sparse_categorical_ce_f32 xent_nll_loss_f32]
    [xent_sparse_softmax_ce_with_logits_backward_f32 xent_sparse_categorical_ce_backward_f32 xent_nll_loss_backward_f32]
    sparse32 [xent_sparse_softmax_ce_with_logits_f32_i32 xent_sparse_categorical_ce_f32_i32 xent_nll_loss_f32_i32]
    [xent_sparse_softmax_ce_with_logits_backward_f32_i32 xent_sparse_categorical_ce_backward_f32_i32
     xent_nll_loss_backward_f32_i32]);
all_losses!(f64, f64:
    dense [xent_sigmoid_ce_with_logits_f64 xent_softmax_ce_with_logits_f64 xent_binary_ce_f64 xent_categorical_ce_f64]
    [xent_sigmoid_ce_with_logits_backward_f64 xent_softmax_ce_with_logits_backward_f64 xent_binary_ce_backward_f64
     xent_categorical_ce_backward_f64]
    sparse64 [xent_sparse_softmax_ce_with_logits_f64 xent_sparse_categorical_ce_f64 xent_nll_loss_f64]
    [xent_sparse_softmax_ce_with_logits_backward_f64 xent_sparse_categorical_ce_backward_f64 xent_nll_loss_backward_f64]
    sparse32 [xent_sparse_softmax_ce_with_logits_f64_i32 xent_sparse_categorical_ce_f64_i32 xent_nll_loss_f64_i32]
    [xent_sparse_softmax_ce_with_logits_backward_f64_i32 xent_sparse_categorical_ce_backward_f64_i32
     xent_nll_loss_backward_f64_i32]);
all_losses!(xent_bf16, f32:
    dense [xent_sigmoid_ce_with_logits_bf16 xent_softmax_ce_with_logits_bf16 xent_binary_ce_bf16 xent_categorical_ce_bf16]
    [xent_sigmoid_ce_with_logits_backward_bf16 xent_softmax_ce_with_logits_backward_bf16 xent_binary_ce_backward_bf16
     xent_categorical_ce_backward_bf16]
    sparse64 [xent_sparse_softmax_ce_with_logits_bf16 xent_sparse_categorical_ce_bf16 xent_nll_loss_bf16]
    [xent_sparse_softmax_ce_with_logits_backward_bf16 xent_sparse_categorical_ce_backward_bf16 xent_nll_loss_backward_bf16]
    sparse32 [xent_sparse_softmax_ce_with_logits_bf16_i32 xent_sparse_categorical_ce_bf16_i32 xent_nll_loss_bf16_i32]
    [xent_sparse_softmax_ce_with_logits_backward_bf16_i32 xent_sparse_categorical_ce_backward_bf16_i32
     xent_nll_loss_backward_bf16_i32]);
all_losses!(xent_f16, f32:
    dense [xent_sigmoid_ce_with_logits_f16 xent_softmax_ce_with_logits_f16 xent_binary_ce_f16 xent_categorical_ce_f16]
    [xent_sigmoid_ce_with_logits_backward_f16 xent_softmax_ce_with_logits_backward_f16 xent_binary_ce_backward_f16
     xent_categorical_ce_backward_f16]
    sparse64 [xent_sparse_softmax_ce_with_logits_f16 xent_sparse_categorical_ce_f16 xent_nll_loss_f16]
    [xent_sparse_softmax_ce_with_logits_backward_f16 xent_sparse_categorical_ce_backward_f16 xent_nll_loss_backward_f16]
    sparse32 [xent_sparse_softmax_ce_with_logits_f16_i32 xent_sparse_categorical_ce_f16_i32 xent_nll_loss_f16_i32]
    [xent_sparse_softmax_ce_with_logits_backward_f16_i32 xent_sparse_categorical_ce_backward_f16_i32
     xent_nll_loss_backward_f16_i32]);

macro_rules! axis {
    ($t:ty: $($rows:ident),+; $partial:ident) => {
        extern "C" {
            $(pub fn $rows(x: *const $t, outer: i64, cols: i64, inner: i64, out: *mut $t) -> xent_status;)+
            pub fn $partial(x: *const $t, outer: i64, cols: i64, inner: i64, max_out: *mut $t,
                            sum_out: *mut $t) -> xent_status;
        }
    };
}

axis!(f32: xent_logsumexp_axis_f32, xent_softmax_axis_f32, xent_log_softmax_axis_f32; xent_lse_partial_axis_f32);
axis!(f64: xent_logsumexp_axis_f64, xent_softmax_axis_f64, xent_log_softmax_axis_f64; xent_lse_partial_axis_f64);

/// The kernels of element type `$t`; logsumexp and the lse partials are `$acc`.
macro_rules! kernels {
    ($t:ty, $acc:ty: unary $($unary:ident),+; lse $lse:ident; rows $($rows:ident),+; partial $partial:ident) => {
        extern "C" {
            $(pub fn $unary(x: *const $t, y: *mut $t, n: i64) -> xent_status;)+
            pub fn $lse(x: *const $t, rows: i64, cols: i64, out: *mut $acc) -> xent_status;
            $(pub fn $rows(x: *const $t, rows: i64, cols: i64, y: *mut $t) -> xent_status;)+
            pub fn $partial(x: *const $t, rows: i64, cols: i64, max_out: *mut $acc, sum_out: *mut $acc)
                            -> xent_status;
        }
    };
}

kernels!(f32, f32: unary xent_exp_f32, xent_log_f32, xent_log1p_f32, xent_sigmoid_f32, xent_softplus_f32,
         xent_log_sigmoid_f32; lse xent_logsumexp_f32; rows xent_softmax_f32, xent_log_softmax_f32;
         partial xent_lse_partial_f32);
kernels!(f64, f64: unary xent_exp_f64, xent_log_f64, xent_log1p_f64, xent_sigmoid_f64, xent_softplus_f64,
         xent_log_sigmoid_f64; lse xent_logsumexp_f64; rows xent_softmax_f64, xent_log_softmax_f64;
         partial xent_lse_partial_f64);
kernels!(xent_bf16, f32: unary xent_exp_bf16, xent_log_bf16, xent_log1p_bf16, xent_sigmoid_bf16, xent_softplus_bf16,
         xent_log_sigmoid_bf16; lse xent_logsumexp_bf16; rows xent_softmax_bf16, xent_log_softmax_bf16;
         partial xent_lse_partial_bf16);
kernels!(xent_f16, f32: unary xent_exp_f16, xent_log_f16, xent_log1p_f16, xent_sigmoid_f16, xent_softplus_f16,
         xent_log_sigmoid_f16; lse xent_logsumexp_f16; rows xent_softmax_f16, xent_log_softmax_f16;
         partial xent_lse_partial_f16);

extern "C" {
    pub fn xent_lse_merge_f32(max: *const f32, sum: *const f32, parts: i64, rows: i64, lse: *mut f32) -> xent_status;
    pub fn xent_lse_merge_f64(max: *const f64, sum: *const f64, parts: i64, rows: i64, lse: *mut f64) -> xent_status;
}

extern "C" {
    pub fn xent_status_string(status: xent_status) -> *const c_char;
    pub fn xent_last_error() -> *const c_char;
    pub fn xent_options_init(options: *mut xent_options);
    pub fn xent_version() -> *const c_char;
    pub fn xent_simd_isa() -> *const c_char;
    pub fn xent_set_num_threads(n: c_int);
    pub fn xent_get_num_threads() -> c_int;
}
