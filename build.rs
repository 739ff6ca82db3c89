//! Link the dsops binary as a non-PIE executable on Linux with glibc.
//!
//! A position-independent executable makes the dynamic loader apply some
//! twenty thousand relative relocations at every start, about 40% of the
//! instructions a cached `dsops creds` runs. dsops starts at every shell
//! prompt change and for every AWS SDK credential lookup, so it links at a
//! fixed address instead. The code itself is still position independent.
//!
//! Only for `*-linux-gnu` targets that are not fully static: musl builds are
//! static by default and rustc already links those at a fixed address (the
//! two together crash), and other systems have their own rules. Set
//! `DSOPS_PIE=1` while building to keep the toolchain's default (a PIE).
//!
//! On the same targets, `link/hot-text.ld` places the functions a cached
//! `dsops creds` runs together at the start of the text (GNU ld and LLD read
//! it; its comment says why: peak RSS). Set `DSOPS_HOT_TEXT=0` to link
//! without it (for a linker that takes no linker script, such as mold).
fn main() {
    let var = |k: &str| std::env::var(k).unwrap_or_default();
    let os = var("CARGO_CFG_TARGET_OS");
    let target_env = var("CARGO_CFG_TARGET_ENV");
    let features = var("CARGO_CFG_TARGET_FEATURE");
    let static_crt = features.split(',').any(|f| f == "crt-static");
    let opted_out = std::env::var_os("DSOPS_PIE").is_some_and(|v| !v.is_empty() && v != "0");
    if os == "linux" && target_env == "gnu" && !static_crt && !opted_out {
        println!("cargo:rustc-link-arg-bins=-no-pie");
    }
    let hot_text_off = std::env::var("DSOPS_HOT_TEXT").is_ok_and(|v| v == "0");
    if os == "linux" && target_env == "gnu" && !static_crt && !hot_text_off {
        let script = std::path::Path::new(&var("CARGO_MANIFEST_DIR")).join("link/hot-text.ld");
        println!("cargo:rustc-link-arg-bins=-Wl,-T,{}", script.display());
        println!("cargo:rerun-if-changed=link/hot-text.ld");
    }
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-env-changed=DSOPS_PIE");
    println!("cargo:rerun-if-env-changed=DSOPS_HOT_TEXT");
}
