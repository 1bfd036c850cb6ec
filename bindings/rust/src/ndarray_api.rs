//! `xent::nd` (feature `ndarray`): the losses and the softmax family on `ndarray` views,
//! returning owned arrays. A thin layer over the slice functions of the crate root, with the
//! same element types (f32, f64, and `Bf16` / `F16` whose losses are f32) and errors.
//!
//! **Layout**: any view is accepted. A view in standard (row-major, contiguous) layout is
//! passed to the library as it is; any other (a transpose, a stepped slice, negative strides)
//! is first copied into a row-major array, one allocation of the input's size. Outputs are
//! always new standard-layout arrays.
//!
//! Losses take a `(B, C)` input (the class axis last; `opts.inner` must be 1, use the slice
//! API for `(B, C, K)`) and return an [`Output`]: `loss` as the library writes it (B values,
//! B*C for the element-wise `sigmoid_ce_with_logits` and `binary_ce` in row-major order, or
//! one for `Reduction::Sum` / `Mean`) and `grad` of the input's shape when asked for.
//!
//! ```no_run
//! use ndarray::array;
//! let logits = array![[1.0f32, 2.0, 3.0], [1.0, 2.0, 3.0]];
//! let out = xent::nd::sparse_softmax_ce_with_logits(logits.view(), array![2i64, 0].view(),
//!                                                    &xent::Options::default(), true)?;
//! assert_eq!(out.loss.len(), 2);
//! let p = xent::nd::softmax(logits.t())?;                       // a transposed view: copied first
//! let q = xent::nd::softmax_axis(logits.view(), ndarray::Axis(0))?; // over the batch axis
//! # let _ = (p, q);
//! # Ok::<(), xent::Error>(())
//! ```
use ndarray::{Array, Array1, Array2, ArrayView, ArrayView1, ArrayView2, Axis, CowArray, Dimension, RemoveAxis};

pub use ndarray;

use crate::error::{shape_error, Error, Result, Status};
use crate::float::{Float, Label, Real};
use crate::options::Options;

/// A loss call's results: `loss` (see the module doc for its length) and, when asked for,
/// `grad` of the input's shape.
#[derive(Clone, Debug)]
pub struct Output<T: Float> {
    pub loss: Array1<T::Acc>,
    pub grad: Option<Array2<T>>,
}

/// The view itself when it is row-major and contiguous, else a row-major copy.
fn standard<'a, T: Clone, D: Dimension>(a: ArrayView<'a, T, D>) -> CowArray<'a, T, D> {
    if a.is_standard_layout() {
        CowArray::from(a)
    } else {
        CowArray::from(a.as_standard_layout().into_owned())
    }
}

fn slice<'b, T, D: Dimension>(a: &'b CowArray<'_, T, D>) -> &'b [T] {
    a.as_slice().expect("a standard-layout array is a slice")
}

fn invalid(name: &str, message: String) -> Error {
    Error { status: Status::InvalidArgument, message: format!("xent_{name}: {message}") }
}

fn check_inner<W>(name: &str, opts: &Options<W>) -> Result<()> {
    if opts.inner == 1 {
        Ok(())
    } else {
        Err(invalid(name, format!("inner = {} with a 2-D input; the class axis is the last (use the slice API \
                                   for (B, C, K))", opts.inner)))
    }
}

fn loss_len<W>(opts: &Options<W>, elementwise: bool, (b, c): (usize, usize)) -> usize {
    match opts.reduction {
        crate::Reduction::None if elementwise => b * c,
        crate::Reduction::None => b,
        _ => 1,
    }
}

type SliceLoss<T, L> =
    fn(&[T], &[L], usize, &Options<<T as Float>::Acc>, &mut [<T as Float>::Acc], Option<&mut [T]>) -> Result<()>;
type SliceBackward<T, L> = fn(&[T], &[L], usize, &Options<<T as Float>::Acc>, &[<T as Float>::Acc],
                              Option<&[<T as Float>::Acc]>, &mut [T]) -> Result<()>;

