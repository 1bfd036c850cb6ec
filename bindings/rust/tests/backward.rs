//! The backward calls: dloss times the fused gradient (bit for bit without lse), the saved lse,
//! the focal options, and argument errors.
mod common;

use common::{assert_grad, lse, softmax};
use xent::{Options, Reduction, Status};

#[test]
fn backward_is_dloss_times_the_fused_gradient() {
    let x = [1.0f64, 2.0, 3.0, -1.0, 0.5, 4.0];
    let labels = [2i64, 0];
    let dloss = [0.5, -2.0];
    let opts = Options::default();
    let (mut loss, mut fused, mut lse_out) = ([0.0; 2], [0.0; 6], [0.0; 2]);
    xent::sparse_softmax_ce_with_logits_lse(&x, &labels, 3, &opts, &mut loss, Some(&mut fused), &mut lse_out).unwrap();
    assert!((lse_out[0] - lse(&[1.0, 2.0, 3.0])).abs() < 1e-12);
    assert!((lse_out[1] - lse(&[-1.0, 0.5, 4.0])).abs() < 1e-12);
    let mut grad = [0.0; 6];
    xent::sparse_softmax_ce_with_logits_backward(&x, &labels, 3, &opts, &dloss, None, &mut grad).unwrap();
    for i in 0..6 {
        assert_eq!(grad[i].to_bits(), (dloss[i / 3] * fused[i]).to_bits());
    }
    let mut with_lse = [0.0; 6];
    xent::sparse_softmax_ce_with_logits_backward(&x, &labels, 3, &opts, &dloss, Some(&lse_out), &mut with_lse).unwrap();
    let p = softmax(&[-1.0, 0.5, 4.0]);
    let want: Vec<f64> = (0..3).map(|c| -2.0 * (p[c] - if c == 0 { 1.0 } else { 0.0 })).collect();
    assert_grad(&with_lse[3..], &want, 1e-11);
}

#[test]
fn backward_sum_takes_one_scalar_and_checks_lengths() {
    let x = [0.3f32, -0.7, 2.0, 1.0];
    let t = [1.0f32, 0.0, 1.0, 0.5];
    let opts = Options { reduction: Reduction::Sum, focal_gamma: Some(2.0), focal_alpha: Some(0.25), ..Default::default() };
    let mut grad = [0.0f32; 4];
    xent::sigmoid_ce_with_logits_backward(&x, &t, 2, &opts, &[3.0], None, &mut grad).unwrap();
    let mut fused = [0.0f32; 4];
    let mut loss = [0.0f32];
    xent::sigmoid_ce_with_logits(&x, &t, 2, &opts, &mut loss, Some(&mut fused)).unwrap();
    for i in 0..4 {
        assert_eq!(grad[i].to_bits(), (3.0 * fused[i]).to_bits());
    }
    let err = xent::sigmoid_ce_with_logits_backward(&x, &t, 2, &opts, &[1.0, 2.0], None, &mut grad).unwrap_err();
    assert_eq!(err.status, Status::InvalidShape);
    let err = xent::binary_ce_backward(&[0.5f32], &[1.0], 1, &Options::default(), &[1.0], Some(&[0.0]), &mut [0.0])
        .unwrap_err();
    assert_eq!(err.status, Status::InvalidArgument);
}

#[test]
fn nll_loss_of_log_softmax_is_the_sparse_loss_and_axis_softmax_sums_to_one() {
    let x = [1.0f64, 2.0, 3.0, -1.0, 0.5, 4.0];
    let mut lp = [0.0; 6];
    xent::log_softmax(&x, 3, &mut lp).unwrap();
    let labels = [2i64, 0];
    let (mut nll, mut ce) = ([0.0; 2], [0.0; 2]);
    xent::nll_loss(&lp, &labels, 3, &Options::default(), &mut nll, None).unwrap();
    xent::sparse_softmax_ce_with_logits(&x, &labels, 3, &Options::default(), &mut ce, None).unwrap();
    for i in 0..2 {
        assert!((nll[i] - ce[i]).abs() < 1e-12);
    }
    // (1, 3, 2): classes on the middle axis.
    let mut y = [0.0; 6];
    xent::softmax_axis(&x, 3, 2, &mut y).unwrap();
    for i in 0..2 {
        let total: f64 = (0..3).map(|c| y[c * 2 + i]).sum();
        assert!((total - 1.0).abs() < 1e-15);
    }
}
