"""The installed wheel (`pip install .` at the repository root), as scripts/suites/32-wheel.sh
runs it: `import xent` comes from site-packages, not from this checkout, and loads the
libxent bundled inside the package with no XENT_LIBRARY, LD_LIBRARY_PATH or build tree; the
overrides still win; the package carries what xent.jax compiles its shim from.

Meant for an installed package only (run from outside the checkout, no PYTHONPATH): in a
source checkout the first test fails by design."""
import importlib
import os
import pathlib
import shutil
import subprocess
import sys
import sysconfig

import numpy as np
import pytest

import xent

_lib = importlib.import_module("xent._lib")  # the module (the attribute xent._lib is its lib())

CHECKOUT = pathlib.Path(__file__).resolve().parents[3]
SOURCE_PKG = CHECKOUT / "bindings" / "python" / "xent"
PKG = pathlib.Path(xent.__file__).resolve().parent
ISAS = {"avx512", "avx2", "sse2", "neon", "scalar"}


def site_dirs():
    paths = sysconfig.get_paths()
    return {pathlib.Path(paths[k]).resolve() for k in ("platlib", "purelib")}


def clean_env(**extra):
    """The environment without anything that points xent at a library or a source tree."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("XENT_") and k not in ("PYTHONPATH", "LD_LIBRARY_PATH", "PYTHONHOME")}
    env.update(extra)
    return env


def run_python(code, tmp_path, **extra):
    proc = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=clean_env(**extra),
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.split()


def test_imported_from_site_packages():
    assert PKG.parent in site_dirs(), f"xent imported from {PKG}, not site-packages {site_dirs()}"
    # (the venv itself may sit in a build directory inside the checkout, as in CI)
    assert PKG != CHECKOUT / "bindings" / "python" / "xent", f"xent imported from the source tree: {PKG}"


def test_bundled_library_is_loaded():
    for var in ("XENT_LIBRARY", "XENT_LIB_DIR"):
        assert var not in os.environ, f"{var} is set: this run does not test the bundled library"
    path = pathlib.Path(xent.library_path())
    assert path.parent == PKG and path.name == "libxent.so"
    assert _lib.bundled_library() == str(path)
    assert xent.simd_isa() in ISAS
    assert xent.version().count(".") == 2
    maps = pathlib.Path("/proc/self/maps")
    if maps.exists():  # the file the process really mapped
        mapped = {line.split()[-1] for line in maps.read_text().splitlines() if "libxent" in line}
        assert mapped == {str(path)}, mapped


def test_import_with_no_environment(tmp_path):
    code = ("import numpy as np, xent; "
            "x = np.array([[1, 2, 3]] * 3, np.float32); "
            "print(xent.__file__, xent.library_path(), "
            "float(xent.sparse_softmax_ce_with_logits(x, np.array([2, 2, 2]), reduction='sum')))")
    file, lib, loss = run_python(code, tmp_path)
    assert pathlib.Path(file).resolve().parent == PKG
    assert pathlib.Path(lib).parent == PKG
    assert abs(float(loss) - 3 * 0.40760596) < 1e-5


def test_overrides_still_win(tmp_path):
    copy = tmp_path / "own" / "libxent.so"
    copy.parent.mkdir()
    shutil.copy(_lib.bundled_library(), copy)
    code = "import xent; print(xent.library_path(), xent.simd_isa())"
    assert run_python(code, tmp_path, XENT_LIBRARY=str(copy))[0] == str(copy)
    assert run_python(code, tmp_path, XENT_LIB_DIR=str(copy.parent))[0] == str(copy)
    proc = subprocess.run([sys.executable, "-c", "import xent; xent.library_path()"], cwd=tmp_path,
                          env=clean_env(XENT_LIB_DIR=str(tmp_path / "nothing")), capture_output=True, text=True)
    assert proc.returncode != 0 and "XENT_LIB_DIR" in proc.stderr


def test_package_contents():
    installed = {p.name for p in PKG.glob("*.py")}
    if SOURCE_PKG.is_dir():  # every module of the source package is installed
        assert {p.name for p in SOURCE_PKG.glob("*.py")} <= installed
    assert (PKG / "_jax_ffi" / "xent_jax_ffi.cc").is_file()
    for header in ("xent.h", "xent.hpp", "xent_vocab_parallel.h", "xent_linear.h"):
        bundled = PKG / "include" / "xent" / header
        assert bundled.is_file(), bundled
        if (CHECKOUT / "include" / "xent" / header).is_file():
            assert bundled.read_bytes() == (CHECKOUT / "include" / "xent" / header).read_bytes()
    assert _lib.include_dir() == PKG / "include"
    # a wheel holds files only: no libxent.so.0 symlinks, no static library
    assert sorted(p.name for p in PKG.glob("libxent*")) == ["libxent.so"]


def test_loss_and_gradient():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(4, 7))
    y = rng.integers(0, 7, size=4)
    loss, grad = xent.sparse_softmax_ce_with_logits(x, y, reduction="mean", grad=True)
    m = x.max(axis=1, keepdims=True)
    lse = (m + np.log(np.exp(x - m).sum(axis=1, keepdims=True)))[:, 0]
    assert np.isclose(float(loss), np.mean(lse - x[np.arange(4), y]), rtol=1e-12)
    p = np.exp(x - lse[:, None])
    p[np.arange(4), y] -= 1
    assert np.allclose(grad, p / 4, rtol=1e-10, atol=1e-14)


def test_jax_shim_from_the_wheel(tmp_path):
    """xent.jax compiles its shim from the installed .cc and headers (skipped without jax)."""
    pytest.importorskip("jax")
    code = ("import jax.numpy as jnp, xent.jax as xj; "
            "print(xj._header_dir(), float(xj.softmax_cross_entropy_with_integer_labels("
            "jnp.array([[1., 2., 3.]]), jnp.array([2]))[0]))")
    inc, loss = run_python(code, tmp_path, XENT_JAX_CACHE=str(tmp_path / "cache"), JAX_PLATFORMS="cpu")
    assert pathlib.Path(inc) == PKG / "include"
    assert abs(float(loss) - 0.40760596) < 1e-5
