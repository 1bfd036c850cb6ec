"""Finding libxent, the ctypes mirror of its C types, and calling it with status checks."""
import ctypes
import ctypes.util
import enum
import functools
import os
import pathlib

NO_IGNORE = -(2**63)  # XENT_NO_IGNORE = INT64_MIN
_NAMES = ("libxent.so", "libxent.so.0", "libxent.dylib", "xent.dll")


class Status(enum.IntEnum):
    """xent_status values."""
    OK = 0
    NULL_POINTER = 1
    INVALID_SHAPE = 2
    INVALID_ARGUMENT = 3
    LABEL_OUT_OF_RANGE = 4
    OUT_OF_MEMORY = 5
    INTERNAL = 6
    UNSUPPORTED = 7


class XentError(ValueError):
    """A call failed: `.status` is the xent_status, `.message` the library's explanation."""

    def __init__(self, status, message):
        try:
            status = Status(status)
        except ValueError:
            pass
        self.status = status
        self.message = message
        name = status.name if isinstance(status, Status) else f"status {int(status)}"
        super().__init__(f"{message} [{name}]")


class Options(ctypes.Structure):
    """struct xent_options (include/xent/xent.h)."""
    _fields_ = [
        ("struct_size", ctypes.c_size_t),
        ("reduction", ctypes.c_int),
        ("label_smoothing", ctypes.c_double),
        ("epsilon", ctypes.c_double),
        ("class_weights", ctypes.c_void_p),
        ("pos_weight", ctypes.c_void_p),
        ("sample_weights", ctypes.c_void_p),
        ("ignore_index", ctypes.c_int64),
        ("inner", ctypes.c_int64),
        ("z_loss", ctypes.c_double),
        ("logit_softcap", ctypes.c_double),
        ("num_threads", ctypes.c_int),
        # appended in 0.2
        ("lse_out", ctypes.c_void_p),
        ("focal_gamma", ctypes.c_double),
        ("focal_alpha", ctypes.c_double),
        ("poly_epsilon", ctypes.c_double),
    ]


def _in_dir(directory):
    for name in _NAMES:
        path = pathlib.Path(directory) / name
        if path.exists():
            return str(path)
    return None


_PACKAGE_DIR = pathlib.Path(__file__).resolve().parent


def bundled_library():
    """The libxent shipped inside the package (a wheel built by `pip install .` at the
    repository root), or None (a source checkout, `pip install bindings/python`)."""
    return _in_dir(_PACKAGE_DIR)


def library_path():
    """Where libxent is loaded from: $XENT_LIBRARY, else $XENT_LIB_DIR, else the copy bundled
    in the package (a wheel), else the repository's build/ directory, else the system's
    search (ctypes.util.find_library)."""
    explicit = os.environ.get("XENT_LIBRARY")
    if explicit:
        return explicit
    lib_dir = os.environ.get("XENT_LIB_DIR")
    if lib_dir:
        found = _in_dir(lib_dir)
        if not found:
            raise OSError(f"xent: XENT_LIB_DIR={lib_dir} holds no {' / '.join(_NAMES)}")
        return found
    found = bundled_library()
    if found:
        return found
    if len(_PACKAGE_DIR.parents) > 2:
        found = _in_dir(_PACKAGE_DIR.parents[2] / "build")
        if found:
            return found
    found = ctypes.util.find_library("xent")
    if not found:
        raise OSError("xent: libxent not found (not bundled in the package, no build/ beside it, none on the "
                      "system's search path); set XENT_LIBRARY to its path or XENT_LIB_DIR to its directory, "
                      "or install the package with the library from the repository root (pip install .)")
    return found


def include_dir():
    """A directory holding xent/xent.h (for xent.jax's shim): $XENT_INCLUDE_DIR, the headers
    bundled in the package (a wheel), the source tree's include/, the include/ beside the
    library's directory, then /usr/local/include and /usr/include."""
    candidates = []
    if os.environ.get("XENT_INCLUDE_DIR"):
        candidates.append(pathlib.Path(os.environ["XENT_INCLUDE_DIR"]))
    candidates.append(_PACKAGE_DIR / "include")
    if len(_PACKAGE_DIR.parents) > 2:
        candidates.append(_PACKAGE_DIR.parents[2] / "include")
    lib = pathlib.Path(library_path())
    if lib.is_absolute() or lib.exists():
        candidates.append(lib.resolve().parent.parent / "include")
    candidates += [pathlib.Path("/usr/local/include"), pathlib.Path("/usr/include")]
    for c in candidates:
        if (c / "xent" / "xent.h").is_file():
            return c
    raise OSError("xent: xent/xent.h not found (set XENT_INCLUDE_DIR to the directory holding xent/)")


_GETTERS = (
    ("xent_version", ctypes.c_char_p, []),
    ("xent_simd_isa", ctypes.c_char_p, []),
    ("xent_last_error", ctypes.c_char_p, []),
    ("xent_status_string", ctypes.c_char_p, [ctypes.c_int]),
    ("xent_set_num_threads", None, [ctypes.c_int]),
    ("xent_get_num_threads", ctypes.c_int, []),
    ("xent_options_init", None, [ctypes.POINTER(Options)]),
)


@functools.lru_cache(maxsize=None)
def lib():
    """The loaded library (loaded on first use)."""
    handle = ctypes.CDLL(library_path())
    for name, restype, argtypes in _GETTERS:
        fn = getattr(handle, name)
        fn.restype, fn.argtypes = restype, argtypes
    return handle


# Argument lists of the status-returning functions, by shape of signature.
_P, _N = ctypes.c_void_p, ctypes.c_int64
LOSS = (_P, _P, _N, _N, ctypes.POINTER(Options), _P, _P)  # input, target, batch, classes, opts, loss, grad
BACKWARD = (_P, _P, _N, _N, ctypes.POINTER(Options), _P, _P, _P)  # ..., opts, dloss, lse, grad
UNARY = (_P, _P, _N)                                     # x, y, n
ROWS = (_P, _N, _N, _P)                                   # x, rows, cols, out
PARTIAL = (_P, _N, _N, _P, _P)                            # x, rows, cols, max, sum
MERGE = (_P, _P, _N, _N, _P)                              # max, sum, parts, rows, lse


def call(name, argtypes, *args):
    """Call xent function `name`; raise XentError with xent_last_error() unless it returns XENT_OK."""
    fn = getattr(lib(), name)
    if fn.argtypes is None:
        fn.restype, fn.argtypes = ctypes.c_int, argtypes
    status = fn(*args)
    if status != Status.OK:
        raise XentError(status, lib().xent_last_error().decode("utf-8", "replace"))


def ptr(array):
    """The data pointer of a NumPy array, or NULL for None."""
    return None if array is None else array.ctypes.data


def new_options():
    """An xent_options set to the library's defaults by xent_options_init."""
    opts = Options()
    lib().xent_options_init(ctypes.byref(opts))
    return opts
