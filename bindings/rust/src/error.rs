//! `xent::Error`: a status and the library's message.
use std::ffi::CStr;
use std::fmt;
use std::os::raw::c_char;

use crate::ffi;

/// Why a call failed (`xent_status` without `XENT_OK`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Status {
    NullPointer,
    InvalidShape,
    InvalidArgument,
    LabelOutOfRange,
    OutOfMemory,
    Internal,
    /// A status this binding does not know (a newer library).
    Unknown(i32),
}

impl Status {
    fn from_raw(status: ffi::xent_status) -> Status {
        match status {
            1 => Status::NullPointer,
            2 => Status::InvalidShape,
            3 => Status::InvalidArgument,
            4 => Status::LabelOutOfRange,
            5 => Status::OutOfMemory,
            6 => Status::Internal,
            other => Status::Unknown(other),
        }
    }
}

/// A failed call: its status and what the library (or, for slice lengths, this binding) said.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Error {
    pub status: Status,
    pub message: String,
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} [{:?}]", self.message, self.status)
    }
}

impl std::error::Error for Error {}

pub type Result<T> = std::result::Result<T, Error>;

/// A static C string of the library as a `&'static str`.
pub(crate) fn static_str(s: *const c_char) -> &'static str {
    if s.is_null() {
        return "";
    }
    // SAFETY: the library returns NUL-terminated strings that live as long as it is loaded.
    unsafe { CStr::from_ptr(s) }.to_str().unwrap_or("")
}

/// `Ok` for `XENT_OK`, else the status with `xent_last_error()`.
pub(crate) fn check(status: ffi::xent_status) -> Result<()> {
    if status == 0 {
        return Ok(());
    }
    // SAFETY: xent_last_error is thread-local and valid until the next call on this thread.
    let message = unsafe { CStr::from_ptr(ffi::xent_last_error()) }.to_string_lossy().into_owned();
    Err(Error { status: Status::from_raw(status), message })
}

/// An `InvalidShape` error raised by the binding itself (a slice of the wrong length).
pub(crate) fn shape_error(function: &str, message: String) -> Error {
    Error { status: Status::InvalidShape, message: format!("xent_{function}: {message}") }
}

/// `len == expected`, else an `InvalidShape` error naming the slice.
pub(crate) fn expect_len(function: &str, what: &str, len: usize, expected: usize) -> Result<()> {
    if len == expected {
        Ok(())
    } else {
        Err(shape_error(function, format!("{what} has {len} elements, expected {expected}")))
    }
}
