//! Cross-checks in f64 against the per-sample formulas of docs/SEMANTICS.md.
mod common;

use common::{assert_grad, assert_loss, lse, softmax, values};
use xent::{Options, Reduction};

const RTOL: f64 = 1e-11;

#[test]
fn sparse_softmax_weights_smoothing_ignore_mean() {
    let (b, c, s) = (4, 3, 0.2);
    let x = values(b * c, -4.0, 4.0, 1);
    let labels = [2i64, -100, 0, 1];
    let cw = [0.5, 1.5, 2.0];
    let sw = [1.0, 3.0, 0.5, 2.0];
    let opts = Options { reduction: Reduction::Mean, label_smoothing: Some(s), ignore_index: Some(-100),
                         class_weights: Some(&cw), sample_weights: Some(&sw), ..Options::default() };
    let (mut total, mut denominator) = (0.0, 0.0);
    let mut grad_ref = vec![0.0; b * c];
    for (i, &label) in labels.iter().enumerate().filter(|(_, &l)| l != -100) {
        let row = &x[i * c..(i + 1) * c];
        let p = softmax(row);
        let t: Vec<f64> = (0..c).map(|k| (1.0 - s) * f64::from(u8::from(k == label as usize)) + s / c as f64).collect();
        let coef: f64 = (0..c).map(|k| cw[k] * t[k]).sum();
        total += sw[i] * (0..c).map(|k| cw[k] * t[k] * (lse(row) - row[k])).sum::<f64>();
        denominator += cw[label as usize] * sw[i];
        for k in 0..c {
            grad_ref[i * c + k] = sw[i] * (coef * p[k] - cw[k] * t[k]);
        }
    }
    grad_ref.iter_mut().for_each(|g| *g /= denominator);
    let mut loss = [0.0];
    let mut grad = vec![1.0; b * c];
    xent::sparse_softmax_ce_with_logits(&x, &labels, c, &opts, &mut loss, Some(&mut grad)).unwrap();
    assert_loss(&loss, &[total / denominator], &x, RTOL);
    assert_grad(&grad, &grad_ref, RTOL);
    assert!(grad[3..6].iter().all(|&g| g == 0.0), "an ignored sample has gradient 0");
}

#[test]
fn softmax_with_z_loss_and_softcap() {
    let (b, c, z, cap) = (3, 5, 0.1, 2.5);
    let x = values(b * c, -6.0, 6.0, 2);
    let t = values(b * c, 0.0, 1.0, 3);
    let opts = Options { z_loss: Some(z), logit_softcap: Some(cap), ..Options::default() };
    let (mut loss_ref, mut grad_ref) = (vec![], vec![]);
    for i in 0..b {
        let y: Vec<f64> = x[i * c..(i + 1) * c].iter().map(|v| cap * (v / cap).tanh()).collect();
        let ti = &t[i * c..(i + 1) * c];
        let (l, p) = (lse(&y), softmax(&y));
        let tsum: f64 = ti.iter().sum();
        loss_ref.push((0..c).map(|k| ti[k] * (l - y[k])).sum::<f64>() + z * l * l);
        grad_ref.extend((0..c).map(|k| ((tsum + 2.0 * z * l) * p[k] - ti[k]) * (1.0 - (y[k] / cap).powi(2))));
    }
    let mut loss = vec![0.0; b];
    let mut grad = vec![0.0; b * c];
    xent::softmax_ce_with_logits(&x, &t, c, &opts, &mut loss, Some(&mut grad)).unwrap();
    assert_loss(&loss, &loss_ref, &x, RTOL);
    assert_grad(&grad, &grad_ref, RTOL);
}

