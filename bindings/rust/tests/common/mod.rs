//! Shared references and tolerances (SPEC section 4) of the integration tests.
#![allow(dead_code)]

/// Losses: |got - ref| <= rtol * max(|ref|, 1 + max|x|).
pub fn assert_loss<T: Copy + Into<f64>>(got: &[T], reference: &[f64], x: &[T], rtol: f64) {
    let big = x.iter().map(|&v| v.into().abs()).filter(|v| v.is_finite()).fold(0.0, f64::max);
    assert_eq!(got.len(), reference.len(), "length");
    for (i, (&g, &r)) in got.iter().zip(reference).enumerate() {
        let tol = rtol * r.abs().max(1.0 + big);
        assert!((g.into() - r).abs() <= tol, "loss[{i}] = {} but reference {r} (tolerance {tol:e})", g.into());
    }
}

/// Gradients: |got - ref| <= rtol * max|ref|.
pub fn assert_grad<T: Copy + Into<f64>>(got: &[T], reference: &[f64], rtol: f64) {
    let tol = rtol * reference.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    assert_eq!(got.len(), reference.len(), "length");
    for (i, (&g, &r)) in got.iter().zip(reference).enumerate() {
        assert!((g.into() - r).abs() <= tol, "grad[{i}] = {} but reference {r} (tolerance {tol:e})", g.into());
    }
}

pub fn lse(row: &[f64]) -> f64 {
    let m = row.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
    m + row.iter().map(|v| (v - m).exp()).sum::<f64>().ln()
}

pub fn softmax(row: &[f64]) -> Vec<f64> {
    let l = lse(row);
    row.iter().map(|v| (v - l).exp()).collect()
}

/// Deterministic values in [lo, hi) (a small LCG: the crate has no dependencies).
pub fn values(n: usize, lo: f64, hi: f64, seed: u64) -> Vec<f64> {
    let mut s = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
    (0..n).map(|_| {
        s = s.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        lo + (hi - lo) * ((s >> 11) as f64 / (1u64 << 53) as f64)
    }).collect()
}
