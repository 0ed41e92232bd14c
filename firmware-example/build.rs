//! Puts the memory layout of the target's QEMU board on the linker's path
//! as `memory.x` (cortex-m-rt's `link.x` includes it).

use std::path::PathBuf;
use std::{env, fs};

fn main() {
    let target = env::var("TARGET").unwrap_or_default();
    // thumbv6m runs on QEMU's microbit (16 KiB RAM), everything else on the
    // lm3s6965evb (64 KiB RAM).
    // There is deliberately no `memory.x` in the package root: the linker
    // would find it there before this one.
    let layout = if target.starts_with("thumbv6m") {
        "memory-microbit.x"
    } else {
        "memory-lm3s6965evb.x"
    };
    let out = PathBuf::from(env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    fs::copy(layout, out.join("memory.x")).expect("copy the memory layout");
    println!("cargo:rustc-link-search={}", out.display());
    // The 16 KiB board cannot hold the 10.5 KB inflate state next to the
    // test's buffers: tests/vectors.rs leaves the deflate vectors out there.
    println!("cargo::rustc-check-cfg=cfg(small_ram)");
    if target.starts_with("thumbv6m") {
        println!("cargo::rustc-cfg=small_ram");
    }
    println!("cargo:rerun-if-changed=memory-lm3s6965evb.x");
    println!("cargo:rerun-if-changed=memory-microbit.x");
    println!("cargo:rerun-if-changed=build.rs");
}