/// Labels (1-D) have one value per row of the `(B, C)` input, targets (2-D) its shape.
fn check_target(name: &str, (b, c): (usize, usize), got: &[usize]) -> Result<()> {
    let (what, want) = if got.len() == 1 { ("labels", vec![b]) } else { ("targets", vec![b, c]) };
    if got == want.as_slice() {
        Ok(())
    } else {
        Err(shape_error(name, format!("{what} have shape {got:?}, expected {want:?}")))
    }
}

fn forward<T: Float, L: Clone, D: Dimension>(name: &str, f: SliceLoss<T, L>, elementwise: bool,
                                             input: ArrayView2<'_, T>, target: ArrayView<'_, L, D>,
                                             opts: &Options<T::Acc>, grad: bool) -> Result<Output<T>> {
    forward_with(name, f, elementwise, input, target, opts, grad)
}

fn backward<T: Float, L: Clone, D: Dimension>(name: &str, f: SliceBackward<T, L>, input: ArrayView2<'_, T>,
                                              target: ArrayView<'_, L, D>, opts: &Options<T::Acc>,
                                              dloss: ArrayView1<'_, T::Acc>, lse: Option<ArrayView1<'_, T::Acc>>)
                                              -> Result<Array2<T>> {
    check_inner(name, opts)?;
    let dim = input.dim();
    check_target(name, dim, target.shape())?;
    let (x, t, d) = (standard(input), standard(target), standard(dloss));
    let lse = lse.map(standard);
    let mut g = vec![T::default(); dim.0 * dim.1];
    f(slice(&x), slice(&t), dim.1, opts, slice(&d), lse.as_ref().map(|l| slice(l)), &mut g)?;
    Ok(Array2::from_shape_vec(dim, g).expect("grad has the input's length"))
}

