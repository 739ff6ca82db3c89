//! `dsops serve (--store NAME | --profile NAME)... [--port N] [--format F]`:
//! the credential endpoint of `dsops exec` in the foreground, one path and
//! token per target, until SIGINT or SIGTERM (exit 0).
//!
//! Each target's credentials are fetched (signing in if needed) before the
//! endpoint starts, so that a sign-in happens at the terminal; then the
//! variables that point an SDK at each target are printed on stdout, and a
//! status line on stderr.

use super::{Ctx, Format};
use crate::cli::Named;
use crate::endpoint::{self, Route};
use crate::error::{Error, Result};
use crate::platform;
use crate::quote;
use serde_json::{Value, json};

pub fn run(ctx: &Ctx) -> Result<i32> {
    if ctx.args.targets.is_empty() {
        return Err(Error::usage(
            "name what to serve: --store NAME or --profile NAME (each may repeat)",
        ));
    }
    let format = ctx.format.unwrap_or(Format::Shell);
    let port = ctx.port;
    let policy = ctx.login_policy();
    let mut routes = vec![];
    for named in &ctx.args.targets {
        let source = ctx.source_of(named)?;
        if routes
            .iter()
            .any(|r: &Route| r.source.label() == source.label())
        {
            return Err(Error::usage(format!("{} is named twice", source.label())));
        }
        // Sign in now, at the terminal, rather than in a client's request.
        endpoint::credentials(&source, &policy)?;
        routes.push(Route::new(source)?);
    }
    platform::block_signals(platform::STOP_SIGNALS)
        .map_err(|e| Error::runtime(format!("cannot block signals: {e}")))?;
    let listener = endpoint::bind(port)?;
    let port = endpoint::port_of(&listener)?;
    let text = render(format, &routes, port, named_json(&ctx.args.targets));
    let n = routes.len();
    let mut serving = policy;
    serving.quiet = true;
    let peers = if ctx.args.allow_any_user {
        endpoint::Peers::Anyone
    } else {
        endpoint::Peers::Owner
    };
    endpoint::spawn_for(listener, routes, serving, peers)?;
    crate::output::print(text.as_bytes())?;
    if !ctx.quiet {
        eprintln!(
            "dsops: serving {n} credential endpoint(s) on 127.0.0.1:{port}; Ctrl-C or SIGTERM stops"
        );
    }
    let got = platform::wait_signal(platform::STOP_SIGNALS)
        .map_err(|e| Error::runtime(format!("waiting for signals: {e}")))?;
    ctx.debug(format_args!("signal {}: stopping", got.signal));
    Ok(0)
}

/// `{"store": NAME}` or `{"profile": NAME}` per target, for the JSON output.
fn named_json(targets: &[Named]) -> Vec<Value> {
    targets
        .iter()
        .map(|n| match n {
            Named::Store(s) => json!({"store": s}),
            Named::Profile(p) => json!({"profile": p}),
        })
        .collect()
}

fn variables(r: &Route, port: u16) -> Vec<(String, String)> {
    let mut vars = r.variables(port);
    if let Some(region) = r.source.region() {
        vars.push(("AWS_REGION".into(), region.to_string()));
        vars.push(("AWS_DEFAULT_REGION".into(), region.to_string()));
    }
    vars
}

fn render(format: Format, routes: &[Route], port: u16, named: Vec<Value>) -> String {
    let mut out = String::new();
    match format {
        Format::Json => {
            let list: Vec<Value> = routes
                .iter()
                .zip(named)
                .map(|(r, mut n)| {
                    n["account_id"] = json!(r.source.account_id());
                    n["role_name"] = json!(r.source.role());
                    n["env"] = variables(r, port)
                        .into_iter()
                        .map(|(k, v)| (k, Value::from(v)))
                        .collect::<serde_json::Map<_, _>>()
                        .into();
                    n
                })
                .collect();
            out.push_str(&Value::from(list).to_string());
            out.push('\n');
        }
        _ => {
            for r in routes {
                out.push_str(&format!(
                    "# {}: {}\n",
                    r.source.label(),
                    r.source.role_shown()
                ));
                for (k, v) in variables(r, port) {
                    // Every value is a URL, hex or a region: no quoting
                    // needed for dotenv, and POSIX quoting for the shell.
                    if matches!(format, Format::PowerShell | Format::WindowsCmd) {
                        // A URL, hex or a region: nothing cmd refuses.
                        let line = quote::windows_line(format == Format::PowerShell, &k, &v)
                            .unwrap_or_default();
                        out.push_str(&line);
                    } else if format == Format::Dotenv {
                        out.push_str(&format!("{k}={v}\n"));
                    } else {
                        let q = quote::posix_bytes(v.as_bytes());
                        out.push_str(&format!("export {k}={}\n", String::from_utf8_lossy(&q)));
                    }
                }
            }
        }
    }
    out
}
