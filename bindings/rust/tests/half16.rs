//! Bf16 and F16: the conversions (exhaustive on the 16-bit side, against an f64 rounding
//! reference on the f32 side, against the `half` crate with that feature), and every 16-bit
//! function against the f32 one on the widened inputs: the 16-bit outputs are the RNE
//! rounding of the f32 outputs bit for bit, the f32 outputs (loss, lse) are equal; the loss
//! is also within tolerance of an f64 reference.
mod common;

use common::{assert_loss, lse, values};
use xent::{Bf16, Float, Options, Reduction, F16};

/// Finite f32 values of all binades, the edges of both formats and a few specials.
fn f32_cases() -> Vec<f32> {
    let mut v: Vec<f32> = vec![0.0, -0.0, 1.0, -1.0, 65504.0, 65519.99, 65520.0, 65536.0, f32::MAX, f32::MIN_POSITIVE,
                               6.1035156e-5, 5.9604645e-8, 2.9802322e-8, 2.9802326e-8, 1.0e-9, f32::INFINITY,
                               f32::NEG_INFINITY, 1.0 + f32::EPSILON, 3.3895314e38, 3.3961776e38];
    let mut s = 0x1234_5678_9abc_def0u64;
    for _ in 0..200_000 {
        s = s.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        let x = f32::from_bits((s >> 32) as u32);
        if x.is_finite() {
            v.push(x);
        }
    }
    // Exact ties and their neighbours at a few binades, for both formats' dropped bits.
    for e in [-133i32, -126, -24, -20, -14, -1, 0, 7, 15, 100, 127] {
        for m in 0u32..64 {
            let base = 2f64.powi(e) * (1.0 + m as f64 / 64.0);
            for (mant, _) in [(7, 0), (10, 1)] {
                let tie = base + 2f64.powi(e - mant - 1);
                let t = tie as f32;
                v.extend([t, f32::from_bits(t.to_bits() + 1), f32::from_bits(t.to_bits().saturating_sub(1))]);
            }
        }
    }
    v.retain(|x| !x.is_nan());
    v
}

/// The value of `x` rounded to nearest even with `mant` fraction bits, exponent at least
/// `emin` (subnormals below it), infinity at or above `2^(emax + 1)`; computed in f64.
fn round_reference(x: f32, mant: i32, emin: i32, emax: i32) -> f64 {
    let v = f64::from(x);
    if v == 0.0 || v.is_infinite() {
        return v;
    }
    let e = (v.abs().log2().floor() as i32).max(emin);
    // log2 may be off by one near a power of two: fix e so that 2^e <= |v| < 2^(e+1) (above emin).
    let e = if e > emin && 2f64.powi(e) > v.abs() { e - 1 } else if 2f64.powi(e + 1) <= v.abs() { e + 1 } else { e };
    let ulp = 2f64.powi(e - mant);
    let r = (v / ulp).round_ties_even() * ulp;
    if r.abs() >= 2f64.powi(emax + 1) {
        f64::INFINITY.copysign(v)
    } else {
        r.copysign(v) // keeps -0.0 for a negative value that rounds to zero
    }
}

fn same_f32(a: f32, b: f32) -> bool {
    a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan())
}

#[test]
fn every_16_bit_pattern_widens_and_rounds_back_to_itself() {
    for bits in 0..=u16::MAX {
        let (b, h) = (Bf16(bits), F16(bits));
        let (fb, fh) = (b.to_f32(), h.to_f32());
        assert_eq!(fb.is_nan(), b.is_nan(), "bf16 {bits:#06x}");
        assert_eq!(fh.is_nan(), h.is_nan(), "f16 {bits:#06x}");
        if b.is_nan() {
            assert!(Bf16::from_f32(fb).is_nan());
        } else {
            assert_eq!(fb.to_bits(), u32::from(bits) << 16);
            assert_eq!(Bf16::from_f32(fb).0, bits, "bf16 {bits:#06x} -> {fb:e}");
        }
        if h.is_nan() {
            assert!(F16::from_f32(fh).is_nan());
            assert_eq!(F16::from_f32(fh).0, bits | 0x0200, "f16 NaN payload kept, quieted");
        } else {
            assert_eq!(F16::from_f32(fh).0, bits, "f16 {bits:#06x} -> {fh:e}");
            // the value, independently: (-1)^s 2^(e-15) (1 + m/1024), or m 2^-24
            let (e, m) = (i32::from((bits >> 10) & 0x1f), f64::from(bits & 0x3ff));
            let mag = match e {
                0 => m * 2f64.powi(-24),
                31 => f64::INFINITY,
                _ => 2f64.powi(e - 15) * (1.0 + m / 1024.0),
            };
            let want = if bits & 0x8000 != 0 { -mag } else { mag };
            assert_eq!(f64::from(fh), want, "f16 {bits:#06x}");
            assert_eq!(fh.is_sign_negative(), bits & 0x8000 != 0);
        }
    }
}