#[test]
fn sigmoid_with_pos_weight_on_inner_layout() {
    let (b, c, k) = (2, 3, 2);
    let x = values(b * c * k, -5.0, 5.0, 4);
    let t = values(b * c * k, 0.0, 1.0, 5);
    let pw = [0.5, 2.0, 4.0];
    let opts = Options { pos_weight: Some(&pw), inner: k, reduction: Reduction::Sum, ..Options::default() };
    let softplus = |v: f64| v.max(0.0) + (-v.abs()).exp().ln_1p();
    let (mut total, mut grad_ref) = (0.0, vec![]);
    for (e, (&xv, &tv)) in x.iter().zip(&t).enumerate() {
        let p = pw[(e / k) % c];
        total += (1.0 - tv) * softplus(xv) + p * tv * softplus(-xv);
        grad_ref.push((1.0 + (p - 1.0) * tv) / (1.0 + (-xv).exp()) - p * tv);
    }
    let mut loss = [0.0];
    let mut grad = vec![0.0; x.len()];
    xent::sigmoid_ce_with_logits(&x, &t, c, &opts, &mut loss, Some(&mut grad)).unwrap();
    assert_loss(&loss, &[total], &x, RTOL);
    assert_grad(&grad, &grad_ref, RTOL);
}

#[test]
fn binary_ce_clips_and_passes_no_gradient_when_clipped() {
    let eps = 1e-3;
    let p = [0.0, 0.3, 0.9999, 1.0, 0.5, 1e-9];
    let t = [0.0, 1.0, 0.2, 1.0, 0.7, 0.5];
    let opts = Options { epsilon: Some(eps), ..Options::default() };
    let clip = |v: f64| v.clamp(eps, 1.0 - eps);
    let loss_ref: Vec<f64> = p.iter().zip(&t).map(|(&p, &t)| -(t * clip(p).ln() + (1.0 - t) * clip(1.0 - p).ln())).collect();
    let grad_ref: Vec<f64> = p.iter().zip(&t)
        .map(|(&p, &t)| if (eps..=1.0 - eps).contains(&p) { -(t / p - (1.0 - t) / (1.0 - p)) } else { 0.0 }).collect();
    let mut loss = [0.0; 6];
    let mut grad = [0.0; 6];
    xent::binary_ce(&p, &t, 2, &opts, &mut loss, Some(&mut grad)).unwrap();
    assert_loss(&loss, &loss_ref, &p, RTOL);
    assert_grad(&grad, &grad_ref, RTOL);
}

/// q = clip(p / sum p), the per-sample loss and gradient of categorical CE for target t.
fn categorical_reference(p: &[f64], t: &[f64], eps: f64) -> (f64, Vec<f64>) {
    let s: f64 = p.iter().sum();
    let u: Vec<f64> = p.iter().map(|v| v / s).collect();
    let loss = (0..p.len()).map(|c| -t[c] * u[c].clamp(eps, 1.0 - eps).ln()).sum();
    let g: Vec<f64> = (0..p.len()).map(|c| if (eps..=1.0 - eps).contains(&u[c]) { -t[c] / u[c] } else { 0.0 }).collect();
    let gu: f64 = g.iter().zip(&u).map(|(g, u)| g * u).sum();
    (loss, g.iter().map(|g| (g - gu) / s).collect())
}

#[test]
fn categorical_gradient_flows_through_normalization() {
    let (b, c) = (3, 4);
    let mut p = values(b * c, 0.0, 2.0, 6);
    p[5] = 0.0;
    let t = values(b * c, 0.0, 1.0, 7);
    let (mut loss_ref, mut grad_ref) = (vec![], vec![]);
    for i in 0..b {
        let (l, g) = categorical_reference(&p[i * c..(i + 1) * c], &t[i * c..(i + 1) * c], 1e-7);
        loss_ref.push(l);
        grad_ref.extend(g);
    }
    let mut loss = vec![0.0; b];
    let mut grad = vec![0.0; b * c];
    xent::categorical_ce(&p, &t, c, &Options::default(), &mut loss, Some(&mut grad)).unwrap();
    assert_loss(&loss, &loss_ref, &p, RTOL);
    assert_grad(&grad, &grad_ref, RTOL);

    let labels = [3i32, 0, 1];
    let mut sparse = vec![0.0; b];
    xent::sparse_categorical_ce(&p, &labels, c, &Options::default(), &mut sparse, None).unwrap();
    for (i, &label) in labels.iter().enumerate() {
        let onehot: Vec<f64> = (0..c).map(|k| f64::from(u8::from(k == label as usize))).collect();
        assert_loss(&sparse[i..=i], &[categorical_reference(&p[i * c..(i + 1) * c], &onehot, 1e-7).0], &p, RTOL);
    }
}

