//! dsops: parse the command line, dispatch, map errors to exit statuses.
//!
//! dsops provides the C `main` itself instead of Rust's `fn main`. Rust's
//! runtime start-up (reading `/proc/self/maps` for the main thread's stack
//! guard, an alternate signal stack, naming the main thread) costs about a
//! third of a millisecond here, as much as the rest of a cached `creds` or a
//! no-op `hook-env` together, and those run at every credential lookup and
//! prompt change. What we give up: a stack overflow is a plain SIGSEGV rather
//! than a message, and SIGPIPE keeps its default action, so writing to a
//! closed pipe ends dsops quietly, as it does `cat` (children inherit the
//! default too, as they would from a shell). Sockets are unaffected: std
//! writes to them with MSG_NOSIGNAL.
#![cfg_attr(not(test), no_main)]

mod awsconfig;
mod cli;
mod cmd;
mod config;
mod error;
mod fsutil;
mod generate;
mod http;
mod paths;
mod resolve;
mod shell;
mod sso;
mod stores;
mod timefmt;

use std::io::Write;

#[cfg(not(test))]
#[unsafe(no_mangle)]
extern "C" fn main(
    _argc: std::ffi::c_int,
    _argv: *const *const std::ffi::c_char,
) -> std::ffi::c_int {
    // std::env::args_os works without Rust's runtime: on glibc, std reads
    // argv from an .init_array hook, on macOS from _NSGetArgv.
    run()
}

/// Under `cargo test` the test harness brings its own `main`; this one keeps
/// the program's code reachable for the dead-code lint.
#[cfg(test)]
fn main() {
    run()
}

fn run() -> ! {
    let code = match cli::parse(std::env::args_os()) {
        Ok(cli::Parsed::Print(text)) => {
            let mut out = std::io::stdout().lock();
            // A closed pipe (`dsops --help | head`) is not an error.
            let _ = out.write_all(text.as_bytes()).and_then(|_| out.flush());
            error::exit::OK
        }
        Ok(cli::Parsed::Run(args)) => match cmd::run(cmd::Ctx::new(args)) {
            Ok(code) => code,
            Err(e) => report(&e),
        },
        Err(e) => report(&e),
    };
    std::process::exit(code);
}

fn report(e: &error::Error) -> i32 {
    eprintln!("dsops: {e}");
    if e.code == error::exit::USAGE {
        eprintln!("dsops: see 'dsops --help'");
    }
    e.code
}
