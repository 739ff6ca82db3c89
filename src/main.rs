//! dsops: parse the command line, dispatch, map errors to exit statuses.
//!
//! dsops provides the C `main` itself instead of Rust's `fn main`. Rust's
//! runtime start-up (reading `/proc/self/maps` for the main thread's stack
//! guard, an alternate signal stack, naming the main thread) costs about a
//! third of a millisecond here, as much as the rest of a cached `creds` or a
//! no-op `hook-env` together, and those run at every credential lookup and
//! prompt change. What we give up: a stack overflow is a plain SIGSEGV rather
//! than a message. The arguments come from this `main`'s own `argc`/`argv`
//! (std's `args_os` relies on a glibc start-up hook that musl lacks), and
//! SIGPIPE is ignored here, as Rust's runtime would, so that a closed stdout
//! is an error the one writer handles (`output.rs`); children get the default
//! action back (std resets it before `exec`).
//!
//! On Windows (no such start-up cost, no SIGPIPE, arguments as UTF-16 from
//! the command line) dsops has an ordinary Rust `main`.
#![cfg_attr(all(unix, not(test)), no_main)]

mod awsconfig;
mod base64;
mod chain;
mod cli;
mod cmd;
mod config;
mod console;
mod eks;
mod endpoint;
mod error;
mod fsutil;
mod generate;
mod http;
mod loopback;
mod output;
mod paths;
mod picker;
mod platform;
mod quote;
mod resolve;
mod rolecreds;
mod settings;
mod shell;
mod source;
mod sso;
mod stores;
mod sts;
mod suggest;
mod text;
mod timefmt;

use std::ffi::OsString;

#[cfg(all(unix, not(test)))]
#[unsafe(no_mangle)]
extern "C" fn main(argc: std::ffi::c_int, argv: *const *const std::ffi::c_char) -> std::ffi::c_int {
    platform::ignore_sigpipe();
    // SAFETY: the C runtime passes `argc` valid NUL-terminated strings.
    let args = unsafe { args_from(argc, argv) };
    run(args)
}

/// `argv[0..argc]` as OS strings.
///
/// # Safety
/// `argv` must point to `argc` valid C strings, as the C runtime guarantees.
#[cfg(all(unix, not(test)))]
unsafe fn args_from(argc: std::ffi::c_int, argv: *const *const std::ffi::c_char) -> Vec<OsString> {
    use std::os::unix::ffi::OsStringExt;
    let n = usize::try_from(argc).unwrap_or(0);
    (0..n)
        .filter_map(|i| {
            // SAFETY: i < argc, so argv[i] is a valid pointer (see above).
            let p = unsafe { *argv.add(i) };
            if p.is_null() {
                return None;
            }
            // SAFETY: a non-null argv entry is a NUL-terminated string.
            let bytes = unsafe { std::ffi::CStr::from_ptr(p) }.to_bytes().to_vec();
            Some(OsString::from_vec(bytes))
        })
        .collect()
}

/// Under `cargo test` the test harness brings its own `main`; this one keeps
/// the program's code reachable for the dead-code lint. On Windows it is the
/// program's `main`.
#[cfg(any(test, windows))]
fn main() {
    run(std::env::args_os().collect())
}

fn run(args: Vec<OsString>) -> ! {
    let printed = |text: error::Result<String>| match text.and_then(|t| output::print(t.as_bytes()))
    {
        Ok(()) => error::Exit::Ok.code(),
        Err(e) => report(&e),
    };
    let code = match cli::parse(args) {
        Ok(cli::Parsed::Help(cmd, long)) => printed(Ok(cli::help(cmd, long))),
        Ok(cli::Parsed::GroupHelp(group)) => printed(Ok(cli::group_help(group))),
        Ok(cli::Parsed::Version) => printed(Ok(format!("dsops {}\n", env!("CARGO_PKG_VERSION")))),
        Ok(cli::Parsed::Generate(kind)) => printed(generate::generate(&kind)),
        Ok(cli::Parsed::Usage) => {
            eprint!("{}", cli::help(None, false));
            error::Exit::Usage.code()
        }
        Ok(cli::Parsed::Run(args)) => {
            let name = args.command_name();
            match cmd::Ctx::new(*args).and_then(cmd::run) {
                Ok(code) => code,
                Err(e) => report_in(&e, Some(name)),
            }
        }
        Err(e) => report(&e),
    };
    std::process::exit(code);
}

fn report(e: &error::Error) -> i32 {
    report_in(e, None)
}

/// The message, and for a usage error where to read about usage: the
/// command's own help when the command is known.
fn report_in(e: &error::Error, command: Option<&str>) -> i32 {
    // Messages carry paths, names and values from project files.
    eprintln!("dsops: {}", text::shown(&e.to_string()));
    if e.kind == error::Exit::Usage {
        match command {
            Some(c) => eprintln!("dsops: see 'dsops help {c}'"),
            None => eprintln!("dsops: see 'dsops --help'"),
        }
    }
    e.code()
}
