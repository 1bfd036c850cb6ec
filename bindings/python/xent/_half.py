"""Element types of a call: which C suffix an array selects, and the 16-bit storage formats.

A call's element type comes from its input array:
  float32                      -> _f32, everything float32
  float16                      -> _f16  (16-bit input, targets, grad, element-wise outputs)
  ml_dtypes.bfloat16           -> _bf16 (the same, bfloat16)
  xent.bf16_bits(uint16 array) -> _bf16 on the bit patterns, 16-bit outputs as uint16 bits
  anything else                -> _f64
16-bit calls take and return float32 for the loss, dloss, lse, logsumexp, partials and the
option weights (Elem.real). 16-bit arrays are passed to libxent as they are (after a 16-bit
copy only if not C-contiguous); nothing is widened to float32 in Python.
"""
from typing import NamedTuple

import numpy as np


class Elem(NamedTuple):
    """One element type of the C API."""
    suffix: str     # the C functions' suffix
    name: str       # for messages
    real: type      # NumPy type of the float-valued arguments and outputs (loss, lse, weights)
    half: bool      # 16-bit storage
    axis: bool      # has the *_axis_* and lse_merge functions


F32 = Elem("f32", "float32", np.float32, False, True)
F64 = Elem("f64", "float64", np.float64, False, True)
F16 = Elem("f16", "float16", np.float32, True, False)
BF16 = Elem("bf16", "bfloat16", np.float32, True, False)


class Bf16Bits:
    """bfloat16 values given as their bit patterns in a uint16 array (for NumPy without
    ml_dtypes): xent.bf16_bits(u) makes the calls use the _bf16 functions on u's memory, and
    their 16-bit outputs (grad, element-wise results, softmax) are uint16 arrays of bf16 bits."""
    __slots__ = ("bits",)

    def __init__(self, bits):
        if isinstance(bits, Bf16Bits):
            bits = bits.bits
        bits = np.asarray(bits)
        if bits.dtype != np.uint16:
            raise TypeError(f"xent.bf16_bits: the bit patterns must be a uint16 array, got {bits.dtype} "
                            "(xent.float32_to_bf16_bits rounds float values to bf16 bits)")
        self.bits = np.asarray(bits, order="C")

    shape = property(lambda self: self.bits.shape)
    ndim = property(lambda self: self.bits.ndim)
    size = property(lambda self: self.bits.size)

    def __repr__(self):
        return f"xent.bf16_bits({self.bits!r})"


def bf16_bits(bits):
    """Mark a uint16 array as bfloat16 bit patterns (the top halves of float32 values): pass the
    result wherever a bfloat16 array goes. No copy unless `bits` is not C-contiguous."""
    return Bf16Bits(bits)


def bf16_bits_to_float32(bits):
    """bf16 bit patterns (uint16, or xent.bf16_bits) widened exactly to float32."""
    bits = bits.bits if isinstance(bits, Bf16Bits) else np.asarray(bits, np.uint16)
    return (bits.astype(np.uint32) << np.uint32(16)).view(np.float32)


def float32_to_bf16_bits(values):
    """float values rounded to the nearest bfloat16, ties to even (through float32), as uint16 bit
    patterns; NaN stays NaN (quiet, sign kept), overflow gives inf. Use with xent.bf16_bits."""
    u = np.asarray(values, np.float32, order="C").view(np.uint32)
    rounded = (u + np.uint32(0x7FFF) + ((u >> np.uint32(16)) & np.uint32(1))) >> np.uint32(16)
    nan = (u & np.uint32(0x7FFFFFFF)) > np.uint32(0x7F800000)
    return np.where(nan, (u >> np.uint32(16)) | np.uint32(0x40), rounded).astype(np.uint16)


def half_elem(value):
    """F16 / BF16 if value is a 16-bit float array (or xent.bf16_bits), else None."""
    if isinstance(value, Bf16Bits):
        return BF16
    dtype = getattr(value, "dtype", None)
    if not isinstance(dtype, np.dtype):
        return None
    if dtype == np.float16:
        return F16
    if dtype.name == "bfloat16" and dtype.itemsize == 2:  # ml_dtypes.bfloat16 (not imported here)
        return BF16
    return None


def describe(value):
    """The dtype of value for messages."""
    if isinstance(value, Bf16Bits):
        return "bfloat16 (xent.bf16_bits)"
    return str(np.asarray(value).dtype)


def storage(value):
    """A 16-bit value's memory as a C-contiguous array (uint16 for xent.bf16_bits)."""
    return value.bits if isinstance(value, Bf16Bits) else np.asarray(value, order="C")


def float_array(x):
    """x as (contiguous array, Elem): float32 and 16-bit arrays keep their type, anything else
    becomes float64."""
    elem = half_elem(x)
    if elem is not None:
        return storage(x), elem
    x = np.asarray(x)
    if x.dtype == np.float32:
        return np.asarray(x, order="C"), F32
    return np.asarray(x, np.float64, order="C"), F64


def widen(value):
    """A 16-bit value as float32 (exact); any other value as is."""
    elem = half_elem(value)
    if elem is BF16:
        return bf16_bits_to_float32(storage(value).view(np.uint16))
    if elem is F16:
        return np.asarray(value, np.float32)
    return value


def real_array(fname, what, value, elem):
    """A float-valued argument (weights, dloss, lse, partials) of a call on `elem`, as a contiguous
    elem.real array. For a 16-bit call, an array of the other 16-bit format or a bare uint16 array
    raises TypeError naming the argument; one of the same format is widened exactly."""
    other = half_elem(value)
    if elem.half:
        if other is not None and other is not elem:
            raise TypeError(f"xent_{fname}: {what} is {describe(value)} but the input is {elem.name}; "
                            f"pass float32 or {elem.name}")
        if other is None and np.asarray(value).dtype == np.uint16:
            raise TypeError(f"xent_{fname}: {what} is a bare uint16 array; wrap bf16 bit patterns with "
                            "xent.bf16_bits() or pass float32")
    return np.asarray(widen(value), elem.real, order="C")


def like_input(fname, what, value, x, elem):
    """Soft targets for input x of type elem: converted to x's type for float32 / float64 input;
    for 16-bit input they must already be of the input's 16-bit format (no rounding here)."""
    if not elem.half:
        return np.asarray(widen(value), x.dtype, order="C")
    if half_elem(value) is not elem:
        raise TypeError(f"xent_{fname}: {what} is {describe(value)} but the input is {elem.name}; "
                        f"pass {what} of the input's dtype")
    return storage(value)
