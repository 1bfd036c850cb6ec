//! Finds libxent: $XENT_LIB_DIR, else `pkg-config --libs-only-L xent`, else the repository's
//! build/ directory, else the linker's default search path. The directory also goes into the
//! rpath of this crate's tests, examples and binaries, so `cargo test` needs no LD_LIBRARY_PATH.
//! With `links = "xent"`, a dependent's build script reads DEP_XENT_LIB_DIR and, when the
//! header directory is known, DEP_XENT_INCLUDE (the directory holding xent/xent.h):
//! $XENT_INCLUDE_DIR, else pkg-config's includedir, else an include/ beside the library
//! directory, else the repository's include/.
use std::env;
use std::path::PathBuf;
use std::process::Command;

/// The -L directories pkg-config gives for xent (empty for a system directory), or None when
/// pkg-config or xent.pc is missing.
fn pkg_config_dirs() -> Option<Vec<PathBuf>> {
    let tool = env::var("PKG_CONFIG").unwrap_or_else(|_| "pkg-config".into());
    let out = Command::new(tool).args(["--libs-only-L", "xent"]).output().ok()?;
    if !out.status.success() {
        return None;
    }
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    Some(text.split_whitespace().filter_map(|a| a.strip_prefix("-L")).map(PathBuf::from).collect())
}

/// pkg-config's `includedir` for xent, when pkg-config and xent.pc are there.
fn pkg_config_include() -> Option<PathBuf> {
    let tool = env::var("PKG_CONFIG").unwrap_or_else(|_| "pkg-config".into());
    let out = Command::new(tool).args(["--variable=includedir", "xent"]).output().ok()?;
    let dir = String::from_utf8_lossy(&out.stdout).trim().to_owned();
    (out.status.success() && !dir.is_empty()).then(|| PathBuf::from(dir))
}

/// The first directory holding xent/xent.h: see the crate doc above.
fn include_dir(lib_dir: Option<&PathBuf>) -> Option<PathBuf> {
    let has_header = |d: &PathBuf| d.join("xent/xent.h").is_file();
    if let Some(dir) = env::var_os("XENT_INCLUDE_DIR") {
        return Some(PathBuf::from(dir));
    }
    let near_lib = lib_dir.into_iter().flat_map(|l| [l.join("../include"), l.join("../../include")]);
    let repo = env::var_os("CARGO_MANIFEST_DIR").map(|m| PathBuf::from(m).join("../../include"));
    pkg_config_include().into_iter().chain(near_lib).chain(repo).find(has_header)
}

fn repo_build_dir() -> Option<PathBuf> {
    let dir = PathBuf::from(env::var_os("CARGO_MANIFEST_DIR")?).join("../../build");
    dir.join("libxent.so").exists().then_some(dir)
}

fn main() {
    for var in ["XENT_LIB_DIR", "XENT_INCLUDE_DIR", "PKG_CONFIG", "PKG_CONFIG_PATH"] {
        println!("cargo:rerun-if-env-changed={var}");
    }
    let dirs = match env::var_os("XENT_LIB_DIR") {
        Some(dir) => vec![PathBuf::from(dir)],
        None => pkg_config_dirs().or_else(|| repo_build_dir().map(|d| vec![d])).unwrap_or_else(|| {
            println!("cargo:warning=libxent not located: set XENT_LIB_DIR or PKG_CONFIG_PATH");
            Vec::new()
        }),
    };
    for dir in &dirs {
        println!("cargo:rustc-link-search=native={}", dir.display());
        println!("cargo:rustc-link-arg=-Wl,-rpath,{}", dir.display());
    }
    if let Some(dir) = dirs.first() {
        println!("cargo:lib_dir={}", dir.display()); // DEP_XENT_LIB_DIR for dependents' build scripts
    }
    if let Some(dir) = include_dir(dirs.first()) {
        println!("cargo:include={}", dir.display()); // DEP_XENT_INCLUDE
    }
    println!("cargo:rustc-link-lib=dylib=xent");
}
