//! Finds libkvps: with pkg-config by default, or builds it from this repository with CMake
//! when the `bundled` feature is on. Either way it exports the directory holding kvps.h as
//! `DEP_KVPS_INCLUDE` to dependents and as `KVPS_SYS_INCLUDE_DIR` to this crate's tests.

use std::env;
use std::path::PathBuf;

fn main() {
    let include_dir = if env::var_os("CARGO_FEATURE_BUNDLED").is_some() {
        bundled()
    } else {
        installed()
    };
    println!("cargo:include={}", include_dir.display());
    println!(
        "cargo:rustc-env=KVPS_SYS_INCLUDE_DIR={}",
        include_dir.display()
    );
}

/// Links the installed library that pkg-config reports, and returns its include directory.
fn installed() -> PathBuf {
    let library = pkg_config::Config::new()
        .atleast_version("0.1.0")
        .probe("kvps")
        .unwrap_or_else(|error| {
            panic!(
                "kvps-sys: libkvps was not found with pkg-config ({error}).\n\
                 Install kvps and point PKG_CONFIG_PATH at the folder holding kvps.pc \
                 (e.g. PKG_CONFIG_PATH=$PREFIX/lib/pkgconfig), or enable the `bundled` \
                 feature to build it from source with CMake."
            )
        });
    if let Some(dir) = library.include_paths.first() {
        return dir.clone();
    }
    // pkg-config hides system include folders such as /usr/include; ask for the variable.
    pkg_config::get_variable("kvps", "includedir")
        .map(PathBuf::from)
        .expect("kvps-sys: kvps.pc has no includedir")
}

/// Builds the library from the repository with CMake, links it, and returns its include dir.
#[cfg(feature = "bundled")]
fn bundled() -> PathBuf {
    let manifest = PathBuf::from(env::var_os("CARGO_MANIFEST_DIR").unwrap());
    println!("cargo:rerun-if-env-changed=KVPS_SOURCE_DIR");
    let source = match env::var_os("KVPS_SOURCE_DIR") {
        Some(dir) => PathBuf::from(dir),
        // kvps-sys lives in bindings/rust/kvps-sys of the repository.
        None => manifest.join("../../.."),
    };
    assert!(
        source.join("include/kvps.h").is_file(),
        "kvps-sys: the bundled build needs the kvps sources; {} has no include/kvps.h \
         (set KVPS_SOURCE_DIR to the repository root)",
        source.display()
    );
    for watched in ["CMakeLists.txt", "include", "src", "cmake"] {
        println!("cargo:rerun-if-changed={}", source.join(watched).display());
    }
    let prefix = cmake::Config::new(&source)
        .define("KVPS_BUILD_TESTS", "OFF")
        .define("KVPS_BUILD_CLI", "OFF")
        .define("KVPS_BUILD_BENCH", "OFF")
        .define("CMAKE_INSTALL_LIBDIR", "lib")
        .build();
    // libkvps.a is linked into the program, as rusqlite's `bundled` does with SQLite: the
    // binary runs on its own, with no libkvps.so.0 to find. Its dependencies stay shared
    // system libraries: the pkg-config modules kvps-static.pc requires, and the C++ runtime.
    let libdir = prefix.join("lib");
    println!("cargo:rustc-link-search=native={}", libdir.display());
    println!("cargo:rustc-link-lib=static=kvps");
    let pc = libdir.join("pkgconfig/kvps-static.pc");
    let text = std::fs::read_to_string(&pc)
        .unwrap_or_else(|error| panic!("kvps-sys: cannot read {}: {error}", pc.display()));
    let requires = text
        .lines()
        .find_map(|line| line.strip_prefix("Requires:"))
        .unwrap_or("");
    for module in requires.split([' ', ',']).filter(|m| !m.is_empty()) {
        pkg_config::Config::new()
            .probe(module)
            .unwrap_or_else(|error| panic!("kvps-sys: libkvps needs {module}: {error}"));
    }
    println!("cargo:rustc-link-lib=dylib=stdc++");
    prefix.join("include")
}

#[cfg(not(feature = "bundled"))]
fn bundled() -> PathBuf {
    unreachable!("the bundled feature is off")
}
