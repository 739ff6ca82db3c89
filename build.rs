//! Link the dsops binary as a non-PIE executable on Linux.
//!
//! A position-independent executable makes the dynamic loader apply some
//! twenty thousand relative relocations at every start, about 40% of the
//! instructions a cached `dsops creds` runs. dsops starts at every shell
//! prompt change and for every AWS SDK credential lookup, so it links at a
//! fixed address instead. The code itself is still position independent.
fn main() {
    let os = std::env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    let features = std::env::var("CARGO_CFG_TARGET_FEATURE").unwrap_or_default();
    // A fully static build (`-C target-feature=+crt-static`) is already
    // linked at a fixed address by rustc; -no-pie on top of it crashes.
    if os == "linux" && !features.split(',').any(|f| f == "crt-static") {
        println!("cargo:rustc-link-arg-bins=-no-pie");
    }
    println!("cargo:rerun-if-changed=build.rs");
}