#[test]
fn from_f32_rounds_to_nearest_even() {
    for x in f32_cases() {
        let b = Bf16::from_f32(x).to_f32();
        let h = F16::from_f32(x).to_f32();
        let (rb, rh) = (round_reference(x, 7, -126, 127), round_reference(x, 10, -14, 15));
        assert!(f64::from(b) == rb && b.is_sign_negative() == rb.is_sign_negative(), "bf16({x:e}) = {b:e}, want {rb:e}");
        assert!(f64::from(h) == rh && h.is_sign_negative() == rh.is_sign_negative(), "f16({x:e}) = {h:e}, want {rh:e}");
    }
    let nan = f32::from_bits(0xffc1_2345);
    assert_eq!(Bf16::from_f32(nan).0, 0xffc1);
    assert_eq!(F16::from_f32(f32::from_bits(0x7f80_0001)).0, 0x7e00, "a signalling NaN is quieted");
    assert!(F16::from_f32(f32::NAN).is_nan() && Bf16::from_f32(f32::NAN).is_nan());
    assert!(F16(0x3c00) == F16(0x3c00) && F16(0x0000) == F16(0x8000) && F16(0x7e00) != F16(0x7e00));
}

#[cfg(feature = "half")]
#[test]
fn conversions_match_the_half_crate() {
    for x in f32_cases() {
        assert_eq!(Bf16::from_f32(x).0, half::bf16::from_f32(x).to_bits(), "bf16({x:e})");
        assert_eq!(F16::from_f32(x).0, half::f16::from_f32(x).to_bits(), "f16({x:e})");
        assert_eq!(Bf16::from(half::bf16::from_f32(x)).0, Bf16::from_f32(x).0);
        assert_eq!(half::f16::from(F16::from_f32(x)).to_bits(), F16::from_f32(x).0);
    }
    for bits in 0..=u16::MAX {
        assert!(same_f32(F16(bits).to_f32(), half::f16::from_bits(bits).to_f32()), "f16 {bits:#06x}");
        assert!(same_f32(Bf16(bits).to_f32(), half::bf16::from_bits(bits).to_f32()), "bf16 {bits:#06x}");
    }
}

/// The 16-bit side of a type: conversions used by the generic checks below.
trait Half: Float<Acc = f32> + Into<f32> + Default {
    fn round(x: f32) -> Self;
    fn bits(self) -> u16;
}
impl Half for Bf16 {
    fn round(x: f32) -> Bf16 {
        Bf16::from_f32(x)
    }
    fn bits(self) -> u16 {
        self.0
    }
}
impl Half for F16 {
    fn round(x: f32) -> F16 {
        F16::from_f32(x)
    }
    fn bits(self) -> u16 {
        self.0
    }
}

