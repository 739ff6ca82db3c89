//! `dsops console`: the AWS console, signed in as the role of a store or
//! profile (role chains included), opened in the browser or printed.
//!
//! The sign-in URL is a credential (whoever has it is signed in for its
//! session), so it never goes on a command line: see [`hand_off`].

use super::Ctx;
use crate::error::{Error, Result};
use crate::loopback::{Reply, Request, WaitError};

pub fn run(ctx: &Ctx) -> Result<i32> {
    // No --store or --profile: the list `dsops use` shows (a usage error
    // naming the choices when not on a terminal).
    let source = match &ctx.selector {
        Some(_) => ctx.source()?,
        None => match crate::picker::choose("console")? {
            Some(named) => ctx.source_of(&named)?,
            None => {
                if !ctx.quiet {
                    eprintln!("dsops: cancelled");
                }
                return Ok(1);
            }
        },
    };
    let creds = source.credentials(&ctx.login_policy())?;
    let region = source
        .api_region(ctx.args.region.as_deref())
        .unwrap_or_else(|| "us-east-1".to_string());
    if !region
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'-')
    {
        return Err(Error::usage(format!(
            "--region {region}: not a region name"
        )));
    }
    let destination = match ctx.args.destination.clone() {
        Some(d) if d.starts_with("https://") || d.starts_with("http://") => d,
        Some(d) => {
            return Err(Error::usage(format!(
                "--destination {d}: expected an https:// URL of the console"
            )));
        }
        None => crate::console::console_home(&region),
    };
    // Names only: the sign-in URL is a credential.
    ctx.debug(format_args!(
        "console: federation endpoint {}, region {region}",
        crate::console::signin_base(&region)
    ));
    let url = crate::console::signin_url(&creds, &region, &destination)?;
    if ctx.args.print {
        crate::output::print(format!("{url}\n").as_bytes())?;
        return Ok(0);
    }
    hand_off(ctx, &url)?;
    if !ctx.quiet {
        eprintln!("dsops: opened the AWS console ({region}) in your browser");
    }
    Ok(0)
}

/// Give the browser the sign-in URL without putting it on a command line,
/// where any local user could read it (`ps`) for as long as the browser
/// runs: the browser is sent to a one-time random path of a loopback server,
/// which answers our user's first request for it with a redirect to the
/// URL, and is gone.
fn hand_off(ctx: &Ctx, url: &str) -> Result<()> {
    if !url.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(Error::runtime(
            "the console sign-in URL has characters a redirect cannot carry (check AWS_ENDPOINT_URL_SIGNIN)",
        ));
    }
    let listener = crate::endpoint::bind(0)?;
    let port = crate::endpoint::port_of(&listener)?;
    let random = crate::platform::random_bytes(16)
        .map_err(|e| Error::runtime(format!("cannot read /dev/urandom: {e}")))?;
    let path = format!("/console/{}", crate::config::trust::hex(&random));
    let local = format!("http://127.0.0.1:{port}{path}");
    if !crate::sso::login::open_browser(&local) {
        return Err(Error::runtime(
            "could not open a browser (set BROWSER, or use --print to get the URL)",
        ));
    }
    ctx.debug("console: waiting for the browser on 127.0.0.1");
    let target = url.to_string();
    let handle = std::sync::Arc::new(move |r: &Request| {
        if r.method == "GET" && crate::loopback::same_secret(r.path.as_bytes(), path.as_bytes()) {
            let reply = Reply {
                status: "303 See Other",
                text: "Signing in to the AWS console.",
                location: Some(target.clone()),
            };
            (reply, Some(()))
        } else {
            (Reply::page("404 Not Found", "Not found."), None)
        }
    });
    let timeout = crate::settings::limits().login;
    // A browser that did not start (no display, say) never comes: after a
    // moment, say what is being waited for, and the way out.
    let waited = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    if !ctx.quiet {
        let waited = std::sync::Arc::clone(&waited);
        let _ = std::thread::Builder::new().spawn(move || {
            std::thread::sleep(std::time::Duration::from_secs(3));
            if !waited.load(std::sync::atomic::Ordering::SeqCst) {
                eprintln!(
                    "dsops: waiting for the browser to open the console (up to {}s; Ctrl-C stops, --print gives the URL)",
                    timeout.as_secs_f64()
                );
            }
        });
    }
    let result = crate::loopback::wait(&listener, timeout, handle);
    waited.store(true, std::sync::atomic::Ordering::SeqCst);
    result.map_err(|e| match e {
        WaitError::TimedOut => Error::runtime(format!(
            "the browser did not open the console within {}s (DSOPS_LOGIN_TIMEOUT); use --print to get the URL",
            timeout.as_secs_f64()
        )),
        WaitError::Listener(e) => Error::runtime(format!("the console hand-off: {e}")),
    })
}
