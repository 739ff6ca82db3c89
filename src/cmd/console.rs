//! `dsops console`: the AWS console, signed in as the role of a store or
//! profile (role chains included), opened in the browser or printed.

use super::Ctx;
use crate::error::{Error, Result};

pub fn run(ctx: &Ctx) -> Result<i32> {
    let (creds, own_region) = super::creds::credentials(ctx)?;
    let region = ctx
        .args
        .region
        .clone()
        .filter(|r| !r.is_empty())
        .or(own_region)
        .or_else(|| crate::settings::var("AWS_REGION"))
        .or_else(|| crate::settings::var("AWS_DEFAULT_REGION"))
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
    if !crate::sso::login::open_browser(&url) {
        return Err(Error::runtime(
            "could not open a browser (set BROWSER, or use --print to get the URL)",
        ));
    }
    if !ctx.quiet {
        eprintln!("dsops: opened the AWS console ({region}) in your browser");
    }
    Ok(0)
}