fn round_all<H: Half>(v: &[f64]) -> Vec<H> {
    v.iter().map(|&x| H::round(x as f32)).collect()
}
fn widen<H: Half>(v: &[H]) -> Vec<f32> {
    v.iter().map(|&h| h.into()).collect()
}
fn assert_rounded<H: Half>(what: &str, got: &[H], f32_result: &[f32]) {
    assert_eq!(got.len(), f32_result.len());
    for (i, (&g, &r)) in got.iter().zip(f32_result).enumerate() {
        let want = H::round(r);
        assert!(g.bits() == want.bits() || (g.into().is_nan() && r.is_nan()),
                "{what}[{i}]: {:#06x}, but the f32 result {r:e} rounds to {:#06x}", g.bits(), want.bits());
    }
}
fn assert_same(what: &str, got: &[f32], want: &[f32]) {
    for (i, (&g, &w)) in got.iter().zip(want).enumerate() {
        assert!(same_f32(g, w), "{what}[{i}]: {g:e} but the f32 call gives {w:e}");
    }
}

/// Calls `$f` on the 16-bit data and `$f::<f32>` on the widened data; compares loss and grad.
macro_rules! dense_pair {
    ($h:ty, $f:path, $x:expr, $t:expr, $c:expr, $opts:expr, $nloss:expr) => {{
        let (x16, t16): (Vec<$h>, Vec<$h>) = (round_all($x), round_all($t));
        let (x32, t32) = (widen(&x16), widen(&t16));
        let (mut l16, mut g16) = (vec![0f32; $nloss], vec![<$h>::default(); x16.len()]);
        let (mut l32, mut g32) = (vec![0f32; $nloss], vec![0f32; x32.len()]);
        $f(&x16, &t16, $c, $opts, &mut l16, Some(&mut g16)).unwrap();
        $f(&x32, &t32, $c, $opts, &mut l32, Some(&mut g32)).unwrap();
        assert_same(stringify!($f), &l16, &l32);
        assert_rounded(stringify!($f), &g16, &g32);
        (x32, t32, l16)
    }};
}

