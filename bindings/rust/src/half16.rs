//! `Bf16` and `F16`: the 16-bit storage types of the `_bf16` / `_f16` functions (`xent_bf16`,
//! `xent_f16` of xent.h), with conversions from and to `f32` written out in integer
//! arithmetic (no dependency). `from_f32` rounds to nearest, ties to even, subnormals
//! included; overflow gives infinity and a NaN stays a (quiet) NaN of the same sign, as the
//! library's own conversion does, so `from_f32` of an f32 result is what a 16-bit call writes.
use std::cmp::Ordering;
use std::fmt;

/// bfloat16: the top half of an IEEE binary32 (sign, 8 exponent bits, 7 mantissa bits).
/// The field is the bit pattern. `==` and `<` compare the values (NaN is unequal to
/// itself, `-0 == +0`); compare `.0` for bit equality.
#[repr(transparent)]
#[derive(Clone, Copy, Default)]
pub struct Bf16(pub u16);

/// IEEE 754 binary16 (sign, 5 exponent bits, 10 mantissa bits). The field is the bit pattern.
/// `==` and `<` compare the values; compare `.0` for bit equality.
#[repr(transparent)]
#[derive(Clone, Copy, Default)]
pub struct F16(pub u16);

impl Bf16 {
    /// `x` rounded to nearest even.
    pub const fn from_f32(x: f32) -> Bf16 {
        let u = x.to_bits();
        if u & 0x7fff_ffff > 0x7f80_0000 {
            return Bf16(((u >> 16) | 0x0040) as u16); // quiet NaN, sign and top payload kept
        }
        // Adding 0x7fff (+1 when the kept lsb is odd) carries into bit 16 exactly when the
        // dropped half is above one half (or equal to it with an odd kept part).
        Bf16(((u + 0x7fff + ((u >> 16) & 1)) >> 16) as u16)
    }

    /// The exact f32 value.
    pub const fn to_f32(self) -> f32 {
        f32::from_bits((self.0 as u32) << 16)
    }

    pub const fn from_bits(bits: u16) -> Bf16 {
        Bf16(bits)
    }

    pub const fn to_bits(self) -> u16 {
        self.0
    }

    pub const fn is_nan(self) -> bool {
        self.0 & 0x7fff > 0x7f80
    }
}

impl F16 {
    /// `x` rounded to nearest even (65520 and above in magnitude give infinity).
    pub const fn from_f32(x: f32) -> F16 {
        let u = x.to_bits();
        let sign = ((u >> 16) & 0x8000) as u16;
        let exp = ((u >> 23) & 0xff) as i32;
        let man = u & 0x007f_ffff;
        if exp == 0xff {
            // inf, or a quiet NaN with the top 9 payload bits
            return F16(sign | 0x7c00 | if man != 0 { 0x0200 | (man >> 13) as u16 } else { 0 });
        }
        let e = exp - 127 + 15; // the binary16 biased exponent
        if e >= 0x1f {
            return F16(sign | 0x7c00);
        }
        if e <= 0 {
            // Below 2^-14: a multiple of 2^-24, r = round(m * 2^(e - 14)) with the implicit bit.
            if e < -10 {
                return F16(sign); // below 2^-25 (a tie at 2^-25 is e = -10): zero
            }
            let m = man | 0x0080_0000;
            let shift = (14 - e) as u32; // 14..=24
            let half = 1u32 << (shift - 1);
            let rest = m & ((1u32 << shift) - 1);
            let mut r = m >> shift;
            if rest > half || (rest == half && r & 1 == 1) {
                r += 1; // may become 0x400, the smallest normal: the right encoding
            }
            return F16(sign | r as u16);
        }
        let mut r = ((e as u32) << 10) | (man >> 13);
        let rest = man & 0x1fff;
        if rest > 0x1000 || (rest == 0x1000 && r & 1 == 1) {
            r += 1; // a carry out of the mantissa bumps the exponent (up to inf): still right
        }
        F16(sign | r as u16)
    }

    /// The exact f32 value.
    pub const fn to_f32(self) -> f32 {
        let h = self.0 as u32;
        let sign = (h & 0x8000) << 16;
        let exp = (h >> 10) & 0x1f;
        let man = h & 0x3ff;
        let bits = if exp == 0x1f {
            sign | 0x7f80_0000 | (man << 13) | if man != 0 { 0x0040_0000 } else { 0 }
        } else if exp != 0 {
            sign | ((exp + 112) << 23) | (man << 13)
        } else if man == 0 {
            sign
        } else {
            // subnormal man * 2^-24: normalize so that the leading 1 is the implicit bit
            let lead = 31 - man.leading_zeros(); // 0..=9
            sign | ((lead + 103) << 23) | ((man << (23 - lead)) & 0x007f_ffff)
        };
        f32::from_bits(bits)
    }

    pub const fn from_bits(bits: u16) -> F16 {
        F16(bits)
    }

    pub const fn to_bits(self) -> u16 {
        self.0
    }

    pub const fn is_nan(self) -> bool {
        self.0 & 0x7fff > 0x7c00
    }
}

macro_rules! common {
    ($t:ident) => {
        impl From<$t> for f32 {
            fn from(x: $t) -> f32 {
                x.to_f32()
            }
        }
        impl From<$t> for f64 {
            fn from(x: $t) -> f64 {
                f64::from(x.to_f32())
            }
        }
        impl From<f32> for $t {
            /// Rounds to nearest even.
            fn from(x: f32) -> $t {
                $t::from_f32(x)
            }
        }
        impl PartialEq for $t {
            fn eq(&self, other: &$t) -> bool {
                self.to_f32() == other.to_f32()
            }
        }
        impl PartialOrd for $t {
            fn partial_cmp(&self, other: &$t) -> Option<Ordering> {
                self.to_f32().partial_cmp(&other.to_f32())
            }
        }
        impl fmt::Debug for $t {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{:?}", self.to_f32())
            }
        }
        impl fmt::Display for $t {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Display::fmt(&self.to_f32(), f)
            }
        }
    };
}

common!(Bf16);
common!(F16);

#[cfg(feature = "half")]
mod half_conversions {
    use super::{Bf16, F16};

    impl From<half::bf16> for Bf16 {
        fn from(x: half::bf16) -> Bf16 {
            Bf16(x.to_bits())
        }
    }
    impl From<Bf16> for half::bf16 {
        fn from(x: Bf16) -> half::bf16 {
            half::bf16::from_bits(x.0)
        }
    }
    impl From<half::f16> for F16 {
        fn from(x: half::f16) -> F16 {
            F16(x.to_bits())
        }
    }
    impl From<F16> for half::f16 {
        fn from(x: F16) -> half::f16 {
            half::f16::from_bits(x.0)
        }
    }
}
