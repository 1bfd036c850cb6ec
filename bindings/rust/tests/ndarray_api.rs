//! xent::nd (feature `ndarray`): the same bits as the slice API on standard and on
//! non-standard layouts (copied first), an f64 reference, and its shape errors.
#![cfg(feature = "ndarray")]
mod common;

use common::{assert_grad, assert_loss, lse, softmax, values};
use ndarray::{s, Array1, Array2, Array3, Axis};
use xent::{nd, Bf16, Options, Reduction, Status};

fn logits(b: usize, c: usize, seed: u64) -> Array2<f64> {
    Array2::from_shape_vec((b, c), values(b * c, -5.0, 5.0, seed)).unwrap()
}

fn bits(a: &[f64]) -> Vec<u64> {
    a.iter().map(|v| v.to_bits()).collect()
}

#[test]
fn sparse_softmax_matches_the_slice_api_and_the_reference_on_any_layout() {
    let (b, c) = (6, 5);
    let x = logits(b, c, 1);
    let labels = Array1::from(vec![0i64, 4, 2, 1, 3, 0]);
    let opts = Options::default();
    let out = nd::sparse_softmax_ce_with_logits(x.view(), labels.view(), &opts, true).unwrap();
    let (mut loss, mut grad) = (vec![0.0; b], vec![0.0; b * c]);
    xent::sparse_softmax_ce_with_logits(x.as_slice().unwrap(), labels.as_slice().unwrap(), c, &opts, &mut loss,
                                        Some(&mut grad)).unwrap();
    assert_eq!(bits(out.loss.as_slice().unwrap()), bits(&loss));
    let g = out.grad.unwrap();
    assert_eq!(g.dim(), (b, c));
    assert_eq!(bits(g.as_slice().unwrap()), bits(&grad));

    // f64 reference
    let mut reference = vec![];
    let mut grad_ref = vec![];
    for (i, row) in x.rows().into_iter().enumerate() {
        let r = row.to_vec();
        reference.push(lse(&r) - r[labels[i] as usize]);
        let p = softmax(&r);
        grad_ref.extend((0..c).map(|k| p[k] - f64::from(u8::from(k == labels[i] as usize))));
    }
    assert_loss(out.loss.as_slice().unwrap(), &reference, x.as_slice().unwrap(), 1e-11);
    assert_grad(g.as_slice().unwrap(), &grad_ref, 1e-11);

    // The same logits as a transpose of a (C, B) array, and as every other row of a (2B, C)
    // array with negative-stride labels: copied to row-major, the same bits.
    let xt = x.t().as_standard_layout().into_owned(); // (C, B), row-major
    let transposed = xt.t(); // (B, C) view, column-major
    assert!(!transposed.is_standard_layout());
    let out_t = nd::sparse_softmax_ce_with_logits(transposed, labels.view(), &opts, true).unwrap();
    assert_eq!(bits(out_t.loss.as_slice().unwrap()), bits(&loss));
    assert_eq!(bits(out_t.grad.unwrap().as_slice().unwrap()), bits(&grad));
    let mut tall = Array2::<f64>::zeros((2 * b, c));
    tall.slice_mut(s![..;2, ..]).assign(&x);
    let reversed: Array1<i32> = labels.iter().rev().map(|&l| l as i32).collect();
    let out_s = nd::sparse_softmax_ce_with_logits(tall.slice(s![..;2, ..]), reversed.slice(s![..;-1]), &opts, false)
        .unwrap();
    assert_eq!(bits(out_s.loss.as_slice().unwrap()), bits(&loss));
    assert!(out_s.grad.is_none());
}

#[test]
fn dense_losses_and_backward_match_the_slice_api() {
    let (b, c) = (4, 3);
    let x = logits(b, c, 2);
    let t = Array2::from_shape_vec((b, c), values(b * c, 0.0, 1.0, 3)).unwrap();
    let xs = x.as_slice().unwrap();
    let ts = t.as_slice().unwrap();
    let sum = Options { reduction: Reduction::Sum, ..Options::default() };
    for opts in [Options::default(), sum] {
        let n = if opts.reduction == Reduction::None { b } else { 1 };
        let (out, lse_nd) = nd::softmax_ce_with_logits_lse(x.view(), t.t().t(), &opts, true).unwrap();
        let (mut loss, mut grad, mut lse_s) = (vec![0.0; n], vec![0.0; b * c], vec![0.0; b]);
        xent::softmax_ce_with_logits_lse(xs, ts, c, &opts, &mut loss, Some(&mut grad), &mut lse_s).unwrap();
        assert_eq!(bits(out.loss.as_slice().unwrap()), bits(&loss));
        assert_eq!(bits(out.grad.unwrap().as_slice().unwrap()), bits(&grad));
        assert_eq!(bits(lse_nd.as_slice().unwrap()), bits(&lse_s));
        let dloss = Array1::from_shape_fn(n, |i| 0.5 + i as f64);
        let g = nd::softmax_ce_with_logits_backward(x.view(), t.view(), &opts, dloss.view(), Some(lse_nd.view()))
            .unwrap();
        let mut g_s = vec![0.0; b * c];
        xent::softmax_ce_with_logits_backward(xs, ts, c, &opts, dloss.as_slice().unwrap(), Some(&lse_s), &mut g_s)
            .unwrap();
        assert_eq!(bits(g.as_slice().unwrap()), bits(&g_s));

        // element-wise: B*C losses under None
        let m = if opts.reduction == Reduction::None { b * c } else { 1 };
        let out = nd::sigmoid_ce_with_logits(x.view(), t.view(), &opts, true).unwrap();
        let (mut loss, mut grad) = (vec![0.0; m], vec![0.0; b * c]);
        xent::sigmoid_ce_with_logits(xs, ts, c, &opts, &mut loss, Some(&mut grad)).unwrap();
        assert_eq!(bits(out.loss.as_slice().unwrap()), bits(&loss));
        assert_eq!(bits(out.grad.unwrap().as_slice().unwrap()), bits(&grad));
    }
    // f64 reference of softmax CE with soft labels
    let out = nd::softmax_ce_with_logits(x.view(), t.view(), &Options::default(), false).unwrap();
    let reference: Vec<f64> = x.rows().into_iter().zip(t.rows()).map(|(r, tr)| {
        let r = r.to_vec();
        (0..c).map(|k| tr[k] * (lse(&r) - r[k])).sum()
    }).collect();
    assert_loss(out.loss.as_slice().unwrap(), &reference, xs, 1e-11);
}

