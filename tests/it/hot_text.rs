//! The warm path's code linked together (`link/hot-text.ld`, passed by
//! `build.rs` on `*-linux-gnu`): the binary under test has the `.text.hot`
//! section, and the functions a cached `creds` runs are in it. Without it a
//! cached `creds` touches some 40 places spread over 8 MB of text and its
//! peak RSS goes over the 5 MB the spec allows.

use crate::support::*;

/// The section headers of the binary under test (`readelf -S -W`).
fn sections() -> Option<String> {
    if !cfg!(all(target_os = "linux", target_env = "gnu"))
        || !require_tool("readelf")
        || !require_tool("nm")
    {
        return None;
    }
    let out = std::process::Command::new("readelf")
        .args(["-S", "-W"])
        .arg(bin())
        .output()
        .unwrap();
    assert!(out.status.success());
    Some(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// Start and size of section `name` in `readelf -S -W` output.
fn section(text: &str, name: &str) -> Option<(u64, u64)> {
    text.lines().find_map(|l| {
        let l = l.split_once(']')?.1;
        let mut f = l.split_whitespace();
        if f.next()? != name {
            return None;
        }
        let _kind = f.next()?;
        let addr = u64::from_str_radix(f.next()?, 16).ok()?;
        let _off = f.next()?;
        let size = u64::from_str_radix(f.next()?, 16).ok()?;
        Some((addr, size))
    })
}

#[test]
fn the_warm_path_is_linked_together() {
    if std::env::var_os("DSOPS_HOT_TEXT").is_some_and(|v| v == "0") {
        skip("built with DSOPS_HOT_TEXT=0");
        return;
    }
    let Some(text) = sections() else { return };
    let (hot, hot_size) = section(&text, ".text.hot")
        .unwrap_or_else(|| panic!("no .text.hot section in {}:\n{text}", bin().display()));
    let (main, _) = section(&text, ".text").expect(".text");
    assert!(hot < main, ".text.hot comes first:\n{text}");
    // Some of the warm path, not everything (the debug build has no inlining).
    assert!(hot_size > 16 * 1024, "{hot_size} bytes");
    // The functions of a cached creds are among them (names from the symbol
    // table, which the debug build keeps).
    let out = std::process::Command::new("nm")
        .arg(bin())
        .output()
        .unwrap();
    let symbols = String::from_utf8_lossy(&out.stdout);
    for wanted in [
        "_ZN5dsops3cmd5creds3run17h",
        "_ZN5dsops9rolecreds9read_role17h",
    ] {
        let addr = symbols
            .lines()
            .find(|l| l.contains(wanted))
            .and_then(|l| u64::from_str_radix(l.split_whitespace().next()?, 16).ok())
            .unwrap_or_else(|| panic!("no symbol {wanted}"));
        assert!(
            (hot..hot + hot_size).contains(&addr),
            "{wanted} at {addr:x} is outside .text.hot ({hot:x}+{hot_size:x})"
        );
    }
}
