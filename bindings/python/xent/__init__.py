"""xent: SIMD CPU cross-entropy losses and exp/log/softmax kernels (ctypes over libxent's C ABI).

Every function takes NumPy arrays (or anything np.asarray accepts) and returns new arrays;
float32 input computes in float32; float16, ml_dtypes.bfloat16 and xent.bf16_bits(uint16 bit
patterns) input calls the 16-bit functions (16-bit grad and element-wise outputs, float32 loss
and lse; see README "16-bit inputs"); any other input computes in float64. A failing call raises XentError
(a ValueError) with the library's status and message. libxent is looked up in $XENT_LIBRARY
(a file), $XENT_LIB_DIR (a directory), the package's own directory (the copy a wheel built at
the repository root bundles), the repository's build/ directory, then the system.
"""
from ._half import Bf16Bits, bf16_bits, bf16_bits_to_float32, float32_to_bf16_bits
from ._kernels import (exp, log, log1p, log_sigmoid, log_softmax, logsumexp, lse_merge, lse_partial,
                       sigmoid, softmax, softplus)
from ._lib import NO_IGNORE, Status, XentError, lib as _lib, library_path
from ._losses import (binary_ce, binary_ce_backward, categorical_ce, categorical_ce_backward, nll_loss,
                      nll_loss_backward, sigmoid_ce_with_logits, sigmoid_ce_with_logits_backward,
                      softmax_ce_with_logits, softmax_ce_with_logits_backward, sparse_categorical_ce,
                      sparse_categorical_ce_backward, sparse_softmax_ce_with_logits,
                      sparse_softmax_ce_with_logits_backward)

__all__ = [
    "XentError", "Status", "NO_IGNORE", "library_path",
    "Bf16Bits", "bf16_bits", "bf16_bits_to_float32", "float32_to_bf16_bits",
    "version", "simd_isa", "set_num_threads", "get_num_threads",
    "sigmoid_ce_with_logits", "softmax_ce_with_logits", "sparse_softmax_ce_with_logits",
    "binary_ce", "categorical_ce", "sparse_categorical_ce", "nll_loss",
    "sigmoid_ce_with_logits_backward", "softmax_ce_with_logits_backward",
    "sparse_softmax_ce_with_logits_backward", "binary_ce_backward", "categorical_ce_backward",
    "sparse_categorical_ce_backward", "nll_loss_backward",
    "exp", "log", "log1p", "sigmoid", "softplus", "log_sigmoid",
    "logsumexp", "softmax", "log_softmax", "lse_partial", "lse_merge",
]


def version():
    """The library's version, "MAJOR.MINOR.PATCH"."""
    return _lib().xent_version().decode()


def simd_isa():
    """The SIMD path in use: "avx512", "avx2", "sse2", "neon" or "scalar" (env XENT_ISA forces a lower one)."""
    return _lib().xent_simd_isa().decode()


def set_num_threads(n):
    """Threads used by later calls; 0 restores the default."""
    _lib().xent_set_num_threads(int(n))


def get_num_threads():
    """Threads that calls use."""
    return _lib().xent_get_num_threads()
