//! `Options`: the optional settings of a loss call (`xent_options`).
use std::mem::MaybeUninit;
use std::os::raw::{c_int, c_void};

use crate::ffi;

/// How losses are combined (`xent_reduction`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Reduction {
    /// One loss per sample (per element for the element-wise variants).
    #[default]
    None = 0,
    /// One scalar: the sum.
    Sum = 1,
    /// One scalar: PyTorch's mean (sparse variants divide by the weight of the counted samples).
    Mean = 2,
}

/// Options of a loss call. `None` fields keep the library's default (`xent_options_init`);
/// weights have the element type of the call. An option that does not apply to the called
/// variant, set away from its default, is an `InvalidArgument` error.
///
/// ```no_run
/// let w = [0.5f32, 1.0, 2.0];
/// let opts = xent::Options { reduction: xent::Reduction::Mean, class_weights: Some(&w), ..Default::default() };
/// # let _ = opts;
/// ```
#[derive(Clone, Copy, Debug)]
pub struct Options<'a, T> {
    pub reduction: Reduction,
    /// In [0, 1]: C-class variants use t = (1-s) t + s/C, sigmoid and binary t = (1-s) t + s/2.
    pub label_smoothing: Option<f64>,
    /// Clip of the probability variants, in [0, 0.5); library default 1e-7.
    pub epsilon: Option<f64>,
    /// `[classes]`.
    pub class_weights: Option<&'a [T]>,
    /// `[classes]`, sigmoid CE only: weights the t log(sigmoid(x)) term.
    pub pos_weight: Option<&'a [T]>,
    /// `[batch * inner]`.
    pub sample_weights: Option<&'a [T]>,
    /// Sparse variants only: samples with this label give loss 0 and gradient 0.
    pub ignore_index: Option<i64>,
    /// K: input (B, C, K), labels and losses (B, K); 1 means the class axis is last.
    pub inner: usize,
    /// Softmax-with-logits only: adds z * lse(x)^2 per sample.
    pub z_loss: Option<f64>,
    /// Softmax-with-logits only: > 0 replaces x by cap * tanh(x / cap).
    pub logit_softcap: Option<f64>,
    /// Threads for this call; `None` uses `set_num_threads`'s setting.
    pub num_threads: Option<usize>,
    /// Focal loss exponent (sigmoid CE and sparse softmax CE with logits); 0 = off.
    pub focal_gamma: Option<f64>,
    /// Sigmoid CE only: alpha in [0, 1] weights the t = 1 terms (1 - alpha the t = 0 ones); < 0 = off.
    pub focal_alpha: Option<f64>,
    /// Poly-1: adds epsilon (1 - p_t) (sigmoid CE and both softmax CE with logits); 0 = off.
    pub poly_epsilon: Option<f64>,
}

impl<T> Default for Options<'_, T> {
    fn default() -> Self {
        Options {
            reduction: Reduction::None,
            label_smoothing: None,
            epsilon: None,
            class_weights: None,
            pos_weight: None,
            sample_weights: None,
            ignore_index: None,
            inner: 1,
            z_loss: None,
            logit_softcap: None,
            num_threads: None,
            focal_gamma: None,
            focal_alpha: None,
            poly_epsilon: None,
        }
    }
}

fn weights<T>(w: Option<&[T]>) -> *const c_void {
    w.map_or(std::ptr::null(), |w| w.as_ptr().cast())
}

impl<T> Options<'_, T> {
    /// The C struct; its weight pointers borrow from `self`.
    pub(crate) fn raw(&self) -> ffi::xent_options {
        let mut o = MaybeUninit::<ffi::xent_options>::uninit();
        // SAFETY: xent_options_init fills every field of the struct.
        let mut o = unsafe {
            ffi::xent_options_init(o.as_mut_ptr());
            o.assume_init()
        };
        o.reduction = self.reduction as c_int;
        o.inner = i64::try_from(self.inner).unwrap_or(i64::MAX);
        o.class_weights = weights(self.class_weights);
        o.pos_weight = weights(self.pos_weight);
        o.sample_weights = weights(self.sample_weights);
        let set = |field: &mut f64, value: Option<f64>| *field = value.unwrap_or(*field);
        set(&mut o.label_smoothing, self.label_smoothing);
        set(&mut o.epsilon, self.epsilon);
        set(&mut o.z_loss, self.z_loss);
        set(&mut o.logit_softcap, self.logit_softcap);
        set(&mut o.focal_gamma, self.focal_gamma);
        set(&mut o.focal_alpha, self.focal_alpha);
        set(&mut o.poly_epsilon, self.poly_epsilon);
        o.ignore_index = self.ignore_index.unwrap_or(o.ignore_index);
        if let Some(n) = self.num_threads {
            o.num_threads = c_int::try_from(n).unwrap_or(c_int::MAX);
        }
        o
    }
}