fn losses_match_f32<H: Half>() {
    let (b, c) = (5, 7);
    let x = values(b * c, -6.0, 6.0, 11);
    let t = values(b * c, 0.0, 1.0, 12);
    let p = values(b * c, 0.01, 0.99, 13);
    let cw = [0.5f32, 1.0, 2.0, 1.5, 0.25, 1.0, 3.0];
    let none = Options::default();
    let mean = Options { reduction: Reduction::Mean, class_weights: Some(&cw), label_smoothing: Some(0.1),
                         ..Options::default() };

    let (x32, t32, loss) = dense_pair!(H, xent::softmax_ce_with_logits, &x, &t, c, &none, b);
    // f64 reference on the widened (exactly representable) inputs
    let reference: Vec<f64> = (0..b).map(|i| {
        let row: Vec<f64> = x32[i * c..(i + 1) * c].iter().map(|&v| f64::from(v)).collect();
        (0..c).map(|k| f64::from(t32[i * c + k]) * (lse(&row) - row[k])).sum()
    }).collect();
    assert_loss(&loss, &reference, &x32, 1e-5);
    dense_pair!(H, xent::softmax_ce_with_logits, &x, &t, c, &mean, 1);

    let (x32, t32, loss) = dense_pair!(H, xent::sigmoid_ce_with_logits, &x, &t, c, &none, b * c);
    let reference: Vec<f64> = x32.iter().zip(&t32).map(|(&x, &t)| {
        let (x, t) = (f64::from(x), f64::from(t));
        x.max(0.0) - x * t + (-x.abs()).exp().ln_1p()
    }).collect();
    assert_loss(&loss, &reference, &x32, 1e-5);
    dense_pair!(H, xent::binary_ce, &p, &t, c, &none, b * c);
    dense_pair!(H, xent::categorical_ce, &p, &t, c, &mean, 1);

    // sparse, both label types, with the saved lse and the backward
    let labels = [3i64, 0, 6, 2, 5];
    let labels32 = labels.map(|l| l as i32);
    let x16: Vec<H> = round_all(&x);
    let x32 = widen(&x16);
    for opts in [&none, &mean] {
        let n = if opts.reduction == Reduction::None { b } else { 1 };
        let (mut l16, mut g16, mut lse16) = (vec![0f32; n], vec![H::default(); b * c], vec![0f32; b]);
        let (mut l32, mut g32, mut lse32) = (vec![0f32; n], vec![0f32; b * c], vec![0f32; b]);
        xent::sparse_softmax_ce_with_logits_lse(&x16, &labels, c, opts, &mut l16, Some(&mut g16), &mut lse16).unwrap();
        xent::sparse_softmax_ce_with_logits_lse(&x32, &labels, c, opts, &mut l32, Some(&mut g32), &mut lse32).unwrap();
        assert_same("sparse loss", &l16, &l32);
        assert_same("sparse lse", &lse16, &lse32);
        assert_rounded("sparse grad", &g16, &g32);
        let dloss: Vec<f32> = (0..n).map(|i| 0.5 + i as f32).collect();
        let (mut b16, mut b32) = (vec![H::default(); b * c], vec![0f32; b * c]);
        xent::sparse_softmax_ce_with_logits_backward(&x16, &labels32, c, opts, &dloss, Some(&lse16), &mut b16).unwrap();
        xent::sparse_softmax_ce_with_logits_backward(&x32, &labels32, c, opts, &dloss, Some(&lse32), &mut b32).unwrap();
        assert_rounded("sparse backward", &b16, &b32);
    }
    let rows: Vec<f64> = (0..b).map(|i| {
        let row: Vec<f64> = x32[i * c..(i + 1) * c].iter().map(|&v| f64::from(v)).collect();
        lse(&row) - row[labels[i] as usize]
    }).collect();
    let mut l16 = vec![0f32; b];
    xent::sparse_softmax_ce_with_logits(&x16, &labels, c, &none, &mut l16, None).unwrap();
    assert_loss(&l16, &rows, &x32, 1e-5);

    // the probability sparse losses and nll_loss, forward and backward
    let p16: Vec<H> = round_all(&p);
    let p32 = widen(&p16);
    macro_rules! sparse_pair {
        ($f:path, $fb:path) => {{
            let (mut l16, mut g16, mut l32, mut g32) = (vec![0f32; b], vec![H::default(); b * c], vec![0f32; b],
                                                        vec![0f32; b * c]);
            $f(&p16, &labels32, c, &none, &mut l16, Some(&mut g16)).unwrap();
            $f(&p32, &labels32, c, &none, &mut l32, Some(&mut g32)).unwrap();
            assert_same(stringify!($f), &l16, &l32);
            assert_rounded(stringify!($f), &g16, &g32);
            let dloss = [1.0f32, -2.0, 0.5, 3.0, 0.25];
            $fb(&p16, &labels, c, &none, &dloss, None, &mut g16).unwrap();
            $fb(&p32, &labels, c, &none, &dloss, None, &mut g32).unwrap();
            assert_rounded(stringify!($fb), &g16, &g32);
        }};
    }
    sparse_pair!(xent::sparse_categorical_ce, xent::sparse_categorical_ce_backward);
    sparse_pair!(xent::nll_loss, xent::nll_loss_backward);

    // dense backward
    let t16: Vec<H> = round_all(&t);
    let t32 = widen(&t16);
    let dloss: Vec<f32> = (0..b * c).map(|i| (i % 5) as f32 - 2.0).collect();
    let (mut g16, mut g32) = (vec![H::default(); b * c], vec![0f32; b * c]);
    xent::sigmoid_ce_with_logits_backward(&x16, &t16, c, &none, &dloss, None, &mut g16).unwrap();
    xent::sigmoid_ce_with_logits_backward(&x32, &t32, c, &none, &dloss, None, &mut g32).unwrap();
    assert_rounded("sigmoid backward", &g16, &g32);
    xent::softmax_ce_with_logits_backward(&x16, &t16, c, &none, &dloss[..b], None, &mut g16).unwrap();
    xent::softmax_ce_with_logits_backward(&x32, &t32, c, &none, &dloss[..b], None, &mut g32).unwrap();
    assert_rounded("softmax backward", &g16, &g32);
}

