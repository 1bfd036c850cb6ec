//! Raw declarations of include/xent/xent.h. Prefer the safe functions of the crate root.
#![allow(non_camel_case_types)]

use std::os::raw::{c_char, c_int, c_void};

/// `xent_status`: 0 is `XENT_OK`; see [`crate::Status`] for the others.
pub type xent_status = c_int;

/// `XENT_NO_IGNORE`: the `ignore_index` that ignores no label.
pub const XENT_NO_IGNORE: i64 = i64::MIN;

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
    ($t:ty, $label:ty: $($name:ident),+) => {
        extern "C" { $(
            pub fn $name(input: *const $t, targets: *const $label, batch: i64, classes: i64,
                         opts: *const xent_options, loss: *mut $t, grad: *mut $t) -> xent_status;
        )+ }
    };
}

losses!(f32, f32: xent_sigmoid_ce_with_logits_f32, xent_softmax_ce_with_logits_f32, xent_binary_ce_f32,
        xent_categorical_ce_f32);
losses!(f64, f64: xent_sigmoid_ce_with_logits_f64, xent_softmax_ce_with_logits_f64, xent_binary_ce_f64,
        xent_categorical_ce_f64);
losses!(f32, i64: xent_sparse_softmax_ce_with_logits_f32, xent_sparse_categorical_ce_f32, xent_nll_loss_f32);
losses!(f64, i64: xent_sparse_softmax_ce_with_logits_f64, xent_sparse_categorical_ce_f64, xent_nll_loss_f64);
losses!(f32, i32: xent_sparse_softmax_ce_with_logits_f32_i32, xent_sparse_categorical_ce_f32_i32, xent_nll_loss_f32_i32);
losses!(f64, i32: xent_sparse_softmax_ce_with_logits_f64_i32, xent_sparse_categorical_ce_f64_i32, xent_nll_loss_f64_i32);

macro_rules! backward {
    ($t:ty, $label:ty: $($name:ident),+) => {
        extern "C" { $(
            pub fn $name(input: *const $t, targets: *const $label, batch: i64, classes: i64,
                         opts: *const xent_options, dloss: *const $t, lse: *const $t, grad: *mut $t) -> xent_status;
        )+ }
    };
}

backward!(f32, f32: xent_sigmoid_ce_with_logits_backward_f32, xent_softmax_ce_with_logits_backward_f32,
          xent_binary_ce_backward_f32, xent_categorical_ce_backward_f32);
backward!(f64, f64: xent_sigmoid_ce_with_logits_backward_f64, xent_softmax_ce_with_logits_backward_f64,
          xent_binary_ce_backward_f64, xent_categorical_ce_backward_f64);
backward!(f32, i64: xent_sparse_softmax_ce_with_logits_backward_f32, xent_sparse_categorical_ce_backward_f32,
          xent_nll_loss_backward_f32);
backward!(f64, i64: xent_sparse_softmax_ce_with_logits_backward_f64, xent_sparse_categorical_ce_backward_f64,
          xent_nll_loss_backward_f64);
backward!(f32, i32: xent_sparse_softmax_ce_with_logits_backward_f32_i32, xent_sparse_categorical_ce_backward_f32_i32,
          xent_nll_loss_backward_f32_i32);
backward!(f64, i32: xent_sparse_softmax_ce_with_logits_backward_f64_i32, xent_sparse_categorical_ce_backward_f64_i32,
          xent_nll_loss_backward_f64_i32);

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

macro_rules! kernels {
    ($t:ty: unary $($unary:ident),+; rows $($rows:ident),+; $partial:ident, $merge:ident) => {
        extern "C" {
            $(pub fn $unary(x: *const $t, y: *mut $t, n: i64) -> xent_status;)+
            $(pub fn $rows(x: *const $t, rows: i64, cols: i64, out: *mut $t) -> xent_status;)+
            pub fn $partial(x: *const $t, rows: i64, cols: i64, max_out: *mut $t, sum_out: *mut $t) -> xent_status;
            pub fn $merge(max: *const $t, sum: *const $t, parts: i64, rows: i64, lse: *mut $t) -> xent_status;
        }
    };
}

kernels!(f32: unary xent_exp_f32, xent_log_f32, xent_log1p_f32, xent_sigmoid_f32, xent_softplus_f32,
         xent_log_sigmoid_f32; rows xent_logsumexp_f32, xent_softmax_f32, xent_log_softmax_f32;
         xent_lse_partial_f32, xent_lse_merge_f32);
kernels!(f64: unary xent_exp_f64, xent_log_f64, xent_log1p_f64, xent_sigmoid_f64, xent_softplus_f64,
         xent_log_sigmoid_f64; rows xent_logsumexp_f64, xent_softmax_f64, xent_log_softmax_f64;
         xent_lse_partial_f64, xent_lse_merge_f64);

extern "C" {
    pub fn xent_status_string(status: xent_status) -> *const c_char;
    pub fn xent_last_error() -> *const c_char;
    pub fn xent_options_init(options: *mut xent_options);
    pub fn xent_version() -> *const c_char;
    pub fn xent_simd_isa() -> *const c_char;
    pub fn xent_set_num_threads(n: c_int);
    pub fn xent_get_num_threads() -> c_int;
}
