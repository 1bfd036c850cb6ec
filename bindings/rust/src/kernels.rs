//! exp / log / softmax kernels on slices. Row kernels see `x` as rows of `cols` values.
//! logsumexp and the lse partials are `T::Acc` (f32 for the 16-bit types); `lse_merge` and the
//! axis kernels exist for f32 and f64 only (merge 16-bit partials with the f32 `lse_merge`).
use crate::error::{check, expect_len, shape_error, Result};
use crate::float::{Float, Real};

fn rows(name: &str, len: usize, cols: usize) -> Result<usize> {
    match len.checked_rem(cols) {
        Some(0) => Ok(len / cols),
        Some(_) => Err(shape_error(name, format!("x has {len} elements, not a multiple of cols = {cols}"))),
        None => Ok(0), // cols = 0: the library reports it
    }
}

fn unary<T: Float>(name: &str, which: usize, x: &[T], y: &mut [T]) -> Result<()> {
    expect_len(name, "y", y.len(), x.len())?;
    // SAFETY: x and y hold x.len() elements.
    check(unsafe { T::C.unary[which](x.as_ptr(), y.as_mut_ptr(), x.len() as i64) })
}

fn row_kernel<T: Float>(name: &str, which: usize, x: &[T], cols: usize, y: &mut [T]) -> Result<()> {
    let n = rows(name, x.len(), cols)?;
    expect_len(name, "output", y.len(), x.len())?;
    // SAFETY: x and y hold n * cols elements.
    check(unsafe { T::C.rows[which](x.as_ptr(), n as i64, cols as i64, y.as_mut_ptr()) })
}

macro_rules! unary {
    ($($(#[$doc:meta])* $name:ident = $which:expr;)+) => { $(
        $(#[$doc])*
        pub fn $name<T: Float>(x: &[T], y: &mut [T]) -> Result<()> {
            unary(stringify!($name), $which, x, y)
        }
    )+ };
}

unary! {
    /// `y = exp(x)`, within 1 ulp.
    exp = 0;
    /// `y = log(x)`, within 1 ulp.
    log = 1;
    /// `y = log(1 + x)`.
    log1p = 2;
    /// `y = 1 / (1 + exp(-x))`.
    sigmoid = 3;
    /// `y = log(1 + exp(x))`.
    softplus = 4;
    /// `y = -softplus(-x)`.
    log_sigmoid = 5;
}

/// `out[r] = log(sum_c exp(x[r, c]))`; `out` has one value per row.
pub fn logsumexp<T: Float>(x: &[T], cols: usize, out: &mut [T::Acc]) -> Result<()> {
    let n = rows("logsumexp", x.len(), cols)?;
    expect_len("logsumexp", "output", out.len(), n)?;
    // SAFETY: x holds n * cols elements and out n.
    check(unsafe { (T::C.logsumexp)(x.as_ptr(), n as i64, cols as i64, out.as_mut_ptr()) })
}

/// `y` = softmax of each row of `x`.
pub fn softmax<T: Float>(x: &[T], cols: usize, y: &mut [T]) -> Result<()> {
    row_kernel("softmax", 0, x, cols, y)
}

/// `y` = log_softmax of each row of `x`.
pub fn log_softmax<T: Float>(x: &[T], cols: usize, y: &mut [T]) -> Result<()> {
    row_kernel("log_softmax", 1, x, cols, y)
}

/// Partial lse of a shard of each row: `max[r]`, and `sum[r] = sum_c exp(x[r, c] - max[r])`.
pub fn lse_partial<T: Float>(x: &[T], cols: usize, max: &mut [T::Acc], sum: &mut [T::Acc]) -> Result<()> {
    let n = rows("lse_partial", x.len(), cols)?;
    expect_len("lse_partial", "max", max.len(), n)?;
    expect_len("lse_partial", "sum", sum.len(), n)?;
    // SAFETY: lengths checked above.
    check(unsafe { (T::C.lse_partial)(x.as_ptr(), n as i64, cols as i64, max.as_mut_ptr(), sum.as_mut_ptr()) })
}

/// The lse of whole rows from `parts` shards' partials: `max` and `sum` are (parts, rows)
/// arrays, `lse` has `rows` values.
pub fn lse_merge<T: Real>(max: &[T], sum: &[T], parts: usize, lse: &mut [T]) -> Result<()> {
    let n = lse.len();
    let len = parts.checked_mul(n).ok_or_else(|| shape_error("lse_merge", "parts * rows overflows".into()))?;
    expect_len("lse_merge", "max", max.len(), len)?;
    expect_len("lse_merge", "sum", sum.len(), len)?;
    // SAFETY: lengths checked above.
    check(unsafe { (T::R.lse_merge)(max.as_ptr(), sum.as_ptr(), parts as i64, n as i64, lse.as_mut_ptr()) })
}

/// The softmax family over the middle axis of an (outer, cols, inner) array `x`:
/// `which` 0 = logsumexp (`out` has outer * inner values), 1 = softmax, 2 = log_softmax.
fn axis_kernel<T: Real>(name: &str, which: usize, x: &[T], cols: usize, inner: usize, out: &mut [T]) -> Result<()> {
    let line = cols.checked_mul(inner).ok_or_else(|| shape_error(name, "cols * inner overflows".into()))?;
    let outer = rows(name, x.len(), line)?;
    expect_len(name, "output", out.len(), if which == 0 { outer * inner } else { x.len() })?;
    // SAFETY: x holds outer * cols * inner elements and out the length checked above.
    check(unsafe { T::R.axis[which](x.as_ptr(), outer as i64, cols as i64, inner as i64, out.as_mut_ptr()) })
}

/// `logsumexp` over the middle axis of (outer, cols, inner): `out` is (outer, inner).
pub fn logsumexp_axis<T: Real>(x: &[T], cols: usize, inner: usize, out: &mut [T]) -> Result<()> {
    axis_kernel("logsumexp_axis", 0, x, cols, inner, out)
}

/// `softmax` over the middle axis of (outer, cols, inner).
pub fn softmax_axis<T: Real>(x: &[T], cols: usize, inner: usize, y: &mut [T]) -> Result<()> {
    axis_kernel("softmax_axis", 1, x, cols, inner, y)
}

/// `log_softmax` over the middle axis of (outer, cols, inner).
pub fn log_softmax_axis<T: Real>(x: &[T], cols: usize, inner: usize, y: &mut [T]) -> Result<()> {
    axis_kernel("log_softmax_axis", 2, x, cols, inner, y)
}
