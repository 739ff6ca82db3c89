//! dsops: parse the command line, dispatch, map errors to exit statuses.

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

fn main() {
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