fn kernels_match_f32<H: Half>() {
    let cols = 9;
    let mut x = values(4 * cols, -12.0, 12.0, 21);
    x[5] = f64::INFINITY;
    x[6] = f64::NAN;
    x[7] = 1.0e5; // beyond f16: inf there, finite in bf16
    let x16: Vec<H> = round_all(&x);
    let x32 = widen(&x16);
    type Unary<T> = fn(&[T], &mut [T]) -> xent::Result<()>;
    let unary: [(&str, Unary<H>, Unary<f32>); 6] = [
        ("exp", xent::exp::<H>, xent::exp::<f32>),
        ("log", xent::log::<H>, xent::log::<f32>),
        ("log1p", xent::log1p::<H>, xent::log1p::<f32>),
        ("sigmoid", xent::sigmoid::<H>, xent::sigmoid::<f32>),
        ("softplus", xent::softplus::<H>, xent::softplus::<f32>),
        ("log_sigmoid", xent::log_sigmoid::<H>, xent::log_sigmoid::<f32>),
    ];
    for (name, f16fn, f32fn) in unary {
        let (mut y16, mut y32) = (vec![H::default(); x16.len()], vec![0f32; x32.len()]);
        f16fn(&x16, &mut y16).unwrap();
        f32fn(&x32, &mut y32).unwrap();
        assert_rounded(name, &y16, &y32);
    }
    let finite: Vec<H> = round_all(&values(4 * cols, -12.0, 12.0, 22));
    let f32s = widen(&finite);
    let (mut y16, mut y32) = (vec![H::default(); finite.len()], vec![0f32; finite.len()]);
    xent::softmax(&finite, cols, &mut y16).unwrap();
    xent::softmax(&f32s, cols, &mut y32).unwrap();
    assert_rounded("softmax", &y16, &y32);
    xent::log_softmax(&finite, cols, &mut y16).unwrap();
    xent::log_softmax(&f32s, cols, &mut y32).unwrap();
    assert_rounded("log_softmax", &y16, &y32);
    let (mut l16, mut l32) = ([0f32; 4], [0f32; 4]);
    xent::logsumexp(&finite, cols, &mut l16).unwrap();
    xent::logsumexp(&f32s, cols, &mut l32).unwrap();
    assert_same("logsumexp", &l16, &l32);
    let reference: Vec<f64> = f32s.chunks(cols).map(|r| lse(&r.iter().map(|&v| f64::from(v)).collect::<Vec<_>>())).collect();
    assert_loss(&l16, &reference, &f32s, 1e-6);
    // partials of two shards merge (with the f32 lse_merge) to the lse of the whole row
    let (a, b): (Vec<H>, Vec<H>) = (finite.chunks(cols).flat_map(|r| r[..4].to_vec()).collect(),
                                    finite.chunks(cols).flat_map(|r| r[4..].to_vec()).collect());
    let (mut max, mut sum) = ([0f32; 8], [0f32; 8]);
    xent::lse_partial(&a, 4, &mut max[..4], &mut sum[..4]).unwrap();
    xent::lse_partial(&b, 5, &mut max[4..], &mut sum[4..]).unwrap();
    let mut merged = [0f32; 4];
    xent::lse_merge(&max, &sum, 2, &mut merged).unwrap();
    assert_loss(&merged, &reference, &f32s, 1e-6);
}

#[test]
fn bf16_losses_are_the_f32_losses_rounded() {
    losses_match_f32::<Bf16>();
}

#[test]
fn f16_losses_are_the_f32_losses_rounded() {
    losses_match_f32::<F16>();
}

#[test]
fn bf16_kernels_are_the_f32_kernels_rounded() {
    kernels_match_f32::<Bf16>();
}

#[test]
fn f16_kernels_are_the_f32_kernels_rounded() {
    kernels_match_f32::<F16>();
}

#[test]
fn sixteen_bit_shape_errors() {
    let x = [F16::from_f32(1.0); 6];
    let mut loss = [0f32; 2];
    let err = xent::sparse_softmax_ce_with_logits(&x, &[0i64, 1, 2], 3, &Options::default(), &mut loss, None)
        .unwrap_err();
    assert_eq!(err.status, xent::Status::InvalidShape);
    let err = xent::sparse_softmax_ce_with_logits(&x, &[0i64, 3], 3, &Options::default(), &mut loss, None).unwrap_err();
    assert_eq!(err.status, xent::Status::LabelOutOfRange);
}