#[test]
fn sparse_softmax_on_inner_layout_matches_transposed_rows() {
    let (b, c, k) = (2, 3, 4);
    let x = values(b * c * k, -3.0, 3.0, 8);
    let labels = [0i64, 1, 2, 1, 2, 0, 0, 1];
    let mut loss = vec![0.0; b * k];
    xent::sparse_softmax_ce_with_logits(&x, &labels, c, &Options { inner: k, ..Options::default() }, &mut loss, None)
        .unwrap();
    let reference: Vec<f64> = (0..b * k).map(|s| {
        let row: Vec<f64> = (0..c).map(|cls| x[(s / k) * c * k + cls * k + s % k]).collect();
        lse(&row) - row[labels[s] as usize]
    }).collect();
    assert_loss(&loss, &reference, &x, RTOL);
}

#[test]
fn element_wise_kernels_match_std() {
    let x = values(257, -30.0, 30.0, 9);
    let pos: Vec<f64> = x.iter().map(|v| v.abs() + 1e-3).collect();
    let mut y = vec![0.0; x.len()];
    type Kernel = fn(&[f64], &mut [f64]) -> xent::Result<()>;
    type Case<'a> = (Kernel, &'a [f64], fn(f64) -> f64);
    let cases: [Case; 6] = [
        (xent::exp, &x, f64::exp),
        (xent::log, &pos, f64::ln),
        (xent::log1p, &pos, f64::ln_1p),
        (xent::sigmoid, &x, |v| 1.0 / (1.0 + (-v).exp())),
        (xent::softplus, &x, |v| v.max(0.0) + (-v.abs()).exp().ln_1p()),
        (xent::log_sigmoid, &x, |v| -((-v).max(0.0) + (-v.abs()).exp().ln_1p())),
    ];
    for (kernel, input, reference) in cases {
        kernel(input, &mut y).unwrap();
        for (&got, &v) in y.iter().zip(input) {
            let want = reference(v);
            assert!((got - want).abs() <= 8.0 * f64::EPSILON * want.abs(), "x = {v}: got {got}, want {want}");
        }
    }
}

#[test]
fn row_kernels_and_sharded_lse() {
    let (rows, cols) = (3, 10);
    let mut x = values(rows * cols, -20.0, 20.0, 10);
    x[4] = f64::NEG_INFINITY;
    let whole: Vec<f64> = x.chunks(cols).map(lse).collect();
    let mut out = vec![0.0; rows];
    xent::logsumexp(&x, cols, &mut out).unwrap();
    assert_loss(&out, &whole, &x, RTOL);

    let mut y = vec![0.0; x.len()];
    xent::softmax(&x, cols, &mut y).unwrap();
    assert_loss(&y, &x.chunks(cols).flat_map(softmax).collect::<Vec<_>>(), &x, RTOL);
    xent::log_softmax(&x, cols, &mut y).unwrap();
    let log_ref: Vec<f64> = x.iter().enumerate().map(|(i, v)| v - whole[i / cols]).collect();
    assert_eq!(y[4], f64::NEG_INFINITY);
    assert_loss(&[&y[..4], &y[5..]].concat(), &[&log_ref[..4], &log_ref[5..]].concat(), &x, RTOL);

    // Two shards of 4 and 6 columns, merged.
    let (mut max, mut sum) = (vec![0.0; 2 * rows], vec![0.0; 2 * rows]);
    for (part, (lo, hi)) in [(0, 4), (4, 10)].into_iter().enumerate() {
        let shard: Vec<f64> = x.chunks(cols).flat_map(|r| r[lo..hi].to_vec()).collect();
        let at = part * rows..(part + 1) * rows;
        xent::lse_partial(&shard, hi - lo, &mut max[at.clone()], &mut sum[at]).unwrap();
    }
    xent::lse_merge(&max, &sum, 2, &mut out).unwrap();
    assert_loss(&out, &whole, &x, RTOL);
}