#[test]
fn softmax_family_rows_and_any_axis() {
    let x = logits(3, 4, 4);
    let p = nd::softmax(x.view()).unwrap();
    let lp = nd::log_softmax(x.view()).unwrap();
    let l = nd::logsumexp(x.view()).unwrap();
    for (i, row) in x.rows().into_iter().enumerate() {
        let r = row.to_vec();
        assert_grad(p.row(i).as_slice().unwrap(), &softmax(&r), 1e-14);
        assert!((l[i] - lse(&r)).abs() < 1e-13);
        for k in 0..4 {
            assert!((lp[[i, k]] - (r[k] - lse(&r))).abs() < 1e-13);
        }
    }
    // rows of a transposed view = columns of x; the axis-0 softmax of x is its transpose
    let pt = nd::softmax(x.t()).unwrap();
    let p0 = nd::softmax_axis(x.view(), Axis(0)).unwrap();
    assert_eq!(p0.dim(), (3, 4));
    for i in 0..3 {
        for k in 0..4 {
            assert!((p0[[i, k]] - pt[[k, i]]).abs() < 1e-15);
        }
    }
    // (2, 3, 4) along the middle axis, against the reference per (o, i) line
    let x3 = Array3::from_shape_vec((2, 3, 4), values(24, -8.0, 8.0, 5)).unwrap();
    let y = nd::log_softmax_axis(x3.view(), Axis(1)).unwrap();
    let l3 = nd::logsumexp_axis(x3.view(), Axis(1)).unwrap();
    assert_eq!(l3.dim(), (2, 4));
    for o in 0..2 {
        for i in 0..4 {
            let line: Vec<f64> = (0..3).map(|c| x3[[o, c, i]]).collect();
            assert!((l3[[o, i]] - lse(&line)).abs() < 1e-13);
            for c in 0..3 {
                assert!((y[[o, c, i]] - (line[c] - lse(&line))).abs() < 1e-13);
            }
        }
    }
    // the f32 kernels, and a permuted (non-standard) 3-D view
    let x32 = x3.mapv(|v| v as f32);
    let perm = x32.view().permuted_axes([2, 0, 1]); // (4, 2, 3)
    let s32 = nd::softmax_axis(perm, Axis(2)).unwrap();
    for a in 0..4 {
        for o in 0..2 {
            let total: f32 = (0..3).map(|c| s32[[a, o, c]]).sum();
            assert!((total - 1.0).abs() < 1e-6);
        }
    }
}

#[test]
fn sixteen_bit_through_nd_and_errors() {
    let x = logits(2, 3, 6).mapv(|v| Bf16::from_f32(v as f32));
    let labels = Array1::from(vec![1i32, 2]);
    let out = nd::sparse_softmax_ce_with_logits(x.view(), labels.view(), &Options::default(), true).unwrap();
    let mut loss = [0f32; 2];
    xent::sparse_softmax_ce_with_logits(x.as_slice().unwrap(), labels.as_slice().unwrap(), 3, &Options::default(),
                                        &mut loss, None).unwrap();
    assert_eq!(out.loss.to_vec(), loss.to_vec());
    assert_eq!(nd::logsumexp(x.view()).unwrap().len(), 2);

    let x = logits(2, 3, 7);
    let err = nd::sparse_softmax_ce_with_logits(x.view(), Array1::from(vec![0i64; 3]).view(), &Options::default(),
                                                false).unwrap_err();
    assert_eq!(err.status, Status::InvalidShape);
    assert!(err.message.contains("labels have shape [3], expected [2]"), "{}", err.message);
    let err = nd::softmax_ce_with_logits(x.view(), x.t(), &Options::default(), false).unwrap_err();
    assert_eq!(err.status, Status::InvalidShape);
    let inner = Options { inner: 3, ..Options::default() };
    let err = nd::softmax_ce_with_logits(x.view(), x.view(), &inner, false).unwrap_err();
    assert_eq!(err.status, Status::InvalidArgument);
    let err = nd::softmax_axis(x.view(), Axis(2)).unwrap_err();
    assert_eq!(err.status, Status::InvalidArgument);
    let err = nd::sparse_softmax_ce_with_logits(x.view(), Array1::from(vec![0i64, 3]).view(), &Options::default(),
                                                false).unwrap_err();
    assert_eq!(err.status, Status::LabelOutOfRange);
}