macro_rules! dense {
    ($($(#[$doc:meta])* $name:ident / $back:ident, elementwise = $e:expr;)+) => { $(
        $(#[$doc])*
        ///
        /// `targets` has the input's shape; `grad` asks for the gradient.
        pub fn $name<T: Float>(input: ArrayView2<'_, T>, targets: ArrayView2<'_, T>, opts: &Options<T::Acc>,
                               grad: bool) -> Result<Output<T>> {
            forward(stringify!($name), crate::$name::<T>, $e, input, targets, opts, grad)
        }

        /// The backward of the loss of the same name: `dloss` has the loss's length, `lse` is
        /// `None` or (softmax with logits) the forward's per-sample lse; returns the gradient.
        pub fn $back<T: Float>(input: ArrayView2<'_, T>, targets: ArrayView2<'_, T>, opts: &Options<T::Acc>,
                               dloss: ArrayView1<'_, T::Acc>, lse: Option<ArrayView1<'_, T::Acc>>)
                               -> Result<Array2<T>> {
            backward(stringify!($back), crate::$back::<T>, input, targets, opts, dloss, lse)
        }
    )+ };
}

macro_rules! sparse {
    ($($(#[$doc:meta])* $name:ident / $back:ident;)+) => { $(
        $(#[$doc])*
        ///
        /// `labels` has one class index per row (`i64` or `i32`); `grad` asks for the gradient.
        pub fn $name<T: Float, L: Label>(input: ArrayView2<'_, T>, labels: ArrayView1<'_, L>,
                                         opts: &Options<T::Acc>, grad: bool) -> Result<Output<T>> {
            forward(stringify!($name), crate::$name::<T, L>, false, input, labels, opts, grad)
        }

        /// The backward of the loss of the same name: `dloss` has the loss's length, `lse` is
        /// `None` or (softmax with logits) the forward's per-sample lse; returns the gradient.
        pub fn $back<T: Float, L: Label>(input: ArrayView2<'_, T>, labels: ArrayView1<'_, L>,
                                         opts: &Options<T::Acc>, dloss: ArrayView1<'_, T::Acc>,
                                         lse: Option<ArrayView1<'_, T::Acc>>) -> Result<Array2<T>> {
            backward(stringify!($back), crate::$back::<T, L>, input, labels, opts, dloss, lse)
        }
    )+ };
}

dense! {
    /// Element-wise `max(x,0) - x*t + log1p(exp(-|x|))` on logits x, soft labels t.
    sigmoid_ce_with_logits / sigmoid_ce_with_logits_backward, elementwise = true;
    /// Per row `-sum_c t_c log_softmax(x)_c`.
    softmax_ce_with_logits / softmax_ce_with_logits_backward, elementwise = false;
    /// Element-wise `-(t log q + (1-t) log(1-q))` on probabilities, `q = clip(p, eps, 1-eps)`.
    binary_ce / binary_ce_backward, elementwise = true;
    /// Per row `-sum_c t_c log q_c`, `q = clip(p / sum(p), eps, 1-eps)`.
    categorical_ce / categorical_ce_backward, elementwise = false;
}

sparse! {
    /// Per row `lse(x) - x[label]`.
    sparse_softmax_ce_with_logits / sparse_softmax_ce_with_logits_backward;
    /// Per row `-log q[label]`, `q = clip(p / sum(p), eps, 1-eps)`.
    sparse_categorical_ce / sparse_categorical_ce_backward;
    /// Per row `-w[label] * input[label]` on log-probabilities.
    nll_loss / nll_loss_backward;
}

/// `sparse_softmax_ce_with_logits` that also returns each row's lse (for the backward).
pub fn sparse_softmax_ce_with_logits_lse<T: Float, L: Label>(input: ArrayView2<'_, T>, labels: ArrayView1<'_, L>,
                                                             opts: &Options<T::Acc>, grad: bool)
                                                             -> Result<(Output<T>, Array1<T::Acc>)> {
    let mut lse = vec![T::Acc::default(); input.nrows()];
    let f = |x: &[T], l: &[L], c: usize, o: &Options<T::Acc>, loss: &mut [T::Acc], g: Option<&mut [T]>| {
        crate::sparse_softmax_ce_with_logits_lse(x, l, c, o, loss, g, &mut lse)
    };
    let out = forward_with("sparse_softmax_ce_with_logits_lse", f, false, input, labels, opts, grad)?;
    Ok((out, Array1::from(lse)))
}

/// `softmax_ce_with_logits` that also returns each row's lse (for the backward).
pub fn softmax_ce_with_logits_lse<T: Float>(input: ArrayView2<'_, T>, targets: ArrayView2<'_, T>,
                                            opts: &Options<T::Acc>, grad: bool) -> Result<(Output<T>, Array1<T::Acc>)> {
    let mut lse = vec![T::Acc::default(); input.nrows()];
    let f = |x: &[T], t: &[T], c: usize, o: &Options<T::Acc>, loss: &mut [T::Acc], g: Option<&mut [T]>| {
        crate::softmax_ce_with_logits_lse(x, t, c, o, loss, g, &mut lse)
    };
    let out = forward_with("softmax_ce_with_logits_lse", f, false, input, targets, opts, grad)?;
    Ok((out, Array1::from(lse)))
}

/// The shape checks, the layout, the call `f` (a slice loss, or a closure over one) and the
/// output arrays of every loss.
fn forward_with<T: Float, L: Clone, D: Dimension>(
    name: &str, mut f: impl FnMut(&[T], &[L], usize, &Options<T::Acc>, &mut [T::Acc], Option<&mut [T]>) -> Result<()>,
    elementwise: bool, input: ArrayView2<'_, T>, target: ArrayView<'_, L, D>, opts: &Options<T::Acc>, grad: bool,
) -> Result<Output<T>> {
    check_inner(name, opts)?;
    let dim = input.dim();
    check_target(name, dim, target.shape())?;
    let (x, t) = (standard(input), standard(target));
    let mut loss = vec![T::Acc::default(); loss_len(opts, elementwise, dim)];
    let mut g = if grad { Some(vec![T::default(); dim.0 * dim.1]) } else { None };
    f(slice(&x), slice(&t), dim.1, opts, &mut loss, g.as_deref_mut())?;
    let grad = g.map(|g| Array2::from_shape_vec(dim, g).expect("grad has the input's length"));
    Ok(Output { loss: Array1::from(loss), grad })
}

/// Softmax of each row.
pub fn softmax<T: Float>(x: ArrayView2<'_, T>) -> Result<Array2<T>> {
    rows(x, crate::softmax::<T>)
}

/// Log-softmax of each row.
pub fn log_softmax<T: Float>(x: ArrayView2<'_, T>) -> Result<Array2<T>> {
    rows(x, crate::log_softmax::<T>)
}

/// The lse of each row (f32 for the 16-bit types).
pub fn logsumexp<T: Float>(x: ArrayView2<'_, T>) -> Result<Array1<T::Acc>> {
    let (n, cols) = x.dim();
    let x = standard(x);
    let mut out = vec![T::Acc::default(); n];
    crate::logsumexp(slice(&x), cols, &mut out)?;
    Ok(Array1::from(out))
}

fn rows<T: Float>(x: ArrayView2<'_, T>, f: fn(&[T], usize, &mut [T]) -> Result<()>) -> Result<Array2<T>> {
    let dim = x.dim();
    let x = standard(x);
    let mut y = vec![T::default(); dim.0 * dim.1];
    f(slice(&x), dim.1, &mut y)?;
    Ok(Array2::from_shape_vec(dim, y).expect("y has the input's length"))
}

/// (outer, cols, inner) of `shape` around `axis`, or an error for an axis beyond the array's.
fn around(name: &str, shape: &[usize], axis: Axis) -> Result<(usize, usize, usize)> {
    let k = axis.index();
    if k >= shape.len() {
        return Err(invalid(name, format!("axis {k} of an array of {} dimensions", shape.len())));
    }
    Ok((shape[..k].iter().product(), shape[k], shape[k + 1..].iter().product()))
}

fn axis_kernel<T: Real, D: Dimension>(name: &str, x: ArrayView<'_, T, D>, axis: Axis,
                                      f: fn(&[T], usize, usize, &mut [T]) -> Result<()>) -> Result<Array<T, D>> {
    let (_, cols, inner) = around(name, x.shape(), axis)?;
    let dim = x.raw_dim();
    let x = standard(x);
    let mut y = vec![T::default(); x.len()];
    f(slice(&x), cols, inner, &mut y)?;
    Ok(Array::from_shape_vec(dim, y).expect("y has the input's length"))
}

/// Softmax along `axis` of an array of any dimension (f32, f64).
pub fn softmax_axis<T: Real, D: Dimension>(x: ArrayView<'_, T, D>, axis: Axis) -> Result<Array<T, D>> {
    axis_kernel("softmax_axis", x, axis, crate::softmax_axis::<T>)
}

/// Log-softmax along `axis` of an array of any dimension (f32, f64).
pub fn log_softmax_axis<T: Real, D: Dimension>(x: ArrayView<'_, T, D>, axis: Axis) -> Result<Array<T, D>> {
    axis_kernel("log_softmax_axis", x, axis, crate::log_softmax_axis::<T>)
}

/// The lse along `axis` (removed from the result's shape) of an array of any dimension.
pub fn logsumexp_axis<T: Real, D: RemoveAxis>(x: ArrayView<'_, T, D>, axis: Axis) -> Result<Array<T, D::Smaller>> {
    let (outer, cols, inner) = around("logsumexp_axis", x.shape(), axis)?;
    let dim = x.raw_dim().remove_axis(axis);
    let x = standard(x);
    let mut out = vec![T::default(); outer * inner];
    crate::logsumexp_axis(slice(&x), cols, inner, &mut out)?;
    Ok(Array::from_shape_vec(dim, out).expect("out has outer * inner values"))
}
