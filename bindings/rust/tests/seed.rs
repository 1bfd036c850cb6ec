//! The seed articles' examples (references from the formulas in f64), errors, getters.
mod common;

use common::{assert_grad, assert_loss, lse, softmax};
use xent::{Options, Reduction, Status};

#[test]
fn sigmoid_ce_at_five_with_labels_one_zero_minus_one() {
    let x = [5.0f64; 3];
    let t = [1.0, 0.0, -1.0];
    let reference: Vec<f64> = t.iter().map(|t| 5.0 - 5.0 * t + (-5.0f64).exp().ln_1p()).collect();
    let mut loss = [0.0; 3];
    let mut grad = [0.0; 3];
    xent::sigmoid_ce_with_logits(&x, &t, 3, &Options::default(), &mut loss, Some(&mut grad)).unwrap();
    assert_loss(&loss, &reference, &x, 1e-11);
    let sig = 1.0 / (1.0 + (-5.0f64).exp());
    assert_grad(&grad, &t.map(|t| sig - t), 1e-11);

    let (x32, t32) = ([5.0f32; 3], [1.0f32, 0.0, -1.0]);
    let mut loss32 = [0.0f32; 3];
    xent::sigmoid_ce_with_logits(&x32, &t32, 3, &Options::default(), &mut loss32, None).unwrap();
    assert_loss(&loss32, &reference, &x32, 1e-5);
}

#[test]
fn softmax_ce_with_soft_labels() {
    let x = [-1.0f64, 1.0, -1.0, 1.0];
    let t = [1.0, -1.0, 1.0, 0.0];
    let l = lse(&[-1.0, 1.0]);
    let reference = [-(1.0 * (-1.0 - l) - (1.0 - l)), -(-1.0 - l)];
    let mut loss = [0.0; 2];
    xent::softmax_ce_with_logits(&x, &t, 2, &Options::default(), &mut loss, None).unwrap();
    assert_loss(&loss, &reference, &x, 1e-11);
}

#[test]
fn sparse_softmax_ce_three_rows_per_row_and_summed() {
    let x = [1.0f64, 2.0, 3.0, 1.0, 2.0, 3.0, 1.0, 2.0, 3.0];
    let per_row = lse(&[1.0, 2.0, 3.0]) - 3.0;
    let p = softmax(&[1.0, 2.0, 3.0]);
    let row_grad = [p[0], p[1], p[2] - 1.0];
    let grad_ref: Vec<f64> = row_grad.iter().cycle().take(9).cloned().collect();

    let mut loss = [0.0; 3];
    let mut grad = [0.0; 9];
    xent::sparse_softmax_ce_with_logits(&x, &[2i64, 2, 2], 3, &Options::default(), &mut loss, Some(&mut grad)).unwrap();
    assert_loss(&loss, &[per_row; 3], &x, 1e-11);
    assert_grad(&grad, &grad_ref, 1e-11);

    let sum = Options { reduction: Reduction::Sum, ..Options::default() };
    let mut total = [0.0];
    xent::sparse_softmax_ce_with_logits(&x, &[2i32, 2, 2], 3, &sum, &mut total, Some(&mut grad)).unwrap();
    assert_loss(&total, &[3.0 * per_row], &x, 1e-11);
    assert_grad(&grad, &grad_ref, 1e-11);

    let x32 = x.map(|v| v as f32);
    let mut total32 = [0.0f32];
    let sum32 = Options { reduction: Reduction::Sum, ..Options::default() };
    xent::sparse_softmax_ce_with_logits(&x32, &[2i64, 2, 2], 3, &sum32, &mut total32, None).unwrap();
    assert_loss(&total32, &[3.0 * per_row], &x32, 1e-5);
}

#[test]
fn label_out_of_range_is_an_error_with_message() {
    let x = [0.0f64; 9];
    let mut loss = [-1.0; 3];
    let err = xent::sparse_softmax_ce_with_logits(&x, &[2i64, 7, 0], 3, &Options::default(), &mut loss, None)
        .unwrap_err();
    assert_eq!(err.status, Status::LabelOutOfRange);
    assert!(err.message.contains("labels[1] = 7"), "{}", err.message);
    assert!(err.message.contains("[0, 3)"), "{}", err.message);
    assert!(err.to_string().contains(&err.message));
    assert_eq!(loss, [-1.0; 3], "no output is touched on error");
}

#[test]
fn bad_options_and_lengths_are_errors() {
    let x = [0.0f64; 6];
    let t = [0.0f64; 6];
    let mut loss = [0.0; 2];
    let smoothing = Options { label_smoothing: Some(1.5), ..Options::default() };
    let err = xent::softmax_ce_with_logits(&x, &t, 3, &smoothing, &mut loss, None).unwrap_err();
    assert_eq!(err.status, Status::InvalidArgument);
    assert!(err.message.starts_with("xent_softmax_ce_with_logits"), "{}", err.message);

    let pw = [1.0, 2.0, 3.0];
    let off_variant = Options { pos_weight: Some(&pw), ..Options::default() };
    let err = xent::softmax_ce_with_logits(&x, &t, 3, &off_variant, &mut loss, None).unwrap_err();
    assert_eq!(err.status, Status::InvalidArgument);

    let err = xent::softmax_ce_with_logits(&x, &t[..5], 3, &Options::default(), &mut loss, None).unwrap_err();
    assert_eq!(err.status, Status::InvalidShape);
    let err = xent::softmax_ce_with_logits(&x, &t, 0, &Options::default(), &mut loss, None).unwrap_err();
    assert_eq!(err.status, Status::InvalidShape);
    let err = xent::logsumexp(&x, 4, &mut loss).unwrap_err();
    assert_eq!(err.status, Status::InvalidShape);
}

#[test]
fn version_isa_and_threads() {
    assert_eq!(xent::version().split('.').count(), 3);
    assert!(["avx512", "avx2", "sse2", "neon", "scalar"].contains(&xent::simd_isa()));
    let default = xent::get_num_threads();
    assert!(default >= 1);
    xent::set_num_threads(1);
    assert_eq!(xent::get_num_threads(), 1);
    xent::set_num_threads(0);
    assert_eq!(xent::get_num_threads(), default);
}
